"""What the SDK's services need from the world, as ``typing.Protocol`` interfaces (ports).

The services (``sdk/service.py``, ``sdk/admin.py``, ``sdk/privacy.py``, ``sdk/maintenance.py``) are
written against these and nothing else; the app plugs in its implementations:

==========================  ======================================  ====================================
Port                        In the app                              In the unit tests
==========================  ======================================  ====================================
:class:`VideoRepository`    ``models.repository.SqlVideoRepository``  ``tests/support/fakes.py``
:class:`EventLog`           ``models.repository.SqlEventLog``       ``FakeRepository.events``
:class:`OperationsRepository`  ``models.operations.SqlOperationsRepository``
:class:`MaintenanceRepository` ``models.maintenance.SqlMaintenanceRepository``
:class:`Storage`            ``sdk.storage.S3Storage``               ``FakeStorage``
:class:`UrlSigner`          ``sdk.cdn.UrlSigner``                   ``FakeSigner``
==========================  ======================================  ====================================

Rows (videos, submissions, assignments, events) are whatever the repository hands back: the models'
mapped classes in the app, plain dataclasses in the fakes. The services read and set their attributes
(the columns of ``models/video.py``); a repository persists what was set when its unit of work ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from .storage import ObjectInfo, PresignedPost, UploadedPart

# A row as the repository hands it back (the model's mapped object, or a fake's dataclass).
Row = Any


class EventLog(Protocol):
    def add_event(self, **fields: Any) -> None:
        """Append one event (``models/event.py``'s columns); every field is bounded by the implementation."""


class VideoRepository(EventLog, Protocol):
    """The rows of the video lifecycle: assignments, submissions, videos."""

    def get_assignment(self, assignment_id: int) -> Row | None: ...

    def add_assignment(self, assignment_id: int, course_id: int, now: int) -> Row:
        """Insert it, or return the row a concurrent request inserted first."""

    def get_submission(self, submission_id: int) -> Row | None: ...

    def lock_submission(self, submission_id: int, skip_locked: bool = False) -> Row | None:
        """The submission and its videos as committed now, locked until the transaction ends (None if
        absent, or with ``skip_locked`` if another transaction holds the lock)."""

    def add_submission(
        self, submission_id: int, assignment_id: int, user_id: int, now: int, group_id: int | None = None
    ) -> Row:
        """Insert it, or return the row a concurrent request inserted first."""

    def get_assignment_and_submission(
        self, assignment_id: int, submission_id: int, *, read_only: bool = False
    ) -> tuple[Row | None, Row | None]:
        """Both rows (either None), and the submission's current video, in one round trip.
        ``read_only``: rows the caller will not change (they may be frozen read models)."""

    def add_video(self, **fields: Any) -> Row:
        """A new video row with these columns (the rest: the columns' defaults), its id assigned."""

    def add_copy_of(self, video: Row, **fields: Any) -> Row:
        """A new row with every column of ``video`` but its id and these ``fields``."""

    def get_video(self, video_id: int) -> Row | None: ...

    def lock_video(self, video_id: int) -> Row | None:
        """The row as committed now, locked until the transaction ends."""

    def get_video_by_key(self, s3_key: str, submission_id: int | None = None) -> Row | None: ...

    def get_video_by_upload_id(self, upload_id: str) -> Row | None: ...

    def videos(
        self,
        *,
        submission_id: int | None = None,
        assignment_id: int | None = None,
        user_id: int | None = None,
        statuses: Iterable[str] | None = None,
        fingerprint: str | None = None,
        for_update: bool = False,
        read_only: bool = False,
    ) -> list[Row]:
        """The videos matching every filter given, by id. ``read_only``: rows the caller will not change
        (they may be frozen read models; no lock). ``for_update``: as committed now, locked."""

    def submissions_of_assignment(self, assignment_id: int) -> list[Row]: ...


class OperationsRepository(Protocol):
    """Statistics, search and the privacy requests' queries (``sdk/admin.py``, ``sdk/privacy.py``)."""

    def get_assignment(self, assignment_id: int) -> Row | None: ...

    def count_videos_by_status(self) -> dict[str, int]: ...

    def ready_videos_by_codec(self) -> dict[str, tuple[int, int]]: ...

    def stored_bytes(self) -> int: ...

    def stored_bytes_at(self, moments: list[int]) -> list[int]: ...

    def daily_event_totals(
        self, event_types: Sequence[str], start: int, end: int
    ) -> dict[tuple[int, str], tuple[int, int]]: ...

    def error_counts(self, start: int, end: int) -> dict[str, int]: ...

    def event_totals(self, event_types: Sequence[str], start: int, end: int) -> tuple[int, int]: ...

    def search_videos(self, filters: Any, page: int, per_page: int) -> tuple[list[tuple[Row, int]], int]: ...

    def event_types_logged(self) -> list[str]: ...

    def search_events(self, filters: Any, page: int, per_page: int) -> tuple[list[Row], int]: ...

    def video_events(self, video: Row) -> list[Row]: ...

    def videos(
        self,
        *,
        submission_id: int | None = None,
        assignment_id: int | None = None,
        user_id: int | None = None,
        statuses: Iterable[str] | None = None,
        fingerprint: str | None = None,
        for_update: bool = False,
    ) -> list[Row]: ...

    def submissions_of_user(self, user_id: int, assignment_id: int | None = None) -> list[Row]: ...

    def user_ids_of_assignment(self, assignment_id: int) -> list[int]: ...

    def events_about(self, user_id: int, video_ids: Sequence[int], assignment_id: int | None = None) -> list[Row]: ...

    def anonymise_events(
        self, user_id: int | None, video_ids: Sequence[int], s3_keys: Sequence[str], assignment_id: int | None = None
    ) -> int: ...

    def keys_named_by_others(self, keys: Iterable[str], video_ids: Iterable[int]) -> set[str]: ...

    def erased_videos_purged(self) -> list[Row]: ...

    def forget_videos(self, videos: list[Row]) -> None: ...


class MaintenanceRepository(OperationsRepository, Protocol):
    """The background jobs' claims and look-ups (``sdk/maintenance.py``); ``lock`` claims rows
    (``FOR UPDATE SKIP LOCKED`` where the database has it). The jobs also erase (privacy's
    ``forget_erased``), hence the operations' queries."""

    def get_video(self, video_id: int) -> Row | None: ...

    def lock_submission(self, submission_id: int, skip_locked: bool = False) -> Row | None: ...

    def videos_due_for_purge_after(
        self, now: int, limit: int, after_id: int = 0, video_ids: Iterable[int] | None = None, lock: bool = True
    ) -> list[Row]: ...

    def expired_uploads(self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True) -> list[Row]: ...

    def ready_videos_uploaded_before(
        self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True
    ) -> list[Row]: ...

    def drafts_confirmed_before(self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True) -> list[Row]: ...

    def keys_still_needed(self, keys: Iterable[str], now: int, excluding_ids: Iterable[int]) -> set[str]: ...

    def unprobed_ready_videos(
        self, limit: int, after_id: int = 0, video_ids: Iterable[int] | None = None, lock: bool = True
    ) -> list[Row]: ...

    def videos_by_keys(self, keys: Iterable[str]) -> dict[str, Row]: ...

    def videos_by_upload_ids(self, upload_ids: Iterable[str]) -> dict[str, Row]: ...

    def key_states(self, prefix: str) -> list[tuple[str, str, int | None]]: ...


class Storage(Protocol):
    """The bucket (``sdk/storage.py``): presigned uploads, multipart, HEAD, copy, reads, deletes."""

    @property
    def bucket(self) -> str: ...

    def presigned_post(self, key: str, content_type: str, size_bytes: int, expiry_seconds: int) -> PresignedPost: ...

    def create_multipart_upload(self, key: str, content_type: str, checksum_algorithm: str | None = None) -> str: ...

    def presigned_part_url(
        self, key: str, upload_id: str, part_number: int, expiry_seconds: int, checksum_sha256: str | None = None
    ) -> str: ...

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]: ...

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Iterable[UploadedPart]) -> None: ...

    def abort_multipart_upload(self, key: str, upload_id: str) -> None: ...

    def list_multipart_uploads(self, prefix: str = "videos/") -> Iterator[Mapping[str, Any]]: ...

    def head(self, key: str) -> ObjectInfo | None: ...

    def copy(self, source_key: str, key: str, if_match_etag: str) -> str | None: ...

    def read_head(self, key: str, size_bytes: int) -> bytes: ...

    def read_bytes(self, key: str, first: int, last: int) -> bytes: ...

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete_many(self, keys: Iterable[str]) -> tuple[list[str], dict[str, str]]: ...

    def list_keys(self, prefix: str = "videos/") -> Iterator[Mapping[str, Any]]: ...


