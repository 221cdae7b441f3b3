"""The admin API through webtest: statistics, search, history, restore, delete, the event log.

Tests share one database, so figures are checked as differences before and after.
"""

import copy
from decimal import ROUND_HALF_UP, Decimal

import pytest
import webtest
from sqlalchemy import select

from s3video_sidecar.models import Event, Video
from s3video_sidecar.services import parts_of
from tests.functional.test_api import MP4, post_to_s3, request_upload, student, sub_path, upload_and_confirm
from tests.support.signed_app import SignedApp, actor

ADMIN_CALLS = [
    ("GET", "/admin/stats"),
    ("GET", "/admin/videos"),
    ("GET", "/admin/videos/{video}"),
    ("POST", "/admin/videos/{video}/restore"),
    ("DELETE", "/admin/videos/{video}"),
    ("GET", "/admin/events"),
]


def admin(ids):
    return actor(ids.admin, "admin", course=ids.course)


def video_id(registry, s3_key):
    session = parts_of(registry).session_factory()
    try:
        return session.scalar(select(Video.id).where(Video.s3_key == s3_key))
    finally:
        session.close()


@pytest.fixture
def grace_api(make_app):
    """An app instance whose deleted videos wait an hour before their purge (restorable)."""
    app = make_app(**{"s3video.delete_grace_seconds": "3600"})
    return SignedApp(webtest.TestApp(app))


@pytest.mark.parametrize("method, path", ADMIN_CALLS)
def test_non_admins_are_refused(api, ids, registry, method, path):
    upload = upload_and_confirm(api, ids)
    path = path.format(video=video_id(registry, upload["s3_key"]))
    for who in (student(ids), actor(ids.teacher, "grader", course=ids.course)):
        assert api.request(method, path, as_actor=who, body={} if method == "POST" else None).status_int == 403
    assert api.testapp.request(path, method=method, expect_errors=True).status_int == 401


def test_stats_count_uploads_views_storage_and_errors(api, ids):
    before = api.get("/admin/stats", as_actor=admin(ids)).json
    upload_and_confirm(api, ids)
    upload_and_confirm(api, ids, content=MP4 + b"more")  # replaces the first: it goes to deleting, still stored
    api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids))
    assert request_upload(api, ids, size=10**9).status_int == 413
    after = api.get("/admin/stats", query="days=7", as_actor=admin(ids)).json

    assert after["days"] == 7 and len(after["per_day"]) == 7
    assert after["today"]["uploads"] - before["today"]["uploads"] == 2
    assert after["today"]["views"] - before["today"]["views"] == 1
    assert after["per_day"][-1]["bytes_viewed"] - before["per_day"][-1]["bytes_viewed"] == len(MP4) + 4
    assert after["storage"]["bytes"] - before["storage"]["bytes"] == 2 * len(MP4) + 4
    assert after["per_day"][-1]["storage_bytes"] - before["per_day"][-1]["storage_bytes"] == 2 * len(MP4) + 4
    status = after["videos"]["by_status"]
    assert status["ready"] - before["videos"]["by_status"]["ready"] == 1
    assert status["deleting"] - before["videos"]["by_status"]["deleting"] == 1
    assert (
        after["today"]["errors_by_code"].get("too_large", 0) - before["today"]["errors_by_code"].get("too_large", 0)
        == 1
    )
    assert set(status) == {"pending", "uploading", "ready", "deleting", "deleted", "error"}
    cost = after["cost"]  # the cost model's bill for the month, from the measured usage
    assert cost["usage"]["storage_bytes"] == after["storage"]["bytes"] and cost["currency"] == "USD"
    assert cost["usage"]["views"] >= 1 and {i["name"] for i in cost["items"]} >= {"s3_storage", "cloudfront_transfer"}
    # The bill adds up. The shared test database holds every test's uploads and requests, so the total is
    # whatever they make; this test's few KB of storage cost under a cent and its transfer is free.
    items = {item["name"]: item for item in cost["items"]}
    unrounded = sum(Decimal(item["cost_usd_unrounded"]) for item in cost["items"])
    assert Decimal(cost["total_usd"]) == unrounded.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert items["s3_storage"]["cost_usd"] == "0.00"  # a few KB for a month: well under a cent
    assert items["cloudfront_transfer"]["billable_quantity"] == 0  # CloudFront's always-free 1 TB


