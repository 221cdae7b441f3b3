"""Building the app for the tests: settings, fresh ids, free ports, and the app served over HTTP.

``build_app`` is the one place the tests' fixtures name the app factory: if ``main`` moves,
change the import below. (Some suites outside ``tests/functional`` still import it themselves.)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading

from s3video_sidecar.app import main
from s3video_sidecar.sdk.client import SidecarClient
from tests.support.signed_app import KEY_ID, OTHER_KEY_ID, OTHER_SECRET, SECRET


def build_app(settings: dict, **changes):
    """The WSGI app (``main``) on ``settings`` with ``changes`` (ini names) applied."""
    return main({}, **dict(settings, **changes))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


_counter = itertools.count(1)


class Ids:
    """Fresh ids for one test: assignment, submission, users, course. Tests whose rows are rolled back
    would not need them; tests on a committed database (and Redis, which outlives the run) do."""

    def __init__(self):
        base = next(_counter) * 1000 + 100000 * os.getpid() % 10_000_000
        self.assignment = base + 1
        self.submission = base + 2
        self.other_submission = base + 3
        self.student = base + 4
        self.other_student = base + 5
        self.teacher = base + 6
        self.admin = base + 7
        self.course = base + 8
        self.other_course = base + 9


class LiveSidecar:
    def __init__(self, url, key_id, secret, app, server):
        self.url, self.key_id, self.secret, self.app, self.server = url, key_id, secret, app, server
        self.client = SidecarClient(url, key_id, secret)


@contextlib.contextmanager
def serve_sidecar(database_url, embedded_s3_url, signing_key_file, origins=(), **extra):
    """The real app on waitress over HTTP on a free loopback port, with embedded S3 and the local
    edge; CORS allows its own origin and ``origins``; room for multipart files of several parts.
    Its requests commit: the database must be one no test holds a transaction open on."""
    from waitress.server import create_server

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url,
        embedded_s3_url,
        signing_key_file,
        edge_base_url=f"{url}/edge",
        **{
            "s3video.moodle_origin": " ".join([*origins, url]),
            "s3video.max_upload_bytes": str(64 * 1024 * 1024),
            **extra,
        },
    )
    app = build_app(settings)
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield LiveSidecar(url, KEY_ID, SECRET, app, server)
    finally:
        server.close()
