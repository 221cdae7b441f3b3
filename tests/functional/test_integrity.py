"""A confirmed video never changes (issue 12, items 1-3): staging key, copy on confirm, exact size,
container signature, SHA-256 receipt. Against the S3 stand-in over HTTP, on every database.

The attacks are the issue's: re-POSTing a confirmed upload's fields with other bytes, re-POSTing
after delete and purge, declaring one size and sending another, and sending a PDF or a text file
as ``video/mp4``. What the teacher plays must stay, byte for byte, what was confirmed.
"""

import base64
import json
import time

import pytest
import requests

from s3video_sidecar.sdk import keys
from s3video_sidecar.sdk.receipt import verify_receipt
from s3video_sidecar.services import parts_of
from tests.functional.test_api import post_to_s3, request_upload, student, sub_path
from tests.support.signed_app import actor
from tests.support.videos import mp4_bytes, real_mp4, sha256_b64

VIDEO = mp4_bytes(4096, b"confirmed")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"%" * 500 + b"\n%%EOF\n"
TEXT = b"this is not a video at all\n"  # 28 bytes, declared video/mp4


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def confirm(world, ids, s3_key):
    return world.api.post(sub_path(ids, suffix="/confirm"), {"s3_key": s3_key}, as_actor=student(ids))


def uploaded(world, ids, content=VIDEO, size=None):
    upload = request_upload(world.api, ids, size=len(content) if size is None else size).json
    assert post_to_s3(upload, content).status_code == 204
    return upload


def played_bytes(world, ids) -> bytes:
    grader = actor(ids.teacher, "grader", course=ids.course)
    play = world.api.get(sub_path(ids, suffix="/playback-url"), as_actor=grader)
    assert play.status_int == 200, play.json
    return world.api.testapp.get(play.json["url"].replace("http://localhost", "")).body


def rejection(world, s3_key):
    return [e for e in world.events("upload_rejected") if e.s3_key == s3_key]


# -- 1. the confirmed bytes are the played bytes, whatever is POSTed afterwards -------------------


def test_the_post_policy_names_the_staging_key_and_exactly_the_declared_size(world, ids):
    upload = request_upload(world.api, ids, size=len(VIDEO)).json
    assert upload["s3_key"].startswith("videos/")
    assert upload["upload"]["fields"]["key"] == keys.staging_key(upload["s3_key"])
    policy = json.loads(base64.b64decode(upload["upload"]["fields"]["policy"]))
    assert ["content-length-range", len(VIDEO), len(VIDEO)] in policy["conditions"]


def test_confirm_copies_the_checked_bytes_to_the_video_key_and_records_their_sha256(world, ids):
    upload = uploaded(world, ids)
    assert keys.staging_key(upload["s3_key"]) in world.staging_keys()
    answer = confirm(world, ids, upload["s3_key"])
    assert answer.status_int == 200, answer.json
    assert answer.json["checksum_sha256"] == sha256_b64(VIDEO) and answer.json["checksum_type"] == "full_object"
    assert verify_receipt(VIDEO, answer.json["checksum_sha256"])
    assert world.staging_keys() == set() and upload["s3_key"] in world.object_keys()
    state = world.api.get(sub_path(ids), as_actor=actor(ids.teacher, "grader", course=ids.course)).json
    assert state["video"]["checksum_sha256"] == sha256_b64(VIDEO)  # the teacher sees the same receipt
    assert state["video"]["checksum_type"] == "full_object"
    assert played_bytes(world, ids) == VIDEO


def test_reposting_a_confirmed_uploads_fields_changes_nothing_that_is_played(world, ids):
    upload = uploaded(world, ids)
    first = confirm(world, ids, upload["s3_key"]).json
    other = b"<html>swapped after the deadline</html>".ljust(len(VIDEO), b" ")  # the same size: the policy allows it
    assert post_to_s3(upload, other).status_code == 204  # S3 takes it... at the staging key
    again = confirm(world, ids, upload["s3_key"])
    assert again.status_int == 200 and again.json["checksum_sha256"] == first["checksum_sha256"]
    assert played_bytes(world, ids) == VIDEO  # byte for byte what was confirmed
    assert world.storage.head(upload["s3_key"]).checksum_sha256 == sha256_b64(VIDEO)

    # The reconciler removes the stray staging object once the upload window is over.
    report = world.runner(clock=lambda: time.time() + world.settings.upload_expiry_seconds + 60).run("reconcile")
    assert report.counts["staging_deleted"] == 1 and world.staging_keys() == set()
    assert played_bytes(world, ids) == VIDEO and world.audit().ok


