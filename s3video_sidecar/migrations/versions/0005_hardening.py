"""Ids are never reused: AUTOINCREMENT on SQLite's videos and video_events

SQLite gives a plain INTEGER PRIMARY KEY the largest id + 1, so once the newest row is
deleted (a privacy erase) the next row takes its id and inherits its history in the event
log. AUTOINCREMENT keeps the largest id ever used in ``sqlite_sequence``. SQLite cannot
alter a table's key: batch mode rebuilds both tables (same columns, indexes and
constraints). The videos sequence starts above every id the event log or a submission
still names, so an id already freed before this migration is not handed out again either.
PostgreSQL's sequences and MariaDB's persistent AUTO_INCREMENT (10.2.4+) never reuse ids:
nothing to do there.

Revision ID: 0005_hardening
Revises: 0005_drafts
"""

from alembic import op

revision = "0005_hardening"
down_revision = "0005_drafts"
branch_labels = None
depends_on = None

TABLES = ("videos", "video_events")


def _commit(bind):
    """End pysqlite's open transaction, if any: SQLite takes PRAGMA foreign_keys only outside one."""
    dbapi_connection = bind.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        dbapi_connection.commit()


def _rebuild(autoincrement: bool):
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The rebuild drops and renames videos, which submissions.current_video_id references:
    # foreign keys are off while it runs (so it commits what came before: SQLite's rule).
    _commit(bind)
    op.execute("PRAGMA foreign_keys=OFF")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    if autoincrement:
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'videos'")
        op.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'videos', coalesce(max(max_id), 0) FROM ("
            "SELECT max(id) AS max_id FROM videos UNION ALL SELECT max(video_id) FROM video_events"
            " UNION ALL SELECT max(current_video_id) FROM submissions)"
        )
    _commit(bind)
    op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)
