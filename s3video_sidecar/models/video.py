"""Assignments, submissions and their videos (the seed's ``mdl_assignsubmission_s3video``).

Rules:

- ``Assignment.course_id`` and ``Submission.user_id`` are fixed by the first call that
  creates them; the web layer refuses later calls that contradict them. A team submission
  also records its Moodle group (``Submission.group_id``, fixed the same way): every member
  of that group may then act on it, while ``user_id`` stays the student who created it.
- A submission has at most one current video (``Submission.current_video_id``). A new
  upload becomes current only once confirmed; the video it replaces then goes to
  ``deleting``, so a failed replacement never costs the student the old video.
- Every video row keeps its ``s3_key`` for life, ``deleted`` included: no object is
  ever orphaned, and keys are never reused for another upload. Several rows may share one
  key: a copy (Moodle's restore, course copy, recycle bin) references its source's object,
  which the purge deletes only once no row that still needs it names it.
- ``Submission.retained_video_id``: the video that was current when the submission's videos
  were deleted; a copy may take it while its purge time has not come (a recycle-bin restore).
- A call that changes which of a submission's videos is current, a draft or live first locks the
  submission's row (``SqlVideoRepository.lock_submission``: ``FOR UPDATE``, on SQLite its write lock)
  and reads its videos afresh, so two such calls on one submission take turns.
- Times are Unix seconds (BIGINT), as in the seed.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..sdk.domain import LIVE_STATUSES, VideoStatus
from .meta import Base, Id

__all__ = ["LIVE_STATUSES", "Assignment", "Submission", "Video", "VideoStatus"]


class Assignment(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    course_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_timestamp: Mapped[int] = mapped_column(BigInteger)


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    group_id: Mapped[int | None] = mapped_column(BigInteger)  # team submissions: the Moodle group (0: no group)
    current_video_id: Mapped[int | None] = mapped_column(
        ForeignKey("videos.id", use_alter=True, name="fk_submissions_current_video_id_videos")
    )
    created_timestamp: Mapped[int] = mapped_column(BigInteger)
    # the current video when the videos were deleted (no foreign key: the row may be forgotten)
    retained_video_id: Mapped[int | None] = mapped_column(BigInteger)

    assignment: Mapped[Assignment] = relationship()
    current_video: Mapped[Video | None] = relationship(foreign_keys=[current_video_id], post_update=True)


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (
        Index("ix_videos_status_purge", "upload_status", "purge_after_timestamp"),
        Index("ix_videos_upload_timestamp", "upload_timestamp"),
        # Ids are never reused (migration 0005): the event log names videos by id.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    s3_key: Mapped[str] = mapped_column(String(500), index=True)  # shared by a video's copies
    s3_bucket: Mapped[str] = mapped_column(String(255))
    upload_status: Mapped[VideoStatus] = mapped_column(String(20), default=VideoStatus.PENDING)
    original_filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds, once probed
    checksum_sha256: Mapped[str | None] = mapped_column(String(128))
    media: Mapped[str | None] = mapped_column(Text)  # the probe's findings, JSON (sdk/media.py bounds it)
    poster_key: Mapped[str | None] = mapped_column(String(500))  # posters/...jpg, deleted with the video
    video_codec: Mapped[str | None] = mapped_column(String(32))  # from the probe, for the dashboard's mix
    plays_everywhere: Mapped[bool | None] = mapped_column(Boolean)  # every common browser plays it
    probed_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    upload_method: Mapped[str] = mapped_column(String(16), default="post")  # post | multipart
    upload_id: Mapped[str | None] = mapped_column(String(255), index=True)  # S3 multipart upload id
    fingerprint: Mapped[str | None] = mapped_column(String(128), index=True)  # resume key (multipart)
    upload_timestamp: Mapped[int] = mapped_column(BigInteger)
    upload_expires_timestamp: Mapped[int] = mapped_column(BigInteger)
    confirmed_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    delete_requested_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    purge_after_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    deleted_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)

    submission: Mapped[Submission] = relationship(foreign_keys=[submission_id])

    @property
    def status(self) -> VideoStatus:
        return VideoStatus(self.upload_status)
