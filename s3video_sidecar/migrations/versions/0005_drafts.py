"""Copies share their source's object: ``videos.s3_key`` no longer unique (indexed instead);
``submissions.retained_video_id``, the video that was current when the videos were deleted

Revision ID: 0005_drafts
Revises: 0005_probe
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_drafts"
down_revision = "0005_probe"
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    # SQLite drops a unique constraint only by rebuilding the table, and dropping the old table with
    # foreign keys enforced fails (submissions point at it). The pragma works outside a transaction only.
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_foreign_keys(False)
        with op.batch_alter_table("videos", recreate="always") as batch:
            batch.drop_constraint("uq_videos_s3_key", type_="unique")
            batch.create_index("ix_videos_s3_key", ["s3_key"], unique=False)
        _sqlite_foreign_keys(True)
    else:
        # MariaDB indexes at most 3072 bytes: 500 utf8mb4 characters fit (2000 bytes).
        op.create_index("ix_videos_s3_key", "videos", ["s3_key"], unique=False)
        op.drop_constraint("uq_videos_s3_key", "videos", type_="unique")
    op.add_column("submissions", sa.Column("retained_video_id", sa.BigInteger(), nullable=True))


def downgrade():
    # Only while no two rows share a key (delete the copies first): the unique constraint comes back.
    op.drop_column("submissions", "retained_video_id")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_foreign_keys(False)
        with op.batch_alter_table("videos", recreate="always") as batch:
            batch.drop_index("ix_videos_s3_key")
            batch.create_unique_constraint("uq_videos_s3_key", ["s3_key"])
        _sqlite_foreign_keys(True)
    else:
        op.create_unique_constraint("uq_videos_s3_key", "videos", ["s3_key"])
        op.drop_index("ix_videos_s3_key", table_name="videos")
