"""What a student, a teacher and an administrator do in Moodle's pages, as Playwright steps."""

from __future__ import annotations

import pathlib

PLAYER = '[data-region="assignsubmission_s3video-player"]'
UPLOADER = '[data-region="assignsubmission_s3video-upload"]'


def open_edit_form(page, cmid: int) -> None:
    page.goto(f"/mod/assign/view.php?id={cmid}&action=editsubmission")
    page.wait_for_selector(f"{UPLOADER}[data-initialised]")
    # the uploader attaches its listeners once its strings are loaded
    page.wait_for_load_state("networkidle")


def choose(page, clip: pathlib.Path) -> None:
    page.set_input_files(f'{UPLOADER} input[type="file"]', str(clip))


def wait_uploaded(page, clip: pathlib.Path, timeout: int = 180_000) -> None:
    """Until the uploader says the video is uploaded (and has put its key in the form)."""
    page.wait_for_selector(f'{UPLOADER} [data-region="message"].alert-success', timeout=timeout)
    assert clip.name in page.inner_text(f'{UPLOADER} [data-region="message"]')


def save(page) -> None:
    page.click("#id_submitbutton")
    page.wait_for_load_state()
    assert "action=editsubmission" not in page.url or page.locator(".alert-danger").count() == 0


def upload_and_save(page, cmid: int, clip: pathlib.Path) -> None:
    open_edit_form(page, cmid)
    choose(page, clip)
    wait_uploaded(page, clip)
    save(page)


def player_for(page, submissionid: int):
    return page.locator(f'{PLAYER}[data-submissionid="{submissionid}"]').first


def play_and_seek(page, submissionid: int, to: float = 2.0) -> None:
    """Press Play on a submission's player, see the video play, seek, and see it land there."""
    player = player_for(page, submissionid)
    player.scroll_into_view_if_needed()
    play = player.locator('[data-action="play"]:visible')  # a button, and in newer players a poster too
    if play.count():
        play.first.click()
    # the video loads, or the player says why not (a warning or an error, not "Loading the video…")
    refusal = '[data-region="message"].alert-danger, [data-region="message"].alert-warning'
    page.wait_for_function(
        """([p, refusal]) => {
        const v = p.querySelector('video');
        return (v && v.readyState >= 2 && v.duration > 1) || p.querySelector(refusal) !== null;
    }""",
        arg=[player.element_handle(), refusal],
        timeout=60_000,
    )
    assert player.locator(refusal).count() == 0, f"the player says: {player.locator(refusal).inner_text()}"
    handle = player.locator("video").first.element_handle()
    page.evaluate("v => { v.muted = true; return v.play(); }", handle)
    page.wait_for_function("v => v.currentTime > 0.2", arg=handle, timeout=60_000)
    page.evaluate(f"v => {{ v.currentTime = {to}; }}", handle)
    page.wait_for_function(f"v => !v.seeking && v.currentTime >= {to} && v.readyState >= 2", arg=handle, timeout=60_000)
    assert player.locator(refusal).count() == 0, player.locator(refusal).inner_text()
