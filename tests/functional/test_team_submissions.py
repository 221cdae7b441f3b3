"""Team submissions: Moodle's "students submit in groups" — one submission per group.

The stub names the group in the actor (``"group": g``) for a team submission. The first upload
fixes the submission's group as it fixes its owner; every member of that group may then see,
replace and delete its video, and nobody else (another group, a student naming no group) may.
"""

from __future__ import annotations

import requests
from sqlalchemy import select

from s3video_sidecar.models import Submission, Video
from s3video_sidecar.sdk import signing
from s3video_sidecar.services import parts_of
from tests.support.videos import mp4_bytes

MP4 = mp4_bytes(1524, b"t")
GROUP, OTHER_GROUP = 31, 32


def member(ids, user, group=GROUP):
    return signing.encode_actor(user, ["student"], ids.course, group)


def path(ids, suffix=""):
    return f"/assignments/{ids.assignment}/submissions/{ids.submission}{suffix}"


def upload_and_confirm(api, ids, who):
    upload = api.post(
        path(ids, "/upload-url"), {"filename": "team.mp4", "size": len(MP4), "mime_type": "video/mp4"}, as_actor=who
    )
    assert upload.status_int == 201, upload.json
    fields = upload.json["upload"]["fields"]
    sent = requests.post(
        upload.json["upload"]["url"], data=fields, files={"file": ("f", MP4, fields["Content-Type"])}, timeout=10
    )
    assert sent.status_code == 204
    confirmed = api.post(path(ids, "/confirm"), {"s3_key": upload.json["s3_key"]}, as_actor=who)
    assert confirmed.status_int == 200, confirmed.json
    return upload.json["s3_key"]


def row(registry, model, **where):
    session = parts_of(registry).session_factory()
    try:
        return session.scalar(select(model).filter_by(**where))
    finally:
        session.close()


def test_every_member_of_the_group_may_see_replace_and_delete_the_video(api, ids, registry):
    first_key = upload_and_confirm(api, ids, member(ids, ids.student))
    teammate = member(ids, ids.other_student)

    assert api.get(path(ids), as_actor=teammate).json["video"]["s3_key"] == first_key
    assert api.get(path(ids, "/playback-url"), as_actor=teammate).status_int == 200
    second_key = upload_and_confirm(api, ids, teammate)  # the teammate replaces it
    assert api.get(path(ids), as_actor=member(ids, ids.student)).json["video"]["s3_key"] == second_key

    submission = row(registry, Submission, id=ids.submission)
    assert (submission.user_id, submission.group_id) == (ids.student, GROUP)  # created by the first, for the group
    assert row(registry, Video, s3_key=second_key).user_id == ids.other_student  # the uploader's video
    assert second_key.startswith(f"videos/{ids.other_student}/")
    assert api.delete(path(ids), as_actor=teammate).status_int == 202


def test_another_group_or_a_student_without_one_is_refused(api, ids):
    upload_and_confirm(api, ids, member(ids, ids.student))
    outsider = ids.other_student
    for who in (member(ids, outsider, OTHER_GROUP), signing.encode_actor(outsider, ["student"], ids.course)):
        assert api.get(path(ids), as_actor=who).status_int == 403
        assert api.get(path(ids, "/playback-url"), as_actor=who).status_int == 403
        refused = api.post(
            path(ids, "/upload-url"), {"filename": "x.mp4", "size": 10, "mime_type": "video/mp4"}, as_actor=who
        )
        assert refused.status_int == 403
        assert api.delete(path(ids), as_actor=who).status_int == 403
    grader = signing.encode_actor(ids.teacher, ["grader"], ids.course)
    assert api.get(path(ids, "/playback-url"), as_actor=grader).status_int == 200


def test_naming_a_group_opens_no_individual_submission(api, ids, registry):
    upload_and_confirm(api, ids, signing.encode_actor(ids.student, ["student"], ids.course))  # no group: individual
    assert row(registry, Submission, id=ids.submission).group_id is None
    claiming = member(ids, ids.other_student, GROUP)
    assert api.get(path(ids), as_actor=claiming).status_int == 403
    assert (
        api.post(
            path(ids, "/upload-url"), {"filename": "x.mp4", "size": 10, "mime_type": "video/mp4"}, as_actor=claiming
        ).status_int
        == 403
    )


def test_group_zero_is_moodles_team_of_students_in_no_group(api, ids):
    upload_and_confirm(api, ids, member(ids, ids.student, 0))
    assert api.get(path(ids), as_actor=member(ids, ids.other_student, 0)).status_int == 200
    assert api.get(path(ids), as_actor=member(ids, ids.other_student, GROUP)).status_int == 403
