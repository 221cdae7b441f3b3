"""Throughput and latency of the API under wrk, each figure with its ratio to a bare Pyramid app.

Four calls, each with a valid S3V1 signature: ``GET`` submission, ``playback-url``,
``upload-url`` and ``confirm``; and, in the same run and on the same waitress options,
a bare Pyramid view that returns constant JSON (the framework's ceiling on this machine).

Why wrk with pre-signed requests: S3V1 wants a fresh nonce and an HMAC over it on every
request, and wrk's Lua has no HMAC. So each request is signed here beforehand, written
raw to a file, and ``wrk_replay.lua`` sends each exactly once. A Python load generator
could sign as it goes, but on two cores it would take the CPU the sidecar needs.

The data each call works on is made first, through the API itself: submissions with a
confirmed video (for GET and playback), submissions to upload to, and for ``confirm``
the uploads that ``upload-url`` just issued, with their objects put in the stand-in.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import create_engine, text

from s3video_sidecar.sdk import keys, signing
from s3video_sidecar.sdk.client import SidecarClient
from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from s3video_sidecar.sdk.storage import make_s3_client
from tests.support.videos import mp4_bytes

from . import processes

LUA = pathlib.Path(__file__).with_name("wrk_replay.lua")
COURSE = 9
VIDEO = mp4_bytes(1024, b"v")  # 1 KiB


@dataclass
class Run:
    name: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    failed: int  # non-2xx answers, socket errors and timeouts
    overflow: int  # requests beyond the pre-signed supply (replays, refused)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def raw_request(host: str, method: str, path: str, actor: str | None = None, body: dict | None = None) -> bytes:
    """One HTTP/1.1 request as wrk sends it, signed with S3V1 when an actor is given."""
    data = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    if actor is not None:
        headers = signing.sign_headers(processes.KEY_ID, processes.SECRET, method, path, "", actor, data)
        lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def wrk(
    url: str,
    name: str,
    requests: list[bytes],
    connections: int,
    seconds: int,
    directory: pathlib.Path,
    threads: int = 1,
) -> Run:
    prefix = directory / f"requests-{name}-{connections}"
    for index in range(threads):
        with open(f"{prefix}.{index}", "wb") as handle:
            for raw in requests[index::threads]:
                handle.write(raw + b"\0")
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(prefix),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 120).stdout
    for index in range(threads):
        pathlib.Path(f"{prefix}.{index}").unlink()
    line = next(line for line in output.splitlines() if line.startswith("WRK-RESULT "))
    result = json.loads(line.split(" ", 1)[1])
    failed = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return Run(
        name,
        connections,
        result["requests"],
        result["duration_us"] / 1e6,
        result["p50_us"] / 1e3,
        result["p90_us"] / 1e3,
        result["p99_us"] / 1e3,
        failed,
        result["overflow"],
    )


def student(user: int) -> str:
    return signing.encode_actor(user, ["student"], COURSE)


def sub_path(assignment: int, submission: int, suffix: str = "") -> str:
    return f"/assignments/{assignment}/submissions/{submission}{suffix}"


class Workload:
    """Ids and seeding for one connection count: ready submissions, and submissions to upload to."""

    def __init__(self, sidecar_url: str, connections: int, count: int):
        self.url = sidecar_url
        self.host = sidecar_url.split("//", 1)[1]
        self.ready_assignment = connections * 10 + 1
        self.upload_assignment = connections * 10 + 2
        self.ready = [(self.ready_assignment * 100_000 + i) for i in range(1, count + 1)]
        self.uploads = [(self.upload_assignment * 100_000 + i) for i in range(1, count + 1)]
        self.client = SidecarClient(sidecar_url, processes.KEY_ID, processes.SECRET, timeout=60)

    def seed(self) -> None:
        """Through the API: a confirmed video on each ready submission; one upload on each other one."""

        def ready(submission):
            client = self.client.acting_as(submission, ["student"], COURSE)
            upload = client.request_upload(self.ready_assignment, submission, "talk.mp4", len(VIDEO), "video/mp4")
            client.upload_file(upload, VIDEO, "talk.mp4")
            client.confirm(self.ready_assignment, submission, upload["s3_key"])

        def upload(submission):
            self.client.acting_as(submission, ["student"], COURSE).request_upload(
                self.upload_assignment, submission, "talk.mp4", len(VIDEO), "video/mp4"
            )

        # The first call of each assignment alone: it creates the assignment row.
        ready(self.ready[0])
        upload(self.uploads[0])
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(ready, self.ready[1:]))
            list(pool.map(upload, self.uploads[1:]))

    def get_requests(self, count: int, suffix: str = "") -> list[bytes]:
        return [
            raw_request(self.host, "GET", sub_path(self.ready_assignment, s, suffix), student(s))
            for s in (self.ready[i % len(self.ready)] for i in range(count))
        ]

    def upload_requests(self, count: int) -> list[bytes]:
        body = {"filename": "talk.mp4", "size": len(VIDEO), "mime_type": "video/mp4"}
        return [
            raw_request(self.host, "POST", sub_path(self.upload_assignment, s, "/upload-url"), student(s), body)
            for s in (self.uploads[i % len(self.uploads)] for i in range(count))
        ]

    def confirm_requests(self, pending: list[tuple[int, str]]) -> list[bytes]:
        return [
            raw_request(self.host, "POST", sub_path(self.upload_assignment, s, "/confirm"), student(s), {"s3_key": key})
            for s, key in pending
        ]


def pending_uploads(database_url: str, assignment: int) -> list[tuple[int, str]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT submission_id, s3_key FROM videos WHERE assignment_id = :a AND upload_status = 'pending'"
                    " ORDER BY id"
                ),
                {"a": assignment},
            ).all()
    finally:
        engine.dispose()
    return [(row[0], row[1]) for row in rows]


def put_objects(s3_url: str, object_keys: list[str]) -> None:
    """What the browsers would have uploaded (straight into the stand-in: not the sidecar's work)."""
    client = make_s3_client(
        "us-east-1", s3_url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY
    )
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda key: client.put_object(Bucket=processes.BUCKET, Key=key, Body=VIDEO, ContentType="video/mp4"),
                object_keys,
            )
        )


