"""Requests racing on one submission's videos, on every database the project supports.

Contract C1: a submitted video never changes and is never lost. Two requests on one submission
(a double click, two tabs, Moodle's save racing a draft upload) each read the submission's videos,
decide, and write; without a lock each decides on what the other has not committed yet. Every call
that changes which video is current, or which is a draft, now locks the submission's row first
(``SELECT ... FOR UPDATE``; on SQLite a write that takes the database's one write lock), so they
take turns. A barrier on the racers' first write to ``videos`` makes the interleaving certain where
the lock is missing: every racer has read the videos before any writes. Where the lock holds, the
second racer waits for the lock instead, and the first goes on once the barrier times out.
"""

from __future__ import annotations

import time

import pytest
import webtest
from sqlalchemy import select

from s3video_sidecar.models import Submission, Video
from s3video_sidecar.services import parts_of, video_service
from s3video_sidecar.tasks import JobRunner
from tests.reliability import flows
from tests.reliability.racing import hold_at, meanwhile
from tests.support.apps import build_app
from tests.support.signed_app import SignedApp

GRACE = 3600  # a deleted video stays restorable this long


@pytest.fixture(scope="module")
def wsgi_app(app_settings):
    """The app as production runs it (``production.ini``: ``retry.attempts = 3``): a request MariaDB
    picks as a deadlock's victim (the purge's gap locks against a video going to ``deleting``) runs
    again, as pyramid_retry runs it in production."""
    app = build_app(app_settings, **{"retry.attempts": "3", "s3video.delete_grace_seconds": str(GRACE)})
    yield app
    parts_of(app.registry).engine.dispose()


def race(wsgi_app, statement: str, calls):
    """Run ``calls`` (functions of a SignedApp) at once, each held before its first ``statement``."""
    return hold_at(
        parts_of(wsgi_app.registry).engine,
        [(lambda sql: sql.startswith(statement), lambda call=call: call(api_of(wsgi_app))) for call in calls],
    )


def state(wsgi_app, ids):
    """(current video id, {video id: status}) of the submission, as committed."""
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        submission = session.get(Submission, ids.submission)
        videos = session.scalars(select(Video).where(Video.submission_id == ids.submission))
        return submission.current_video_id, {v.id: str(v.upload_status) for v in videos}
    finally:
        session.close()


def api_of(wsgi_app):
    return SignedApp(webtest.TestApp(wsgi_app))


def confirm_draft(ids, s3_key):
    def call(api):
        return api.post(flows.sub_path(ids, "/confirm"), {"s3_key": s3_key, "draft": True}, as_actor=flows.student(ids))

    return call


def make_current(ids, video_id):
    def call(api):
        return api.post(flows.sub_path(ids, "/current"), {"video_id": video_id}, as_actor=flows.student(ids))

    return call


def submitted(wsgi_app, ids):
    """A submission with a current video: (its id, the API)."""
    api = api_of(wsgi_app)
    flows.confirmed(api, ids)
    current, _ = state(wsgi_app, ids)
    return current, api


def assert_current_intact(wsgi_app, ids, current_id):
    """The current video is the one given, ready, and storage holds its object."""
    current, statuses = state(wsgi_app, ids)
    assert current == current_id, (current, statuses)
    assert statuses[current_id] == "ready", statuses
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        key = session.get(Video, current_id).s3_key
    finally:
        session.close()
    assert parts_of(wsgi_app.registry).storage.head(key) is not None


def drafts(wsgi_app, ids):
    current, statuses = state(wsgi_app, ids)
    return sorted(v for v, s in statuses.items() if s == "ready" and v != current)


def test_two_draft_confirms_leave_one_draft(wsgi_app, ids):
    """Two tabs each upload a draft beside the submitted video: the newer supersedes the older."""
    current_id, api = submitted(wsgi_app, ids)
    first, second = flows.uploaded(api, ids), flows.uploaded(api, ids)
    results = race(
        wsgi_app, "UPDATE videos", [confirm_draft(ids, first["s3_key"]), confirm_draft(ids, second["s3_key"])]
    )
    assert [r.status_int for r in results] == [200, 200], [r.text for r in results]
    assert [r.json["current"] for r in results] == [False, False]
    survivors = drafts(wsgi_app, ids)
    assert len(survivors) == 1, state(wsgi_app, ids)
    loser = ({first["video_id"], second["video_id"]} - set(survivors)).pop()
    assert state(wsgi_app, ids)[1][loser] == "deleting"
    assert_current_intact(wsgi_app, ids, current_id)


