"""Throw-away databases for the tests: a fresh one per run, dropped afterwards.

SQLite always; PostgreSQL and MariaDB/MySQL when ``S3VIDEO_TEST_POSTGRESQL`` /
``S3VIDEO_TEST_MYSQL`` name a server URL (CI sets both), so a run never depends on
what an earlier run left behind.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
        url = f"sqlite:///{tmp_path}/s3video-{secrets.token_hex(4)}.sqlite"
        migrate(url)
        yield url
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
