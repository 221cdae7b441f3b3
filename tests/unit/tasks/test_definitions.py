"""The tasks and their schedule."""

import datetime as dt

from huey import MemoryHuey

from s3video_sidecar.settings import parse_settings
from s3video_sidecar.tasks.definitions import every_minutes, register_tasks
from tests.unit.test_settings import BASE


class RecordingRunner:
    def __init__(self, settings):
        self.settings = settings
        self.runs = []

    def run(self, job, **options):
        self.runs.append((job, options))


def at(hour, minute):
    return dt.datetime(2026, 11, 24, hour, minute)


def test_every_minutes_counts_from_midnight():
    every_five = every_minutes(5)
    assert [m for m in range(15) if every_five(at(10, m))] == [0, 5, 10]
    assert every_minutes(60)(at(3, 0)) and not every_minutes(60)(at(3, 30))


def test_tasks_take_ids_and_run_their_job():
    runner = RecordingRunner(parse_settings(BASE))
    jobs = register_tasks(MemoryHuey("t", immediate=True), runner)
    jobs.purge_videos((4, 5))
    jobs.cleanup()
    jobs.reconcile()
    assert runner.runs == [("cleanup", {"video_ids": [4, 5]}), ("cleanup", {}), ("reconcile", {})]


def test_the_schedule_follows_the_settings():
    def due(jobs, moment):
        return sorted(type(task).__name__ for task in jobs.huey.read_periodic(moment))

    off = register_tasks(MemoryHuey("a"), RecordingRunner(parse_settings(BASE)))
    assert due(off, at(4, 0)) == ["cleanup", "probe", "reconcile"]
    assert due(off, at(3, 30)) == ["cleanup", "probe"]  # retention is off
    on = register_tasks(
        MemoryHuey("b"),
        RecordingRunner(
            parse_settings(
                dict(BASE, **{"s3video.retention.days": "365", "s3video.jobs.cleanup_interval_minutes": "10"})
            )
        ),
    )
    assert due(on, at(3, 30)) == ["cleanup", "probe", "retention"]
    assert due(on, at(3, 35)) == []