def test_after_delete_and_purge_the_same_post_cannot_bring_a_video_back(world, ids):
    upload = uploaded(world, ids)
    assert confirm(world, ids, upload["s3_key"]).status_int == 200
    assert world.api.delete(sub_path(ids), as_actor=student(ids)).status_int == 202
    world.runner(clock=lambda: time.time() + world.settings.delete_grace_seconds + 1).run("cleanup")
    assert world.videos(s3_key=upload["s3_key"])[0].upload_status == "deleted"
    assert upload["s3_key"] not in world.object_keys()

    assert post_to_s3(upload, VIDEO).status_code == 204  # the policy is still valid...
    assert upload["s3_key"] not in world.object_keys()  # ...but it writes only the staging key
    assert confirm(world, ids, upload["s3_key"]).status_int == 409
    assert world.api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).status_int == 404
    reconcile = world.runner(clock=lambda: time.time() + world.settings.upload_expiry_seconds + 60)
    reconcile.run("reconcile")
    assert world.staging_keys() == set() and upload["s3_key"] not in world.object_keys()
    assert world.videos(s3_key=upload["s3_key"])[0].upload_status == "deleted"


def test_a_staging_object_a_pending_upload_waits_for_is_kept(world, ids):
    upload = uploaded(world, ids)
    report = world.runner().run("reconcile")  # inside the window: nothing to settle or sweep
    assert report.counts["staging_deleted"] == 0
    assert keys.staging_key(upload["s3_key"]) in world.staging_keys()
    assert confirm(world, ids, upload["s3_key"]).status_int == 200


def test_an_expired_post_upload_is_confirmed_late_from_its_staging_key(world, ids):
    upload = uploaded(world, ids)  # and the client never confirmed
    report = world.runner(clock=lambda: time.time() + 2 * 86400).run("reconcile")
    assert report.counts["confirmed_late"] == 1
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "ready" and video.checksum_sha256 == sha256_b64(VIDEO)
    assert world.staging_keys() == set() and played_bytes(world, ids) == VIDEO


def test_staging_bytes_changed_between_check_and_copy_are_not_confirmed(world, ids):
    """The copy names the ETag confirm checked: bytes POSTed in between make it fail (412), not copy them."""
    upload = uploaded(world, ids)
    staging = keys.staging_key(upload["s3_key"])
    swapped = mp4_bytes(len(VIDEO), b"swapped")
    real_head = world.storage.head

    def head_then_swap(key):
        info = real_head(key)
        if key == staging and info is not None and not getattr(head_then_swap, "done", False):
            head_then_swap.done = True
            assert post_to_s3(upload, swapped).status_code == 204  # lands after the check, before the copy
        return info

    world.storage.head = head_then_swap
    try:
        answer = confirm(world, ids, upload["s3_key"])
    finally:
        del world.storage.head
    assert answer.status_int == 409 and answer.json["code"] == "changed"
    assert upload["s3_key"] not in world.object_keys()
    assert world.videos(s3_key=upload["s3_key"])[0].upload_status == "pending"
    again = confirm(world, ids, upload["s3_key"])  # the confirm that follows checks what is there now
    assert again.status_int == 200 and again.json["checksum_sha256"] == sha256_b64(swapped)
    assert played_bytes(world, ids) == swapped


# -- 2. the declared size is bound ---------------------------------------------------------------


@pytest.mark.parametrize("sent", [len(VIDEO) + 1, len(VIDEO) - 1, 2 * 1024 * 1024])
def test_s3_refuses_a_post_of_another_size_than_declared(world, ids, sent):
    upload = request_upload(world.api, ids, size=len(VIDEO)).json
    refused = post_to_s3(upload, mp4_bytes(sent))
    assert refused.status_code == 400
    assert ("EntityTooLarge" if sent > len(VIDEO) else "EntityTooSmall") in refused.text
    assert world.staging_keys() == set()


