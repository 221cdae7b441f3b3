"""Is the database's schema at the migrations' head? Asked at start-up, by ``/health`` and the CLI.

A database that was never migrated (or was migrated by an older release) answers
``SELECT 1`` like a good one while every real query fails: the one honest check is
Alembic's own revision table against the head of ``s3video_sidecar/migrations``.
"""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATE_HINT = "run s3video-migrate"


class SchemaNotAtHead(RuntimeError):
    """The database's schema is not the one this release needs; the message says what to run."""

    def __init__(self, current: str | None, heads: tuple[str, ...]):
        self.current = current
        self.heads = heads
        found = current or "none (an empty database)"
        super().__init__(f"schema not at head: {MIGRATE_HINT} <ini file> (the database is at revision {found},"
                         f" this release needs {', '.join(heads)})")


def head_revisions() -> tuple[str, ...]:
    config = Config()
    config.set_main_option("script_location", "s3video_sidecar:migrations")
    return tuple(ScriptDirectory.from_config(config).get_heads())


def current_revisions(connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def check_schema(engine) -> None:
    """Raise :class:`SchemaNotAtHead` unless the database is at the head (SQLAlchemy errors pass through)."""
    heads = head_revisions()
    with engine.connect() as connection:
        current = current_revisions(connection)
    if set(current) != set(heads):
        raise SchemaNotAtHead(", ".join(current) or None, heads)
