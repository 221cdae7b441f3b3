"""The background jobs' logic: cleanup, reconciliation, retention, restore, and the audit.

:class:`Maintenance` runs over a :class:`~s3video_sidecar.sdk.service.VideoService`
(whose repository is the jobs' repository, ``models/maintenance.py`` in the app), its
storage, and an optional CDN invalidator (``sdk/invalidation.py``). It imports neither
Pyramid nor huey: the worker's tasks, ``s3video-admin`` and a notebook call it alike.

Rules:

- An object is deleted only for a row marked ``deleting`` whose grace period is over,
  for a row already ``deleted`` (an upload that landed after its deletion), or - when
  ``s3video.jobs.delete_orphans`` allows - for an object no row names that is older than
  the longest upload window. Never for an object a live or ``deleting`` row names.
- Copies share their source's object (reference counting by key): a due row whose key
  another row still needs (live, or ``deleting`` before its purge time) becomes ``deleted``
  and the object stays; the last row to go takes the object with it.
- The periodic cleanup also expires drafts: a ``ready`` video that is not its submission's
  current one, confirmed more than ``s3video.draft_expiry_seconds`` ago, goes to ``deleting``.
- Deletion runs DeleteObjects (1,000 keys a call) -> CloudFront invalidation (when
  configured) -> row ``deleted`` with its timestamp. Each step is idempotent (deleting a
  missing key succeeds; an invalidation batch is sent once), so a run cut short anywhere
  leaves the rows ``deleting`` and the next run finishes them: huey runs a task at most
  once, and the ``deleting`` row is the durable marker that survives it.
- A job that changes which of a submission's videos is current or a draft (expiring a draft, settling
  a late upload, restoring) first takes the submission's lock, as the API's calls do, and decides on
  its rows as committed then; the claims' jobs skip a submission a request holds (the next run takes
  it), so a job never waits on a request while holding rows the request waits for.
- Rows are claimed a chunk at a time (``FOR UPDATE SKIP LOCKED`` where the database has
  it) and each chunk is committed (``checkpoint``) before the next.
- An upload whose window has passed but whose object arrived is confirmed through the very
  checks of the confirm API (:meth:`VideoService.confirm_upload`), unless a newer video
  has become current meanwhile; beside a current video it is confirmed as a draft (only the
  student's save replaces a submitted video).
- A staging object (``uploads/``, where POST uploads land before confirm copies them) is
  removed once it is older than the upload window and no ``pending`` row waits for it: a
  confirmed, refused or deleted upload never needs its staging bytes again (a re-POST of
  a confirmed upload's fields lands there, and goes). The bucket's lifecycle rule
  (``aws_setup``) expires ``uploads/`` after a day as a backstop.
- Storage or CloudFront being unavailable ends the step, not the job: what is left waits
  for the next run, and the job's event names the error.
- Every job writes one ``job_<name>`` event: what it did (counts), how long (``duration``,
  ms), and its errors; each video it changes gets its own event as well.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from . import keys, media
from .domain import Actor, VideoStatus
from .errors import Conflict, NotFound, TooLarge, Unavailable, UnsupportedType
from .ports import JobSettings, MaintenanceRepository, Row, Storage, VideoSettings
from .privacy import PrivacyService
from .service import VideoService
from .storage import DELETE_BATCH_SIZE

DAY = 86400
JOBS = ("cleanup", "reconcile", "retention", "probe")
PROBE_CHUNK = 20  # videos probed between two commits (each costs ranged reads and a decode)
LISTED_ITEMS = 50  # items a job event lists (dry runs, unreferenced objects); the report keeps them all
Claim = Callable[[int, int, bool], list[Row]]  # (limit, after id, lock) -> rows


def longest_upload_window_seconds(settings: VideoSettings) -> int:
    """How long after its row was created an object may still arrive: the longer upload window
    (POST or multipart) plus one presigned URL's lifetime (a part URL signed at the last moment)."""
    return max(settings.upload_expiry_seconds, settings.multipart_expiry_seconds) + settings.upload_expiry_seconds


