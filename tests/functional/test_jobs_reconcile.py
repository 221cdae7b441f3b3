"""Reconciliation, retention and restore, against the S3 stand-in over HTTP on every database.

Time moves through the runner's clock (the upload windows of ``make_settings``: 600 s for
a POST, two days for a multipart upload); S3 keeps its own clock.
"""

import dataclasses
import json
import time

import pytest

from s3video_sidecar.models import Video
from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.sdk import keys
from s3video_sidecar.sdk.errors import Conflict, NotFound
from s3video_sidecar.sdk.maintenance import Maintenance
from s3video_sidecar.sdk.service import VideoService
from s3video_sidecar.services import parts_of
from tests.functional.test_api import MP4, post_to_s3, request_upload, student, sub_path, upload_and_confirm

DAY = 86400


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def later(seconds):
    return lambda: time.time() + seconds


def reconcile(world, clock=None, **settings):
    """One reconcile run (with these settings changed), then whatever it queued."""
    runner = world.runner(clock=clock)
    runner.settings = dataclasses.replace(world.settings, **settings)
    report = runner.run("reconcile")
    world.drain()
    return report


def job_event(world, job):
    event = world.events(f"job_{job}")[-1]
    return event, json.loads(event.error_context)


# -- expired uploads ---------------------------------------------------------------------------


def test_a_late_upload_that_arrived_is_confirmed_through_the_confirm_checks(world, ids):
    upload = request_upload(world.api, ids).json
    assert post_to_s3(upload).status_code == 204  # ...and the client never confirmed

    report = reconcile(world, later(DAY))
    assert report.counts["confirmed_late"] == 1
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "ready" and video.file_size == len(MP4)
    state = world.api.get(sub_path(ids), as_actor=student(ids)).json
    assert state["status"] == "ready" and state["video"]["video_id"] == video.id
    assert [e.video_id for e in world.events("upload_confirmed")] == [video.id]
    assert world.audit().ok


def test_a_late_upload_that_breaks_the_limits_is_refused_as_the_api_refuses_it(world, ids):
    upload = request_upload(world.api, ids).json
    world.put_objects([keys.staging_key(upload["s3_key"])], body=MP4, content_type="video/webm")  # not as declared

    report = reconcile(world, later(DAY))
    assert report.counts["refused"] == 1
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "error" and video.error_code == "type_not_allowed"
    assert upload["s3_key"] not in world.object_keys()
    assert world.audit().ok


def test_an_upload_that_never_arrived_is_abandoned(world, ids):
    upload = request_upload(world.api, ids).json

    report = reconcile(world, later(DAY))
    assert report.counts["abandoned"] == 1
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "error" and video.error_code == "abandoned"
    assert [e.error_code for e in world.events("upload_abandoned")] == ["abandoned"]
    event, context = job_event(world, "reconcile")
    assert context["counts"]["abandoned"] == 1 and event.duration is not None


def test_a_late_upload_never_replaces_a_newer_current_video(world, ids):
    late = request_upload(world.api, ids, filename="late.mp4").json
    assert post_to_s3(late).status_code == 204
    newer = upload_and_confirm(world.api, ids)

    report = reconcile(world, later(DAY))
    assert report.counts["superseded"] == 1
    assert world.videos(s3_key=late["s3_key"])[0].upload_status == "deleted"
    assert world.videos(s3_key=newer["s3_key"])[0].upload_status == "ready"
    assert world.api.get(sub_path(ids), as_actor=student(ids)).json["video"]["s3_key"] == newer["s3_key"]
    assert world.audit().ok


def test_uploads_inside_their_window_are_left_alone(world, ids):
    upload = request_upload(world.api, ids).json
    assert post_to_s3(upload).status_code == 204

    report = reconcile(world)
    assert not report.counts["confirmed_late"] and not report.counts["abandoned"]
    assert world.videos(s3_key=upload["s3_key"])[0].upload_status == "pending"
    assert keys.staging_key(upload["s3_key"]) in world.staging_keys()


