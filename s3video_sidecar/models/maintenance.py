"""The SQL of the background jobs (``sdk/maintenance.py``): claiming rows, looking keys up.

:class:`SqlMaintenanceRepository` (``sdk.ports.MaintenanceRepository``) holds these queries and
composes the operations repository (which composes the video repository) over the same session,
handing their calls to them: the jobs drive the video service and the privacy service's
``forget_erased`` through it.

Rows a job changes are *claimed*: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL
and MariaDB/MySQL, so two workers (or a worker and ``s3video-admin``) never take the
same row; SQLite has no row locks and serialises writers instead. Every claim pages by
id (``after_id``), so a row a run leaves as it was is not claimed again in that run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from .event import Event
from .operations import SqlOperationsRepository
from .repository import OverVideoRows, take_sqlite_write_lock
from .video import LIVE_STATUSES, Submission, Video, VideoStatus

KEY_CHUNK = 500  # keys per IN (...) lookup
# Which row of a shared key speaks for its object: one that needs it over one that does not.
_KEY_RANK = {
    **{str(s): 3 for s in LIVE_STATUSES},
    str(VideoStatus.DELETING): 2,
    str(VideoStatus.ERROR): 1,
    str(VideoStatus.DELETED): 0,
}


class SqlMaintenanceRepository(OverVideoRows):
    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession
        self.operations = SqlOperationsRepository(dbsession)
        self.video_rows = self.operations.video_rows

    def _claim(self, query: Select[Any], limit: int, after_id: int, lock: bool) -> list[Video]:
        query = query.where(Video.id > after_id).order_by(Video.id).limit(limit)
        if lock:
            query = query.with_for_update(skip_locked=True)
        return list(self.dbsession.scalars(query))

    def count(self, query: Select[Any]) -> int:
        """How many rows a claim's query matches now (a progress bar's total)."""
        return int(self.dbsession.execute(select(func.count()).select_from(query.subquery())).scalar_one())

    @staticmethod
    def due_for_purge(now: int) -> Select[Video]:
        return select(Video).where(Video.upload_status == str(VideoStatus.DELETING), Video.purge_after_timestamp <= now)

    @staticmethod
    def expired(cutoff: int) -> Select[Video]:
        return select(Video).where(
            Video.upload_status.in_([str(VideoStatus.PENDING), str(VideoStatus.UPLOADING)]),
            Video.upload_expires_timestamp <= cutoff,
        )

    @staticmethod
    def ready_before(cutoff: int) -> Select[Video]:
        return select(Video).where(Video.upload_status == str(VideoStatus.READY), Video.upload_timestamp < cutoff)

    def videos_due_for_purge_after(
        self, now: int, limit: int, after_id: int = 0, video_ids: Iterable[int] | None = None, lock: bool = True
    ) -> list[Video]:
        """``deleting`` rows whose grace period is over (only ``video_ids``, if given), by id.

        SQLite has no row locks: a claim there takes the database's write lock first, held until the
        chunk is committed, so no copy of a claimed row (nor a restore of it) commits between the claim,
        :meth:`keys_still_needed` and the objects' deletion (a copy's ``lock_video`` waits, then finds
        its source deleted)."""
        if lock:
            take_sqlite_write_lock(self.dbsession, Video.__table__, [])
        query = self.due_for_purge(now)
        if video_ids is not None:
            query = query.where(Video.id.in_(list(video_ids)))
        return self._claim(query, limit, after_id, lock)

    def expired_uploads(self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True) -> list[Video]:
        """``pending``/``uploading`` rows whose upload window closed at or before ``cutoff``."""
        query = self.expired(cutoff)
        return self._claim(query, limit, after_id, lock)

    def ready_videos_uploaded_before(
        self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True
    ) -> list[Video]:
        query = self.ready_before(cutoff)
        return self._claim(query, limit, after_id, lock)

    def drafts_confirmed_before(self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True) -> list[Video]:
        """Drafts (``ready``, not their submission's current video) confirmed at or before ``cutoff``."""
        is_current = select(Submission.id).where(Submission.current_video_id == Video.id).exists()
        query = select(Video).where(
            Video.upload_status == str(VideoStatus.READY), Video.confirmed_timestamp <= cutoff, ~is_current
        )
        return self._claim(query, limit, after_id, lock)

    def keys_still_needed(self, keys: Iterable[str], now: int, excluding_ids: Iterable[int]) -> set[str]:
        """Which of ``keys`` a row other than ``excluding_ids`` still needs: a live row, or one
        ``deleting`` whose purge time has not come (copies share their source's object)."""
        keys, excluding, needed = list(keys), list(excluding_ids), set[str]()
        for start in range(0, len(keys), KEY_CHUNK):
            query = select(Video.s3_key).where(
                Video.s3_key.in_(keys[start : start + KEY_CHUNK]),
                Video.id.not_in(excluding),
                or_(
                    Video.upload_status.in_([str(s) for s in LIVE_STATUSES]),
                    (Video.upload_status == str(VideoStatus.DELETING)) & (Video.purge_after_timestamp > now),
                ),
            )
            # a locking read: the rows as committed now (MySQL's repeatable read would show the snapshot)
            needed.update(self.dbsession.scalars(query.with_for_update(read=True)))
        return needed

    def unprobed_ready_videos(
        self, limit: int, after_id: int = 0, video_ids: Iterable[int] | None = None, lock: bool = True
    ) -> list[Video]:
        """``ready`` rows the media probe has not seen yet (only ``video_ids``, if given), by id."""
        query = select(Video).where(Video.upload_status == str(VideoStatus.READY), Video.probed_timestamp.is_(None))
        if video_ids is not None:
            query = query.where(Video.id.in_(list(video_ids)))
        return self._claim(query, limit, after_id, lock)

    def videos_by_keys(self, keys: Iterable[str]) -> dict[str, Video]:
        """Key -> the row that speaks for its object: of rows sharing a key, one that still needs it."""
        keys, found = list(keys), dict[str, Video]()
        for start in range(0, len(keys), KEY_CHUNK):
            for video in self.dbsession.scalars(select(Video).where(Video.s3_key.in_(keys[start : start + KEY_CHUNK]))):
                held = found.get(video.s3_key)
                if held is None or _KEY_RANK[str(video.upload_status)] > _KEY_RANK[str(held.upload_status)]:
                    found[video.s3_key] = video
        return found

    def videos_by_upload_ids(self, upload_ids: Iterable[str]) -> dict[str, Video]:
        return self._videos_by(Video.upload_id, upload_ids)

    def _videos_by(self, column: Any, values: Iterable[Any]) -> dict[str, Any]:
        values, found = list(values), dict[Any, Video]()
        for start in range(0, len(values), KEY_CHUNK):
            query = select(Video).where(column.in_(values[start : start + KEY_CHUNK]))
            found.update((getattr(video, column.key), video) for video in self.dbsession.scalars(query))
        return found

    def key_states(self, prefix: str) -> list[tuple[str, str, int | None]]:
        """(key, status, purge after) of every row whose key starts with ``prefix``."""
        query = select(Video.s3_key, Video.upload_status, Video.purge_after_timestamp).where(
            Video.s3_key.startswith(prefix, autoescape=True)
        )
        return [(key, str(status), purge_after) for key, status, purge_after in self.dbsession.execute(query)]

    # -- the operations repository, over the same session ------------------------------------
    def count_videos_by_status(self) -> dict[str, int]:
        return self.operations.count_videos_by_status()

    def ready_videos_by_codec(self) -> dict[str, tuple[int, int]]:
        return self.operations.ready_videos_by_codec()

    def stored_bytes(self) -> int:
        return self.operations.stored_bytes()

    def stored_bytes_at(self, moments: list[int]) -> list[int]:
        return self.operations.stored_bytes_at(moments)

    def daily_event_totals(
        self, event_types: Iterable[str], start: int, end: int
    ) -> dict[tuple[int, str], tuple[int, int]]:
        return self.operations.daily_event_totals(event_types, start, end)

    def error_counts(self, start: int, end: int) -> dict[str, int]:
        return self.operations.error_counts(start, end)

    def event_totals(self, event_types: Iterable[str], start: int, end: int) -> tuple[int, int]:
        return self.operations.event_totals(event_types, start, end)

    def search_videos(self, filters: Any, page: int, per_page: int) -> tuple[list[tuple[Video, int]], int]:
        return self.operations.search_videos(filters, page, per_page)

    def event_types_logged(self) -> list[str]:
        return self.operations.event_types_logged()

    def search_events(self, filters: Any, page: int, per_page: int) -> tuple[list[Event], int]:
        return self.operations.search_events(filters, page, per_page)

    def video_events(self, video: Video) -> list[Event]:
        return self.operations.video_events(video)

    def submissions_of_user(self, user_id: int, assignment_id: int | None = None) -> list[Submission]:
        return self.operations.submissions_of_user(user_id, assignment_id)

    def user_ids_of_assignment(self, assignment_id: int) -> list[int]:
        return self.operations.user_ids_of_assignment(assignment_id)

    def events_about(self, user_id: int, video_ids: Iterable[int], assignment_id: int | None = None) -> list[Event]:
        return self.operations.events_about(user_id, video_ids, assignment_id)

    def anonymise_events(
        self, user_id: int | None, video_ids: Iterable[int], s3_keys: Iterable[str], assignment_id: int | None = None
    ) -> int:
        return self.operations.anonymise_events(user_id, video_ids, s3_keys, assignment_id)

    def keys_named_by_others(self, keys: Iterable[str], video_ids: Iterable[int]) -> set[str]:
        return self.operations.keys_named_by_others(keys, video_ids)

    def erased_videos_purged(self) -> list[Video]:
        return self.operations.erased_videos_purged()

    def forget_videos(self, videos: list[Video]) -> None:
        return self.operations.forget_videos(videos)
