"""Drafts, making a draft current, assignment deletion kept restorable, copy-from with shared
objects, and ``GET /whoami`` (issue 13 items 2-4 and 11; the brief's contracts C2-C7).

Through the HTTP API with S3V1-signed requests, against the S3 stand-in over HTTP, on every
configured database, with the real job runner (huey immediate, and Redis where configured).
Time moves through the runner's clock; the consistency audit must stay clean throughout.
"""

import time

import pytest
import requests
import webtest

from tests.functional.test_api import MP4, post_to_s3, request_upload, student, sub_path, upload_and_confirm
from tests.support.signed_app import SignedApp, actor
from tests.support.videos import mp4_bytes

DAY = 86400
DRAFT = mp4_bytes(3016, b"d")  # another video: the edge tells them apart by their bytes


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def later(seconds):
    return lambda: time.time() + seconds


def grader(ids, course=None):
    return actor(ids.teacher, "grader", course=course or ids.course)


def admin(ids, course=None):
    return actor(ids.admin, "admin", course=course or ids.course)


def upload_draft(api, ids, content=DRAFT, submission=None, who=None):
    """Upload and confirm with ``"draft": true``; return the confirm answer."""
    who = who or student(ids)
    upload = api.post(
        sub_path(ids, submission, "/upload-url"),
        {"filename": "draft.mp4", "size": len(content), "mime_type": "video/mp4"},
        as_actor=who,
    ).json
    assert post_to_s3(upload, content).status_code == 204
    answer = api.post(sub_path(ids, submission, "/confirm"), {"s3_key": upload["s3_key"], "draft": True}, as_actor=who)
    assert answer.status_int == 200, answer.json
    return answer.json


def played_bytes(world, api, path, who) -> bytes:
    """What the edge serves for the signed URL the submission's playback-url call gives ``who``."""
    play = api.get(f"{path}/playback-url", as_actor=who)
    assert play.status_int == 200, play.json
    return webtest.TestApp(world.app).get(play.json["url"].replace("http://localhost", "")).body


def state(api, ids, assignment=None, submission=None, who=None):
    path = f"/assignments/{assignment or ids.assignment}/submissions/{submission or ids.submission}"
    return api.get(path, as_actor=who or admin(ids)).json


def video_id_of(world, key, **where):
    return [v.id for v in world.videos(s3_key=key, **where)]


# -- C2 / C4: drafts ---------------------------------------------------------------------------------


def test_a_draft_does_not_replace_the_submitted_video_and_the_teacher_still_plays_the_old_one(world, ids):
    api = world.api
    submitted = upload_and_confirm(api, ids)
    draft = upload_draft(api, ids)
    assert draft["current"] is False and draft["status"] == "ready" and draft["file_size"] == len(DRAFT)

    seen = state(api, ids, who=student(ids))
    assert seen["video"]["s3_key"] == submitted["s3_key"]
    assert [d["video_id"] for d in seen["drafts"]] == [draft["video_id"]]
    assert played_bytes(world, api, sub_path(ids), grader(ids)) == MP4
    assert {v.upload_status for v in world.videos()} == {"ready"}  # nothing scheduled
    assert world.events("delete_requested") == []
    again = api.post(
        sub_path(ids, suffix="/confirm"), {"s3_key": draft["s3_key"], "draft": True}, as_actor=student(ids)
    )
    assert again.status_int == 200 and again.json["current"] is False  # idempotent
    assert world.audit().ok


def test_a_newer_draft_supersedes_the_older_one(world, ids):
    api = world.api
    submitted = upload_and_confirm(api, ids)
    first = upload_draft(api, ids)
    second = upload_draft(api, ids, content=DRAFT + b"2")

    assert [d["video_id"] for d in state(api, ids)["drafts"]] == [second["video_id"]]
    world.drain()
    (old,) = world.videos(id=first["video_id"])
    assert old.upload_status == "deleted" and first["s3_key"] not in world.object_keys()  # no grace: purged
    assert {submitted["s3_key"], second["s3_key"]} <= world.object_keys()
    assert world.audit().ok


