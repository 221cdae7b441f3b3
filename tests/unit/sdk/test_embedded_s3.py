"""The embedded S3 stand-in answers as S3 does: one table, each row naming the AWS page of S3's answer.

Every row sends one request over HTTP to a stand-in of its own data directory and checks
the status and S3's error code; rows that try to write or delete also check that the
"confirmed video" (``VICTIM``) is still there, byte for byte. The requests are built with
botocore's own signers (``S3SigV4Auth``, ``S3SigV4QueryAuth``, ``AwsChunkedWrapper``), as
boto3 builds them, or by hand where the row is about a malformed request.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum
from urllib3.filepost import encode_multipart_formdata

from s3video_sidecar.sdk import embedded_s3
from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY, EmbeddedS3
from s3video_sidecar.sdk.storage import S3Storage, make_s3_client

BUCKET = "table-test"
MOODLE = "http://moodle.example"
VICTIM = "videos/1/1700000000_0123456789abcdef/confirmed.mp4"
VICTIM_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"v" * 1000
OWN_KEY = "uploads/2/1700000000_fedcba9876543210/mine.mp4"
PART = b"p" * (5 * 1024 * 1024)

API = "https://docs.aws.amazon.com/AmazonS3/latest/API/"
GUIDE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
POST_OBJECT = API + "RESTObjectPOST.html"
POST_POLICY = API + "sigv4-HTTPPOSTConstructPolicy.html"
ERRORS = API + "ErrorResponses.html#ErrorCodeList"
HEADER_AUTH = API + "sigv4-auth-using-authorization-header.html"
QUERY_AUTH = API + "sigv4-query-string-auth.html"
STREAMING = API + "sigv4-streaming.html"
TRAILERS = API + "sigv4-streaming-trailers.html"
PREFLIGHT = API + "RESTOPTIONSobject.html"
CORS = API + "API_PutBucketCors.html"
INTEGRITY = GUIDE + "checking-object-integrity.html"


@dataclass
class World:
    url: str
    storage: S3Storage
    server: EmbeddedS3

    @property
    def client(self):
        return self.storage.client

    def object_url(self, key: str) -> str:
        return f"{self.url}/{BUCKET}/{key}"

    def victim_intact(self) -> bool:
        return self.storage.read(VICTIM)["Body"].read() == VICTIM_BYTES

    def exists(self, key: str) -> bool:
        return self.storage.head(key) is not None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    server = EmbeddedS3("http://127.0.0.1:0", str(tmp_path_factory.mktemp("standin"))).open()
    server.ensure_bucket(BUCKET, (MOODLE,))
    server.start()
    client = make_s3_client(
        "us-east-1", server.endpoint_url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY
    )
    storage = S3Storage(client, BUCKET)
    client.put_object(Bucket=BUCKET, Key=VICTIM, Body=VICTIM_BYTES, ContentType="video/mp4")
    yield World(server.endpoint_url, storage, server)
    server.stop()


# -- request builders ------------------------------------------------------------------------


def signed(
    method: str,
    url: str,
    body: bytes = b"",
    headers=None,
    *,
    send_body: bytes | None = None,
    unsigned_payload=False,
    trailer_checksum=None,
    secret=SECRET_ACCESS_KEY,
    access_key=ACCESS_KEY_ID,
):
    """A request signed in its headers by botocore's S3 signer, as boto3 signs it, then sent."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if unsigned_payload:
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    if trailer_checksum:
        request.context["checksum"] = {
            "request_algorithm": {"in": "trailer", "algorithm": "crc32", "name": "x-amz-checksum-crc32"}
        }
    S3SigV4Auth(Credentials(access_key, secret), "s3", "us-east-1").add_auth(request)
    return requests.request(
        method, url, data=body if send_body is None else send_body, headers=dict(request.headers), timeout=30
    )


def aws_chunked_put(world: World, key: str, data: bytes, claimed_crc32: str | None = None):
    """PutObject as boto3 sends it over HTTPS: aws-chunked body, CRC32 in a trailer, unsigned payload."""
    body = AwsChunkedWrapper(io.BytesIO(data), Crc32Checksum, "x-amz-checksum-crc32", chunk_size=64 * 1024).read()
    if claimed_crc32:
        body = body[: body.rindex(b"x-amz-checksum-crc32:")] + f"x-amz-checksum-crc32:{claimed_crc32}\r\n\r\n".encode()
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Type": "video/mp4",
    }
    return signed("PUT", world.object_url(key), body, headers, trailer_checksum=True)


