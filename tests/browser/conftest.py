"""Playwright driving Debian's Chromium headless (no `playwright install`) against the
live sidecar's /demo page (``browser``: in ``tests/conftest.py``, shared with ``tests/moodle_e2e``).
Screenshots go to test-artifacts/ (kept by CI as artefacts)."""

import pathlib

import pytest

from tests.support.videos import h264_clip

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
    """A small H.264/AAC MP4 (fast start), as a phone would record it."""
    return h264_clip(path, seconds)
