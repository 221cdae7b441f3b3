"""The whole flow over real HTTP: waitress app, the guarded S3 stand-in, the local edge.

A real MP4 is made with ffmpeg, uploaded through the presigned POST with the Python
client, confirmed, fetched back through a signed URL (whole and with Range), and the
stand-in refuses an oversize and an expired POST.
"""

import pytest
import requests

from s3video_sidecar.sdk.client import SidecarError, UploadError
from s3video_sidecar.sdk.receipt import verify_receipt
from tests.support.videos import h264_clip, mp4_bytes


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return h264_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=3)


def test_upload_confirm_play_seek_delete(live_sidecar, ids, clip):
    data = clip.read_bytes()
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    teacher = live_sidecar.client.acting_as(ids.teacher, ["grader"], ids.course)

    assert live_sidecar.client.health()["status"] == "ok"
    upload = student.request_upload(ids.assignment, ids.submission, "clip.mp4", len(data), "video/mp4")
    student.upload_file(upload, str(clip))
    confirmed = student.confirm(ids.assignment, ids.submission, upload["s3_key"])
    assert confirmed["file_size"] == len(data)

    play = teacher.playback_url(ids.assignment, ids.submission)
    assert play["url"].startswith(f"{live_sidecar.url}/edge/videos/{ids.student}/")
    whole = requests.get(play["url"], timeout=10)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Accept-Ranges"] == "bytes"
    seek = requests.get(play["url"], headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert seek.status_code == 206 and seek.content == data[1000:2000]
    beyond = requests.get(play["url"], headers={"Range": f"bytes={len(data) + 10}-"}, timeout=10)
    assert beyond.status_code == 416

    tampered = play["url"].replace("Expires=", "Expires=1")
    assert requests.get(tampered, timeout=10).status_code == 403

    student.delete_submission(ids.assignment, ids.submission)
    with pytest.raises(SidecarError) as gone:
        teacher.playback_url(ids.assignment, ids.submission)
    assert gone.value.status == 404


def test_stand_in_refuses_oversize_and_expired_posts(live_sidecar, ids, monkeypatch):
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    upload = student.request_upload(ids.assignment, ids.submission, "small.mp4", 100, "video/mp4")
    max_size = upload["max_size"]
    with pytest.raises(UploadError) as too_big:
        student.upload_file(upload, b"x" * (max_size + 1))
    assert too_big.value.code == "EntityTooLarge"

    import time

    from s3video_sidecar.sdk import embedded_s3

    real = time.time
    monkeypatch.setattr(embedded_s3.time, "time", lambda: real() + 3600)
    with pytest.raises(UploadError) as expired:
        student.upload_file(upload, b"x" * 100)
    assert expired.value.code == "AccessDenied" and "expired" in expired.value.message
    monkeypatch.setattr(embedded_s3.time, "time", real)

    with pytest.raises(SidecarError) as not_there:
        student.confirm(ids.assignment, ids.submission, upload["s3_key"])
    assert not_there.value.status == 409


def test_multipart_upload_over_http(live_sidecar, ids):
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    data = mp4_bytes(6 * 1024 * 1024 + 3, bytes(range(256)))  # 6 MiB + 3 bytes: two parts
    route = student.request_upload(ids.assignment, ids.submission, "big.mp4", len(data), "video/mp4")
    assert route["method"] == "multipart"
    started = student.start_multipart(
        ids.assignment, ids.submission, "big.mp4", len(data), "video/mp4", fingerprint="fp-" + str(ids.submission)
    )
    assert started["part_count"] == 2 and started["part_size"] == 5 * 1024 * 1024
    again = student.start_multipart(
        ids.assignment, ids.submission, "big.mp4", len(data), "video/mp4", fingerprint="fp-" + str(ids.submission)
    )
    assert again["upload_id"] == started["upload_id"] and again["resumed"] is True

    parts = student.upload_parts(ids.assignment, ids.submission, started, data)
    held = student.list_parts(ids.assignment, ids.submission, started["upload_id"])["parts"]
    assert [p["part_number"] for p in held] == [1, 2]
    done = student.complete_multipart(ids.assignment, ids.submission, started["upload_id"], parts)
    assert done["status"] == "ready" and done["file_size"] == len(data)
    assert done["checksum_type"] == "composite" and done["checksum_sha256"].endswith("-2")
    assert verify_receipt(data, done["checksum_sha256"], part_size=started["part_size"])
    play = student.playback_url(ids.assignment, ids.submission)
    assert requests.get(play["url"], timeout=30).content == data


def test_multipart_refuses_a_size_mismatch_and_aborts(live_sidecar, ids):
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    declared = 6 * 1024 * 1024
    started = student.start_multipart(ids.assignment, ids.submission, "liar.mp4", declared, "video/mp4")
    parts = student.upload_parts(ids.assignment, ids.submission, started, b"x" * (declared + 1000))
    with pytest.raises(SidecarError) as refused:
        student.complete_multipart(ids.assignment, ids.submission, started["upload_id"], parts)
    assert refused.value.status == 409
    with pytest.raises(SidecarError) as gone:
        student.list_parts(ids.assignment, ids.submission, started["upload_id"])
    assert gone.value.status == 409  # the upload is closed (aborted at S3, row in error)


def test_the_python_client_drives_drafts_save_recycle_bin_restore_and_whoami(live_sidecar, ids, clip):
    """What the Moodle plugin does, through the Python client over HTTP: a draft upload, save(),
    the connection check, an assignment deleted into the recycle bin, then restored under new ids."""
    data = clip.read_bytes()
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    teacher = live_sidecar.client.acting_as(ids.teacher, ["grader"], ids.course)
    admin = live_sidecar.client.acting_as(ids.admin, ["admin"], ids.course)

    assert admin.whoami() == {
        "key_id": live_sidecar.key_id,
        "actor": {"user": ids.admin, "roles": ["admin"], "course": ids.course},
    }
    first = student.request_upload(ids.assignment, ids.submission, "first.mp4", len(data), "video/mp4")
    student.upload_file(first, data)
    assert student.confirm(ids.assignment, ids.submission, first["s3_key"])["current"] is True
    second = student.request_upload(ids.assignment, ids.submission, "second.mp4", len(data), "video/mp4")
    student.upload_file(second, data)
    draft = student.confirm(ids.assignment, ids.submission, second["s3_key"], draft=True)
    assert draft["current"] is False
    assert teacher.playback_url(ids.assignment, ids.submission)["video_id"] == first["video_id"]
    assert [d["video_id"] for d in student.submission(ids.assignment, ids.submission)["drafts"]] == [second["video_id"]]
    saved = student.make_current(ids.assignment, ids.submission, second["video_id"])
    assert saved["current"] is True
    assert teacher.playback_url(ids.assignment, ids.submission)["video_id"] == second["video_id"]

    deleted = admin.delete_assignment(ids.assignment, retain_seconds=3600)
    assert deleted["scheduled"] == 1 and deleted["purge_after"] > 3600
    restored = admin.copy_from(
        ids.assignment + 50, ids.submission + 50, ids.assignment, ids.submission, user_id=ids.student
    )
    assert restored["video"]["s3_key"] == second["s3_key"]
    url = teacher.playback_url(ids.assignment + 50, ids.submission + 50)["url"]
    assert requests.get(url, timeout=10).content == data
    with pytest.raises(SidecarError) as refused:
        student.copy_from(ids.assignment + 60, ids.submission + 60, ids.assignment, ids.submission, user_id=ids.student)
    assert refused.value.status == 403
