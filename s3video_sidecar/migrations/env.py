"""Alembic environment: the database URL comes from the app's own settings (secrets resolved)."""

from alembic import context
from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy import pool

from s3video_sidecar.models import Base, get_engine
from s3video_sidecar.settings import resolve_secret

config = context.config
url = config.attributes.get("sqlalchemy_url")
if url is None:
    setup_logging(config.config_file_name)
    url = resolve_secret(get_appsettings(config.config_file_name)["sqlalchemy.url"], "sqlalchemy.url")
target_metadata = Base.metadata


def run_migrations_offline():
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = get_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
