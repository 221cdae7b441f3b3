"""Playwright driving Debian's Chromium headless (no `playwright install`) against the
live sidecar's /demo page (``browser``: in ``tests/conftest.py``, shared with ``tests/moodle_e2e``).
Screenshots go to test-artifacts/ (kept by CI as artefacts)."""

import pathlib
import shutil
import subprocess

import pytest

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def page(browser, live_sidecar):
    context = browser.new_context(base_url=live_sidecar.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def make_clip(path: pathlib.Path, seconds: int = 6) -> pathlib.Path:
    """A small H.264/AAC MP4 (faststart), as a phone would record it."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required (make test installs Debian's ffmpeg)")
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            "-shortest",
            str(path),
        ],
        check=True,
    )
    return path
