"""Deleting 10,000 videos: API calls and seconds, against one DeleteObjects call per key.

10,000 confirmed videos of one assignment are seeded (rows in bulk; 1 KiB objects in the
stand-in). Then, as in production:

1. one ``DELETE /assignments/{a}`` (an admin) schedules them all (rows -> ``deleting``);
2. the cleanup job (``sdk.maintenance.Maintenance.cleanup``, what the worker runs) purges
   them once the grace period is over (the job's clock is moved past it), in chunks of
   1,000 keys per DeleteObjects call.

Every S3 request the job sends is counted (a botocore ``before-send`` hook). What it
is compared with: the same objects deleted with one DeleteObjects call each.
"""

from __future__ import annotations

import collections
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import insert, select, text

from s3video_sidecar.models import Assignment, Submission, Video
from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.sdk import keys
from s3video_sidecar.sdk.client import SidecarClient
from s3video_sidecar.sdk.maintenance import Maintenance
from s3video_sidecar.services import build_parts, video_service
from s3video_sidecar.settings import parse_settings
from tests.support.videos import mp4_bytes

from . import processes

ASSIGNMENT, COURSE = 77, 9
BODY = mp4_bytes(1024, b"c")


@dataclass
class CleanupRun:
    videos: int
    schedule_calls: int
    schedule_seconds: float
    job_s3_calls: dict
    job_seconds: float
    per_key_calls: int
    per_key_seconds: float


def seed(engine, storage, count: int) -> list[str]:
    now = int(time.time())
    users = range(1_000_001, 1_000_001 + count)
    s3_keys = [keys.build_s3_key(user, "talk.mp4", now) for user in users]
    with engine.begin() as connection:
        connection.execute(insert(Assignment), [{"id": ASSIGNMENT, "course_id": COURSE, "created_timestamp": now}])
        connection.execute(
            insert(Submission),
            [{"id": user, "assignment_id": ASSIGNMENT, "user_id": user, "created_timestamp": now} for user in users],
        )
        connection.execute(
            insert(Video),
            [
                {
                    "assignment_id": ASSIGNMENT,
                    "submission_id": user,
                    "user_id": user,
                    "s3_key": key,
                    "s3_bucket": storage.bucket,
                    "upload_status": "ready",
                    "original_filename": "talk.mp4",
                    "mime_type": "video/mp4",
                    "declared_size": len(BODY),
                    "file_size": len(BODY),
                    "upload_method": "post",
                    "upload_timestamp": now,
                    "upload_expires_timestamp": now + 3600,
                    "confirmed_timestamp": now,
                }
                for user, key in zip(users, s3_keys, strict=True)
            ],
        )
        connection.execute(
            text(
                "UPDATE submissions SET current_video_id = videos.id FROM videos"
                " WHERE videos.submission_id = submissions.id AND submissions.assignment_id = :a"
            ),
            {"a": ASSIGNMENT},
        )
    put_all(storage, s3_keys)
    return s3_keys


def put_all(storage, s3_keys):
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda key: storage.client.put_object(
                    Bucket=storage.bucket, Key=key, Body=BODY, ContentType="video/mp4"
                ),
                s3_keys,
            )
        )


def run(env, count: int = 10_000, log=print) -> CleanupRun:
    os.environ.update(processes.STANDIN_ENVIRONMENT)
    parts = build_parts(parse_settings(env.settings))  # what the worker builds from the same ini
    settings, engine, storage = parts.settings, parts.engine, parts.storage
    log(f"cleanup: seeding {count} confirmed videos ...")
    s3_keys = seed(engine, storage, count)

    admin = SidecarClient(env.sidecar.url, processes.KEY_ID, processes.SECRET, timeout=1800).acting_as(
        1, ["admin"], COURSE
    )
    started = time.monotonic()
    scheduled = admin.delete_assignment(ASSIGNMENT)
    schedule_seconds = time.monotonic() - started
    log(f"cleanup: 1 API call scheduled {scheduled['scheduled']} videos in {schedule_seconds:.1f} s")

    calls = collections.Counter()
    storage.client.meta.events.register(
        "before-send.s3", lambda event_name, **_: calls.update([event_name.rsplit(".", 1)[-1]]), unique_id="count"
    )
    session = parts.session_factory()
    service = video_service(
        parts, session, SqlMaintenanceRepository(session), clock=lambda: time.time() + settings.delete_grace_seconds + 1
    )  # past the grace period
    started = time.monotonic()
    seeded = list(session.scalars(select(Video.id).where(Video.assignment_id == ASSIGNMENT)))
    report = Maintenance(service, checkpoint=session.commit).cleanup(video_ids=seeded)  # these, not others due
    session.commit()
    job_seconds = time.monotonic() - started
    session.close()
    storage.client.meta.events.unregister("before-send.s3", unique_id="count")
    log(
        f"cleanup: the job deleted {report.counts.get('deleted', 0)} in {job_seconds:.1f} s with S3 calls {dict(calls)}"
    )

    put_all(storage, s3_keys)  # the same objects again, for the floor
    started = time.monotonic()
    for key in s3_keys:
        storage.client.delete_objects(Bucket=storage.bucket, Delete={"Objects": [{"Key": key}], "Quiet": True})
    per_key_seconds = time.monotonic() - started
    log(f"cleanup: {count} DeleteObjects calls of one key each: {per_key_seconds:.1f} s")
    engine.dispose()
    return CleanupRun(count, 1, schedule_seconds, dict(calls), job_seconds, count, per_key_seconds)


def report(result: CleanupRun) -> list[str]:
    job_calls = sum(result.job_s3_calls.values())
    detail = ", ".join(f"{n} {op}" for op, n in sorted(result.job_s3_calls.items()))
    return [
        "| way | API calls | seconds |",
        "|---|---:|---:|",
        f"| schedule: `DELETE /assignments/{{a}}` (admin) | {result.schedule_calls} sidecar call |"
        f" {result.schedule_seconds:.1f} |",
        f"| purge: the cleanup job (1,000 keys per DeleteObjects) | {job_calls} S3 calls ({detail}) |"
        f" {result.job_seconds:.1f} |",
        f"| for comparison: one DeleteObjects call per key | {result.per_key_calls:,} S3 calls"
        f" | {result.per_key_seconds:.1f} |",
    ]
