"""The tasks and their schedule, registered on one huey instance.

- ``purge_videos(video_ids)``: queued after a commit that marked videos ``deleting``
  (``queue.py``); purges those whose grace period is over.
- ``cleanup``, every ``s3video.jobs.cleanup_interval_minutes`` (5): purges every due
  ``deleting`` row - what a lost ``purge_videos`` left, and those past a grace period.
- ``reconcile``, every ``s3video.jobs.reconcile_interval_minutes`` (60): see
  ``sdk/maintenance.py``.
- ``probe_videos(video_ids)``: queued after a commit that made videos ``ready``
  (``queue.py``); reads what they are and makes their poster (``sdk/media.py``).
- ``probe``, every ``s3video.jobs.cleanup_interval_minutes``: probes what a lost
  ``probe_videos`` left.
- ``retention``, daily at 03:30 UTC when ``s3video.retention.days`` is set.

Tasks take ids (huey pickles arguments) and run through the :class:`JobRunner`.
"""

from __future__ import annotations

from dataclasses import dataclass

from huey import crontab


def every_minutes(minutes: int):
    """A periodic-task test true at each multiple of ``minutes`` since midnight (UTC)."""
    return lambda moment: (moment.hour * 60 + moment.minute) % minutes == 0


def never(_moment) -> bool:
    return False


@dataclass(frozen=True)
class Jobs:
    huey: object
    runner: object
    purge_videos: object
    cleanup: object
    reconcile: object
    retention: object
    probe_videos: object
    probe: object


def register_tasks(huey, runner) -> Jobs:
    settings = runner.settings

    @huey.task(name="purge_videos")
    def purge_videos(video_ids):
        runner.run("cleanup", video_ids=list(video_ids))

    @huey.periodic_task(every_minutes(settings.jobs_cleanup_interval_minutes), name="cleanup")
    def cleanup():
        runner.run("cleanup")

    @huey.periodic_task(every_minutes(settings.jobs_reconcile_interval_minutes), name="reconcile")
    def reconcile():
        runner.run("reconcile")

    @huey.periodic_task(crontab(minute="30", hour="3") if settings.retention_days else never, name="retention")
    def retention():
        runner.run("retention")

    @huey.task(name="probe_videos")
    def probe_videos(video_ids):
        runner.run("probe", video_ids=list(video_ids))

    @huey.periodic_task(every_minutes(settings.jobs_cleanup_interval_minutes), name="probe")
    def probe():
        runner.run("probe")

    return Jobs(huey, runner, purge_videos, cleanup, reconcile, retention, probe_videos, probe)
