"""Issue 12, items 5-11: what an attacker tried from outside is refused, or holds.

Each runs on SQLite, and on PostgreSQL and MariaDB where the environment names them
(through the ``backend`` behind ``api``/``registry``).
"""

from __future__ import annotations

import configparser
import io
import json
import pathlib

import colander
import pytest
import webtest
from sqlalchemy import delete, func, select

from s3video_sidecar import schemas
from s3video_sidecar.models import Event, Video
from s3video_sidecar.sdk import signing
from s3video_sidecar.sdk.bounded import MAX_CONTEXT_CHARS
from s3video_sidecar.services import parts_of
from tests.functional.test_api import MP4, events, request_upload, student, sub_path, upload_and_confirm, video_row
from tests.support.apps import build_app
from tests.support.signed_app import KEY_ID, SECRET, actor

ROOT = pathlib.Path(__file__).resolve().parents[2]


def signed_raw(testapp, method, path, who, data: bytes, query=""):
    """A signed request with exactly these body bytes (SignedApp would re-encode a body)."""
    headers = signing.sign_headers(KEY_ID, SECRET, method, path, query, who, data)
    return testapp.request(
        path + (f"?{query}" if query else ""),
        method=method,
        body=data,
        headers=headers,
        content_type="application/json",
        expect_errors=True,
    )


def admin(ids):
    return actor(ids.admin, "admin", course=ids.course)


# -- 8. duplicate keys --------------------------------------------------------------------------


def test_a_duplicate_key_in_the_actor_header_is_bad_actor(api, ids):
    # last-one-wins would read this student as an admin
    header = f'{{"user":{ids.student},"roles":["student"],"course":{ids.course},"roles":["admin"]}}'
    answer = api.get("/admin/stats", as_actor=header)
    assert answer.status_int == 401 and answer.json["code"] == "bad_actor"
    assert "more than once" in answer.json["error"]


def test_a_duplicate_key_in_a_signed_body_is_refused(testapp, ids):
    body = b'{"filename":"a.mp4","size":1000,"mime_type":"video/mp4","size":2000}'
    answer = signed_raw(testapp, "POST", sub_path(ids, suffix="/upload-url"), student(ids), body)
    assert answer.status_int == 400 and "more than once" in answer.json["fields"]["body"]


# -- 7. no 500s ---------------------------------------------------------------------------------

DEEP = b"[" * 50_000 + b"]" * 50_000


def test_json_nested_50000_deep_in_a_signed_body_is_400(testapp, ids):
    answer = signed_raw(testapp, "POST", sub_path(ids, suffix="/upload-url"), student(ids), DEEP)
    assert answer.status_int == 400 and "nested too deeply" in answer.json["fields"]["body"]
    nested_value = b'{"filename":' + DEEP + b',"size":1,"mime_type":"video/mp4"}'
    answer = signed_raw(testapp, "POST", sub_path(ids, suffix="/upload-url"), student(ids), nested_value)
    assert answer.status_int == 400


@pytest.fixture(scope="module")
def demo_app(app_settings):
    """The development page's signer: it writes nothing."""
    return webtest.TestApp(build_app(app_settings, **{"s3video.development.demo": "true"}))


@pytest.mark.parametrize(
    "body, detail",
    [
        (DEEP, "nested too deeply"),
        (
            b'{"actor":{"user":1,"roles":["student"],"course":1},"method":"GET","path":"/x","method":"POST"}',
            "more than once",
        ),
        (
            b'{"actor":{"user":1,"roles":["student"],"course":1,"roles":["admin"]},"method":"GET","path":"/x"}',
            "more than once",
        ),
    ],
)
def test_demo_sign_refuses_deep_and_ambiguous_json(demo_app, body, detail):
    answer = demo_app.post("/demo/sign", body, content_type="application/json", expect_errors=True)
    assert answer.status_int == 400 and detail in answer.json["fields"]["body"]