def test_saving_a_draft_while_another_draft_is_confirmed(wsgi_app, ids):
    """Moodle's save() makes draft A current while a second tab confirms draft B: B may supersede A
    only while A is a draft, so A, once current, is never scheduled for deletion."""
    _, api = submitted(wsgi_app, ids)
    draft = flows.uploaded(api, ids)
    assert confirm_draft(ids, draft["s3_key"])(api).status_int == 200
    newer = flows.uploaded(api, ids)
    results = race(
        wsgi_app, "UPDATE videos", [make_current(ids, draft["video_id"]), confirm_draft(ids, newer["s3_key"])]
    )
    current, statuses = state(wsgi_app, ids)
    assert statuses[current] == "ready", (current, statuses, [r.text for r in results])
    assert len(drafts(wsgi_app, ids)) <= 1, statuses
    if results[0].status_int == 200:  # the save came first (or won): the saved draft is current
        assert_current_intact(wsgi_app, ids, draft["video_id"])
    else:  # the newer draft superseded it first: the save is refused, nothing changed
        assert results[0].status_int == 409, results[0].text
        assert statuses[draft["video_id"]] == "deleting"


def test_saving_a_draft_while_discarding_it(wsgi_app, ids):
    """Save the draft in one tab, keep the submitted video (make it current again) in another: one
    of them wins, and the submission's current video is ready, never one scheduled for deletion."""
    current_id, api = submitted(wsgi_app, ids)
    draft = flows.uploaded(api, ids)
    assert confirm_draft(ids, draft["s3_key"])(api).status_int == 200
    results = race(wsgi_app, "UPDATE videos", [make_current(ids, draft["video_id"]), make_current(ids, current_id)])
    current, statuses = state(wsgi_app, ids)
    assert statuses[current] == "ready", (current, statuses, [r.text for r in results])
    assert sorted(r.status_int for r in results) in ([200, 200], [200, 409]), [r.text for r in results]
    assert drafts(wsgi_app, ids) == [], statuses
    assert_current_intact(wsgi_app, ids, current)


# -- copy-from (Moodle's restore, recycle bin) racing the purge of the video it shares ------------------
RETAIN = 3600


def job_runner(wsgi_app, ahead_seconds: float) -> JobRunner:
    """The jobs as the worker runs them, over the app's parts, with a clock ``ahead_seconds`` ahead."""
    parts = parts_of(wsgi_app.registry)
    return JobRunner(
        parts.settings,
        parts.session_factory,
        parts.storage,
        parts.url_signer,
        None,
        lambda: time.time() + ahead_seconds,
        video_service=video_service,
    )


def purge_runner(wsgi_app):
    """The cleanup job as the worker runs it, its clock past the retention: the source is due."""
    return job_runner(wsgi_app, RETAIN + 100)


def in_the_recycle_bin(wsgi_app, ids):
    """A submitted video whose assignment was deleted with a retention: (its id, key, the API)."""
    current_id, api = submitted(wsgi_app, ids)
    deleted = api.delete(f"/assignments/{ids.assignment}", query=f"retain_seconds={RETAIN}", as_actor=flows.admin(ids))
    assert deleted.status_int == 202, deleted.text
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        key = session.get(Video, current_id).s3_key
    finally:
        session.close()
    return current_id, key, api


def restore(wsgi_app, ids):
    def call():
        return api_of(wsgi_app).post(
            f"/assignments/{ids.assignment + 700}/submissions/{ids.submission + 700}/copy-from",
            {"assignment_id": ids.assignment, "submission_id": ids.submission, "user_id": ids.student},
            as_actor=flows.admin(ids),
        )

    return call


def rows_of_key(wsgi_app, key):
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        return {v.id: str(v.upload_status) for v in session.scalars(select(Video).where(Video.s3_key == key))}
    finally:
        session.close()