def test_a_confirm_without_draft_still_makes_the_video_current_and_clears_drafts(world, ids):
    api = world.api
    upload_and_confirm(api, ids)
    draft = upload_draft(api, ids)
    upload = request_upload(api, ids).json
    assert post_to_s3(upload).status_code == 204
    confirmed = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert confirmed.json["current"] is True
    seen = state(api, ids)
    assert seen["video"]["video_id"] == confirmed.json["video_id"] and seen["drafts"] == []
    world.drain()
    assert world.videos(id=draft["video_id"])[0].upload_status == "deleted"


def test_a_multipart_upload_completed_as_a_draft_stays_a_draft(world, ids):
    api = world.api
    submitted = upload_and_confirm(api, ids)
    size = 6 * 1024 * 1024
    started = api.post(
        sub_path(ids, suffix="/multipart"),
        {"filename": "big.mp4", "size": size, "mime_type": "video/mp4"},
        as_actor=student(ids),
    ).json
    data = DRAFT + b"m" * (size - len(DRAFT))
    signed = api.post(
        sub_path(ids, suffix=f"/multipart/{started['upload_id']}/parts"),
        {"part_numbers": list(range(1, started["part_count"] + 1))},
        as_actor=student(ids),
    ).json
    parts = []  # straight to S3, as the browser sends them
    for part in signed["parts"]:
        n = part["part_number"]
        chunk = data[(n - 1) * started["part_size"] : n * started["part_size"]]
        parts.append({"part_number": n, "etag": requests.put(part["url"], data=chunk, timeout=10).headers["ETag"]})
    done = api.post(
        sub_path(ids, suffix=f"/multipart/{started['upload_id']}/complete"),
        {"parts": parts, "draft": True},
        as_actor=student(ids),
    )
    assert done.status_int == 200, done.json
    assert done.json["current"] is False
    seen = state(api, ids)
    assert seen["video"]["s3_key"] == submitted["s3_key"] and seen["drafts"][0]["video_id"] == done.json["video_id"]


# -- C3: make current ------------------------------------------------------------------------------------


def test_making_a_draft_current_schedules_the_old_video_and_is_idempotent(world, ids):
    api = world.api
    submitted = upload_and_confirm(api, ids)
    draft = upload_draft(api, ids)

    made = api.post(sub_path(ids, suffix="/current"), {"video_id": draft["video_id"]}, as_actor=student(ids))
    assert made.status_int == 200, made.json
    assert made.json["current"] is True and made.json["video_id"] == draft["video_id"]
    assert played_bytes(world, api, sub_path(ids), grader(ids)) == DRAFT
    world.drain()
    (old,) = world.videos(s3_key=submitted["s3_key"])
    assert old.upload_status == "deleted" and submitted["s3_key"] not in world.object_keys()
    reasons = [e.error_context for e in world.events("delete_requested")]
    assert len(reasons) == 1 and "replaced" in reasons[0]

    again = api.post(sub_path(ids, suffix="/current"), {"video_id": draft["video_id"]}, as_actor=student(ids))
    assert again.status_int == 200 and again.json["current"] is True
    assert len(world.events("video_made_current")) == 1  # the second call changed nothing
    assert state(api, ids)["drafts"] == []
    # the old video is no longer ready: 409; another submission's video or an unknown id: 404
    assert api.post(sub_path(ids, suffix="/current"), {"video_id": old.id}, as_actor=student(ids)).status_int == 409
    assert api.post(sub_path(ids, suffix="/current"), {"video_id": 10**12}, as_actor=student(ids)).status_int == 404
    assert world.audit().ok


