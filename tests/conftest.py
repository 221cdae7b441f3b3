"""Fixtures shared by every test: settings, databases, the S3 stand-in, the app.

- ``backend`` runs a test on SQLite, and also on PostgreSQL and MariaDB where
  ``S3VIDEO_TEST_POSTGRESQL`` / ``S3VIDEO_TEST_MYSQL`` are set (CI sets both).
- ``database_url``: one migrated database per backend for the run; ``db_engine`` an engine on it.
- ``db_connection``: a connection in a transaction rolled back after the test;
  ``db_session`` an ORM session on it (its commits are SAVEPOINTs).
- ``testapp`` (webtest), ``api`` (the same, signing every request with S3V1) and ``registry``:
  the app with every database access on ``db_connection``, so what a test writes is rolled back
  (``tests/support/databases.py``: each request still commits or aborts, as a SAVEPOINT).
  ``make_app(**changes)``: another app, with changed settings, on the same connection.
- Tests marked ``committed`` write to a real, committed database (``committed_app``,
  ``committed_api``, ``app_settings``, ``live_sidecar``, the jobs' ``world``) because another
  connection, thread or process must read it; they keep apart by fresh ``ids``.
- ``embedded_s3_url``: where the app starts the embedded S3 stand-in (once per session, data in a
  temporary directory), over HTTP.
- ``live_sidecar``: the real app on waitress over HTTP (for the browser, PHP and integration
  tests), with ``.url``, ``.key_id``, ``.secret`` and a Python ``client``.
- ``ids``: fresh assignment/submission/user ids.
- ``browser``: Debian's Chromium through Playwright (``tests/browser``, ``tests/moodle_e2e``).
- ``clips``: real clips of each codec family, made once per run with ffmpeg.
"""

from __future__ import annotations

import contextlib

import pytest
import webtest
from sqlalchemy.orm import Session

from s3video_sidecar.models import get_engine
from s3video_sidecar.sdk import cdn
from s3video_sidecar.services import parts_of
from tests.support.apps import Ids, build_app, free_port, make_settings, serve_sidecar
from tests.support.chromium import launch
from tests.support.databases import (
    available_backends,
    bind_app,
    fresh_database,
    rolled_back,
)
from tests.support.signed_app import SignedApp
from tests.support.videos import make_clips


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "committed: writes to a real, committed database that another connection, thread or process"
        " reads (not rolled back)",
    )


COMMITTED = {"committed_app", "live_sidecar", "world", "cli_world", "worker_world"}  # fixtures whose writes commit


def pytest_collection_modifyitems(items):
    """Mark ``committed`` every test on a committed database: one of :data:`COMMITTED`, or the run's
    database without the rolled-back connection (an app of its own, the CLI on the ini's database)."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & COMMITTED or ("database_url" in used and "db_connection" not in used):
            item.add_marker(pytest.mark.committed)


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


# -- rolled back -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def db_engine(database_url):
    engine = get_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_connection(db_engine):
    with rolled_back(db_engine) as connection:
        yield connection


@pytest.fixture
def db_session(db_connection):
    session = Session(bind=db_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture(scope="session")
def app_settings(database_url, embedded_s3_url, signing_key_file):
    return make_settings(database_url, embedded_s3_url, signing_key_file)


@pytest.fixture(scope="session")
def wsgi_app(app_settings):
    return build_app(app_settings)


@pytest.fixture
def registry(wsgi_app, db_connection):
    with bind_app(wsgi_app.registry, db_connection) as registry:
        yield registry


@pytest.fixture
def testapp(wsgi_app, registry):
    return webtest.TestApp(wsgi_app)


@pytest.fixture
def api(testapp):
    return SignedApp(testapp)


@pytest.fixture
def make_app(app_settings, db_connection):
    """``make_app(**changes)``: an app on the settings changed by ``changes`` (ini names), its database
    accesses on the test's connection as ``testapp``'s are."""
    with contextlib.ExitStack() as stack:

        def make(**changes):
            app = build_app(app_settings, **changes)
            stack.callback(parts_of(app.registry).engine.dispose)
            stack.enter_context(bind_app(app.registry, db_connection))
            return app

        yield make


@pytest.fixture
def ids():
    return Ids()


# -- committed ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def committed_app(app_settings):
    """The app on ``database_url``, its requests committed: for a test whose rows another connection
    or process reads (the CLI on the ini's database), or that needs what commits on its own
    connection (the nonce and rate-limit stores) to outlive a request that failed."""
    return build_app(app_settings)


@pytest.fixture
def committed_api(committed_app):
    return SignedApp(webtest.TestApp(committed_app))


@pytest.fixture(scope="session")
def live_sidecar(database_url, embedded_s3_url, signing_key_file):
    """The real app over HTTP (``serve_sidecar``), with the development page on."""
    with serve_sidecar(
        database_url, embedded_s3_url, signing_key_file, **{"s3video.development.demo": "true"}
    ) as sidecar:
        yield sidecar


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright (the /demo and Moodle tests)."""
    with launch() as chromium:
        yield chromium


# -- media -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """Real clips (H.264 with and without fast start, HEVC, VP9, a rotated one): {name: bytes}."""
    return make_clips(tmp_path_factory.mktemp("clips"))
