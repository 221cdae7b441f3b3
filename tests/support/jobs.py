"""A world for the background-job tests: its own committed database, bucket and queue, and fault hooks.

:class:`JobsWorld` is the real app (``main``) on a fresh database of the test's backend,
with its own bucket on the session's S3 stand-in (over HTTP) and a queue that is either
huey's immediate mode or a real Redis (``S3VIDEO_TEST_REDIS``). Faults are injected
with botocore's event hooks on the app's own S3 client, so the code under test is the
code that runs in production.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time

import pytest
import webtest
from botocore.awsrequest import AWSResponse
from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from s3video_sidecar.models import Assignment, Event, Submission, Video
from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.sdk import keys
from s3video_sidecar.sdk.maintenance import audit
from s3video_sidecar.services import parts_of, video_service
from s3video_sidecar.tasks import JobRunner
from tests.support.apps import build_app, make_settings
from tests.support.databases import fresh_database
from tests.support.signed_app import SignedApp
from tests.support.videos import mp4_bytes

BODY = mp4_bytes(1024, b"v")  # a real, playable MP4: the probe a confirm or restore queues keeps it ready


def redis_url() -> str:
    """The test Redis, or a skip where none is configured; a configured Redis that is down fails."""
    import redis

    url = os.environ.get("S3VIDEO_TEST_REDIS")
    if not url:
        pytest.skip("S3VIDEO_TEST_REDIS is not set")
    redis.Redis.from_url(url, socket_connect_timeout=5).ping()  # raises: never a silent skip in CI
    return url


def queue_settings(queue: str, tmp_path) -> dict:
    """``immediate`` (huey runs a task as it is queued), ``sqlite`` (a queue file) or ``redis``."""
    if queue == "immediate":
        return {"huey.immediate": "true"}
    if queue == "sqlite":
        return {"huey.url": f"sqlite:///{tmp_path}/huey.sqlite"}
    return {"huey.url": redis_url(), "huey.name": f"s3video-test-{secrets.token_hex(4)}"}


@contextlib.contextmanager
def open_world(backend: str, queue: str, embedded_s3_url: str, signing_key_file: str, tmp_path, **extra):
    """A :class:`JobsWorld` on a fresh ``backend`` database with its own bucket and ``queue``."""
    settings = queue_settings(queue, tmp_path)
    with fresh_database(backend, tmp_path) as url:
        settings = make_settings(
            url,
            embedded_s3_url,
            signing_key_file,
            **{"s3video.bucket": f"s3video-jobs-{backend}-{queue}-{secrets.token_hex(3)}", **settings, **extra},
        )
        world = JobsWorld(build_app(settings), settings)
        try:
            yield world
        finally:
            world.reset()
            parts_of(world.registry).engine.dispose()  # MariaDB will not drop a database still in use


class JobsWorld:
    def __init__(self, app, settings: dict):
        self.app = app
        self.raw_settings = settings
        self.registry = app.registry
        self.settings = parts_of(app.registry).settings
        self.jobs = parts_of(app.registry).jobs
        self.huey = self.jobs.huey
        self.storage = parts_of(app.registry).storage
        self.s3 = self.storage.client
        self.session_factory = parts_of(app.registry).session_factory
        # Sessions the queue does not watch: rows written as they would be by a process whose task was lost.
        self.unwatched_session_factory = sessionmaker(bind=parts_of(app.registry).engine)

    @property
    def api(self) -> SignedApp:
        return SignedApp(webtest.TestApp(self.app))

    # -- running jobs --------------------------------------------------------------------
    def drain(self) -> int:
        """Run what the queue holds, as a consumer would (nothing to do in immediate mode)."""
        done = 0
        while not self.huey.immediate and (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            done += 1
        return done

    def queue(self, task, *args):
        """Queue a task and let the 'consumer' run it."""
        task(*args)
        self.drain()

    def runner(self, *, clock=None, session_factory=None, invalidator=None) -> JobRunner:
        return JobRunner(
            self.settings,
            session_factory or self.session_factory,
            self.storage,
            parts_of(self.registry).url_signer,
            invalidator,
            clock or time.time,
            video_service=video_service,
        )

    def audit(self, now=None):
        with self.session() as session:
            return audit(SqlMaintenanceRepository(session), self.storage, now=now)

    # -- state ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self):
        session = self.session_factory()
        try:
            yield session
        finally:
            session.close()

    def videos(self, **where) -> list[Video]:
        with self.session() as session:
            query = select(Video).order_by(Video.id)
            for name, value in where.items():
                query = query.where(getattr(Video, name) == value)
            return list(session.scalars(query))

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for video in self.videos():
            counts[str(video.upload_status)] = counts.get(str(video.upload_status), 0) + 1
        return counts

    def events(self, event_type: str) -> list[Event]:
        with self.session() as session:
            return list(session.scalars(select(Event).where(Event.event_type == event_type).order_by(Event.id)))

    def object_keys(self) -> set[str]:
        return {item["Key"] for item in self.storage.list_keys(keys.PREFIX)}

    def staging_keys(self) -> set[str]:
        return {item["Key"] for item in self.storage.list_keys(keys.STAGING_PREFIX)}

    def put_objects(self, keys_, body=BODY, content_type="video/mp4") -> None:
        """Objects straight into the stand-in's store (it runs in this process), without fsync: 2,500
        take about a second, where 2,500 PUTs over HTTP take ~9 s. The code under test still uses HTTP."""
        from s3video_sidecar.services import _embedded_servers

        store = _embedded_servers[self.raw_settings["s3video.s3_endpoint_url"]].store
        for key in keys_:
            store.put(self.storage.bucket, key, store.receive([body], sync=False), content_type, {}, sync=False)

    def add_videos(
        self,
        count: int,
        *,
        status="deleting",
        purge_after=None,
        user_id=7,
        with_objects=True,
        session_factory=None,
        **fields,
    ) -> list[str]:
        """``count`` video rows (one submission each) and their objects; return their keys.

        The rows are written through an unwatched session: nothing is queued for them."""
        now = int(time.time())
        base = secrets.randbelow(10**8) * 10_000  # ids of this call's assignment and submissions
        fields = {
            "upload_timestamp": now - 60,
            "upload_expires_timestamp": now,
            "confirmed_timestamp": now - 30,
            "delete_requested_timestamp": now if status == "deleting" else None,
            "purge_after_timestamp": (now - 1 if purge_after is None else purge_after)
            if status == "deleting"
            else None,
            **fields,
        }
        keys_ = [f"videos/{user_id}/{now}_{secrets.token_hex(8)}/clip{n}.mp4" for n in range(count)]
        session = (session_factory or self.unwatched_session_factory)()
        try:  # ORM objects, so the session's events see them; bulk inserts are not what the app does
            session.add(Assignment(id=base, course_id=9, created_timestamp=now))
            session.add_all(
                Submission(id=base + n + 1, assignment_id=base, user_id=user_id, created_timestamp=now)
                for n in range(count)
            )
            session.flush()
            session.add_all(
                Video(
                    assignment_id=base,
                    submission_id=base + n + 1,
                    user_id=user_id,
                    s3_key=key,
                    s3_bucket=self.storage.bucket,
                    upload_status=status,
                    original_filename=f"clip{n}.mp4",
                    mime_type="video/mp4",
                    declared_size=len(BODY),
                    file_size=len(BODY),
                    upload_method="post",
                    **fields,
                )
                for n, key in enumerate(keys_)
            )
            session.flush()
            if status == "ready":  # a ready video is its submission's current one (else it is a draft)
                session.execute(
                    update(Submission)
                    .where(Submission.assignment_id == base)
                    .values(
                        current_video_id=select(Video.id).where(Video.submission_id == Submission.id).scalar_subquery()
                    )
                )
            session.commit()
        finally:
            session.close()
        if with_objects:
            self.put_objects(keys_)
        return keys_

    def reset(self) -> None:
        """Empty the database, the bucket (objects and multipart uploads) and the queue."""
        with self.session() as session:
            session.execute(update(Submission).values(current_video_id=None))
            for model in (Event, Video, Submission, Assignment):
                session.execute(delete(model))
            session.commit()
        for upload in self.storage.list_multipart_uploads(keys.PREFIX):
            self.storage.abort_multipart_upload(upload["Key"], upload["UploadId"])
        remaining = sorted(self.object_keys() | self.staging_keys())
        for start in range(0, len(remaining), 1000):
            self.storage.delete_many(remaining[start : start + 1000])
        self.huey.flush()


# -- fault and call-count hooks on a botocore client -------------------------------------------
@contextlib.contextmanager
def _hooks(client, operation: str, on_call, on_send):
    """``on_call`` once per API call of ``operation``, ``on_send`` before each HTTP attempt (it may answer)."""
    names = [
        (f"before-parameter-build.{client.meta.service_model.endpoint_prefix}.{operation}", on_call),
        (f"before-send.{client.meta.service_model.endpoint_prefix}.{operation}", on_send),
    ]
    for name, handler in names:
        client.meta.events.register(name, handler)
    try:
        yield
    finally:
        for name, handler in names:
            client.meta.events.unregister(name, handler)


@contextlib.contextmanager
def count_calls(client, operation: str):
    """Count API calls (``calls``) and HTTP attempts (``attempts``, retries included) of ``operation``."""
    counts = {"calls": 0, "attempts": 0, "sizes": []}

    def on_call(params, **_):
        counts["calls"] += 1
        batch = params.get("Delete", {}).get("Objects") or params.get("InvalidationBatch", {}).get("Paths", {})
        counts["sizes"].append(len(batch) if isinstance(batch, list) else batch.get("Quantity", 0))

    def on_send(**_):
        counts["attempts"] += 1

    with _hooks(client, operation, on_call, on_send):
        yield counts


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


@contextlib.contextmanager
def s3_errors(client, operation: str, *, status: int, on_calls, attempts: int | None = None):
    """Answer ``operation`` with an S3 error ``status`` on the calls numbered in ``on_calls`` (1-based):
    every attempt of those calls, or only the first ``attempts`` of them."""
    code = {500: "InternalError", 503: "SlowDown"}[status]
    body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
    state = {"call": 0, "attempt": 0, "injected": 0}

    def on_call(**_):
        state["call"] += 1
        state["attempt"] = 0

    def on_send(request, **_):
        state["attempt"] += 1
        if state["call"] in on_calls and (attempts is None or state["attempt"] <= attempts):
            state["injected"] += 1
            return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Body(body))
        return None

    with _hooks(client, operation, on_call, on_send):
        yield state


class FailingCommits:
    """A session factory whose sessions fail their first ``times`` commits, as a database going away would."""

    def __init__(self, session_factory, times: int = 1):
        self.session_factory = session_factory
        self.remaining = times

    def __call__(self, **kwargs):
        session = self.session_factory(**kwargs)
        commit = session.commit

        def failing_commit():
            if self.remaining:
                self.remaining -= 1
                raise OperationalError("COMMIT", {}, ConnectionError("the database went away"))
            commit()

        session.commit = failing_commit
        return session


# -- the ini file and the processes that read it -------------------------------------------------
LOGGING_INI = """
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s] %(message)s
"""


def write_ini(world: JobsWorld, path, **changes) -> str:
    """The world's settings as an ini file, for ``s3video-worker`` and ``s3video-admin``."""
    settings = {**world.raw_settings, **changes}
    lines = ["[app:main]", "use = egg:s3video-sidecar"]
    lines += [f"{name} = {str(value).replace('%', '%%')}" for name, value in settings.items()]
    path.write_text("\n".join(lines) + "\n" + LOGGING_INI)
    return str(path)