def test_make_current_refuses_other_submissions_strangers_and_bad_input(world, ids):
    api = world.api
    upload_and_confirm(api, ids)
    draft = upload_draft(api, ids)
    other = student(ids, user=ids.other_student)
    others_draft = upload_draft(api, ids, who=other, submission=ids.other_submission)

    path = sub_path(ids, suffix="/current")
    assert api.post(path, {"video_id": others_draft["video_id"]}, as_actor=student(ids)).status_int == 404
    assert api.post(path, {"video_id": draft["video_id"]}, as_actor=other).status_int == 403
    assert api.post(path, {"video_id": draft["video_id"]}, as_actor=grader(ids)).status_int == 403
    for body, field in [
        ({}, "video_id"),
        ({"video_id": "1"}, "video_id"),
        ({"video_id": True}, "video_id"),
        ({"video_id": 1.5}, "video_id"),
        ({"video_id": 0}, "video_id"),
        ({"video_id": 2**63}, "video_id"),
        ({"video_id": draft["video_id"], "x": 1}, "body"),
    ]:
        answer = api.post(path, body, as_actor=student(ids))
        assert answer.status_int == 400 and field in answer.json["fields"], (body, answer.json)
    assert (
        api.post(
            sub_path(ids, submission=ids.other_submission + 10**6, suffix="/current"),
            {"video_id": draft["video_id"]},
            as_actor=student(ids),
        ).status_int
        == 404
    )
    bad_draft = api.post(
        sub_path(ids, suffix="/confirm"), {"s3_key": draft["s3_key"], "draft": "yes"}, as_actor=student(ids)
    )
    assert bad_draft.status_int == 400 and "draft" in bad_draft.json["fields"]
    assert state(api, ids)["drafts"][0]["video_id"] == draft["video_id"]  # nothing changed
    assert world.events("video_made_current") == []


# -- C2: draft expiry ----------------------------------------------------------------------------------


def test_an_abandoned_draft_expires_and_its_object_goes(world, ids):
    api = world.api
    submitted = upload_and_confirm(api, ids)
    draft = upload_draft(api, ids)
    expiry = world.settings.draft_expiry_seconds
    assert expiry == 7 * DAY  # the default

    early = world.runner(clock=later(expiry - 600)).run("cleanup")
    assert early.counts["drafts_expired"] == 0 and draft["s3_key"] in world.object_keys()

    report = world.runner(clock=later(expiry + 60)).run("cleanup")
    world.drain()
    assert report.counts["drafts_expired"] == 1
    assert world.videos(id=draft["video_id"])[0].upload_status == "deleted"
    assert draft["s3_key"] not in world.object_keys()
    assert world.videos(s3_key=submitted["s3_key"])[0].upload_status == "ready"  # the submitted one stays
    assert submitted["s3_key"] in world.object_keys()
    assert "draft expired" in world.events("delete_requested")[-1].error_context
    assert world.audit().ok


# -- C5: assignment deletion kept restorable ---------------------------------------------------------


def test_an_assignment_deleted_with_retain_seconds_keeps_its_videos_then_purges_them(world, ids):
    api = world.api
    upload = upload_and_confirm(api, ids)
    answer = api.delete(f"/assignments/{ids.assignment}", query="retain_seconds=3600", as_actor=admin(ids))
    assert answer.status_int == 202 and answer.json["scheduled"] == 1
    assert answer.json["purge_after"] >= int(time.time()) + 3599
    world.drain()
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "deleting" and upload["s3_key"] in world.object_keys()

    assert world.runner(clock=later(3500)).run("cleanup").counts["deleted"] == 0
    assert upload["s3_key"] in world.object_keys()
    assert world.runner(clock=later(3700)).run("cleanup").counts["deleted"] == 1
    assert upload["s3_key"] not in world.object_keys()
    assert world.audit().ok


