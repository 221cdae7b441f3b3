"""Debian's Chromium, headless, driven by Playwright (no ``playwright install``)."""

from __future__ import annotations

import contextlib
import os

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), None)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def launch():
    """A headless Chromium; fails (never skips) where Debian's is missing."""
    import pytest

    if CHROMIUM is None:
        pytest.fail("Debian's chromium is required (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
