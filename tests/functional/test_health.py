"""``/health`` checks every store a signed call needs, names each, answers 503 when one is down
and logs why (once a minute at most); the start-up log says when the schema is not at head.

Redis is "down" by pointing at a closed port, never by stopping the shared server.
"""

import logging

import pytest
import webtest

from s3video_sidecar.models.schema import head_revisions
from tests.support.apps import build_app, free_port
from tests.support.databases import migrate


@pytest.fixture(autouse=True)
def fresh_failure_logs(monkeypatch):
    """Each test starts with no failure logged yet (the rate limit is per process)."""
    from s3video_sidecar import failures

    monkeypatch.setattr(failures, "_logs", {})


STORES = ("database", "schema", "nonce_store", "rate_limit_store", "queue", "storage")


def closed_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def app_with(app_settings, **changes):
    """An app of its own (not rolled back): on the run's database, what it writes (refusals) commits."""
    return webtest.TestApp(build_app(app_settings, **changes))


def test_a_healthy_node_names_every_store(testapp):
    health = testapp.get("/health").json
    assert {name: health[name] for name in STORES} == dict.fromkeys(STORES, "ok")
    assert health["status"] == "ok"


@pytest.mark.parametrize(
    "setting, store", [("s3video.nonce_store", "nonce_store"), ("s3video.rate_limit.store", "rate_limit_store")]
)
def test_redis_down_is_a_503_naming_the_store(app_settings, setting, store, caplog):
    app = app_with(app_settings, **{setting: "redis", "s3video.redis_url": closed_redis()})
    with caplog.at_level(logging.ERROR, logger="s3video_sidecar"):
        response = app.get("/health", status=503)
    assert response.json["status"] == "unavailable"
    assert response.json[store] == "unavailable"
    assert all(response.json[name] == "ok" for name in STORES if name != store)
    # the cause is in the log, in one line, with the address and "connection refused"
    lines = [r.getMessage() for r in caplog.records if "/health answered 503" in r.getMessage()]
    assert len(lines) == 1 and "connection refused" in lines[0] and "127.0.0.1" in lines[0]
    assert "\n" not in lines[0] and not any(r.exc_info for r in caplog.records)


def test_a_queue_that_cannot_be_reached_is_a_503(app_settings):
    response = app_with(app_settings, **{"huey.url": closed_redis()}).get("/health", status=503)
    assert response.json["queue"] == "unavailable" and response.json["database"] == "ok"


def test_the_503_is_logged_once_a_minute_at_most(app_settings, caplog):
    app = app_with(app_settings, **{"s3video.nonce_store": "redis", "s3video.redis_url": closed_redis()})
    with caplog.at_level(logging.ERROR, logger="s3video_sidecar"):
        for _ in range(5):
            app.get("/health", status=503)
    assert len([r for r in caplog.records if "/health answered 503" in r.getMessage()]) <= 1


def test_signed_calls_with_redis_down_log_one_line_each_not_tracebacks(app_settings, caplog, ids):
    from tests.support.signed_app import SignedApp, actor

    api = SignedApp(app_with(app_settings, **{"s3video.nonce_store": "redis", "s3video.redis_url": closed_redis()}))
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            response = api.get(
                f"/assignments/{ids.assignment}/submissions/{ids.submission}",
                as_actor=actor(ids.student, "student", course=ids.course),
            )
            assert response.status_int == 503
    assert not any(record.exc_info for record in caplog.records)
    nonce_lines = [r.getMessage() for r in caplog.records if "nonce store" in r.getMessage()]
    assert len(nonce_lines) <= 1 and all("connection refused" in line for line in nonce_lines)


def unmigrated(tmp_path, revision=None) -> str:
    url = f"sqlite:///{tmp_path}/unmigrated.sqlite"
    if revision:
        migrate(url, revision)
    return url


@pytest.mark.parametrize("revision", [None, "0001"])
def test_a_database_not_at_head_is_said_at_start_up_and_by_health(app_settings, tmp_path, caplog, revision):
    with caplog.at_level(logging.ERROR, logger="s3video_sidecar"):
        app = app_with(app_settings, **{"sqlalchemy.url": unmigrated(tmp_path, revision)})
    started = [r.getMessage() for r in caplog.records if "schema not at head" in r.getMessage()]
    assert len(started) == 1 and "run s3video-migrate" in started[0]
    response = app.get("/health", status=503)
    schema = response.json["schema"]
    assert schema.startswith("schema not at head: run s3video-migrate")
    assert (revision or "none") in schema and all(head in schema for head in head_revisions())
    assert response.json["database"] == "ok"


def test_an_unreachable_database_is_said_at_start_up_with_its_address(app_settings, caplog):
    port = free_port()
    with caplog.at_level(logging.ERROR, logger="s3video_sidecar"):
        app = app_with(app_settings, **{"sqlalchemy.url": f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"})
    lines = [r.getMessage() for r in caplog.records if f"127.0.0.1:{port}" in r.getMessage()]
    assert lines and "connection refused" in lines[0]
    assert app.get("/health", status=503).json["database"] == "unavailable"


def test_a_database_newer_than_the_release_says_upgrade(app_settings, tmp_path):
    import sqlalchemy

    url = unmigrated(tmp_path, "head")
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    schema = app_with(app_settings, **{"sqlalchemy.url": url}).get("/health", status=503).json["schema"]
    assert schema.startswith("schema newer than this release: upgrade the sidecar") and "9999_future" in schema


def test_development_index_and_demo_redirect(app_settings, caplog):
    with caplog.at_level(logging.INFO, logger="s3video_sidecar"):
        app = app_with(app_settings, **{"s3video.development.demo": "true"})
    assert any("open http://localhost/demo" in r.getMessage() for r in caplog.records)
    index = app.get("/", status=200)
    assert index.content_type == "text/html" and 'href="demo"' in index.text
    assert app.get("/demo/", status=302).location.endswith("/demo")


def test_no_index_without_the_demo_page(testapp):
    assert testapp.get("/", status=404).json["error"]


def test_a_refused_database_logs_host_port_and_cause_once(app_settings, caplog, ids):
    from tests.support.signed_app import SignedApp, actor

    port = free_port()
    api = SignedApp(app_with(app_settings, **{"sqlalchemy.url": f"postgresql+psycopg://s3video:pw@127.0.0.1:{port}/x"}))
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            response = api.get(
                f"/assignments/{ids.assignment}/submissions/{ids.submission}",
                as_actor=actor(ids.student, "student", course=ids.course),
            )
            assert response.status_int == 503
    records = [r for r in caplog.records if f"127.0.0.1:{port}" in r.getMessage()]
    assert records and all("connection refused" in r.getMessage() and ":pw" not in r.getMessage() for r in records)
    # at start-up, then once for the three requests (once a minute, not per request)
    assert len([r for r in records if r.name != "s3video_sidecar.models"]) == 1
    assert not any(record.exc_info for record in caplog.records)
