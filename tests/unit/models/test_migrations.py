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