@pytest.mark.parametrize(
    "query, name",
    [
        ("retain_seconds=", "retain_seconds"),
        ("retain_seconds=-1", "retain_seconds"),
        ("retain_seconds=31622401", "retain_seconds"),
        ("retain_seconds=abc", "retain_seconds"),
        ("retain_seconds=1.5", "retain_seconds"),
        ("retain_seconds=99999999999999999999", "retain_seconds"),
        ("retain_seconds=1&retain_seconds=2", "retain_seconds"),
        ("retain=5", "query"),
    ],
)
def test_a_bad_retain_seconds_is_400_naming_it_and_deletes_nothing(world, ids, query, name):
    api = world.api
    upload_and_confirm(api, ids)
    answer = api.delete(f"/assignments/{ids.assignment}", query=query, as_actor=admin(ids))
    assert answer.status_int == 400 and name in answer.json["fields"], answer.json
    assert {v.upload_status for v in world.videos()} == {"ready"}


# -- C6: copy-from ------------------------------------------------------------------------------------


def copy_into(api, ids, target_assignment, target_submission, *, course, source=None, user=None, **extra):
    source_assignment, source_submission = source or (ids.assignment, ids.submission)
    return api.post(
        f"/assignments/{target_assignment}/submissions/{target_submission}/copy-from",
        {
            "assignment_id": source_assignment,
            "submission_id": source_submission,
            "user_id": user or ids.student,
            **extra,
        },
        as_actor=admin(ids, course=course),
    )


def test_a_copy_into_another_course_plays_and_survives_the_original_and_its_purge(world, ids):
    api = world.api
    upload = upload_and_confirm(api, ids)
    a2, s2, a3, s3 = ids.assignment + 500, ids.submission + 500, ids.assignment + 600, ids.submission + 600

    copied = copy_into(api, ids, a2, s2, course=ids.other_course)
    assert copied.status_int == 200, copied.json
    assert copied.json["video"]["s3_key"] == upload["s3_key"] and copied.json["user_id"] == ids.student
    assert copied.json["status"] == "ready"
    other_teacher = grader(ids, course=ids.other_course)
    assert played_bytes(world, api, f"/assignments/{a2}/submissions/{s2}", other_teacher) == MP4
    assert api.get(f"/assignments/{a2}/submissions/{s2}", as_actor=grader(ids)).status_int == 403  # not theirs
    again = copy_into(api, ids, a2, s2, course=ids.other_course)
    assert again.status_int == 200 and again.json["video"]["video_id"] == copied.json["video"]["video_id"]
    assert len(world.videos(s3_key=upload["s3_key"])) == 2  # idempotent: no second copy
    chained = copy_into(api, ids, a3, s3, course=ids.other_course, source=(a2, s2))  # a copy of a copy
    assert chained.status_int == 200 and chained.json["video"]["s3_key"] == upload["s3_key"]
    assert len(world.events("video_copied")) == 2

    assert api.delete(f"/assignments/{ids.assignment}", as_actor=admin(ids)).status_int == 202
    world.drain()
    world.runner().run("reconcile")
    (original,) = world.videos(assignment_id=ids.assignment)
    assert original.upload_status == "deleted" and upload["s3_key"] in world.object_keys()
    assert played_bytes(world, api, f"/assignments/{a2}/submissions/{s2}", other_teacher) == MP4
    assert world.audit().ok

    for assignment in (a2, a3):  # the last row to go takes the object with it
        api.delete(f"/assignments/{assignment}", as_actor=admin(ids, course=ids.other_course))
        world.drain()
    assert upload["s3_key"] not in world.object_keys()
    assert {v.upload_status for v in world.videos(s3_key=upload["s3_key"])} == {"deleted"}
    assert world.audit().ok