def form_post(world: World, fields, content_type: str | None = None, query: str = ""):
    """A POST with the form fields exactly as listed (order, case and repeats kept)."""
    body, form_type = encode_multipart_formdata(fields)
    if content_type:
        form_type = form_type.replace("multipart/form-data", content_type)
    return requests.post(f"{world.url}/{BUCKET}{query}", data=body, headers={"Content-Type": form_type}, timeout=30)


def own_post(world: World, key: str = OWN_KEY, size: int = 5):
    """The presigned POST a student gets for their own key (exact key, type and size)."""
    return world.storage.presigned_post(key, "video/mp4", size, 600)


def policy_fields(post) -> list[tuple[str, str]]:
    return list(post.fields.items())


def file_part(data: bytes = b"hello", name: str = "file"):
    return (name, ("video.mp4", data, "video/mp4"))


def presigned(world: World, operation: str, expires: int = 600, **params) -> str:
    return world.client.generate_presigned_url(operation, Params={"Bucket": BUCKET, **params}, ExpiresIn=expires)


def edit_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = [(name, changes.pop(name, value)) for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def boto(call: Callable[[], dict]):
    """(status, code, answer) of a boto3 call."""
    try:
        answer = call()
        return answer["ResponseMetadata"]["HTTPStatusCode"], None, answer
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"], error.response


def multipart(world: World, key: str, parts=(PART, b"tail")) -> str:
    upload_id = world.storage.create_multipart_upload(key, "video/mp4", checksum_algorithm="SHA256")
    for number, data in enumerate(parts, 1):
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        url = world.storage.presigned_part_url(key, upload_id, number, 600, digest)
        assert requests.put(url, data=data, headers={"x-amz-checksum-sha256": digest}, timeout=30).status_code == 200
    return upload_id


# -- the cases ---------------------------------------------------------------------------------


def post_mixed_case_no_credentials(world):
    return form_post(
        world,
        [
            ("key", VICTIM),
            ("Content-Type", "text/html"),
            ("file", ("x.html", b"<script>alert(1)</script>", "text/html")),
        ],
        content_type="Multipart/Form-Data",
    )


def post_mixed_case_valid_policy(world):
    key = "uploads/2/1700000001_fedcba9876543210/case.mp4"
    return form_post(world, [*policy_fields(own_post(world, key)), file_part()], content_type="MULTIPART/FORM-DATA")


def post_duplicate_key_other_case(world):
    post = own_post(world)
    fields = [("key", VICTIM)] + [
        (name.upper() if name == "key" else name, value) for name, value in post.fields.items()
    ]
    return form_post(world, [*fields, file_part()])


def post_duplicate_field_same_case(world):
    post = own_post(world)
    return form_post(world, [*policy_fields(post), ("Content-Type", "video/mp4"), file_part()])


def post_extra_empty_file(world):
    return form_post(world, [*policy_fields(own_post(world)), file_part(b"", name="other"), file_part()])


def post_second_file_after(world):
    return form_post(world, [*policy_fields(own_post(world)), file_part(), file_part(b"")])


def post_no_file(world):
    return form_post(world, policy_fields(own_post(world)))


def post_file_not_last(world):
    fields = policy_fields(own_post(world))
    return form_post(world, [f for f in fields if f[0] != "key"] + [file_part(), ("key", OWN_KEY)])


def post_text_plain_with_key(world):
    return requests.post(
        f"{world.url}/{BUCKET}?key={VICTIM}", data=b"<script>", headers={"Content-Type": "text/plain"}, timeout=30
    )


def post_urlencoded(world):
    return requests.post(f"{world.url}/{BUCKET}", data={"key": VICTIM, "file": "x"}, timeout=30)


def post_too_large(world):
    return form_post(world, [*policy_fields(own_post(world)), file_part(b"123456")])


def post_too_small(world):
    return form_post(world, [*policy_fields(own_post(world)), file_part(b"")])


def post_another_key(world):
    fields = [(n, VICTIM if n == "key" else v) for n, v in policy_fields(own_post(world))]
    return form_post(world, [*fields, file_part()])


def post_expired(world, monkeypatch):
    post = own_post(world)
    real = time.time
    monkeypatch.setattr(embedded_s3.time, "time", lambda: real() + 3600)
    return form_post(world, [*policy_fields(post), file_part()])


def post_valid(world):
    key = "uploads/2/1700000002_fedcba9876543210/valid.mp4"
    return form_post(world, [*policy_fields(own_post(world, key)), file_part()])


def list_unsigned(world):
    return requests.get(f"{world.url}/{BUCKET}?list-type=2", timeout=30)


def get_unsigned(world):
    return requests.get(world.object_url(VICTIM), timeout=30)


def put_unsigned(world):
    return requests.put(world.object_url(VICTIM), data=b"<script>", headers={"Content-Type": "text/html"}, timeout=30)


def delete_unsigned(world):
    return requests.delete(world.object_url(VICTIM), timeout=30)


def delete_garbage_signature(world):
    good = AWSRequest(method="DELETE", url=world.object_url(VICTIM))
    S3SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "s3", "us-east-1").add_auth(good)
    headers = dict(good.headers)
    headers["Authorization"] = headers["Authorization"][:-64] + "0" * 64
    return requests.delete(world.object_url(VICTIM), headers=headers, timeout=30)


