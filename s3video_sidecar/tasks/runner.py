"""Run one maintenance job in its own database session: what a task and ``s3video-admin`` call.

The session is a plain SQLAlchemy one (no zope transaction): a job commits chunk by chunk
(``Maintenance.checkpoint``) and once more at the end. If the job fails, the session is
rolled back, a ``job_failed`` event is written in a fresh session, and the error is raised
again (huey logs it; the CLI prints it). What was left is taken by the next run.
"""

from __future__ import annotations

import logging
import time

from ..models.maintenance import SqlMaintenanceRepository
from ..sdk.invalidation import CloudFrontInvalidator, make_cloudfront_client
from ..sdk.maintenance import JOBS, JobReport, Maintenance
from ..sdk.service import VideoService

log = logging.getLogger(__name__)


def build_invalidator(settings):
    """The CloudFront invalidator of the settings, or None when invalidation is off."""
    if not settings.cloudfront_invalidate:
        return None
    return CloudFrontInvalidator(
        make_cloudfront_client(), settings.cloudfront_distribution_id, settings.cloudfront_invalidation_batch_size
    )


class JobRunner:
    """``video_service``: the composition root's factory (``services.video_service``), passed in so
    the tasks do not import the composition root (which builds them)."""

    def __init__(
        self, settings, session_factory, storage, url_signer, invalidator=None, clock=time.time, *, video_service
    ):
        self.settings = settings
        self.session_factory = session_factory
        self.storage = storage
        self.url_signer = url_signer
        self.invalidator = invalidator
        self.clock = clock
        self._video_service = video_service

    def video_service(self, session) -> VideoService:
        return self._video_service(self, session, SqlMaintenanceRepository(session), clock=self.clock)

    def run(self, job: str, progress=None, **options) -> JobReport:
        """Run ``job`` (one of ``sdk.maintenance.JOBS``) with its options; commit; return its report."""
        if job not in JOBS:
            raise ValueError(f"unknown job {job!r}; jobs: {', '.join(JOBS)}")
        session = self.session_factory()
        try:
            maintenance = Maintenance(
                self.video_service(session), self.invalidator, checkpoint=session.commit, progress=progress
            )
            report = getattr(maintenance, job)(**options)
            session.commit()
        except Exception as error:
            session.rollback()
            self._record_failure(job, error)
            raise
        finally:
            session.close()
        log.info(
            "job %s: %s%s in %d ms",
            job,
            dict(+report.counts) or "nothing to do",
            f", errors: {report.errors}" if report.errors else "",
            report.duration_ms,
        )
        return report

    def _record_failure(self, job: str, error: Exception) -> None:
        session = self.session_factory()
        try:
            self.video_service(session).log(
                "job_failed",
                None,
                error_code=type(error).__name__[:100],
                error_message=str(error)[:2000],
                context={"job": job},
            )
            session.commit()
        except Exception:  # the database itself may be what failed
            log.exception("job %s failed, and so did recording it", job)
        finally:
            session.close()
