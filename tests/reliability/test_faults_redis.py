"""Redis down, or hanging: the nonce store and the rate limiter fail closed with 503.

Each test runs the app against a redis-server of its own (``redis_server``), stops it (or
freezes it with SIGSTOP, as a hung host), and starts it again: the calls refused in the
meantime change nothing, and calls work again without restarting the sidecar.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
import webtest

from tests.conftest import make_settings
from tests.reliability import flows
from tests.support.signed_app import SignedApp


def app_with(reliability_database_url, embedded_s3_url, signing_key_file, **redis_settings):
    from s3video_sidecar.app import main

    settings = make_settings(
        reliability_database_url,
        embedded_s3_url,
        signing_key_file,
        **{"s3video.bucket": "s3video-reliability", **redis_settings},
    )
    return SignedApp(webtest.TestApp(main({}, **settings)))


def upload_url(api, ids):
    return api.post(
        flows.sub_path(ids, "/upload-url"),
        {"filename": "a.mp4", "size": 100, "mime_type": "video/mp4"},
        as_actor=flows.student(ids),
    )


@pytest.fixture
def redis_app(redis_server, reliability_database_url, embedded_s3_url, signing_key_file):
    """Nonces and rate limits both in the test's own Redis."""
    return app_with(
        reliability_database_url,
        embedded_s3_url,
        signing_key_file,
        **{"s3video.nonce_store": "redis", "s3video.rate_limit.store": "redis", "s3video.redis_url": redis_server.url},
    )


def test_nonce_store_down_is_503_and_changes_nothing(redis_app, redis_server, ids, audit):
    assert upload_url(redis_app, ids).status_int == 201
    redis_server.stop()
    for response in (upload_url(redis_app, ids), redis_app.get(flows.sub_path(ids), as_actor=flows.student(ids))):
        assert response.status_int == 503, response.text
        assert response.json == {"error": "the nonce store cannot be reached; try again later", "code": "redis"}
    redis_server.start()  # same port: the sidecar reconnects by itself
    state = redis_app.get(flows.sub_path(ids), as_actor=flows.student(ids))
    assert state.status_int == 200
    assert len(state.json["uploads_in_progress"]) == 1  # the refused call added no upload
    assert upload_url(redis_app, ids).status_int == 201
    assert audit() == []


def test_rate_limiter_down_is_503_while_unlimited_calls_go_on(
    redis_server, reliability_database_url, embedded_s3_url, signing_key_file, ids, audit
):
    api = app_with(
        reliability_database_url,
        embedded_s3_url,
        signing_key_file,
        **{
            "s3video.nonce_store": "database",
            "s3video.rate_limit.store": "redis",
            "s3video.redis_url": redis_server.url,
        },
    )
    upload = flows.uploaded(api, ids)
    redis_server.stop()
    refused = upload_url(api, ids)
    assert refused.status_int == 503
    assert refused.json == {"error": "the rate-limit store cannot be reached; try again later", "code": "redis"}
    assert flows.confirm(api, ids, upload["s3_key"]).status_int == 503  # confirm is rate-limited too
    assert api.get(flows.sub_path(ids), as_actor=flows.student(ids)).status_int == 200  # not limited: answers
    redis_server.start()
    assert flows.confirm(api, ids, upload["s3_key"]).status_int == 200
    assert audit() == []


def test_a_hung_redis_is_503_within_the_timeout(redis_app, redis_server, ids):
    assert upload_url(redis_app, ids).status_int == 201
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = upload_url(redis_app, ids)
        waited = time.monotonic() - started
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert response.status_int == 503 and response.json["code"] == "redis"
    assert waited < 10  # security.py and ratelimit.py give Redis 2 s (socket_timeout)
    time.sleep(0.2)
    assert upload_url(redis_app, ids).status_int == 201