def get_malformed_authorization(world):
    return requests.get(world.object_url(VICTIM), headers={"Authorization": "AWS4-HMAC-SHA256 garbage"}, timeout=30)


def get_sigv2(world):
    return requests.get(world.object_url(VICTIM) + "?AWSAccessKeyId=x&Expires=9999999999&Signature=abc", timeout=30)


def put_wrong_secret(world):
    return signed("PUT", world.object_url(VICTIM), b"<script>", secret="not-the-secret")


def put_unknown_key(world):
    return signed("PUT", world.object_url(VICTIM), b"<script>", access_key="AKIAUNKNOWN")


def put_body_not_signed_one(world):
    return signed("PUT", world.object_url(VICTIM), VICTIM_BYTES, send_body=b"X" * len(VICTIM_BYTES))


def put_unsigned_payload(world):
    return signed("PUT", world.object_url("uploads/sdk/unsigned.bin"), b"unsigned payload", unsigned_payload=True)


def put_aws_chunked_trailer(world):
    data = bytes(range(256)) * 1000
    answer = aws_chunked_put(world, "uploads/sdk/chunked.bin", data)
    assert world.storage.read("uploads/sdk/chunked.bin")["Body"].read() == data
    return answer


def put_aws_chunked_bad_trailer(world):
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    return aws_chunked_put(world, "uploads/sdk/chunked-bad.bin", b"abc" * 30000, claimed_crc32=wrong)


def put_checksum_header_mismatch(world):
    claimed = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    return signed("PUT", world.object_url("uploads/sdk/checksum.bin"), b"body", {"x-amz-checksum-sha256": claimed})


def presigned_edited_expires(world):
    return requests.get(
        edit_query(presigned(world, "get_object", 60, Key=VICTIM), **{"X-Amz-Expires": "604800"}), timeout=30
    )


def presigned_expired(world, monkeypatch):
    url = presigned(world, "get_object", 60, Key=VICTIM)
    real = time.time
    monkeypatch.setattr(embedded_s3.time, "time", lambda: real() + 120)
    return requests.get(url, timeout=30)


def presigned_over_a_week(world):
    return requests.get(presigned(world, "get_object", 604801, Key=VICTIM), timeout=30)


def presigned_other_key(world):
    url = presigned(world, "get_object", 60, Key="uploads/2/1700000000_fedcba9876543210/mine.mp4")
    return requests.get(url.replace("uploads/2/1700000000_fedcba9876543210/mine.mp4", VICTIM), timeout=30)


def presigned_delete_used_as_put(world):
    return requests.put(presigned(world, "delete_object", 60, Key=VICTIM), data=b"x", timeout=30)


def presigned_valid_get(world):
    answer = requests.get(presigned(world, "get_object", 60, Key=VICTIM), timeout=30)
    assert answer.content == VICTIM_BYTES
    return answer


def preflight_allowed(world):
    answer = requests.options(
        world.object_url(OWN_KEY),
        headers={
            "Origin": MOODLE,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-amz-checksum-sha256, content-type",
        },
        timeout=30,
    )
    assert answer.headers["Access-Control-Allow-Origin"] == MOODLE
    assert "ETag" in answer.headers["Access-Control-Expose-Headers"]
    return answer


def preflight_other_origin(world):
    answer = requests.options(
        world.object_url(OWN_KEY),
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in answer.headers
    return answer


def preflight_method_not_allowed(world):
    return requests.options(
        world.object_url(OWN_KEY), headers={"Origin": MOODLE, "Access-Control-Request-Method": "DELETE"}, timeout=30
    )


def get_from_other_origin(world):
    answer = requests.get(
        presigned(world, "get_object", 60, Key=VICTIM), headers={"Origin": "http://evil.example"}, timeout=30
    )
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)
    return answer


