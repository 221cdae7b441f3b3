"""Fixtures shared by every test: settings, databases, the S3 stand-in, the app.

- ``backend`` runs a test on SQLite, and also on PostgreSQL and MariaDB where
  ``S3VIDEO_TEST_POSTGRESQL`` / ``S3VIDEO_TEST_MYSQL`` are set (CI sets both).
- ``embedded_s3_url``: where the app starts the embedded S3 stand-in (once per session, data in a
  temporary directory), over HTTP.
- ``app_settings``: ini-style settings pointing at those; ``testapp`` the WSGI app
  under webtest; ``api`` the same, signing every request with S3V1.
- ``live_sidecar``: the real app on waitress over HTTP (for the browser, PHP and
  integration tests), with ``.url``, ``.key_id``, ``.secret`` and a Python ``client``.
- ``ids``: fresh assignment/submission/user ids, so tests share databases safely.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading

import pytest
import webtest

from s3video_sidecar.sdk import cdn
from s3video_sidecar.sdk.client import SidecarClient
from tests.support.databases import available_backends, fresh_database
from tests.support.signed_app import KEY_ID, OTHER_KEY_ID, OTHER_SECRET, SECRET, SignedApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def embedded_s3_url():
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "cloudfront.pem"
    cdn.generate_private_key(path, "rsa")
    return str(path)


@pytest.fixture(scope="session", params=available_backends())
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory.mktemp(f"db-{backend}")) as url:
        yield url


def make_settings(database_url, embedded_s3_url, signing_key_file, edge_base_url="http://localhost/edge", **extra):
    settings = {
        "sqlalchemy.url": database_url,
        "retry.attempts": "1",
        "s3video.hmac_keys": f"{KEY_ID}:{SECRET} {OTHER_KEY_ID}:{OTHER_SECRET}",
        "s3video.storage": "embedded",
        "s3video.bucket": "s3video-test",
        "s3video.region": "us-east-1",
        "s3video.s3_endpoint_url": embedded_s3_url,
        "s3video.moodle_origin": "http://localhost",
        "s3video.max_upload_bytes": str(10 * 1024 * 1024),
        "s3video.multipart_threshold_bytes": str(5 * 1024 * 1024),
        "s3video.multipart_part_size_bytes": str(5 * 1024 * 1024),
        "s3video.allowed_mime_types": "video/mp4 video/webm",
        "s3video.upload_expiry_seconds": "600",
        "s3video.playback_expiry_seconds": "600",
        "s3video.cdn": "local",
        "s3video.local_edge.base_url": edge_base_url,
        "s3video.cloudfront.key_id": "TESTKEYID",
        "s3video.cloudfront.private_key_file": signing_key_file,
        "s3video.nonce_store": "database",
    }
    settings.update(extra)
    return settings


@pytest.fixture(scope="session")
def app_settings(database_url, embedded_s3_url, signing_key_file):
    return make_settings(database_url, embedded_s3_url, signing_key_file)


@pytest.fixture(scope="session")
def wsgi_app(app_settings):
    from s3video_sidecar.app import main

    return main({}, **app_settings)


@pytest.fixture
def testapp(wsgi_app):
    return webtest.TestApp(wsgi_app)


@pytest.fixture
def api(testapp):
    return SignedApp(testapp)


@pytest.fixture
def registry(wsgi_app):
    return wsgi_app.registry


_counter = itertools.count(1)


class Ids:
    """Fresh ids for one test: assignment, submission, users, course."""

    def __init__(self):
        base = next(_counter) * 1000 + 100000 * __import__("os").getpid() % 10_000_000
        self.assignment = base + 1
        self.submission = base + 2
        self.other_submission = base + 3
        self.student = base + 4
        self.other_student = base + 5
        self.teacher = base + 6
        self.admin = base + 7
        self.course = base + 8
        self.other_course = base + 9


@pytest.fixture
def ids():
    return Ids()


class LiveSidecar:
    def __init__(self, url, key_id, secret, app, server):
        self.url, self.key_id, self.secret, self.app, self.server = url, key_id, secret, app, server
        self.client = SidecarClient(url, key_id, secret)


@contextlib.contextmanager
def serve_sidecar(database_url, embedded_s3_url, signing_key_file, origins=(), **extra):
    """The real app on waitress over HTTP on a free loopback port, with embedded S3 and the local
    edge; CORS allows its own origin and ``origins``; room for multipart files of several parts."""
    from waitress.server import create_server

    from s3video_sidecar.app import main

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(database_url, embedded_s3_url, signing_key_file, edge_base_url=f"{url}/edge",
                             **{"s3video.moodle_origin": " ".join([*origins, url]),
                                "s3video.max_upload_bytes": str(64 * 1024 * 1024), **extra})
    app = main({}, **settings)
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield LiveSidecar(url, KEY_ID, SECRET, app, server)
    finally:
        server.close()


@pytest.fixture(scope="session")
def live_sidecar(database_url, embedded_s3_url, signing_key_file):
    """The real app over HTTP (``serve_sidecar``), with the development page on."""
    with serve_sidecar(database_url, embedded_s3_url, signing_key_file,
                       **{"s3video.development.demo": "true"}) as sidecar:
        yield sidecar
