"""The privacy API: export a user's data, erase a user, erase users of an assignment.

After an erasure the purge runs as the job runs it; then storage and the database are
searched for anything left of the erased user, and everybody else's rows are compared
with what they were before.
"""

import copy
import json

import pytest
from sqlalchemy import or_, select

from s3video_sidecar.models import Event, Submission, Video
from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.sdk.maintenance import Maintenance
from s3video_sidecar.sdk.privacy import PrivacyService
from s3video_sidecar.sdk.service import VideoService
from s3video_sidecar.services import parts_of
from tests.functional.test_api import MP4, request_upload, student, sub_path, upload_and_confirm
from tests.support.signed_app import actor


def admin(ids):
    return actor(ids.admin, "admin", course=ids.course)


def run_purge_job(registry):
    """What the cleanup job does: purge due deletions, then forget erased rows."""
    session = parts_of(registry).session_factory()
    try:
        repository = SqlMaintenanceRepository(session)  # what the jobs run over
        videos = VideoService(
            repository, parts_of(registry).storage, parts_of(registry).url_signer, parts_of(registry).settings
        )
        Maintenance(videos).cleanup()
        PrivacyService(repository, videos).forget_erased()
        session.commit()
    finally:
        session.close()


def snapshot(registry, user_id):
    """Every row that names ``user_id`` or one of their keys, as plain dicts."""
    session = parts_of(registry).session_factory()
    try:
        videos = session.scalars(select(Video).where(Video.user_id == user_id).order_by(Video.id)).all()
        keys = [v.s3_key for v in videos]
        ids = [v.id for v in videos]
        events = session.scalars(
            select(Event)
            .where(or_(Event.user_id == user_id, Event.s3_key.in_(keys or [""]), Event.video_id.in_(ids or [0])))
            .order_by(Event.id)
        ).all()
        submissions = session.scalars(select(Submission).where(Submission.user_id == user_id)).all()
        rows = lambda items: [{c.key: getattr(i, c.key) for c in i.__table__.columns} for i in items]  # noqa: E731
        return {"videos": rows(videos), "events": rows(events), "submissions": rows(submissions), "keys": keys}
    finally:
        session.close()


def all_event_text(registry):
    session = parts_of(registry).session_factory()
    try:
        return json.dumps(
            [[e.user_id, e.s3_key, e.error_message, e.error_context] for e in session.scalars(select(Event))]
        )
    finally:
        session.close()


@pytest.fixture
def population(api, ids):
    """Student A: a replaced video and a current one in assignment 1, a refused upload, a video in
    assignment 2; a teacher watched A's video. Student B: a video in assignment 1."""
    first = upload_and_confirm(api, ids)
    current = upload_and_confirm(api, ids, content=MP4 + b"second")
    assert request_upload(api, ids, mime_type="video/x-flv").status_int == 415
    api.get(sub_path(ids, suffix="/playback-url"), as_actor=actor(ids.teacher, "grader", course=ids.course))
    elsewhere = copy.copy(ids)
    elsewhere.assignment, elsewhere.submission = ids.assignment + 500, ids.submission + 500
    other_assignment = upload_and_confirm(api, elsewhere)
    b = copy.copy(ids)
    b.submission, b.student = ids.other_submission, ids.other_student
    b_video = upload_and_confirm(api, b, content=MP4 + b"b")
    return {
        "a_keys": [first["s3_key"], current["s3_key"], other_assignment["s3_key"]],
        "b_key": b_video["s3_key"],
        "elsewhere": elsewhere,
    }


PRIVACY_CALLS = [
    ("GET", "/privacy/users/{user}", None),
    ("DELETE", "/privacy/users/{user}", None),
    ("POST", "/privacy/assignments/{assignment}/erase", {"users": [1]}),
]


@pytest.mark.parametrize("method, path, body", PRIVACY_CALLS)
def test_non_admins_are_refused(api, ids, registry, method, path, body):
    path = path.format(user=ids.student, assignment=ids.assignment)
    for who in (student(ids), actor(ids.teacher, "grader", course=ids.course)):
        assert api.request(method, path, body=body, as_actor=who).status_int == 403
    assert api.testapp.request(path, method=method, expect_errors=True).status_int == 401
    session = parts_of(registry).session_factory()
    try:
        refusals = session.scalars(select(Event.event_type).where(Event.user_id == ids.teacher)).all()
    finally:
        session.close()
    assert refusals == ["access_denied"]


