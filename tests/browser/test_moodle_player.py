"""The Moodle player itself (moodle_plugin/amd/build/player.min.js, as built) in Chromium, on a page
that stands in for Moodle's grading table and submission view (issues 13.5, 13.6, 13.8).

A small HTTP server on loopback (its own origin, as Moodle's) serves the page, with a small AMD
loader in place of RequireJS, core/ajax answered from the live sidecar (as the plugin's get_playback_url
would), core/str from the plugin's English language file, and the plugin's styles.css. The edge is
the live sidecar's, on another origin, as CloudFront is: the player cannot read its answers.
"""

import json
import pathlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from s3video_sidecar.services import parts_of

pytestmark = pytest.mark.browser

REPO = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = REPO / "moodle_plugin"
VIDEOJS = REPO / "node_modules" / "video.js" / "dist"

LOADER = """
// A small RequireJS: define(id, deps, factory) and require(ids, callback, errback).
(function() {
  const registry = {};
  const instantiate = id => {
    const entry = registry[id];
    if (!entry) { throw new Error('no module ' + id); }
    if (!('value' in entry)) {
      const exports = {};
      const args = entry.deps.map(dep => (dep === 'exports' ? exports : instantiate(dep)));
      const returned = entry.factory.apply(null, args);
      entry.value = returned === undefined ? exports : returned;
    }
    return entry.value;
  };
  const script = src => new Promise((resolve, reject) => {
    const element = document.createElement('script');
    element.src = src; element.onload = resolve; element.onerror = reject;
    document.head.appendChild(element);
  });
  const load = id => {
    if (registry[id]) { return Promise.resolve(instantiate(id)); }
    if (id === 'media_videojs/video-lazy') { return script('/vendor/video.min.js').then(() => window.videojs); }
    return Promise.reject(new Error('unknown module ' + id));
  };
  window.define = (id, deps, factory) => { registry[id] = {deps, factory}; };
  window.require = (ids, callback, errback) => Promise.all(ids.map(load)).then(values => callback(...values), errback);
  window.notified = [];
  define('core/ajax', [], () => ({call: requests => requests.map(request =>
    fetch('/ajax/' + request.methodname, {method: 'POST', body: JSON.stringify(request.args)}).then(async response => {
      const body = await response.json();
      if (!response.ok) { throw body; }
      return body;
    }))}));
  define('core/str', ['exports'], exports => {
    exports.get_strings = async requests =>
      requests.map(request => window.STRINGS[request.key] || '[[' + request.key + ']]');
  });
  define('core/notification', [], () => ({exception: error => { window.notified.push(String(error)); }}));
})();
"""


def player(assignment, submission, autoload):
    return f"""
<div class="assignsubmission_s3video-player" data-region="assignsubmission_s3video-player"
    data-assignmentid="{assignment}" data-submissionid="{submission}" data-mimetype="video/mp4"
    data-autoload="{1 if autoload else 0}">
  <div class="mb-1" data-region="summary">talk.mp4 (1 MB)</div>
  <div class="assignsubmission_s3video-stage" data-region="stage"></div>
  <div class="small" data-region="message" role="alert"></div>
  <div class="mt-1">
    <button type="button" class="btn{" d-none" if autoload else ""}" data-action="play">Play video</button>
    <button type="button" class="btn d-none" data-action="retry">Try again</button>
    <button type="button" class="btn btn-link" data-action="download">Download</button>
  </div>
</div>"""


def english_strings():
    text = (PLUGIN / "lang" / "en" / "assignsubmission_s3video.php").read_text()
    pairs = re.findall(r"\$string\['([^']+)'\] = '((?:[^'\\]|\\.)*)';", text)
    return {key: value.replace("\\'", "'") for key, value in pairs}


def page_html(ids):
    return f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/vendor/video-js.min.css"><link rel="stylesheet" href="/plugin/styles.css">
