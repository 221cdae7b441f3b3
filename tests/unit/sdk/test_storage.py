"""S3Storage against the embedded S3 stand-in over HTTP."""

import base64
import hashlib
import json

import pytest
import requests

from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY, EmbeddedS3, ensure_bucket
from s3video_sidecar.sdk.errors import Conflict
from s3video_sidecar.sdk.storage import S3Storage, make_s3_client

KEY = "videos/7/1700000000_0123456789abcdef/talk.mp4"


@pytest.fixture(scope="module")
def storage():
    server = EmbeddedS3("http://127.0.0.1:0").start()
    client = make_s3_client(
        "us-east-1", server.endpoint_url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY
    )
    ensure_bucket(client, "storage-test", ("http://localhost",))
    yield S3Storage(client, "storage-test")
    server.stop()


def test_client_signs_with_sigv4_and_retries_in_standard_mode(storage):
    config = storage.client.meta.config
    assert config.signature_version == "s3v4"
    assert config.retries["mode"] == "standard"
    assert config.s3["addressing_style"] == "path"


def test_post_policy_binds_exact_key_type_size_and_short_expiry(storage):
    post = storage.presigned_post(KEY, "video/mp4", 1000, expiry_seconds=900)
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": KEY} in conditions
    assert {"bucket": "storage-test"} in conditions
    assert {"Content-Type": "video/mp4"} in conditions
    assert ["content-length-range", 1000, 1000] in conditions  # exactly the declared size
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    assert not any("acl" in json.dumps(c).lower() for c in conditions)
    assert "acl" not in {name.lower() for name in post.fields}
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert policy["expiration"].endswith("Z")


def test_wildcard_keys_are_refused(storage):
    with pytest.raises(ValueError):
        storage.presigned_post("videos/7/${filename}", "video/mp4", 10, 60)


def _post(post, content, content_type="video/mp4", **field_changes):
    fields = dict(post.fields, **field_changes)
    return requests.post(post.url, data=fields, files={"file": ("f", content, content_type)}, timeout=10)


def test_stand_in_accepts_a_valid_post_and_head_sees_it(storage):
    post = storage.presigned_post(KEY, "video/mp4", 100, 60)
    assert _post(post, b"x" * 100).status_code == 204
    info = storage.head(KEY)
    assert (info.size_bytes, info.content_type) == (100, "video/mp4")
    assert storage.read(KEY, "bytes=10-19")["Body"].read() == b"x" * 10


@pytest.mark.parametrize(
    "changes, content, status, code",
    [
        ({}, b"x" * 1001, 400, "EntityTooLarge"),
        ({}, b"x" * 999, 400, "EntityTooSmall"),
        ({"key": "videos/8/1_0123456789abcdef/other.mp4"}, b"x" * 1000, 403, "AccessDenied"),
        ({"Content-Type": "text/html"}, b"x" * 1000, 403, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, b"x" * 1000, 403, "SignatureDoesNotMatch"),
        ({"acl": "public-read"}, b"x" * 1000, 403, "AccessDenied"),
    ],
)
def test_stand_in_refuses_what_s3_refuses(storage, changes, content, status, code):
    key = "videos/7/1700000001_0123456789abcdef/refused.mp4"
    post = storage.presigned_post(key, "video/mp4", 1000, 60)
    answer = _post(post, content, **changes)
    assert answer.status_code == status
    assert f"<Code>{code}</Code>" in answer.text
    assert storage.head(key) is None and storage.head(changes.get("key", key)) is None


def test_stand_in_refuses_an_expired_policy(storage, monkeypatch):
    import time

    from s3video_sidecar.sdk import embedded_s3

    key = "videos/7/1700000002_0123456789abcdef/late.mp4"
    post = storage.presigned_post(key, "video/mp4", 1000, 60)
    real = time.time
    monkeypatch.setattr(embedded_s3.time, "time", lambda: real() + 120)
    answer = _post(post, b"x" * 1000)
    assert answer.status_code == 403 and "Policy expired" in answer.text
    monkeypatch.setattr(embedded_s3.time, "time", real)
    assert storage.head(key) is None


