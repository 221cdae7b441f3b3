"""The sidecar's resident memory across many uploads of 1 MB and of 500 MB.

Each upload goes as a browser's would under ``production.ini``: a presigned POST below the
multipart threshold (100 MB), multipart above it (parts PUT straight to S3 through the
URLs the sidecar signs), then confirm. One student per upload (production's rate limits
stay on). The bytes go to the S3 stand-in, a process of its own; the sidecar's RSS is
sampled every 20 ms throughout (psutil), so the peak is seen, not only the end state.
Each confirmed object is deleted from the stand-in afterwards, so 50 x 500 MB need not
sit on its disk at once.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from s3video_sidecar.sdk.client import SidecarClient
from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from s3video_sidecar.sdk.storage import make_s3_client
from tests.support.videos import mp4_bytes

from . import processes
from .uploads import post_upload

MB = 1000**2
MIB = 1024**2


@dataclass
class MemoryRun:
    label: str
    uploads: int
    size_bytes: int
    seconds: float
    rss_before_mib: float
    rss_after_mib: float
    rss_peak_mib: float


class Sampler:
    """Peak RSS of a process, sampled in the background."""

    def __init__(self, pid: int, interval_seconds: float = 0.02):
        import psutil  # the [testing] extra; only this benchmark needs it

        self.process = psutil.Process(pid)
        self.interval = interval_seconds
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return self.process.memory_info().rss

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def video_file(directory, size: int) -> str:
    path = os.path.join(directory, f"video-{size}.mp4")
    if not os.path.exists(path):
        with open(path, "wb") as handle:
            header = mp4_bytes(64)  # an ftyp box (confirm checks the container), then random bytes
            handle.write(header)
            block = os.urandom(MIB)
            remaining = size - len(header)
            while remaining > 0:
                handle.write(block[: min(MIB, remaining)])
                remaining -= min(MIB, remaining)
    return path


def upload_one(client: SidecarClient, assignment: int, submission: int, path: str, size: int) -> str:
    upload = client.request_upload(assignment, submission, "talk.mp4", size, "video/mp4")
    if upload["method"] == "post":
        with open(path, "rb") as source:
            response = post_upload(upload, source, size)
        if response.status_code != 204:
            raise RuntimeError(f"S3 refused the POST: {response.status_code} {response.text[:200]}")
        return client.confirm(assignment, submission, upload["s3_key"])["s3_key"]
    started = client.start_multipart(assignment, submission, "talk.mp4", size, "video/mp4")
    part_size, count = started["part_size"], started["part_count"]
    parts = []
    with open(path, "rb") as source:
        for first in range(1, count + 1, 100):
            numbers = list(range(first, min(count, first + 99) + 1))
            urls = client.sign_parts(assignment, submission, started["upload_id"], numbers)["parts"]
            for part in urls:
                response = client.session.put(part["url"], data=source.read(part_size), timeout=600)
                if response.status_code != 200:
                    raise RuntimeError(f"S3 refused part {part['part_number']}: {response.status_code}")
                parts.append((part["part_number"], response.headers["ETag"]))
    return client.complete_multipart(assignment, submission, started["upload_id"], parts)["s3_key"]


def run(env, sizes=((1 * MB, 50), (500 * MB, 50)), log=print) -> list[MemoryRun]:
    s3 = make_s3_client(
        "us-east-1", env.s3.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY
    )
    base = SidecarClient(env.sidecar.url, processes.KEY_ID, processes.SECRET, timeout=600)
    results = []
    student = 0

    def one(size, path):
        nonlocal student
        student += 1
        client = base.acting_as(900_000 + student, ["student"], 9)
        key = upload_one(client, 90, 900_000 + student, path, size)
        s3.delete_object(Bucket=processes.BUCKET, Key=key)  # keep the stand-in's disk small

    warm = video_file(env.directory, 1 * MB)
    for _ in range(3):
        one(1 * MB, warm)  # import and connect everything once before measuring
    for size, count in sizes:
        path = video_file(env.directory, size)
        sampler = Sampler(env.sidecar.pid)
        before = sampler.rss()
        started = time.monotonic()
        with sampler:
            for _ in range(count):
                one(size, path)
        run = MemoryRun(
            f"{size // MB} MB",
            count,
            size,
            time.monotonic() - started,
            before / MIB,
            sampler.rss() / MIB,
            sampler.peak / MIB,
        )
        results.append(run)
        log(
            f"memory: {count} x {run.label:>6}: RSS {run.rss_before_mib:.1f} -> {run.rss_after_mib:.1f} MiB"
            f" (peak {run.rss_peak_mib:.1f} MiB) in {run.seconds:.0f} s"
        )
        os.unlink(path)
    return results


def report(runs: list[MemoryRun]) -> list[str]:
    lines = [
        "| uploads | each | bytes through S3 | sidecar RSS before | after | peak | time |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.uploads} | {run.label} | {run.uploads * run.size_bytes / 1e9:.2f} GB |"
            f" {run.rss_before_mib:.1f} MiB | {run.rss_after_mib:.1f} MiB | {run.rss_peak_mib:.1f} MiB |"
            f" {run.seconds:.0f} s |"
        )
    if len(runs) >= 2:
        lines.append("")
        lines.append(
            f"Peak RSS difference between the {runs[-1].label} and {runs[0].label} runs: "
            f"{runs[-1].rss_peak_mib - runs[0].rss_peak_mib:+.1f} MiB."
        )
    return lines
