"""The student's and the teacher's experience in a real browser (the /demo page).

Upload by presigned POST and by resumable multipart, refusals before any byte is sent,
an expired POST renewed, playback with Video.js (duration, time advancing, seeking with
Range), and a refused playback URL from which the player recovers at the same position.
"""

import hashlib
import os

import pytest
import requests

from s3video_sidecar.services import parts_of
from tests.support.videos import mp4_bytes

pytestmark = pytest.mark.browser


def open_demo(page, ids, *, role="student", user=None, submission=None, query=""):
    page.goto(f"/demo{query}")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#user", str(user or ids.student))
    page.select_option("#role", role)
    page.fill("#course", str(ids.course))
    page.fill("#assignment", str(ids.assignment))
    page.fill("#submission", str(submission or ids.submission))


def s3_requests(page, live_sidecar):
    """Record every request the page sends to the S3 stand-in (method, URL)."""
    seen = []
    endpoint = parts_of(live_sidecar.app.registry).settings.s3_endpoint_url
    page.on(
        "request",
        lambda request: (
            seen.append((request.method, request.url))
            if request.url.startswith(endpoint) and request.method != "OPTIONS"
            else None
        ),
    )
    return seen


def play_and_seek(page):
    page.click("#play")
    page.wait_for_function("window.demo.player && window.demo.player.duration() > 5")
    page.evaluate("window.demo.player.muted && window.demo.player.muted(true); window.demo.player.play()")
    page.wait_for_function("window.demo.player.currentTime() > 0.5")
    page.evaluate("window.demo.player.currentTime(4)")
    page.wait_for_function("window.demo.player.currentTime() >= 4")


def test_post_upload_then_play_and_seek(page, ids, live_sidecar, tmp_path, artifacts):
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "lecture.mp4")
    open_demo(page, ids)
    page.set_input_files("#file", str(clip))
    page.screenshot(path=str(artifacts / "upload-chosen.png"))
    page.click("#start")
    page.wait_for_selector("#state[data-done=true]")
    assert page.eval_on_selector("#progress", "p => p.value") == 100
    assert page.inner_text("#percent").startswith("100 %")
    page.screenshot(path=str(artifacts / "upload-done.png"))

    open_demo(page, ids, role="grader", user=ids.teacher)  # the teacher watches
    play_and_seek(page)
    page.screenshot(path=str(artifacts / "player-playing.png"))
    teacher = live_sidecar.client.acting_as(ids.teacher, ["grader"], ids.course)
    state = teacher.submission(ids.assignment, ids.submission)
    assert state["video"]["file_size"] == clip.stat().st_size


def test_oversize_and_wrong_type_are_refused_before_any_byte(page, ids, live_sidecar, tmp_path):
    seen = s3_requests(page, live_sidecar)
    big = tmp_path / "huge.mp4"
    big.write_bytes(b"\0" * (parts_of(live_sidecar.app.registry).settings.max_upload_bytes + 1))
    open_demo(page, ids)
    page.set_input_files("#file", str(big))
    page.click("#start")
    page.wait_for_selector("#message[data-code=toolarge]")
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    page.set_input_files("#file", str(text))
    page.click("#start")
    page.wait_for_selector("#message[data-code=typenotallowed]")
    assert seen == []


def test_an_expired_post_is_renewed(page, ids, live_sidecar, tmp_path):
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "late.mp4", seconds=2)
    endpoint = parts_of(live_sidecar.app.registry).settings.s3_endpoint_url
    refused = []

    def expire_first_post(route):
        if route.request.method == "POST" and not refused:
            refused.append(route.request.url)
            return route.fulfill(
                status=403,
                content_type="application/xml",
                headers={"Access-Control-Allow-Origin": live_sidecar.url},
                body="<Error><Code>AccessDenied</Code><Message>Invalid according to Policy:"
                " Policy expired.</Message></Error>",
            )
        return route.continue_()

    page.route(f"{endpoint}/**", expire_first_post)
    open_demo(page, ids)
    page.set_input_files("#file", str(clip))
    page.click("#start")
    page.wait_for_selector("#state[data-done=true]")
    assert len(refused) == 1
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    state = student.submission(ids.assignment, ids.submission)
    assert state["status"] == "ready"


def test_multipart_survives_a_lost_connection_and_a_reload(page, ids, live_sidecar, tmp_path, artifacts):
    part_size = parts_of(live_sidecar.app.registry).settings.multipart_part_size_bytes
    data = mp4_bytes(part_size * 5 + 12345, os.urandom(4096))  # six parts, over the single-POST threshold
    path = tmp_path / "long-lecture.mp4"
    path.write_bytes(data)
    puts = []
    endpoint = parts_of(live_sidecar.app.registry).settings.s3_endpoint_url

    def cut_after_three_parts(route):
        if route.request.method == "PUT":
            if len(puts) >= 3:
                return route.abort("internetdisconnected")  # the connection is lost mid-way
            puts.append(route.request.url)
        return route.continue_()

    page.route(f"{endpoint}/**", cut_after_three_parts)
    open_demo(page, ids, query="?parts=1")
    page.set_input_files("#file", str(path))
    page.click("#start")
    page.wait_for_selector("#message[data-code=network]", timeout=120_000)  # after the engine's retries
    page.screenshot(path=str(artifacts / "multipart-interrupted.png"))
    sent_before = {url.split("partNumber=")[1].split("&")[0] for url in puts}
    assert len(sent_before) == 3

    # The connection comes back; the student reloads the page and picks the same file again.
    page.unroute(f"{endpoint}/**")
    resent = []
    page.on("request", lambda r: resent.append(r.url) if r.method == "PUT" and r.url.startswith(endpoint) else None)
    page.reload()
    open_demo(page, ids, query="?parts=2")
    page.set_input_files("#file", str(path))
    page.click("#start")
    page.wait_for_selector("#state[data-done=true]", timeout=120_000)
    page.screenshot(path=str(artifacts / "multipart-resumed.png"))
    sent_after = {url.split("partNumber=")[1].split("&")[0] for url in resent}
    assert sent_after == {"4", "5", "6"}  # finished parts were not sent again

    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    url = student.playback_url(ids.assignment, ids.submission)["url"]
    assert hashlib.sha256(requests.get(url, timeout=60).content).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_refused_playback_url_is_renewed_keeping_the_position(page, ids, live_sidecar, tmp_path, artifacts):
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "seminar.mp4")
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    upload = student.request_upload(ids.assignment, ids.submission, "seminar.mp4", clip.stat().st_size, "video/mp4")
    student.upload_file(upload, str(clip))
    student.confirm(ids.assignment, ids.submission, upload["s3_key"])

    open_demo(page, ids, role="grader", user=ids.teacher)
    play_and_seek(page)
    page.evaluate("window.demo.player.pause()")
    page.click("#expire")
    page.wait_for_function("window.demo.urlRefreshes >= 1 && window.demo.player.readyState() >= 1")
    page.wait_for_function("Math.abs(window.demo.player.currentTime() - 4) < 1")
    # The player now plays a URL the sidecar signed (the same URL when renewed in the same second).
    renewed = page.evaluate("window.demo.player.currentSrc()")
    assert "Signature=expired" not in renewed and renewed == page.evaluate("window.demo.lastUrl")
    assert requests.get(renewed, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 206
    page.screenshot(path=str(artifacts / "player-recovered.png"))
