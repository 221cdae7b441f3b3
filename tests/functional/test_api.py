"""The submission API through webtest, with S3V1-signed requests and the stand-in over HTTP.

Runs on SQLite, and on PostgreSQL and MariaDB where the environment names them.
"""

import pytest
import requests
from sqlalchemy import select

from s3video_sidecar.models import Event, Video
from s3video_sidecar.sdk import keys, signing
from s3video_sidecar.services import parts_of
from tests.support.signed_app import OTHER_KEY_ID, OTHER_SECRET, SignedApp, actor
from tests.support.videos import mp4_bytes

MP4 = mp4_bytes(2024, b"v")
MP4_SIZE = len(MP4)


def sub_path(ids, submission=None, suffix=""):
    return f"/assignments/{ids.assignment}/submissions/{submission or ids.submission}{suffix}"


def student(ids, user=None, course=None):
    return actor(user or ids.student, "student", course=course or ids.course)


def request_upload(api, ids, *, filename="talk.mp4", size=MP4_SIZE, mime_type="video/mp4", who=None, status=None):
    return api.post(
        sub_path(ids, suffix="/upload-url"),
        {"filename": filename, "size": size, "mime_type": mime_type},
        as_actor=who or student(ids),
        status=status,
    )


def post_to_s3(upload, content=MP4, content_type=None):
    fields = upload["upload"]["fields"]
    return requests.post(
        upload["upload"]["url"],
        data=fields,
        files={"file": ("f", content, content_type or fields["Content-Type"])},
        timeout=10,
    )


def upload_and_confirm(api, ids, content=MP4):
    upload = request_upload(api, ids, size=len(content)).json
    assert post_to_s3(upload, content).status_code == 204
    confirm = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert confirm.status_int == 200, confirm.json
    return upload


def events(registry, **where):
    session = parts_of(registry).session_factory()
    try:
        query = select(Event).order_by(Event.id)
        for name, value in where.items():
            query = query.where(getattr(Event, name) == value)
        return list(session.scalars(query))
    finally:
        session.close()


def video_row(registry, s3_key):
    session = parts_of(registry).session_factory()
    try:
        return session.scalar(select(Video).where(Video.s3_key == s3_key))
    finally:
        session.close()


# -- the happy path -----------------------------------------------------------------


def test_upload_confirm_play_delete(api, ids, registry, testapp):
    upload = request_upload(api, ids, filename="My Talk.mp4")
    assert upload.status_int == 201
    body = upload.json
    assert body["method"] == "post"
    assert body["s3_key"].startswith(f"videos/{ids.student}/") and body["s3_key"].endswith("/My_Talk.mp4")
    assert body["upload"]["fields"]["key"] == keys.staging_key(body["s3_key"])  # nothing a student holds names videos/
    assert body["max_size"] == 10 * 1024 * 1024

    assert post_to_s3(body).status_code == 204
    confirm = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": body["s3_key"]}, as_actor=student(ids))
    assert confirm.status_int == 200
    assert confirm.json["status"] == "ready" and confirm.json["file_size"] == len(MP4)

    grader = actor(ids.teacher, "grader", course=ids.course)
    state = api.get(sub_path(ids), as_actor=grader).json
    assert state["status"] == "ready" and state["video"]["s3_key"] == body["s3_key"]
    assert state["user_id"] == ids.student

    play = api.get(sub_path(ids, suffix="/playback-url"), as_actor=grader)
    assert play.status_int == 200 and play.json["mime_type"] == "video/mp4"
    edge = testapp.get(play.json["url"].replace("http://localhost", ""))
    assert edge.body == MP4

    deleted = api.delete(sub_path(ids), as_actor=student(ids))
    assert deleted.status_int == 202 and deleted.json["scheduled"] == 1
    assert api.get(sub_path(ids, suffix="/playback-url"), as_actor=grader).status_int == 404
    assert video_row(registry, body["s3_key"]).upload_status == "deleting"

    kinds = [e.event_type for e in events(registry, submission_id=ids.submission)]
    # the last: the refused playback URL after the deletion (404), found by its submission
    assert kinds == [
        "upload_requested",
        "upload_confirmed",
        "playback_url_issued",
        "delete_requested",
        "request_refused",
    ]


def test_double_confirm_is_idempotent(api, ids):
    upload = upload_and_confirm(api, ids)
    again = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert again.status_int == 200 and again.json["s3_key"] == upload["s3_key"]


