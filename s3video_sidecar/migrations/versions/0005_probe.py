"""What was uploaded: the probe's findings, the poster frame's key, when it was probed

Revision ID: 0005_probe
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_probe"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("media", sa.Text(), nullable=True))
        batch.add_column(sa.Column("poster_key", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("probed_timestamp", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("video_codec", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("plays_everywhere", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("plays_everywhere")
        batch.drop_column("video_codec")
        batch.drop_column("probed_timestamp")
        batch.drop_column("poster_key")
        batch.drop_column("media")