def test_stats_refuse_a_bad_period(api, ids):
    answer = api.get("/admin/stats", query="days=0", as_actor=admin(ids))
    assert answer.status_int == 400 and "days" in answer.json["fields"]


def test_video_search_filters_and_pages(api, ids, registry):
    first = upload_and_confirm(api, ids)
    other = copy.copy(ids)
    other.submission, other.student = ids.other_submission, ids.other_student
    second = upload_and_confirm(api, other, content=MP4 * 2)

    def search(query):
        answer = api.get("/admin/videos", query=query, as_actor=admin(ids))
        assert answer.status_int == 200, answer.json
        return answer.json

    by_course = search(f"course={ids.course}&per_page=1")
    assert by_course["total"] == 2 and by_course["pages"] == 2 and len(by_course["videos"]) == 1
    assert by_course["videos"][0]["s3_key"] == second["s3_key"]  # newest first
    assert search(f"course={ids.course}&per_page=1&page=2")["videos"][0]["s3_key"] == first["s3_key"]
    assert [v["user_id"] for v in search(f"user={ids.other_student}")["videos"]] == [ids.other_student]
    assert search(f"assignment={ids.assignment}&min_size={len(MP4) + 1}")["videos"][0]["s3_key"] == second["s3_key"]
    assert search(f"assignment={ids.assignment}&max_size={len(MP4)}")["total"] == 1
    assert search(f"assignment={ids.assignment}&status=deleting,error")["total"] == 0
    assert search(f"assignment={ids.assignment}&from=2000-01-01&to=2000-12-31")["total"] == 0
    found = search(f"course={ids.course}&status=ready&from=2000-01-01")["videos"][0]
    assert found["course_id"] == ids.course and found["current"] and found["status"] == "ready"


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=gone", "status"),
        ("from=yesterday", "from"),
        ("per_page=1000", "per_page"),
        ("user=-1", "user"),
        ("colour=red", "query"),
        # given but empty or malformed is refused, not read as "no filter" (leave it out for that)
        ("page=", "page"),
        ("status=", "status"),
        ("status=,", "status"),
        ("user=1.0", "user"),
        ("min_size=%D9%A5", "min_size"),  # an Arabic-Indic five: int() would take it, the schema does not
    ],
)
def test_video_search_refuses_bad_filters(api, ids, query, field):
    answer = api.get("/admin/videos", query=query, as_actor=admin(ids))
    assert answer.status_int == 400 and field in answer.json["fields"], answer.json


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/admin/events", "errors_only=yes", "errors_only"),
        ("/admin/events", "errors_only=", "errors_only"),
        ("/admin/events", "video=", "video"),
        ("/admin/stats", "days=", "days"),
        ("/admin/events", "user=1&user=2", "user"),  # not silently the last of the two
    ],
)
def test_event_log_and_stats_refuse_bad_parameters(api, ids, path, query, field):
    answer = api.get(path, query=query, as_actor=admin(ids))
    assert answer.status_int == 400 and field in answer.json["fields"], answer.json


def test_an_empty_date_is_no_bound(api, ids):
    assert api.get("/admin/videos", query="from=&to=", as_actor=admin(ids)).status_int == 200


def test_a_videos_history(api, ids, registry):
    upload = upload_and_confirm(api, ids)
    api.get(sub_path(ids, suffix="/playback-url"), as_actor=actor(ids.teacher, "grader", course=ids.course))
    history = api.get(f"/admin/videos/{video_id(registry, upload['s3_key'])}", as_actor=admin(ids)).json
    assert history["video"]["s3_key"] == upload["s3_key"] and history["video"]["user_id"] == ids.student
    assert [e["event_type"] for e in history["events"]] == [
        "upload_requested",
        "upload_confirmed",
        "playback_url_issued",
    ]
    assert history["events"][-1]["user_id"] == ids.teacher and history["events"][-1]["user_role"] == "grader"
    assert api.get("/admin/videos/999999999", as_actor=admin(ids)).status_int == 404


