"""Inputs no JSON schema describes, found while fuzzing: each must be a 4xx, never a 500.

- a lone surrogate escaped in JSON (``"\\ud800"``) is valid JSON but not Unicode text: no
  database column or S3 key can hold it; nor can PostgreSQL hold a NUL (``"\\u0000"``), in a
  body or in a path;
- a percent-encoded path that is not UTF-8 (``%FF``);
- a Unicode digit that ``int()`` refuses (``"²"``) as a checksum key or a path id;
- a method the resource has no view for: 405 with ``Allow``, not 404.
"""

from __future__ import annotations

import json

import pytest
import requests

from s3video_sidecar.sdk import signing
from tests.support.signed_app import KEY_ID, SECRET, actor


def student(ids):
    return actor(ids.student, "student", course=ids.course)


def raw_post(rapi, path, body_text, who):
    headers = signing.sign_headers(KEY_ID, SECRET, "POST", path, "", who, body_text.encode())
    return rapi.testapp.post(path, body_text, headers=headers, content_type="application/json", expect_errors=True)


@pytest.mark.parametrize(
    "field, body",
    [
        ("filename", '{"filename": "a\\ud8cfb.mp4", "size": 100, "mime_type": "video/mp4"}'),
        ("mime_type", '{"filename": "a.mp4", "size": 100, "mime_type": "video/mp4\\udc00"}'),
        ("filename", '{"filename": "a\\u0000.mp4", "size": 100, "mime_type": "video/mp4"}'),
    ],
)
def test_lone_surrogates_are_refused_as_invalid_fields(rapi, ids, field, body):
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission}/upload-url"
    response = raw_post(rapi, path, body, student(ids))
    assert response.status_int == 400, response.text
    assert field in response.json["fields"]


@pytest.mark.parametrize("key", ["videos/\\ud800", "videos/\\u0000"])
def test_a_confirm_key_no_database_can_hold_is_refused(rapi, ids, key):
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission}/upload-url"
    assert (
        rapi.post(path, {"filename": "a.mp4", "size": 10, "mime_type": "video/mp4"}, as_actor=student(ids)).status_int
        == 201
    )
    confirm = f"/assignments/{ids.assignment}/submissions/{ids.submission}/confirm"
    response = raw_post(rapi, confirm, f'{{"s3_key": "{key}"}}', student(ids))
    assert response.status_int == 400, response.text


def test_integral_floats_are_integers_as_json_schema_says(rapi, ids):
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission}/upload-url"
    response = raw_post(rapi, path, '{"filename": "a.mp4", "size": 100.0, "mime_type": "video/mp4"}', student(ids))
    assert response.status_int == 201, response.text
    response = raw_post(rapi, path, '{"filename": "a.mp4", "size": 100.5, "mime_type": "video/mp4"}', student(ids))
    assert response.status_int == 400 and "size" in response.json["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/assignments/1/submissions/2/multipart/%FF%FE",
        "/assignments/%FF",
        "/assignments/1/submissions/%C0%AF",
        "/%FF",
        "/health%FF",
    ],
)
def test_paths_that_are_not_utf8_are_404(reliable_live, ids, path):
    headers = signing.sign_headers(KEY_ID, SECRET, "GET", path, "", student(ids), b"")
    response = requests.get(reliable_live.url + path, headers=headers, timeout=10)
    assert response.status_code == 404
    assert "not valid UTF-8" in response.json()["error"]


def test_an_upload_id_with_nul_names_nothing(reliable_live, ids):
    path = f"/assignments/{ids.assignment}/submissions/{ids.submission}/multipart/abc%00def"
    headers = signing.sign_headers(KEY_ID, SECRET, "GET", path, "", student(ids), b"")
    assert requests.get(reliable_live.url + path, headers=headers, timeout=10).status_code == 404


@pytest.mark.parametrize("path", ["/assignments/%C2%B3/submissions/1", "/assignments/1/submissions/%D9%A1%D9%A2"])
def test_unicode_digits_in_path_ids_name_nothing(reliable_live, ids, path):
    headers = signing.sign_headers(KEY_ID, SECRET, "GET", path, "", student(ids), b"")
    assert requests.get(reliable_live.url + path, headers=headers, timeout=10).status_code == 404


def test_unicode_digits_as_checksum_part_numbers_are_400(rapi, ids):
    start = f"/assignments/{ids.assignment}/submissions/{ids.submission}/multipart"
    started = rapi.post(
        start, {"filename": "big.mp4", "size": 6 * 1024**2, "mime_type": "video/mp4"}, as_actor=student(ids)
    )
    assert started.status_int == 201, started.text
    parts = f"{start}/{started.json['upload_id']}/parts"
    body = json.dumps({"part_numbers": [1], "checksums": {"\u00b2": "A" * 43 + "="}})
    response = raw_post(rapi, parts, body, student(ids))
    assert response.status_int == 400, response.text


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("PUT", "/health", "GET, HEAD"),
        ("TRACE", "/assignments/1/submissions/2", "DELETE, GET, HEAD"),
        ("GET", "/assignments/1/submissions/2/upload-url", "POST"),
    ],
)
def test_a_method_no_view_takes_is_405_with_allow(reliable_live, ids, method, path, allowed):
    headers = signing.sign_headers(KEY_ID, SECRET, method, path, "", student(ids), b"")
    response = requests.request(method, reliable_live.url + path, headers=headers, timeout=10)
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == allowed
    assert response.json()["error"].startswith(f"{method} is not allowed here")
