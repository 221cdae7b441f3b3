"""The engine and sessions of ``models``: on SQLite a savepoint must not commit on its own."""

from s3video_sidecar.models import Assignment, get_engine, get_session_factory
from tests.support.databases import fresh_database


def test_rows_written_in_a_savepoint_are_rolled_back_with_the_transaction(tmp_path):
    with fresh_database("sqlite", tmp_path) as url:
        engine = get_engine(url)
        session = get_session_factory(engine)()
        with session.begin_nested():  # the first write of the transaction happens inside a savepoint
            session.add(Assignment(id=1, course_id=9, created_timestamp=0))
        session.rollback()
        session.close()
        check = get_session_factory(engine)()
        assert check.get(Assignment, 1) is None
        check.close()
        engine.dispose()
