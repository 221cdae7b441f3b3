"""``POST /assignments/{a}/posters``: the grading table's thumbnails and media facts in one call.

On every configured database (the ``world`` runs the probe as the worker would), through the
S3 stand-in and the local edge: graders of the course and admins get, in the order asked,
each submission's signed poster URL and the probe's facts; students and other courses' graders
are refused; every bad body is a 400 naming the field, and nothing is written.
"""

from urllib.parse import urlsplit

import pytest
import webtest
from sqlalchemy import func, select

from s3video_sidecar.models import Event
from s3video_sidecar.schemas import MAX_POSTER_IDS
from tests.functional.test_api import actor, post_to_s3, student, sub_path
from tests.support.videos import mp4_bytes


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def posters_path(ids, assignment=None):
    return f"/assignments/{assignment or ids.assignment}/posters"


def teacher(ids, course=None):
    return actor(ids.teacher, "grader", course=course or ids.course)


def confirm_as(world, ids, submission, user, content):
    who = student(ids, user=user)
    upload = world.api.post(
        sub_path(ids, submission, "/upload-url"),
        {"filename": "talk.mp4", "size": len(content), "mime_type": "video/mp4"},
        as_actor=who,
    ).json
    assert post_to_s3(upload, content).status_code == 204
    answer = world.api.post(sub_path(ids, submission, "/confirm"), {"s3_key": upload["s3_key"]}, as_actor=who)
    assert answer.status_int == 200, answer.json
    world.drain()


def edge_get(world, url):
    parts = urlsplit(url)
    return webtest.TestApp(world.app).get(f"{parts.path}?{parts.query}", expect_errors=True)


def event_count(world, but=()) -> int:
    with world.session() as session:
        return session.scalar(select(func.count()).select_from(Event).where(Event.event_type.not_in(but)))


def state(world):
    return [(v.id, str(v.upload_status), v.poster_key, v.media) for v in world.videos()]


def test_a_grader_gets_each_submissions_poster_and_facts_in_one_call(world, ids):
    confirm_as(world, ids, ids.submission, ids.student, mp4_bytes(5000))
    fake = b"\x00\x00\x00\x18ftypmp42" + b"<html>not a video</html>" * 80  # the probe marks it an error
    confirm_as(world, ids, ids.other_submission, ids.other_student, fake)
    never = ids.submission + 500  # no upload there: unknown to the sidecar
    before = event_count(world)

    answer = world.api.post(
        posters_path(ids), {"submission_ids": [never, ids.other_submission, ids.submission]}, as_actor=teacher(ids)
    )

    assert answer.status_int == 200, answer.json
    body = answer.json
    assert body["assignment_id"] == ids.assignment and body["expires_at"] > 0
    assert [p["submission_id"] for p in body["posters"]] == [never, ids.other_submission, ids.submission]
    empty, refused, probed = body["posters"]
    assert empty == {
        "submission_id": never,
        "status": "empty",
        "video_id": None,
        "poster_url": None,
        "duration": None,
        "media": None,
        "error": None,
    }
    assert refused["status"] == "error" and refused["poster_url"] is None and "not a video" in refused["error"]
    assert probed["status"] == "ready" and probed["error"] is None
    assert probed["media"]["video_codec"] == "h264" and probed["media"]["width"] == 16
    assert probed["media"]["plays_everywhere"] is True and probed["duration"] == 0
    poster = edge_get(world, probed["poster_url"])
    assert poster.status_int == 200 and poster.body[:3] == b"\xff\xd8\xff"  # the edge serves the JPEG
    assert event_count(world) == before  # reads only: no event, a poster is not a view

    # an admin may ask too; the same answer as the grader's
    admin = actor(ids.admin, "admin", course=ids.course)
    again = world.api.post(posters_path(ids), {"submission_ids": [ids.submission]}, as_actor=admin)
    assert again.status_int == 200 and again.json["posters"][0]["video_id"] == probed["video_id"]


def test_another_assignments_submission_is_empty_here(world, ids):
    confirm_as(world, ids, ids.submission, ids.student, mp4_bytes(3000))
    other = ids.assignment + 500
    upload = world.api.post(
        f"/assignments/{other}/submissions/{ids.other_submission}/upload-url",
        {"filename": "a.mp4", "size": 10, "mime_type": "video/mp4"},
        as_actor=student(ids, user=ids.other_student),
    )
    assert upload.status_int == 201

    answer = world.api.post(
        posters_path(ids), {"submission_ids": [ids.other_submission, ids.submission]}, as_actor=teacher(ids)
    )

    assert answer.status_int == 200
    assert [p["status"] for p in answer.json["posters"]] == ["empty", "ready"]


