"""The queue: huey built from the settings, and purges queued once the marking commits.

Rules of this module:

- ``huey.url`` names the queue: ``redis://`` (production: every web and worker host
  shares it) or ``sqlite:///path`` (one machine). Without it the queue is a SQLite file
  beside a SQLite database (``s3video.sqlite`` -> ``s3video.huey.sqlite``); with another
  database, a file in the temporary directory, with a warning: set ``huey.url`` there.
- Results are not stored: no task's return value is read, and huey keeps unread results
  forever.
- A purge is queued only after the transaction that marked the videos ``deleting`` has
  committed (:func:`queue_purges_after_commit`): a rolled-back request queues nothing,
  and a task never runs before its rows are visible. The task carries ids, never rows.
- Queuing never fails the request that committed: if the queue cannot be reached, the
  periodic cleanup purges the rows instead (the ``deleting`` row is the durable marker).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import pathlib
import tempfile
import time

from huey import RedisHuey, SqliteHuey
from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url

from ..models import Video, VideoStatus

log = logging.getLogger(__name__)
_MARKED = "s3video.videos_marked_deleting"  # session.info key: {video id: purge after}
_CONFIRMED = "s3video.videos_confirmed"  # session.info key: {video id: None}, to probe
PURGE_TASK_IDS = 1000  # ids per purge task (one DeleteObjects call)


def queue_url(settings) -> str:
    """``huey.url``, or the default described in the module docstring."""
    if settings.huey_url:
        return settings.huey_url
    database = make_url(settings.sqlalchemy_url)
    if database.get_backend_name() == "sqlite" and database.database not in (None, "", ":memory:"):
        path = pathlib.Path(database.database)
        return f"sqlite:///{path.with_name(path.stem + '.huey.sqlite')}"
    digest = hashlib.sha256(settings.sqlalchemy_url.encode("utf-8")).hexdigest()[:12]
    path = pathlib.Path(tempfile.gettempdir()) / f"s3video-{digest}.huey.sqlite"
    log.warning(
        "huey.url is not set: the job queue is %s, which only processes on this machine share;"
        " set huey.url (redis://...) in production",
        path,
    )
    return f"sqlite:///{path}"


def build_huey(settings):
    url = queue_url(settings)
    options = {"name": settings.huey_name, "results": False, "immediate": settings.huey_immediate}
    if url.startswith("sqlite:"):
        path = pathlib.Path(make_url(url).database)
        if not settings.huey_immediate:  # immediate mode keeps its queue in memory
            path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(filename=str(path), **options)
    return RedisHuey(url=url, **options)


def queue_purges_after_commit(session_factory, purge_videos, clock=time.time) -> None:
    """Watch the sessions of ``session_factory``: once one commits, queue ``purge_videos(ids)`` for
    the videos it marked ``deleting`` (or whose purge time it changed), due at their purge time."""

    def marked(obj, state):
        if obj.upload_status == VideoStatus.DELETING and (
            state.attrs.upload_status.history.added or state.attrs.purge_after_timestamp.history.added
        ):
            return obj.purge_after_timestamp or 0
        return None

    def queue(videos):
        try:
            _queue(purge_videos, videos, clock())
        except Exception:  # the queue is down: the periodic cleanup finds the rows all the same
            log.warning(
                "could not queue the purge of %d video(s); the periodic cleanup will purge them",
                len(videos),
                exc_info=True,
            )

    _after_commit(session_factory, _MARKED, marked, queue)


def queue_probes_after_commit(session_factory, probe_videos) -> None:
    """Once a session commits, queue ``probe_videos(ids)`` for the videos it made ``ready``."""

    def confirmed(obj, state):
        return True if obj.upload_status == VideoStatus.READY and state.attrs.upload_status.history.added else None

    def queue(videos):
        try:
            probe_videos(sorted(videos))
        except Exception:  # the queue is down: the periodic probe job finds the rows all the same
            log.warning(
                "could not queue the probe of %d video(s); the periodic probe will take them",
                len(videos),
                exc_info=True,
            )

    _after_commit(session_factory, _CONFIRMED, confirmed, queue)


def _after_commit(session_factory, info_key: str, pick, on_commit) -> None:
    """Collect, at each flush, the videos for which ``pick(video, state)`` is not None (into
    ``session.info[info_key]``: {id: value}); hand them to ``on_commit`` once the outermost
    transaction commits; forget them if it ends without a commit."""

    def collect(session, _flush_context):
        for obj in itertools.chain(session.new, session.dirty):
            if isinstance(obj, Video):
                value = pick(obj, inspect(obj))
                if value is not None:
                    session.info.setdefault(info_key, {})[obj.id] = value

    def committed(session):
        videos = session.info.pop(info_key, None)
        if videos:
            on_commit(videos)

    def ended(session, transaction):
        if transaction.parent is None:
            session.info.pop(info_key, None)

    event.listen(session_factory, "after_flush", collect)
    event.listen(session_factory, "after_commit", committed)
    event.listen(session_factory, "after_transaction_end", ended)


def _queue(purge_videos, marked: dict[int, int], now: float) -> None:
    by_time: dict[int, list[int]] = {}
    for video_id, purge_after in sorted(marked.items()):
        by_time.setdefault(purge_after, []).append(video_id)
    for purge_after, ids in by_time.items():
        delay = max(0.0, purge_after - now)
        for start in range(0, len(ids), PURGE_TASK_IDS):
            batch = ids[start : start + PURGE_TASK_IDS]
            if delay:
                purge_videos.schedule(args=(batch,), delay=delay)
            else:
                purge_videos(batch)