def get_from_moodle(world):
    answer = requests.get(presigned(world, "get_object", 60, Key=VICTIM), headers={"Origin": MOODLE}, timeout=30)
    assert answer.headers["Access-Control-Allow-Origin"] == MOODLE
    return answer


def refusal_from_moodle_is_readable(world):
    answer = requests.get(world.object_url(VICTIM), headers={"Origin": MOODLE}, timeout=30)
    assert answer.headers["Access-Control-Allow-Origin"] == MOODLE
    return answer


def copy_with_sha256_and_if_match(world):
    etag = world.storage.head(VICTIM).etag
    target = "videos/1/copy/with-checksum.mp4"
    status, code, answer = boto(
        lambda: world.client.copy_object(
            Bucket=BUCKET,
            Key=target,
            CopySource={"Bucket": BUCKET, "Key": VICTIM},
            CopySourceIfMatch=f'"{etag}"',
            ChecksumAlgorithm="SHA256",
        )
    )
    expected = base64.b64encode(hashlib.sha256(VICTIM_BYTES).digest()).decode()
    assert answer["CopyObjectResult"]["ChecksumSHA256"] == expected
    head = world.client.head_object(Bucket=BUCKET, Key=target, ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (expected, "FULL_OBJECT")
    return status, code


def copy_if_match_mismatch(world):
    return boto(
        lambda: world.client.copy_object(
            Bucket=BUCKET,
            Key="videos/1/copy/stale.mp4",
            CopySource={"Bucket": BUCKET, "Key": VICTIM},
            CopySourceIfMatch='"0123456789abcdef0123456789abcdef"',
            ChecksumAlgorithm="SHA256",
        )
    )[:2]


def copy_missing_source(world):
    return boto(
        lambda: world.client.copy_object(
            Bucket=BUCKET, Key="videos/1/copy/none.mp4", CopySource={"Bucket": BUCKET, "Key": "uploads/none"}
        )
    )[:2]


def multipart_composite_checksum(world):
    key = "videos/3/1700000000_0123456789abcdef/parts.mp4"
    upload_id = multipart(world, key)
    parts = world.storage.list_parts(key, upload_id)
    world.storage.complete_multipart_upload(key, upload_id, parts)
    head = world.client.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    composite = hashlib.sha256(hashlib.sha256(PART).digest() + hashlib.sha256(b"tail").digest()).digest()
    assert head["ChecksumSHA256"] == base64.b64encode(composite).decode() + "-2"
    assert head["ChecksumType"] == "COMPOSITE" and head["ETag"].endswith('-2"')
    assert world.storage.read(key)["Body"].read() == PART + b"tail"
    return 200, None


def part_after_complete(world):
    key = "videos/3/1700000001_0123456789abcdef/done.mp4"
    upload_id = multipart(world, key)
    late_url = world.storage.presigned_part_url(key, upload_id, 2, 600)
    world.storage.complete_multipart_upload(key, upload_id, world.storage.list_parts(key, upload_id))
    answer = requests.put(late_url, data=b"changed", timeout=30)
    assert world.storage.read(key)["Body"].read() == PART + b"tail"
    assert all(u["UploadId"] != upload_id for u in world.storage.list_multipart_uploads(""))
    return answer


def part_after_abort(world):
    key = "videos/3/1700000002_0123456789abcdef/aborted.mp4"
    upload_id = multipart(world, key, parts=(b"x",))
    url = world.storage.presigned_part_url(key, upload_id, 1, 600)
    world.storage.abort_multipart_upload(key, upload_id)
    return requests.put(url, data=b"x", timeout=30)


def complete_twice(world):
    key = "videos/3/1700000003_0123456789abcdef/twice.mp4"
    upload_id = multipart(world, key)
    parts = world.storage.list_parts(key, upload_id)
    world.storage.complete_multipart_upload(key, upload_id, parts)
    return complete(world, key, upload_id, parts)


def part_bad_digest(world):
    key = "videos/3/1700000004_0123456789abcdef/digest.mp4"
    upload_id = world.storage.create_multipart_upload(key, "video/mp4", checksum_algorithm="SHA256")
    digest = base64.b64encode(hashlib.sha256(b"right").digest()).decode()
    url = world.storage.presigned_part_url(key, upload_id, 1, 600, digest)
    return requests.put(url, data=b"wrong", headers={"x-amz-checksum-sha256": digest}, timeout=30)


def part_signed_checksum_not_sent(world):
    key = "videos/3/1700000005_0123456789abcdef/nosum.mp4"
    upload_id = world.storage.create_multipart_upload(key, "video/mp4", checksum_algorithm="SHA256")
    digest = base64.b64encode(hashlib.sha256(b"right").digest()).decode()
    return requests.put(world.storage.presigned_part_url(key, upload_id, 1, 600, digest), data=b"right", timeout=30)


def complete_small_part(world):
    key = "videos/3/1700000006_0123456789abcdef/small.mp4"
    upload_id = multipart(world, key, parts=(b"small", b"tail"))
    return complete(world, key, upload_id, world.storage.list_parts(key, upload_id))


def complete(world, key, upload_id, parts, etag=None):
    return boto(
        lambda: world.client.complete_multipart_upload(
            Bucket=BUCKET,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": p.part_number, "ETag": etag or p.etag, "ChecksumSHA256": p.checksum_sha256}
                    for p in parts
                ]
            },
        )
    )[:2]


