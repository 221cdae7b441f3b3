"""The consistency audit run after every fault and after the load test.

It compares the database with the bucket and returns the problems it finds, as sentences
(empty when all is well). The rules are the video lifecycle's (``models/video.py``):

- a submission's current video belongs to it and is ``ready``; besides it, a submission holds
  at most one other ``ready`` video, its draft (a replaced video or a superseded draft must
  have gone to ``deleting``);
- a ``ready`` video's object exists, with the size the row records and the SHA-256 the row
  records (the submission receipt; one HeadObject with ``ChecksumMode`` per ready video):
  what is played is what was confirmed;
- a ``deleted`` video's object is gone;
- every object under ``videos/`` belongs to a row that may still hold it (``pending``,
  ``uploading``, ``ready``, ``deleting``), unless it is younger than ``grace_seconds``
  (an upload may land while its row is being refused); rows may share a key (copies share
  their source's object), and a ``deleted`` row's object may stay while another row holds it;
- every staging object (``uploads/``) belongs to a ``pending`` row, unless it is younger
  than ``grace_seconds``: confirm deletes it, a refusal deletes it;
- every multipart upload S3 holds open belongs to an ``uploading`` row.

Objects are listed once; only ready videos get a HeadObject each (their checksum), so it
stays quick after a load test.
Where the jobs' own audit (``sdk/maintenance.audit``, the one ``s3video-admin`` runs) is
there, its findings are added too (all but "dangling", see below): both must be clean.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from s3video_sidecar.models import Submission, Video
from s3video_sidecar.sdk import keys

try:  # the jobs' audit, where this version of the sidecar has it
    from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
    from s3video_sidecar.sdk.maintenance import audit as jobs_audit
except ImportError:  # pragma: no cover - older trees
    jobs_audit = None

MAY_HOLD_OBJECT = {"pending", "uploading", "ready", "deleting"}


def integrity_problems(video, storage) -> list[str]:
    """A ready video's object must hold the SHA-256 recorded at confirm (its receipt), of the receipt's kind."""
    if not video.checksum_sha256:
        return [f"video {video.id} is ready without a recorded SHA-256 (no receipt)"]
    expected_type = "composite" if video.upload_method == "multipart" else "full_object"
    composite = "-" in video.checksum_sha256
    if composite != (expected_type == "composite"):
        return [f"video {video.id}: receipt {video.checksum_sha256} is not a {expected_type} checksum"]
    info = storage.head(video.s3_key)
    if info is None:
        return [f"video {video.id} is ready but its object {video.s3_key} is missing"]
    if info.checksum_sha256 != video.checksum_sha256:
        return [
            f"video {video.id}: the object's SHA-256 is {info.checksum_sha256}, the receipt says "
            f"{video.checksum_sha256}: the played bytes are not the confirmed ones"
        ]
    return []


def audit(session_factory, storage, *, grace_seconds: int = 0, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    problems: list[str] = []
    session = session_factory()
    try:
        videos = {video.id: video for video in session.scalars(select(Video))}
        submissions = list(session.scalars(select(Submission)))
    finally:
        session.close()
    objects = {item["Key"]: item for item in storage.list_keys(keys.PREFIX)}
    staged = {item["Key"]: item for item in storage.list_keys(keys.STAGING_PREFIX)}
    by_key: dict[str, list] = {}
    for video in videos.values():
        by_key.setdefault(video.s3_key, []).append(video)

    def held_by_another_row(key: str) -> bool:
        return any(str(row.upload_status) in MAY_HOLD_OBJECT for row in by_key.get(key, ()))

    current_ids = set()
    for submission in submissions:
        if submission.current_video_id is None:
            continue
        current_ids.add(submission.current_video_id)
        video = videos.get(submission.current_video_id)
        if video is None or video.submission_id != submission.id:
            problems.append(
                f"submission {submission.id}: current video {submission.current_video_id} is not one of its videos"
            )
        elif str(video.upload_status) != "ready":
            problems.append(f"submission {submission.id}: current video {video.id} is {video.upload_status}")

    drafts: dict[int, list[int]] = {}
    for video in videos.values():
        status = str(video.upload_status)
        held = objects.get(video.s3_key)
        if status == "ready":
            if video.id not in current_ids:
                drafts.setdefault(video.submission_id, []).append(video.id)
            if held is None:
                problems.append(f"video {video.id} is ready but its object {video.s3_key} is missing")
            elif held["Size"] != video.file_size:
                problems.append(
                    f"video {video.id}: the object holds {held['Size']} bytes, the row says {video.file_size}"
                )
            else:
                problems += integrity_problems(video, storage)
        elif status == "deleted" and held is not None and not held_by_another_row(video.s3_key):
            problems.append(f"video {video.id} is deleted but its object {video.s3_key} is still there")

    for submission_id, ids in drafts.items():
        if len(ids) > 1:
            problems.append(f"submission {submission_id}: videos {sorted(ids)} are all ready beside its current one")

    for key, item in objects.items():
        if held_by_another_row(key):
            continue
        if now - item["LastModified"].timestamp() < grace_seconds:
            continue
        rows = by_key.get(key)
        owner = "no row" if not rows else ", ".join(f"video {v.id}, {v.upload_status}" for v in rows)
        problems.append(f"object {key} is not referenced by a live row ({owner})")

    if jobs_audit is not None:
        session = session_factory()
        try:
            found = jobs_audit(SqlMaintenanceRepository(session), storage, now=int(now))
        finally:
            session.close()
        for kind, count in found.counts().items():
            # "dangling" is a due deletion whose object is already gone, which the next cleanup run
            # marks deleted: the state of every deleted upload that never arrived until then.
            if count and kind != "dangling":
                problems.append(f"jobs audit: {kind}: {getattr(found, kind)[:5]}")

    for key, item in staged.items():
        rows = by_key.get(keys.final_key(key), [])
        if (
            not any(str(row.upload_status) == "pending" for row in rows)
            and now - item["LastModified"].timestamp() >= grace_seconds
        ):
            owner = ", ".join(f"video {v.id}, {v.upload_status}" for v in rows) or "no row"
            problems.append(f"staging object {key} is left behind ({owner})")

    uploading = {
        video.upload_id for video in videos.values() if video.upload_id and str(video.upload_status) == "uploading"
    }
    for upload in storage.list_multipart_uploads("videos/"):
        if upload["UploadId"] not in uploading and now - upload["Initiated"].timestamp() >= grace_seconds:
            problems.append(f"multipart upload {upload['UploadId']} of {upload['Key']} has no uploading row")
    return problems