@pytest.mark.parametrize(
    "path, name",
    [
        ("/admin/videos", "min_size"),
        ("/admin/videos", "max_size"),
        ("/admin/videos", "from"),
        ("/admin/videos", "to"),
        ("/admin/events", "since"),
        ("/admin/events", "until"),
    ],
)
@pytest.mark.parametrize("value", [str(2**63), "9" * 19, "9" * 40])
def test_admin_numbers_beyond_64_bits_are_400_naming_the_parameter(api, ids, path, name, value):
    answer = api.get(path, query=f"{name}={value}", as_actor=admin(ids))
    assert answer.status_int == 400, answer.text
    assert list(answer.json["fields"]) == [name]


def test_admin_numbers_up_to_64_bits_are_accepted(api, ids):
    top = str(2**63 - 1)
    assert api.get("/admin/videos", query=f"min_size={top}&max_size={top}", as_actor=admin(ids)).status_int == 200
    assert api.get("/admin/events", query="since=99999999999&until=99999999999", as_actor=admin(ids)).status_int == 200


def test_openapi_bounds_what_the_server_bounds(testapp, app_settings):
    spec = testapp.get("/openapi.json").json
    upload = spec["paths"]["/assignments/{assignment}/submissions/{submission}/upload-url"]["post"]
    size = upload["requestBody"]["content"]["application/json"]["schema"]["properties"]["size"]
    assert size["maximum"] == int(app_settings["s3video.max_upload_bytes"])
    complete = spec["paths"]["/assignments/{assignment}/submissions/{submission}/multipart/{upload_id}/complete"]
    parts = complete["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["parts"]
    assert parts["maxItems"] == 10_000 and parts["items"]["properties"]["part_number"]["maximum"] == 10_000
    search = {p["name"]: p["schema"] for p in spec["paths"]["/admin/videos"]["get"]["parameters"]}
    assert search["min_size"]["maximum"] == search["max_size"]["maximum"] == 2**63 - 1


# -- 5. bodies: refused on the headers first, capped at what the API needs ----------------------


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    read_from = False

    def readable(self):
        return True

    def readinto(self, buffer):
        Untouchable.read_from = True
        raise AssertionError("the body was read")


def _call_without_reading(wsgi_app, path, headers, length=48 * 1024 * 1024):
    Untouchable.read_from = False
    environ = webtest.TestRequest.blank(path, method="POST", headers=headers).environ
    environ.update({"wsgi.input": Untouchable(), "CONTENT_LENGTH": str(length), "CONTENT_TYPE": "application/json"})
    status = []
    body = b"".join(wsgi_app(environ, lambda line, _headers, exc_info=None: status.append(line)))
    return int(status[0].split()[0]), json.loads(body), Untouchable.read_from


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "bad_signature"),
        ({"Authorization": "S3V1-HMAC-SHA256 KeyId=nobody, Signature=" + "0" * 64}, "unknown_key"),
        ({signing.HEADER_DATE: "1"}, "stale_date"),
        ({signing.HEADER_NONCE: "bad nonce!"}, "bad_signature"),
        ({signing.HEADER_ACTOR: '{"user":1,"roles":["student"],"course":9,"user":2}'}, "bad_actor"),
    ],
)
def test_unsigned_and_ill_signed_requests_are_refused_before_the_body_is_read(wsgi_app, ids, headers, code):
    path = sub_path(ids, suffix="/upload-url")
    signed = signing.sign_headers(KEY_ID, SECRET, "POST", path, "", student(ids), b"{}")
    sent = {**signed, **headers} if headers else {}
    status, answer, read = _call_without_reading(wsgi_app, path, sent)
    assert (status, answer["code"], read) == (401, code, False)


def test_a_signed_body_over_the_cap_is_413_unread(wsgi_app, ids):
    path = sub_path(ids, suffix="/upload-url")
    headers = signing.sign_headers(KEY_ID, SECRET, "POST", path, "", student(ids), b"{}")
    status, answer, read = _call_without_reading(wsgi_app, path, headers, length=schemas.MAX_BODY_BYTES + 1)
    assert (status, answer["code"], read) == (413, "too_large", False)


