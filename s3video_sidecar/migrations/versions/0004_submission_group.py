"""Team submissions: the Moodle group a submission belongs to

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("submissions", sa.Column("group_id", sa.BigInteger(), nullable=True))


def downgrade():
    op.drop_column("submissions", "group_id")
