"""The sidecar's resident memory under a stream of large request bodies nobody signed.

Issue 12.5: four unsigned 48 MiB POSTs once grew the sidecar from 391 to 588 MB, for good.
Now waitress refuses a body over ``max_request_body_size`` (the API's largest request) from
its headers, and the app refuses an unsigned or ill-signed request from its headers,
without reading its body. Three streams, each to the sidecar under ``production.ini``'s
server options, its RSS sampled throughout (psutil, every 20 ms):

- unsigned 48 MiB bodies (the client sends until the server stops it): 413;
- unsigned bodies just under the cap: 401, the body never read by the app;
- signed headers with a wrong signature, bodies just under the cap: 401 once the body's
  digest is checked (the most a caller without the key can make the sidecar read).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from s3video_sidecar.schemas import MAX_BODY_BYTES
from s3video_sidecar.sdk import signing

from . import processes
from .memory import MIB, Sampler

PATH = "/assignments/90/submissions/91/upload-url"


@dataclass
class BodyRun:
    label: str
    requests: int
    body_bytes: int
    statuses: dict
    seconds: float
    rss_before_mib: float
    rss_after_mib: float
    rss_peak_mib: float


def post(address, headers: dict, size: int) -> str:
    """POST ``size`` bytes (or until the server answers and closes); return the status code."""
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {address[0]}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\nConnection: close\r\n"
    )
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    chunk = b" " * MIB
    with socket.create_connection(address, timeout=60) as sock:
        sock.sendall(head.encode())
        sent = 0
        try:
            while sent < size:
                sent += sock.send(chunk[: min(MIB, size - sent)])
        except OSError:
            pass  # the server answered from the headers and closed: the rest was never wanted
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            return "reset"
    return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "closed"


def ill_signed_headers() -> dict:
    headers = signing.sign_headers(
        processes.KEY_ID, processes.SECRET, "POST", PATH, "", signing.encode_actor(91, ["student"], 9), b"{}"
    )
    return headers  # signed over "{}": any other body does not match


def run(env, count: int = 20, log=print) -> list[BodyRun]:
    address = ("127.0.0.1", env.sidecar.port)
    under_cap = MAX_BODY_BYTES - 1024
    streams = [
        ("unsigned 48 MiB", dict, 48 * MIB),
        (f"unsigned {under_cap / MIB:.1f} MiB", dict, under_cap),
        (f"ill-signed {under_cap / MIB:.1f} MiB", ill_signed_headers, under_cap),
    ]
    post(address, {}, 1024)  # warm
    results = []
    for label, headers, size in streams:
        sampler = Sampler(env.sidecar.pid)
        before = sampler.rss()
        statuses: dict = {}
        started = time.monotonic()
        with sampler:
            for _ in range(count):
                status = post(address, headers(), size)
                statuses[status] = statuses.get(status, 0) + 1
        time.sleep(1)  # whatever the server still frees
        run = BodyRun(
            label,
            count,
            size,
            statuses,
            time.monotonic() - started,
            before / MIB,
            sampler.rss() / MIB,
            sampler.peak / MIB,
        )
        results.append(run)
        log(
            f"bodies: {count} x {label}: {statuses}; RSS {run.rss_before_mib:.1f} -> {run.rss_after_mib:.1f} MiB"
            f" (peak {run.rss_peak_mib:.1f} MiB)"
        )
    return results


def report(runs: list[BodyRun]) -> list[str]:
    lines = [
        f"Body cap (waitress and the app): {MAX_BODY_BYTES} bytes.",
        "",
        "| requests | each | answered | sidecar RSS before | after | peak | time |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        answered = ", ".join(f"{status} x{n}" for status, n in sorted(run.statuses.items()))
        lines.append(
            f"| {run.requests} | {run.label} | {answered} | {run.rss_before_mib:.1f} MiB |"
            f" {run.rss_after_mib:.1f} MiB | {run.rss_peak_mib:.1f} MiB | {run.seconds:.1f} s |"
        )
    return lines
