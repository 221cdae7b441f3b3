"""Per-user rate limits, shared by two app instances on one database (and on Redis in CI).

Each test builds two WSGI apps from the same settings, as two worker processes or hosts
would be, and pins their limiter's clock so a window never ends mid-test. Committed: each
instance's counters are on connections of their own, as two processes' would be.
"""

import os
import secrets

import pytest
import requests
import webtest
from sqlalchemy import create_engine, func, select

from s3video_sidecar.models import Event, Video
from s3video_sidecar.ratelimit import DatabaseRateLimitStore, RateLimiter
from s3video_sidecar.sdk.errors import Unavailable
from s3video_sidecar.services import parts_of
from s3video_sidecar.settings import RateLimit
from tests.support.apps import build_app
from tests.support.signed_app import SignedApp, actor
from tests.support.videos import mp4_bytes

pytestmark = pytest.mark.committed
NOW = 1_800_000_000 - 1_800_000_000 % 60 + 10  # 10 s into a 60 s window
MP4 = mp4_bytes(1024, b"r")


class Instance:
    """One app instance with its limiter's clock pinned."""

    def __init__(self, settings, now=NOW):
        self.app = build_app(settings)
        self.registry = self.app.registry
        self.api = SignedApp(webtest.TestApp(self.app))
        self.set_clock(now)

    def set_clock(self, now):
        parts_of(self.registry).rate_limiter.clock = lambda: now


@pytest.fixture
def two_instances(app_settings):
    def build(**overrides):
        settings = dict(app_settings, **overrides)
        return Instance(settings), Instance(settings)

    return build


def upload_url(instance, ids, user=None):
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission if user is None else ids.other_submission}"
    return instance.api.post(
        f"{path}/upload-url",
        {"filename": "a.mp4", "size": len(MP4), "mime_type": "video/mp4"},
        as_actor=actor(user or ids.student, "student", course=ids.course),
    )


def count(registry, query):
    session = parts_of(registry).session_factory()
    try:
        return session.scalar(query)
    finally:
        session.close()


def assert_shared_limit(first, second, ids):
    """Three calls spread over both instances pass; the fourth, on either, is 429."""
    assert [upload_url(i, ids).status_int for i in (first, second, first)] == [201, 201, 201]
    refused = upload_url(second, ids)
    assert refused.status_int == 429
    assert refused.headers["Retry-After"] == "50"  # to the end of the 60 s window
    assert refused.json["code"] == "rate_limited" and "upload" not in refused.json
    assert (
        count(first.registry, select(func.count()).select_from(Video).where(Video.submission_id == ids.submission)) == 3
    )  # nothing issued for the refused call
    logged = count(
        first.registry,
        select(func.count()).select_from(Event).where(Event.event_type == "rate_limited", Event.user_id == ids.student),
    )
    assert logged == 1
    # Another student is not affected; the next window opens the door again.
    assert upload_url(first, ids, user=ids.other_student).status_int == 201
    first.set_clock(NOW + 60)
    assert upload_url(first, ids).status_int == 201


def test_two_instances_share_one_limit_on_the_database(two_instances, ids):
    first, second = two_instances(**{"s3video.rate_limit.upload_url": "3/60"})
    assert_shared_limit(first, second, ids)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("S3VIDEO_TEST_REDIS"), reason="S3VIDEO_TEST_REDIS is not set")
def test_two_instances_share_one_limit_on_redis(two_instances, ids):
    ids.student += secrets.randbelow(10**9) * 10**7  # Redis outlives the run: users never seen before
    ids.other_student = ids.student + 1
    first, second = two_instances(
        **{
            "s3video.rate_limit.upload_url": "3/60",
            "s3video.rate_limit.store": "redis",
            "s3video.redis_url": os.environ["S3VIDEO_TEST_REDIS"],
        }
    )
    assert_shared_limit(first, second, ids)


def test_limits_are_per_action_and_per_user(two_instances, ids):
    first, second = two_instances(**{"s3video.rate_limit.confirm": "2/60", "s3video.rate_limit.playback_url": "1/60"})
    upload = upload_url(first, ids).json
    fields = upload["upload"]["fields"]
    requests.post(upload["upload"]["url"], data=fields, files={"file": ("f", MP4, "video/mp4")}, timeout=10)
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission}"
    student = actor(ids.student, "student", course=ids.course)
    confirms = [
        i.api.post(f"{path}/confirm", {"s3_key": upload["s3_key"]}, as_actor=student).status_int
        for i in (first, second, first)
    ]
    assert confirms == [200, 200, 429]  # idempotent confirms count too

    grader = actor(ids.teacher, "grader", course=ids.course)
    assert first.api.get(f"{path}/playback-url", as_actor=grader).status_int == 200
    refused = second.api.get(f"{path}/playback-url", as_actor=grader)
    assert refused.status_int == 429 and "url" not in refused.json
    assert first.api.get(f"{path}/playback-url", as_actor=student).status_int == 200  # per user
    assert upload_url(second, ids).status_int == 201  # upload URLs have their own budget