def test_a_replacement_becomes_current_only_when_confirmed(api, ids, registry):
    first = upload_and_confirm(api, ids)
    second = request_upload(api, ids).json
    # Not yet confirmed: the first video is still the one that plays.
    assert api.get(sub_path(ids), as_actor=student(ids)).json["video"]["s3_key"] == first["s3_key"]
    assert post_to_s3(second).status_code == 204
    api.post(sub_path(ids, suffix="/confirm"), {"s3_key": second["s3_key"]}, as_actor=student(ids))
    state = api.get(sub_path(ids), as_actor=student(ids)).json
    assert state["video"]["s3_key"] == second["s3_key"]
    old = video_row(registry, first["s3_key"])
    assert old.upload_status == "deleting" and old.purge_after_timestamp is not None  # scheduled, not orphaned


# -- the error table -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"size": 10, "mime_type": "video/mp4"}, "filename"),
        ({"filename": "a.mp4", "size": "10", "mime_type": "video/mp4"}, "size"),
        ({"filename": "a.mp4", "size": 0, "mime_type": "video/mp4"}, "size"),
        ({"filename": "a.mp4", "size": 10, "mime_type": "not a type"}, "mime_type"),
        ({"filename": "   ", "size": 10, "mime_type": "video/mp4"}, "filename"),
    ],
)
def test_invalid_fields_are_400_with_the_field_named(api, ids, body, field, registry):
    answer = api.post(sub_path(ids, suffix="/upload-url"), body, as_actor=student(ids))
    assert answer.status_int == 400
    assert field in answer.json["fields"]
    # nothing issued: the refusal is the only event, found by the submission its path named
    logged = [(e.event_type, e.error_code) for e in events(registry, submission_id=ids.submission)]
    assert logged == [("request_refused", "invalid_input")]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400(api, ids, raw, testapp):
    from s3video_sidecar.sdk import signing

    path = sub_path(ids, suffix="/upload-url")
    headers = signing.sign_headers("test-key", "test-secret-0123456789abcdef", "POST", path, "", student(ids), raw)
    answer = testapp.post(path, raw, headers=dict(headers, **{"Content-Type": "application/json"}), expect_errors=True)
    assert answer.status_int == 400 and "JSON object" in answer.json["error"]


def test_oversize_is_413_and_nothing_is_issued(api, ids, registry):
    answer = request_upload(api, ids, size=10 * 1024 * 1024 + 1)
    assert answer.status_int == 413 and answer.json["max_size"] == 10 * 1024 * 1024
    assert api.get(sub_path(ids), as_actor=student(ids)).status_int == 404


def test_disallowed_type_is_415(api, ids):
    answer = request_upload(api, ids, mime_type="video/x-msvideo")
    assert answer.status_int == 415 and "video/mp4" in answer.json["allowed"]


def test_path_tricks_in_the_filename_stay_in_the_students_folder(api, ids):
    body = request_upload(api, ids, filename="../../../videos/1/evil\u202e4pm.exe").json
    prefix, rest = body["s3_key"].split("/", 1)[0], body["s3_key"]
    assert prefix == "videos" and rest.count("/") == 3 and ".." not in rest
    assert rest.startswith(f"videos/{ids.student}/") and "\u202e" not in rest


def test_confirm_of_an_object_never_uploaded_is_409(api, ids, registry):
    upload = request_upload(api, ids).json
    answer = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert answer.status_int == 409 and "not arrived" in answer.json["error"]
    assert video_row(registry, upload["s3_key"]).upload_status == "pending"  # still confirmable later


def test_confirm_of_a_foreign_key_is_404(api, ids):
    request_upload(api, ids)
    answer = api.post(
        sub_path(ids, suffix="/confirm"), {"s3_key": "videos/1/1_0123456789abcdef/x.mp4"}, as_actor=student(ids)
    )
    assert answer.status_int == 404


def test_confirm_refuses_and_deletes_what_the_policy_should_have_stopped(api, ids, registry):
    """The object arrives with another type (e.g. a stand-in or a bucket without the policy):
    confirm re-checks what S3 holds, deletes it and records the refusal."""
    upload = request_upload(api, ids).json
    storage = parts_of(registry).storage
    staging = keys.staging_key(upload["s3_key"])
    storage.client.put_object(
        Bucket=storage.bucket, Key=staging, Body=b"<html>".ljust(len(MP4)), ContentType="text/html"
    )
    answer = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert answer.status_int == 415
    assert storage.head(staging) is None and storage.head(upload["s3_key"]) is None
    row = video_row(registry, upload["s3_key"])
    assert row.upload_status == "error" and row.error_code == "type_not_allowed"
    again = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert again.status_int == 409


