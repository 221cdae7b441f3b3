"""The deletion pipeline as the jobs run it: queued after commit, batched, idempotent, fault-tolerant.

Against the S3 stand-in over HTTP, on every configured database, with huey in immediate
mode and (where ``S3VIDEO_TEST_REDIS`` is set, as in CI) through a real Redis queue.
After every fault, the consistency audit (``sdk/maintenance.audit``) must find nothing
once the next run has passed: no video lost, no row pointing at a missing object, no orphan.
"""

import json
import time

import pytest
import transaction
from botocore.retries.standard import ExponentialBackoff
from sqlalchemy.exc import OperationalError

from s3video_sidecar.models import get_tm_session
from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.sdk.maintenance import JobReport, Maintenance
from s3video_sidecar.sdk.service import VideoService
from s3video_sidecar.services import parts_of
from tests.functional.test_api import student, sub_path, upload_and_confirm
from tests.support.jobs import FailingCommits, count_calls, s3_errors


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def job_events(world, job):
    return [(event, json.loads(event.error_context)) for event in world.events(f"job_{job}")]


# -- queued after commit -------------------------------------------------------------------------


def test_a_delete_through_the_api_purges_the_object_once_committed(world, ids):
    upload = upload_and_confirm(world.api, ids)
    key = upload["s3_key"]
    world.drain()  # the confirm queued the video's media probe

    answer = world.api.delete(sub_path(ids), as_actor=student(ids))
    assert answer.status_int == 202

    if not world.huey.immediate:  # queued in Redis, not run yet: the row is the durable marker
        assert world.huey.pending_count() == 1
        assert key in world.object_keys()
        assert world.videos(s3_key=key)[0].upload_status == "deleting"
        assert world.drain() == 1
    (video,) = world.videos(s3_key=key)
    assert video.upload_status == "deleted" and video.deleted_timestamp is not None
    assert key not in world.object_keys()
    assert [e.video_id for e in world.events("video_deleted")] == [video.id]
    ((event, context),) = job_events(world, "cleanup")
    assert context["counts"]["deleted"] == 1 and event.duration is not None and event.error_code is None
    assert world.audit().ok


def _mark_in_a_request_transaction(world, key, commit: bool):
    """What a web request does: a zope transaction (as pyramid_tm's) around the service's marking."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = get_tm_session(world.session_factory, manager)
    videos = VideoService(
        SqlMaintenanceRepository(session), world.storage, parts_of(world.registry).url_signer, world.settings
    )
    video = videos.repo.get_video_by_key(key)
    videos.delete_submission_video(video.submission, None, reason="test")
    session.flush()  # the marking reached the database inside the transaction
    manager.commit() if commit else manager.abort()


def test_a_rolled_back_transaction_queues_nothing_and_a_committed_one_does(world, ids):
    key = upload_and_confirm(world.api, ids)["s3_key"]
    world.drain()  # the confirm queued the video's media probe

    _mark_in_a_request_transaction(world, key, commit=False)
    assert world.huey.pending_count() == 0 and world.drain() == 0
    assert world.videos(s3_key=key)[0].upload_status == "ready"
    assert key in world.object_keys() and world.events("job_cleanup") == []

    _mark_in_a_request_transaction(world, key, commit=True)
    world.drain()
    assert world.videos(s3_key=key)[0].upload_status == "deleted"
    assert key not in world.object_keys()


def test_the_grace_period_keeps_the_object_until_it_is_over(world):
    keys = world.add_videos(3, purge_after=int(time.time()) + 3600)

    report = world.runner().run("cleanup")
    assert report.counts["deleted"] == 0
    assert world.statuses() == {"deleting": 3} and world.object_keys() == set(keys)

    later = world.runner(clock=lambda: time.time() + 3601).run("cleanup")
    assert later.counts["deleted"] == 3
    assert world.statuses() == {"deleted": 3} and world.object_keys() == set()


# -- batches -------------------------------------------------------------------------------------


def test_deleting_2500_videos_takes_three_delete_objects_calls_and_a_second_run_changes_nothing(world):
    world.add_videos(2500)

    started = time.monotonic()
    with count_calls(world.s3, "DeleteObjects") as calls:
        world.queue(world.jobs.cleanup)
    seconds = time.monotonic() - started
    assert calls["calls"] == 3 and calls["sizes"] == [1000, 1000, 500]
    assert world.statuses() == {"deleted": 2500} and world.object_keys() == set()
    ((event, context),) = job_events(world, "cleanup")
    assert context["counts"]["deleted"] == 2500
    print(f"\n2,500 videos purged in {seconds:.2f} s ({event.duration} ms inside the job)")

    with count_calls(world.s3, "DeleteObjects") as again:
        world.queue(world.jobs.cleanup)
    assert again["calls"] == 0
    assert world.statuses() == {"deleted": 2500}
    assert job_events(world, "cleanup")[-1][1]["counts"] == {}
    assert world.audit().ok


# -- faults --------------------------------------------------------------------------------------


@pytest.fixture
def instant_retries(monkeypatch):
    """botocore retries as configured, without its back-off sleeps (up to 20 s each for SlowDown)."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def test_a_transient_s3_error_is_retried_by_botocore_within_the_run(world, instant_retries):
    world.add_videos(2500)
    with (
        count_calls(world.s3, "DeleteObjects") as calls,
        s3_errors(world.s3, "DeleteObjects", status=503, on_calls={2}, attempts=1) as fault,
    ):
        world.queue(world.jobs.cleanup)
    assert fault["injected"] == 1
    assert calls["calls"] == 3 and calls["attempts"] == 4
    assert world.statuses() == {"deleted": 2500}
    assert world.audit().ok


