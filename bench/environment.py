"""What every benchmark runs against: a fresh PostgreSQL database, Redis, the S3 stand-in,
the sidecar with ``production.ini``'s settings, and the bare Pyramid app; all on loopback.

PostgreSQL and Redis are the machine's own (the same servers the tests use): set
``S3VIDEO_TEST_POSTGRESQL`` and ``S3VIDEO_TEST_REDIS`` to point elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from dataclasses import dataclass, field

import redis

from s3video_sidecar.sdk import cdn
from tests.support.databases import fresh_database

from . import processes

DEFAULT_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Environment:
    directory: pathlib.Path
    database_url: str
    redis_url: str
    key_file: str
    s3: processes.ServerProcess
    sidecar: processes.ServerProcess | None = None
    bare: processes.ServerProcess | None = None
    bare_ceiling_rps: float | None = None
    settings: dict = field(default_factory=dict)
    workloads: dict = field(default_factory=dict)  # http_load's seeded data, by connection count
    bare_by_connections: dict = field(default_factory=dict)


def check_services() -> list[str]:
    """Why the environment cannot be built, or nothing."""
    problems = []
    try:
        redis.Redis.from_url(os.environ.get("S3VIDEO_TEST_REDIS", DEFAULT_REDIS), socket_timeout=2).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis is not answering ({exc.__class__.__name__})")
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(os.environ.get("S3VIDEO_TEST_POSTGRESQL", DEFAULT_POSTGRESQL))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        problems.append(f"PostgreSQL is not answering ({exc.__class__.__name__})")
    finally:
        engine.dispose()
    return problems


@contextlib.contextmanager
def environment(*, with_bare: bool = True, **setting_overrides):
    os.environ.setdefault("S3VIDEO_TEST_POSTGRESQL", DEFAULT_POSTGRESQL)
    with processes.work_directory() as directory, _services(directory, with_bare, setting_overrides) as env:
        yield env


@contextlib.contextmanager
def _services(directory: pathlib.Path, with_bare: bool, setting_overrides: dict):
    key_file = directory / "cloudfront.pem"
    cdn.generate_private_key(key_file, "rsa")
    redis_url = os.environ.get("S3VIDEO_TEST_REDIS", DEFAULT_REDIS)
    with fresh_database("postgresql", directory) as database_url, processes.standin(directory) as s3:
        settings = processes.production_settings(
            database_url=database_url, redis_url=redis_url, s3_url=s3.url, key_file=str(key_file), **setting_overrides
        )
        env = Environment(directory, database_url, redis_url, str(key_file), s3, settings=settings)
        with processes.sidecar(directory, settings) as sidecar:
            env.sidecar = sidecar
            if with_bare:
                with processes.bare(directory) as bare:
                    env.bare = bare
                    yield env
            else:
                yield env