<style>.d-none {{ display: none !important; }} body {{ font: 14px sans-serif; margin: 1rem; }}
table {{ border-collapse: collapse; }} td {{ border: 1px solid #ccc; vertical-align: top; padding: 4px; }}</style>
<script>window.STRINGS = {json.dumps(english_strings())};</script>
<script>{LOADER}</script>
<script src="/plugin/amd/build/playback.min.js"></script>
<script src="/plugin/amd/build/media_check.min.js"></script>
<script src="/plugin/amd/build/player.min.js"></script>
</head><body>
<table class="generaltable gradingtable"><tr>
  <td id="name">Student One</td>
  <td id="cell">{player(ids.assignment, ids.submission, False)}</td>
  <td id="next">Feedback comments for this submission</td>
</tr></table>
<div id="view" style="width: 1100px">{player(ids.assignment, ids.submission, True)}</div>
<script>require(['assignsubmission_s3video/player'], player => player.init({{refreshseconds: 0, usevideojs: true}})
  .then(() => {{ document.body.dataset.ready = 'true'; }}));</script>
</body></html>"""


def as_moodle_returns(answer: dict) -> dict:
    """What the plugin's get_playback_url returns from the sidecar's answer (classes/external/get_playback_url.php)."""
    media = answer.get("media") or {}
    return {
        "url": answer["url"],
        "expires_at": answer["expires_at"],
        "mime_type": answer.get("mime_type") or "",
        "poster_url": answer.get("poster_url") or "",
        "codec": media.get("video_codec") or "",
        "playseverywhere": bool(media.get("plays_everywhere")) or not media.get("video_codec"),
        "browsers": ", ".join(media.get("browsers") or []),
    }


@pytest.fixture
def clip_name():
    return None  # the student's upload: an H.264/AAC clip (see moodle)


@pytest.fixture
def moodle(page, ids, live_sidecar, tmp_path, clip_name):
    """The stand-in Moodle page, opened; the list it returns collects the get_playback_url calls.
    With ``clip_name`` set (an HEVC clip), the worker's probe has run on the student's video."""
    from tests.browser.test_demo_player import uploaded

    if clip_name is None:
        uploaded(live_sidecar, ids, tmp_path, seconds=8)
    else:
        clip = hevc_clip(tmp_path / clip_name)
        student = live_sidecar.client.acting_as(ids.student, ["student"], ids.course)
        upload = student.request_upload(ids.assignment, ids.submission, clip_name, clip.stat().st_size, "video/mp4")
        student.upload_file(upload, str(clip))
        video_id = student.confirm(ids.assignment, ids.submission, upload["s3_key"])["video_id"]
        assert parts_of(live_sidecar.app.registry).jobs.runner.run("probe", video_ids=[video_id]).counts["posters"] == 1
    teacher = live_sidecar.client.acting_as(ids.teacher, ["grader"], ids.course)
    calls = []

    class Moodle(BaseHTTPRequestHandler):
        def answer(self, status, kind, body):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/page.html":
                return self.answer(200, "text/html", page_html(ids))
            for prefix, root in (("/plugin/", PLUGIN), ("/vendor/", VIDEOJS)):
                if path.startswith(prefix) and ".." not in path:
                    file = root / path[len(prefix) :]
                    if file.is_file():
                        kind = "text/css" if file.suffix == ".css" else "text/javascript"
                        return self.answer(200, kind, file.read_bytes())
            return self.answer(404, "text/plain", "not found")

        def do_POST(self):
            if self.path != "/ajax/assignsubmission_s3video_get_playback_url":
                return self.answer(404, "text/plain", "not found")
            args = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(args)
            answer = teacher.playback_url(args["assignmentid"], args["submissionid"], renew=args.get("renew", False))
            return self.answer(200, "application/json", json.dumps(as_moodle_returns(answer)))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Moodle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/page.html")
        page.wait_for_selector("body[data-ready=true]")
        yield calls
    finally:
        server.shutdown()
        server.server_close()


def hevc_clip(path):
    from tests.browser.test_media_warning import hevc_clip as make

    return make(path)


def box(page, selector):
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }",
    )


def test_nothing_before_play_then_one_url_and_playback(page, moodle, artifacts):
    page.wait_for_timeout(500)
    assert moodle == []
    assert page.evaluate("document.querySelectorAll('video').length") == 0
    assert page.is_visible("#cell [data-region=poster]") and page.is_visible("#view [data-region=poster]")
    page.screenshot(path=str(artifacts / "moodle-player-posters.png"))

    page.click("#cell [data-region=poster]")
    page.wait_for_function(
        "(() => { const v = document.querySelector('#cell video'); return v && v.currentTime > 0.5 && !v.paused; })()"
    )
    assert len(moodle) == 1
    assert page.evaluate("window.notified") == []


def test_usable_in_the_grading_table_and_full_size_in_the_view(page, moodle, artifacts):
    cell, following = box(page, "#cell"), box(page, "#next")
    player = box(page, "#cell [data-region=assignsubmission_s3video-player]")
    assert player["right"] - player["left"] >= 288  # 18rem: a usable player, not 90 px
    assert player["right"] <= following["left"]
    view = box(page, "#view [data-region=poster]")
    assert view["right"] - view["left"] >= 1000  # the view page's player takes the page's width

    page.click("#cell [data-region=poster]")
    page.wait_for_selector("#cell .vjs-playback-rate")
    page.hover("#cell .video-js")
    page.click("#cell .vjs-playback-rate .vjs-menu-button")
    page.wait_for_selector("#cell .vjs-playback-rate .vjs-menu-content", state="visible")
    menu = box(page, "#cell .vjs-playback-rate .vjs-menu-content")
    cell = box(page, "#cell")
    page.screenshot(path=str(artifacts / "moodle-player-speed-menu.png"))
    assert cell["left"] <= menu["left"] and menu["right"] <= cell["right"], (menu, cell)
    assert page.is_visible("#cell [data-action=fullsize]")


def test_an_edge_that_keeps_refusing_stops_after_one_fresh_url(page, moodle, live_sidecar):
    # Every URL reaches the real edge with a broken signature: it answers 403, which the page may
    # not read (no CORS, as CloudFront): "unavailable" after one fresh URL, with Try again.
    page.route(
        f"{live_sidecar.url}/edge/**",
        lambda route: route.continue_(url=route.request.url.replace("Signature=", "Signature=x")),
    )
    page.click("#cell [data-region=poster]")
    page.wait_for_selector("#cell [data-region=message][data-outcome]")
    page.wait_for_timeout(2000)
    assert len(moodle) == 2
    assert page.inner_text("#cell [data-region=message]") == english_strings()["player:error:unavailable"]
    assert page.is_visible("#cell [data-action=retry]")


def test_a_readable_refusal_says_access_denied(page, moodle, live_sidecar):
    # An edge whose 403 the page can read (CORS allowed): the fresh URL refused too is "access denied".
    page.route(
        f"{live_sidecar.url}/edge/**",
        lambda route: route.fulfill(status=403, body="denied", headers={"Access-Control-Allow-Origin": "*"}),
    )
    page.click("#cell [data-region=poster]")
    page.wait_for_selector("#cell [data-region=message][data-outcome=accessdenied]")
    page.wait_for_timeout(2000)
    assert len(moodle) == 2
    assert page.inner_text("#cell [data-region=message]") == english_strings()["player:error:accessdenied"]


@pytest.mark.parametrize("clip_name", ["iphone.mp4"])
def test_a_video_not_every_browser_plays_says_why_and_shows_its_poster(page, moodle, artifacts):
    """An iPhone's HEVC video: Chromium cannot decode it; the teacher is told why instead of a black box."""
    page.click("#cell [data-region=poster]")
    page.wait_for_selector("#cell [data-region=codecwarning]")
    warning = page.inner_text("#cell [data-region=codecwarning]")
    assert "HEVC (H.265)" in warning and "safari" in warning
    poster = page.evaluate("document.querySelector('#cell video').poster")
    assert "/edge/posters/" in poster
    page.screenshot(path=str(artifacts / "moodle-player-codec-warning.png"))
