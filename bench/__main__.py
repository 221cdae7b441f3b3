"""Run every benchmark and print the figures: ``python -m bench`` (or ``make bench``).

    python -m bench                       everything (about 10 minutes on 2 cores)
    python -m bench --only http,calls     some of them: sdk, probe, http, calls, memory, bodies, cleanup,
                                          standin, scale, deadline, uploads
    python -m bench --markdown out.md     also write the tables (docs/benchmarks.md's form)

It never fails a build: a missing tool or service is reported and that benchmark skipped,
and the exit status is 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import traceback

from . import (
    bodies,
    call_cost,
    cleanup,
    deadline,
    environment,
    http_load,
    memory,
    probe_cost,
    processes,
    scale,
    sdk_costs,
    standin,
    uploads,
)

ALL = ("sdk", "probe", "http", "calls", "memory", "bodies", "cleanup", "standin", "scale", "deadline", "uploads")
NEEDS_NO_SERVICES = ("sdk", "probe", "standin")
# Rate limiting stays on (a Redis increment per call, as in production), with limits no
# load generator reaches; the memory benchmark uses one student per upload anyway.
UNLIMITED = {f"s3video.rate_limit.{action}": "1000000/60" for action in ("upload_url", "confirm", "playback_url")}


def machine() -> list[str]:
    def version(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "not installed"

    cpuinfo = pathlib.Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), platform.processor()
    )
    meminfo = pathlib.Path("/proc/meminfo").read_text().splitlines()
    memory_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return [
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {os.cpu_count()} cores, {cpu}; memory {memory_kib / 1024**2:.0f} GiB",
        f"- Python {platform.python_version()}; waitress options (production.ini): "
        f"{processes.production_server_options()}",
        f"- PostgreSQL: {version(['psql', '--version'])}; "
        f"Redis: {version(['redis-server', '--version']).split(' sha=')[0]}; "
        f"wrk: {version(['wrk', '--version']).split(' Copyright')[0]}",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated: {', '.join(ALL)}")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--seed", type=int, default=500, help="submissions seeded per connection count")
    parser.add_argument("--memory-uploads", type=int, default=50)
    parser.add_argument("--large-mb", type=int, default=500)
    parser.add_argument("--body-requests", type=int, default=20, help="requests in each stream of large bodies")
    parser.add_argument("--cleanup-videos", type=int, default=10_000)
    parser.add_argument("--standin-uploads", type=int, default=50, help="1 MB POSTs to the S3 stand-in")
    parser.add_argument("--standin-large-mib", type=int, default=1024, help="its one multipart upload")
    parser.add_argument("--scale-connections", type=int, default=16, help="wrk connections for 1 and 2 processes")
    parser.add_argument("--deadline-students", type=int, default=500)
    parser.add_argument("--deadline-concurrency", type=int, default=32, help="students under way at once")
    parser.add_argument("--upload-mib", type=int, default=1024, help="the browser-upload file (uploads)")
    parser.add_argument("--upload-rounds", type=int, default=3, help="rounds of the browser-upload clients")
    parser.add_argument(
        "--upload-clients", default=",".join(uploads.CLIENTS), help="comma-separated: engine, uppy, boto3, raw PUT"
    )
    parser.add_argument("--markdown", help="write the tables to this file as well")
    options = parser.parse_args(argv)
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    connections = tuple(int(c) for c in options.connections.split(","))
    sections = {"machine": machine()}
    for line in sections["machine"]:
        print(line)

    def attempt(name, function):
        try:
            sections[name] = function()
        except Exception:  # noqa: BLE001 - a benchmark never fails the build: say what happened and go on
            print(f"{name}: failed\n{traceback.format_exc()}", file=sys.stderr)
            sections[name] = [f"({name}: the run failed; see its output)"]

    if "sdk" in chosen:
        attempt("sdk", lambda: sdk_costs.report(sdk_costs.run()))
    if "probe" in chosen:
        attempt("probe", lambda: probe_cost.report(probe_cost.run()))
    if "standin" in chosen:
        with processes.work_directory("s3video-bench-standin-") as directory:
            attempt(
                "standin",
                lambda: standin.report(
                    standin.run(directory, options.standin_uploads, options.standin_large_mib * memory.MIB)
                ),
            )
    needs_services = [name for name in chosen if name not in NEEDS_NO_SERVICES]
    problems = environment.check_services() if needs_services else []
    if problems:
        print(f"{', '.join(needs_services)}: skipped — {'; '.join(problems)}")
    elif "uploads" in needs_services:  # its own sidecar: the development page on, beside the stand-in
        with environment.environment(with_bare=False, **UNLIMITED, **{"s3video.development.demo": "true"}) as env:
            clients = [name.strip() for name in options.upload_clients.split(",") if name.strip()]
            attempt(
                "uploads",
                lambda: uploads.report(
                    uploads.run(env, options.upload_mib * memory.MIB, options.upload_rounds, clients)
                ),
            )
    if not problems and set(needs_services) - {"uploads"}:
        with environment.environment(**UNLIMITED) as env:
            if "http" in chosen:

                def http():
                    if shutil.which("wrk") is None:
                        return ["(skipped: wrk is not installed; Debian package 'wrk')"]
                    runs = http_load.run(env, connections, options.seconds, options.seed)
                    ecdsa_key = env.directory / "cloudfront-ecdsa.pem"
                    from s3video_sidecar.sdk import cdn

                    cdn.generate_private_key(ecdsa_key, "ecdsa")
                    ecdsa_settings = {
                        **env.settings,
                        "s3video.cloudfront.private_key_file": str(ecdsa_key),
                        "s3video.cloudfront.hash_algorithm": "sha256",
                    }
                    with processes.sidecar(env.directory, ecdsa_settings, name="sidecar-ecdsa") as ecdsa:
                        runs += http_load.playback_with(env, ecdsa, "playback ECDSA", connections, options.seconds)
                    return http_load.report(runs)

                attempt("http", http)
            if "calls" in chosen:  # after http: its bare req/s gives the ratio the floor allows
                attempt("calls", lambda: call_cost.report(call_cost.run(env)))
            if "memory" in chosen:
                sizes = ((memory.MB, options.memory_uploads), (options.large_mb * memory.MB, options.memory_uploads))
                attempt("memory", lambda: memory.report(memory.run(env, sizes)))
            if "bodies" in chosen:
                attempt("bodies", lambda: bodies.report(bodies.run(env, options.body_requests)))
            if "cleanup" in chosen:
                attempt("cleanup", lambda: cleanup.report(cleanup.run(env, options.cleanup_videos)))
            if "scale" in chosen:

                def scale_out():
                    if shutil.which("wrk") is None:
                        return ["(skipped: wrk is not installed; Debian package 'wrk')"]
                    return scale.report(scale.run(env, options.scale_connections, options.seconds))

                attempt("scale", scale_out)
            if "deadline" in chosen:
                attempt(
                    "deadline",
                    lambda: deadline.report(deadline.run(env, options.deadline_students, options.deadline_concurrency)),
                )

    titles = {
        "machine": "Machine",
        "http": "Throughput and latency (wrk)",
        "sdk": "SDK cost per call",
        "calls": "Where a call's time goes (CPU per call, one process)",
        "memory": "Sidecar memory across uploads",
        "bodies": "Sidecar memory under large bodies nobody signed",
        "cleanup": "Deleting videos",
        "probe": "What the media probe reads of a 1 GiB video",
        "standin": "S3 stand-in memory (embedded storage)",
        "scale": "Scale-out: 1 and 2 sidecar processes",
        "deadline": "A deadline: 500 students in 60 s",
        "uploads": "Browser uploads side by side (1 GiB, 16 MiB parts, 4 in flight)",
    }
    text = []
    for name, lines in sections.items():
        text += [f"### {titles[name]}", "", *lines, ""]
    print("\n" + "\n".join(text))
    if options.markdown:
        with open(options.markdown, "w", encoding="utf-8") as handle:
            handle.write("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
