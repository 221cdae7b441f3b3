"""Database models, the engine and per-request sessions (pyramid_tm + zope.sqlalchemy).

``includeme`` wires a transaction-bound session as ``request.dbsession``; scripts and
notebooks use :func:`get_engine` / :func:`get_session_factory` directly.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import zope.sqlalchemy
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy import event as sa_event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction, configure_mappers, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from zope.sqlalchemy.datamanager import STATUS_ACTIVE, ZopeStatus, join_transaction

from .event import Event
from .meta import Base
from .nonce import UsedNonce
from .ratelimit import RateLimitCounter
from .video import LIVE_STATUSES, Assignment, Submission, Video, VideoStatus

__all__ = [
    "LIVE_STATUSES",
    "Assignment",
    "Base",
    "Event",
    "RateLimitCounter",
    "Submission",
    "UsedNonce",
    "Video",
    "VideoStatus",
    "get_engine",
    "get_session_factory",
    "get_tm_session",
    "mark_written",
]

configure_mappers()
log = logging.getLogger(__name__)


def get_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        sa_event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    engine = create_engine(url, **{"pool_recycle": POOL_RECYCLE_SECONDS, **options})
    _ping_connections_that_sat_idle(engine)
    return engine


# A pooled connection that sat unused this long is pinged before it is handed out (the pessimistic
# check of SQLAlchemy's ``pool_pre_ping``, but not on every checkout: ~130 µs a request under load);
# connections older than POOL_RECYCLE_SECONDS are replaced. A connection that dies in use is a 503
# for that request whichever way, and SQLAlchemy then replaces every connection older than it.
PING_AFTER_IDLE_SECONDS = 1.0
POOL_RECYCLE_SECONDS = 1800
_RETURNED = "s3video.returned_at"


def _ping_connections_that_sat_idle(engine: Engine) -> None:
    dialect = engine.dialect

    def returned(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, *_proxy: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED, 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:  # the dialect's own ping: any failure means a dead connection
            raise DisconnectionError(f"a pooled connection failed its ping: {error}") from error
        if not alive:
            raise DisconnectionError("a pooled connection failed its ping")
        # the pool retries checkout with a new connection on DisconnectionError (as pre-ping does)

    sa_event.listen(engine, "connect", returned)
    sa_event.listen(engine, "checkin", returned)
    sa_event.listen(engine, "checkout", checkout)


def _sqlite_begin_before_savepoint(connection: Connection, _name: str) -> None:
    # pysqlite opens a transaction only before DML, not before a SAVEPOINT: SQLite would then take
    # the savepoint for the transaction and commit it on RELEASE, so its rows would survive the
    # request's rollback. Open the real transaction first.
    dbapi_connection = connection.connection.dbapi_connection  # None only once the connection is closed
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # the worker and the web app share the file
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class _JoinTheSessionsManager:
    """zope.sqlalchemy's session events, registered once on the session factory instead of on every
    request's session: each event finds its session's transaction manager in ``session.info``
    (:func:`get_tm_session` puts it there), and does nothing for a session that has none (scripts).

    The same events as :func:`zope.sqlalchemy.register` (``ZopeTransactionEvents``), calling the
    same functions; registering them per session cost seven ``event.listen`` calls a request.
    """

    @staticmethod
    def _manager(session: Session) -> Any:  # a transaction.TransactionManager (untyped)
        return session.info.get("transaction_manager")

    def after_begin(self, session: Session, _transaction: SessionTransaction, _connection: Connection) -> None:
        self._join(session)

    def after_attach(self, session: Session, _instance: object) -> None:
        self._join(session)

    def _join(self, session: Session) -> None:
        manager = self._manager(session)
        if manager is not None:
            join_transaction(session, STATUS_ACTIVE, manager, False)

    def _changed(self, session: Session) -> None:
        manager = self._manager(session)
        if manager is not None:
            zope.sqlalchemy.mark_changed(session, manager, False)

    def after_flush(self, session: Session, _flush_context: UOWTransaction) -> None:
        self._changed(session)

    def after_bulk_update(self, update_context: Any) -> None:  # an ORM bulk-update context
        self._changed(update_context.session)

    def after_bulk_delete(self, delete_context: Any) -> None:  # an ORM bulk-delete context
        self._changed(delete_context.session)

    def before_commit(self, session: Session) -> None:
        manager = self._manager(session)
        if (
            manager is not None
            and not session.in_nested_transaction()
            and manager.get().status != ZopeStatus.COMMITTING
        ):
            raise AssertionError("Transaction must be committed using the transaction manager")

    def do_orm_execute(self, execute_state: ORMExecuteState) -> None:
        if execute_state.is_orm_statement and (
            execute_state.is_update or execute_state.is_insert or execute_state.is_delete
        ):
            self._changed(execute_state.session)


_SESSION_EVENTS = (
    "after_begin",
    "after_attach",
    "after_flush",
    "after_bulk_update",
    "after_bulk_delete",
    "before_commit",
    "do_orm_execute",
)


class _JoiningSessionFactory(sessionmaker[Session]):
    """The sessionmaker of :func:`get_session_factory`: its sessions join their manager through ``session.info``."""

    s3video_joins_by_info = True


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for ``engine``; those made by :func:`get_tm_session` join their transaction manager."""
    factory = _JoiningSessionFactory(bind=engine, expire_on_commit=False)
    events = _JoinTheSessionsManager()
    for name in _SESSION_EVENTS:
        sa_event.listen(factory, name, getattr(events, name))
    return factory


def get_tm_session(session_factory: sessionmaker[Session], transaction_manager: Any, request: Any = None) -> Session:
    """A session joined to ``transaction_manager``: committed or aborted with the request."""
    dbsession = session_factory(info={"request": request, "transaction_manager": transaction_manager})
    if not getattr(session_factory, "s3video_joins_by_info", False):  # a factory made elsewhere
        zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def mark_written(dbsession: Session) -> None:
    """After a Core INSERT/UPDATE/DELETE through ``dbsession``: make its transaction commit.

    zope.sqlalchemy sees ORM flushes and ORM statements; a Core statement on a table it does
    not see, and would end a request that wrote only that way with a rollback. Sessions outside
    a transaction manager (scripts, jobs) commit themselves: nothing to do for them.
    """
    manager = dbsession.info.get("transaction_manager")
    if manager is not None:
        zope.sqlalchemy.mark_changed(dbsession, transaction_manager=manager)


def log_schema_state(engine: Engine, url: str) -> bool:
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


def includeme(config: Any) -> None:  # a pyramid Configurator (pyramid ships no types)
    # pyramid_tm would ask for the user before any view runs, outside the exception views: a nonce
    # store that is down (Redis, the database) would then be a bare 500 instead of our JSON 503.
    config.add_settings({"tm.annotate_user": False})
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    # The one session factory (services.py), found once here: a request's find_service builds
    # pyramid_services' per-request container (and its adapter registrations) for every request.
    session_factory = config.find_service_factory(name="session_factory")(None, None)

    def dbsession(request: Any) -> Session:
        # The session for the request's transaction.
        return get_tm_session(session_factory, request.tm, request=request)

    config.add_request_method(dbsession, reify=True)
