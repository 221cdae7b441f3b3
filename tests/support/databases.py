"""Databases for the tests: fresh migrated ones, and transactions rolled back after each test.

SQLite always; PostgreSQL and MariaDB/MySQL when ``S3VIDEO_TEST_POSTGRESQL`` /
``S3VIDEO_TEST_MYSQL`` name a server URL (CI sets both), so a run never depends on
what an earlier run left behind.

- :func:`fresh_database`: a new migrated database, dropped afterwards (a new SQLite file is a
  copy of one migrated once per run). For what must commit: another connection, thread or
  process reads it (the worker, the CLI, the live sidecar), or the test is about migrations.
- :func:`rolled_back`: a connection in a transaction that is rolled back at the end: whatever a
  test writes through it vanishes, so tests share one database and see nothing of each other.
- :func:`bind_app`: every database access of an app on that connection. Each request still has
  its own transaction (pyramid_tm): it becomes a SAVEPOINT, released where the app commits and
  rolled back where it aborts, so "a refused request changes nothing" is still what is tested.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from tempfile import mkdtemp

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from s3video_sidecar.services import parts_of

BACKENDS = {
    "sqlite": None,
    "postgresql": "S3VIDEO_TEST_POSTGRESQL",
    "mysql": "S3VIDEO_TEST_MYSQL",
}


def available_backends() -> list[str]:
    return [name for name, variable in BACKENDS.items() if variable is None or os.environ.get(variable)]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "s3video_sidecar:migrations")
    config.attributes["sqlalchemy_url"] = url
    return config


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@contextmanager
def fresh_database(backend: str, tmp_path):
    """Yield the URL of a new, migrated database of ``backend``; drop it afterwards."""
    if backend == "sqlite":
        path = Path(tmp_path) / f"s3video-{secrets.token_hex(4)}.sqlite"
        copy_sqlite(migrated_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    server = make_url(os.environ[BACKENDS[backend]])
    name = f"s3v_test_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            if backend == "postgresql":
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


_template: list[Path] = []


def migrated_sqlite_template() -> Path:
    """A SQLite file migrated to head, once per run (migrating takes a second; a copy, milliseconds)."""
    if not _template:
        folder = mkdtemp(prefix="s3video-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "migrated.sqlite"
        migrate(f"sqlite:///{path}")
        _template.append(path)
    return _template[0]


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's backup API (whatever its journal holds)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@contextmanager
def rolled_back(engine):
    """A connection of ``engine`` in a transaction, rolled back (and the connection closed) at the end.

    Sessions join it with ``join_transaction_mode="create_savepoint"``: their commits release a
    SAVEPOINT, their rollbacks return to it, and the outer transaction never commits."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        if outer.is_active:
            outer.rollback()
        connection.close()


class _Lent:
    """``connection`` lent for ``with engine.connect() as c``: closing it leaves it open for the test."""

    def __init__(self, connection):
        self._connection = connection

    def __enter__(self):
        return self._connection

    def __exit__(self, *_exc):
        return False

    def close(self):
        pass

    def __getattr__(self, name):
        return getattr(self._connection, name)


@contextmanager
def _savepoint(connection):
    with connection.begin_nested():
        yield connection


@contextmanager
def bind_app(registry, connection):
    """Every database access of the app whose registry this is goes to ``connection`` until the end.

    The app's session factory joins the connection's transaction (each session a SAVEPOINT:
    pyramid_tm's commit releases it, its abort rolls back to it), and what uses the app's engine
    itself (the nonce and rate-limit stores, /health) gets the same connection, a SAVEPOINT for
    each ``engine.begin()``. Test helpers reading through ``parts_of(registry).session_factory`` see what
    the requests wrote. On SQLite a second connection could not write while this one holds its
    transaction, so nothing may bypass it."""
    parts = parts_of(registry)
    factory, engine = parts.session_factory, parts.engine
    saved = dict(factory.kw)
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    engine.connect = lambda: _Lent(connection)
    engine.begin = lambda: _savepoint(connection)
    try:
        yield registry
    finally:
        del engine.connect, engine.begin
        factory.kw.clear()
        factory.kw.update(saved)
