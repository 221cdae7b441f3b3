"""The embedded S3 stand-in's resident memory: many small uploads, then one large multipart upload.

The stand-in runs as a process of its own (``bench.serve s3`` with a data directory) and its
RSS is sampled every 20 ms (psutil, :class:`bench.memory.Sampler`), so peaks are seen:

- ``N`` presigned POST uploads of 1 MB, each deleted after (the memory must come back flat);
- one multipart upload of 1 GiB in 16 MiB parts, each with its SHA-256 signed into its URL
  (the stand-in hashes each part once, as it arrives), then CompleteMultipartUpload, which
  concatenates the part files on disk (its time is printed on its own).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass

import requests

from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from s3video_sidecar.sdk.storage import S3Storage, make_s3_client

from . import processes
from .memory import MB, MIB, Sampler, video_file
from .uploads import post_upload

PART_BYTES = 16 * MIB


@dataclass
class StandinRun:
    label: str
    seconds: float
    rss_before_mib: float
    rss_after_mib: float
    rss_peak_mib: float
    note: str = ""


def _post(storage: S3Storage, key: str, path: str, size: int) -> None:
    post = storage.presigned_post(key, "video/mp4", size, 600)
    with open(path, "rb") as source:
        answer = post_upload({"upload": {"url": post.url, "fields": post.fields}}, source, size)
    if answer.status_code != 204:
        raise RuntimeError(f"the stand-in refused a POST: {answer.status_code} {answer.text[:200]}")


def _multipart(storage: S3Storage, key: str, path: str, size: int) -> float:
    """Upload ``path`` in parts; return the seconds CompleteMultipartUpload took."""
    upload_id = storage.create_multipart_upload(key, "video/mp4", checksum_algorithm="SHA256")
    with open(path, "rb") as source:
        number = 0
        while data := source.read(PART_BYTES):
            number += 1
            digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
            url = storage.presigned_part_url(key, upload_id, number, 600, digest)
            answer = requests.put(url, data=data, headers={"x-amz-checksum-sha256": digest}, timeout=600)
            if answer.status_code != 200:
                raise RuntimeError(f"the stand-in refused part {number}: {answer.status_code} {answer.text[:200]}")
    parts = storage.list_parts(key, upload_id)
    started = time.monotonic()
    storage.complete_multipart_upload(key, upload_id, parts)
    return time.monotonic() - started


def run(directory, uploads: int = 50, large_bytes: int = 1024 * MIB, log=print) -> list[StandinRun]:
    data_dir = os.path.join(directory, "standin-data")
    results = []
    with processes.standin(directory, data_dir=data_dir) as standin:
        client = make_s3_client(
            "us-east-1", standin.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY
        )
        storage = S3Storage(client, processes.BUCKET)
        small = video_file(directory, MB)
        for n in range(3):  # import and connect everything once before measuring
            _post(storage, f"videos/warm/{n}.mp4", small, MB)
            client.delete_object(Bucket=processes.BUCKET, Key=f"videos/warm/{n}.mp4")

        sampler = Sampler(standin.pid)
        before, started = sampler.rss(), time.monotonic()
        with sampler:
            for n in range(uploads):
                _post(storage, f"videos/small/{n}.mp4", small, MB)
                client.delete_object(Bucket=processes.BUCKET, Key=f"videos/small/{n}.mp4")
        results.append(
            StandinRun(
                f"{uploads} x 1 MB POST (each deleted)",
                time.monotonic() - started,
                before / MIB,
                sampler.rss() / MIB,
                sampler.peak / MIB,
            )
        )
        log(f"standin: {results[-1]}")

        large = video_file(directory, large_bytes)
        sampler = Sampler(standin.pid)
        before, started = sampler.rss(), time.monotonic()
        with sampler:
            complete_seconds = _multipart(storage, "videos/large/1.mp4", large, large_bytes)
        results.append(
            StandinRun(
                f"1 x {large_bytes // MIB} MiB multipart ({PART_BYTES // MIB} MiB parts)",
                time.monotonic() - started,
                before / MIB,
                sampler.rss() / MIB,
                sampler.peak / MIB,
                f"complete {complete_seconds:.1f} s",
            )
        )
        log(f"standin: {results[-1]}")
        info = storage.head("videos/large/1.mp4")
        if info is None or info.size_bytes != large_bytes:
            raise RuntimeError("the completed object is not the uploaded size")
        client.delete_object(Bucket=processes.BUCKET, Key="videos/large/1.mp4")
        os.unlink(large)
    return results


def report(runs: list[StandinRun]) -> list[str]:
    lines = ["| stand-in workload | RSS before | after | peak | time |", "|---|---:|---:|---:|---:|"]
    for run in runs:
        note = f" ({run.note})" if run.note else ""
        lines.append(
            f"| {run.label} | {run.rss_before_mib:.1f} MiB | {run.rss_after_mib:.1f} MiB |"
            f" {run.rss_peak_mib:.1f} MiB | {run.seconds:.0f} s{note} |"
        )
    return lines
