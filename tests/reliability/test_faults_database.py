"""The database failing in the middle of a request, and the database gone altogether.

- A statement fails (SQLAlchemy's ``before_cursor_execute`` raises the driver error a lost
  connection gives) while confirm writes its result, or while upload-url writes its row:
  503 with a clear message, the request's transaction rolled back whole, the same call
  succeeding afterwards, the audit clean.
- On PostgreSQL, the server really kills the request's connection half-way
  (``pg_terminate_backend``): the same, and the pool recovers by itself.
- A database that does not answer: every signed call and ``/health`` say 503.
"""

from __future__ import annotations

import contextlib
import re

import pytest
import webtest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from s3video_sidecar.services import parts_of
from tests.conftest import free_port, make_settings
from tests.reliability import flows
from tests.support.signed_app import SignedApp


@contextlib.contextmanager
def failing(engine, pattern: str):
    """Make statements matching ``pattern`` fail as on a dropped connection; yield the failure count."""
    failures = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if re.search(pattern, statement, re.IGNORECASE):
            failures.append(statement)
            raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield failures
    finally:
        event.remove(engine, "before_cursor_execute", before)


def assert_database_503(response):
    assert response.status_int == 503, response.text
    assert response.json["error"] == "the database cannot be reached; try again later"


def test_confirm_when_the_database_fails_while_writing(rapi, ids, audit, reliable_app):
    registry = reliable_app.registry
    upload = flows.uploaded(rapi, ids)
    with failing(parts_of(registry).engine, r"^UPDATE videos") as failures:
        response = flows.confirm(rapi, ids, upload["s3_key"])
    assert failures, "the fault was not reached"
    assert_database_503(response)
    assert flows.video_row(registry, upload["s3_key"]).upload_status == "pending"  # rolled back whole
    assert parts_of(registry).storage.head(upload["s3_key"]) is not None  # the bytes are safe
    again = flows.confirm(rapi, ids, upload["s3_key"])
    assert again.status_int == 200, again.text
    assert audit() == []


def test_upload_url_when_the_database_fails_while_writing(rapi, ids, audit, reliable_app):
    with failing(parts_of(reliable_app.registry).engine, r"^INSERT INTO videos") as failures:
        response = rapi.post(
            flows.sub_path(ids, "/upload-url"),
            {"filename": "a.mp4", "size": 100, "mime_type": "video/mp4"},
            as_actor=flows.student(ids),
        )
    assert failures
    assert_database_503(response)
    assert rapi.get(flows.sub_path(ids), as_actor=flows.student(ids)).status_int == 404  # nothing half-written
    flows.confirmed(rapi, ids)
    assert audit() == []


def test_replacing_a_video_when_the_database_fails_keeps_the_old_one(rapi, ids, audit, reliable_app):
    registry = reliable_app.registry
    first = flows.confirmed(rapi, ids)
    second = flows.uploaded(rapi, ids)
    with failing(parts_of(registry).engine, r"^INSERT INTO video_events") as failures:
        response = flows.confirm(rapi, ids, second["s3_key"])
    assert failures
    assert_database_503(response)
    state = rapi.get(flows.sub_path(ids), as_actor=flows.student(ids)).json
    assert state["video"]["s3_key"] == first["s3_key"] and state["video"]["status"] == "ready"
    assert flows.confirm(rapi, ids, second["s3_key"]).status_int == 200
    assert flows.video_row(registry, first["s3_key"]).upload_status == "deleting"
    assert audit() == []


def test_postgresql_kills_the_connection_mid_request(rapi, ids, audit, reliable_app):
    registry = reliable_app.registry
    if parts_of(registry).engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (S3VIDEO_TEST_POSTGRESQL); CI sets it")
    upload = flows.uploaded(rapi, ids)
    killer = create_engine(parts_of(registry).engine.url, isolation_level="AUTOCOMMIT")
    killed = []

    def terminate(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE videos") and not killed:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with killer.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killed.append(pid)

    event.listen(parts_of(registry).engine, "before_cursor_execute", terminate)
    try:
        response = flows.confirm(rapi, ids, upload["s3_key"])
    finally:
        event.remove(parts_of(registry).engine, "before_cursor_execute", terminate)
        killer.dispose()
    assert killed
    assert_database_503(response)
    assert flows.video_row(registry, upload["s3_key"]).upload_status == "pending"
    again = flows.confirm(rapi, ids, upload["s3_key"])  # the pool replaced the dead connection
    assert again.status_int == 200, again.text
    assert audit() == []


def test_a_database_that_does_not_answer_is_503_everywhere(embedded_s3_url, signing_key_file, ids):
    from s3video_sidecar.app import main

    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    app = webtest.TestApp(
        main({}, **make_settings(dead, embedded_s3_url, signing_key_file, **{"s3video.bucket": "s3video-reliability"}))
    )
    health = app.get("/health", expect_errors=True)
    assert health.status_int == 503 and health.json["database"] == "unavailable"
    api = SignedApp(app)
    for response in (
        api.get(flows.sub_path(ids), as_actor=flows.student(ids)),
        api.post(
            flows.sub_path(ids, "/upload-url"),
            {"filename": "a.mp4", "size": 100, "mime_type": "video/mp4"},
            as_actor=flows.student(ids),
        ),
    ):
        assert_database_503(response)
