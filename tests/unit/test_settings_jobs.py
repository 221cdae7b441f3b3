"""The job settings: defaults, cross-field checks, the queue URL as a secret."""

import pytest

from s3video_sidecar.settings import SettingsError, parse_settings
from tests.unit.test_settings import BASE

DAY = 86400


def test_defaults_keep_every_destructive_option_off():
    settings = parse_settings(BASE)
    assert settings.huey_url is None and settings.huey_immediate is False and settings.huey_workers == 1
    assert settings.cloudfront_invalidate is False and settings.jobs_delete_orphans is False
    assert settings.retention_days == 0
    assert (settings.jobs_cleanup_interval_minutes, settings.jobs_reconcile_interval_minutes) == (5, 60)
    assert settings.jobs_multipart_abort_after_seconds == 7 * DAY


def test_the_queue_url_may_come_from_the_environment_and_stays_out_of_repr(monkeypatch):
    monkeypatch.setenv("QUEUE", "redis://:s3cret@redis.example:6379/2")
    settings = parse_settings(dict(BASE, **{"huey.url": "env:QUEUE", "huey.workers": "4"}))
    assert settings.huey_url == "redis://:s3cret@redis.example:6379/2" and settings.huey_workers == 4
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"huey.url": "amqp://queue"}, "huey.url"),
        ({"huey.workers": "0"}, "huey.workers"),
        ({"s3video.cloudfront.invalidate": "true"}, "only with s3video.cdn = cloudfront"),
        (
            {
                "s3video.cdn": "cloudfront",
                "s3video.cloudfront.domain": "d1.cloudfront.net",
                "s3video.cloudfront.invalidate": "true",
            },
            "s3video.cloudfront.distribution_id: required",
        ),
        ({"s3video.cloudfront.invalidation_batch_size": "3001"}, "invalidation_batch_size"),
        ({"s3video.jobs.multipart_abort_after_seconds": str(DAY)}, "at least 176400"),
        ({"s3video.retention.days": "-1"}, "s3video.retention.days"),
    ],
)
def test_bad_job_settings_are_refused_with_their_name(changes, message):
    with pytest.raises(SettingsError, match=message):
        parse_settings(dict(BASE, **changes))


def test_invalidation_with_cloudfront():
    settings = parse_settings(
        dict(
            BASE,
            **{
                "s3video.cdn": "cloudfront",
                "s3video.cloudfront.domain": "d1.cloudfront.net",
                "s3video.cloudfront.invalidate": "on",
                "s3video.cloudfront.distribution_id": "E2QWRUHAPOMQZL",
                "s3video.cloudfront.invalidation_batch_size": "500",
            },
        )
    )
    assert settings.cloudfront_invalidate and settings.cloudfront_distribution_id == "E2QWRUHAPOMQZL"
    assert settings.cloudfront_invalidation_batch_size == 500