def test_delete_then_restore_within_the_grace_period(grace_api, ids, registry):
    upload = upload_and_confirm(grace_api, ids)
    video = video_id(registry, upload["s3_key"])
    deleted = grace_api.delete(f"/admin/videos/{video}", as_actor=admin(ids))
    assert deleted.status_int == 202 and deleted.json["status"] == "deleting" and deleted.json["restorable"]
    assert grace_api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).status_int == 404
    assert grace_api.delete(f"/admin/videos/{video}", as_actor=admin(ids)).status_int == 409

    restored = grace_api.post(f"/admin/videos/{video}/restore", as_actor=admin(ids))
    assert restored.status_int == 200 and restored.json["status"] == "ready" and restored.json["current"]
    assert grace_api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).status_int == 200
    assert grace_api.post(f"/admin/videos/{video}/restore", as_actor=admin(ids)).status_int == 409
    history = grace_api.get(f"/admin/videos/{video}", as_actor=admin(ids)).json
    assert [e["event_type"] for e in history["events"]][-3:] == [
        "delete_requested",
        "video_restored",
        "playback_url_issued",
    ]


def test_restore_is_refused_after_the_grace_period_or_over_a_newer_video(api, grace_api, ids, registry):
    upload = upload_and_confirm(api, ids)  # grace period 0: purge due at once
    video = video_id(registry, upload["s3_key"])
    assert api.delete(f"/admin/videos/{video}", as_actor=admin(ids)).status_int == 202
    refused = api.post(f"/admin/videos/{video}/restore", as_actor=admin(ids))
    assert refused.status_int == 409 and "grace period" in refused.json["error"]

    first = upload_and_confirm(grace_api, ids)
    second = upload_and_confirm(grace_api, ids)  # the first is replaced: deleting, restorable
    refused = grace_api.post(f"/admin/videos/{video_id(registry, first['s3_key'])}/restore", as_actor=admin(ids))
    assert refused.status_int == 409 and "newer video" in refused.json["error"]
    assert grace_api.get(sub_path(ids), as_actor=student(ids)).json["video"]["s3_key"] == second["s3_key"]


def test_deleting_an_unconfirmed_upload(api, ids, registry):
    upload = request_upload(api, ids).json
    video = video_id(registry, upload["s3_key"])
    assert api.delete(f"/admin/videos/{video}", as_actor=admin(ids)).json["status"] == "deleting"
    assert post_to_s3(upload).status_code == 204
    assert (
        api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids)).status_int
        == 409
    )


def test_the_event_log_filters_and_pages(api, ids):
    upload_and_confirm(api, ids)
    assert request_upload(api, ids, mime_type="video/x-flv").status_int == 415

    def search(query):
        answer = api.get("/admin/events", query=query, as_actor=admin(ids))
        assert answer.status_int == 200, answer.json
        return answer.json

    mine = search(f"user={ids.student}&per_page=2")
    assert mine["total"] == 3 and len(mine["events"]) == 2 and mine["pages"] == 2
    assert mine["events"][0]["event_type"] == "request_refused"  # newest first
    assert mine["events"][0]["error_code"] == "type_not_allowed"
    assert search(f"user={ids.student}&errors_only=true")["total"] == 1
    assert search(f"user={ids.student}&type=upload_requested,upload_confirmed")["total"] == 2
    assert search(f"user={ids.student}&error_code=type_not_allowed&since=2000-01-01")["total"] == 1
    assert search(f"user={ids.student}&until=2000-01-01")["total"] == 0
    assert api.get("/admin/events", query="since=soon", as_actor=admin(ids)).status_int == 400


def test_admin_calls_are_logged(api, ids, registry):
    api.get("/admin/videos", query=f"user={ids.student}&page=1", as_actor=admin(ids))
    session = parts_of(registry).session_factory()
    try:
        logged = session.scalars(select(Event).where(Event.user_id == ids.admin)).all()
    finally:
        session.close()
    assert [(e.event_type, e.user_role, e.error_context) for e in logged] == [
        ("admin_query", "admin", '{"call": "videos", "filters": ["user"]}')
    ]