def test_multipart_with_signed_checksums(storage):
    key = "videos/7/1700000003_0123456789abcdef/big.mp4"
    upload_id = storage.create_multipart_upload(key, "video/mp4", checksum_algorithm="SHA256")
    part = b"p" * (5 * 1024 * 1024)
    digest = base64.b64encode(hashlib.sha256(part).digest()).decode()
    url = storage.presigned_part_url(key, upload_id, 1, 60, digest)
    bad = requests.put(url, data=b"q" + part[1:], headers={"x-amz-checksum-sha256": digest}, timeout=10)
    assert bad.status_code == 400 and "BadDigest" in bad.text
    good = requests.put(url, data=part, headers={"x-amz-checksum-sha256": digest}, timeout=10)
    assert good.status_code == 200 and good.headers["ETag"]
    last = storage.presigned_part_url(key, upload_id, 2, 60)
    etag2 = requests.put(last, data=b"tail", timeout=10).headers["ETag"]
    listed = storage.list_parts(key, upload_id)
    assert [(p.part_number, p.etag) for p in listed] == [(1, good.headers["ETag"]), (2, etag2)]
    storage.complete_multipart_upload(key, upload_id, listed)
    info = storage.head(key)
    assert info.size_bytes == len(part) + 4
    assert info.checksum_sha256  # the stand-in reports a whole-object SHA-256, recorded on confirm


def test_delete_many_batches_by_1000_and_tolerates_missing_keys(storage):
    calls = []
    storage.client.meta.events.register("before-call.s3.DeleteObjects", lambda **kw: calls.append(1))
    keys = [f"videos/9/{i}_0123456789abcdef/x.mp4" for i in range(2500)]
    deleted, failed = storage.delete_many(keys + keys[:10])
    assert len(calls) == 3
    assert len(deleted) == 2500 and failed == {}


def test_unreachable_storage_is_unavailable():
    from s3video_sidecar.sdk.errors import Unavailable

    client = make_s3_client("us-east-1", "http://127.0.0.1:9", aws_access_key_id="a", aws_secret_access_key="b")
    with pytest.raises(Unavailable):
        S3Storage(client, "nowhere").head("videos/x")


def test_copy_copies_only_the_checked_version_and_computes_its_sha256(storage):
    source, target = "uploads/7/1700000004_0123456789abcdef/a.mp4", "videos/7/1700000004_0123456789abcdef/a.mp4"
    data = b"\x00\x00\x00\x18ftypisom" + b"c" * 500
    storage.client.put_object(Bucket=storage.bucket, Key=source, Body=data, ContentType="video/mp4")
    checked = storage.head(source)
    storage.client.put_object(Bucket=storage.bucket, Key=source, Body=b"swapped" + data[7:], ContentType="video/mp4")
    with pytest.raises(Conflict):  # 412 PreconditionFailed: the source changed since it was checked
        storage.copy(source, target, if_match_etag=checked.etag)
    assert storage.head(target) is None
    storage.client.put_object(Bucket=storage.bucket, Key=source, Body=data, ContentType="video/mp4")
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert storage.copy(source, target, if_match_etag=storage.head(source).etag) == digest
    copied = storage.head(target)
    assert (copied.size_bytes, copied.content_type, copied.checksum_sha256) == (len(data), "video/mp4", digest)
    assert storage.read_head(target, 12) == data[:12]
    assert storage.read_head(target, 10_000) == data  # a range past the end: what there is


def test_a_part_sent_after_complete_is_refused_with_no_such_upload(storage):
    key = "videos/7/1700000005_0123456789abcdef/done.mp4"
    upload_id = storage.create_multipart_upload(key, "video/mp4", checksum_algorithm="SHA256")
    url = storage.presigned_part_url(key, upload_id, 1, 60)
    assert requests.put(url, data=b"only part", timeout=10).status_code == 200
    storage.complete_multipart_upload(key, upload_id, storage.list_parts(key, upload_id))
    late = requests.put(url, data=b"other bytes", timeout=10)
    assert late.status_code == 404 and "<Code>NoSuchUpload</Code>" in late.text
    assert storage.read(key)["Body"].read() == b"only part"
    composite = storage.head(key).checksum_sha256
    inner = hashlib.sha256(hashlib.sha256(b"only part").digest()).digest()
    assert composite == base64.b64encode(inner).decode() + "-1"  # S3's composite form, -N kept
