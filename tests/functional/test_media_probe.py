"""The media probe as the worker runs it: queued after a confirm commits, findings stored and
shown, a poster beside the video (signed like it, deleted with it), a non-video never left ready.

Against the S3 stand-in over HTTP, on every configured database, with huey in immediate mode
and through a real Redis queue where ``S3VIDEO_TEST_REDIS`` is set.
"""

from urllib.parse import urlsplit

import pytest
import webtest
from sqlalchemy import update

from s3video_sidecar.models import Video
from s3video_sidecar.sdk import keys
from tests.functional.test_api import actor, post_to_s3, request_upload, student, sub_path
from tests.support.videos import mp4_bytes


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def confirmed(world, ids, content, mime_type="video/mp4"):
    upload = request_upload(world.api, ids, size=len(content), mime_type=mime_type).json
    assert post_to_s3(upload, content).status_code == 204
    answer = world.api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert answer.status_int == 200, answer.json
    world.drain()  # the probe queued after the confirm committed (run already in immediate mode)
    return upload["s3_key"]


def edge_get(world, url):
    parts = urlsplit(url)
    return webtest.TestApp(world.app).get(f"{parts.path}?{parts.query}", expect_errors=True)


def test_a_confirmed_video_is_probed_once_and_gets_a_poster(world, ids):
    key = confirmed(world, ids, mp4_bytes(5000))

    (video,) = world.videos(s3_key=key)
    assert video.probed_timestamp is not None and video.upload_status == "ready"
    assert video.video_codec == "h264" and video.plays_everywhere is True
    assert video.duration == 0  # one frame at 25 fps: 0.04 s, rounded
    assert video.poster_key == keys.poster_key(key)
    assert world.storage.head(video.poster_key).content_type == "image/jpeg"
    (event,) = world.events("video_probed")
    assert event.video_id == video.id

    state = world.api.get(sub_path(ids), as_actor=student(ids)).json["video"]
    assert state["media"]["video_codec"] == "h264" and state["media"]["fast_start"] is True
    assert state["media"]["width"] == 16 and state["poster"] is True
    listed = world.api.get(sub_path(ids), as_actor=student(ids)).json["poster_url"]
    assert edge_get(world, listed).status_int == 200  # the status page shows it without a playback call

    teacher = actor(ids.teacher, "grader", course=ids.course)
    playback = world.api.get(sub_path(ids, suffix="/playback-url"), as_actor=teacher).json
    poster = edge_get(world, playback["poster_url"])
    assert poster.status_int == 200 and poster.body[:3] == b"\xff\xd8\xff"
    tampered = playback["poster_url"].replace("posters/", "videos/", 1)
    assert edge_get(world, tampered).status_int == 403  # the signature binds the poster's own URL

    # a second run finds nothing left to probe
    report = world.runner().run("probe")
    assert report.counts["probed"] == 0


def test_the_poster_goes_with_the_video(world, ids):
    key = confirmed(world, ids, mp4_bytes(5000))
    poster_key = keys.poster_key(key)
    assert world.storage.head(poster_key) is not None

    assert world.api.delete(sub_path(ids), as_actor=student(ids)).status_int == 202
    world.drain()
    (video,) = world.videos(s3_key=key)
    assert video.upload_status == "deleted"
    assert world.storage.head(poster_key) is None and world.storage.head(key) is None
    assert world.audit().ok


def test_a_file_that_is_not_a_video_never_stays_ready(world, ids):
    # An MP4 signature followed by junk: what a container sniff alone would let through.
    fake = b"\x00\x00\x00\x18ftypmp42" + b"<html><script>alert(1)</script></html>" * 60
    key = confirmed(world, ids, fake)

    (video,) = world.videos(s3_key=key)
    assert video.upload_status == "error" and video.error_code == "not_a_video"
    assert "not a video" in video.error_message
    assert video.poster_key is None
    assert [e.video_id for e in world.events("video_unplayable")] == [video.id]
    teacher = actor(ids.teacher, "grader", course=ids.course)
    assert world.api.get(sub_path(ids, suffix="/playback-url"), as_actor=teacher, status=404)


def test_the_dashboard_shows_the_codec_mix(world, ids):
    confirmed(world, ids, mp4_bytes(5000))
    admin = actor(ids.admin, "admin", course=ids.course)
    stats = world.api.get("/admin/stats", as_actor=admin).json
    assert stats["media"]["codecs"] == {"h264": 1} and stats["media"]["at_risk"] == 0


def test_a_lost_probe_task_is_made_up_by_the_periodic_job(world, ids):
    key = confirmed(world, ids, mp4_bytes(5000))
    with world.session() as session:  # as if the task had been lost
        session.execute(update(Video).values(probed_timestamp=None, media=None))
        session.commit()
    report = world.runner().run("probe")
    assert report.counts["probed"] == 1 and report.counts["bytes_read"] == 5000
    (video,) = world.videos(s3_key=key)
    assert video.probed_timestamp is not None