def stored(wsgi_app, key) -> bool:
    return parts_of(wsgi_app.registry).storage.head(key) is not None


def test_a_restore_holding_the_source_row_keeps_its_object_from_the_purge(wsgi_app, ids):
    """The restore has locked the source's row and inserted the copy when the purge comes for the row:
    the purge passes the locked row by (SKIP LOCKED), or waits, and then sees the copy needs the object."""
    source_id, key, _ = in_the_recycle_bin(wsgi_app, ids)
    runner = purge_runner(wsgi_app)
    copied, _report = meanwhile(
        parts_of(wsgi_app.registry).engine,
        lambda sql: sql.startswith("INSERT INTO videos"),
        restore(wsgi_app, ids),
        lambda: runner.run("cleanup", video_ids=[source_id]),
    )
    assert copied.status_int == 200, copied.text
    copy_id = copied.json["video"]["video_id"]
    assert rows_of_key(wsgi_app, key)[copy_id] == "ready"
    assert stored(wsgi_app, key)
    runner.run("cleanup", video_ids=[source_id])  # the source goes for good; the object stays for the copy
    assert rows_of_key(wsgi_app, key) == {source_id: "deleted", copy_id: "ready"}
    assert stored(wsgi_app, key)


def test_a_restore_arriving_while_the_purge_decides_waits_and_copies_nothing(wsgi_app, ids):
    """The purge has claimed the source's row and read that no other row needs its object when the
    restore comes: the restore waits for the row, finds it deleted and copies nothing, so no copy is
    left pointing at an object the purge deletes."""
    source_id, key, _ = in_the_recycle_bin(wsgi_app, ids)
    runner = purge_runner(wsgi_app)
    report, copied = meanwhile(
        parts_of(wsgi_app.registry).engine,
        lambda sql: sql.startswith("SELECT videos.s3_key"),
        lambda: runner.run("cleanup", video_ids=[source_id]),
        restore(wsgi_app, ids),
    )
    assert report.counts["deleted"] == 1, report.as_dict()
    assert copied.status_int in (404, 409), copied.text
    assert rows_of_key(wsgi_app, key) == {source_id: "deleted"}
    assert not stored(wsgi_app, key)


# -- other calls that change which video is current ------------------------------------------------------
def retained(wsgi_app, ids):
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        return session.get(Submission, ids.submission).retained_video_id
    finally:
        session.close()


def test_a_delete_arriving_as_a_submit_commits_deletes_what_was_submitted(wsgi_app, ids):
    """The submission is deleted (and kept restorable) while a new video is being made current: the
    delete waits, then schedules every video and remembers the new one as the one to restore."""
    _, api = submitted(wsgi_app, ids)
    newer = flows.uploaded(api, ids)
    confirmed, deleted = meanwhile(
        parts_of(wsgi_app.registry).engine,
        lambda sql: sql.startswith("UPDATE submissions SET current_video_id"),
        lambda: flows.confirm(api, ids, newer["s3_key"]),
        lambda: api_of(wsgi_app).delete(flows.sub_path(ids), as_actor=flows.student(ids)),
    )
    assert confirmed.status_int == 200 and deleted.status_int == 202, (confirmed.text, deleted.text)
    current, statuses = state(wsgi_app, ids)
    assert current is None and set(statuses.values()) == {"deleting"}, (current, statuses)
    assert retained(wsgi_app, ids) == newer["video_id"]  # not the video the submit replaced


def test_cancelling_a_multipart_upload_as_it_completes(wsgi_app, ids):
    """A tab cancels a multipart upload just as another completed it and made it current: the cancel
    waits, then is refused; the completed video stays current, whole and ready."""
    current_id, api = submitted(wsgi_app, ids)
    data = flows.MP4 + b"\0" * (6 * 1024 * 1024 - len(flows.MP4))
    started = flows.start_multipart(api, ids, len(data))
    parts = flows.put_parts(api, ids, started, data)
    path = flows.sub_path(ids, f"/multipart/{started['upload_id']}")
    completed, cancelled = meanwhile(
        parts_of(wsgi_app.registry).engine,
        lambda sql: sql.startswith("UPDATE submissions SET current_video_id"),
        lambda: api.post(f"{path}/complete", {"parts": parts}, as_actor=flows.student(ids)),
        lambda: api_of(wsgi_app).delete(path, as_actor=flows.student(ids)),
    )
    assert completed.status_int == 200, completed.text
    assert cancelled.status_int == 409, cancelled.text
    assert_current_intact(wsgi_app, ids, started["video_id"])
    assert state(wsgi_app, ids)[1][current_id] == "deleting"


