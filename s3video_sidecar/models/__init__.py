"""Database models, the engine and per-request sessions (pyramid_tm + zope.sqlalchemy).

``includeme`` wires a transaction-bound session as ``request.dbsession``; scripts and
notebooks use :func:`get_engine` / :func:`get_session_factory` directly.
"""

from __future__ import annotations

import logging

import zope.sqlalchemy
from sqlalchemy import create_engine
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers, sessionmaker

from .event import Event
from .meta import Base
from .nonce import UsedNonce
from .ratelimit import RateLimitCounter
from .video import LIVE_STATUSES, Assignment, Submission, Video, VideoStatus

__all__ = [
    "Assignment", "Base", "Event", "LIVE_STATUSES", "RateLimitCounter", "Submission", "UsedNonce", "Video",
    "VideoStatus",
    "get_engine", "get_session_factory", "get_tm_session", "mark_written",
]

configure_mappers()
log = logging.getLogger(__name__)


def get_engine(url: str, **options):
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        sa_event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_begin_before_savepoint(connection, _name):
    # pysqlite opens a transaction only before DML, not before a SAVEPOINT: SQLite would then take
    # the savepoint for the transaction and commit it on RELEASE, so its rows would survive the
    # request's rollback. Open the real transaction first.
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(connection, _record):
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # the worker and the web app share the file
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def get_session_factory(engine):
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to ``transaction_manager``: committed or aborted with the request."""
    dbsession = session_factory(info={"request": request, "transaction_manager": transaction_manager})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def mark_written(dbsession) -> None:
    """After a Core INSERT/UPDATE/DELETE through ``dbsession``: make its transaction commit.

    zope.sqlalchemy sees ORM flushes and ORM statements; a Core statement on a table it does
    not see, and would end a request that wrote only that way with a rollback. Sessions outside
    a transaction manager (scripts, jobs) commit themselves: nothing to do for them.
    """
    manager = dbsession.info.get("transaction_manager")
    if manager is not None:
        zope.sqlalchemy.mark_changed(dbsession, transaction_manager=manager)


def log_schema_state(engine, url: str) -> bool:
    """At start-up: say in the log when the database cannot be reached or is not migrated (the app
    still starts, and ``/health`` answers 503 until it is fixed). Return whether all is well."""
    from ..failures import describe
    from .schema import SchemaNotAtHead, check_schema

    try:
        check_schema(engine)
    except SchemaNotAtHead as exc:
        log.error("%s", exc)
        return False
    except SQLAlchemyError as exc:
        log.error("%s", describe("database", url, exc))
        return False
    return True


def includeme(config):
    # pyramid_tm would ask for the user before any view runs, outside the exception views: a nonce
    # store that is down (Redis, the database) would then be a bare 500 instead of our JSON 503.
    config.add_settings({"tm.annotate_user": False})
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    def dbsession(request):
        # The session for the request's transaction, from the one session factory (services.py).
        return get_tm_session(request.find_service(name="session_factory"), request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
