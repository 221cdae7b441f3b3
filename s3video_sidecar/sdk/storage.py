"""S3 storage: presigned POSTs, multipart uploads, object checks, reads and deletes.

Rules of this module:

- One boto3 client per :class:`S3Storage`, built by :func:`make_s3_client` with
  ``signature_version="s3v4"`` set explicitly (some boto3 versions still sign presigned
  POSTs with SigV2 in us-east-1 otherwise), path-style addressing when an endpoint is
  given (the loopback stand-in), and botocore's ``standard`` retry mode, which already
  retries throttling, 5xx and connection errors: no retry loop of our own.
- A presigned POST binds the exact key (never ``starts-with``; the service gives it a
  staging key under ``uploads/``), the exact ``Content-Type``, ``content-length-range``
  exactly the declared size and a short expiry; no ACL field (bucket ACLs are disabled).
- :meth:`S3Storage.copy` is the one way an object reaches its final key after a POST: a
  server-side CopyObject that copies only the version whose ETag was checked
  (``x-amz-copy-source-if-match``) and has S3 compute the copy's SHA-256.
- Connection failures, throttling that outlasts the retries and 5xx become
  :class:`~s3video_sidecar.sdk.errors.Unavailable`; a missing object is ``None``
  (HeadObject) or a no-op (delete). Nothing else of botocore leaks upward.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import Conflict, NotFound, RangeNotSatisfiable, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import MultipartUploadTypeDef, ObjectTypeDef

DELETE_BATCH_SIZE = 1000  # DeleteObjects takes at most 1,000 keys a call
MULTIPART_MIN_PART_BYTES = 5 * 1024**2
MULTIPART_MAX_PARTS = 10_000


def make_s3_client(region: str, endpoint_url: str | None = None, **credentials: Any) -> S3Client:
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.session.Session().client(
        "s3", region_name=region, endpoint_url=endpoint_url, config=config, **credentials
    )


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_at: int


@dataclass(frozen=True)
class ObjectInfo:
    size_bytes: int
    content_type: str
    etag: str
    checksum_sha256: str | None = None


@dataclass(frozen=True)
class UploadedPart:
    part_number: int
    etag: str
    size_bytes: int
    checksum_sha256: str | None = None


def _is_missing(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


def _unavailable(operation: str, error: Exception) -> Unavailable:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        return Unavailable(f"storage refused {operation} ({code}); try again later", code=code)
    return Unavailable(f"storage cannot be reached for {operation}; try again later", code="unreachable")


class S3Storage:
    """The bucket that holds the videos."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            if _is_missing(error):
                raise NotFound(f"{operation}: no such object or upload") from None
            code = error.response.get("Error", {}).get("Code")
            if code == "InvalidRange":
                raise RangeNotSatisfiable("the requested range is outside the video") from None
            if code in ("PreconditionFailed", "412"):
                raise Conflict(
                    "the upload changed while it was being confirmed; confirm again", code="changed"
                ) from None
            raise _unavailable(operation, error) from None
        except BotoCoreError as error:
            raise _unavailable(operation, error) from None

    # -- uploads -------------------------------------------------------------
    def presigned_post(self, key: str, content_type: str, size_bytes: int, expiry_seconds: int) -> PresignedPost:
        """A POST policy for exactly ``size_bytes`` bytes of ``content_type`` at ``key``."""
        if key.endswith("${filename}"):
            raise ValueError("a POST policy must bind the exact key")
        fields = {"Content-Type": content_type}
        # botocore adds {"bucket": ...} and the exact {"key": ...} conditions itself.
        conditions = [
            {"Content-Type": content_type},
            ["content-length-range", size_bytes, size_bytes],
        ]
        post = self.client.generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expiry_seconds
        )
        return PresignedPost(url=post["url"], fields=post["fields"], expires_at=int(time.time()) + expiry_seconds)

    def create_multipart_upload(self, key: str, content_type: str, checksum_algorithm: str | None = None) -> str:
        extra = {"ChecksumAlgorithm": checksum_algorithm} if checksum_algorithm else {}
        upload_id: str = self._call("create_multipart_upload", Key=key, ContentType=content_type, **extra)["UploadId"]
        return upload_id

    def presigned_part_url(
        self, key: str, upload_id: str, part_number: int, expiry_seconds: int, checksum_sha256: str | None = None
    ) -> str:
        params: dict[str, str | int] = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": part_number,
        }
        if checksum_sha256:
            params["ChecksumSHA256"] = checksum_sha256  # signed into the URL: S3 checks the part against it
        return self.client.generate_presigned_url("upload_part", Params=params, ExpiresIn=expiry_seconds)

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        parts: list[UploadedPart] = []
        marker = 0
        while True:
            page = self._call("list_parts", Key=key, UploadId=upload_id, PartNumberMarker=marker)
            parts += [
                UploadedPart(p["PartNumber"], p["ETag"], p["Size"], p.get("ChecksumSHA256"))
                for p in page.get("Parts", [])
            ]
            if not page.get("IsTruncated"):
                return parts
            marker = page["NextPartNumberMarker"]

    def complete_multipart_upload(self, key: str, upload_id: str, parts: Iterable[UploadedPart]) -> None:
        """Complete with the parts S3 listed (their checksums included: S3 wants them back for an
        upload created with a checksum algorithm)."""
        listed: list[dict[str, str | int]] = []
        for part in sorted(parts, key=lambda p: p.part_number):
            entry: dict[str, str | int] = {"PartNumber": part.part_number, "ETag": part.etag}
            if part.checksum_sha256:
                entry["ChecksumSHA256"] = part.checksum_sha256
            listed.append(entry)
        self._call("complete_multipart_upload", Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed})

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(NotFound):  # already aborted or completed: the goal is reached
            self._call("abort_multipart_upload", Key=key, UploadId=upload_id)

    def list_multipart_uploads(self, prefix: str = "videos/") -> Iterator[MultipartUploadTypeDef]:
        paginator = self.client.get_paginator("list_multipart_uploads")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Uploads", [])
        except (ClientError, BotoCoreError) as error:
            raise _unavailable("list_multipart_uploads", error) from None

    # -- objects ---------------------------------------------------------------
    def head(self, key: str) -> ObjectInfo | None:
        try:
            head = self._call("head_object", Key=key, ChecksumMode="ENABLED")
        except NotFound:
            return None
        etag, checksum = head.get("ETag", "").strip('"'), head.get("ChecksumSHA256")
        parts = etag.rpartition("-")[2] if "-" in etag else None
        if checksum and parts and "-" not in checksum:
            checksum = f"{checksum}-{parts}"  # S3 marks a composite (multipart) checksum -N; moto omits it
        return ObjectInfo(
            size_bytes=head["ContentLength"],
            content_type=head.get("ContentType", ""),
            etag=etag,
            checksum_sha256=checksum,
        )

    def copy(self, source_key: str, key: str, if_match_etag: str) -> str | None:
        """Copy ``source_key`` to ``key`` inside the bucket, only if its ETag is still ``if_match_etag``
        (else :class:`Conflict`), with S3 computing the copy's SHA-256; return that SHA-256 (base64).

        Content-Type and metadata are copied from the source (``MetadataDirective`` COPY).
        """
        answer = self._call(
            "copy_object",
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": source_key},
            CopySourceIfMatch=f'"{if_match_etag}"',
            ChecksumAlgorithm="SHA256",
        )
        checksum: str | None = answer.get("CopyObjectResult", {}).get("ChecksumSHA256")
        return checksum

    def read_head(self, key: str, size_bytes: int) -> bytes:
        """The first ``size_bytes`` bytes of an object (fewer if it is shorter): one ranged GET."""
        body = self.read(key, f"bytes=0-{size_bytes - 1}")["Body"]
        try:
            data: bytes = body.read(size_bytes)
            return data
        finally:
            body.close()

    def read(self, key: str, byte_range: str | None = None) -> dict[str, Any]:
        """GetObject, optionally ranged (``bytes=0-99``); the body streams."""
        extra = {"Range": byte_range} if byte_range else {}
        answer: dict[str, Any] = self._call("get_object", Key=key, **extra)
        return answer

    def read_bytes(self, key: str, first: int, last: int) -> bytes:
        """Bytes ``first..last`` (inclusive) of an object, read whole: for small ranges only."""
        body = self.read(key, f"bytes={first}-{last}")["Body"]
        try:
            data: bytes = body.read()
            return data
        except (BotoCoreError, OSError) as error:
            raise _unavailable("get_object", error) from None
        finally:
            body.close()

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """PutObject of a small object the sidecar makes itself (a poster frame)."""
        self._call("put_object", Key=key, Body=data, ContentType=content_type)

    def delete_many(self, keys: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        """Delete in batches of 1,000; return (deleted keys, {key: error code})."""
        keys = list(dict.fromkeys(keys))
        deleted: list[str] = []
        failed: dict[str, str] = {}
        for start in range(0, len(keys), DELETE_BATCH_SIZE):
            batch = keys[start : start + DELETE_BATCH_SIZE]
            answer = self._call("delete_objects", Delete={"Objects": [{"Key": key} for key in batch], "Quiet": False})
            deleted += [item["Key"] for item in answer.get("Deleted", [])]
            failed.update({item["Key"]: item.get("Code", "error") for item in answer.get("Errors", [])})
        return deleted, failed

    def list_keys(self, prefix: str = "videos/") -> Iterator[ObjectTypeDef]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
        except (ClientError, BotoCoreError) as error:
            raise _unavailable("list_objects_v2", error) from None

    def check(self) -> None:
        """Raise :class:`Unavailable` unless the bucket answers."""
        try:
            self._call("head_bucket")
        except NotFound:
            raise Unavailable(f"bucket {self.bucket} does not exist") from None