def test_confirm_refuses_an_oversize_object(api, ids, registry):
    upload = request_upload(api, ids).json
    storage = parts_of(registry).storage
    staging = keys.staging_key(upload["s3_key"])
    storage.client.put_object(
        Bucket=storage.bucket, Key=staging, Body=b"x" * (10 * 1024 * 1024 + 1), ContentType="video/mp4"
    )
    answer = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert answer.status_int == 413
    assert storage.head(staging) is None and storage.head(upload["s3_key"]) is None
    assert video_row(registry, upload["s3_key"]).error_code == "too_large"


def test_playback_without_a_video_is_404(api, ids):
    request_upload(api, ids)
    assert api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).status_int == 404


def test_unknown_submission_is_404(api, ids):
    assert api.get(sub_path(ids), as_actor=student(ids)).status_int == 404
    assert api.get(f"/assignments/{ids.assignment}/submissions/abc", as_actor=student(ids)).status_int == 404
    assert api.get("/nowhere", as_actor=student(ids)).status_int == 404


def test_a_submission_is_not_reachable_through_another_assignment(api, ids):
    upload_and_confirm(api, ids)
    answer = api.get(f"/assignments/{ids.assignment + 500}/submissions/{ids.submission}", as_actor=student(ids))
    assert answer.status_int == 404


def test_playback_urls_of_one_window_are_signed_once(api, ids, registry):
    """Expiry is rounded up to s3video.playback_url_window_seconds (60 by default): the calls of one
    window get the same URL, signed once; the next window gets a new one; never less than the lifetime."""
    from s3video_sidecar.models import Submission
    from s3video_sidecar.models.repository import SqlVideoRepository
    from s3video_sidecar.sdk.service import VideoService

    upload_and_confirm(api, ids)
    settings, signer = parts_of(registry).settings, parts_of(registry).url_signer
    assert settings.playback_url_window_seconds == 60
    session = parts_of(registry).session_factory()
    try:
        submission = session.get(Submission, ids.submission)
        actor = signing.Actor(ids.student, frozenset({"student"}), ids.course)

        def play(now):
            service = VideoService(
                SqlVideoRepository(session), parts_of(registry).storage, signer, settings, clock=lambda: now
            )
            return service.playback_url(submission, actor)

        start = 1_900_000_000 - 1_900_000_000 % 60 + 1  # a second into a window
        signed_before = signer.sign_cached.cache_info().misses
        first, same_window, next_window = play(start), play(start + 58), play(start + 60)
        assert first["url"] == same_window["url"] and first["expires_at"] == same_window["expires_at"]
        assert signer.sign_cached.cache_info().misses == signed_before + 2  # two windows, two signatures
        assert next_window["url"] != first["url"] and next_window["expires_at"] == first["expires_at"] + 60
        for now, answer in ((start, first), (start + 58, same_window), (start + 60, next_window)):
            assert answer["expires_at"] % 60 == 0
            lifetime = answer["expires_at"] - now
            assert settings.playback_expiry_seconds <= lifetime < settings.playback_expiry_seconds + 60
    finally:
        session.rollback()
        session.close()


def test_a_call_on_a_submission_reads_its_rows_in_one_query(api, ids, db_connection):
    """Assignment, submission and current video come in one SELECT (the traversal's); nothing reads them again."""
    from sqlalchemy import event

    upload_and_confirm(api, ids)
    selects = []

    def record(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and "rate_limit_counters" not in statement:
            selects.append(statement)

    event.listen(db_connection, "before_cursor_execute", record)  # the app's every query goes through it
    try:
        answer = api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids))
    finally:
        event.remove(db_connection, "before_cursor_execute", record)
    assert answer.status_int == 200
    assert len(selects) == 1, selects
    assert all(table in selects[0] for table in ("assignments", "submissions", "videos"))


# -- security ---------------------------------------------------------------------------


def test_missing_signature_is_401(testapp, ids, registry):
    answer = testapp.get(sub_path(ids), expect_errors=True)
    assert answer.status_int == 401 and answer.json["code"] == "bad_signature"
    assert events(registry, event_type="auth_rejected")


def test_bad_signature_is_401(testapp, ids):
    api = SignedApp(testapp, secret="wrong-secret-0123456789abcdef")
    answer = request_upload(api, ids)
    assert answer.status_int == 401 and answer.json["code"] == "bad_signature"


def test_unknown_key_is_401(testapp, ids):
    api = SignedApp(testapp, key_id="nobody", secret="whatever-0123456789abcdef")
    assert request_upload(api, ids).json["code"] == "unknown_key"


def test_rotated_key_is_accepted(testapp, ids):
    api = SignedApp(testapp, key_id=OTHER_KEY_ID, secret=OTHER_SECRET)
    assert request_upload(api, ids).status_int == 201


