"""The embedded S3 stand-in's objects and multipart uploads, on disk.

Layout under the data directory (``s3video.embedded.data_dir``)::

    tmp/                                   bodies being received (emptied at start)
    buckets/<bucket>/bucket.json           the bucket and its CORS rules
    buckets/<bucket>/keys/<sha256(key)>.json   one object's metadata, naming its blob
    buckets/<bucket>/blobs/<uuid>          one object's bytes (or one part of a multipart object)
    buckets/<bucket>/uploads/<id>/upload.json and part-<n>.json + <n>-<uuid>.part

A write is durable before it is answered: the bytes go to a file in ``tmp/`` that is
fsynced and renamed into place, then the metadata the same way (the rename of the JSON is
the commit point), then the directory is fsynced. So a ``kill -9`` at any moment leaves
either the old state or the new one; :meth:`Store.open` removes what no metadata names
(blobs and parts of an interrupted write, the upload directory of a completed upload).

Memory: the metadata of every object and open upload (a few hundred bytes each) and the
buffers of the bodies in flight; bytes never sit in memory whole. A completed multipart
object is its part files, hard-linked into ``blobs/`` (no byte is copied or read again) and
read one after the other (``"segments"`` in its metadata); its ETag and composite checksum
come from the parts' digests, computed once as each part arrived. So CompleteMultipartUpload
costs a few file-system operations per part, whatever the object's size.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

CHUNK_BYTES = 256 * 1024
MIN_PART_BYTES = 5 * 1024**2  # every part but the last (S3's EntityTooSmall)
MAX_PARTS = 10_000
CHECKSUM_ALGORITHMS = ("SHA256", "SHA1", "CRC32")  # the ones the stand-in can compute (hashlib, zlib)


class S3Error(Exception):
    """An S3 error answer: HTTP status, S3's code and message, extra XML elements."""

    def __init__(self, status: int, code: str, message: str, **extra: str):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def no_such_bucket(bucket: str) -> S3Error:
    return S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)


def no_such_key(key: str) -> S3Error:
    return S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)


def no_such_upload(upload_id: str) -> S3Error:
    return S3Error(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed.",
        UploadId=upload_id,
    )


class _Crc32:
    """zlib's CRC32 with hashlib's interface (S3 sends it big-endian, base64)."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


class Checksum(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def new_checksum(algorithm: str) -> Checksum:
    makers: dict[str, Callable[[], Checksum]] = {"SHA256": hashlib.sha256, "SHA1": hashlib.sha1, "CRC32": _Crc32}
    return makers[algorithm]()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stage_json(data: dict[str, Any], tmp_dir: str, sync: bool = True) -> str:
    """``data`` written to a new file in ``tmp_dir`` (fsynced): what :func:`os.replace` then commits."""
    tmp = os.path.join(tmp_dir, f"{uuid.uuid4().hex}.json")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
    return tmp


def _write_json(path: str, data: dict[str, Any], tmp_dir: str, sync: bool = True) -> None:
    """Write ``data`` to ``path`` atomically and durably (temp file, fsync, rename, fsync dir)."""
    os.replace(_stage_json(data, tmp_dir, sync), path)
    if sync:
        _fsync_dir(os.path.dirname(path))


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@dataclass
class Received:
    """A body written to ``tmp/`` and fsynced: its size and digests, computed in one pass."""

    path: str
    size: int
    md5: bytes
    checksums: dict[str, bytes] = field(default_factory=dict)  # algorithm -> digest

    def discard(self) -> None:
        _remove(self.path)


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    content_type: str
    checksum_algorithm: str | None
    metadata: dict[str, Any]
    initiated: float
    parts: dict[int, dict[str, Any]] = field(default_factory=dict)
    completing: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload_id,
            "bucket": self.bucket,
            "key": self.key,
            "content_type": self.content_type,
            "checksum_algorithm": self.checksum_algorithm,
            "metadata": self.metadata,
            "initiated": self.initiated,
        }


def blob_names(meta: dict[str, Any]) -> list[str]:
    """The files under ``blobs/`` holding an object's bytes, in order."""
    segments = meta.get("segments")
    return [segment["file"] for segment in segments] if segments else [meta["blob"]]