def test_posters_calls_are_limited_per_grader(two_instances, ids):
    """The grading table's call (it signs up to 500 URLs) has a budget of its own per grader, shared by
    the instances: past it 429 with Retry-After and the rate_limited event, nothing signed."""
    first, second = two_instances(**{"s3video.rate_limit.posters": "2/60", "s3video.rate_limit.upload_url": "1/60"})
    assert upload_url(first, ids).status_int == 201  # the sidecar now holds the assignment
    path = f"/assignments/{ids.assignment}/posters"
    body = {"submission_ids": [ids.submission]}
    grader = actor(ids.teacher, "grader", course=ids.course)
    assert [i.api.post(path, body, as_actor=grader).status_int for i in (first, second)] == [200, 200]
    refused = first.api.post(path, body, as_actor=grader)
    assert refused.status_int == 429, refused.text
    assert refused.headers["Retry-After"] == "50"
    assert refused.json["code"] == "rate_limited" and "posters" in refused.json["error"]
    assert "posters" not in refused.json  # nothing signed
    logged = count(
        first.registry,
        select(func.count()).select_from(Event).where(Event.event_type == "rate_limited", Event.user_id == ids.teacher),
    )
    assert logged == 1
    other_grader = actor(ids.admin, "grader", course=ids.course)
    assert second.api.post(path, body, as_actor=other_grader).status_int == 200  # per grader
    assert upload_url(first, ids, user=ids.other_student).status_int == 201  # the other budgets are their own
    first.set_clock(NOW + 60)
    assert first.api.post(path, body, as_actor=grader).status_int == 200  # the next window


def test_every_limited_call_documents_its_429_and_every_limit_has_a_call(wsgi_app):
    """The contract in one place: each view counted against a limit answers 429 in /openapi.json, and
    each limit the ini declares (``RATE_LIMITED_ACTIONS``) counts some view."""
    from s3video_sidecar import resources
    from s3video_sidecar.openapi import openapi_document
    from s3video_sidecar.settings import RATE_LIMITED_ACTIONS

    sub = "/assignments/{assignment}/submissions/{submission}"
    paths = {
        resources.Assignment: "/assignments/{assignment}",
        resources.Submission: sub,
        resources.MultipartUploads: f"{sub}/multipart",
        resources.MultipartUpload: f"{sub}/multipart/{{upload_id}}",
    }
    document, counted = openapi_document()["paths"], set()
    for view in wsgi_app.registry.introspector.get_category("views"):
        view = view["introspectable"]
        if view.get("rate_limit") is None:
            continue
        counted.add(view["rate_limit"])
        path = paths[view["context"]] + (f"/{view['name']}" if view["name"] else "")
        methods = view["request_methods"]
        for method in (methods,) if isinstance(methods, str) else methods:
            assert "429" in document[path][method.lower()]["responses"], (path, method, view["rate_limit"])
    assert counted == set(RATE_LIMITED_ACTIONS)


def test_a_limit_can_be_switched_off(two_instances, ids):
    first, _ = two_instances(**{"s3video.rate_limit.upload_url": "off"})
    assert {upload_url(first, ids).status_int for _ in range(12)} == {201}  # the default would stop at 10


def test_forbidden_calls_spend_nothing(two_instances, ids):
    first, _ = two_instances(**{"s3video.rate_limit.upload_url": "1/60"})
    assert upload_url(first, ids).status_int == 201
    intruder = actor(ids.other_student, "student", course=ids.other_course)
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission}/upload-url"
    for _ in range(3):
        assert (
            first.api.post(
                path, {"filename": "a.mp4", "size": 5, "mime_type": "video/mp4"}, as_actor=intruder
            ).status_int
            == 403
        )
    assert upload_url(first, ids, user=ids.other_student).status_int == 201


def test_redis_store_down_fails_closed(two_instances, ids):
    first, _ = two_instances(**{"s3video.rate_limit.store": "redis", "s3video.redis_url": "redis://127.0.0.1:1/0"})
    refused = upload_url(first, ids)
    assert refused.status_int == 503 and refused.json["code"] == "redis"


def test_database_store_down_fails_closed(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    limiter = RateLimiter({"upload_url": RateLimit(1, 60)}, DatabaseRateLimitStore(engine))
    with pytest.raises(Unavailable):
        limiter.hit("upload_url", 1)


def test_limits_are_read_from_the_ini():
    from s3video_sidecar.settings import SettingsError, parse_settings
    from tests.unit.test_settings import BASE

    settings = parse_settings(
        dict(BASE, **{"s3video.rate_limit.upload_url": "5/30", "s3video.rate_limit.confirm": "off"})
    )
    assert settings.rate_limits == {
        "upload_url": RateLimit(5, 30),
        "confirm": None,
        "playback_url": RateLimit(120, 60),
        "posters": RateLimit(60, 60),  # a grading table asks once a page
    }
    with pytest.raises(SettingsError, match=r"s3video\.rate_limit\.playback_url"):
        parse_settings(dict(BASE, **{"s3video.rate_limit.playback_url": "lots"}))
    with pytest.raises(SettingsError, match=r"s3video\.redis_url"):
        parse_settings(dict(BASE, **{"s3video.rate_limit.store": "redis"}))
