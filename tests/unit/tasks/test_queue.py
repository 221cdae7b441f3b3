"""The queue from the settings, and purges queued only once the marking transaction commits."""

import time
from types import SimpleNamespace

import pytest
import transaction
from huey import RedisHuey, SqliteHuey
from sqlalchemy.orm import sessionmaker

from s3video_sidecar.models import Assignment, Submission, Video, get_tm_session
from s3video_sidecar.settings import parse_settings
from s3video_sidecar.tasks.queue import build_huey, queue_purges_after_commit, queue_url
from tests.unit.test_settings import BASE


def settings(**changes):
    return parse_settings(dict(BASE, **changes))


def test_the_default_queue_is_a_sqlite_file_beside_a_sqlite_database(tmp_path):
    assert (
        queue_url(settings(**{"sqlalchemy.url": f"sqlite:///{tmp_path}/var/s3video.sqlite"}))
        == f"sqlite:///{tmp_path}/var/s3video.huey.sqlite"
    )
    huey = build_huey(settings(**{"sqlalchemy.url": f"sqlite:///{tmp_path}/var/s3video.sqlite"}))
    assert isinstance(huey, SqliteHuey) and huey.storage.filename == f"{tmp_path}/var/s3video.huey.sqlite"
    assert huey.results is False  # nobody reads results: huey would keep them forever


def test_another_database_without_huey_url_gets_a_local_file_and_a_warning(caplog):
    url = queue_url(settings(**{"sqlalchemy.url": "postgresql+psycopg://db.example/s3video"}))
    assert url.startswith("sqlite:///") and url.endswith(".huey.sqlite")
    assert "set huey.url" in caplog.text


def test_redis_and_immediate_queues():
    huey = build_huey(settings(**{"huey.url": "redis://127.0.0.1:6379/3", "huey.name": "s3v"}))
    assert isinstance(huey, RedisHuey) and huey.name == "s3v"
    assert build_huey(settings(**{"huey.immediate": "true"})).immediate


class RecordingTask:
    """Stands in for the ``purge_videos`` task: records what would be queued."""

    def __init__(self):
        self.now, self.later = [], []

    def __call__(self, ids):
        self.now.append(ids)

    def schedule(self, args, delay):
        self.later.append((args[0], delay))


@pytest.fixture
def database(db_connection):
    """Three ready videos, in a transaction rolled back after the test; sessions of ``factory`` (watched
    by ``queue_purges_after_commit``) commit as SAVEPOINTs in it. ``video[n]``: the id of video n (1-3)."""
    factory = sessionmaker(bind=db_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    task = RecordingTask()
    queue_purges_after_commit(factory, task, clock=lambda: 1_000_000)
    session = factory()
    session.add(Assignment(id=1, course_id=1, created_timestamp=0))
    session.add(Submission(id=1, assignment_id=1, user_id=1, created_timestamp=0))
    session.flush()
    videos = [
        Video(
            assignment_id=1,
            submission_id=1,
            user_id=1,
            s3_key=f"videos/1/{n}",
            s3_bucket="b",
            upload_status="ready",
            original_filename="v.mp4",
            mime_type="video/mp4",
            declared_size=1,
            upload_timestamp=0,
            upload_expires_timestamp=0,
        )
        for n in range(3)
    ]
    session.add_all(videos)
    session.commit()
    session.close()
    return SimpleNamespace(
        connection=db_connection, factory=factory, task=task, video={n + 1: video.id for n, video in enumerate(videos)}
    )


def mark(session, video_id, purge_after):
    video = session.get(Video, video_id)
    video.upload_status = "deleting"
    video.purge_after_timestamp = purge_after
    session.flush()


def test_a_rolled_back_request_queues_nothing(database):
    v = database.video
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = get_tm_session(database.factory, manager)
    mark(session, v[1], 1_000_000)
    manager.abort()
    assert database.task.now == [] and database.task.later == []
    # ...and a later commit of other work does not carry the forgotten marks
    manager.begin()
    session = get_tm_session(database.factory, manager)
    session.get(Video, v[2]).original_filename = "renamed.mp4"
    manager.commit()
    assert database.task.now == []


def test_a_commit_queues_due_videos_at_once_and_later_ones_at_their_time(database):
    v = database.video
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = get_tm_session(database.factory, manager)
    mark(session, v[1], 1_000_000)
    mark(session, v[2], 999_000)
    mark(session, v[3], 1_003_600)  # a grace period of an hour
    assert database.task.now == []  # nothing before the commit
    manager.commit()
    assert sorted(map(sorted, database.task.now)) == sorted([[v[1]], [v[2]]])
    assert database.task.later == [([v[3]], 3600)]


def test_a_changed_purge_time_of_a_deleting_video_is_queued_again(database):
    v = database.video
    session = database.factory()
    mark(session, v[1], 1_003_600)
    session.commit()
    session.get(Video, v[1]).purge_after_timestamp = 1_000_000  # e.g. a privacy erasure: no grace
    session.commit()
    assert database.task.now == [[v[1]]] and database.task.later == [([v[1]], 3600)]
    session.close()


def test_a_queue_that_cannot_be_reached_never_fails_the_commit(database, caplog):
    v = database.video

    def unreachable(ids):
        raise ConnectionError("redis is down")

    factory = sessionmaker(bind=database.connection, join_transaction_mode="create_savepoint")
    queue_purges_after_commit(factory, unreachable, clock=time.time)
    session = factory()
    mark(session, v[1], 0)
    session.commit()
    assert session.get(Video, v[1]).upload_status == "deleting"
    assert "the periodic cleanup will purge them" in caplog.text
    session.close()
