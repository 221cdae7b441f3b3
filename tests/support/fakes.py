"""In-memory fakes of the SDK's ports (``s3video_sidecar/sdk/ports.py``), for fast service tests.

No database, no S3, no HTTP: rows are dataclasses in dicts, objects are bytes in a dict. Each fake
does what its port promises and nothing more; a test that needs the real thing (SQL locking, S3's
checksums) belongs in tests/functional.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

from s3video_sidecar.sdk.domain import ERASED_USER_ID, VideoStatus
from s3video_sidecar.sdk.storage import ObjectInfo, PresignedPost, UploadedPart

MIB = 1024**2
MP4_HEAD = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 20  # an ISO BMFF file's first box


@dataclass
class FakeSettings:
    """The settings the services read (``s3video_sidecar.settings.Settings`` has them all)."""

    max_upload_bytes: int = 100 * MIB
    allowed_mime_types: tuple[str, ...] = ("video/mp4", "video/webm", "video/quicktime")
    multipart_threshold_bytes: int = 50 * MIB
    multipart_part_size_bytes: int = 8 * MIB
    upload_expiry_seconds: int = 3600
    multipart_expiry_seconds: int = 86400
    playback_expiry_seconds: int = 3600
    playback_url_window_seconds: int = 0
    playback_base_url: str = "https://cdn.example.test"
    delete_grace_seconds: int = 7 * 86400


@dataclass
class FakeAssignment:
    id: int
    course_id: int
    created_timestamp: int


@dataclass
class FakeVideo:
    id: int
    assignment_id: int
    submission_id: int
    user_id: int
    s3_key: str
    s3_bucket: str
    original_filename: str
    mime_type: str
    declared_size: int
    upload_timestamp: int
    upload_expires_timestamp: int
    upload_status: str = VideoStatus.PENDING
    file_size: int | None = None
    duration: int | None = None
    checksum_sha256: str | None = None
    media: str | None = None
    poster_key: str | None = None
    video_codec: str | None = None
    plays_everywhere: bool | None = None
    probed_timestamp: int | None = None
    upload_method: str = "post"
    upload_id: str | None = None
    fingerprint: str | None = None
    confirmed_timestamp: int | None = None
    delete_requested_timestamp: int | None = None
    purge_after_timestamp: int | None = None
    deleted_timestamp: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    submission: Any = field(default=None, repr=False)


@dataclass
class FakeSubmission:
    id: int
    assignment_id: int
    user_id: int
    created_timestamp: int
    group_id: int | None = None
    current_video_id: int | None = None
    retained_video_id: int | None = None
    current_video: FakeVideo | None = field(default=None, repr=False)


_VIDEO_COLUMNS = [f.name for f in fields(FakeVideo) if f.name not in ("id", "submission")]


class FakeRepository:
    """``VideoRepository`` and ``EventLog`` (and what ``OperationsRepository`` the privacy service uses)."""

    def __init__(self) -> None:
        self.assignments: dict[int, FakeAssignment] = {}
        self.submissions: dict[int, FakeSubmission] = {}
        self.rows: dict[int, FakeVideo] = {}
        self.events: list[dict[str, Any]] = []

    # -- the event log
    def add_event(self, **fields: Any) -> None:
        self.events.append(fields)

    def event_types(self) -> list[str]:
        return [event["event_type"] for event in self.events]

    # -- the video repository
    def get_assignment(self, assignment_id: int) -> FakeAssignment | None:
        return self.assignments.get(assignment_id)

    def add_assignment(self, assignment_id: int, course_id: int, now: int) -> FakeAssignment:
        return self.assignments.setdefault(assignment_id, FakeAssignment(assignment_id, course_id, now))

    def get_submission(self, submission_id: int) -> FakeSubmission | None:
        return self.submissions.get(submission_id)

    def lock_submission(self, submission_id: int, skip_locked: bool = False) -> FakeSubmission | None:
        return self.submissions.get(submission_id)

    def add_submission(
        self, submission_id: int, assignment_id: int, user_id: int, now: int, group_id: int | None = None
    ) -> FakeSubmission:
        return self.submissions.setdefault(
            submission_id, FakeSubmission(submission_id, assignment_id, user_id, now, group_id=group_id)
        )

    def get_assignment_and_submission(
        self, assignment_id: int, submission_id: int, *, read_only: bool = False
    ) -> tuple[FakeAssignment | None, FakeSubmission | None]:
        return self.get_assignment(assignment_id), self.get_submission(submission_id)

    def add_video(self, **fields: Any) -> FakeVideo:
        refused = fields.keys() - set(_VIDEO_COLUMNS)
        if refused:
            raise TypeError(f"not columns a new video may set: {sorted(refused)}")
        video = FakeVideo(id=max(self.rows, default=0) + 1, **fields)
        video.submission = self.submissions[video.submission_id]
        self.rows[video.id] = video
        return video

    def add_copy_of(self, video: FakeVideo, **fields: Any) -> FakeVideo:
        return self.add_video(**{**{name: getattr(video, name) for name in _VIDEO_COLUMNS}, **fields})

    def get_video(self, video_id: int) -> FakeVideo | None:
        return self.rows.get(video_id)

    lock_video = get_video

    def get_video_by_key(self, s3_key: str, submission_id: int | None = None) -> FakeVideo | None:
        return next(
            (
                v
                for v in self.rows.values()
                if v.s3_key == s3_key and (submission_id is None or v.submission_id == submission_id)
            ),
            None,
        )

    def get_video_by_upload_id(self, upload_id: str) -> FakeVideo | None:
        return next((v for v in self.rows.values() if v.upload_id == upload_id), None)

    def videos(
        self,
        *,
        submission_id: int | None = None,
        assignment_id: int | None = None,
        user_id: int | None = None,
        statuses: Any = None,
        fingerprint: str | None = None,
        for_update: bool = False,
        read_only: bool = False,
    ) -> list[FakeVideo]:
        wanted = None if statuses is None else {str(s) for s in statuses}
        return [
            v
            for _, v in sorted(self.rows.items())
            if (submission_id is None or v.submission_id == submission_id)
            and (assignment_id is None or v.assignment_id == assignment_id)
            and (user_id is None or v.user_id == user_id)
            and (wanted is None or str(v.upload_status) in wanted)
            and (fingerprint is None or v.fingerprint == fingerprint)
        ]

    def submissions_of_assignment(self, assignment_id: int) -> list[FakeSubmission]:
        return [s for s in self.submissions.values() if s.assignment_id == assignment_id]

    # -- what the privacy service asks of the operations repository
    def submissions_of_user(self, user_id: int, assignment_id: int | None = None) -> list[FakeSubmission]:
        return [
            s
            for _, s in sorted(self.submissions.items())
            if s.user_id == user_id and (assignment_id is None or s.assignment_id == assignment_id)
        ]

    def user_ids_of_assignment(self, assignment_id: int) -> list[int]:
        return sorted(
            {
                s.user_id
                for s in self.submissions.values()
                if s.assignment_id == assignment_id and s.user_id != ERASED_USER_ID
            }
        )

    def events_about(self, user_id: int, video_ids: Any, assignment_id: int | None = None) -> list[Any]:
        return []

    def anonymise_events(
        self, user_id: int | None, video_ids: Any, s3_keys: Any, assignment_id: int | None = None
    ) -> int:
        changed = 0
        ids, keys = set(video_ids), set(s3_keys)
        for event in self.events:
            if (
                (user_id is not None and event.get("user_id") == user_id)
                or event.get("video_id") in ids
                or event.get("s3_key") in keys
            ):
                event.update(
                    user_id=None if event.get("user_id") == user_id else event.get("user_id"),
                    video_id=None,
                    s3_key=None,
                    error_context=None,
                )
                changed += 1
        return changed

    def keys_named_by_others(self, keys: Any, video_ids: Any) -> set[str]:
        keys, ids = set(keys), set(video_ids)
        return {v.s3_key for v in self.rows.values() if v.s3_key in keys and v.id not in ids}

    def erased_videos_purged(self) -> list[FakeVideo]:
        return [v for v in self.rows.values() if v.user_id == ERASED_USER_ID and v.upload_status == VideoStatus.DELETED]

    def forget_videos(self, videos: list[FakeVideo]) -> None:
        for video in videos:
            del self.rows[video.id]


class FakeStorage:
    """``Storage``: objects as bytes in a dict (content type beside them), multipart uploads as dicts of parts."""

    bucket = "fake-bucket"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, dict[int, bytes]] = {}
        self.aborted: list[str] = []
        self.deleted: list[str] = []

    def put(self, key: str, data: bytes, content_type: str = "video/mp4") -> None:
        """What a browser's upload does (a test's stand-in for it)."""
        self.objects[key] = (data, content_type)

    def presigned_post(self, key: str, content_type: str, size_bytes: int, expiry_seconds: int) -> PresignedPost:
        return PresignedPost(
            url=f"https://s3.test/{self.bucket}",
            fields={"key": key, "Content-Type": content_type},
            expires_at=expiry_seconds,
        )

    def create_multipart_upload(self, key: str, content_type: str, checksum_algorithm: str | None = None) -> str:
        upload_id = f"upload-{len(self.uploads) + 1}"
        self.uploads[upload_id] = {}
        return upload_id

    def presigned_part_url(
        self, key: str, upload_id: str, part_number: int, expiry_seconds: int, checksum_sha256: str | None = None
    ) -> str:
        return f"https://s3.test/{key}?uploadId={upload_id}&partNumber={part_number}"

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        from s3video_sidecar.sdk.errors import NotFound

        if upload_id not in self.uploads:
            raise NotFound("no such upload")
        return [
            UploadedPart(n, hashlib.md5(data).hexdigest(), len(data))
            for n, data in sorted(self.uploads[upload_id].items())
        ]

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Any) -> None:
        held = self.uploads.pop(upload_id)
        self.objects[key] = (
            b"".join(held[p.part_number] for p in sorted(parts, key=lambda p: p.part_number)),
            "video/mp4",
        )

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        self.uploads.pop(upload_id, None)
        self.aborted.append(upload_id)

    def head(self, key: str) -> ObjectInfo | None:
        if key not in self.objects:
            return None
        data, content_type = self.objects[key]
        return ObjectInfo(
            size_bytes=len(data),
            content_type=content_type,
            etag=hashlib.md5(data).hexdigest(),
            checksum_sha256=hashlib.sha256(data).hexdigest(),
        )

    def copy(self, source_key: str, key: str, if_match_etag: str) -> str | None:
        self.objects[key] = self.objects[source_key]
        return hashlib.sha256(self.objects[key][0]).hexdigest()

    def read_head(self, key: str, size_bytes: int) -> bytes:
        return self.objects[key][0][:size_bytes]

    def read_bytes(self, key: str, first: int, last: int) -> bytes:
        return self.objects[key][0][first : last + 1]

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def delete_many(self, keys: Any) -> tuple[list[str], dict[str, str]]:
        keys = list(keys)
        for key in keys:
            self.objects.pop(key, None)
        self.deleted.extend(keys)
        return keys, {}

    def list_keys(self, prefix: str = "videos/") -> Any:
        return iter(
            [
                {"Key": key, "Size": len(data)}
                for key, (data, _) in sorted(self.objects.items())
                if key.startswith(prefix)
            ]
        )

    def list_multipart_uploads(self, prefix: str = "videos/") -> Any:
        return iter([])


class FakeSigner:
    """``UrlSigner``: a readable stand-in for CloudFront's signature."""

    def sign(self, url: str, expires_at: int) -> str:
        return f"{url}?Expires={expires_at}&Signature=fake"

    sign_cached = sign


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = 1_700_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
