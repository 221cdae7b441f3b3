"""Data-subject requests: export what the sidecar holds about a user, erase a user, erase
some (or all) users of an assignment. What the Moodle stub's privacy provider calls.

Rules:

- Export: the user's submissions and videos (every status), the events by them or about
  their videos (other people's ids left out), and a short-lived signed download link for
  each video storage still holds.
- Erase: the user's videos go through the video service's deletion marking (``deleting``,
  due at once: an erasure has no grace period), so the purge job removes the objects
  exactly as for any deletion; meanwhile their rows keep only what the purge needs (the
  key) under the placeholder user id 0 (``ERASED_USER_ID``), and their submissions move
  to it too. Events by the user or about their videos lose the user id, the video id,
  the key and the context: the event log keeps its counts, not the person.
- :meth:`PrivacyService.forget_erased` deletes the rows of erased videos once purged
  (and anonymises the purge's own events); every erase call runs it, and so should the
  job that purges.
- A copy elsewhere (another assignment's row sharing the key: a restore, a course copy) is
  another context: its object stays while it needs it (the purge counts references), and its
  events keep the key.
- Nothing about anybody else changes. The privacy calls' own events name the admin, never
  the data subject, so an erasure leaves no trace of whom it erased.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .cdn import resource_url
from .domain import ERASED_USER_ID, Actor, VideoStatus
from .events import describe_event
from .ports import OperationsRepository
from .service import VideoService

ERASED_FILENAME = "erased"


class PrivacyService:
    def __init__(
        self,
        repository: OperationsRepository,
        videos: VideoService,
        rate_limiter: Any = None,
        link_expiry_seconds: int = 900,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``videos`` is the VideoService over the same repository (its storage, signer and log)."""
        self.repo = repository
        self.videos = videos
        self.rate_limiter = rate_limiter
        self.link_expiry_seconds = link_expiry_seconds
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    # -- export --------------------------------------------------------------------
    def export_user(self, user_id: int, actor: Actor, assignment_id: int | None = None) -> dict[str, Any]:
        now = self.now()
        expires_at = now + self.link_expiry_seconds
        videos = self.repo.videos(user_id=user_id, assignment_id=assignment_id)
        submissions = self.repo.submissions_of_user(user_id, assignment_id)
        events = [describe_event(e) for e in self.repo.events_about(user_id, [v.id for v in videos], assignment_id)]
        for event in events:
            if event["user_id"] != user_id:
                event["user_id"] = None  # someone else acting on the user's video
        exported_videos = []
        for video in videos:
            entry = {
                **self.videos.describe(video),
                "assignment_id": video.assignment_id,
                "submission_id": video.submission_id,
                "download_url": None,
            }
            stored = video.upload_status in (VideoStatus.READY, VideoStatus.DELETING)
            if stored and video.confirmed_timestamp is not None:
                entry["download_url"] = self.videos.signer.sign(
                    resource_url(self.videos.settings.playback_base_url, video.s3_key), expires_at
                )
            exported_videos.append(entry)
        self.videos.log(
            "privacy_exported",
            actor,
            assignment_id=assignment_id,
            context={"videos": len(videos), "events": len(events)},
        )
        return {
            "user_id": user_id,
            "assignment_id": assignment_id,
            "generated_at": now,
            "links_expire_at": expires_at,
            "submissions": [
                {
                    "assignment_id": s.assignment_id,
                    "submission_id": s.id,
                    "created_at": s.created_timestamp,
                    "current_video_id": s.current_video_id,
                }
                for s in submissions
            ],
            "videos": exported_videos,
            "events": events,
        }

    # -- erase ---------------------------------------------------------------------
    def erase_user(self, user_id: int, actor: Actor, assignment_id: int | None = None) -> dict[str, Any]:
        """Erase the user (in one assignment, if given); the purge job finishes in storage."""
        if assignment_id is None and self.rate_limiter is not None:
            # The counters' keys name the user. First, before this transaction writes: the
            # store commits on its own, and on SQLite it would wait for this one's lock.
            self.rate_limiter.forget_user(user_id)
        result = self._erase(user_id, actor, assignment_id)
        self.videos.log(
            "privacy_erased",
            actor,
            assignment_id=assignment_id,
            context={
                "scope": "user" if assignment_id is None else "assignment",
                "users": 1,
                "videos": result["videos"],
            },
        )
        self.forget_erased()
        return {"status": "erasing" if result["videos"] else "erased", **result}

    def erase_assignment_users(self, assignment_id: int, user_ids: list[int] | None, actor: Actor) -> dict[str, Any]:
        """Erase these users' data in the assignment (all its users when ``user_ids`` is None)."""
        if user_ids is None:
            user_ids = self.repo.user_ids_of_assignment(assignment_id)
        totals = {"videos": 0, "events_anonymised": 0}
        for user_id in dict.fromkeys(user_ids):
            result = self._erase(user_id, actor, assignment_id)
            totals = {name: totals[name] + result[name] for name in totals}
        self.videos.log(
            "privacy_erased",
            actor,
            assignment_id=assignment_id,
            context={"scope": "assignment", "users": len(user_ids), "videos": totals["videos"]},
        )
        self.forget_erased()
        return {
            "status": "erasing" if totals["videos"] else "erased",
            "assignment_id": assignment_id,
            "users": len(user_ids),
            **totals,
        }

    def _erase(self, user_id: int, actor: Actor, assignment_id: int | None) -> dict[str, Any]:
        now = self.now()
        videos = self.repo.videos(user_id=user_id, assignment_id=assignment_id)
        ids, keys = [v.id for v in videos], [v.s3_key for v in videos]
        for submission in self.repo.submissions_of_user(user_id, assignment_id):
            self.videos.delete_submission_video(submission, actor, reason="privacy")  # its live videos
            submission.user_id = ERASED_USER_ID
        for video in videos:
            if video.upload_status not in (VideoStatus.DELETING, VideoStatus.DELETED):
                self.videos.schedule_deletion(video, actor, "privacy")  # refused uploads may have left bytes
            if video.upload_status == VideoStatus.DELETING:
                video.purge_after_timestamp = now  # no grace period for an erasure
            video.user_id = ERASED_USER_ID
            video.original_filename = ERASED_FILENAME
            video.fingerprint = video.checksum_sha256 = video.error_message = None
        # Last: the deletion events just written name the keys too. A key a copy elsewhere still names
        # (another assignment's row) stays in that row's events: the row keeps it anyway.
        shared = self.repo.keys_named_by_others(keys, ids)
        keys = [key for key in keys if key not in shared]
        anonymised = self.repo.anonymise_events(user_id, ids, keys, assignment_id)
        return {"videos": len(videos), "events_anonymised": anonymised}

    def forget_erased(self) -> int:
        """Delete the rows of erased users' videos whose objects are purged; return how many."""
        videos = self.repo.erased_videos_purged()
        if videos:
            ids, keys = [v.id for v in videos], [v.s3_key for v in videos]
            shared = self.repo.keys_named_by_others(keys, ids)
            self.repo.anonymise_events(None, ids, [key for key in keys if key not in shared])
        self.repo.forget_videos(videos)
        return len(videos)
