"""Read models: frozen rows for the calls that only read (a GET's traversal and answer).

``GET`` submission and ``playback-url`` read an assignment, a submission with its current video and
the submission's live videos, and change none of them: Core statements on the request's session
(the same transaction) hand back these frozen dataclasses instead of ORM entities. The ORM's
identity map, attribute instrumentation and joined-eager loading cost those calls most of their CPU
(``python -m bench --only calls``), and nothing here is ever flushed. A caller that changes a row
asks the repository for the ORM entity instead (``SqlVideoRepository``'s ``read_only=False``).

Each class has the columns of its table (``models/video.py``), in the table's order; a test holds
them equal, so a column added to a table is added here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sdk.domain import VideoStatus


@dataclass(frozen=True, slots=True)
class AssignmentRead:
    id: int
    course_id: int
    created_timestamp: int


@dataclass(frozen=True, slots=True)
class VideoRead:
    id: int
    assignment_id: int
    submission_id: int
    user_id: int
    s3_key: str
    s3_bucket: str
    upload_status: str
    original_filename: str
    mime_type: str
    declared_size: int
    file_size: int | None
    duration: int | None
    checksum_sha256: str | None
    media: str | None
    poster_key: str | None
    video_codec: str | None
    plays_everywhere: bool | None
    probed_timestamp: int | None
    upload_method: str
    upload_id: str | None
    fingerprint: str | None
    upload_timestamp: int
    upload_expires_timestamp: int
    confirmed_timestamp: int | None
    delete_requested_timestamp: int | None
    purge_after_timestamp: int | None
    deleted_timestamp: int | None
    error_code: str | None
    error_message: str | None

    @property
    def status(self) -> VideoStatus:
        return VideoStatus(self.upload_status)


@dataclass(frozen=True, slots=True)
class SubmissionRead:
    id: int
    assignment_id: int
    user_id: int
    group_id: int | None
    current_video_id: int | None
    created_timestamp: int
    retained_video_id: int | None
    current_video: VideoRead | None  # read with the submission (one statement)
