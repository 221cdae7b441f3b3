"""Servers in child processes on loopback: the S3 stand-in, the sidecar, a bare Pyramid app.

The benchmarks measure them from outside (wrk, psutil), and the reliability tests kill
and restart them. Every child is started here and stopped by its own pid; each writes
its output to a log file (waitress warns about task queue depth under load).

:func:`production_settings` is ``production.ini``'s ``[app:main]`` with only what points
at real AWS or at secrets replaced: the database, Redis (nonces, rate limits, the job
queue), the S3 endpoint (the stand-in, through the ``aws`` storage code path), the
CloudFront key file and the S3V1 keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

import plaster
import requests

from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY

REPO = pathlib.Path(__file__).resolve().parent.parent
PRODUCTION_INI = REPO / "production.ini"
BUCKET = "s3video-bench"
KEY_ID = "bench"
SECRET = "bench-secret-0123456789abcdef"
STANDIN_ENVIRONMENT = {
    # the stand-in's own credentials, read by the sidecar through boto3's standard chain
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_server_options() -> dict[str, str]:
    """waitress options of ``production.ini``'s ``[server:main]`` (the listen address aside)."""
    options = plaster.get_settings(str(PRODUCTION_INI), "server:main", defaults={"http_port": "0"})
    return {
        name: value
        for name, value in options.items()
        if name not in ("use", "listen", "here", "__file__", "host", "port", "http_port")
    }


def production_settings(
    *, database_url: str, redis_url: str, s3_url: str, key_file: str, **overrides: str
) -> dict[str, str]:
    settings = {
        name: value
        for name, value in plaster.get_settings(str(PRODUCTION_INI), "app:main").items()
        if name not in ("use", "here", "__file__", "http_port")
    }
    settings.update(
        {
            "sqlalchemy.url": database_url,
            "s3video.hmac_keys": f"{KEY_ID}:{SECRET}",
            "s3video.s3_endpoint_url": s3_url,
            "s3video.bucket": BUCKET,
            "s3video.region": "us-east-1",
            "s3video.cloudfront.private_key_file": key_file,
            "s3video.redis_url": redis_url,
        }
    )
    if "huey.url" in settings:
        settings["huey.url"] = redis_url  # the job queue in Redis, as production has it
    unresolved = sorted(name for name, value in settings.items() if str(value).startswith(("env:", "file:")))
    if unresolved:
        raise RuntimeError(f"production.ini names secrets the benchmark does not stand in for: {unresolved}")
    settings.update(overrides)
    return settings


class ServerProcess:
    """One child server; ``url`` once :meth:`start` returns, stopped by its own pid."""

    def __init__(
        self,
        argv: list[str],
        port: int,
        log_path: pathlib.Path,
        ready_path: str = "/",
        env: dict[str, str] | None = None,
    ):
        self.argv, self.port, self.log_path, self.ready_path = argv, port, log_path, ready_path
        self.env = {**os.environ, **STANDIN_ENVIRONMENT, **(env or {})}
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout_seconds: float = 60) -> ServerProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.serve", *self.argv],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited at start-up; see {self.log_path}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + self.ready_path, timeout=2).status_code < 500:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.argv[0]} did not answer within {timeout_seconds} s; see {self.log_path}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: the abrupt end of a crash or an OOM kill, nothing flushed."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _write_config(directory: pathlib.Path, name: str, app: dict, server: dict) -> str:
    path = directory / f"{name}.json"
    path.write_text(json.dumps({"app": app, "server": server}), encoding="utf-8")
    return str(path)


def standin(
    directory: pathlib.Path, port: int | None = None, bucket: str = BUCKET, data_dir: str | None = None
) -> ServerProcess:
    """The S3 stand-in; its objects in ``data_dir`` (kept across restarts), by default in ``directory``."""
    port = port or free_port()
    return ServerProcess(
        ["s3", str(port), bucket, data_dir or str(directory / "s3-data")],
        port,
        directory / "s3-standin.log",
        ready_path=f"/{bucket}",
    )


def sidecar(
    directory: pathlib.Path,
    settings: dict,
    server_options: dict | None = None,
    port: int | None = None,
    name: str = "sidecar",
) -> ServerProcess:
    port = port or free_port()
    config = _write_config(
        directory, name, settings, production_server_options() if server_options is None else server_options
    )
    return ServerProcess(["sidecar", str(port), config], port, directory / f"{name}.log", ready_path="/health")


def bare(directory: pathlib.Path, server_options: dict | None = None, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    config = _write_config(
        directory, "bare", {}, production_server_options() if server_options is None else server_options
    )
    return ServerProcess(["bare", str(port), config], port, directory / "bare.log", ready_path="/bare")


@contextlib.contextmanager
def work_directory(prefix: str = "s3video-bench-") -> Iterator[pathlib.Path]:
    """A fresh directory under the system's temporary one, removed with all it holds (the stand-in's
    objects, the 1 GiB upload files) when the block ends, however it ends; kept, and its path
    printed, when ``S3VIDEO_BENCH_KEEP`` is set (to read the servers' logs after a failure)."""
    directory = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and threading.current_thread() is threading.main_thread():
        # `timeout` and `kill` (SIGTERM) end the run through `finally` too, not at once.
        signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        yield directory
    finally:
        if os.environ.get("S3VIDEO_BENCH_KEEP"):
            print(f"(kept {directory}: S3VIDEO_BENCH_KEEP is set)")
        else:
            shutil.rmtree(directory, ignore_errors=True)