def complete_wrong_etag(world):
    key = "videos/3/1700000007_0123456789abcdef/etag.mp4"
    upload_id = multipart(world, key)
    return complete(world, key, upload_id, world.storage.list_parts(key, upload_id), etag='"' + "0" * 32 + '"')


def ranged_get(world):
    status, code, answer = boto(lambda: world.client.get_object(Bucket=BUCKET, Key=VICTIM, Range="bytes=4-11"))
    assert answer["Body"].read() == b"ftypmp42" and answer["ContentRange"] == f"bytes 4-11/{len(VICTIM_BYTES)}"
    return status, code


def range_not_satisfiable(world):
    return boto(lambda: world.client.get_object(Bucket=BUCKET, Key=VICTIM, Range="bytes=5000-6000"))[:2]


def get_missing(world):
    return boto(lambda: world.client.get_object(Bucket=BUCKET, Key="videos/none.mp4"))[:2]


def missing_bucket(world):
    return boto(lambda: world.client.head_bucket(Bucket="no-such-bucket-here"))[:2]


def create_existing_bucket(world):
    return boto(lambda: world.client.create_bucket(Bucket=BUCKET))[:2]


def delete_objects_batch(world):
    for name in ("a", "b"):
        world.client.put_object(Bucket=BUCKET, Key=f"uploads/batch/{name}", Body=b"x")
    status, code, answer = boto(
        lambda: world.client.delete_objects(
            Bucket=BUCKET,
            Delete={
                "Objects": [{"Key": "uploads/batch/a"}, {"Key": "uploads/batch/b"}, {"Key": "uploads/batch/never"}]
            },
        )
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["uploads/batch/a", "uploads/batch/b", "uploads/batch/never"]
    assert not world.exists("uploads/batch/a")
    return status, code


def list_pages(world):
    for number in range(5):
        world.client.put_object(Bucket=BUCKET, Key=f"uploads/list/{number} é+.mp4", Body=b"x")
    keys = [
        item["Key"]
        for page in world.client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix="uploads/list/", PaginationConfig={"PageSize": 2}
        )
        for item in page.get("Contents", [])
    ]
    assert keys == [f"uploads/list/{number} é+.mp4" for number in range(5)]
    return 200, None


@dataclass(frozen=True)
class Case:
    name: str
    doc: str  # the AWS page that documents S3's answer
    run: Callable
    status: int
    code: str | None = None
    victim_kept: bool = True  # the confirmed video is still there, unchanged
    absent: str | None = None  # a key the request must not have written


