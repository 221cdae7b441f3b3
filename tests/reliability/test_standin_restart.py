"""The embedded S3 stand-in killed (SIGKILL) and started again on the same data directory.

First the stand-in alone (``bench.serve s3``): an object and an open multipart upload are
answered, the process is killed with no goodbye, and the new process serves the object
byte for byte and completes the upload. Then the whole development set-up
(``s3video.storage = embedded``, the stand-in inside the sidecar's process): upload,
confirm, ``kill -9``, start again, and the video plays byte for byte through the edge.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest
import requests

from bench import processes
from bench.uploads import post_upload
from s3video_sidecar.sdk.client import SidecarClient
from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from s3video_sidecar.sdk.storage import S3Storage, make_s3_client
from tests.conftest import free_port, make_settings
from tests.support.signed_app import KEY_ID, SECRET

pytestmark = pytest.mark.slow


def storage_at(url: str) -> S3Storage:
    client = make_s3_client("us-east-1", url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
    return S3Storage(client, processes.BUCKET)


@pytest.fixture
def started(tmp_path):
    """Start processes by name; every one is killed at the end."""
    running = []

    def start(process):
        running.append(process)
        return process.start()

    yield start
    for process in running:
        process.kill()


def test_a_killed_stand_in_loses_nothing_it_answered(tmp_path, started):
    data_dir = str(tmp_path / "s3")
    first = started(processes.standin(tmp_path, data_dir=data_dir))
    storage = storage_at(first.url)
    content = os.urandom(3 * 1024**2 + 5)
    key = "videos/5/1700000000_0123456789abcdef/kept.mp4"
    post = storage.presigned_post(key, "video/mp4", len(content), 600)
    answer = post_upload({"upload": {"url": post.url, "fields": post.fields}}, io.BytesIO(content), len(content))
    assert answer.status_code == 204, answer.text
    part = os.urandom(5 * 1024**2)
    digest = base64.b64encode(hashlib.sha256(part).digest()).decode()
    open_key = "videos/5/1700000001_0123456789abcdef/open.mp4"
    upload_id = storage.create_multipart_upload(open_key, "video/mp4", checksum_algorithm="SHA256")
    url = storage.presigned_part_url(open_key, upload_id, 1, 600, digest)
    assert requests.put(url, data=part, headers={"x-amz-checksum-sha256": digest}, timeout=60).status_code == 200

    first.kill()  # SIGKILL right after the answers: nothing flushed on the way out
    second = started(processes.standin(tmp_path, port=first.port, data_dir=data_dir))
    assert second.process.poll() is None
    assert storage.read(key)["Body"].read() == content
    assert storage.head(key).content_type == "video/mp4"
    listed = storage.list_parts(open_key, upload_id)
    assert [(p.part_number, p.size_bytes, p.checksum_sha256) for p in listed] == [(1, len(part), digest)]
    storage.complete_multipart_upload(open_key, upload_id, listed)
    assert storage.read(open_key)["Body"].read() == part
    assert os.listdir(os.path.join(data_dir, "tmp")) == []


def test_the_development_set_up_plays_a_confirmed_video_after_kill_9(
    tmp_path, started, reliability_database_url, signing_key_file, ids
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        reliability_database_url,
        f"http://127.0.0.1:{free_port()}",
        signing_key_file,
        edge_base_url=f"{url}/edge",
        **{
            "s3video.bucket": "s3video-restart",
            "s3video.moodle_origin": url,
            "s3video.embedded.data_dir": str(tmp_path / "var" / "s3"),
        },
    )

    first = started(processes.sidecar(tmp_path, settings, port=port, name="dev-0"))
    client = SidecarClient(url, KEY_ID, SECRET)
    student = client.acting_as(ids.student, ["student"], ids.course)
    content = b"\x00\x00\x00\x18ftypmp42" + os.urandom(1024**2)
    upload = student.request_upload(ids.assignment, ids.submission, "talk.mp4", len(content), "video/mp4")
    student.upload_file(upload, content)
    confirmed = student.confirm(ids.assignment, ids.submission, upload["s3_key"])
    assert confirmed["status"] == "ready"

    first.kill()
    started(processes.sidecar(tmp_path, settings, port=port, name="dev-1"))
    teacher = client.acting_as(ids.teacher, ["grader"], ids.course)
    playback = teacher.playback_url(ids.assignment, ids.submission)
    played = requests.get(playback["url"], timeout=60)
    assert played.status_code == 200 and played.content == content