def _largest_value(node):
    """The largest value a schema node accepts, from its Range / Length / pattern bounds."""
    validators = getattr(node.validator, "validators", [node.validator])
    for validator in validators:
        if isinstance(validator, colander.Range):
            return validator.max
        if isinstance(validator, colander.Length):
            return '"' * validator.max
    if node.name == "etag":
        return '"' * schemas.MAX_ETAG_CHARS
    raise AssertionError(f"no bound known for {node.name}: say what its largest value is here and in the cap")


def test_the_cap_is_the_largest_valid_request_and_the_servers_agree():
    part = {child.name: _largest_value(child) for child in schemas.CompletedPart().children}
    largest = json.dumps({"parts": [part] * schemas.MAX_PARTS}).encode()
    assert schemas.CompleteRequest().deserialize(json.loads(largest))  # valid
    assert len(largest) <= schemas.MAX_BODY_BYTES < len(largest) + 2**20
    for ini in ("development.ini", "production.ini"):
        config = configparser.ConfigParser(interpolation=None)
        config.read(ROOT / ini)
        assert int(config["server:main"]["max_request_body_size"]) == schemas.MAX_BODY_BYTES, ini


def test_a_complete_call_with_10000_parts_is_not_too_large(testapp, api, ids):
    started = api.post(
        sub_path(ids, suffix="/multipart"),
        {"filename": "big.mp4", "size": 6 * 1024**2, "mime_type": "video/mp4"},
        as_actor=student(ids),
    ).json
    parts = [{"part_number": n, "etag": '"' + "a" * 126 + '"'} for n in range(1, 10_001)]
    body = json.dumps({"parts": parts}).encode()
    assert len(body) > 1024**2  # the old cap (256 KiB) refused this with 413
    answer = signed_raw(
        testapp, "POST", sub_path(ids, suffix=f"/multipart/{started['upload_id']}/complete"), student(ids), body
    )
    # S3 holds none of these parts: a clear refusal about the parts, not about the size of the call
    assert answer.status_int in (400, 409), answer.text
    assert answer.json.get("code") != "too_large"


# -- 6. every stored field bounded, refusals counted per address -------------------------------


def test_a_200_kb_path_makes_a_bounded_event(testapp, registry, ids):
    long_path = sub_path(ids, suffix="/playback-url/") + "x" * 200_000  # the view's subpath: found, then 401
    answer = testapp.get(long_path, expect_errors=True, extra_environ={"REMOTE_ADDR": "198.51.100.6"})
    assert answer.status_int == 401
    signed = signing.sign_headers(KEY_ID, SECRET, "GET", long_path, "", student(ids), b"")
    signed[signing.HEADER_NONCE] = "n" * 64  # ill-signed: the signature no longer matches
    assert testapp.get(long_path, headers=signed, expect_errors=True).status_int == 401
    refused = [
        e for e in events(registry, event_type="auth_rejected") if str(ids.assignment) in (e.error_context or "")
    ]
    assert refused
    for event in refused:
        assert len(event.error_context) <= MAX_CONTEXT_CHARS
        context = json.loads(event.error_context)  # still JSON
        assert context["path"].endswith("characters, cut]") and len(context["path"]) <= 500


def test_a_flood_of_refusals_from_one_address_writes_a_bounded_number_of_events(testapp, registry, ids):
    from s3video_sidecar.views.errors import REFUSALS_LOGGED_PER_ADDRESS

    address = f"192.0.2.{ids.assignment % 250 + 1}"
    first = _last_event_id(registry)
    flood = 4 * REFUSALS_LOGGED_PER_ADDRESS
    for n in range(flood):
        answer = testapp.get(
            sub_path(ids, suffix=f"?n={n}"), expect_errors=True, extra_environ={"REMOTE_ADDR": address}
        )
        assert answer.status_int == 401
    written = [e for e in _events_after(registry, first) if e.user_id is None]
    refused = [e for e in written if e.event_type == "auth_rejected"]
    suppressed = [e for e in written if e.event_type == "refusals_suppressed" and address in e.error_context]
    # the flood may straddle one window's end: at most two windows' budgets
    assert REFUSALS_LOGGED_PER_ADDRESS <= len(refused) <= 2 * REFUSALS_LOGGED_PER_ADDRESS < flood
    assert 1 <= len(suppressed) <= 2
    # another address still has its own budget
    testapp.get(sub_path(ids), expect_errors=True, extra_environ={"REMOTE_ADDR": "198.51.100.77"})
    assert len([e for e in _events_after(registry, first) if e.event_type == "auth_rejected"]) == len(refused) + 1


