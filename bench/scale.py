"""Scale-out: the throughput of 1, then 2 sidecar processes on PostgreSQL and Redis, as a ratio.

waitress serves from one process (its threads share one GIL), so production runs several
(one per core, docs/deployment.md, ``deploy/``): they share everything a signed call needs,
the database and Redis (nonces, rate limits, the job queue), and hold nothing of their own.

How it is measured, the simplest honest way on one machine: the processes of a group listen
on one port with ``SO_REUSEPORT`` (``bench.serve``'s ``reuse_port``), so the kernel spreads
wrk's connections among them, as nginx's upstream round-robin does in production, without
a proxy's own CPU in the figure. Two groups run side by side, one process on a port and two
on another; each round measures one group then the other with the same load, back to back,
so the machine's other work falls on both; the ratio is taken per round and its median shown.
The call is ``GET`` submission signed with S3V1 (a fresh nonce each, claimed in the shared
Redis: a replay to the other process is refused as well), pre-signed and replayed by wrk
(``bench/http_load.py`` says why).

On this 2-core machine wrk, PostgreSQL and Redis share the cores with the sidecars, so the
ratio shown is what a second process adds here, below the 2.0 that two free cores would give.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from dataclasses import dataclass

from . import http_load, processes


@dataclass
class ScaleRun:
    processes: int
    run: http_load.Run
    share: list[float]  # each process's share of the CPU time the sidecars used
    round: int = 1
    cpu_ms_per_request: float = 0.0  # the sidecars' CPU (user + system) over the requests answered


def _listening(pid: int, port: int, timeout_seconds: float = 60) -> None:
    """Wait until the process listens on ``port`` (its app is built by then)."""
    import psutil  # the [testing] extra; only the benchmarks need it

    deadline = time.monotonic() + timeout_seconds
    process = psutil.Process(pid)
    while time.monotonic() < deadline:
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in process.net_connections("tcp")):
            return
        time.sleep(0.1)
    raise RuntimeError(f"process {pid} is not listening on {port}")


def _cpu_seconds(pids: list[int]) -> list[float]:
    import psutil

    return [sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids]


def _group(env, count: int, options: dict, stack: ExitStack) -> tuple[str, list[int]]:
    """``count`` sidecar processes listening on one new port; (its URL, their pids)."""
    port = processes.free_port()
    pids = []
    for index in range(count):
        server = processes.sidecar(
            env.directory, env.settings, options, port=port, name=f"sidecar-scale-{count}-{index + 1}"
        )
        stack.enter_context(server)
        _listening(server.pid, port)
        pids.append(server.pid)
    return f"http://127.0.0.1:{port}", pids


def run(
    env, connections: int = 16, seconds: int = 10, seed_count: int = 200, counts=(1, 2), rounds: int = 3, log=print
) -> list[ScaleRun]:
    """``env``: a :class:`bench.environment.Environment` (its sidecar seeds the data).

    Both groups run all along (one process on a port, two on another); each round measures
    one then the other back to back, so a change in the machine's other load falls on both."""
    work = http_load.Workload(env.sidecar.url, connections + 1000, seed_count)  # its own assignments
    log(f"scale: seeding {seed_count} submissions with a confirmed video ...")
    work.seed()
    options = {**processes.production_server_options(), "reuse_port": "true"}
    results: list[ScaleRun] = []
    with ExitStack() as stack:
        groups = {count: _group(env, count, options, stack) for count in counts}
        supply = dict.fromkeys(counts, 2000)
        for count, (url, _pids) in groups.items():
            warm = http_load.wrk(url, "warmup", work.get_requests(supply[count]), connections, 3, env.directory)
            supply[count] = max(int(warm.rps * seconds * 2), 2000)
        for round_number in range(1, rounds + 1):
            for count, (url, pids) in groups.items():
                before = _cpu_seconds(pids)
                result = http_load.wrk(
                    url, "GET submission", work.get_requests(supply[count]), connections, seconds, env.directory
                )
                used = [after - first for after, first in zip(_cpu_seconds(pids), before, strict=True)]
                share = [u / sum(used) if sum(used) else 0.0 for u in used]
                cpu_ms = sum(used) * 1000 / result.requests if result.requests else float("nan")
                results.append(ScaleRun(count, result, share, round_number, cpu_ms))
                log(
                    f"scale: round {round_number}, {count} process(es): {result.rps:8.0f} req/s"
                    f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms  failed {result.failed}"
                    f"  replays {result.overflow}  CPU shares {' / '.join(f'{s:.0%}' for s in share)}"
                    f"  CPU {cpu_ms:.1f} ms a request; load average {os.getloadavg()[0]:.1f}"
                )
    return results


def report(runs: list[ScaleRun]) -> list[str]:
    lines = [
        "| round | sidecar processes | req/s (GET submission, S3V1) | ratio to 1 process (same round) | p50 ms |"
        " p99 ms | failed | CPU share of each process | sidecar CPU a request |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    ratios = []
    for scale in runs:
        one = next((r.run.rps for r in runs if r.processes == 1 and r.round == scale.round), None)
        ratio = scale.run.rps / one if one else float("nan")
        if scale.processes != 1:
            ratios.append(ratio)
        lines.append(
            f"| {scale.round} | {scale.processes} | {scale.run.rps:,.0f} | {ratio:.2f} |"
            f" {scale.run.p50_ms:.2f} | {scale.run.p99_ms:.2f} | {scale.run.failed} |"
            f" {' / '.join(f'{s:.0%}' for s in scale.share)} | {scale.cpu_ms_per_request:.1f} ms |"
        )
    if ratios:
        ordered = sorted(ratios)
        lines += [
            "",
            f"Ratio of 2 processes to 1, per round: {', '.join(f'{r:.2f}' for r in ratios)};"
            f" median **{ordered[len(ordered) // 2]:.2f}**; the machine's load average at the end"
            f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        ]
    return lines
