"""The Python client's admin and privacy calls, against the live sidecar over HTTP."""

import pytest

from s3video_sidecar.sdk.client import SidecarError
from tests.support.videos import mp4_bytes


def test_every_admin_and_privacy_call_through_the_client(live_sidecar, ids):
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    admin = live_sidecar.client.acting_as(ids.admin, ["admin"], ids.course)
    upload = student.request_upload(ids.assignment, ids.submission, "talk.mp4", 1000, "video/mp4")
    student.upload_file(upload, mp4_bytes(1000), "talk.mp4")
    student.confirm(ids.assignment, ids.submission, upload["s3_key"])

    assert admin.admin_stats(days=3)["days"] == 3
    found = admin.admin_videos(course=ids.course, status=["ready"], uploaded_from="2000-01-01", per_page=5)
    assert found["total"] == 1 and found["videos"][0]["s3_key"] == upload["s3_key"]
    video_id = found["videos"][0]["video_id"]
    assert [e["event_type"] for e in admin.admin_video(video_id)["events"]] == ["upload_requested", "upload_confirmed"]
    assert admin.admin_events(user=ids.student, errors_only=False)["total"] == 2
    assert admin.admin_delete_video(video_id)["status"] == "deleting"
    with pytest.raises(SidecarError) as refused:
        admin.admin_restore_video(video_id)  # this sidecar has no grace period
    assert refused.value.status == 409

    export = admin.privacy_export(ids.student, assignment=ids.assignment)
    assert [v["s3_key"] for v in export["videos"]] == [upload["s3_key"]]
    assert admin.privacy_erase_assignment(ids.assignment, users=[ids.student])["users"] == 1
    assert admin.privacy_erase_assignment(ids.assignment)["status"] == "erased"  # nobody left
    assert admin.privacy_erase_user(ids.student)["status"] == "erased"

    with pytest.raises(SidecarError) as forbidden:
        student.admin_stats()
    assert forbidden.value.status == 403
