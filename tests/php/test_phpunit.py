"""Runs the plugin's PHPUnit suite (tests/php/unit) against a live sidecar.

The ``live_sidecar`` fixture (tests/conftest.py) serves the real app over HTTP; its URL and key
reach PHPUnit through the environment. Skips count as failures (``--fail-on-skipped``): a live
test that could not run must not pass silently.
"""

from __future__ import annotations

import base64
import os
import pathlib
import shutil
import subprocess

import pytest

from tests.support.signed_app import OTHER_KEY_ID, OTHER_SECRET
from tests.support.videos import mp4_bytes

HERE = pathlib.Path(__file__).parent


def test_phpunit_against_live_sidecar(live_sidecar):
    phpunit = shutil.which("phpunit")
    if phpunit is None:
        pytest.fail("phpunit is not installed (Debian package: phpunit)")
    env = dict(os.environ)
    env.update(
        {
            "S3VIDEO_SIDECAR_URL": live_sidecar.url,
            "S3VIDEO_KEY_ID": live_sidecar.key_id,
            "S3VIDEO_SECRET": live_sidecar.secret,
            "S3VIDEO_OTHER_KEY_ID": OTHER_KEY_ID,
            "S3VIDEO_OTHER_SECRET": OTHER_SECRET,
            # Confirm checks the container: uploads start with the one test MP4 header (tests/support/videos.py).
            "S3VIDEO_TEST_MP4_HEADER": base64.b64encode(mp4_bytes(24)).decode("ascii"),
        }
    )
    result = subprocess.run(
        [phpunit, "-c", str(HERE / "phpunit.xml"), "--fail-on-skipped", "--fail-on-incomplete"],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"PHPUnit failed:\n{result.stdout}\n{result.stderr}"
    assert "OK (" in result.stdout, result.stdout
    print(result.stdout)
