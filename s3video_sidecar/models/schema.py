"""Is the database's schema at the migrations' head? Asked at start-up, by ``/health`` and the CLI.

A database that was never migrated (or was migrated by an older release) answers
``SELECT 1`` like a good one while every real query fails: the one honest check is
Alembic's own revision table against the head of ``s3video_sidecar/migrations``.
"""

from __future__ import annotations

from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATE_HINT = "run s3video-migrate"


class SchemaNotAtHead(RuntimeError):
    """The database's schema is not the one this release needs; the message says what to run."""

    def __init__(self, current: str | None, heads: tuple[str, ...], newer: bool = False):
        self.current = current
        self.heads = heads
        found = current or "none (an empty database)"
        if newer:  # a newer release migrated it: this older code must not run against it
            super().__init__(
                f"schema newer than this release: upgrade the sidecar (the database is at revision"
                f" {found}, which this release does not know; it needs {', '.join(heads)})"
            )
        else:
            super().__init__(
                f"schema not at head: {MIGRATE_HINT} <ini file> (the database is at revision {found},"
                f" this release needs {', '.join(heads)})"
            )


@lru_cache(maxsize=1)  # the migrations ship with the code: read them once per process
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", "s3video_sidecar:migrations")
    return ScriptDirectory.from_config(config)


def head_revisions() -> tuple[str, ...]:
    return tuple(_scripts().get_heads())


def current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaNotAtHead` unless the database is at the head (SQLAlchemy errors pass through)."""
    scripts = _scripts()
    heads = tuple(scripts.get_heads())
    with engine.connect() as connection:
        current = current_revisions(connection)
    if set(current) != set(heads):
        known = {revision.revision for revision in scripts.walk_revisions()}
        raise SchemaNotAtHead(", ".join(current) or None, heads, newer=not set(current) <= known)
