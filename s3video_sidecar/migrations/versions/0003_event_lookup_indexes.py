"""Index the event log by video and by S3 key (a video's history; privacy erasure)

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_video_events_video_id", "video_events", ["video_id"], unique=False)
    # MariaDB indexes at most 3072 bytes: 500 utf8mb4 characters fit (2000 bytes).
    op.create_index("ix_video_events_s3_key", "video_events", ["s3_key"], unique=False)


def downgrade():
    op.drop_index("ix_video_events_s3_key", table_name="video_events")
    op.drop_index("ix_video_events_video_id", table_name="video_events")