def test_saving_a_draft_as_the_cleanup_expires_it(wsgi_app, ids):
    """Moodle's save() makes an old draft current just as the cleanup job expires it: the draft is
    current and kept, or expired and the save refused; never current and purged."""
    current_id, api = submitted(wsgi_app, ids)
    draft = flows.uploaded(api, ids)
    assert confirm_draft(ids, draft["s3_key"])(api).status_int == 200
    parts = parts_of(wsgi_app.registry)
    expiry = parts.settings.draft_expiry_seconds + parts.settings.delete_grace_seconds + 100
    runner = job_runner(wsgi_app, expiry)
    saved, _report = meanwhile(
        parts.engine,
        lambda sql: sql.startswith("UPDATE submissions SET current_video_id"),
        lambda: make_current(ids, draft["video_id"])(api),
        lambda: runner.run("cleanup"),
    )
    current, statuses = state(wsgi_app, ids)
    assert statuses[current] == "ready", (current, statuses, saved.text)
    assert_current_intact(wsgi_app, ids, current)
    if saved.status_int == 200:
        assert current == draft["video_id"], (current, statuses)
    else:
        assert saved.status_int == 409 and current == current_id, (saved.text, statuses)


def test_an_admin_restore_arriving_while_the_purge_decides_waits_and_is_refused(wsgi_app, ids):
    """An admin restores a deleted video in the last moment of its grace period, as the purge (whose
    clock says the moment has passed) has claimed it: the restore waits for the row and is refused,
    never making current a video whose object the purge deletes."""
    current_id, api = submitted(wsgi_app, ids)
    admin = flows.admin(ids)
    assert api.delete(f"/admin/videos/{current_id}", as_actor=admin).status_int == 202
    parts = parts_of(wsgi_app.registry)
    runner = job_runner(wsgi_app, GRACE + 100)
    report, restored = meanwhile(
        parts.engine,
        lambda sql: sql.startswith("SELECT videos.s3_key"),
        lambda: runner.run("cleanup", video_ids=[current_id]),
        lambda: api_of(wsgi_app).post(f"/admin/videos/{current_id}/restore", {}, as_actor=admin),
    )
    assert report.counts["deleted"] == 1, report.as_dict()
    assert restored.status_int == 409, restored.text
    current, statuses = state(wsgi_app, ids)
    assert current is None and statuses == {current_id: "deleted"}, (current, statuses)


def test_a_late_upload_settled_as_the_student_submits_another_never_replaces_it(wsgi_app, ids):
    """The reconcile job finds the student's first upload arrived after its window closed, just as the
    student submits another: the late one never becomes current over the new one, and the job and the
    request never wait on each other (the job leaves a submission a request holds to its next run)."""
    api = api_of(wsgi_app)
    late = flows.uploaded(api, ids)  # never confirmed: the tab closed
    newer = flows.uploaded(api, ids)
    parts = parts_of(wsgi_app.registry)
    runner = job_runner(wsgi_app, 3 * parts.settings.upload_expiry_seconds)
    report, submitted_now = meanwhile(
        parts.engine,
        lambda sql: "upload_expires_timestamp <=" in sql,  # the job's claim of expired uploads
        lambda: runner.run("reconcile"),
        lambda: flows.confirm(api_of(wsgi_app), ids, newer["s3_key"]),
    )
    assert submitted_now.status_int == 200, submitted_now.text
    assert_current_intact(wsgi_app, ids, newer["video_id"])
    assert report.errors == [], report.as_dict()
    # left for the next run, a draft beside the new video, or superseded by it
    assert state(wsgi_app, ids)[1][late["video_id"]] in ("pending", "ready", "deleting")
