"""The engine's connection checks and the request session's transaction (models/__init__.py)."""

import pytest
import transaction
from sqlalchemy import create_engine, event, text

from s3video_sidecar import models


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    models._ping_connections_that_sat_idle(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def count_connects(engine) -> list:
    connects = []
    event.listen(engine, "connect", lambda *_: connects.append(1))
    return connects


def test_a_connection_that_sat_idle_is_pinged_and_replaced_when_dead(engine, monkeypatch):
    connects = count_connects(engine)
    monkeypatch.setattr(models, "PING_AFTER_IDLE_SECONDS", 0.0)
    pings = []

    def dead(_dbapi_connection):
        pings.append(1)
        if len(pings) == 1:
            raise OSError("server closed the connection unexpectedly")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", dead)
    with engine.connect() as connection:  # the pooled connection fails its ping: a new one is made
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    assert len(pings) == 2 and connects == [1]


def test_a_connection_in_steady_use_is_not_pinged(engine, monkeypatch):
    monkeypatch.setattr(models, "PING_AFTER_IDLE_SECONDS", 3600.0)
    monkeypatch.setattr(engine.dialect, "do_ping", lambda _c: pytest.fail("pinged a connection just returned"))
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def test_a_request_session_commits_with_its_transaction_manager_only(engine):
    factory = models.get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = models.get_tm_session(factory, manager)
    session.execute(text("INSERT INTO t (x) VALUES (1)"))
    models.mark_written(session)
    with pytest.raises(AssertionError):
        session.commit()  # only the manager commits a request's session
    manager.commit()
    manager.begin()
    session = models.get_tm_session(factory, manager)
    session.execute(text("INSERT INTO t (x) VALUES (2)"))  # never marked written: a read-only request rolls back
    manager.commit()
    plain = factory()  # a script's session, from the same factory: commits itself, joins nothing
    plain.execute(text("INSERT INTO t (x) VALUES (3)"))
    plain.commit()
    plain.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 3]


def test_orm_writes_mark_the_transaction_changed_and_core_writes_need_marking(engine):
    from sqlalchemy import Integer, insert
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Row(Base):
        __tablename__ = "t"
        x: Mapped[int] = mapped_column(Integer, primary_key=True)

    factory = models.get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    for write in (
        lambda s: s.add(Row(x=4)),
        lambda s: s.execute(insert(Row).values(x=5)),
        lambda s: s.execute(insert(Row.__table__).values(x=6)),
    ):  # Core on the table: zope cannot see it
        manager.begin()
        write(models.get_tm_session(factory, manager))
        manager.commit()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [4, 5]