@pytest.mark.parametrize("stored", [len(VIDEO) + 1000, len(VIDEO) // 4])
def test_confirm_refuses_a_stored_size_other_than_declared(world, ids, stored):
    """Should bytes of another size reach the staging key (a bucket without the policy), confirm refuses them."""
    upload = request_upload(world.api, ids, size=len(VIDEO)).json
    staging = keys.staging_key(upload["s3_key"])
    world.put_objects([staging], body=mp4_bytes(stored))
    answer = confirm(world, ids, upload["s3_key"])
    assert answer.status_int == 409 and answer.json["code"] == "size_mismatch"
    assert f"not the declared {len(VIDEO)}" in answer.json["error"]
    assert world.staging_keys() == set() and upload["s3_key"] not in world.object_keys()
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "error" and video.error_code == "size_mismatch"
    assert [e.error_code for e in rejection(world, upload["s3_key"])] == ["size_mismatch"]


# -- 3. the content is a video of the declared type -------------------------------------------------


@pytest.mark.parametrize("content", [PDF, TEXT], ids=["pdf", "text"])
def test_a_non_video_declared_video_mp4_is_refused_and_deleted(world, ids, content):
    upload = uploaded(world, ids, content)
    answer = confirm(world, ids, upload["s3_key"])
    assert answer.status_int == 415 and answer.json["code"] == "not_a_video"
    assert "not a video/mp4 video" in answer.json["error"]
    assert world.staging_keys() == set() and upload["s3_key"] not in world.object_keys()
    (video,) = world.videos(s3_key=upload["s3_key"])
    assert video.upload_status == "error" and video.error_code == "not_a_video"
    assert [e.error_code for e in rejection(world, upload["s3_key"])] == ["not_a_video"]
    assert confirm(world, ids, upload["s3_key"]).status_int == 409  # refused for good
    assert world.api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).status_int == 404


def test_a_webm_declared_video_mp4_is_refused(world, ids):
    webm = b"\x1a\x45\xdf\xa3" + b"\x00" * 600
    upload = uploaded(world, ids, webm)
    assert confirm(world, ids, upload["s3_key"]).json["code"] == "not_a_video"


def test_a_real_mp4_made_by_ffmpeg_is_accepted(world, ids, tmp_path):
    data = real_mp4(tmp_path / "tiny.mp4")
    if data is None:
        pytest.fail("ffmpeg is required (make test installs Debian's ffmpeg)")
    upload = uploaded(world, ids, data)
    answer = confirm(world, ids, upload["s3_key"])
    assert answer.status_int == 200, answer.json
    assert answer.json["checksum_sha256"] == sha256_b64(data)
    assert played_bytes(world, ids) == data


def test_a_multipart_upload_that_is_not_a_video_is_refused_after_complete(world, ids):
    data = b"\0" * (6 * 1024 * 1024)  # two parts of zeros, declared video/mp4
    started = world.api.post(
        sub_path(ids, suffix="/multipart"),
        {"filename": "zeros.mp4", "size": len(data), "mime_type": "video/mp4"},
        as_actor=student(ids),
    ).json
    path = sub_path(ids, suffix=f"/multipart/{started['upload_id']}")
    urls = world.api.post(f"{path}/parts", {"part_numbers": [1, 2]}, as_actor=student(ids)).json["parts"]
    size = started["part_size"]
    etags = [
        requests.put(p["url"], data=data[(p["part_number"] - 1) * size : p["part_number"] * size], timeout=30).headers[
            "ETag"
        ]
        for p in urls
    ]
    answer = world.api.post(
        f"{path}/complete",
        {"parts": [{"part_number": n, "etag": e} for n, e in enumerate(etags, 1)]},
        as_actor=student(ids),
    )
    assert answer.status_int == 415 and answer.json["code"] == "not_a_video"
    assert started["s3_key"] not in world.object_keys()
    assert world.videos(s3_key=started["s3_key"])[0].error_code == "not_a_video"
    again = requests.put(urls[0]["url"], data=data[:size], timeout=30)  # the upload id is dead
    assert again.status_code == 404 and "NoSuchUpload" in again.text


def test_the_local_edge_serves_nothing_outside_videos_even_signed(world, ids):
    """As CloudFront, whose bucket policy reads only videos/*: a staging object is never served."""
    upload = uploaded(world, ids)
    staging = keys.staging_key(upload["s3_key"])
    signer = parts_of(world.registry).url_signer
    url = signer.sign(f"{world.settings.playback_base_url}/{staging}", int(time.time()) + 60)
    assert world.api.testapp.get(url.replace("http://localhost", ""), expect_errors=True).status_int == 404
