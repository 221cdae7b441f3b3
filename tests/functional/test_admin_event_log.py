"""The event log after a full flow: every action is there, and nothing secret is.

One test drives every kind of call (POST and multipart uploads, confirms, playback,
refusals of each kind, rate limiting, admin and privacy calls, the purge), then reads
the whole log: the expected event types are present, and no HMAC secret, signature,
credential or signed URL appears in any column.
"""

import pytest
import requests
import webtest
from sqlalchemy import select

from s3video_sidecar.models import Event
from s3video_sidecar.sdk import signing
from s3video_sidecar.services import parts_of
from tests.functional.test_api import MP4, post_to_s3, request_upload, student, sub_path, upload_and_confirm
from tests.functional.test_privacy import run_purge_job
from tests.support.apps import build_app
from tests.support.signed_app import OTHER_SECRET, SECRET, SignedApp, actor
from tests.support.videos import mp4_bytes

FORBIDDEN_TEXT = [
    SECRET,
    OTHER_SECRET,
    "Signature=",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "Key-Pair-Id",
    "Policy=",
    "Expires=",
    "http://",
    "https://",
]


@pytest.mark.committed  # a replayed nonce is refused: it committed on a connection of its own
def test_a_full_flow_logs_every_action_and_no_secret(app_settings, ids):
    app = build_app(app_settings, **{"s3video.rate_limit.playback_url": "2/3600"})
    testapp = webtest.TestApp(app)
    api = SignedApp(testapp)
    registry = app.registry
    first_event = _last_event_id(registry)
    admin = actor(ids.admin, "admin", course=ids.course)
    grader = actor(ids.teacher, "grader", course=ids.course)

    # A POST upload, replaced by a multipart one; playback until rate limited.
    upload_and_confirm(api, ids)
    data = mp4_bytes(5 * 1024 * 1024 + 10, b"m")
    assert request_upload(api, ids, size=len(data)).json["method"] == "multipart"
    started = api.post(
        sub_path(ids, suffix="/multipart"),
        {"filename": "big.mp4", "size": len(data), "mime_type": "video/mp4"},
        as_actor=student(ids),
    ).json
    upload_path = sub_path(ids, suffix=f"/multipart/{started['upload_id']}")
    urls = api.post(f"{upload_path}/parts", {"part_numbers": [1, 2]}, as_actor=student(ids)).json["parts"]
    size = started["part_size"]
    etags = [
        requests.put(p["url"], data=data[(p["part_number"] - 1) * size : p["part_number"] * size], timeout=30).headers[
            "ETag"
        ]
        for p in urls
    ]
    assert api.get(upload_path, as_actor=student(ids)).status_int == 200
    done = api.post(
        f"{upload_path}/complete",
        {"parts": [{"part_number": n, "etag": e} for n, e in zip((1, 2), etags, strict=True)]},
        as_actor=student(ids),
    )
    assert done.status_int == 200, done.json
    statuses = [api.get(sub_path(ids, suffix="/playback-url"), as_actor=grader).status_int for _ in range(3)]
    assert statuses == [200, 200, 429]

    # Refusals: bad signature, replay, forbidden, invalid, a confirm of nothing.
    assert (
        testapp.get(
            sub_path(ids),
            headers={"Authorization": "S3V1-HMAC-SHA256 KeyId=test-key, Signature=00"},
            expect_errors=True,
        ).status_int
        == 401
    )
    headers = signing.sign_headers("test-key", SECRET, "GET", sub_path(ids), "", student(ids), b"")
    assert testapp.get(sub_path(ids), headers=headers).status_int == 200
    assert testapp.get(sub_path(ids), headers=headers, expect_errors=True).status_int == 401  # replayed
    assert api.delete(sub_path(ids), as_actor=grader).status_int == 403
    assert request_upload(api, ids, size=0).status_int == 400
    pending = request_upload(api, ids).json
    assert (
        api.post(sub_path(ids, suffix="/confirm"), {"s3_key": pending["s3_key"]}, as_actor=student(ids)).status_int
        == 409
    )
    assert post_to_s3(pending, MP4).status_code == 204

    # Admin and privacy calls, a deletion, an erasure, and the purge job.
    for path in ("/admin/stats", "/admin/videos", "/admin/events"):
        assert api.get(path, as_actor=admin).status_int == 200
    export = api.get(f"/privacy/users/{ids.student}", as_actor=admin).json
    assert any(v["download_url"] for v in export["videos"])  # signed links went out, but not into the log
    assert api.delete(sub_path(ids), as_actor=student(ids)).status_int == 202
    assert api.delete(f"/privacy/users/{ids.student}", as_actor=admin).status_int == 202
    run_purge_job(registry)

    session = parts_of(registry).session_factory()
    try:
        logged = session.scalars(select(Event).where(Event.id > first_event)).all()
    finally:
        session.close()
    kinds = {e.event_type for e in logged}
    assert kinds >= {
        "upload_requested",
        "upload_confirmed",
        "upload_sent_to_multipart",
        "multipart_started",
        "parts_signed",
        "parts_listed",
        "playback_url_issued",
        "rate_limited",
        "auth_rejected",
        "access_denied",
        "request_refused",
        "delete_requested",
        "video_deleted",
        "admin_query",
        "privacy_exported",
        "privacy_erased",
    }, kinds
    codes = {e.error_code for e in logged}
    assert {"bad_signature", "replayed_nonce", "forbidden", "invalid_input", "conflict", "rate_limited"} <= codes
    for event in logged:
        text = " ".join(str(getattr(event, column.key)) for column in event.__table__.columns)
        leaked = [needle for needle in FORBIDDEN_TEXT if needle in text]
        assert not leaked, (leaked, event.event_type, text)


def _last_event_id(registry):
    session = parts_of(registry).session_factory()
    try:
        return session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
    finally:
        session.close()