CASES = [
    # POST forms (browser uploads)
    Case(
        "POST Multipart/Form-Data without credentials", POST_OBJECT, post_mixed_case_no_credentials, 403, "AccessDenied"
    ),
    Case("POST with a mixed-case multipart type and a valid policy", POST_OBJECT, post_mixed_case_valid_policy, 204),
    Case(
        "POST with key= (someone else's) before KEY= (own)",
        POST_OBJECT,
        post_duplicate_key_other_case,
        400,
        "InvalidArgument",
        absent=OWN_KEY,
    ),
    Case("POST repeating a field", POST_OBJECT, post_duplicate_field_same_case, 400, "InvalidArgument", absent=OWN_KEY),
    Case(
        "POST with an extra empty file part",
        ERRORS,
        post_extra_empty_file,
        400,
        "IncorrectNumberOfFilesInPostRequest",
        absent=OWN_KEY,
    ),
    Case(
        "POST with a second file after the file",
        ERRORS,
        post_second_file_after,
        400,
        "IncorrectNumberOfFilesInPostRequest",
        absent=OWN_KEY,
    ),
    Case("POST without a file", ERRORS, post_no_file, 400, "IncorrectNumberOfFilesInPostRequest"),
    Case(
        "POST with fields after the file (ignored, so the key is missing)",
        POST_OBJECT,
        post_file_not_last,
        403,
        "AccessDenied",
        absent=OWN_KEY,
    ),
    Case("POST text/plain with ?key=", ERRORS, post_text_plain_with_key, 412, "PreconditionFailed"),
    Case("POST application/x-www-form-urlencoded", ERRORS, post_urlencoded, 412, "PreconditionFailed"),
    Case("POST over content-length-range", POST_POLICY, post_too_large, 400, "EntityTooLarge", absent=OWN_KEY),
    Case("POST under content-length-range", POST_POLICY, post_too_small, 400, "EntityTooSmall", absent=OWN_KEY),
    Case("POST to another key than the policy's", POST_POLICY, post_another_key, 403, "AccessDenied"),
    Case("POST after the policy's expiration", POST_POLICY, post_expired, 403, "AccessDenied", absent=OWN_KEY),
    Case("POST within its policy", POST_OBJECT, post_valid, 204),
    # SigV4 on every request
    Case("ListObjectsV2 without a signature", ERRORS, list_unsigned, 403, "AccessDenied"),
    Case("GET without a signature", ERRORS, get_unsigned, 403, "AccessDenied"),
    Case("PUT without a signature", ERRORS, put_unsigned, 403, "AccessDenied"),
    Case("DELETE without a signature", ERRORS, delete_unsigned, 403, "AccessDenied"),
    Case("DELETE with a garbage signature", HEADER_AUTH, delete_garbage_signature, 403, "SignatureDoesNotMatch"),
    Case("a malformed Authorization header", ERRORS, get_malformed_authorization, 400, "AuthorizationHeaderMalformed"),
    Case("a SigV2 presigned URL", ERRORS, get_sigv2, 400, "InvalidRequest"),
    Case("PUT signed with another secret", HEADER_AUTH, put_wrong_secret, 403, "SignatureDoesNotMatch"),
    Case("PUT signed with an unknown access key", ERRORS, put_unknown_key, 403, "InvalidAccessKeyId"),
    Case(
        "PUT whose body is not the signed one", HEADER_AUTH, put_body_not_signed_one, 400, "XAmzContentSHA256Mismatch"
    ),
    Case("PUT with UNSIGNED-PAYLOAD", HEADER_AUTH, put_unsigned_payload, 200),
    Case("PUT aws-chunked with a CRC32 trailer (boto3 over HTTPS)", TRAILERS, put_aws_chunked_trailer, 200),
    Case(
        "PUT aws-chunked whose trailer checksum is wrong",
        TRAILERS,
        put_aws_chunked_bad_trailer,
        400,
        "BadDigest",
        absent="uploads/sdk/chunked-bad.bin",
    ),
    Case(
        "PUT whose x-amz-checksum-sha256 does not match",
        INTEGRITY,
        put_checksum_header_mismatch,
        400,
        "BadDigest",
        absent="uploads/sdk/checksum.bin",
    ),
    Case(
        "a presigned URL with an edited X-Amz-Expires",
        QUERY_AUTH,
        presigned_edited_expires,
        403,
        "SignatureDoesNotMatch",
    ),
    Case("a presigned URL past its expiry", QUERY_AUTH, presigned_expired, 403, "AccessDenied"),
    Case(
        "a presigned URL valid for more than a week",
        QUERY_AUTH,
        presigned_over_a_week,
        400,
        "AuthorizationQueryParametersError",
    ),
    Case("a presigned URL moved to another key", QUERY_AUTH, presigned_other_key, 403, "SignatureDoesNotMatch"),
    Case("a presigned DELETE sent as a PUT", QUERY_AUTH, presigned_delete_used_as_put, 403, "SignatureDoesNotMatch"),
    Case("a valid presigned GET", QUERY_AUTH, presigned_valid_get, 200),
    # CORS from the bucket's rules
    Case("preflight from Moodle's origin", PREFLIGHT, preflight_allowed, 200),
    Case("preflight from an origin no rule names", PREFLIGHT, preflight_other_origin, 403, "AccessForbidden"),
    Case("preflight for a method no rule allows", PREFLIGHT, preflight_method_not_allowed, 403, "AccessForbidden"),
    Case("GET from an origin no rule names: no CORS headers", CORS, get_from_other_origin, 200),
    Case("GET from Moodle's origin: its CORS headers", CORS, get_from_moodle, 200),
    Case(
        "a refusal to Moodle's origin carries CORS headers", CORS, refusal_from_moodle_is_readable, 403, "AccessDenied"
    ),
    # what the sidecar relies on (contract C8)
    Case(
        "CopyObject with SHA256 and copy-source-if-match",
        API + "API_CopyObject.html",
        copy_with_sha256_and_if_match,
        200,
    ),
    Case(
        "CopyObject whose copy-source-if-match fails",
        API + "API_CopyObject.html",
        copy_if_match_mismatch,
        412,
        "PreconditionFailed",
        absent="videos/1/copy/stale.mp4",
    ),
    Case("CopyObject from a missing key", API + "API_CopyObject.html", copy_missing_source, 404, "NoSuchKey"),
    Case("multipart with SHA256: composite checksum", INTEGRITY, multipart_composite_checksum, 200),
    Case("UploadPart after complete", API + "API_UploadPart.html", part_after_complete, 404, "NoSuchUpload"),
    Case("UploadPart after abort", API + "API_AbortMultipartUpload.html", part_after_abort, 404, "NoSuchUpload"),
    Case(
        "CompleteMultipartUpload twice", API + "API_CompleteMultipartUpload.html", complete_twice, 404, "NoSuchUpload"
    ),
    Case(
        "UploadPart whose signed x-amz-checksum-sha256 does not match",
        API + "API_UploadPart.html",
        part_bad_digest,
        400,
        "BadDigest",
    ),
    Case(
        "UploadPart without the checksum header signed into its URL",
        QUERY_AUTH,
        part_signed_checksum_not_sent,
        403,
        "SignatureDoesNotMatch",
    ),
    Case(
        "CompleteMultipartUpload with a part under 5 MiB",
        API + "API_CompleteMultipartUpload.html",
        complete_small_part,
        400,
        "EntityTooSmall",
    ),
    Case(
        "CompleteMultipartUpload with a wrong ETag",
        API + "API_CompleteMultipartUpload.html",
        complete_wrong_etag,
        400,
        "InvalidPart",
    ),
    Case("GetObject with Range", API + "API_GetObject.html", ranged_get, 206),
    Case("GetObject with a range past the end", API + "API_GetObject.html", range_not_satisfiable, 416, "InvalidRange"),
    Case("GetObject of a missing key", API + "API_GetObject.html", get_missing, 404, "NoSuchKey"),
    Case("HeadBucket of a missing bucket", API + "API_HeadBucket.html", missing_bucket, 404, "404"),
    Case(
        "CreateBucket of one's own bucket",
        API + "API_CreateBucket.html",
        create_existing_bucket,
        409,
        "BucketAlreadyOwnedByYou",
    ),
    Case("DeleteObjects, a missing key included", API + "API_DeleteObjects.html", delete_objects_batch, 200),
    Case("ListObjectsV2 pages (encoding-type=url)", API + "API_ListObjectsV2.html", list_pages, 200),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_stand_in_answers_as_s3(world, case, monkeypatch):
    import inspect

    arguments = (world, monkeypatch) if len(inspect.signature(case.run).parameters) == 2 else (world,)
    answer = case.run(*arguments)
    monkeypatch.undo()  # a moved clock goes back before the checks below
    if isinstance(answer, requests.Response):
        status = answer.status_code
        code = answer.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in answer.text else None
    else:
        status, code = answer
    assert (status, code) == (case.status, case.code), f"S3's answer: {case.doc}"
    if case.victim_kept:
        assert world.victim_intact()
    if case.absent:
        assert not world.exists(case.absent)


def test_every_row_names_an_aws_page():
    assert all(case.doc.startswith("https://docs.aws.amazon.com/AmazonS3/") for case in CASES)
    assert len({case.name for case in CASES}) == len(CASES)


def test_aws_published_streaming_example_verifies(tmp_path):
    """AWS's own chunked-upload example (sigv4-streaming.html): the seed signature and the three
    chunk signatures it publishes verify; one changed byte in a chunk is SignatureDoesNotMatch."""
    from werkzeug.test import Client

    from s3video_sidecar.sdk.embedded_s3 import StandIn
    from s3video_sidecar.sdk.embedded_store import Store

    store = Store(str(tmp_path)).open()
    store.create_bucket("examplebucket")
    app = StandIn(
        store, {"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, clock=lambda: 1369353600.0
    )  # 2013-05-24T00:00:00Z
    signatures = (
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    )

    def body(corrupt: bool) -> bytes:
        chunks = b""
        for size, signature in zip((65536, 1024, 0), signatures, strict=True):
            data = bytearray(b"a" * size)
            if corrupt and size == 1024:
                data[10] = ord("b")
            chunks += f"{size:x};chunk-signature={signature}\r\n".encode() + bytes(data) + b"\r\n"
        return chunks

    def put(corrupt: bool):
        data = body(corrupt)
        return Client(app).put(
            "/examplebucket/chunkObject.txt",
            data=data,
            headers={
                "Host": "s3.amazonaws.com",
                "x-amz-date": "20130524T000000Z",
                "x-amz-storage-class": "REDUCED_REDUNDANCY",
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                "x-amz-decoded-content-length;x-amz-storage-class,"
                "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
                "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                "Content-Encoding": "aws-chunked",
                "x-amz-decoded-content-length": "66560",
                "Content-Length": str(len(data)),
            },
        )

    refused = put(corrupt=True)
    assert refused.status_code == 403 and b"SignatureDoesNotMatch" in refused.data
    assert put(corrupt=False).status_code == 200
    _meta, handle = store.open_object("examplebucket", "chunkObject.txt")
    with handle:
        assert handle.read() == b"a" * 66560
    store.close()


def test_the_app_makes_its_bucket_before_the_stand_in_answers(tmp_path, monkeypatch, signing_key_file):
    """So no client (the worker's first reconcile) can meet NoSuchBucket: the bucket and its CORS
    rule are on disk before the port is open."""
    from s3video_sidecar import services
    from s3video_sidecar.settings import parse_settings
    from tests.support.apps import free_port, make_settings

    seen = {}
    real_start = EmbeddedS3.start

    def start(server):
        seen["bucket"] = server.store.has_bucket("s3video-ordered")
        seen["cors"] = server.store.cors_rules("s3video-ordered")
        return real_start(server)

    monkeypatch.setattr(EmbeddedS3, "start", start)
    url = f"http://127.0.0.1:{free_port()}"
    settings = parse_settings(
        make_settings(
            "sqlite://",
            url,
            signing_key_file,
            **{"s3video.bucket": "s3video-ordered", "s3video.embedded.data_dir": str(tmp_path / "s3")},
        )
    )
    services.start_embedded_s3(settings)
    try:
        assert seen["bucket"] is True
        assert seen["cors"][0]["AllowedOrigins"] == ["http://localhost"]
    finally:
        services._embedded_servers.pop(url).stop()


def test_a_long_complete_keeps_the_connection_alive_with_white_space(world, monkeypatch):
    """S3 answers 200 at once and sends white space while it assembles: a client whose read
    timeout is shorter than the assembly still gets the result (API_CompleteMultipartUpload.html)."""
    import boto3

    from s3video_sidecar.sdk.embedded_store import Store

    key = "videos/3/1700000010_0123456789abcdef/slow.mp4"
    upload_id = multipart(world, key)
    parts = world.storage.list_parts(key, upload_id)
    real_complete = Store.complete

    def slow_complete(store, *args):
        time.sleep(1.5)
        return real_complete(store, *args)

    monkeypatch.setattr(Store, "complete", slow_complete)
    monkeypatch.setattr(embedded_s3, "COMPLETE_KEEPALIVE_SECONDS", 0.2)
    impatient = boto3.session.Session().client(
        "s3",
        region_name="us-east-1",
        endpoint_url=world.url,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(
            signature_version="s3v4", s3={"addressing_style": "path"}, read_timeout=0.6, retries={"max_attempts": 1}
        ),
    )
    answer = impatient.complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": p.part_number, "ETag": p.etag, "ChecksumSHA256": p.checksum_sha256} for p in parts]
        },
    )
    assert answer["ETag"].endswith('-2"')
    assert world.storage.read(key)["Body"].read() == PART + b"tail"


def test_a_complete_that_fails_while_assembling_is_an_error_in_a_200(world, monkeypatch):
    """botocore reads an Error document inside a 200 as the error it is."""
    from s3video_sidecar.sdk.embedded_store import S3Error, Store

    key = "videos/3/1700000011_0123456789abcdef/fails.mp4"
    upload_id = multipart(world, key)

    def failing(store, *args):
        raise S3Error(500, "InternalError", "disk full")

    monkeypatch.setattr(Store, "complete", failing)
    _status, code = complete(world, key, upload_id, world.storage.list_parts(key, upload_id))
    assert code == "InternalError" and not world.exists(key)
