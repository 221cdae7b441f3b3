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

from ..tasks import setup_jobs
from . import bootstrap, run_command

log = logging.getLogger(__name__)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="s3video-worker", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("ini", help="the app's ini file, e.g. development.ini")
    args = parser.parse_args(argv)
    return run_command("s3video-worker", _run, args)


def _run(args) -> int:
    environment = bootstrap(args.ini)
    settings = environment.settings
    jobs = setup_jobs(settings, environment.session_factory, environment.storage, environment.url_signer)
    if jobs.huey.immediate:
        print("s3video-worker: huey.immediate is on, so tasks run where they are queued: nothing to consume",
              file=sys.stderr)
        return 2
    # An idle SQLite queue is polled at least every 2 s (huey's default backs off to 10 s); Redis blocks.
    consumer = jobs.huey.create_consumer(workers=settings.huey_workers, periodic=True, worker_type="thread",
                                         graceful_signal="TERM", max_delay=2.0)
    log.info("worker: queue %r, %d worker(s); cleanup every %d min, reconcile every %d min, retention %s",
             jobs.huey.name, settings.huey_workers, settings.jobs_cleanup_interval_minutes,
             settings.jobs_reconcile_interval_minutes,
             f"after {settings.retention_days} days" if settings.retention_days else "off")
    jobs.cleanup()  # at start: purge whatever a stopped worker left due
    consumer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
