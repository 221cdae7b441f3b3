"""Playwright driving Debian's Chromium headless (no `playwright install`) against the
live sidecar's /demo page. Screenshots go to test-artifacts/ (kept by CI as artefacts)."""

import os
import pathlib
import shutil
import subprocess

import pytest

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is required (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


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
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=320x240:rate=25",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-movflags", "+faststart", "-shortest", str(path)],
        check=True,
    )
    return path
