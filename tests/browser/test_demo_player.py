"""The /demo page's player and messages in a real browser (issues 13.5, 13.6, 18.7, 18.11).

Nothing is requested before Play; a refused URL is renewed once and playback goes on where it
was; a video whose bytes are gone, or whose bytes are not a video, ends in one clear message after
at most a few playback-url calls (each counts as a view); an upload refused by the sidecar or by
the storage's CORS rule says so; the confirmed video's receipt is shown when the sidecar gives it.
"""

import json

import pytest

from s3video_sidecar.services import parts_of
from tests.browser.test_demo_page import open_demo

pytestmark = pytest.mark.browser


def record(page, live_sidecar):
    """Every request the page sends: playback-url calls and reads from the edge, in order."""
    seen = {"playback": [], "edge": []}

    def on_request(request):
        if "/playback-url" in request.url:
            seen["playback"].append(request.url)
        elif "/edge/" in request.url:
            seen["edge"].append(request.url)

    page.on("request", on_request)
    return seen


def uploaded(live_sidecar, ids, tmp_path, seconds=4):
    """A ready video of the student's submission (by the Python client); its final S3 key."""
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "talk.mp4", seconds=seconds)
    student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
    upload = student.request_upload(ids.assignment, ids.submission, "talk.mp4", clip.stat().st_size, "video/mp4")
    student.upload_file(upload, str(clip))
    return student.confirm(ids.assignment, ids.submission, upload["s3_key"])["s3_key"]


def test_nothing_is_requested_before_play(page, ids, live_sidecar, tmp_path):
    uploaded(live_sidecar, ids, tmp_path)
    seen = record(page, live_sidecar)
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.wait_for_timeout(500)
    assert seen == {"playback": [], "edge": []}
    assert page.evaluate("window.demo.player") is None

    page.click("#play")  # one press plays: no second press on the video's own button
    page.wait_for_function("window.demo.player && window.demo.player.currentTime() > 0.3")
    assert len(seen["playback"]) == 1
    assert seen["edge"]


def test_a_fresh_url_mid_playback_plays_on_where_it_was(page, ids, live_sidecar, tmp_path):
    uploaded(live_sidecar, ids, tmp_path, seconds=8)
    seen = record(page, live_sidecar)
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.click("#play")
    page.wait_for_function("window.demo.player && window.demo.player.currentTime() > 1.5")
    page.click("#expire")  # the edge refuses the URL (403), as it refuses an expired one
    was = page.evaluate("window.demo.lastTime")
    page.wait_for_function("window.demo.urlRefreshes === 1 && !window.demo.switching", timeout=15_000)
    assert page.evaluate("window.demo.player.currentTime()") >= was - 0.3  # where it was, not from 0
    page.wait_for_function(f"window.demo.player.currentTime() > {was + 0.5}")  # and playing on
    assert not page.evaluate("window.demo.player.paused()")
    assert len(seen["playback"]) == 2
    assert page.inner_text("#player-message") == ""


def test_a_url_the_edge_keeps_refusing_ends_in_access_denied(page, ids, live_sidecar, tmp_path):
    uploaded(live_sidecar, ids, tmp_path)
    seen = record(page, live_sidecar)
    page.route(
        "**/edge/**",
        lambda route: route.fulfill(
            status=403, content_type="application/json", body=json.dumps({"error": "access denied"})
        ),
    )
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.click("#play")
    page.wait_for_selector("#player-message[data-outcome=accessdenied]")
    page.wait_for_timeout(2000)
    assert len(seen["playback"]) == 2  # the first URL, then one fresh one
    assert page.inner_text("#player-message").startswith("Access denied")
    assert page.is_visible("#player-retry")


