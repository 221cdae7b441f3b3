"""Requests racing to create the same row, on every database the project supports.

Found by the load test: when a class uploads at the deadline, the first calls of a new
assignment all see no assignment row and all insert one; all but one failed (503). A
barrier in ``before_cursor_execute`` makes the race certain here: every racer has read
"no row" before any inserts.
"""

from __future__ import annotations

import webtest
from sqlalchemy import func, select

from s3video_sidecar.models import Assignment, Submission
from s3video_sidecar.services import parts_of
from tests.reliability import flows
from tests.reliability.racing import hold_at
from tests.support.signed_app import SignedApp, actor


def api_of(wsgi_app):
    return SignedApp(webtest.TestApp(wsgi_app))


def race(wsgi_app, table: str, calls):
    """Run ``calls`` (functions of a SignedApp) at once, all held at the INSERT into ``table``."""
    return hold_at(
        parts_of(wsgi_app.registry).engine,
        [
            (lambda sql: sql.startswith(f"INSERT INTO {table}"), lambda call=call: call(api_of(wsgi_app)))
            for call in calls
        ],
        hold_seconds=10,
    )


def upload_url(ids, submission, user):
    def call(api):
        return api.post(
            flows.sub_path(ids, "/upload-url", submission=submission),
            {"filename": "a.mp4", "size": 100, "mime_type": "video/mp4"},
            as_actor=actor(user, "student", course=ids.course),
        )

    return call


def count(wsgi_app, model, **where):
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.scalar(query)
    finally:
        session.close()


def test_a_class_creates_a_new_assignment_at_once(wsgi_app, ids):
    students = [(ids.submission * 10 + n, ids.student * 10 + n) for n in range(4)]
    results = race(wsgi_app, "assignments", [upload_url(ids, s, u) for s, u in students])
    assert [r.status_int for r in results] == [201] * len(students), [r.text for r in results]
    assert count(wsgi_app, Assignment, id=ids.assignment) == 1
    assert count(wsgi_app, Submission, assignment_id=ids.assignment) == len(students)


def assignment_exists(wsgi_app, ids):
    """Create the assignment first, so that only the submission's row is raced for."""
    response = upload_url(ids, ids.other_submission, ids.admin)(SignedApp(webtest.TestApp(wsgi_app)))
    assert response.status_int == 201, response.text


def test_a_double_click_on_a_first_upload(wsgi_app, ids):
    assignment_exists(wsgi_app, ids)
    results = race(wsgi_app, "submissions", [upload_url(ids, ids.submission, ids.student)] * 2)
    assert [r.status_int for r in results] == [201, 201], [r.text for r in results]
    assert count(wsgi_app, Submission, id=ids.submission) == 1


def test_two_students_racing_for_one_new_submission(wsgi_app, ids):
    """Whoever wins owns it; the other is refused as the ACL would refuse them a moment later."""
    assignment_exists(wsgi_app, ids)
    results = race(
        wsgi_app,
        "submissions",
        [upload_url(ids, ids.submission, ids.student), upload_url(ids, ids.submission, ids.other_student)],
    )
    assert sorted(r.status_int for r in results) == [201, 403], [r.text for r in results]
    winner = next(i for i, r in enumerate(results) if r.status_int == 201)
    session = parts_of(wsgi_app.registry).session_factory()
    try:
        owner = session.get(Submission, ids.submission).user_id
    finally:
        session.close()
    assert owner == (ids.student, ids.other_student)[winner]
