"""A deadline: 500 students each start, upload and confirm one small video within 60 s.

Each student is a thread's turn at three real calls, as the Moodle page and the browser make
them: ``upload-url`` (S3V1-signed, :class:`~s3video_sidecar.sdk.client.SidecarClient`), the
presigned POST of the file to the S3 stand-in over HTTP, and ``confirm`` (signed; the sidecar
copies the object to its final key, checks its container and records it). The work is bounded:
at most ``concurrency`` students are under way at once (a class pressing "upload" in the same
minute, not 500 sockets at once). The sidecar is one process on PostgreSQL and Redis with
``production.ini``'s settings, its production rate limits included (each student makes one
call of each kind). Printed: how many were confirmed, the 5xx and other failures, the wall
time against the 60 s deadline, and p50/p99 of each call.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from s3video_sidecar.sdk.client import SidecarClient, SidecarError, UploadError
from tests.support.videos import mp4_bytes

from . import processes

DEADLINE_SECONDS = 60
ASSIGNMENT = 7001
COURSE = 9
CALLS = ("upload-url", "POST to S3", "confirm")


@dataclass
class DeadlineRun:
    students: int
    concurrency: int
    video_bytes: int
    seconds: float
    confirmed: int
    server_errors: int  # 5xx answers, sidecar or S3
    other_failures: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # call -> seconds
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds used during the run
    load_average: float = 0.0  # the machine's 1-minute load average at the end (other work on the cores)


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    import psutil  # the [testing] extra; only the benchmarks need it

    return {name: sum(psutil.Process(pid).cpu_times()[:2]) for name, pid in pids.items()}


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(env, students: int = 500, concurrency: int = 32, video_bytes: int = 256 * 1024, log=print) -> DeadlineRun:
    """``env``: a :class:`bench.environment.Environment`; a sidecar with production's rate limits is started."""
    settings = processes.production_settings(
        database_url=env.database_url, redis_url=env.redis_url, s3_url=env.s3.url, key_file=env.key_file
    )
    video = mp4_bytes(video_bytes, b"d")
    result = DeadlineRun(students, concurrency, video_bytes, 0.0, 0, 0, latencies={call: [] for call in CALLS})
    lock = threading.Lock()
    local = threading.local()
    done = [0]

    with processes.sidecar(env.directory, settings, name="sidecar-deadline") as sidecar:

        def client_for(user: int) -> SidecarClient:
            if not hasattr(local, "base"):  # one HTTP session per thread
                local.base = SidecarClient(sidecar.url, processes.KEY_ID, processes.SECRET, timeout=60)
            return local.base.acting_as(user, ["student"], COURSE)

        def timed(call: str, function):
            started = time.monotonic()
            try:
                return function()
            except (SidecarError, UploadError) as error:
                status = getattr(error, "status", 0)
                with lock:
                    if status >= 500:
                        result.server_errors += 1
                raise
            finally:
                with lock:
                    result.latencies[call].append(time.monotonic() - started)

        def student(user: int) -> None:
            client = client_for(user)
            try:
                upload = timed(
                    "upload-url", lambda: client.request_upload(ASSIGNMENT, user, "talk.mp4", len(video), "video/mp4")
                )
                timed("POST to S3", lambda: client.upload_file(upload, video, "talk.mp4"))
                timed("confirm", lambda: client.confirm(ASSIGNMENT, user, upload["s3_key"]))
            except Exception as error:  # noqa: BLE001 - any failure is counted and reported; the others go on
                with lock:
                    result.other_failures.append(f"student {user}: {error.__class__.__name__}: {error}"[:300])
                return
            with lock:
                result.confirmed += 1
                done[0] += 1
                if done[0] % 50 == 0:
                    log(f"deadline: {done[0]}/{students} confirmed at {time.monotonic() - began:.1f} s")

        # The assignment's first call alone (it creates the assignment's row), as Moodle's first student would.
        pids = {"sidecar": sidecar.pid, "S3 stand-in": env.s3.pid, "load generator (this process)": os.getpid()}
        cpu_before = _cpu(pids)
        began = time.monotonic()
        student(800_001)
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(student, range(800_002, 800_001 + students)))
        result.seconds = time.monotonic() - began
        result.cpu_seconds = {name: used - cpu_before[name] for name, used in _cpu(pids).items()}
        result.load_average = os.getloadavg()[0]
    log(
        f"deadline: {result.confirmed}/{students} confirmed in {result.seconds:.1f} s (deadline {DEADLINE_SECONDS} s),"
        f" {result.server_errors} 5xx, {len(result.other_failures)} failed"
    )
    for failure in result.other_failures[:5]:
        log(f"deadline: {failure}")
    log(
        "deadline: CPU seconds: "
        + ", ".join(f"{name} {used:.1f}" for name, used in result.cpu_seconds.items())
        + f"; load average {result.load_average:.1f} on {os.cpu_count()} cores"
    )
    return result


def report(result: DeadlineRun) -> list[str]:
    verdict = (
        "met"
        if (result.confirmed == result.students and result.server_errors == 0 and result.seconds <= DEADLINE_SECONDS)
        else "MISSED"
    )
    lines = [
        f"{result.students} students, at most {result.concurrency} at once, each a {result.video_bytes // 1024} KiB"
        f" video: **{result.confirmed} confirmed in {result.seconds:.1f} s** (deadline {DEADLINE_SECONDS} s:"
        f" {verdict}, {result.seconds / DEADLINE_SECONDS:.2f} of it), {result.server_errors} 5xx,"
        f" {len(result.other_failures)} failed; {result.confirmed / result.seconds:.1f} students/s.",
        "",
        "| call | count | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for call, values in result.latencies.items():
        lines.append(
            f"| {call} | {len(values)} | {_percentile(values, 0.5) * 1000:.1f} |"
            f" {_percentile(values, 0.99) * 1000:.1f} | {max(values, default=float('nan')) * 1000:.1f} |"
        )
    lines += [
        "",
        "CPU used during the run: "
        + ", ".join(
            f"{name} {used:.1f} s ({used / result.students * 1000:.0f} ms a student)"
            for name, used in result.cpu_seconds.items()
        )
        + f"; the machine's load average at the end"
        f" {result.load_average:.1f} on {os.cpu_count()} cores.",
    ]
    return lines