def test_a_video_whose_bytes_are_gone_is_unavailable_without_a_loop(page, ids, live_sidecar, tmp_path, artifacts):
    key = uploaded(live_sidecar, ids, tmp_path)
    parts_of(live_sidecar.app.registry).storage.delete_many([key])
    seen = record(page, live_sidecar)
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.click("#play")
    page.wait_for_selector("#player-message[data-outcome=unavailable]")
    page.wait_for_timeout(3000)
    assert len(seen["playback"]) == 1  # a 404 is not worth a fresh URL
    assert page.inner_text("#player-message") == "This video is unavailable."
    page.screenshot(path=str(artifacts / "player-unavailable.png"))

    # Retry asks once more, and stops again.
    page.click("#player-retry")
    page.wait_for_function("window.demo.playbackCalls === 2")
    page.wait_for_selector("#player-message[data-outcome=unavailable]")
    page.wait_for_timeout(2000)
    assert len(seen["playback"]) == 2


def test_bytes_that_are_not_a_video_say_the_format_cannot_be_played(page, ids, live_sidecar, tmp_path):
    key = uploaded(live_sidecar, ids, tmp_path)
    storage = parts_of(live_sidecar.app.registry).storage
    storage.client.put_object(
        Bucket=storage.bucket, Key=key, Body=b"just some notes, not a video\n" * 40, ContentType="video/mp4"
    )
    seen = record(page, live_sidecar)
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.click("#play")
    page.wait_for_selector("#player-message[data-outcome=unsupported]")
    page.wait_for_timeout(3000)
    assert len(seen["playback"]) == 1
    assert page.inner_text("#player-message").startswith("Your browser cannot play this video format")


def test_a_dead_edge_is_retried_a_few_times_with_backoff_then_given_up(page, ids, live_sidecar, tmp_path):
    uploaded(live_sidecar, ids, tmp_path)
    seen = record(page, live_sidecar)
    page.route("**/edge/**", lambda route: route.abort("connectionreset"))
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.click("#play")
    page.wait_for_selector("#player-message[data-outcome=unavailable]", timeout=30_000)
    page.wait_for_timeout(2000)
    # The first URL and at most 3 fresh ones in a minute (playback.js RENEWALS_PER_WINDOW).
    assert 2 <= len(seen["playback"]) <= 4


def test_a_grader_upload_is_not_allowed(page, ids, live_sidecar, tmp_path):
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "teacher.mp4", seconds=1)
    open_demo(page, ids, role="grader", user=ids.teacher)
    page.set_input_files("#file", str(clip))
    page.click("#start")
    page.wait_for_selector("#message[data-code=notallowed]")
    assert page.inner_text("#message") == "You are not allowed to upload a video here."
    assert not page.is_visible("#retry")


def test_a_storage_cors_rule_without_this_site_is_named(browser, ids, live_sidecar, tmp_path):
    """The page on an origin the bucket's CORS rule does not list (moodle_origin is 127.0.0.1)."""
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "cors.mp4", seconds=1)
    context = browser.new_context(base_url=live_sidecar.url.replace("127.0.0.1", "localhost"))
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        open_demo(page, ids)
        page.set_input_files("#file", str(clip))
        page.click("#start")
        page.wait_for_selector("#message[data-code=misconfigured]")
        assert "Tell your administrator (storage CORS)" in page.inner_text("#message")
    finally:
        context.close()


def test_the_receipt_of_the_confirmed_video_is_shown(page, ids, live_sidecar, tmp_path):
    """The sidecar's receipt fields (contract C1) as the page shows them; added to the real answer
    here when this sidecar does not give them yet."""
    from tests.browser.conftest import make_clip

    clip = make_clip(tmp_path / "receipt.mp4", seconds=1)

    def with_receipt(route):
        response = route.fetch()
        answer = response.json()
        video = answer.get("video") if "video" in answer else answer
        if video and "checksum_sha256" not in video:
            video.update(checksum_sha256="n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", checksum_type="full_object")
        route.fulfill(response=response, json=answer)

    page.route("**/submissions/*/confirm", with_receipt)
    page.route(f"**/submissions/{ids.submission}", with_receipt)
    open_demo(page, ids)
    page.set_input_files("#file", str(clip))
    page.click("#start")
    page.wait_for_selector("#state[data-done=true]")
    page.wait_for_selector("#receipt:not([hidden])")
    assert page.inner_text("#receipt-checksum") and page.inner_text("#receipt-type") == "full_object"
    assert page.inner_text("#receipt-size").endswith(f"({clip.stat().st_size} bytes)")
