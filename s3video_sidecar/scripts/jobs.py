"""``s3video-admin cleanup|reconcile|retention|probe <ini> [--dry-run]``: run a background job once, by hand.

The job runs here, in this process, exactly as the worker runs it (same runner, same
events), with a progress bar; ``--dry-run`` lists what it would change and changes nothing
but the job's own event.
"""

from __future__ import annotations

import json

from tqdm import tqdm

from ..tasks import setup_jobs
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
        if job == "retention":
            parser.add_argument("--days", type=int, help="override s3video.retention.days")
        parser.set_defaults(func=run, job=job)


def run(args) -> int:
    environment = bootstrap(args.ini)
    jobs = setup_jobs(environment.settings, environment.session_factory, environment.storage,
                      environment.url_signer)
    options = {"dry_run": args.dry_run}
    if args.job == "retention":
        options["days"] = args.days
        if not (args.days or environment.settings.retention_days):
            print("retention is off (s3video.retention.days = 0); give --days N to run it once")
            return 0
    with tqdm(desc=args.job, unit=" videos", leave=False) as bar:
        report = jobs.runner.run(args.job, progress=bar.update, **options)
    for item in report.items:
        print(json.dumps(item, sort_keys=True))
    counts = ", ".join(f"{name} {count}" for name, count in sorted((+report.counts).items())) or "nothing to do"
    print(f"{args.job}{' (dry run)' if args.dry_run else ''}: {counts} in {report.duration_ms} ms")
    for error in report.errors:
        print(f"error: {error}")
    return 1 if report.errors else 0