def test_an_expired_multipart_upload_is_aborted_and_abandoned(world, ids):
    started = world.api.post(
        sub_path(ids, suffix="/multipart"),
        {"filename": "big.mp4", "size": 6 * 1024 * 1024, "mime_type": "video/mp4"},
        as_actor=student(ids),
    ).json
    assert [u["UploadId"] for u in world.storage.list_multipart_uploads()] == [started["upload_id"]]

    # Two days' window, then three: the upload is old enough to abort only once no row still uploads it.
    assert reconcile(world, later(DAY)).counts["abandoned"] == 0
    assert [u["UploadId"] for u in world.storage.list_multipart_uploads()] == [started["upload_id"]]
    report = reconcile(world, later(3 * DAY))
    assert report.counts["abandoned"] == 1
    assert world.videos(s3_key=started["s3_key"])[0].error_code == "abandoned"
    assert list(world.storage.list_multipart_uploads()) == []


def test_a_stale_multipart_upload_no_row_owns_is_aborted(world):
    key = "videos/4242/1700000000_0123456789abcdef/stray.mp4"
    world.s3.create_multipart_upload(Bucket=world.storage.bucket, Key=key, ContentType="video/mp4")

    # The runner's clock moves on from the upload's own Initiated date.
    initiated = next(world.storage.list_multipart_uploads())["Initiated"].timestamp()
    assert reconcile(world, lambda: initiated + DAY).counts["multipart_aborted"] == 0  # younger than 7 days
    assert reconcile(world, lambda: initiated + 8 * DAY).counts["multipart_aborted"] == 1
    assert list(world.storage.list_multipart_uploads()) == []


# -- objects no live row explains -----------------------------------------------------------------


def test_unreferenced_objects_are_reported_and_deleted_only_when_allowed_and_old(world):
    stray = "videos/4242/1700000000_0123456789abcdef/stray.mp4"
    world.put_objects([stray])

    report = reconcile(world, later(3 * DAY))
    assert report.counts["unreferenced"] == 1 and stray in world.object_keys()
    assert [item["s3_key"] for item in report.items] == [stray]
    assert job_event(world, "reconcile")[1]["items"][0]["s3_key"] == stray

    young = reconcile(world, jobs_delete_orphans=True)  # allowed, but it may be an upload landing
    assert young.counts["objects_deleted"] == 0 and stray in world.object_keys()

    old = reconcile(world, later(3 * DAY), jobs_delete_orphans=True)
    assert old.counts["objects_deleted"] == 1 and stray not in world.object_keys()
    assert [e.s3_key for e in world.events("object_deleted")] == [stray]
    assert world.audit().ok


def test_no_object_a_live_or_restorable_row_names_is_ever_deleted(world, ids):
    ready = upload_and_confirm(world.api, ids)["s3_key"]
    restorable = world.add_videos(2, purge_after=int(time.time()) + 10 * DAY)
    arriving = world.api.post(
        sub_path(ids, submission=ids.other_submission, suffix="/upload-url"),
        {"filename": "next.mp4", "size": len(MP4), "mime_type": "video/mp4"},
        as_actor=student(ids),
    ).json["s3_key"]
    world.put_objects([keys.staging_key(arriving)], body=MP4)  # confirmed late by the run: another submission's

    report = reconcile(world, later(3 * DAY), jobs_delete_orphans=True)
    assert report.counts["objects_deleted"] == 0 and report.counts["unreferenced"] == 0
    assert {ready, arriving, *restorable} <= world.object_keys()
    assert world.audit(now=int(time.time())).ok


def test_an_object_that_landed_after_its_row_was_deleted_is_removed(world):
    world.add_videos(2, status="deleted")  # e.g. a POST that finished after the deletion

    report = reconcile(world)
    assert report.counts["objects_deleted"] == 2 and world.object_keys() == set()
    assert world.audit().ok


def test_an_object_left_by_a_refused_upload_goes_through_the_deletion_marker(world):
    keys = world.add_videos(1, status="error", error_code="too_large")

    report = reconcile(world, later(3 * DAY))
    assert report.counts["leftovers_scheduled"] == 1
    if not world.huey.immediate:  # the marking queued its purge after the commit
        world.queue(world.jobs.cleanup)
    assert world.statuses() == {"deleted": 1} and keys[0] not in world.object_keys()
    assert world.audit().ok


def test_a_dry_run_changes_nothing(world, ids):
    request_upload(world.api, ids)
    world.add_videos(3)
    world.put_objects(["videos/4242/1700000000_0123456789abcdef/stray.mp4"])
    before = (world.statuses(), world.object_keys())

    report = world.runner(clock=later(3 * DAY)).run("reconcile", dry_run=True)
    assert report.counts["would_delete"] == 3 and report.counts["would_settle"] == 1
    assert (world.statuses(), world.object_keys()) == before
    assert job_event(world, "reconcile")[1]["dry_run"] is True