@pytest.mark.parametrize("status", [500, 503])
def test_s3_failing_part_way_leaves_rows_deleting_and_the_next_run_finishes(world, status, instant_retries):
    world.add_videos(2500)
    with s3_errors(world.s3, "DeleteObjects", status=status, on_calls={2}) as fault:
        world.queue(world.jobs.cleanup)
    # botocore's standard mode tried the call as often as the client allows (5: the call and four retries)
    assert fault["injected"] == world.s3.meta.config.retries["total_max_attempts"] == 5
    assert world.statuses() == {"deleted": 1000, "deleting": 1500}
    assert len(world.object_keys()) == 1500
    ((event, _context),) = job_events(world, "cleanup")
    assert event.error_code == "job_errors" and "storage refused delete_objects" in event.error_message
    assert world.audit().ok  # the rows still deleting still have their objects: nothing lost

    world.queue(world.jobs.cleanup)
    assert world.statuses() == {"deleted": 2500} and world.object_keys() == set()
    assert world.audit().ok


def test_a_worker_killed_between_marking_and_deleting_is_finished_by_the_reconciler(world):
    # The marking committed but its task was lost: add_videos writes through a session the queue does not watch.
    keys = world.add_videos(30)
    world.drain()
    assert world.statuses() == {"deleting": 30} and world.object_keys() == set(keys)

    world.queue(world.jobs.reconcile)
    assert world.statuses() == {"deleted": 30} and world.object_keys() == set()
    assert world.audit().ok


def test_a_worker_killed_after_the_s3_delete_before_marking_is_finished_by_the_reconciler(world):
    keys = world.add_videos(30)
    session = world.unwatched_session_factory()
    videos = VideoService(
        SqlMaintenanceRepository(session), world.storage, parts_of(world.registry).url_signer, world.settings
    )
    claimed = videos.repo.videos_due_for_purge_after(videos.now(), 1000)
    Maintenance(videos).delete_objects(claimed, JobReport("cleanup"))  # step one, then the process dies
    session.rollback()
    session.close()

    found = world.audit()
    assert sorted(found.dangling) == sorted(keys) and not found.lost and not found.orphans
    world.queue(world.jobs.reconcile)
    assert world.statuses() == {"deleted": 30}
    assert world.audit().ok


def test_a_database_failure_after_the_s3_delete_is_finished_by_the_next_run(world):
    world.add_videos(1500)
    runner = world.runner(session_factory=FailingCommits(world.session_factory))
    with pytest.raises(OperationalError):
        runner.run("cleanup")

    assert world.statuses() == {"deleting": 1500}  # the marks were rolled back...
    assert len(world.object_keys()) == 500  # ...after the first chunk's objects had gone
    (failed,) = world.events("job_failed")
    assert failed.error_code == "OperationalError" and json.loads(failed.error_context) == {"job": "cleanup"}
    found = world.audit()
    assert len(found.dangling) == 1000 and not found.lost and not found.orphans

    world.queue(world.jobs.cleanup)
    assert world.statuses() == {"deleted": 1500} and world.object_keys() == set()
    assert world.audit().ok
