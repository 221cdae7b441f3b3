"""The few API flows the reliability tests repeat: upload, post to S3, confirm, multipart."""

from __future__ import annotations

import requests

from tests.functional.test_api import video_row  # noqa: F401  (one way to read a row; re-exported)
from tests.support.signed_app import actor
from tests.support.videos import mp4_bytes

MP4 = mp4_bytes(3024, b"r")


def student(ids, user=None):
    return actor(user or ids.student, "student", course=ids.course)


def admin(ids):
    return actor(ids.admin, "admin", course=ids.course)


def sub_path(ids, suffix="", submission=None):
    return f"/assignments/{ids.assignment}/submissions/{submission or ids.submission}{suffix}"


def request_upload(api, ids, content=MP4, status=201):
    response = api.post(
        sub_path(ids, "/upload-url"),
        {"filename": "talk.mp4", "size": len(content), "mime_type": "video/mp4"},
        as_actor=student(ids),
    )
    assert response.status_int == status, response.text
    return response.json


def post_to_s3(upload, content=MP4):
    fields = upload["upload"]["fields"]
    response = requests.post(
        upload["upload"]["url"], data=fields, files={"file": ("talk.mp4", content, fields["Content-Type"])}, timeout=30
    )
    assert response.status_code == 204, response.text
    return response


def confirm(api, ids, s3_key):
    return api.post(sub_path(ids, "/confirm"), {"s3_key": s3_key}, as_actor=student(ids))


def uploaded(api, ids, content=MP4):
    """An upload issued and its bytes in S3, not yet confirmed."""
    upload = request_upload(api, ids, content)
    post_to_s3(upload, content)
    return upload


def confirmed(api, ids, content=MP4):
    upload = uploaded(api, ids, content)
    response = confirm(api, ids, upload["s3_key"])
    assert response.status_int == 200, response.text
    return upload


def start_multipart(api, ids, size):
    response = api.post(
        sub_path(ids, "/multipart"),
        {"filename": "big.mp4", "size": size, "mime_type": "video/mp4"},
        as_actor=student(ids),
    )
    assert response.status_int == 201, response.text
    return response.json


def put_parts(api, ids, started, data, numbers=None):
    numbers = numbers or list(range(1, started["part_count"] + 1))
    signed = api.post(
        sub_path(ids, f"/multipart/{started['upload_id']}/parts"), {"part_numbers": numbers}, as_actor=student(ids)
    )
    assert signed.status_int == 200, signed.text
    size, parts = started["part_size"], []
    for part in signed.json["parts"]:
        number = part["part_number"]
        answer = requests.put(part["url"], data=data[(number - 1) * size : number * size], timeout=30)
        assert answer.status_code == 200, answer.text
        parts.append({"part_number": number, "etag": answer.headers["ETag"]})
    return parts