@pytest.mark.parametrize("skew", [-400, 400])
def test_stale_and_future_dates_are_401(api, ids, skew):
    import time

    answer = api.get(sub_path(ids), as_actor=student(ids), date=int(time.time()) + skew)
    assert answer.status_int == 401 and answer.json["code"] == "stale_date"


@pytest.mark.committed  # the nonce commits on a connection of its own: it outlives the refused request's rollback
def test_replayed_nonce_is_401(committed_api, ids):
    api = committed_api
    first = api.get(sub_path(ids), as_actor=student(ids), nonce="replay-nonce-" + str(ids.submission))
    assert first.status_int == 404
    again = api.get(sub_path(ids), as_actor=student(ids), nonce="replay-nonce-" + str(ids.submission))
    assert again.status_int == 401 and again.json["code"] == "replayed_nonce"


def test_bad_actor_is_401(api, ids):
    answer = api.get(sub_path(ids), as_actor='{"user":"me","roles":["student"],"course":1}')
    assert answer.status_int == 401 and answer.json["code"] == "bad_actor"


def test_another_student_cannot_touch_a_submission(api, ids, registry):
    upload_and_confirm(api, ids)
    other = student(ids, user=ids.other_student)
    assert api.get(sub_path(ids), as_actor=other).status_int == 403
    assert api.get(sub_path(ids, suffix="/playback-url"), as_actor=other).status_int == 403
    assert request_upload(api, ids, who=other).status_int == 403
    assert api.delete(sub_path(ids), as_actor=other).status_int == 403
    assert events(registry, event_type="access_denied")


def test_a_grader_of_another_course_is_refused(api, ids):
    upload_and_confirm(api, ids)
    stranger = actor(ids.teacher, "grader", course=ids.other_course)
    assert api.get(sub_path(ids, suffix="/playback-url"), as_actor=stranger).status_int == 403


def test_a_student_of_another_course_cannot_claim_the_assignment(api, ids):
    upload_and_confirm(api, ids)
    other_course = student(ids, user=ids.other_student, course=ids.other_course)
    answer = api.post(
        sub_path(ids, submission=ids.other_submission, suffix="/upload-url"),
        {"filename": "a.mp4", "size": 10, "mime_type": "video/mp4"},
        as_actor=other_course,
    )
    assert answer.status_int == 403


def test_graders_cannot_upload_or_delete(api, ids):
    upload_and_confirm(api, ids)
    grader = actor(ids.teacher, "grader", course=ids.course)
    assert request_upload(api, ids, who=grader).status_int == 403
    assert api.delete(sub_path(ids), as_actor=grader).status_int == 403


def test_admin_may_do_anything_and_delete_an_assignment(api, ids, registry):
    upload = upload_and_confirm(api, ids)
    admin = actor(ids.admin, "admin", course=1)
    assert api.get(sub_path(ids, suffix="/playback-url"), as_actor=admin).status_int == 200
    answer = api.delete(f"/assignments/{ids.assignment}", as_actor=admin)
    assert answer.status_int == 202 and answer.json["scheduled"] == 1
    assert video_row(registry, upload["s3_key"]).upload_status == "deleting"
    assert api.delete(f"/assignments/{ids.assignment}", as_actor=student(ids)).status_int == 403
    assert api.delete(f"/assignments/{ids.assignment + 999}", as_actor=admin).status_int == 404


def test_delete_then_play_is_404_and_confirm_is_409(api, ids):
    upload = upload_and_confirm(api, ids)
    api.delete(sub_path(ids), as_actor=student(ids))
    assert api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).status_int == 404
    again = api.post(sub_path(ids, suffix="/confirm"), {"s3_key": upload["s3_key"]}, as_actor=student(ids))
    assert again.status_int == 409


def test_health_and_openapi_need_no_signature(testapp):
    health = testapp.get("/health").json
    stores = ("database", "schema", "nonce_store", "rate_limit_store", "queue", "storage")
    assert health == {"status": "ok", **dict.fromkeys(stores, "ok"), "version": health["version"]}
    spec = testapp.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/assignments/{assignment}/submissions/{submission}/confirm" in spec["paths"]


def test_edge_refuses_tampered_and_unsigned_urls(api, ids, testapp):
    upload_and_confirm(api, ids)
    url = api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).json["url"]
    path = url.replace("http://localhost", "")
    assert testapp.get(path.split("?")[0], expect_errors=True).status_int == 403
    assert testapp.get(path.replace("Signature=", "Signature=AA"), expect_errors=True).status_int == 403
    ranged = testapp.get(path, headers={"Range": "bytes=100-199"})
    assert ranged.status_int == 206 and ranged.body == MP4[100:200]
    assert ranged.headers["Content-Range"] == f"bytes 100-199/{len(MP4)}"