def test_signed_callers_refusals_are_all_logged(api, registry, ids):
    first = _last_event_id(registry)
    for _ in range(5):
        assert api.get(sub_path(ids), as_actor=student(ids, user=ids.other_student)).status_int in (403, 404)
    assert len(_events_after(registry, first)) >= 5


def _last_event_id(registry):
    session = parts_of(registry).session_factory()
    try:
        return session.scalar(select(func.max(Event.id))) or 0
    finally:
        session.close()


def _events_after(registry, first):
    session = parts_of(registry).session_factory()
    try:
        return list(session.scalars(select(Event).where(Event.id > first).order_by(Event.id)))
    finally:
        session.close()


# -- 9. the local edge ------------------------------------------------------------------------


def test_the_edge_serves_the_confirmed_type_with_nosniff(api, testapp, registry, ids):
    upload = upload_and_confirm(api, ids)
    # the object's own type changed behind the sidecar's back (as an attacker's re-upload would)
    storage = parts_of(registry).storage
    storage.client.put_object(Bucket=storage.bucket, Key=upload["s3_key"], Body=MP4, ContentType="text/html")
    url = api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).json["url"]
    answer = testapp.get(url.replace("http://localhost", ""))
    assert answer.status_int == 200 and answer.content_type == "video/mp4"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("unit", ["items=0-1", "lines=0-1", "Bytes2=0-1"])
def test_the_edge_ignores_range_units_other_than_bytes(api, testapp, ids, unit):
    upload_and_confirm(api, ids)
    url = api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids)).json["url"]
    answer = testapp.get(url.replace("http://localhost", ""), headers={"Range": unit})
    assert answer.status_int == 200 and answer.body == MP4 and "Content-Range" not in answer.headers
    ranged = testapp.get(url.replace("http://localhost", ""), headers={"Range": "BYTES=0-1"})  # units: any case
    assert ranged.status_int == 206 and ranged.body == MP4[:2]


# -- 10. the extension survives the sanitiser -----------------------------------------------------


def test_an_emoji_filename_keeps_its_extension(api, ids):
    upload = request_upload(api, ids, filename="😀.mp4").json
    assert upload["s3_key"].endswith("/video.mp4")


# -- 11. ids are never reused -----------------------------------------------------------------


def test_ids_are_never_reused_after_a_privacy_erase_deletes_the_newest_video(api, registry, ids):
    from tests.functional.test_privacy import run_purge_job

    upload = upload_and_confirm(api, ids)
    erased = video_row(registry, upload["s3_key"]).id
    admin_actor = actor(ids.admin, "admin", course=ids.course)
    assert api.delete(f"/privacy/users/{ids.student}", as_actor=admin_actor).status_int == 202
    run_purge_job(registry)
    session = parts_of(registry).session_factory()
    try:
        assert session.get(Video, erased) is None  # the row is gone: the newest id is free again
    finally:
        session.close()
    again = api.post(
        sub_path(ids, submission=ids.other_submission, suffix="/upload-url"),
        {"filename": "next.mp4", "size": len(MP4), "mime_type": "video/mp4"},
        as_actor=student(ids, user=ids.other_student),
    )
    assert again.status_int == 201, again.text
    assert again.json["video_id"] > erased


def test_event_ids_are_never_reused_after_the_newest_event_is_deleted(api, registry, ids):
    request_upload(api, ids)
    newest = _last_event_id(registry)
    session = parts_of(registry).session_factory()
    try:
        session.execute(delete(Event).where(Event.id == newest))
        session.commit()
    finally:
        session.close()
    request_upload(api, ids)
    assert _last_event_id(registry) > newest
