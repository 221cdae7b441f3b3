"""``s3video-admin cleanup|reconcile|retention|probe <ini> [--dry-run]``: run a background job once, by hand.

The job runs here, in this process, exactly as the worker runs it (same runner, same
events), with a progress bar; ``--dry-run`` lists what it would change and changes nothing
but the job's own event.
"""

from __future__ import annotations

import json
import time

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from . import bootstrap

DESCRIPTIONS = {
    "cleanup": "purge the videos marked for deletion whose grace period is over",
    "reconcile": "finish stale deletions, settle expired uploads, abort stale multipart uploads, "
    "report (or delete, if allowed) objects no video names",
    "retention": "schedule for deletion the videos older than s3video.retention.days",
    "probe": "read what the confirmed videos not probed yet are (codecs, duration, ...) and make their posters",
}


def add_parser(subparsers) -> None:
    for job, description in DESCRIPTIONS.items():
        parser = subparsers.add_parser(job, help=description, description=description)
        parser.add_argument("ini", help="the app's ini file, e.g. development.ini")
        parser.add_argument("--dry-run", action="store_true", help="list what would change; change nothing")
        parser.add_argument("--json", action="store_true", help="print the job's report as JSON")
        if job == "retention":
            parser.add_argument("--days", type=int, help="override s3video.retention.days")
        parser.set_defaults(func=run, job=job)


def expected_rows(job: str, session_factory, settings, now: int, days: int | None = None) -> int:
    """How many rows the job will go through, as it starts: the progress bar's total."""
    from ..models.maintenance import SqlMaintenanceRepository
    from ..sdk.maintenance import DAY

    session = session_factory()
    try:
        repo = SqlMaintenanceRepository(session)
        due = repo.count(repo.due_for_purge(now))
        if job == "cleanup":
            return due
        if job == "reconcile":
            return due + repo.count(repo.expired(now - settings.upload_expiry_seconds))
        return repo.count(repo.ready_before(now - (days or settings.retention_days) * DAY))
    finally:
        session.close()


def run(args) -> int:
    parts = bootstrap(args.ini, jobs=True)
    settings = parts.settings
    options = {"dry_run": args.dry_run}
    if args.job == "retention":
        options["days"] = args.days
        if not (args.days or settings.retention_days):
            print("retention is off (s3video.retention.days = 0); give --days N to run it once")
            return 0
    total = expected_rows(args.job, parts.session_factory, settings, int(time.time()), args.__dict__.get("days"))
    # The bar goes to stderr with its total and ETA; log lines are printed above it, never on its line.
    with logging_redirect_tqdm(), tqdm(desc=args.job, total=total, unit=" videos", leave=False, disable=None) as bar:
        report = parts.jobs.runner.run(args.job, progress=bar.update, **options)
    if args.json:
        print(
            json.dumps(
                {
                    "job": args.job,
                    "dry_run": args.dry_run,
                    "counts": dict(+report.counts),
                    "items": report.items,
                    "errors": report.errors,
                    "duration_ms": report.duration_ms,
                },
                indent=2,
                sort_keys=True,
            )
        )
        return 1 if report.errors else 0
    for item in report.items:
        print(json.dumps(item, sort_keys=True))
    counts = ", ".join(f"{name} {count}" for name, count in sorted((+report.counts).items())) or "nothing to do"
    print(f"{args.job}{' (dry run)' if args.dry_run else ''}: {counts} in {report.duration_ms} ms")
    for error in report.errors:
        print(f"error: {error}")
    return 1 if report.errors else 0
