"""``s3video-worker`` as a real process on a temporary ini: a DELETE through the API removes the object.

The web app runs here (webtest, with the S3 stand-in on loopback); the worker is another
process reading an ini with the same database, bucket and queue - a SQLite queue file,
and a real Redis where ``S3VIDEO_TEST_REDIS`` is set (CI).
"""

import contextlib
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import Ids
from tests.functional.test_api import student, sub_path, upload_and_confirm
from tests.support.jobs import open_world, write_ini

WORKER = str(pathlib.Path(sys.executable).with_name("s3video-worker"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def worker_world(request, backend, embedded_s3_url, signing_key_file, tmp_path_factory):
    with open_world(
        backend,
        request.param,
        embedded_s3_url,
        signing_key_file,
        tmp_path_factory.mktemp(f"worker-{backend}-{request.param}"),
    ) as world:
        yield world


@contextlib.contextmanager
def running_worker(ini: str, log_path: pathlib.Path):
    with open(log_path, "wb") as log:
        process = subprocess.Popen([WORKER, ini], stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # what systemctl stop sends: finish the task, then exit
                process.wait(timeout=30)


def wait_until(condition, seconds: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not done after {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


def upload_then_delete(world, ids) -> str:
    key = upload_and_confirm(world.api, ids)["s3_key"]
    assert world.api.delete(sub_path(ids), as_actor=student(ids)).status_int == 202
    return key


def test_the_worker_deletes_the_object_of_a_video_deleted_through_the_api(worker_world, tmp_path):
    world = worker_world
    world.reset()
    ini = write_ini(world, tmp_path / "worker.ini")

    queued = upload_then_delete(world, Ids())  # while no worker runs: it waits in the queue
    assert queued in world.object_keys() and world.videos(s3_key=queued)[0].upload_status == "deleting"

    with running_worker(ini, tmp_path / "worker.log") as worker:
        wait_until(lambda: queued not in world.object_keys(), 30)
        live = upload_then_delete(world, Ids())
        seconds = wait_until(lambda: live not in world.object_keys(), 30)
        wait_until(lambda: world.videos(s3_key=live)[0].upload_status == "deleted", 10)
    print(f"\nobject gone {seconds:.2f} s after the DELETE was answered")

    log = (tmp_path / "worker.log").read_text()
    assert worker.returncode == 0, log
    assert "Traceback" not in log, log
    assert [video.upload_status for video in world.videos()] == ["deleted", "deleted"]
    assert world.audit().ok


def test_the_worker_refuses_an_ini_with_a_bad_setting(worker_world, tmp_path):
    ini = write_ini(worker_world, tmp_path / "bad.ini", **{"huey.url": "amqp://nowhere"})
    done = subprocess.run([WORKER, ini], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "huey.url" in done.stderr


def test_a_worker_started_before_the_embedded_stand_in_waits_for_its_bucket(tmp_path, signing_key_file):
    """``make run`` starts the worker beside pserve: whichever comes first, the worker's first jobs
    meet the bucket (the web app makes it before the stand-in's port answers), never NoSuchBucket."""
    from s3video_sidecar.services import start_embedded_s3
    from s3video_sidecar.settings import parse_settings
    from tests.conftest import free_port, make_settings
    from tests.support.databases import fresh_database
    from tests.support.jobs import LOGGING_INI

    with fresh_database("sqlite", tmp_path) as url:
        settings = make_settings(
            url,
            f"http://127.0.0.1:{free_port()}",
            signing_key_file,
            **{
                "s3video.bucket": "s3video-first-start",
                "huey.url": f"sqlite:///{tmp_path}/huey.sqlite",
                "s3video.embedded.data_dir": str(tmp_path / "s3"),
            },
        )
        ini = tmp_path / "first-start.ini"
        ini.write_text(
            "\n".join(
                ["[app:main]", "use = egg:s3video-sidecar", *(f"{name} = {value}" for name, value in settings.items())]
            )
            + "\n"
            + LOGGING_INI
        )
        log_path = tmp_path / "worker.log"
        with running_worker(str(ini), log_path):
            wait_until(lambda: "waiting for the embedded S3 stand-in" in log_path.read_text(), 30)
            start_embedded_s3(parse_settings(settings))  # what the web app does as it starts
            wait_until(lambda: "bucket s3video-first-start found" in log_path.read_text(), 30)
    log = log_path.read_text()
    assert "NoSuchBucket" not in log and "Traceback" not in log and " ERROR " not in log, log