def test_only_graders_of_the_course_and_admins_may_ask(world, ids):
    confirm_as(world, ids, ids.submission, ids.student, mp4_bytes(3000))
    body = {"submission_ids": [ids.submission]}

    owner = world.api.post(posters_path(ids), body, as_actor=student(ids))
    assert owner.status_int == 403  # not even the owner: students see their own through GET submission
    other_course = world.api.post(posters_path(ids), body, as_actor=teacher(ids, course=ids.course + 1))
    assert other_course.status_int == 403
    both = actor(ids.student, "student", "grader", course=ids.course + 1)
    assert world.api.post(posters_path(ids), body, as_actor=both).status_int == 403
    unsigned = webtest.TestApp(world.app).post_json(posters_path(ids), body, expect_errors=True)
    assert unsigned.status_int == 401

    unknown = world.api.post(posters_path(ids, assignment=ids.assignment + 900), body, as_actor=teacher(ids))
    assert unknown.status_int == 404 and "nothing" in unknown.json["error"]
    assert (
        world.api.post(posters_path(ids, assignment=ids.assignment + 900), body, as_actor=student(ids)).status_int
        == 403
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "submission_ids"),
        ({"submission_ids": []}, "submission_ids"),
        ({"submission_ids": list(range(1, MAX_POSTER_IDS + 2))}, "submission_ids"),
        ({"submission_ids": [5, 5]}, "submission_ids"),
        ({"submission_ids": [0]}, "submission_ids.0"),
        ({"submission_ids": [1, -3]}, "submission_ids.1"),
        ({"submission_ids": ["7"]}, "submission_ids.0"),
        ({"submission_ids": [True]}, "submission_ids.0"),
        ({"submission_ids": [1.5]}, "submission_ids.0"),
        ({"submission_ids": [2**63]}, "submission_ids.0"),
        ({"submission_ids": "1,2"}, "submission_ids"),
        ({"submission_ids": [1], "extra": 1}, "body"),  # colander names the unknown key in the message
    ],
)
def test_every_bad_body_is_a_400_naming_the_field_and_changes_nothing(world, ids, body, field):
    confirm_as(world, ids, ids.submission, ids.student, mp4_bytes(3000))
    before, videos = event_count(world, but=("request_refused",)), state(world)

    answer = world.api.post(posters_path(ids), body, as_actor=teacher(ids))

    assert answer.status_int == 400, answer.json
    assert field in answer.json["fields"], answer.json
    assert event_count(world, but=("request_refused",)) == before and state(world) == videos


def test_a_body_that_is_not_a_json_object_is_a_400(world, ids):
    from s3video_sidecar.sdk import signing
    from tests.support.signed_app import KEY_ID, SECRET

    for data in (b"[1, 2]", b'{"submission_ids": [1], "submission_ids": [2]}', b"not json"):
        headers = signing.sign_headers(KEY_ID, SECRET, "POST", posters_path(ids), "", teacher(ids), data)
        answer = webtest.TestApp(world.app).post(
            posters_path(ids), data, headers=headers, content_type="application/json", expect_errors=True
        )
        assert answer.status_int == 400 and "body" in answer.json["fields"]


def test_the_largest_page_is_one_call(world, ids):
    confirm_as(world, ids, ids.submission, ids.student, mp4_bytes(3000))
    asked = [ids.submission] + [ids.submission + 10_000 + n for n in range(MAX_POSTER_IDS - 1)]

    answer = world.api.post(posters_path(ids), {"submission_ids": asked}, as_actor=teacher(ids))

    assert answer.status_int == 200
    assert [p["submission_id"] for p in answer.json["posters"]] == asked
    assert answer.json["posters"][0]["poster_url"] and all(p["status"] == "empty" for p in answer.json["posters"][1:])


def test_the_python_client_calls_it(world, ids, monkeypatch):
    """sdk/client.py's posters() sends the body the view expects, signed (through webtest as transport)."""
    from s3video_sidecar.sdk.client import SidecarClient
    from tests.support.signed_app import KEY_ID, SECRET

    confirm_as(world, ids, ids.submission, ids.student, mp4_bytes(3000))
    testapp = webtest.TestApp(world.app)

    class Session:
        def request(self, method, url, data=None, headers=None, timeout=None):
            parts = urlsplit(url)
            response = testapp.request(parts.path, method=method, body=data or b"", headers=headers, expect_errors=True)
            return type(
                "Response",
                (),
                {
                    "status_code": response.status_int,
                    "content": response.body,
                    "headers": response.headers,
                    "json": lambda self: response.json,
                },
            )()

    client = SidecarClient("http://sidecar", KEY_ID, SECRET, session=Session()).acting_as(
        ids.teacher, ["grader"], ids.course
    )
    answer = client.posters(ids.assignment, [ids.submission])
    assert answer["posters"][0]["status"] == "ready" and answer["posters"][0]["poster_url"]
