"""Before any byte is sent, the student is warned about a video not every browser plays
(HEVC from an iPhone, say), with how to export one that plays everywhere."""

import subprocess

import pytest

from s3video_sidecar.services import parts_of
from tests.browser.test_demo_page import open_demo, s3_requests

pytestmark = pytest.mark.browser


def hevc_clip(path):
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=25",
            "-c:v",
            "libx265",
            "-tag:v",
            "hvc1",
            "-pix_fmt",
            "yuv420p",
            "-x265-params",
            "log-level=error",
            str(path),
        ],
        check=True,
    )
    return path


def api_calls(page):
    seen = []
    page.on("request", lambda request: seen.append(request.url) if "/assignments/" in request.url else None)
    return seen


def test_an_hevc_video_is_warned_about_before_any_byte_is_sent(page, ids, live_sidecar, tmp_path, artifacts):
    clip = hevc_clip(tmp_path / "iphone.mp4")
    stored = s3_requests(page, live_sidecar)
    calls = api_calls(page)
    open_demo(page, ids)
    page.set_input_files("#file", str(clip))
    page.click("#start")
    page.wait_for_selector("#media-warning:not([hidden])")
    text = page.inner_text("#media-warning-text")
    assert "HEVC" in text and "H.264" in text and "Most Compatible" in text
    assert "firefox" not in text.split("it plays in:")[1].split(")")[0]
    page.screenshot(path=str(artifacts / "upload-codec-warning.png"))
    assert stored == [] and calls == []  # nothing asked, nothing sent
    assert page.evaluate("window.demo.mediaCheck.videoCodec") == "hevc"

    page.click("#upload-anyway")  # the student's choice: it still goes up
    page.wait_for_selector("#state[data-done=true]")
    assert stored and page.is_hidden("#media-warning")


def test_an_h264_video_goes_up_without_a_warning(page, ids, live_sidecar, tmp_path):
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "lecture.mp4", seconds=2)
    open_demo(page, ids)
    page.set_input_files("#file", str(clip))
    page.click("#start")
    page.wait_for_selector("#state[data-done=true]")
    assert page.is_hidden("#media-warning")
    assert page.evaluate("window.demo.mediaCheck") == {
        "container": "mp4",
        "videoCodec": "h264",
        "audioCodec": "aac",
        "everywhere": True,
        "browsers": ["chrome", "edge", "firefox", "safari"],
    }


def test_the_player_shows_the_probes_poster(page, ids, live_sidecar, tmp_path, artifacts):
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "lecture.mp4", seconds=3)
    open_demo(page, ids)
    page.set_input_files("#file", str(clip))
    page.click("#start")
    page.wait_for_selector("#state[data-done=true]")
    teacher = live_sidecar.client.acting_as(ids.teacher, ["grader"], ids.course)
    state = teacher.submission(ids.assignment, ids.submission)
    # What the worker does after the confirm (this video only: the session's database holds others' videos).
    report = parts_of(live_sidecar.app.registry).jobs.runner.run("probe", video_ids=[state["video"]["video_id"]])
    assert report.counts["posters"] == 1

    open_demo(page, ids, role="grader", user=ids.teacher)
    page.click("#play")
    page.wait_for_function("window.demo.posterUrl && document.querySelector('#player-box video').poster")
    poster = page.evaluate("document.querySelector('#player-box video').poster")
    assert "/edge/posters/" in poster
    answer = page.request.get(poster)
    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.body()[:3] == b"\xff\xd8\xff"
    assert page.evaluate("window.demo.media.video_codec") == "h264"
    page.screenshot(path=str(artifacts / "player-poster.png"))