def run(env, connection_counts=(16, 64), seconds: int = 10, seed_count: int = 500, log=print) -> list[Run]:
    """``env``: a :class:`bench.environment.Environment` with the stand-in, sidecar and bare app running."""
    if shutil.which("wrk") is None:
        log("http: skipped — wrk is not installed (Debian package 'wrk')")
        return []
    directory = env.directory
    bare_host = env.bare.url.split("//", 1)[1]
    runs: list[Run] = []
    for connections in connection_counts:
        log(f"http: seeding {seed_count} + {seed_count} submissions for -c{connections} ...")
        work = Workload(env.sidecar.url, connections, seed_count)
        work.seed()
        env.workloads[connections] = work

        def measure(name, target_url, requests, connections=connections):
            result = wrk(target_url, name, requests, connections, seconds, directory)
            runs.append(result)
            log(
                f"http: {name:<14} -c{connections:<3} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                f"  p99 {result.p99_ms:7.2f} ms  failed {result.failed}  replays {result.overflow}"
            )
            return result

        # Warm both servers (connection pools, caches, JIT-free but import-lazy paths).
        wrk(env.bare.url, "warmup", [raw_request(bare_host, "GET", "/bare")] * 4000, connections, 2, directory)
        wrk(env.sidecar.url, "warmup", work.get_requests(4000), connections, 2, directory)

        bare_supply = int(env.bare_ceiling_rps * seconds * 1.5) if env.bare_ceiling_rps else 120_000
        bare = measure("bare", env.bare.url, [raw_request(bare_host, "GET", "/bare")] * bare_supply)
        env.bare_by_connections[connections] = bare.rps
        supply = max(int(bare.rps * seconds * 1.3), 1000)
        env.bare_ceiling_rps = max(env.bare_ceiling_rps or 0, bare.rps)
        measure("GET submission", env.sidecar.url, work.get_requests(supply))
        measure("playback-url", env.sidecar.url, work.get_requests(supply, "/playback-url"))
        measure("upload-url", env.sidecar.url, work.upload_requests(supply))
        pending = pending_uploads(env.database_url, work.upload_assignment)
        log(f"http: putting {len(pending)} objects at their staging keys for confirm (copied on confirm) ...")
        put_objects(env.s3.url, [keys.staging_key(key) for _, key in pending])
        measure("confirm", env.sidecar.url, work.confirm_requests(pending))
    return runs


def playback_with(env, sidecar, label: str, connection_counts=(16, 64), seconds: int = 10, log=print) -> list[Run]:
    """playback-url again, on another sidecar process (another signing key) over the same data."""
    runs = []
    bare = dict(env.bare_by_connections)
    for connections in connection_counts:
        work = env.workloads[connections]
        work.url, work.host = sidecar.url, sidecar.url.split("//", 1)[1]
        supply = max(int(bare[connections] * seconds * 1.3), 1000)
        wrk(sidecar.url, "warmup", work.get_requests(2000, "/playback-url"), connections, 2, env.directory)
        result = wrk(
            sidecar.url, label, work.get_requests(supply, "/playback-url"), connections, seconds, env.directory
        )
        runs.append(result)
        log(
            f"http: {label:<14} -c{connections:<3} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms"
            f"  p99 {result.p99_ms:7.2f} ms  failed {result.failed}  replays {result.overflow}"
        )
    return runs


def report(runs: list[Run]) -> list[str]:
    """Markdown table: each call's throughput and latency, and its ratio to the bare app's throughput."""
    bare = {run.connections: run.rps for run in runs if run.name == "bare"}
    lines = [
        "| call | connections | req/s | ratio to bare | p50 ms | p99 ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ratio = run.rps / bare[run.connections] if bare.get(run.connections) else float("nan")
        failed = f"{run.failed}" + (f" ({run.overflow} replays)" if run.overflow else "")
        lines.append(
            f"| {run.name} | {run.connections} | {run.rps:,.0f} | {ratio:.2f} | {run.p50_ms:.2f} |"
            f" {run.p99_ms:.2f} | {failed} |"
        )
    return lines