def test_export_holds_videos_events_and_working_links(api, ids, population, testapp):
    export = api.get(f"/privacy/users/{ids.student}", as_actor=admin(ids))
    assert export.status_int == 200
    body = export.json
    assert sorted(v["s3_key"] for v in body["videos"]) == sorted(population["a_keys"])
    assert {(s["assignment_id"], s["submission_id"]) for s in body["submissions"]} == {
        (ids.assignment, ids.submission),
        (population["elsewhere"].assignment, population["elsewhere"].submission),
    }
    current = next(v for v in body["videos"] if v["s3_key"] == population["a_keys"][1])
    assert testapp.get(current["download_url"].replace("http://localhost", "")).body == MP4 + b"second"
    assert body["links_expire_at"] - body["generated_at"] == 900
    kinds = [e["event_type"] for e in body["events"]]
    assert kinds.count("upload_confirmed") == 3 and "request_refused" in kinds
    watched = next(e for e in body["events"] if e["event_type"] == "playback_url_issued")
    assert watched["user_id"] is None and watched["user_role"] == "grader"  # the teacher is not exported
    assert population["b_key"] not in json.dumps(body)

    in_one = api.get(f"/privacy/users/{ids.student}", query=f"assignment={ids.assignment}", as_actor=admin(ids)).json
    assert sorted(v["s3_key"] for v in in_one["videos"]) == sorted(population["a_keys"][:2])


def test_export_of_an_unknown_user_is_empty(api, ids):
    body = api.get(f"/privacy/users/{ids.student}", as_actor=admin(ids)).json
    assert body["videos"] == [] and body["events"] == [] and body["submissions"] == []


def test_erase_user_leaves_nothing_but_anonymised_events(api, ids, population, registry):
    before = snapshot(registry, ids.student)
    b_before = snapshot(registry, ids.other_student)
    erased = api.delete(f"/privacy/users/{ids.student}", as_actor=admin(ids))
    assert erased.status_int == 202
    assert erased.json["status"] == "erasing" and erased.json["videos"] == 3

    run_purge_job(registry)

    for key in population["a_keys"]:
        assert parts_of(registry).storage.head(key) is None
    assert parts_of(registry).storage.head(population["b_key"]) is not None
    after = snapshot(registry, ids.student)
    assert after == {"videos": [], "events": [], "submissions": [], "keys": []}
    text = all_event_text(registry)
    assert f"videos/{ids.student}/" not in text and not any(key in text for key in before["keys"])
    assert snapshot(registry, ids.other_student) == b_before  # nobody else touched
    # The events are still counted, without the person.
    session = parts_of(registry).session_factory()
    try:
        kept = session.scalars(select(Event).where(Event.id.in_([e["id"] for e in before["events"]]))).all()
    finally:
        session.close()
    assert len(kept) == len(before["events"])
    assert all(
        e.user_id in (None, ids.teacher) and e.s3_key is None and e.video_id is None and e.error_context is None
        for e in kept
    )
    assert api.get(f"/privacy/users/{ids.student}", as_actor=admin(ids)).json["videos"] == []
    assert api.get(sub_path(ids), as_actor=student(ids)).status_int == 404  # the submission is gone too


def test_erase_users_of_an_assignment(api, ids, population, registry):
    elsewhere = population["elsewhere"]
    answer = api.post(f"/privacy/assignments/{ids.assignment}/erase", {"users": [ids.student]}, as_actor=admin(ids))
    assert answer.status_int == 202 and answer.json["videos"] == 2 and answer.json["users"] == 1
    run_purge_job(registry)
    for key in population["a_keys"][:2]:
        assert parts_of(registry).storage.head(key) is None
    # The same student's video in another assignment, and the other student, are untouched.
    assert parts_of(registry).storage.head(population["a_keys"][2]) is not None
    assert (
        api.get(
            f"/assignments/{elsewhere.assignment}/submissions/{elsewhere.submission}/playback-url",
            as_actor=student(elsewhere),
        ).status_int
        == 200
    )
    assert [v["s3_key"] for v in api.get(f"/privacy/users/{ids.student}", as_actor=admin(ids)).json["videos"]] == [
        population["a_keys"][2]
    ]
    assert parts_of(registry).storage.head(population["b_key"]) is not None

    everyone = api.post(f"/privacy/assignments/{ids.assignment}/erase", {"all_users": True}, as_actor=admin(ids))
    assert everyone.status_int == 202 and everyone.json["users"] == 1 and everyone.json["videos"] == 1
    run_purge_job(registry)
    assert parts_of(registry).storage.head(population["b_key"]) is None
    assert snapshot(registry, ids.other_student)["videos"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "body"),
        ({"users": []}, "users"),
        ({"users": [1], "all_users": True}, "body"),
        ({"users": ["x"]}, "users.0"),
        ({"users": [1], "extra": 1}, "body"),
    ],
)
def test_erase_refuses_a_bad_body(api, ids, body, field):
    answer = api.post(f"/privacy/assignments/{ids.assignment}/erase", body, as_actor=admin(ids))
    assert answer.status_int == 400 and field in answer.json["fields"], answer.json


def test_privacy_calls_are_logged_without_the_subject(api, ids, population, registry):
    api.get(f"/privacy/users/{ids.student}", as_actor=admin(ids))
    api.delete(f"/privacy/users/{ids.student}", as_actor=admin(ids))
    session = parts_of(registry).session_factory()
    try:
        logged = session.scalars(select(Event).where(Event.user_id == ids.admin).order_by(Event.id)).all()
    finally:
        session.close()
    assert [e.event_type for e in logged if e.event_type.startswith("privacy")] == [
        "privacy_exported",
        "privacy_erased",
    ]
    assert all(str(ids.student) not in (e.error_context or "") for e in logged)