# -- retention -----------------------------------------------------------------------------------


def test_retention_is_off_by_default(world, ids):
    upload_and_confirm(world.api, ids)
    report = world.runner(clock=later(400 * DAY)).run("retention")
    assert not report.counts and world.statuses() == {"ready": 1}


def test_retention_dry_run_lists_what_would_go(world, ids):
    key = upload_and_confirm(world.api, ids)["s3_key"]
    report = world.runner(clock=later(31 * DAY)).run("retention", days=30, dry_run=True)
    assert report.counts["would_schedule"] == 1 and [item["s3_key"] for item in report.items] == [key]
    assert world.statuses() == {"ready": 1}
    assert job_event(world, "retention")[1]["items"][0]["s3_key"] == key


def test_retention_schedules_old_videos_for_deletion_and_keeps_young_ones(world, ids):
    old = upload_and_confirm(world.api, ids)["s3_key"]
    runner = world.runner(clock=later(31 * DAY))
    young = world.add_videos(1, status="ready", upload_timestamp=int(time.time()) + 30 * DAY)

    report = runner.run("retention", days=30)
    assert report.counts["scheduled"] == 1
    assert runner.run("cleanup").counts["deleted"] == 1  # the purge it queued, at its (moved) time
    assert world.videos(s3_key=old)[0].upload_status == "deleted" and old not in world.object_keys()
    assert world.videos(s3_key=young[0])[0].upload_status == "ready"
    assert world.api.get(sub_path(ids), as_actor=student(ids)).json["status"] == "empty"
    assert world.audit().ok


# -- restore -------------------------------------------------------------------------------------


def restore(world, video_id):
    with world.session() as session:
        videos = VideoService(
            SqlMaintenanceRepository(session), world.storage, parts_of(world.registry).url_signer, world.settings
        )
        result = Maintenance(videos).restore_video(video_id)
        session.commit()
        return result


def test_a_deleted_video_is_restorable_during_its_grace_period(world):
    (key,) = world.add_videos(1, purge_after=int(time.time()) + 3600)
    (video,) = world.videos(s3_key=key)

    restored = restore(world, video.id)
    assert restored["status"] == "ready"
    (video,) = world.videos(s3_key=key)
    assert video.upload_status == "ready" and video.purge_after_timestamp is None
    with world.session() as session:
        assert session.get(Video, video.id).submission.current_video_id == video.id
    assert [e.video_id for e in world.events("video_restored")] == [video.id]
    assert world.runner(clock=later(7200)).run("cleanup").counts["deleted"] == 0


def test_restore_is_refused_when_it_cannot_be_done(world, ids):
    in_grace, gone = world.add_videos(2, purge_after=int(time.time()) + 3600)
    (due,) = world.add_videos(1)
    world.storage.delete_many([gone])
    ready = upload_and_confirm(world.api, ids)["s3_key"]
    by_key = {v.s3_key: v.id for v in world.videos()}

    with pytest.raises(Conflict, match="storage no longer holds"):
        restore(world, by_key[gone])
    with pytest.raises(Conflict, match="grace period is over"):
        restore(world, by_key[due])
    with pytest.raises(Conflict, match="only a deleted video"):
        restore(world, by_key[ready])
    with pytest.raises(NotFound):
        restore(world, 987654321)
    assert world.videos(s3_key=in_grace)[0].upload_status == "deleting"

    with world.session() as session:  # the submission got a new current video meanwhile
        video = session.get(Video, by_key[in_grace])
        newer = Video(
            **{
                column: getattr(video, column)
                for column in (
                    "assignment_id",
                    "submission_id",
                    "user_id",
                    "s3_bucket",
                    "original_filename",
                    "mime_type",
                    "declared_size",
                    "upload_timestamp",
                    "upload_expires_timestamp",
                )
            },
            s3_key=in_grace + ".newer",
            upload_status="ready",
        )
        session.add(newer)
        session.flush()
        video.submission.current_video_id = newer.id
        session.commit()
    with pytest.raises(Conflict, match="has a newer video"):
        restore(world, by_key[in_grace])
