"""``s3video-worker development.ini``: run the job queue's consumer with the periodic tasks.

It reads the same ini as the web app: logging, the database, storage and the queue
(``huey.*``). On SIGTERM (``systemctl stop``) or SIGINT (Ctrl-C) it lets the running task
finish and exits; a task cut short by a harder kill is simply gone (huey runs a task at
most once), and the periodic cleanup and reconciliation finish what it left, since every
deletion is first a durable ``deleting`` row.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from ..sdk.errors import Unavailable
from . import bootstrap, run_command

log = logging.getLogger(__name__)
STORAGE_WAIT_SECONDS = 120


def wait_for_storage(storage, endpoint: str | None, seconds: float = STORAGE_WAIT_SECONDS, sleep=time.sleep) -> bool:
    """Wait until the bucket answers (HeadBucket), at most ``seconds``; True once it does.

    With ``s3video.storage = embedded`` the stand-in runs inside the web app, which makes the
    bucket before its port answers; ``make run`` starts this worker beside it, so the first
    cleanup and reconcile wait for it instead of failing (connection refused, NoSuchBucket)."""
    deadline = time.monotonic() + seconds
    waited = False
    while True:
        try:
            storage.check()
        except Unavailable as exc:
            if time.monotonic() >= deadline:
                log.warning("worker: the S3 stand-in at %s still does not answer (%s); starting anyway", endpoint, exc)
                return False
            if not waited:
                log.info("worker: waiting for the embedded S3 stand-in at %s (the web app starts it)", endpoint)
                waited = True
            sleep(0.5)
            continue
        if waited:
            log.info("worker: the embedded S3 stand-in answers, bucket %s found", storage.bucket)
        return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="s3video-worker", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("ini", help="the app's ini file, e.g. development.ini")
    args = parser.parse_args(argv)
    return run_command("s3video-worker", _run, args)


def _run(args) -> int:
    parts = bootstrap(args.ini, jobs=True)
    settings, jobs = parts.settings, parts.jobs
    if jobs.huey.immediate:
        print(
            "s3video-worker: huey.immediate is on, so tasks run where they are queued: nothing to consume",
            file=sys.stderr,
        )
        return 2
    # An idle SQLite queue is polled at least every 2 s (huey's default backs off to 10 s); Redis blocks.
    consumer = jobs.huey.create_consumer(
        workers=settings.huey_workers, periodic=True, worker_type="thread", graceful_signal="TERM", max_delay=2.0
    )
    log.info(
        "worker: queue %r, %d worker(s); cleanup every %d min, reconcile every %d min, retention %s",
        jobs.huey.name,
        settings.huey_workers,
        settings.jobs_cleanup_interval_minutes,
        settings.jobs_reconcile_interval_minutes,
        f"after {settings.retention_days} days" if settings.retention_days else "off",
    )
    if settings.storage == "embedded":
        wait_for_storage(parts.storage, settings.s3_endpoint_url)
    jobs.cleanup()  # at start: purge whatever a stopped worker left due
    consumer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
