"""Submission receipts: recompute, from a local file, the SHA-256 the sidecar recorded at confirm.

A receipt is ``checksum_sha256`` with its ``checksum_type`` (contract C1), exactly as S3
computed it for the stored video:

- ``full_object`` (a POST upload): base64 of the SHA-256 of the whole file;
- ``composite`` (a multipart upload): base64 of the SHA-256 of the concatenated binary
  SHA-256s of the parts, then ``-N`` for N parts (S3's "checksum of checksums"). It
  depends on the part size: give it, or let :func:`verify_receipt` try each part size the
  sidecar could have chosen (whole MiB, at least 5 MiB) that cuts the file into N parts.

So a student's file and the recorded receipt settle a dispute without trusting either
party's copy: ``s3video-admin verify-receipt FILE --sha256 RECEIPT``.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
from typing import BinaryIO

# A file to check: its path, or its bytes.
Source = str | os.PathLike[str] | bytes | bytearray

MIB = 1024**2
MIN_PART_BYTES = 5 * MIB
_READ_BYTES = MIB


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _open(source: Source) -> BinaryIO:
    import io

    return io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else open(source, "rb")


def _size(source: Source) -> int:
    return len(source) if isinstance(source, (bytes, bytearray)) else os.path.getsize(source)


def full_object_sha256(source: Source) -> str:
    """base64 SHA-256 of a whole file (a path) or of bytes: a ``full_object`` receipt."""
    digest = hashlib.sha256()
    with _open(source) as stream:
        for chunk in iter(lambda: stream.read(_READ_BYTES), b""):
            digest.update(chunk)
    return _b64(digest.digest())


def composite_sha256(source: Source, part_size: int) -> str:
    """S3's composite SHA-256 of a file cut into ``part_size`` parts: ``base64(sha256(sha256(p1)...))-N``."""
    if part_size <= 0:
        raise ValueError("the part size must be positive")
    outer, parts = hashlib.sha256(), 0
    with _open(source) as stream:
        while True:
            part, left = hashlib.sha256(), part_size
            while left:
                chunk = stream.read(min(left, _READ_BYTES))
                if not chunk:
                    break
                part.update(chunk)
                left -= len(chunk)
            if left == part_size and parts:
                break  # end of file on a part boundary
            outer.update(part.digest())
            parts += 1
            if left:
                break
    return f"{_b64(outer.digest())}-{parts}"


def candidate_part_sizes(size_bytes: int, part_count: int) -> list[int]:
    """The whole-MiB part sizes (>= 5 MiB) that cut ``size_bytes`` into exactly ``part_count`` parts."""
    low = max(MIN_PART_BYTES, math.ceil(size_bytes / part_count))
    low = math.ceil(low / MIB) * MIB
    high = size_bytes if part_count == 1 else math.ceil(size_bytes / (part_count - 1)) - 1
    return [p for p in range(low, max(high, low) + 1, MIB) if math.ceil(size_bytes / p) == part_count][:64]


def verify_receipt(source: Source, checksum_sha256: str, part_size: int | None = None) -> bool:
    """Whether a file (path or bytes) is the one a receipt names, full-object or composite (``-N``)."""
    _digest, dash, count = checksum_sha256.partition("-")
    if not dash:
        return full_object_sha256(source) == checksum_sha256
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"not an S3 composite checksum: {checksum_sha256!r}")
    sizes = [part_size] if part_size else candidate_part_sizes(_size(source), int(count))
    return any(composite_sha256(source, size) == checksum_sha256 for size in sizes)
