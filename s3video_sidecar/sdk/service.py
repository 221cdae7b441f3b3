"""The video service: request upload, confirm, multipart, playback URL, delete, purge.

It runs over a repository (``models/repository.py`` in the app) and the storage and
URL signer of this SDK; it knows nothing of HTTP or Pyramid, so a notebook or a job
can drive it exactly as the web app does.

Rules:

- Limits are checked before any URL is issued (size 1..max -> 413, MIME type in the
  allowed list -> 415) and again on confirm against what S3 really holds (size exactly
  the declared size -> else 409 ``size_mismatch``, type, and the container signature by a
  ranged read -> else 415 ``not_a_video``): a refused object is deleted and its row
  marked ``error``.
- A confirmed video never changes (contract C1). A POST upload lands at its staging key
  (``keys.staging_key``); confirm copies exactly the checked version (its ETag) to the
  final ``videos/`` key, checks the copy, records the SHA-256 S3 computed for it
  (``checksum_type`` ``full_object``) and deletes the staging object. A multipart upload
  targets its final key, but once the sidecar completes it the upload id is dead; its
  SHA-256 is S3's composite one (over the parts' SHA-256s, ``checksum_type``
  ``composite``). Nothing a student holds can write under ``videos/``.
- A submission's current video changes only when a new one is confirmed (or a draft is made
  current); the old one then goes to ``deleting`` with a purge time (now + grace period).
  Nothing is removed from S3 except by the cleanup job (``sdk/maintenance.py``) or a refusal
  on confirm, and only for rows that are ``deleting`` — never for an object a live row
  references (a copy shares its source's object: the purge counts references by key).
- Drafts (Moodle's save model): confirmed with ``draft``, a video is ``ready`` but not current;
  a newer draft supersedes older ones, :meth:`VideoService.make_current` (Moodle's ``save()``)
  makes one current, and the cleanup job deletes drafts left longer than
  ``s3video.draft_expiry_seconds``.
- Calls on one submission take turns: every call that changes which of its videos is current or a
  draft locks the submission first (:meth:`VideoService.locked`) and decides on what is committed
  then, so two tabs' drafts leave one draft, and a video made current is never one another call
  scheduled for deletion as a draft (``tests/reliability/test_lifecycle_races.py``).
- Every action writes one event; events never hold secrets or signed URLs.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

from . import containers, keys
from .bounded import event_context
from .cdn import resource_url
from .domain import LIVE_STATUSES, Actor, OwnedSubmission, Permission, VideoStatus, may_act, permissions
from .errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    S3VideoError,
    TooLarge,
    Unavailable,
    UnsupportedType,
)
from .ports import Row, Storage, UrlSigner, VideoRepository, VideoSettings
from .probe import media_of
from .storage import MULTIPART_MAX_PARTS, MULTIPART_MIN_PART_BYTES, ObjectInfo

MIB = 1024**2


def choose_part_size(max_upload_bytes: int, preferred_part_bytes: int) -> int:
    """A part size (whole MiB, >= 5 MiB) such that a file of the maximum size needs <= 10,000 parts."""
    floor = math.ceil(max_upload_bytes / MULTIPART_MAX_PARTS)
    size = max(MULTIPART_MIN_PART_BYTES, preferred_part_bytes, floor)
    return math.ceil(size / MIB) * MIB


class VideoService:
    def __init__(
        self,
        repository: VideoRepository,
        storage: Storage,
        url_signer: UrlSigner,
        settings: VideoSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repo = repository
        self.storage = storage
        self.signer = url_signer
        self.settings = settings
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    # -- events ----------------------------------------------------------------
    def log(
        self,
        event_type: str,
        actor: Actor | None = None,
        video: Row | None = None,
        *,
        submission: Row | None = None,
        role: str | None = None,
        **fields: Any,
    ) -> None:
        context = fields.pop("context", None)
        if video is not None:
            fields.setdefault("assignment_id", video.assignment_id)
            fields.setdefault("submission_id", video.submission_id)
            fields.setdefault("video_id", video.id)
            fields.setdefault("s3_key", video.s3_key)
            fields.setdefault("file_size", video.file_size if video.file_size is not None else video.declared_size)
        if submission is not None:
            fields.setdefault("assignment_id", submission.assignment_id)
            fields.setdefault("submission_id", submission.id)
        self.repo.add_event(
            event_type=event_type,
            user_id=actor.user if actor else None,
            user_role=role or (",".join(sorted(actor.roles)) if actor else "system"),
            error_context=event_context(context),
            timestamp=self.now(),
            **fields,
        )

    # -- submissions -------------------------------------------------------------
    def ensure_submission(self, assignment_id: int, submission_id: int, actor: Actor) -> Row:
        """The submission row, created on a student's first upload (fixing course and owner)."""
        now = self.now()
        assignment = self.repo.get_assignment(assignment_id)
        if assignment is None:
            assignment = self.repo.add_assignment(assignment_id, actor.course, now)
        submission = self.repo.get_submission(submission_id)
        if submission is None:
            submission = self.repo.add_submission(submission_id, assignment.id, actor.user, now, group_id=actor.group)
        # The ACL judged the rows the traversal saw; a request racing ahead may have created them
        # since (the repository then returns its rows): hold the caller to the ACL's rule again.
        if Permission.UPLOAD not in permissions(actor, assignment.course_id, submission) or (
            submission.assignment_id != assignment.id and "admin" not in actor.roles
        ):
            raise Forbidden("this submission belongs to someone else")
        return submission

    @staticmethod
    def acts_for(actor: Actor, submission: OwnedSubmission) -> bool:
        """The student who created the submission, or, for a team submission, a member of its group."""
        return may_act(actor, submission)

    @staticmethod
    def uploader(actor: Actor, submission: Row) -> int:
        """Whose video a new upload is: the student uploading it (a team's member), else the submission's owner."""
        return actor.user if "student" in actor.roles else submission.user_id

    def submission_state(self, submission: Row) -> dict[str, Any]:
        current = submission.current_video
        others = self.repo.videos(submission_id=submission.id, statuses=LIVE_STATUSES, read_only=True)  # one query
        return {
            "assignment_id": submission.assignment_id,
            "submission_id": submission.id,
            "user_id": submission.user_id,
            "status": str(current.upload_status) if current else "empty",
            "video": self.describe(current) if current else None,
            "poster_url": self.poster_url(current) if current else None,
            "uploads_in_progress": [self.describe(v) for v in others if v.upload_status != VideoStatus.READY],
            "drafts": [
                self.describe(v)
                for v in others
                if v.upload_status == VideoStatus.READY and v.id != submission.current_video_id
            ],
        }

    @staticmethod
    def checksum_type(video: Row) -> str | None:
        """How the recorded SHA-256 was computed: over the whole object (a POST upload's copy), or
        S3's composite of the parts' SHA-256s (multipart, ``-N`` suffix)."""
        if not video.checksum_sha256:
            return None
        return "composite" if video.upload_method == "multipart" else "full_object"

    @classmethod
    def describe(cls, video: Row) -> dict[str, Any]:
        return {
            "video_id": video.id,
            "s3_key": video.s3_key,
            "status": str(video.upload_status),
            "filename": video.original_filename,
            "mime_type": video.mime_type,
            "file_size": video.file_size,
            "declared_size": video.declared_size,
            "duration": video.duration,
            "media": media_of(video),
            "poster": video.poster_key is not None,
            "upload_method": video.upload_method,
            "uploaded_at": video.upload_timestamp,
            "confirmed_at": video.confirmed_timestamp,
            "checksum_sha256": video.checksum_sha256,
            "checksum_type": cls.checksum_type(video),
            "error": video.error_message,
        }

    # -- uploads -----------------------------------------------------------------
    def check_limits(self, size: int, mime_type: str) -> None:
        if size > self.settings.max_upload_bytes:
            raise TooLarge(
                f"the file is {size} bytes; the largest allowed is {self.settings.max_upload_bytes} bytes",
                max_size=self.settings.max_upload_bytes,
            )
        if mime_type not in self.settings.allowed_mime_types:
            raise UnsupportedType(
                f"{mime_type} is not an allowed video type; allowed: {', '.join(self.settings.allowed_mime_types)}",
                allowed=list(self.settings.allowed_mime_types),
            )

    def request_upload(
        self, assignment_id: int, submission_id: int, actor: Actor, filename: str, size: int, mime_type: str
    ) -> dict[str, Any]:
        """Issue a presigned POST, or tell the client to go multipart for a large file."""
        self.check_limits(size, mime_type)
        if size > self.settings.multipart_threshold_bytes:
            # nothing issued yet: the client goes on with the multipart calls
            self.log(
                "upload_sent_to_multipart",
                actor,
                assignment_id=assignment_id,
                submission_id=submission_id,
                file_size=size,
            )
            return {
                "method": "multipart",
                "max_size": self.settings.max_upload_bytes,
                "multipart_threshold": self.settings.multipart_threshold_bytes,
            }
        submission = self.ensure_submission(assignment_id, submission_id, actor)
        now = self.now()
        s3_key = keys.build_s3_key(actor.user, filename, now)
        expiry = self.settings.upload_expiry_seconds
        # The policy names the staging key, never the video's: confirm copies what it checked.
        post = self.storage.presigned_post(keys.staging_key(s3_key), mime_type, size, expiry)
        video = self.repo.add_video(
            assignment_id=submission.assignment_id,
            submission_id=submission.id,
            user_id=self.uploader(actor, submission),
            s3_key=s3_key,
            s3_bucket=self.storage.bucket,
            upload_status=VideoStatus.PENDING,
            original_filename=filename[:255],
            mime_type=mime_type,
            declared_size=size,
            upload_method="post",
            upload_timestamp=now,
            upload_expires_timestamp=post.expires_at,
        )
        self.log("upload_requested", actor, video)
        return {
            "video_id": video.id,
            "s3_key": s3_key,
            "expires_at": post.expires_at,
            "max_size": self.settings.max_upload_bytes,
            "method": "post",
            "upload": {"url": post.url, "fields": post.fields},
        }

    def _video_of(self, submission: Row, *, s3_key: str | None = None, upload_id: str | None = None) -> Row:
        if s3_key:
            video = self.repo.get_video_by_key(s3_key, submission.id)
        else:
            video = self.repo.get_video_by_upload_id(upload_id or "")
        if video is None or video.submission_id != submission.id:
            raise NotFound("no upload with that key for this submission")
        return video

    def _refuse(self, video: Row, actor: Actor | None, error: S3VideoError, code: str, *, remove_object: bool) -> None:
        """Mark an upload refused (and delete what S3 holds of it); the caller raises ``error``."""
        if remove_object:
            self.storage.delete_many(self._object_keys(video))
        video.upload_status = VideoStatus.ERROR
        video.error_code = code
        video.error_message = error.message
        self.log("upload_rejected", actor, video, error_code=code, error_message=error.message)

    def locked(self, submission: Row) -> Row:
        """The submission (and its videos) as committed now, locked until the transaction ends: every
        call that changes which of its videos is current, a draft or live takes it first, so two such
        calls take turns, the second deciding on what the first committed (no two drafts, no current
        video scheduled for deletion by a call that saw it as a draft)."""
        row = self.repo.lock_submission(submission.id)
        if row is None:
            raise NotFound("this submission has no video yet")
        return row

    def confirm_upload(self, submission: Row, s3_key: str, actor: Actor | None, draft: bool = False) -> dict[str, Any]:
        """Prove the object is in S3 and passes the limits, then make it the current video
        (with ``draft``: keep it beside the current one, for :meth:`make_current`)."""
        submission = self.locked(submission)
        video = self._video_of(submission, s3_key=s3_key)
        if video.upload_status == VideoStatus.READY:
            return self._confirmed(video)  # idempotent
        if video.upload_status in (VideoStatus.DELETING, VideoStatus.DELETED):
            raise Conflict("this video has been deleted")
        if video.upload_status == VideoStatus.ERROR:
            raise Conflict(f"this upload was refused: {video.error_message}")
        if video.upload_method == "post":
            return self._confirm_post(video, actor, draft)
        info = self.storage.head(video.s3_key)
        if info is None:
            raise Conflict("the video has not arrived in storage; upload it, then confirm")
        return self._accept(video, info, actor, draft)

    @staticmethod
    def _object_keys(video: Row) -> list[str]:
        """Every key an upload's bytes may sit at: its video key, and a POST upload's staging key."""
        return [video.s3_key] + ([keys.staging_key(video.s3_key)] if video.upload_method == "post" else [])

    def arrived(self, video: Row) -> bool:
        """Whether storage holds the upload's bytes (at its staging or its final key)."""
        return any(self.storage.head(key) is not None for key in self._object_keys(video))

    def _confirm_post(self, video: Row, actor: Actor | None, draft: bool = False) -> dict[str, Any]:
        """Check the staged POST upload, copy exactly that version to the video key, check the copy."""
        staging = keys.staging_key(video.s3_key)
        staged = self.storage.head(staging)
        if staged is None:
            # An earlier confirm may have copied it and then failed before its answer was recorded:
            # only the sidecar writes the video key, so a copy there is one it made of a checked upload.
            info = self.storage.head(video.s3_key)
            if info is None:
                raise Conflict("the video has not arrived in storage; upload it, then confirm")
            return self._accept(video, info, actor, draft)
        self._check_object(video, staged, actor)  # refuse early, before copying gigabytes that will be refused
        copied_sha256 = self.storage.copy(staging, video.s3_key, if_match_etag=staged.etag)
        info = self.storage.head(video.s3_key)
        if info is None:
            raise Conflict("storage did not keep the confirmed copy; confirm again")
        if copied_sha256 and info.checksum_sha256 != copied_sha256:
            raise Conflict("storage reports another checksum than it computed for the copy; confirm again")
        answer = self._accept(video, info, actor, draft)
        # The video is confirmed; if storage is unavailable now, the reconciler removes the staging object
        # once the window is over.
        with contextlib.suppress(Unavailable):
            self.storage.delete_many([staging])
        return answer

    def _check_object(self, video: Row, info: ObjectInfo, actor: Actor | None) -> None:
        """Refuse (deleting the upload's objects) a size over the limit or other than the declared one, or a
        type other than the declared one (``info`` is HeadObject's answer for the staging or the video key)."""
        error: S3VideoError
        if info.size_bytes > self.settings.max_upload_bytes:
            error = TooLarge(
                f"the stored file is {info.size_bytes} bytes, over the limit of {self.settings.max_upload_bytes}"
            )
            self._refuse(video, actor, error, "too_large", remove_object=True)
            raise error
        if info.size_bytes != video.declared_size:
            error = Conflict(
                f"the stored file is {info.size_bytes} bytes, not the declared {video.declared_size};"
                " upload the file again",
                code="size_mismatch",
            )
            self._refuse(video, actor, error, "size_mismatch", remove_object=True)
            raise error
        if info.content_type != video.mime_type or info.content_type not in self.settings.allowed_mime_types:
            error = UnsupportedType(
                f"the stored file's type {info.content_type or 'unknown'} is not the declared {video.mime_type}"
            )
            self._refuse(video, actor, error, "type_not_allowed", remove_object=True)
            raise error

    def _check_container(self, video: Row, actor: Actor | None) -> None:
        """Refuse (deleting the upload's objects) a stored video whose first bytes are not its type's container."""
        head = self.storage.read_head(video.s3_key, containers.SIGNATURE_BYTES)
        if not containers.matches(video.mime_type, head):
            error = UnsupportedType(
                f"the file is not a {video.mime_type} video: its first bytes are not that container's signature",
                code="not_a_video",
            )
            self._refuse(video, actor, error, "not_a_video", remove_object=True)
            raise error

    def _accept(self, video: Row, info: ObjectInfo, actor: Actor | None, draft: bool = False) -> dict[str, Any]:
        """Check the object at the video key (size, type, container); make it the current video, or a draft."""
        self._check_object(video, info, actor)
        self._check_container(video, actor)
        now = self.now()
        video.upload_status = VideoStatus.READY
        video.file_size = info.size_bytes
        video.checksum_sha256 = info.checksum_sha256
        video.confirmed_timestamp = now
        self._switch_to(video, actor, draft)
        self.log("upload_confirmed", actor, video, context={"draft": True} if draft else None)
        return self._confirmed(video)

    def _switch_to(self, video: Row, actor: Actor | None, draft: bool) -> None:
        """After a confirm: a draft supersedes the submission's older drafts; otherwise the video
        becomes current and the previous current video and every draft go to deletion."""
        submission = video.submission
        if draft:
            for older in self._drafts(submission, but=video):
                self.schedule_deletion(older, actor, reason="superseded by a newer draft")
            return
        previous = submission.current_video
        submission.current_video_id = video.id
        submission.current_video = video
        if previous is not None and previous.id != video.id and previous.upload_status in LIVE_STATUSES:
            self.schedule_deletion(previous, actor, reason="replaced")
        for other in self._drafts(submission, but=video):
            self.schedule_deletion(other, actor, reason="replaced")

    def _drafts(self, submission: Row, but: Row | None = None) -> list[Row]:
        """The submission's drafts: ready videos that are not its current one (nor ``but``)."""
        return [
            v
            for v in self.repo.videos(submission_id=submission.id, statuses=(VideoStatus.READY,), for_update=True)
            if v.id != submission.current_video_id and (but is None or v.id != but.id)
        ]

    def make_current(self, submission: Row, video_id: int, actor: Actor | None) -> dict[str, Any]:
        """Make a ready video of this submission (a draft) its current one (Moodle's ``save()``); the
        previous current video and the other drafts go to deletion. Idempotent."""
        submission = self.locked(submission)
        video = self.repo.get_video(video_id)
        if video is None or video.submission_id != submission.id:
            raise NotFound("this submission has no video with that id")
        if video.upload_status != VideoStatus.READY:
            raise Conflict(f"only a ready video can be made current; this one is {video.upload_status}")
        if submission.current_video_id != video.id or self._drafts(submission, but=video):
            self._switch_to(video, actor, draft=False)
            self.log("video_made_current", actor, video)
        return self._confirmed(video)

    def _confirmed(self, video: Row) -> dict[str, Any]:
        return {
            "current": video.submission.current_video_id == video.id,
            "status": VideoStatus.READY.value,
            "video_id": video.id,
            "s3_key": video.s3_key,
            "file_size": video.file_size,
            "mime_type": video.mime_type,
            "checksum_sha256": video.checksum_sha256,
            "checksum_type": self.checksum_type(video),
            "confirmed_at": video.confirmed_timestamp,
        }

    # -- multipart ------------------------------------------------------------------
    def part_size(self) -> int:
        return choose_part_size(self.settings.max_upload_bytes, self.settings.multipart_part_size_bytes)

    def start_multipart(
        self,
        assignment_id: int,
        submission_id: int,
        actor: Actor,
        filename: str,
        size: int,
        mime_type: str,
        fingerprint: str | None = None,
    ) -> dict[str, Any]:
        self.check_limits(size, mime_type)
        submission = self.ensure_submission(assignment_id, submission_id, actor)
        part_size = self.part_size()
        now = self.now()
        if fingerprint:
            for video in self.repo.videos(
                submission_id=submission.id, statuses=(VideoStatus.UPLOADING,), fingerprint=fingerprint
            ):
                if (
                    video.declared_size == size
                    and video.mime_type == mime_type
                    and video.upload_expires_timestamp > now
                ):
                    self.log("multipart_resumed", actor, video)
                    return self._multipart_answer(video, part_size, resumed=True)
        s3_key = keys.build_s3_key(actor.user, filename, now)
        upload_id = self.storage.create_multipart_upload(s3_key, mime_type, checksum_algorithm="SHA256")
        video = self.repo.add_video(
            assignment_id=submission.assignment_id,
            submission_id=submission.id,
            user_id=self.uploader(actor, submission),
            s3_key=s3_key,
            s3_bucket=self.storage.bucket,
            upload_status=VideoStatus.UPLOADING,
            original_filename=filename[:255],
            mime_type=mime_type,
            declared_size=size,
            upload_method="multipart",
            upload_id=upload_id,
            fingerprint=fingerprint,
            upload_timestamp=now,
            upload_expires_timestamp=now + self.settings.multipart_expiry_seconds,
        )
        self.log("multipart_started", actor, video, context={"part_size": part_size})
        return self._multipart_answer(video, part_size, resumed=False)

    def _multipart_answer(self, video: Row, part_size: int, resumed: bool) -> dict[str, Any]:
        return {
            "video_id": video.id,
            "s3_key": video.s3_key,
            "upload_id": video.upload_id,
            "part_size": part_size,
            "part_count": max(1, math.ceil(video.declared_size / part_size)),
            "expires_at": video.upload_expires_timestamp,
            "checksum_algorithm": "SHA256",
            "resumed": resumed,
        }

    def _open_multipart(self, submission: Row, upload_id: str) -> Row:
        video = self._video_of(submission, upload_id=upload_id)
        if video.upload_status != VideoStatus.UPLOADING:
            raise Conflict(f"this upload is {video.upload_status}, not in progress")
        return video

    def sign_parts(
        self,
        submission: Row,
        upload_id: str,
        part_numbers: list[int],
        checksums: dict[int, str] | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        video = self._open_multipart(submission, upload_id)
        part_count = max(1, math.ceil(video.declared_size / self.part_size()))
        bad = [n for n in part_numbers if not 1 <= n <= part_count]
        if bad:
            raise InvalidInput(
                "part numbers out of range", {"part_numbers": f"each must be between 1 and {part_count}"}
            )
        expiry = self.settings.upload_expiry_seconds
        checksums = checksums or {}
        parts = [
            {
                "part_number": n,
                "url": self.storage.presigned_part_url(video.s3_key, upload_id, n, expiry, checksums.get(n)),
            }
            for n in part_numbers
        ]
        self.log("parts_signed", actor, video, context={"part_numbers": part_numbers})
        return {"parts": parts, "expires_at": self.now() + expiry}

    def list_parts(self, submission: Row, upload_id: str, actor: Actor | None = None) -> dict[str, Any]:
        video = self._open_multipart(submission, upload_id)
        parts = self.storage.list_parts(video.s3_key, upload_id)
        self.log("parts_listed", actor, video, context={"parts_held": len(parts)})
        return {"parts": [{"part_number": p.part_number, "etag": p.etag, "size": p.size_bytes} for p in parts]}

    def complete_multipart(
        self, submission: Row, upload_id: str, parts: list[tuple[int, str]], actor: Actor | None, draft: bool = False
    ) -> dict[str, Any]:
        """Total the parts S3 holds, refuse (aborting) what breaks the limits, complete, then confirm
        (as a draft with ``draft``)."""
        submission = self.locked(submission)
        video = self._video_of(submission, upload_id=upload_id)
        if video.upload_status == VideoStatus.READY:
            return self._confirmed(video)  # idempotent
        video = self._open_multipart(submission, upload_id)
        try:
            held = {p.part_number: p for p in self.storage.list_parts(video.s3_key, upload_id)}
        except NotFound:
            # S3 no longer knows the upload: an earlier complete may have succeeded and its answer been
            # lost on the way back. If the whole object is there, confirm it; otherwise it is gone.
            info = self.storage.head(video.s3_key)
            if info is None or info.size_bytes != video.declared_size:
                raise Conflict("this upload is no longer open in storage; start again") from None
            return self._accept(video, info, actor, draft)
        total = sum(p.size_bytes for p in held.values())
        if total > self.settings.max_upload_bytes or total != video.declared_size:
            error = (TooLarge if total > self.settings.max_upload_bytes else Conflict)(
                f"the parts total {total} bytes; expected {video.declared_size}"
                f" (limit {self.settings.max_upload_bytes})"
            )
            self.storage.abort_multipart_upload(video.s3_key, upload_id)
            self._refuse(video, actor, error, "size_mismatch", remove_object=False)
            raise error
        missing = [n for n, etag in parts if n not in held or held[n].etag.strip('"') != etag.strip('"')]
        if missing or len(parts) != len(held):
            raise InvalidInput(
                "the parts listed do not match what storage holds",
                {"parts": f"mismatched or missing part numbers: {missing or 'count differs'}"},
            )
        self.storage.complete_multipart_upload(video.s3_key, upload_id, held.values())
        info = self.storage.head(video.s3_key)
        if info is None:
            raise Conflict("storage did not keep the completed upload; start again")
        return self._accept(video, info, actor, draft)

    def abort_multipart(self, submission: Row, upload_id: str, actor: Actor | None) -> None:
        video = self._open_multipart(self.locked(submission), upload_id)
        self.storage.abort_multipart_upload(video.s3_key, upload_id)
        video.upload_status = VideoStatus.ERROR
        video.error_code = "cancelled"
        video.error_message = "the upload was cancelled"
        self.log("multipart_aborted", actor, video)

    # -- playback ------------------------------------------------------------------
    def playback_expiry(self, now: int) -> int:
        """``now`` + the playback lifetime, rounded up to the signing window: every call in one window
        gets the same expiry, so the signer signs a video's URL once a window (RSA costs ~0.25 ms a
        signature). A URL thus lives the configured lifetime and at most one window more."""
        expires_at = now + self.settings.playback_expiry_seconds
        window = self.settings.playback_url_window_seconds
        return -(-expires_at // window) * window if window else expires_at

    def poster_url(self, video: Row) -> str | None:
        """A signed URL of the video's poster frame (not a view: no event), or None before its probe."""
        if not video.poster_key or video.upload_status != VideoStatus.READY:
            return None
        return self.signer.sign_cached(
            resource_url(self.settings.playback_base_url, video.poster_key), self.playback_expiry(self.now())
        )

    def playback_url(self, submission: Row, actor: Actor | None, renew: bool = False) -> dict[str, Any]:
        """A signed URL of the current video; ``renew`` for one the player is already showing
        (logged as ``playback_url_renewed``, which the statistics do not count as a view)."""
        video = submission.current_video
        if video is None or video.upload_status != VideoStatus.READY:
            raise NotFound("this submission has no video to play")
        expires_at = self.playback_expiry(self.now())
        url = self.signer.sign_cached(resource_url(self.settings.playback_base_url, video.s3_key), expires_at)
        self.log("playback_url_renewed" if renew else "playback_url_issued", actor, video)
        return {
            "url": url,
            "expires_at": expires_at,
            "mime_type": video.mime_type,
            "video_id": video.id,
            "poster_url": self.poster_url(video),
            "media": media_of(video),
        }

    def served_type(self, s3_key: str) -> str | None:
        """The MIME type confirmed for the object at ``s3_key`` (what the local edge serves it as), or None;
        a poster frame is the JPEG the probe made."""
        if s3_key.startswith(keys.POSTER_PREFIX):
            return "image/jpeg"
        video = self.repo.get_video_by_key(s3_key)  # copies share their source's key, and its type
        return video.mime_type if video is not None else None

    # -- deletion ------------------------------------------------------------------
    def schedule_deletion(self, video: Row, actor: Actor | None, reason: str, retain_seconds: int = 0) -> None:
        """Mark ``deleting``; the purge comes after the grace period, or ``retain_seconds`` if longer."""
        now = self.now()
        video.upload_status = VideoStatus.DELETING
        video.delete_requested_timestamp = now
        video.purge_after_timestamp = now + max(self.settings.delete_grace_seconds, retain_seconds)
        self.log("delete_requested", actor, video, context={"reason": reason})

    def _schedule_all(
        self, videos: list[Row], submissions: list[Row], actor: Actor | None, reason: str, retain_seconds: int = 0
    ) -> dict[str, Any]:
        """Schedule live videos (current ones, drafts and unfinished uploads) and clear the submissions'
        current video, remembering it (``retained_video_id``) for a restore while it is kept."""
        for video in videos:
            if video.upload_id and video.upload_status == VideoStatus.UPLOADING:
                self.storage.abort_multipart_upload(video.s3_key, video.upload_id)
            self.schedule_deletion(video, actor, reason, retain_seconds)
        for submission in submissions:
            if submission.current_video_id is not None:
                submission.retained_video_id = submission.current_video_id
            submission.current_video_id = None
            submission.current_video = None
        return {"status": VideoStatus.DELETING.value, "scheduled": len(videos), "video_ids": [v.id for v in videos]}

    def delete_submission_video(self, submission: Row, actor: Actor | None, reason: str = "owner") -> dict[str, Any]:
        """Schedule the submission's videos (current, drafts and unfinished uploads) for deletion."""
        submission = self.locked(submission)
        videos = self.repo.videos(submission_id=submission.id, statuses=LIVE_STATUSES, for_update=True)
        return self._schedule_all(videos, [submission], actor, reason)

    def delete_assignment_videos(
        self, assignment_id: int, actor: Actor | None, reason: str = "assignment deleted", retain_seconds: int = 0
    ) -> dict[str, Any]:
        """Schedule every live video of an assignment: one query, however many submissions. With
        ``retain_seconds`` (Moodle's recycle bin) the objects stay that long, restorable by copy-from."""
        submissions = [
            self.locked(submission)  # in id order: two such calls lock the same rows in the same order
            for submission in sorted(self.repo.submissions_of_assignment(assignment_id), key=lambda s: s.id)
        ]
        videos = self.repo.videos(assignment_id=assignment_id, statuses=LIVE_STATUSES, for_update=True)
        answer = self._schedule_all(videos, submissions, actor, reason, retain_seconds)
        purge_after = self.now() + max(self.settings.delete_grace_seconds, retain_seconds)
        return {**answer, "purge_after": purge_after}

    # -- copies (Moodle's restore, course copy, import, recycle bin) -------------------------
    def source_video(self, submission: Row) -> Row | None:
        """What a copy of ``submission`` shares: its current video if ready, else the video that was
        current when its assignment (or it) was deleted, while that one's purge time has not come."""
        now = self.now()
        for video in (
            submission.current_video,
            self.repo.get_video(submission.retained_video_id) if submission.retained_video_id else None,
        ):
            if video is None or video.submission_id != submission.id or video.confirmed_timestamp is None:
                continue
            if video.upload_status == VideoStatus.READY or (
                video.upload_status == VideoStatus.DELETING and (video.purge_after_timestamp or 0) > now
            ):
                return video
        return None

    def copy_from(
        self,
        assignment_id: int,
        submission_id: int,
        actor: Actor,
        source_assignment_id: int,
        source_submission_id: int,
        user_id: int,
        group_id: int | None = None,
    ) -> dict[str, Any]:
        """Give the target submission (made if needed: course from the actor, owner ``user_id``) a ready,
        current video sharing the source's object (immutable: no copy is needed). Idempotent."""
        source = self.repo.get_submission(source_submission_id)
        if source is None or source.assignment_id != source_assignment_id:
            raise NotFound("the source submission is unknown to the sidecar")
        original = self.source_video(source)
        if original is not None:
            original = self.repo.lock_video(original.id)  # a purge claiming it waits, or has already won
        if (
            original is None
            or original.upload_status not in (VideoStatus.READY, VideoStatus.DELETING)
            or (original.upload_status == VideoStatus.DELETING and (original.purge_after_timestamp or 0) <= self.now())
        ):
            raise NotFound("the source submission has no video to copy")
        now = self.now()
        assignment = self.repo.get_assignment(assignment_id) or self.repo.add_assignment(
            assignment_id, actor.course, now
        )
        if assignment.course_id != actor.course:
            raise Forbidden(f"assignment {assignment_id} belongs to another course")
        submission = self.repo.get_submission(submission_id) or self.repo.add_submission(
            submission_id, assignment_id, user_id, now, group_id=group_id
        )
        if (
            submission.assignment_id != assignment_id
            or submission.user_id != user_id
            or submission.group_id != group_id
        ):
            raise Forbidden(f"submission {submission_id} belongs to another assignment, student or group")
        submission = self.locked(submission)
        current = submission.current_video
        if current is not None and current.upload_status == VideoStatus.READY:
            if current.s3_key == original.s3_key:
                return self.submission_state(submission)  # idempotent: this copy is made already
            raise Conflict("the target submission has another video; delete it first")
        if self.storage.head(original.s3_key) is None:
            raise Conflict("storage no longer holds the source's video")
        # Every column of the source (key, sizes, checksums, the uploader: their data), this row's own state.
        video = self.repo.add_copy_of(
            original,
            assignment_id=assignment_id,
            submission_id=submission_id,
            upload_status=VideoStatus.READY,
            upload_id=None,
            fingerprint=None,
            confirmed_timestamp=now,
            delete_requested_timestamp=None,
            purge_after_timestamp=None,
            deleted_timestamp=None,
            error_code=None,
            error_message=None,
        )
        submission.current_video_id = video.id
        submission.current_video = video
        self.log(
            "video_copied",
            actor,
            video,
            context={
                "source_video_id": original.id,
                "source_assignment_id": source_assignment_id,
                "source_submission_id": source_submission_id,
            },
        )
        return self.submission_state(submission)

    # -- the grading table's thumbnails (one call a page) ------------------------------
    def posters(self, assignment_id: int, submission_ids: list[int]) -> dict[str, Any]:
        """For each asked submission, in the order asked: its current video's signed poster URL and the
        probe's short facts. Two queries whatever the count; nothing written, no event (not a view). An id
        that is not a submission of this assignment with a current video is ``"status": "empty"``."""
        asked = set(submission_ids)
        current = {
            s.id: s.current_video_id
            for s in self.repo.submissions_of_assignment(assignment_id)
            if s.id in asked and s.current_video_id is not None
        }
        wanted = set(current.values())
        videos = {
            v.id: v
            for v in self.repo.videos(assignment_id=assignment_id, statuses=(VideoStatus.READY, VideoStatus.ERROR))
            if v.id in wanted
        }
        answers: list[dict[str, Any]] = []
        for submission_id in submission_ids:
            video_id = current.get(submission_id)
            video = videos.get(video_id) if video_id is not None else None
            if video is None:
                answers.append(
                    {
                        "submission_id": submission_id,
                        "status": "empty",
                        "video_id": None,
                        "poster_url": None,
                        "duration": None,
                        "media": None,
                        "error": None,
                    }
                )
                continue
            answers.append(
                {
                    "submission_id": submission_id,
                    "status": str(video.upload_status),
                    "video_id": video.id,
                    "poster_url": self.poster_url(video),
                    "duration": video.duration,
                    "media": media_of(video),
                    "error": video.error_message,
                }
            )
        return {"assignment_id": assignment_id, "expires_at": self.playback_expiry(self.now()), "posters": answers}