class Segments:
    """A read-only file made of several files one after the other (a multipart object's parts).

    Every file is opened at once, so the object stays readable if it is replaced or deleted
    while it is read (as a single open file does)."""

    def __init__(self, paths: list[str], sizes: list[int]):
        self._files: list[IO[bytes]] = []
        with contextlib.ExitStack() as opened:  # all open, or none left open
            for path in paths:
                self._files.append(opened.enter_context(open(path, "rb")))
            self._opened = opened.pop_all()
        self._starts, total = [], 0
        for size in sizes:
            self._starts.append(total)
            total += size
        self._sizes, self._size, self._position = sizes, total, 0

    def seek(self, position: int) -> int:
        self._position = max(0, min(position, self._size))
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = self._size - self._position
        pieces, wanted = [], min(size, self._size - self._position)
        while wanted > 0:
            index = bisect.bisect_right(self._starts, self._position) - 1
            offset = self._position - self._starts[index]
            handle = self._files[index]
            handle.seek(offset)
            data = handle.read(min(wanted, self._sizes[index] - offset))
            if not data:
                break
            pieces.append(data)
            self._position += len(data)
            wanted -= len(data)
        return b"".join(pieces)

    def close(self) -> None:
        self._opened.close()

    def __enter__(self) -> Segments:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store:
    """Buckets, objects and multipart uploads under one data directory (see module docstring)."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.tmp = os.path.join(self.root, "tmp")
        self._lock = threading.RLock()
        self._buckets: dict[str, dict[str, Any]] = {}
        self._objects: dict[str, dict[str, dict[str, Any]]] = {}
        self._uploads: dict[str, Upload] = {}
        self._lock_fd: int | None = None

    # -- start ------------------------------------------------------------------------
    def open(self) -> Store:
        os.makedirs(os.path.join(self.root, "buckets"), exist_ok=True)
        lock_fd = os.open(os.path.join(self.root, "lock"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:  # one process per data directory: two would each believe their index
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock_fd)
            raise RuntimeError(f"another embedded S3 stand-in is using {self.root}") from None
        self._lock_fd = lock_fd
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        buckets_dir = os.path.join(self.root, "buckets")
        for name in sorted(os.listdir(buckets_dir)):
            bucket_file = os.path.join(buckets_dir, name, "bucket.json")
            if not os.path.exists(bucket_file):
                shutil.rmtree(os.path.join(buckets_dir, name), ignore_errors=True)  # a create cut short
                continue
            with open(bucket_file, encoding="utf-8") as handle:
                self._buckets[name] = json.load(handle)
            self._objects[name] = self._load_objects(name)
            self._load_uploads(name)
        return self

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def _bucket_dir(self, bucket: str, *parts: str) -> str:
        return os.path.join(self.root, "buckets", bucket, *parts)

    def _load_objects(self, bucket: str) -> dict[str, dict[str, Any]]:
        objects, completed_uploads = {}, set()
        keys_dir, blobs_dir = self._bucket_dir(bucket, "keys"), self._bucket_dir(bucket, "blobs")
        for entry in os.listdir(keys_dir):
            with open(os.path.join(keys_dir, entry), encoding="utf-8") as handle:
                meta = json.load(handle)
            objects[meta["key"]] = meta
            if meta.get("upload_id"):
                completed_uploads.add(meta["upload_id"])
        referenced = {name for meta in objects.values() for name in blob_names(meta)}
        for blob in os.listdir(blobs_dir):
            if blob not in referenced:
                _remove(os.path.join(blobs_dir, blob))  # an overwrite or delete cut short
        uploads_dir = self._bucket_dir(bucket, "uploads")
        for upload_id in completed_uploads & set(os.listdir(uploads_dir)):
            shutil.rmtree(os.path.join(uploads_dir, upload_id), ignore_errors=True)  # a complete cut short
        return objects

    def _load_uploads(self, bucket: str) -> None:
        uploads_dir = self._bucket_dir(bucket, "uploads")
        for upload_id in os.listdir(uploads_dir):
            directory = os.path.join(uploads_dir, upload_id)
            try:
                with open(os.path.join(directory, "upload.json"), encoding="utf-8") as handle:
                    described = json.load(handle)
            except FileNotFoundError:
                shutil.rmtree(directory, ignore_errors=True)
                continue
            upload = Upload(
                parts={},
                **{
                    name: described[name]
                    for name in (
                        "upload_id",
                        "bucket",
                        "key",
                        "content_type",
                        "checksum_algorithm",
                        "metadata",
                        "initiated",
                    )
                },
            )
            for entry in os.listdir(directory):
                if entry.startswith("part-") and entry.endswith(".json"):
                    with open(os.path.join(directory, entry), encoding="utf-8") as handle:
                        part = json.load(handle)
                    upload.parts[part["number"]] = part
            referenced = {part["file"] for part in upload.parts.values()}
            for entry in os.listdir(directory):
                if entry.endswith(".part") and entry not in referenced:
                    _remove(os.path.join(directory, entry))
            self._uploads[upload_id] = upload

    # -- buckets ----------------------------------------------------------------------
    def bucket_names(self) -> list[tuple[str, float]]:
        with self._lock:
            return sorted((name, info["created"]) for name, info in self._buckets.items())

    def has_bucket(self, bucket: str) -> bool:
        with self._lock:
            return bucket in self._buckets

    def _need_bucket(self, bucket: str) -> dict[str, Any]:
        info = self._buckets.get(bucket)
        if info is None:
            raise no_such_bucket(bucket)
        return info

    def create_bucket(self, bucket: str) -> bool:
        """Create the bucket; False if it already existed."""
        with self._lock:
            if bucket in self._buckets:
                return False
            for sub in ("keys", "blobs", "uploads"):
                os.makedirs(self._bucket_dir(bucket, sub), exist_ok=True)
            info = {"created": time.time(), "cors": None}
            _write_json(self._bucket_dir(bucket, "bucket.json"), info, self.tmp)
            _fsync_dir(os.path.join(self.root, "buckets"))
            self._buckets[bucket] = info
            self._objects[bucket] = {}
            return True

    def delete_bucket(self, bucket: str) -> None:
        with self._lock:
            self._need_bucket(bucket)
            if self._objects[bucket] or any(u.bucket == bucket for u in self._uploads.values()):
                raise S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=bucket)
            _remove(self._bucket_dir(bucket, "bucket.json"))
            shutil.rmtree(self._bucket_dir(bucket), ignore_errors=True)
            del self._buckets[bucket], self._objects[bucket]

    def cors_rules(self, bucket: str) -> list[dict[str, Any]] | None:
        with self._lock:
            rules: list[dict[str, Any]] | None = self._need_bucket(bucket)["cors"]
            return rules

    def set_cors_rules(self, bucket: str, rules: list[dict[str, Any]] | None) -> None:
        with self._lock:
            info = dict(self._need_bucket(bucket), cors=rules)
            _write_json(self._bucket_dir(bucket, "bucket.json"), info, self.tmp)
            self._buckets[bucket] = info

    # -- receiving bodies -------------------------------------------------------------
    def receive(
        self,
        chunks: Iterable[bytes],
        checksum_algorithms: Iterable[str] = (),
        max_bytes: int | None = None,
        sync: bool = True,
    ) -> Received:
        """Write an iterable of byte chunks to ``tmp/`` (fsynced), computing MD5 and the named
        checksums in the same pass. Past ``max_bytes``, stop and raise EntityTooLarge.
        (``sync=False`` only for tests that seed thousands of objects.)"""
        path = os.path.join(self.tmp, uuid.uuid4().hex)
        md5 = hashlib.md5()
        digests = {algorithm: new_checksum(algorithm) for algorithm in checksum_algorithms}
        size = 0
        try:
            with open(path, "wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
                    md5.update(chunk)
                    for digest in digests.values():
                        digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                if sync:
                    os.fsync(handle.fileno())
        except BaseException:
            _remove(path)
            raise
        return Received(path, size, md5.digest(), {name: d.digest() for name, d in digests.items()})

    # -- objects ----------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> dict[str, Any]:
        with self._lock:
            self._need_bucket(bucket)
            meta = self._objects[bucket].get(key)
            if meta is None:
                raise no_such_key(key)
            return meta

    def open_object(self, bucket: str, key: str) -> tuple[dict[str, Any], IO[bytes] | Segments]:
        """(metadata, open binary file) of the object; the file stays readable if it is replaced."""
        with self._lock:
            meta = self.head(bucket, key)
            if meta.get("segments"):
                return meta, Segments(
                    [self._bucket_dir(bucket, "blobs", segment["file"]) for segment in meta["segments"]],
                    [segment["size"] for segment in meta["segments"]],
                )
            return meta, open(self._bucket_dir(bucket, "blobs", meta["blob"]), "rb")

    def put(
        self,
        bucket: str,
        key: str,
        received: Received,
        content_type: str,
        metadata: dict[str, Any],
        checksum: dict[str, Any] | None = None,
        sync: bool = True,
    ) -> dict[str, Any]:
        """Commit a received body as the object ``key`` (replacing any previous one)."""
        with self._lock:
            try:
                self._need_bucket(bucket)
            except S3Error:
                received.discard()
                raise
        # The bytes and the metadata are written and fsynced outside the lock (their names are
        # new); only the commit (a rename) and the index are under it, so requests do not queue
        # behind each other's fsyncs.
        blob = uuid.uuid4().hex
        os.replace(received.path, self._bucket_dir(bucket, "blobs", blob))
        if sync:
            _fsync_dir(self._bucket_dir(bucket, "blobs"))
        return self._commit(
            bucket,
            {
                "key": key,
                "blob": blob,
                "size": received.size,
                "etag": binascii.hexlify(received.md5).decode("ascii"),
                "content_type": content_type,
                "last_modified": time.time(),
                "metadata": metadata,
                "checksum": checksum,
                "upload_id": None,
            },
            sync,
        )

    def _commit(self, bucket: str, meta: dict[str, Any], sync: bool = True) -> dict[str, Any]:
        """Write the object's metadata (the rename is the commit point; the directory is fsynced
        before the replaced object's bytes are removed), then drop what it replaced."""
        staged = _stage_json(meta, self.tmp, sync)
        with self._lock:
            if bucket not in self._buckets:  # deleted meanwhile
                _remove(staged)
                for name in blob_names(meta):
                    _remove(self._bucket_dir(bucket, "blobs", name))
                raise no_such_bucket(bucket)
            os.replace(staged, self._key_path(bucket, meta["key"]))
            previous = self._objects[bucket].get(meta["key"])
            self._objects[bucket][meta["key"]] = meta
        if sync:
            _fsync_dir(self._bucket_dir(bucket, "keys"))
        if previous:
            for name in blob_names(previous):
                _remove(self._bucket_dir(bucket, "blobs", name))
        return meta

    def _key_path(self, bucket: str, key: str) -> str:
        return self._bucket_dir(bucket, "keys", hashlib.sha256(key.encode("utf-8")).hexdigest() + ".json")

    def delete(self, bucket: str, *keys: str) -> None:
        """Delete the objects (one directory fsync for all); a missing key is no error, as in S3."""
        with self._lock:
            self._need_bucket(bucket)
            gone = [meta for meta in (self._objects[bucket].pop(key, None) for key in keys) if meta]
            for meta in gone:
                _remove(self._key_path(bucket, meta["key"]))
        if gone:
            _fsync_dir(self._bucket_dir(bucket, "keys"))
        for meta in gone:
            for name in blob_names(meta):
                _remove(self._bucket_dir(bucket, "blobs", name))

    def list_objects(self, bucket: str, prefix: str, after: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Objects with ``prefix`` whose key sorts after ``after``, up to ``limit``; and whether more follow."""
        with self._lock:
            self._need_bucket(bucket)
            keys = sorted(k for k in self._objects[bucket] if k.startswith(prefix) and k > after)
            return [self._objects[bucket][k] for k in keys[:limit]], len(keys) > limit

    # -- multipart uploads ------------------------------------------------------------
    def create_upload(
        self, bucket: str, key: str, content_type: str, checksum_algorithm: str | None, metadata: dict[str, Any]
    ) -> Upload:
        with self._lock:
            self._need_bucket(bucket)
            upload = Upload(
                uuid.uuid4().hex + uuid.uuid4().hex,
                bucket,
                key,
                content_type,
                checksum_algorithm,
                metadata,
                time.time(),
            )
            directory = self._bucket_dir(bucket, "uploads", upload.upload_id)
            os.makedirs(directory)
            _write_json(os.path.join(directory, "upload.json"), upload.describe(), self.tmp)
            _fsync_dir(os.path.dirname(directory))
            self._uploads[upload.upload_id] = upload
            return upload

    def upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        with self._lock:
            self._need_bucket(bucket)
            upload = self._uploads.get(upload_id)
            if upload is None or upload.completing or (upload.bucket, upload.key) != (bucket, key):
                raise no_such_upload(upload_id)
            return upload

    def put_part(self, bucket: str, key: str, upload_id: str, number: int, received: Received) -> dict[str, Any]:
        """Keep a received part (its digests with it). As :meth:`put`: files and fsyncs outside the
        lock, the commit (the rename of its JSON) and the index under it."""
        try:
            self.upload(bucket, key, upload_id)
            directory = self._bucket_dir(bucket, "uploads", upload_id)
            name = f"{number}-{uuid.uuid4().hex}.part"
            try:
                os.replace(received.path, os.path.join(directory, name))
            except FileNotFoundError:  # aborted meanwhile
                raise no_such_upload(upload_id) from None
        except S3Error:
            received.discard()
            raise
        part = {
            "number": number,
            "file": name,
            "size": received.size,
            "etag": binascii.hexlify(received.md5).decode("ascii"),
            "last_modified": time.time(),
            "checksums": {alg: b64(digest) for alg, digest in received.checksums.items()},
        }
        staged = _stage_json(part, self.tmp)
        with self._lock:
            try:
                upload = self.upload(bucket, key, upload_id)  # not aborted nor completing meanwhile
            except S3Error:
                _remove(staged)
                _remove(os.path.join(directory, name))
                raise
            os.replace(staged, os.path.join(directory, f"part-{number:05d}.json"))
            previous = upload.parts.get(number)
            upload.parts[number] = part
        _fsync_dir(directory)
        if previous:
            _remove(os.path.join(directory, previous["file"]))
        return part

    def list_uploads(self, bucket: str) -> list[Upload]:
        with self._lock:
            self._need_bucket(bucket)
            return sorted(
                (u for u in self._uploads.values() if u.bucket == bucket and not u.completing),
                key=lambda u: (u.key, u.initiated, u.upload_id),
            )

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        with self._lock:
            self.upload(bucket, key, upload_id)
            del self._uploads[upload_id]
            self._forget_upload(bucket, upload_id)

    def _forget_upload(self, bucket: str, upload_id: str) -> None:
        """Remove an upload's directory: its upload.json first (the commit point: a directory
        without one is removed at start), then the rest."""
        directory = self._bucket_dir(bucket, "uploads", upload_id)
        _remove(os.path.join(directory, "upload.json"))
        _fsync_dir(directory)
        shutil.rmtree(directory, ignore_errors=True)

    def complete(self, bucket: str, key: str, upload_id: str, chosen: list[dict[str, Any]]) -> dict[str, Any]:
        """Make the chosen parts (``[{"number"}]``, validated by the caller against :meth:`upload`'s
        parts) the object, in order; the upload id is then gone.

        No byte is copied or read: each part file (fsynced when its UploadPart was answered) is
        hard-linked into ``blobs/``, the directory fsynced once, then the object's metadata
        written (the commit point). A kill before that leaves the upload as it was (the new links
        are unreferenced and removed at start); after it, the upload's directory is removed at
        start. ETag and composite checksum come from the digests each part kept."""
        with self._lock:
            upload = self.upload(bucket, key, upload_id)
            upload.completing = True  # from here, parts and a second complete get NoSuchUpload
        directory = self._bucket_dir(bucket, "uploads", upload_id)
        blobs = self._bucket_dir(bucket, "blobs")
        linked: list[str] = []
        try:
            parts = [upload.parts[entry["number"]] for entry in chosen]
            for part in parts:
                name = uuid.uuid4().hex
                os.link(os.path.join(directory, part["file"]), os.path.join(blobs, name))
                linked.append(name)
            _fsync_dir(blobs)
            md5s = b"".join(binascii.unhexlify(part["etag"]) for part in parts)
            checksum = None
            algorithm = upload.checksum_algorithm
            if algorithm:
                digests = b"".join(base64.b64decode(part["checksums"][algorithm]) for part in parts)
                combined = new_checksum(algorithm)
                combined.update(digests)
                checksum = {
                    "algorithm": algorithm,
                    "value": f"{b64(combined.digest())}-{len(parts)}",
                    "type": "COMPOSITE",
                }
            meta = {
                "key": key,
                "blob": linked[0],
                "size": sum(part["size"] for part in parts),
                "segments": [{"file": name, "size": part["size"]} for name, part in zip(linked, parts, strict=True)],
                "etag": f"{hashlib.md5(md5s).hexdigest()}-{len(parts)}",
                "content_type": upload.content_type,
                "last_modified": time.time(),
                "metadata": upload.metadata,
                "checksum": checksum,
                "upload_id": upload_id,
            }
            with self._lock:
                self._need_bucket(bucket)
                self._commit(bucket, meta)
        except BaseException:
            for name in linked:
                _remove(os.path.join(blobs, name))
            with self._lock:
                upload.completing = False
            raise
        with self._lock:
            self._uploads.pop(upload_id, None)
            self._forget_upload(bucket, upload_id)
        return meta