class VideoSettings(Protocol):
    """The settings the video service reads (``s3video_sidecar.settings.Settings`` has them all)."""

    @property
    def max_upload_bytes(self) -> int: ...

    @property
    def allowed_mime_types(self) -> Sequence[str]: ...

    @property
    def multipart_threshold_bytes(self) -> int: ...

    @property
    def multipart_part_size_bytes(self) -> int: ...

    @property
    def upload_expiry_seconds(self) -> int: ...

    @property
    def multipart_expiry_seconds(self) -> int: ...

    @property
    def playback_expiry_seconds(self) -> int: ...

    @property
    def playback_url_window_seconds(self) -> int: ...

    @property
    def playback_base_url(self) -> str: ...

    @property
    def delete_grace_seconds(self) -> int: ...


class JobSettings(VideoSettings, Protocol):
    """And what the background jobs read besides."""

    @property
    def draft_expiry_seconds(self) -> int: ...

    @property
    def jobs_delete_orphans(self) -> bool: ...

    @property
    def jobs_multipart_abort_after_seconds(self) -> int: ...

    @property
    def retention_days(self) -> int: ...

    @property
    def retention_dry_run(self) -> bool: ...


class UrlSigner(Protocol):
    """Signs playback URLs (``sdk/cdn.py``): ``sign_cached`` may return the same URL for the same arguments."""

    def sign(self, url: str, expires_at: int) -> str: ...

    def sign_cached(self, url: str, expires_at: int) -> str: ...
