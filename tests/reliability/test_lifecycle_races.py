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

import contextlib
import threading

import webtest
from sqlalchemy import event, select

from s3video_sidecar.models import Submission, Video
from s3video_sidecar.services import parts_of
from tests.reliability import flows
from tests.support.signed_app import SignedApp

HOLD_SECONDS = 2  # how long the first racer waits for the others at the barrier


def race(wsgi_app, statement: str, calls):
    """Run ``calls`` (functions of a SignedApp) at once, each held before its first ``statement``
    until all have reached theirs (or HOLD_SECONDS have passed: a racer is waiting on a lock)."""
    barrier = threading.Barrier(len(calls), timeout=HOLD_SECONDS)
    held = threading.local()

    def hold(conn, cursor, sql, parameters, context, executemany):
        if sql.startswith(statement) and getattr(held, "racing", False) and not getattr(held, "done", False):
            held.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    engine = parts_of(wsgi_app.registry).engine
    event.listen(engine, "before_cursor_execute", hold)
    results = [None] * len(calls)

    def run(index):
        held.racing = True
        results[index] = calls[index](SignedApp(webtest.TestApp(wsgi_app)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert all(r is not None for r in results), "a racer did not finish"
    return results


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