@dataclass
class JobReport:
    job: str
    dry_run: bool = False
    counts: Counter[str] = field(default_factory=Counter)  # zeros are dropped from events and logs
    errors: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)  # what a dry run would change; unreferenced objects
    duration_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "dry_run": self.dry_run,
            "counts": dict(self.counts),
            "errors": self.errors,
            "items": self.items,
            "duration_ms": self.duration_ms,
        }


def _item(video: Row, **extra: Any) -> dict[str, Any]:
    return {
        "video_id": video.id,
        "s3_key": video.s3_key,
        "status": str(video.upload_status),
        "uploaded_at": video.upload_timestamp,
        **extra,
    }


class Maintenance:
    def __init__(
        self,
        videos: VideoService,
        invalidator: Any = None,
        *,
        checkpoint: Callable[[], None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """``videos``: the VideoService, over the jobs' repository (a ``MaintenanceRepository``: the app's
        ``SqlMaintenanceRepository``); ``checkpoint()`` commits a chunk; ``progress(n)`` counts work done."""
        self.videos = videos
        self.repo = cast(MaintenanceRepository, videos.repo)
        self.storage = videos.storage
        self.settings = cast(JobSettings, videos.settings)
        self.invalidator = invalidator
        self.checkpoint = checkpoint or (lambda: None)
        self.progress = progress or (lambda count: None)

    @contextmanager
    def _job(self, name: str, dry_run: bool) -> Iterator[JobReport]:
        report = JobReport(name, dry_run)
        started = time.monotonic()
        yield report
        report.duration_ms = int((time.monotonic() - started) * 1000)
        self.videos.log(
            f"job_{name}",
            None,
            duration=report.duration_ms,
            error_code="job_errors" if report.errors else None,
            error_message="; ".join(report.errors)[:2000] or None,
            context={"counts": dict(+report.counts), "dry_run": dry_run, "items": report.items[:LISTED_ITEMS]},
        )

    def _pages(self, claim: Claim, dry_run: bool) -> Iterator[list[Row]]:
        """Chunks of rows from ``claim(limit, after_id, lock)``, each committed before the next is claimed."""
        after_id = 0
        while True:
            chunk = claim(DELETE_BATCH_SIZE, after_id, not dry_run)
            if not chunk:
                return
            yield chunk
            if not dry_run:
                self.checkpoint()
            self.progress(len(chunk))
            if len(chunk) < DELETE_BATCH_SIZE:
                return
            after_id = chunk[-1].id

    # -- cleanup: purge due deletions ----------------------------------------------------
    def cleanup(self, video_ids: Iterable[int] | None = None, dry_run: bool = False) -> JobReport:
        """Purge the ``deleting`` rows whose grace period is over (only ``video_ids``, if given); the
        periodic run (no ``video_ids``) first schedules the expired drafts."""
        with self._job("cleanup", dry_run) as report:
            if video_ids is None:
                self._expire_drafts(report, dry_run)
            self._purge_due(report, video_ids, dry_run)
        return report

    def _expire_drafts(self, report: JobReport, dry_run: bool) -> None:
        cutoff = self.videos.now() - self.settings.draft_expiry_seconds

        def claim(limit: int, after_id: int, lock: bool) -> list[Row]:
            return self.repo.drafts_confirmed_before(cutoff, limit, after_id, lock)

        for chunk in self._pages(claim, dry_run):
            if dry_run:
                report.counts["would_expire_drafts"] += len(chunk)
                report.items += [_item(video, action="expire draft") for video in chunk]
                continue
            for video in chunk:
                # The submission's lock, then its rows again: a save (make-current) may have made this draft
                # current since the claim read it. A submission a request holds waits for the next run.
                submission = self.repo.lock_submission(video.submission_id, skip_locked=True)
                if submission is None:
                    report.counts["drafts_submission_busy"] += 1
                elif video.upload_status == VideoStatus.READY and submission.current_video_id != video.id:
                    self.videos.schedule_deletion(video, None, reason="draft expired")
                    report.counts["drafts_expired"] += 1

    def _purge_due(self, report: JobReport, video_ids: Iterable[int] | None, dry_run: bool) -> None:
        now = self.videos.now()

        def claim(limit: int, after_id: int, lock: bool) -> list[Row]:
            return self.repo.videos_due_for_purge_after(now, limit, after_id, video_ids, lock)

        for chunk in self._pages(claim, dry_run):
            if dry_run:
                report.counts["would_delete"] += len(chunk)
                report.items += [_item(video) for video in chunk]
            else:
                try:
                    self.purge(chunk, report)
                except Unavailable as error:
                    report.errors.append(error.message)
                    report.counts["left_deleting"] += len(chunk)
                    return  # storage is down: the next run takes these and the rest
        if not dry_run:
            report.counts["erased_rows_forgotten"] += PrivacyService(self.repo, self.videos).forget_erased()

    def purge(self, videos: list[Row], report: JobReport) -> None:
        """The deletion pipeline for ``deleting`` rows (at most 1,000): delete, invalidate, mark. An
        object another row still needs (a copy's) stays; its row here is marked all the same."""
        needed = self.repo.keys_still_needed(
            {video.s3_key for video in videos}, self.videos.now(), [video.id for video in videos]
        )
        shared = [video for video in videos if video.s3_key in needed]
        deleted = self.delete_objects([video for video in videos if video.s3_key not in needed], report)
        if deleted and self.invalidator is not None:
            report.counts["invalidations"] += self.invalidator.invalidate({video.s3_key for video in deleted})
        self.mark_deleted(deleted, report)
        self.mark_deleted(shared, report, object_kept=True)

    def delete_objects(self, videos: list[Row], report: JobReport) -> list[Row]:
        """Step 1: one DeleteObjects call; return the videos whose object is gone (failures stay ``deleting``)."""
        if not videos:
            return []
        by_key: dict[str, list[Row]] = {}
        for video in videos:
            by_key.setdefault(video.s3_key, []).append(video)
        posters = {video.poster_key for video in videos if video.poster_key}  # a poster goes with its video
        deleted_keys, failed_keys = self.storage.delete_many([*by_key, *sorted(posters)])
        failed_keys = {key: code for key, code in failed_keys.items() if key in by_key}
        for key, code in failed_keys.items():
            for video in by_key[key]:
                self.videos.log(
                    "delete_failed",
                    None,
                    video,
                    error_code=code,
                    error_message="storage refused the delete; it will be retried",
                )
        report.counts["delete_failed"] += sum(len(by_key[key]) for key in failed_keys)
        return [video for key in deleted_keys for video in by_key.get(key, ())]

    def mark_deleted(self, videos: list[Row], report: JobReport, object_kept: bool = False) -> None:
        """Last step: the rows whose objects are gone (and invalidated) become ``deleted``; with
        ``object_kept``, rows whose object another row still needs."""
        now = self.videos.now()
        for video in videos:
            video.upload_status = VideoStatus.DELETED
            video.deleted_timestamp = now
            self.videos.log(
                "video_deleted",
                None,
                video,
                context={"object_kept": "another video shares it"} if object_kept else None,
            )
        report.counts["deleted"] += len(videos)
        if object_kept:
            report.counts["objects_kept_shared"] += len(videos)

    # -- media probe ------------------------------------------------------------------------
    def probe(self, video_ids: Iterable[int] | None = None, dry_run: bool = False) -> JobReport:
        """Probe the ``ready`` videos not probed yet (only ``video_ids``, if given): findings and poster."""
        with self._job("probe", dry_run) as report:

            def claim(limit: int, after_id: int, lock: bool) -> list[Row]:
                return self.repo.unprobed_ready_videos(min(limit, PROBE_CHUNK), after_id, video_ids, lock)

            after_id = 0
            while chunk := claim(PROBE_CHUNK, after_id, not dry_run):
                after_id = chunk[-1].id
                if dry_run:
                    report.counts["would_probe"] += len(chunk)
                    report.items += [_item(video) for video in chunk]
                    continue
                for video in chunk:
                    try:
                        item = media.probe_video(self.videos, video)
                    except Unavailable as error:
                        report.errors.append(error.message)
                        return report  # storage is down: the next run takes these
                    report.counts["probed"] += 1
                    report.counts["bytes_read"] += item["bytes_read"]
                    report.counts["posters"] += bool(item["poster_bytes"])
                    report.counts["unplayable"] += not item["playable"]
                    report.items.append(item)
                self.checkpoint()
                self.progress(len(chunk))
        return report

    # -- reconciliation -------------------------------------------------------------------
    def reconcile(self, dry_run: bool = False) -> JobReport:
        """Settle expired uploads, abort stale multipart uploads, sweep objects, finish due deletions
        (last, so what the steps before marked without a grace period goes in the same run)."""
        with self._job("reconcile", dry_run) as report:
            for step in (
                self._settle_expired_uploads,
                self._abort_stale_multipart_uploads,
                self._sweep_objects,
                self._sweep_staging,
            ):
                try:
                    step(report, dry_run)
                except Unavailable as error:
                    report.errors.append(error.message)
            self._purge_due(report, None, dry_run)
        return report

    def _settle_expired_uploads(self, report: JobReport, dry_run: bool) -> None:
        # The window plus one URL's lifetime: a POST begun just before its policy expired may still be arriving.
        cutoff = self.videos.now() - self.settings.upload_expiry_seconds

        def claim(limit: int, after_id: int, lock: bool) -> list[Row]:
            return self.repo.expired_uploads(cutoff, limit, after_id, lock)

        for chunk in self._pages(claim, dry_run):
            for video in chunk:
                if dry_run:
                    report.counts["would_settle"] += 1
                    report.items.append(_item(video, action="confirm if arrived, else abandon"))
                else:
                    report.counts[self._settle_upload(video)] += 1

    def _settle_upload(self, video: Row) -> str:
        """Confirm an expired upload whose object arrived (the confirm API's checks), else abandon it."""
        if not self.videos.arrived(video):
            if video.upload_id:
                self.storage.abort_multipart_upload(video.s3_key, video.upload_id)
            video.upload_status = VideoStatus.ERROR
            video.error_code = "abandoned"
            video.error_message = "the upload window closed before the video arrived"
            self.videos.log("upload_abandoned", None, video, error_code="abandoned", error_message=video.error_message)
            return "abandoned"
        # The submission's lock, then its current video as committed: a request making another video current
        # meanwhile is waited for, never overtaken. A submission a request holds waits for the next run.
        if self.repo.lock_submission(video.submission_id, skip_locked=True) is None:
            return "submission_busy"
        current = video.submission.current_video
        if current is not None and (current.upload_timestamp, current.id) > (video.upload_timestamp, video.id):
            self.videos.schedule_deletion(video, None, reason="late upload superseded by a newer video")
            return "superseded"
        try:  # beside a current video, a draft: nothing replaces a submitted video without the student's save
            self.videos.confirm_upload(video.submission, video.s3_key, None, draft=current is not None)
        except (TooLarge, UnsupportedType, Conflict):
            return "refused"  # the service marked the row and deleted the object, as the API does
        return "confirmed_late"

    def _abort_stale_multipart_uploads(self, report: JobReport, dry_run: bool) -> None:
        cutoff = self.videos.now() - self.settings.jobs_multipart_abort_after_seconds
        stale = [
            upload
            for upload in self.storage.list_multipart_uploads(keys.PREFIX)
            if upload["Initiated"].timestamp() <= cutoff
        ]
        rows = self.repo.videos_by_upload_ids(upload["UploadId"] for upload in stale)
        for upload in stale:
            video = rows.get(upload["UploadId"])
            if video is not None and video.upload_status == VideoStatus.UPLOADING:
                continue  # a row still owns it: settled (and aborted) once its own window has passed
            if dry_run:
                report.counts["would_abort_multipart"] += 1
                report.items.append({"s3_key": upload["Key"], "action": "abort multipart upload"})
                continue
            self.storage.abort_multipart_upload(upload["Key"], upload["UploadId"])
            self.videos.log("multipart_aborted", None, video, s3_key=upload["Key"], context={"reason": "stale"})
            report.counts["multipart_aborted"] += 1

    def _sweep_objects(self, report: JobReport, dry_run: bool) -> None:
        """Objects under the videos prefix that no live row explains."""
        # List before reading rows: a row is committed before its upload URL exists, so every
        # listed object's row (if any) is visible to the query that follows.
        listed = list(self.storage.list_keys(keys.PREFIX))
        rows = self.repo.videos_by_keys(obj["Key"] for obj in listed)
        old_enough = self.videos.now() - longest_upload_window_seconds(self.settings)
        to_delete, leftovers = [], []
        for obj in listed:
            key, video = obj["Key"], rows.get(obj["Key"])
            old = obj["LastModified"].timestamp() <= old_enough
            if video is None:
                report.counts["unreferenced"] += 1
                report.items.append(
                    {
                        "s3_key": key,
                        "size": obj["Size"],
                        "last_modified": int(obj["LastModified"].timestamp()),
                        "action": "unreferenced",
                    }
                )
                if old and self.settings.jobs_delete_orphans:
                    to_delete.append(key)
            elif video.upload_status == VideoStatus.DELETED:
                to_delete.append(key)  # landed after its row was deleted (a late POST)
            elif video.upload_status == VideoStatus.ERROR and old:
                leftovers.append(video)  # a refused or abandoned upload's bytes
        report.counts["objects_seen"] = len(listed)
        if dry_run:
            report.counts["would_delete_objects"] += len(to_delete)
            report.counts["would_schedule_leftovers"] += len(leftovers)
            return
        for video in leftovers:
            self.videos.schedule_deletion(video, None, reason="object left by a refused or abandoned upload")
        report.counts["leftovers_scheduled"] += len(leftovers)
        # Look again just before deleting: never an object that a row not yet deleted names.
        again = self.repo.videos_by_keys(to_delete)
        to_delete = [key for key in to_delete if key not in again or again[key].upload_status == VideoStatus.DELETED]
        for start in range(0, len(to_delete), DELETE_BATCH_SIZE):
            deleted, _failed = self.storage.delete_many(to_delete[start : start + DELETE_BATCH_SIZE])
            for key in deleted:
                self.videos.log(
                    "object_deleted",
                    None,
                    again.get(key),
                    s3_key=key,
                    context={"reason": "no live row" if key not in again else "row already deleted"},
                )
            report.counts["objects_deleted"] += len(deleted)

    def _sweep_staging(self, report: JobReport, dry_run: bool) -> None:
        """Staging objects older than the upload window whose upload no ``pending`` row still waits for."""
        listed = list(self.storage.list_keys(keys.STAGING_PREFIX))
        old_enough = self.videos.now() - self.settings.upload_expiry_seconds
        old = [obj["Key"] for obj in listed if obj["LastModified"].timestamp() <= old_enough]
        rows = self.repo.videos_by_keys(keys.final_key(key) for key in old)
        to_delete = [
            key
            for key in old
            if (row := rows.get(keys.final_key(key))) is None or row.upload_status != VideoStatus.PENDING
        ]
        report.counts["staging_seen"] = len(listed)
        if dry_run:
            report.counts["would_delete_staging"] += len(to_delete)
            return
        for start in range(0, len(to_delete), DELETE_BATCH_SIZE):
            deleted, _failed = self.storage.delete_many(to_delete[start : start + DELETE_BATCH_SIZE])
            for key in deleted:
                self.videos.log(
                    "object_deleted",
                    None,
                    rows.get(keys.final_key(key)),
                    s3_key=key,
                    context={"reason": "staging copy no pending upload needs"},
                )
            report.counts["staging_deleted"] += len(deleted)

    # -- retention ----------------------------------------------------------------------------
    def retention(self, dry_run: bool | None = None, days: int | None = None) -> JobReport:
        """Schedule for deletion the videos uploaded more than ``days`` ago (``s3video.retention.days``)."""
        days = self.settings.retention_days if days is None else days
        dry_run = self.settings.retention_dry_run if dry_run is None else dry_run
        with self._job("retention", dry_run) as report:
            if days <= 0:
                return report
            cutoff = self.videos.now() - days * DAY

            def claim(limit: int, after_id: int, lock: bool) -> list[Row]:
                return self.repo.ready_videos_uploaded_before(cutoff, limit, after_id, lock)

            for chunk in self._pages(claim, dry_run):
                if dry_run:
                    report.counts["would_schedule"] += len(chunk)
                    report.items += [_item(video, file_size=video.file_size) for video in chunk]
                    continue
                for video in chunk:
                    submission = video.submission
                    if submission.current_video_id == video.id:
                        submission.current_video_id = None
                        submission.current_video = None
                    self.videos.schedule_deletion(video, None, reason=f"retention ({days} days)")
                report.counts["scheduled"] += len(chunk)
        return report

    # -- restore -------------------------------------------------------------------------------
    def restore_video(self, video_id: int, actor: Actor | None = None) -> dict[str, Any]:
        """Bring a ``deleting`` video back while its grace period lasts; it becomes current again.

        Refused (Conflict) when it was never confirmed, the grace period is over, the submission
        has another current video, or storage no longer holds the object.
        """
        video = self.repo.get_video(video_id)
        if video is None:
            raise NotFound("no such video")
        self.videos.locked(video.submission)  # the row as committed now: a purge holding it is waited for
        if video.upload_status != VideoStatus.DELETING:
            raise Conflict(f"only a deleted video can be restored; this one is {video.upload_status}")
        if video.confirmed_timestamp is None:
            raise Conflict("this upload was never confirmed: there is nothing to restore")
        if (video.purge_after_timestamp or 0) <= self.videos.now():
            raise Conflict("the grace period is over: the video is being purged")
        submission = video.submission
        if submission.current_video_id not in (None, video.id):
            raise Conflict(f"the submission has a newer video ({submission.current_video_id}); delete it first")
        if self.storage.head(video.s3_key) is None:
            raise Conflict("storage no longer holds this video")
        video.upload_status = VideoStatus.READY
        video.delete_requested_timestamp = None
        video.purge_after_timestamp = None
        submission.current_video_id = video.id
        submission.current_video = video
        self.videos.log("video_restored", actor, video)
        return self.videos.describe(video)


# -- the consistency audit -------------------------------------------------------------------
@dataclass
class Audit:
    """What storage and the rows disagree about. ``ok`` when every list is empty."""

    lost: list[str] = field(default_factory=list)  # ready (or restorable) rows whose object is gone
    dangling: list[str] = field(default_factory=list)  # due ``deleting`` rows whose object is gone: not yet marked
    resurrected: list[str] = field(default_factory=list)  # ``deleted`` rows whose object is still there
    leaked: list[str] = field(default_factory=list)  # ``error`` rows whose object is still there
    orphans: list[str] = field(default_factory=list)  # objects no row names

    @property
    def ok(self) -> bool:
        return not any(self.counts().values())

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("lost", "dangling", "resurrected", "leaked", "orphans")}


def audit(
    repository: MaintenanceRepository, storage: Storage, now: int | None = None, prefix: str = keys.PREFIX
) -> Audit:
    """Compare the rows whose keys start with ``prefix`` with the objects storage holds there. Rows
    sharing a key (copies) share its object: a ``deleted`` or ``error`` row's object may stay while
    another row of the key may still hold it."""
    now = int(time.time()) if now is None else now
    objects = {obj["Key"] for obj in storage.list_keys(prefix)}
    result = Audit()
    states: dict[str, list[tuple[str, int | None]]] = {}
    for key, status, purge_after in repository.key_states(prefix):
        states.setdefault(key, []).append((status, purge_after))
    for key, rows in states.items():
        present = key in objects
        held = any(status not in (VideoStatus.DELETED, VideoStatus.ERROR) for status, _ in rows)
        for status, purge_after in rows:
            if status == VideoStatus.READY and not present:
                result.lost.append(key)
            elif status == VideoStatus.DELETING and not present:
                (result.lost if (purge_after or 0) > now else result.dangling).append(key)
            elif status == VideoStatus.DELETED and present and not held:
                result.resurrected.append(key)
            elif status == VideoStatus.ERROR and present and not held:
                result.leaked.append(key)
    result.orphans = sorted(objects - states.keys())
    return result
