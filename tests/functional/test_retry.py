"""A transient database error is retried (``retry.attempts = 3``, as both ini files have it).

pyramid_retry runs the request again with a new Request object; it is still the one HTTP
request Moodle signed. Its nonce must be spent once (not refused as a replay on the second
attempt) and it must count once against the caller's rate limit; the failed attempt's rows
are rolled back, so exactly one upload exists afterwards.

Committed: the nonce and the rate-limit counter are written on a connection of their own, which
must outlive the failed attempt's rollback (in a rolled-back test they would be undone with it).
"""

from __future__ import annotations

import pytest
import transaction.interfaces
import webtest
from sqlalchemy import func, select

from s3video_sidecar.models import Video
from s3video_sidecar.sdk.service import VideoService
from s3video_sidecar.services import parts_of
from tests.support.apps import build_app
from tests.support.signed_app import SignedApp, actor

pytestmark = pytest.mark.committed
MP4_SIZE = 1000


@pytest.fixture
def retrying_api(app_settings):
    app = build_app(app_settings, **{"retry.attempts": "3", "s3video.rate_limit.upload_url": "2/60"})
    return app, SignedApp(webtest.TestApp(app))


def fail_first_call(monkeypatch, attempts: list):
    original = VideoService.request_upload

    def request_upload(self, *args, **kwargs):
        attempts.append(args)
        answer = original(self, *args, **kwargs)  # rows written, then the database gives up on the transaction
        if len(attempts) == 1:
            raise transaction.interfaces.TransientError("could not serialize access (simulated)")
        return answer

    monkeypatch.setattr(VideoService, "request_upload", request_upload)


def upload_url(api, ids):
    return api.post(
        f"/assignments/{ids.assignment}/submissions/{ids.submission}/upload-url",
        {"filename": "a.mp4", "size": MP4_SIZE, "mime_type": "video/mp4"},
        as_actor=actor(ids.student, "student", course=ids.course),
    )


def videos_of(app, ids) -> int:
    session = parts_of(app.registry).session_factory()
    try:
        return session.scalar(select(func.count()).select_from(Video).where(Video.submission_id == ids.submission))
    finally:
        session.close()


def test_a_retried_request_spends_its_nonce_once_and_keeps_one_upload(retrying_api, ids, monkeypatch):
    app, api = retrying_api
    attempts = []
    fail_first_call(monkeypatch, attempts)

    answer = upload_url(api, ids)

    assert answer.status_int == 201, answer.text
    assert len(attempts) == 2  # the first attempt failed and was retried
    assert videos_of(app, ids) == 1  # the failed attempt's row was rolled back


def test_a_retried_request_counts_once_against_the_rate_limit(retrying_api, ids, monkeypatch):
    _app, api = retrying_api
    fail_first_call(monkeypatch, [])

    assert upload_url(api, ids).status_int == 201  # two attempts, one call
    assert upload_url(api, ids).status_int == 201  # the second of the two allowed
    refused = upload_url(api, ids)
    assert refused.status_int == 429 and refused.json["code"] == "rate_limited"
