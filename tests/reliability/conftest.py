"""Fixtures of the reliability suite (fuzzing, property tests, fault injection, load).

- One database for the whole suite: PostgreSQL where ``S3VIDEO_TEST_POSTGRESQL`` is set
  (CI), SQLite otherwise — the suite is about failure behaviour, not dialects.
- ``reliable_app`` is this suite's own WSGI app (faults injected into it cannot leak into
  other tests), ``rapi`` signs requests to it, ``reliable_live`` serves it on waitress.
- ``audit`` runs the consistency audit (``tests/reliability/audit.py``) over it.
- ``redis_server`` is a Redis of our own on a free port, so a test may stop it.
- Slow tests (the load test, process restarts) carry ``@pytest.mark.slow``: bounded in
  time, run by ``make test`` and CI all the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import redis
import webtest

from s3video_sidecar.services import parts_of
from s3video_sidecar.settings import RATE_LIMITED_ACTIONS
from tests.conftest import free_port, make_settings
from tests.reliability import audit as audit_module
from tests.support.databases import fresh_database
from tests.support.signed_app import SignedApp

# Counters shown at the end of the run (pytest_terminal_summary): cases, statuses.
STATS: dict[str, int] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: bounded but slow (load test, process restarts); CI runs them")


def pytest_terminal_summary(terminalreporter):
    if STATS.get("schemathesis_cases"):
        by_class = ", ".join(
            f"{k[-3:]} {v}" for k, v in sorted(STATS.items()) if k.startswith("schemathesis_") and k.endswith("xx")
        )
        terminalreporter.write_line(
            f"reliability: schemathesis ran {STATS['schemathesis_cases']} cases over "
            f"{STATS.get('schemathesis_operations', 0)} operations ({by_class}); server errors: "
            f"{STATS.get('schemathesis_server_errors', 0)}"
        )
    if STATS.get("load_requests"):
        terminalreporter.write_line(
            f"reliability: load test sent {STATS['load_requests']} requests in {STATS['load_seconds']} s from "
            f"{STATS['load_users']} users: 5xx {STATS['load_5xx']}, 429 {STATS['load_429']}"
        )


@pytest.fixture(scope="session")
def reliability_database_url(tmp_path_factory):
    backend = "postgresql" if os.environ.get("S3VIDEO_TEST_POSTGRESQL") else "sqlite"
    with fresh_database(backend, tmp_path_factory.mktemp("reliability-db")) as url:
        yield url


@pytest.fixture(scope="session")
def reliable_settings(reliability_database_url, embedded_s3_url, signing_key_file):
    # A bucket of its own, so the audit sees only this suite's objects; rate limits out of the way of
    # the fuzzer (its one student would hit them at once) — test_load.py configures and checks them.
    return make_settings(
        reliability_database_url,
        embedded_s3_url,
        signing_key_file,
        **{
            "s3video.bucket": "s3video-reliability",
            **{f"s3video.rate_limit.{action}": "100000/60" for action in RATE_LIMITED_ACTIONS},
        },
    )


@pytest.fixture(scope="session")
def reliable_app(reliable_settings):
    from s3video_sidecar.app import main

    return main({}, **reliable_settings)


@pytest.fixture
def rapi(reliable_app):
    return SignedApp(webtest.TestApp(reliable_app))


class Live:
    def __init__(self, url, app):
        self.url, self.app = url, app


@pytest.fixture(scope="session")
def reliable_live(reliable_app):
    """The suite's app on waitress over HTTP (8 threads, as a small production box)."""
    from webtest.http import StopableWSGIServer

    port = free_port()
    server = StopableWSGIServer.create(reliable_app, host="127.0.0.1", port=port, threads=8)
    yield Live(f"http://127.0.0.1:{port}", reliable_app)
    server.shutdown()


@pytest.fixture
def audit(reliable_app):
    """``audit()`` -> list of problems in the suite's database and bucket (empty when consistent)."""
    registry = reliable_app.registry

    def run(**kwargs):
        return audit_module.audit(parts_of(registry).session_factory, parts_of(registry).storage, **kwargs)

    return run


class RedisServer:
    """A redis-server of our own (no persistence) that a test may stop and start again."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def redis_server():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(free_port()).start()
    yield server
    server.stop()