def test_a_recycle_bin_restore_copies_a_video_still_within_its_retention(world, ids):
    api = world.api
    upload = upload_and_confirm(api, ids)
    api.delete(f"/assignments/{ids.assignment}", query="retain_seconds=3600", as_actor=admin(ids))
    world.drain()
    restored = copy_into(api, ids, ids.assignment + 700, ids.submission + 700, course=ids.course)
    assert restored.status_int == 200 and restored.json["video"]["s3_key"] == upload["s3_key"]

    report = world.runner(clock=later(3700)).run("cleanup")  # the original's retention is over
    assert report.counts["objects_kept_shared"] == 1
    assert world.videos(assignment_id=ids.assignment)[0].upload_status == "deleted"
    assert (
        played_bytes(world, api, f"/assignments/{ids.assignment + 700}/submissions/{ids.submission + 700}", grader(ids))
        == MP4
    )
    assert world.audit().ok


def test_a_video_past_its_retention_cannot_be_copied(world, ids):
    api = world.api
    upload_and_confirm(api, ids)
    api.delete(f"/assignments/{ids.assignment}", as_actor=admin(ids))  # no retention: purged at once
    world.drain()
    answer = copy_into(api, ids, ids.assignment + 800, ids.submission + 800, course=ids.course)
    assert answer.status_int == 404
    assert world.videos(assignment_id=ids.assignment + 800) == []


def test_erasing_a_user_in_one_assignment_keeps_a_copys_object_only_while_another_row_needs_it(world, ids):
    api = world.api
    upload = upload_and_confirm(api, ids)
    a2, s2 = ids.assignment + 900, ids.submission + 900
    assert copy_into(api, ids, a2, s2, course=ids.other_course).status_int == 200

    erased = api.post(f"/privacy/assignments/{ids.assignment}/erase", {"users": [ids.student]}, as_actor=admin(ids))
    assert erased.status_int == 202
    world.drain()
    world.runner().run("cleanup")
    assert world.videos(assignment_id=ids.assignment) == []  # the erased row is forgotten once purged
    assert upload["s3_key"] in world.object_keys()  # the copy in the other course still needs it
    assert [e.s3_key for e in world.events("video_copied")] == [upload["s3_key"]]  # its history keeps the key
    assert played_bytes(world, api, f"/assignments/{a2}/submissions/{s2}", grader(ids, course=ids.other_course)) == MP4

    api.post(f"/privacy/assignments/{a2}/erase", {"users": [ids.student]}, as_actor=admin(ids, course=ids.other_course))
    world.drain()
    world.runner().run("cleanup")
    assert upload["s3_key"] not in world.object_keys()  # no row needs it any more
    assert world.audit().ok


def test_copy_from_refuses_bad_input_and_changes_nothing(world, ids):
    api = world.api
    upload_and_confirm(api, ids)
    target = (ids.assignment + 1000, ids.submission + 1000)
    path = f"/assignments/{target[0]}/submissions/{target[1]}/copy-from"
    good = {"assignment_id": ids.assignment, "submission_id": ids.submission, "user_id": ids.student}
    rows_before = len(world.videos())

    bodies = [
        ({**good, "assignment_id": str(ids.assignment)}, "assignment_id"),
        ({**good, "submission_id": 1.5}, "submission_id"),
        ({**good, "user_id": True}, "user_id"),
        ({**good, "user_id": 0}, "user_id"),
        ({**good, "assignment_id": 2**63}, "assignment_id"),
        ({**good, "submission_id": 10**40}, "submission_id"),
        ({**good, "group_id": -1}, "group_id"),
        ({**good, "group_id": "3"}, "group_id"),
        ({**good, "extra": 1}, "body"),
        ({k: v for k, v in good.items() if k != "user_id"}, "user_id"),
    ]
    for body, field in bodies:
        answer = api.post(path, body, as_actor=admin(ids, course=ids.other_course))
        assert answer.status_int == 400 and field in answer.json["fields"], (body, answer.json)
    oversized = api.post(path, {**good, "group_id": 1, "pad": "x" * 300_000}, as_actor=admin(ids))
    assert oversized.status_int in (400, 413)

    missing = api.post(path, {**good, "submission_id": ids.submission + 12345}, as_actor=admin(ids))
    assert missing.status_int == 404
    wrong_assignment = api.post(path, {**good, "assignment_id": ids.assignment + 1}, as_actor=admin(ids))
    assert wrong_assignment.status_int == 404
    assert api.post(path, good, as_actor=student(ids)).status_int == 403
    assert api.post(path, good, as_actor=grader(ids)).status_int == 403
    assert api.post(f"/assignments/0/submissions/{target[1]}/copy-from", good, as_actor=admin(ids)).status_int == 404

    # an existing target that contradicts the call: another course, another owner
    assert copy_into(api, ids, *target, course=ids.other_course).status_int == 200
    assert copy_into(api, ids, *target, course=ids.course).status_int == 403
    assert copy_into(api, ids, *target, course=ids.other_course, user=ids.other_student).status_int == 403
    assert len(world.videos()) == rows_before + 1  # only the one good copy
    assert len(world.events("video_copied")) == 1


