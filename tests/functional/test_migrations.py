"""The Alembic migrations build exactly the schema the models declare, on every database."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from s3video_sidecar.models import Base


def test_migrated_schema_matches_the_models(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_migrations_go_down_and_up_again(backend, tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from tests.support.databases import alembic_config, fresh_database

    with fresh_database(backend, tmp_path) as url:
        config = alembic_config(url)
        command.downgrade(config, "base")
        engine = create_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert {"videos", "video_events", "submissions"} <= set(inspect(engine).get_table_names())
        engine.dispose()


def test_0005_keeps_the_rows_and_lets_copies_share_a_key(backend, tmp_path):
    """From 0004 with a submission pointing at its current video (SQLite rebuilds the videos table
    under that foreign key) to head: the rows survive, and two rows may now name one key."""
    from alembic import command
    from sqlalchemy import text

    from tests.support.databases import alembic_config, fresh_database

    row = (
        "INSERT INTO videos (assignment_id, submission_id, user_id, s3_key, s3_bucket, upload_status,"
        " original_filename, mime_type, declared_size, upload_method, upload_timestamp,"
        " upload_expires_timestamp) VALUES (1, 1, 5, 'videos/5/1_a/a.mp4', 'b', 'ready', 'a.mp4', 'video/mp4',"
        " 10, 'post', 0, 0)"
    )
    with fresh_database(backend, tmp_path) as url:
        config = alembic_config(url)
        command.downgrade(config, "0004")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO assignments (id, course_id, created_timestamp) VALUES (1, 9, 0)"))
            connection.execute(
                text("INSERT INTO submissions (id, assignment_id, user_id, created_timestamp) VALUES (1, 1, 5, 0)")
            )
            connection.execute(text(row))
            connection.execute(text("UPDATE submissions SET current_video_id = (SELECT MAX(id) FROM videos)"))
        engine.dispose()
        command.upgrade(config, "head")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(row))  # a copy naming the same key
            keys = connection.execute(text("SELECT s3_key FROM videos")).scalars().all()
            current = connection.execute(text("SELECT current_video_id FROM submissions")).scalar_one()
        engine.dispose()
        assert keys == ["videos/5/1_a/a.mp4"] * 2 and current is not None
