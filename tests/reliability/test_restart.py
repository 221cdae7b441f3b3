"""The sidecar killed (SIGKILL) and started again while a browser is uploading.

The sidecar runs as a real process on waitress (``bench.processes``), the S3 stand-in
outside it, as S3 is outside it in production. The browser's bytes go to S3, not to the
sidecar, so the upload finishes while no sidecar is running, and the new process
confirms it. The same for a multipart upload: parts uploaded before the kill are listed
by the new process (resume), and it completes the upload.
"""

from __future__ import annotations

import io
import threading

import pytest

from bench import processes
from bench.uploads import post_upload
from s3video_sidecar.sdk.client import SidecarClient
from tests.conftest import make_settings
from tests.support.signed_app import KEY_ID, SECRET
from tests.support.videos import mp4_bytes

pytestmark = pytest.mark.slow


@pytest.fixture
def sidecar_process(reliable_app, reliability_database_url, embedded_s3_url, signing_key_file, tmp_path):
    """A factory of sidecar processes on the suite's database and bucket; all are killed at the end."""
    settings = make_settings(
        reliability_database_url,
        embedded_s3_url,
        signing_key_file,
        **{"s3video.bucket": "s3video-reliability", "s3video.storage": "aws"},
    )
    started = []

    def start(port=None):
        process = processes.sidecar(tmp_path, settings, port=port, name=f"sidecar-{len(started)}").start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def test_an_upload_under_way_survives_a_sidecar_restart(sidecar_process, ids, audit):
    first = sidecar_process()
    client = SidecarClient(first.url, KEY_ID, SECRET).acting_as(ids.student, ["student"], ids.course)
    content = mp4_bytes(2 * 1024**2 + 12, b"k")
    upload = client.request_upload(ids.assignment, ids.submission, "talk.mp4", len(content), "video/mp4")

    under_way, result = threading.Event(), {}

    def browser():
        result["response"] = post_upload(
            upload, io.BytesIO(content), len(content), chunk_bytes=64 * 1024, pause_seconds=0.03, started=under_way
        )

    thread = threading.Thread(target=browser)
    thread.start()
    assert under_way.wait(10)
    first.kill()  # mid-upload, no goodbye
    second = sidecar_process(port=first.port)
    thread.join(60)
    assert result["response"].status_code == 204, result["response"].text  # S3 took it, sidecar or not
    confirmed = client.confirm(ids.assignment, ids.submission, upload["s3_key"])
    assert confirmed["status"] == "ready" and confirmed["file_size"] == len(content)
    assert client.playback_url(ids.assignment, ids.submission)["video_id"] == confirmed["video_id"]
    assert second.process.poll() is None
    assert audit() == []


def test_a_multipart_upload_resumes_after_a_sidecar_restart(sidecar_process, ids, audit):
    first = sidecar_process()
    client = SidecarClient(first.url, KEY_ID, SECRET).acting_as(ids.student, ["student"], ids.course)
    data = mp4_bytes(6 * 1024**2, b"p")
    started = client.start_multipart(
        ids.assignment, ids.submission, "big.mp4", len(data), "video/mp4", fingerprint="restart-test-0001"
    )
    urls = {
        p["part_number"]: p["url"]
        for p in client.sign_parts(ids.assignment, ids.submission, started["upload_id"], [1, 2])["parts"]
    }
    size = started["part_size"]
    first_part = client.session.put(urls[1], data=data[:size], timeout=30)
    assert first_part.status_code == 200
    first.kill()
    sidecar_process(port=first.port)
    again = client.start_multipart(
        ids.assignment, ids.submission, "big.mp4", len(data), "video/mp4", fingerprint="restart-test-0001"
    )
    assert again["resumed"] and again["upload_id"] == started["upload_id"]
    held = client.list_parts(ids.assignment, ids.submission, started["upload_id"])["parts"]
    assert [p["part_number"] for p in held] == [1]
    second_part = client.session.put(urls[2], data=data[size:], timeout=30)
    assert second_part.status_code == 200
    done = client.complete_multipart(
        ids.assignment,
        ids.submission,
        started["upload_id"],
        [(1, first_part.headers["ETag"]), (2, second_part.headers["ETag"])],
    )
    assert done["status"] == "ready" and done["file_size"] == len(data)
    assert audit() == []