def test_copy_from_never_overwrites_another_video_of_the_target(world, ids):
    api = world.api
    upload_and_confirm(api, ids)
    target_ids = type(ids)()  # fresh ids: another assignment whose submission has its own video
    target = upload_and_confirm(api, target_ids)
    answer = api.post(
        f"/assignments/{target_ids.assignment}/submissions/{target_ids.submission}/copy-from",
        {"assignment_id": ids.assignment, "submission_id": ids.submission, "user_id": target_ids.student},
        as_actor=admin(target_ids),
    )
    assert answer.status_int == 409
    assert world.videos(s3_key=target["s3_key"])[0].upload_status == "ready"


# -- C7: whoami ---------------------------------------------------------------------------------------


def test_whoami_names_the_key_and_actor_and_logs_no_refusal(world, ids):
    api = world.api
    answer = api.get("/whoami", as_actor=actor(ids.admin, "admin", course=ids.course))
    assert answer.status_int == 200
    assert answer.json == {"key_id": api.key_id, "actor": {"user": ids.admin, "roles": ["admin"], "course": ids.course}}
    team = api.get("/whoami", as_actor='{"user":5,"roles":["student"],"course":9,"group":0}')
    assert team.json["actor"]["group"] == 0
    assert world.events("request_refused") == [] and world.events("access_denied") == []


def test_whoami_with_a_bad_signature_is_401(world, ids):
    forged = SignedApp(webtest.TestApp(world.app), secret="wrong-secret-0123456789abcdef")
    answer = forged.get("/whoami", as_actor=student(ids))
    assert answer.status_int == 401 and answer.json["code"] == "bad_signature"
    unsigned = webtest.TestApp(world.app).get("/whoami", expect_errors=True)
    assert unsigned.status_int == 401


def test_a_team_submission_is_restored_for_its_group(world, ids):
    api = world.api
    team = actor(ids.student, "student", course=ids.course)  # a team submission: the actor names group 7
    team = team[:-1] + ',"group":7}'
    upload = api.post(
        sub_path(ids, suffix="/upload-url"),
        {"filename": "t.mp4", "size": len(MP4), "mime_type": "video/mp4"},
        as_actor=team,
    ).json
    assert post_to_s3(upload).status_code == 204
    assert api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=team).status_int == 200

    a2, s2 = ids.assignment + 1100, ids.submission + 1100
    copied = copy_into(api, ids, a2, s2, course=ids.other_course, group_id=9)
    assert copied.status_int == 200, copied.json
    member = actor(ids.other_student, "student", course=ids.other_course)[:-1] + ',"group":9}'
    assert played_bytes(world, api, f"/assignments/{a2}/submissions/{s2}", member) == MP4
    outsider = actor(ids.other_student, "student", course=ids.other_course)[:-1] + ',"group":8}'
    assert api.get(f"/assignments/{a2}/submissions/{s2}", as_actor=outsider).status_int == 403
    # the same target for another group contradicts it: refused, nothing changed
    assert copy_into(api, ids, a2, s2, course=ids.other_course, group_id=8).status_int == 403
