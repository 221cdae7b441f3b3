"""Scale-out: the throughput of 1, then 2 sidecar processes on PostgreSQL and Redis, as a ratio.

waitress serves from one process (its threads share one GIL), so production runs several
(one per core, docs/deployment.md, ``deploy/``): they share everything a signed call needs,
the database and Redis (nonces, rate limits, the job queue), and hold nothing of their own.

How it is measured, the simplest honest way on one machine: every process listens on the
same port with ``SO_REUSEPORT`` (``bench.serve``'s ``reuse_port``), so the kernel spreads
wrk's connections among them, as nginx's upstream round-robin does in production, without
a proxy's own CPU in the figure. One process is started and measured; a second joins on the
same port and the same load is measured again. The call is ``GET`` submission signed with
S3V1 (a fresh nonce each, claimed in the shared Redis: a replay to the other process is
refused as well), pre-signed and replayed by wrk (``bench/http_load.py`` says why).

On this 2-core machine wrk, PostgreSQL and Redis share the cores with the sidecars, so the
ratio shown is what a second process adds here, below the 2.0 that two free cores would give.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass

from . import http_load, processes


@dataclass
class ScaleRun:
    processes: int
    run: http_load.Run
    share: list[float]  # each process's share of the CPU time the sidecars used


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


def run(env, connections: int = 16, seconds: int = 10, seed_count: int = 200, counts=(1, 2),
        log=print) -> list[ScaleRun]:
    """``env``: a :class:`bench.environment.Environment` (its sidecar seeds the data)."""
    work = http_load.Workload(env.sidecar.url, connections + 1000, seed_count)  # its own assignments
    log(f"scale: seeding {seed_count} submissions with a confirmed video ...")
    work.seed()
    port = processes.free_port()
    host = f"127.0.0.1:{port}"
    work.host = host
    url = f"http://{host}"
    options = {**processes.production_server_options(), "reuse_port": "true"}
    results: list[ScaleRun] = []
    supply = 2000
    with ExitStack() as stack:
        started: list[processes.ServerProcess] = []
        for count in counts:
            while len(started) < count:
                server = processes.sidecar(env.directory, env.settings, options, port=port,
                                           name=f"sidecar-scale-{len(started) + 1}")
                stack.enter_context(server)
                _listening(server.pid, port)
                started.append(server)
            pids = [server.pid for server in started]
            warm = http_load.wrk(url, "warmup", work.get_requests(supply), connections, 3, env.directory)
            supply = max(int(warm.rps * seconds * 2), 2000)
            before = _cpu_seconds(pids)
            result = http_load.wrk(url, "GET submission", work.get_requests(supply), connections, seconds,
                                   env.directory)
            used = [after - first for after, first in zip(_cpu_seconds(pids), before)]
            share = [u / sum(used) if sum(used) else 0.0 for u in used]
            results.append(ScaleRun(count, result, share))
            log(f"scale: {count} process(es): {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                f"  p99 {result.p99_ms:7.2f} ms  failed {result.failed}  replays {result.overflow}"
                f"  CPU shares {' / '.join(f'{s:.0%}' for s in share)}")
    return results


def report(runs: list[ScaleRun]) -> list[str]:
    lines = ["| sidecar processes | req/s (GET submission, S3V1) | ratio to 1 process | p50 ms | p99 ms | failed |"
             " CPU share of each process |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    one = next((r.run.rps for r in runs if r.processes == 1), None)
    for scale in runs:
        ratio = scale.run.rps / one if one else float("nan")
        lines.append(f"| {scale.processes} | {scale.run.rps:,.0f} | {ratio:.2f} | {scale.run.p50_ms:.2f} |"
                     f" {scale.run.p99_ms:.2f} | {scale.run.failed} | {' / '.join(f'{s:.0%}' for s in scale.share)} |")
    return lines
