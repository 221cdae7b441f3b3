"""videos, submissions, assignments, events, nonces

Revision ID: 0001
Revises:
Create Date: 2026-11-24 16:42:41.450229
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "assignments",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("course_id", sa.BigInteger(), nullable=False),
        sa.Column("created_timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index(op.f("ix_assignments_course_id"), "assignments", ["course_id"], unique=False)
    op.create_table(
        "used_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_used_nonces")),
    )
    op.create_index(op.f("ix_used_nonces_expires_timestamp"), "used_nonces", ["expires_timestamp"], unique=False)
    op.create_table(
        "video_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("assignment_id", sa.BigInteger(), nullable=True),
        sa.Column("submission_id", sa.BigInteger(), nullable=True),
        sa.Column("video_id", sa.BigInteger(), nullable=True),
        sa.Column("s3_key", sa.String(length=500), nullable=True),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_context", sa.Text(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=True),
        sa.Column("user_role", sa.String(length=50), nullable=True),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_events")),
    )
    op.create_index("ix_video_events_event_type", "video_events", ["event_type"], unique=False)
    op.create_index("ix_video_events_timestamp", "video_events", ["timestamp"], unique=False)
    op.create_index(op.f("ix_video_events_user_id"), "video_events", ["user_id"], unique=False)
    op.create_table(
        "submissions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("assignment_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("current_video_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_timestamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_submissions_assignment_id_assignments")
        ),
        # SQLite cannot add a constraint later, and does not check it at creation: declare it inline there.
        *(
            [
                sa.ForeignKeyConstraint(
                    ["current_video_id"], ["videos.id"], name="fk_submissions_current_video_id_videos"
                )
            ]
            if sqlite
            else []
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    op.create_index(op.f("ix_submissions_assignment_id"), "submissions", ["assignment_id"], unique=False)
    op.create_index(op.f("ix_submissions_user_id"), "submissions", ["user_id"], unique=False)
    op.create_table(
        "videos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assignment_id", sa.BigInteger(), nullable=False),
        sa.Column("submission_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("s3_key", sa.String(length=500), nullable=False),
        sa.Column("s3_bucket", sa.String(length=255), nullable=False),
        sa.Column("upload_status", sa.String(length=20), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("declared_size", sa.BigInteger(), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("checksum_sha256", sa.String(length=128), nullable=True),
        sa.Column("upload_method", sa.String(length=16), nullable=False),
        sa.Column("upload_id", sa.String(length=255), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("upload_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("upload_expires_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("delete_requested_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("purge_after_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("deleted_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignments.id"], name=op.f("fk_videos_assignment_id_assignments")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_videos_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("s3_key", name=op.f("uq_videos_s3_key")),
    )
    op.create_index(op.f("ix_videos_assignment_id"), "videos", ["assignment_id"], unique=False)
    op.create_index(op.f("ix_videos_fingerprint"), "videos", ["fingerprint"], unique=False)
    op.create_index("ix_videos_status_purge", "videos", ["upload_status", "purge_after_timestamp"], unique=False)
    op.create_index(op.f("ix_videos_submission_id"), "videos", ["submission_id"], unique=False)
    op.create_index(op.f("ix_videos_upload_id"), "videos", ["upload_id"], unique=False)
    op.create_index("ix_videos_upload_timestamp", "videos", ["upload_timestamp"], unique=False)
    op.create_index(op.f("ix_videos_user_id"), "videos", ["user_id"], unique=False)
    if not sqlite:  # submissions and videos point at each other: add this one once both exist
        op.create_foreign_key(
            "fk_submissions_current_video_id_videos", "submissions", "videos", ["current_video_id"], ["id"]
        )


def downgrade():
    # Dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key uses).
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_submissions_current_video_id_videos", "submissions", type_="foreignkey")
    for table in ("videos", "submissions", "video_events", "used_nonces", "assignments"):
        op.drop_table(table)
