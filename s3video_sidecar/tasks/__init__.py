"""Background jobs on huey: deletion, reconciliation, retention (``sdk/maintenance.py`` does the work).

The web app, the worker (``s3video-worker``) and ``s3video-admin`` all call
:func:`setup_jobs` (through ``services.build_parts``) with what they built from the same ini
file, so each has the same queue, the same tasks and the same after-commit queuing. The
web app only queues; the worker consumes the queue and runs the periodic tasks.
"""

from __future__ import annotations

import time

from .definitions import Jobs, register_tasks
from .queue import build_huey, queue_probes_after_commit, queue_purges_after_commit
from .runner import JobRunner, build_invalidator

__all__ = ["JobRunner", "Jobs", "setup_jobs"]


def setup_jobs(
    settings, session_factory, storage, url_signer, invalidator=None, clock=time.time, *, video_service
) -> Jobs:
    """The queue and its tasks over these parts; ``invalidator`` defaults to the settings' own.
    ``video_service``: the composition root's factory of the VideoService (``services.video_service``)."""
    runner = JobRunner(
        settings,
        session_factory,
        storage,
        url_signer,
        invalidator if invalidator is not None else build_invalidator(settings),
        clock,
        video_service=video_service,
    )
    jobs = register_tasks(build_huey(settings), runner)
    queue_purges_after_commit(session_factory, jobs.purge_videos, clock)
    queue_probes_after_commit(session_factory, jobs.probe_videos)
    return jobs
