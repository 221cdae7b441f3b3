"""Failures said in one line with their cause (``failures.py``), and logged sparingly."""

import logging

import pytest
import redis
import sqlalchemy
from sqlalchemy.exc import OperationalError

from s3video_sidecar.failures import FailureLog, cause, describe, where
from tests.support.apps import free_port


def test_a_refused_postgresql_connection_names_host_port_and_cause():
    port = free_port()
    url = f"postgresql+psycopg://someone:s3cret@127.0.0.1:{port}/s3video"
    engine = sqlalchemy.create_engine(url)
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    line = describe("database", url, caught.value)
    assert line == f"database (postgresql 127.0.0.1:{port}/s3video): connection refused"
    assert "s3cret" not in line


def test_a_wrong_password_is_authentication_failed():
    error = OperationalError(
        "connect",
        {},
        Exception(
            'connection failed: connection to server at "10.0.0.7", port 5432 failed: FATAL:  password authentication'
            ' failed for user "s3video"'
        ),
    )
    assert cause(error) == "authentication failed"
    mysql = OperationalError("connect", {}, Exception(1045, "Access denied for user 's3video'@'10.0.0.5'"))
    assert cause(mysql) == "authentication failed"


def test_a_refused_redis_connection():
    port = free_port()
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    with pytest.raises(redis.RedisError) as caught:
        client.ping()
    assert describe("nonce store", f"redis://:pw@127.0.0.1:{port}/0", caught.value) == (
        f"nonce store (redis 127.0.0.1:{port}/0): connection refused"
    )


def test_an_unknown_cause_is_the_drivers_first_words_cut_with_an_ellipsis():
    assert cause(RuntimeError("x" * 500)).endswith("…") and len(cause(RuntimeError("x" * 500))) == 200
    assert cause(RuntimeError("  several\n  lines ")) == "several lines"


def test_where_never_shows_a_password():
    assert where("postgresql+psycopg://u:pw@db.example.edu:5433/s3") == "postgresql db.example.edu:5433/s3"
    assert where("rediss://:pw@cache:6380/2") == "redis cache:6380/2"
    assert where("sqlite:////var/lib/s3video/s3video.sqlite") == "sqlite /var/lib/s3video/s3video.sqlite"


def test_the_same_failure_is_logged_once_an_interval_with_a_count(caplog):
    now = [0.0]
    failures = FailureLog(logging.getLogger("s3video_sidecar.test"), interval=60, clock=lambda: now[0])
    with caplog.at_level(logging.ERROR, logger="s3video_sidecar.test"):
        assert failures.error("redis", "redis down")
        assert not failures.error("redis", "redis down")
        assert not failures.error("redis", "redis down")
        assert failures.error("database", "database down")  # another kind is its own
        now[0] = 61
        assert failures.error("redis", "redis down")
    assert [r.getMessage() for r in caplog.records] == [
        "redis down",
        "database down",
        "redis down (2 more like it in the last 61 s)",
    ]
