"""Uploads as clients make them: a browser's presigned POST streamed (for the memory and restart
benchmarks and tests), and browser uploads side by side with boto3 and raw PUTs (``--only uploads``).

A browser's presigned POST, streamed: the file goes to S3 in chunks, never whole in memory.

``requests`` builds a multipart body in memory; for 500 MB uploads (the memory benchmark)
and for uploads that must still be under way when the sidecar is killed (the restart
test), :class:`StreamedForm` writes the same ``multipart/form-data`` body chunk by chunk
with its exact ``Content-Length``, optionally pausing between chunks.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import pathlib
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import requests

CHUNK_BYTES = 1024**2


class StreamedForm:
    """The form fields, then the file, as one ``multipart/form-data`` body of known length."""

    def __init__(
        self,
        fields: dict[str, str],
        source: BinaryIO,
        size: int,
        content_type: str,
        chunk_bytes: int = CHUNK_BYTES,
        pause_seconds: float = 0.0,
        started: threading.Event | None = None,
    ):
        self.boundary = "s3video" + secrets.token_hex(12)
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="video"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self.head, self.tail = head, f"\r\n--{self.boundary}--\r\n".encode()
        self.source, self.size = source, size
        self.chunk_bytes, self.pause_seconds, self.started = chunk_bytes, pause_seconds, started

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        remaining = self.size
        while remaining > 0:
            chunk = self.source.read(min(self.chunk_bytes, remaining))
            if not chunk:
                raise ValueError("the file is shorter than its declared size")
            remaining -= len(chunk)
            yield chunk
            if self.started is not None:
                self.started.set()
            if self.pause_seconds:
                time.sleep(self.pause_seconds)
        yield self.tail


def post_upload(upload: dict, source: BinaryIO, size: int, **streaming) -> requests.Response:
    """POST ``size`` bytes from ``source`` with the presigned form the sidecar issued."""
    fields = upload["upload"]["fields"]
    form = StreamedForm(fields, source, size, fields["Content-Type"], **streaming)
    return requests.post(upload["upload"]["url"], data=form, headers={"Content-Type": form.content_type}, timeout=600)


# --- Browser uploads side by side (``python -m bench --only uploads``) -------------------------------------------
#
# One file (1 GiB by default), 16 MiB parts, 4 in flight, to the same S3 stand-in, by:
#   engine   our upload engine in Debian's Chromium on /demo (SHA-256 per part, as in production)
#   uppy     Uppy 5 as shipped (@uppy/aws-s3 5.1's multipart callbacks, no checksums) in the same Chromium,
#            on bench/page/uppy.html; its callbacks answered by this process with boto3
#   boto3    boto3's transfer manager (upload_file), SHA-256 per part
#   raw PUT  presigned UploadPart URLs PUT by 4 threads with requests, no checksums: the HTTP floor
# Each run's time is from the first call to the completed object; the browser's CPU (all its processes)
# per GiB and its peak RSS (all processes, and the page's renderer) are sampled with psutil.

MIB = 1024**2
GIB = 1024**3
PART_BYTES = 16 * MIB
IN_FLIGHT = 4
REPO = pathlib.Path(__file__).resolve().parent.parent
PAGE = REPO / "bench" / "page"
UPPY_BUNDLE = REPO / "node_modules" / "uppy" / "dist" / "uppy.min.mjs"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), None)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the page records: when the engine's state changes, and when the upload is confirmed.
STATE_RECORDER = """
window.benchStates = {};
document.addEventListener('DOMContentLoaded', () => {
    const state = document.getElementById('state');
    new MutationObserver(() => {
        const text = state.textContent.split(':')[0];
        if (!(text in window.benchStates)) { window.benchStates[text] = performance.now(); }
        if (state.dataset.done === 'true' && !('confirmed' in window.benchStates)) {
            window.benchStates.confirmed = performance.now();
        }
    }).observe(state, {childList: true, characterData: true, subtree: true, attributes: true});
});
"""


def make_file(directory: pathlib.Path, size: int) -> pathlib.Path:
    """``size`` bytes that start as an MP4 (so /demo's media check finds H.264) and go on incompressible."""
    from tests.support.videos import mp4_bytes

    path = directory / "bench-upload.mp4"
    path.write_bytes(mp4_bytes(size, os.urandom(MIB)))
    return path


def process_kind(cmdline: list[str]) -> str:
    """A Chromium process's kind from its command line: browser, renderer, gpu, network (the
    network service), storage, audio or utility (another utility process), zygote."""
    args = " ".join(cmdline)
    if "--type=" not in args:
        return "browser"
    kind = args.split("--type=", 1)[1].split()[0]
    if kind == "utility":
        sub = args.split("--utility-sub-type=", 1)[1].split()[0] if "--utility-sub-type=" in args else ""
        return {"network.mojom.NetworkService": "network", "storage.mojom.StorageService": "storage"}.get(
            sub, "audio" if "audio" in sub else "utility"
        )
    return "gpu" if kind == "gpu-process" else kind


class ProcessSampler:
    """CPU seconds (by kind of process) and peak RSS of a process tree (Chromium), sampled every
    20 ms in a thread; and the CPU seconds of other processes (the stand-in, the sidecar) over the
    same time, under their own names."""

    def __init__(self, pid: int, others: dict[str, int] | None = None):
        import psutil

        self.root = psutil.Process(pid)
        self.others = {name: psutil.Process(other) for name, other in (others or {}).items()}
        self.peak_total = self.peak_renderer = self.start_total = self.start_renderer = 0
        self.cpu_by_pid: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self):
        import psutil

        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.Error:  # the tree changes as it is read
            return [self.root]

    def sample(self) -> None:
        import psutil

        total = 0
        for process in self._processes():
            try:
                with process.oneshot():
                    rss = process.memory_info().rss
                    times = process.cpu_times()
                    kind = process_kind(process.cmdline())
                    self.cpu_by_pid[process.pid] = (kind, times.user + times.system)
                    if kind == "renderer":
                        self.peak_renderer = max(self.peak_renderer, rss)
                total += rss
            except psutil.Error:  # gone meanwhile: its CPU seconds so far stay counted
                pass
        self.peak_total = max(self.peak_total, total)

    def _run(self):
        while not self._stop.wait(0.02):
            self.sample()

    def cpu_by_kind(self) -> dict[str, float]:
        kinds: dict[str, float] = {}
        for kind, seconds in self.cpu_by_pid.values():
            kinds[kind] = kinds.get(kind, 0.0) + seconds
        for name, process in self.others.items():
            times = process.cpu_times()  # children too: the stand-in's and sidecar's own are 0
            kinds[name] = times.user + times.system
        return kinds

    def cpu_seconds(self) -> float:
        return sum(seconds for _, seconds in self.cpu_by_pid.values())

    def __enter__(self):
        self.sample()
        self.start_cpu = self.cpu_seconds()
        self.start_kinds = self.cpu_by_kind()
        self.start_total, self.start_renderer = self.peak_total, self.peak_renderer
        self.peak_total = self.peak_renderer = 0
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
        self.used_cpu = self.cpu_seconds() - self.start_cpu
        self.used_by_kind = {
            kind: seconds - self.start_kinds.get(kind, 0.0) for kind, seconds in self.cpu_by_kind().items()
        }


class OtherProcesses:
    """The CPU seconds of named processes (the stand-in) over a block, for the clients outside Chromium."""

    def __init__(self, others: dict[str, int]):
        import psutil

        self.others = {name: psutil.Process(pid) for name, pid in others.items()}

    def _cpu(self) -> dict[str, float]:
        return {name: (t := p.cpu_times()).user + t.system for name, p in self.others.items()}

    def __enter__(self):
        self.start = self._cpu()
        return self

    def __exit__(self, *exc):
        self.used_by_kind = {name: seconds - self.start[name] for name, seconds in self._cpu().items()}


@contextlib.contextmanager
def chromium(directory: pathlib.Path):
    """Debian's Chromium launched by playwright (co-located, so a 1 GiB file is handed over by its
    path), and the pid of its browser process (found among this process's descendants) for psutil."""
    import psutil
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            candidates = [
                process
                for process in psutil.Process().children(recursive=True)
                if "chromium" in process.name() and not any(arg.startswith("--type=") for arg in process.cmdline())
            ]
            if len(candidates) != 1:
                raise RuntimeError(f"expected one Chromium browser process, found {len(candidates)}")
            yield browser, candidates[0].pid
        finally:
            browser.close()


class UppyBackend(http.server.ThreadingHTTPServer):
    """Serves bench/page and answers Uppy's multipart callbacks with boto3 (no checksums)."""

    daemon_threads = True

    def __init__(self, s3_client, bucket: str):
        self.s3, self.bucket = s3_client, bucket
        super().__init__(("127.0.0.1", 0), _UppyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _UppyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.split("?")[0].lstrip("/")
        path = UPPY_BUNDLE if name == "vendor/uppy.min.mjs" else PAGE / name
        if name not in ("uppy.html", "uppy.mjs", "vendor/uppy.min.mjs") or not path.exists():
            return self._send(404, b"not found", "text/plain")
        kind = "text/html" if name.endswith(".html") else "text/javascript"
        self._send(200, path.read_bytes(), kind)

    def do_POST(self):
        s3, bucket = self.server.s3, self.server.bucket
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/uppy/create":
            key = f"bench/uppy/{secrets.token_hex(8)}"
            answer = {
                "key": key,
                "uploadId": s3.create_multipart_upload(
                    Bucket=bucket, Key=key, ContentType=body.get("type") or "video/mp4"
                )["UploadId"],
            }
        elif self.path == "/uppy/sign":
            answer = {
                "method": "PUT",
                "url": s3.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": bucket,
                        "Key": body["key"],
                        "UploadId": body["uploadId"],
                        "PartNumber": body["partNumber"],
                    },
                    ExpiresIn=3600,
                ),
            }
        elif self.path == "/uppy/complete":
            parts = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in body["parts"]]
            s3.complete_multipart_upload(
                Bucket=bucket,
                Key=body["key"],
                UploadId=body["uploadId"],
                MultipartUpload={"Parts": sorted(parts, key=lambda p: p["PartNumber"])},
            )
            answer = {"location": f"{bucket}/{body['key']}"}
        elif self.path == "/uppy/abort":
            s3.abort_multipart_upload(Bucket=bucket, Key=body["key"], UploadId=body["uploadId"])
            answer = {}
        else:
            return self._send(404, b"{}", "application/json")
        self._send(200, json.dumps(answer).encode(), "application/json")


def s3_client(endpoint_url: str):
    import boto3
    from botocore.config import Config

    from s3video_sidecar.sdk.embedded_s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", max_pool_connections=IN_FLIGHT * 2, s3={"addressing_style": "path"}),
    )


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def run_boto3(client, bucket: str, path: pathlib.Path, others: dict[str, int]) -> dict:
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES, max_concurrency=IN_FLIGHT)
    key = f"bench/boto3/{secrets.token_hex(8)}"
    with OtherProcesses(others) as sampler:
        cpu, started = _own_cpu(), time.perf_counter()
        client.upload_file(str(path), bucket, key, ExtraArgs={"ChecksumAlgorithm": "SHA256"}, Config=config)
        seconds, cpu = time.perf_counter() - started, _own_cpu() - cpu
    client.delete_object(Bucket=bucket, Key=key)
    return {"seconds": seconds, "cpu": cpu, "by_kind": {"Python": cpu, **sampler.used_by_kind}}


def run_raw_puts(client, bucket: str, path: pathlib.Path, others: dict[str, int]) -> dict:
    size = path.stat().st_size
    key = f"bench/raw/{secrets.token_hex(8)}"
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=IN_FLIGHT, pool_maxsize=IN_FLIGHT))
    sampler = OtherProcesses(others).__enter__()
    cpu, started = _own_cpu(), time.perf_counter()
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]

    def put(number: int) -> dict:
        url = client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number},
            ExpiresIn=3600,
        )
        with open(path, "rb") as handle:
            handle.seek((number - 1) * PART_BYTES)
            data = handle.read(PART_BYTES)
        response = session.put(url, data=data, timeout=600)
        response.raise_for_status()
        return {"PartNumber": number, "ETag": response.headers["ETag"]}

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        parts = list(pool.map(put, range(1, -(-size // PART_BYTES) + 1)))
    client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    seconds, cpu = time.perf_counter() - started, _own_cpu() - cpu
    sampler.__exit__(None, None, None)
    client.delete_object(Bucket=bucket, Key=key)
    return {"seconds": seconds, "cpu": cpu, "by_kind": {"Python": cpu, **sampler.used_by_kind}}


def _keys(client, bucket: str) -> set[str]:
    keys = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def record_puts(page) -> list[tuple[float, float]]:
    """(start, end) in ms of every PUT the page completes, from the browser's own timing."""
    spans = []

    def finished(request):
        if request.method == "PUT":
            timing = request.timing
            spans.append((timing["startTime"], timing["startTime"] + timing["responseEnd"]))

    page.on("requestfinished", finished)
    return spans


def in_flight(spans: list[tuple[float, float]]) -> dict:
    """Between the first PUT's start and the last one's end: the time with no PUT in flight, and the mean in flight."""
    if not spans:
        return {"idle_seconds": float("nan"), "mean_in_flight": float("nan")}
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    idle = weighted = 0.0
    current, last = 0, events[0][0]
    for time_ms, change in events:
        if current == 0:
            idle += time_ms - last
        weighted += current * (time_ms - last)
        current, last = current + change, time_ms
    span = events[-1][0] - events[0][0]
    return {"idle_seconds": idle / 1000, "mean_in_flight": weighted / span if span else float("nan")}


def run_engine(
    browser, pid: int, sidecar_url: str, path: pathlib.Path, submission: int, others: dict[str, int]
) -> dict:
    context = browser.new_context(base_url=sidecar_url)
    try:
        page = context.new_page()
        page.set_default_timeout(600_000)
        page.add_init_script(STATE_RECORDER)
        puts = record_puts(page)
        page.goto(f"/demo?parts={IN_FLIGHT}")
        page.wait_for_selector("body[data-ready=true]")
        page.fill("#submission", str(submission))
        page.fill("#assignment", str(submission))
        page.set_input_files("#file", str(path))
        with ProcessSampler(pid, others) as sampler:
            started = page.evaluate("performance.now()")
            page.click("#start")
            page.wait_for_selector("#state[data-done=true], #message[data-code]", timeout=600_000)
        code = page.evaluate("document.getElementById('message').dataset.code || ''")
        if code:
            raise RuntimeError(f"the engine's upload failed: {code} ({page.inner_text('#message')})")
        states = page.evaluate("window.benchStates")
        origin = page.evaluate("performance.timeOrigin")
        return {
            "seconds": (states["confirmed"] - started) / 1000,
            # A file under the multipart threshold goes by POST: no PUT, nothing to split.
            "after_last_put": (origin + states["confirmed"] - max(end for _, end in puts)) / 1000
            if puts
            else float("nan"),
            "complete_seconds": (states["confirmed"] - states.get("completing", states["confirmed"])) / 1000,
            # From the click to the first PUT's start: the checks, upload-url, the fingerprint, the
            # multipart's start and list, the first parts' hashes and URLs.
            "before_first_put": (min(start for start, _ in puts) - origin - started) / 1000 if puts else float("nan"),
            "cpu": sampler.used_cpu,
            "by_kind": sampler.used_by_kind,
            "states": {state: (at - started) / 1000 for state, at in states.items()},
            "peak_total": sampler.peak_total,
            "peak_renderer": sampler.peak_renderer,
            "start_total": sampler.start_total,
            "start_renderer": sampler.start_renderer,
            **in_flight(puts),
        }
    finally:
        context.close()


def run_uppy(browser, pid: int, backend: UppyBackend, path: pathlib.Path, others: dict[str, int]) -> dict:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(600_000)
        puts = record_puts(page)
        page.goto(f"{backend.url}/uppy.html?parts={IN_FLIGHT}&part={PART_BYTES}")
        page.wait_for_load_state("load")
        with ProcessSampler(pid, others) as sampler:
            page.set_input_files("#file", str(path))
            page.wait_for_function("window.benchResult !== undefined", timeout=600_000)
        result = page.evaluate("window.benchResult")
        if result["failed"]:
            raise RuntimeError("Uppy's upload failed")
        return {
            "seconds": result["seconds"],
            "cpu": sampler.used_cpu,
            "by_kind": sampler.used_by_kind,
            "before_first_put": (min(start for start, _ in puts) - result["start"]) / 1000 if puts else float("nan"),
            "peak_total": sampler.peak_total,
            "after_last_put": (result["end"] - max(end for _, end in puts)) / 1000 if puts else float("nan"),
            "peak_renderer": sampler.peak_renderer,
            "start_total": sampler.start_total,
            "start_renderer": sampler.start_renderer,
            **in_flight(puts),
        }
    finally:
        context.close()


CLIENTS = ("engine", "uppy", "boto3", "raw PUT")


def run(env, size: int = GIB, rounds: int = 3, clients=CLIENTS) -> dict:
    """``rounds`` rounds, each client once per round in turn (so drift hits them alike)."""
    if CHROMIUM is None:
        raise RuntimeError("Debian's chromium is missing (tools/system-packages.sh installs it)")
    path = make_file(env.directory, size)
    client = s3_client(env.s3.url)
    bucket = env.settings["s3video.bucket"]
    results: dict[str, list[dict]] = {"engine": [], "uppy": [], "boto3": [], "raw PUT": []}
    others = {"stand-in": env.s3.pid, "sidecar": env.sidecar.pid}
    backend = UppyBackend(client, bucket) if UPPY_BUNDLE.exists() and "uppy" in clients else None
    if backend:
        threading.Thread(target=backend.serve_forever, daemon=True).start()
    try:
        with chromium(env.directory) as (browser, pid):
            for round_number in range(rounds):
                submission = 900_000 + round_number  # a fresh submission (and resume scope) per round
                steps = {
                    "engine": lambda submission=submission: run_engine(
                        browser, pid, env.sidecar.url, path, submission, others
                    ),
                    "uppy": lambda: run_uppy(browser, pid, backend, path, others),
                    "boto3": lambda: run_boto3(client, bucket, path, others),
                    "raw PUT": lambda: run_raw_puts(client, bucket, path, others),
                }
                for name in clients:
                    if name == "uppy" and not backend:
                        continue  # node_modules/uppy missing: `make js`
                    before = _keys(client, bucket)
                    try:
                        results[name].append(steps[name]())
                    finally:  # the uploaded GiB goes at once, not with the work directory at the end
                        for key in _keys(client, bucket) - before:
                            client.delete_object(Bucket=bucket, Key=key)
                    print(f"uploads round {round_number + 1}: {name} {results[name][-1]['seconds']:.1f} s", flush=True)
    finally:
        if backend:
            backend.shutdown()
        path.unlink(missing_ok=True)
    return {"size": size, "results": {name: runs for name, runs in results.items() if runs}}


def report(measured: dict) -> list[str]:
    size, results = measured["size"], measured["results"]
    gib = size / GIB
    median = {name: statistics.median(r["seconds"] for r in runs) for name, runs in results.items()}
    best = min(median.values())
    median.setdefault("engine", float("nan"))
    lines = [
        (
            f"{size / GIB:.2f} GiB, {PART_BYTES // MIB} MiB parts, {IN_FLIGHT} in flight, to the S3 stand-in; "
            f"{len(next(iter(results.values())))} rounds, medians (each client once per round, in turn)."
        ),
        "",
        (
            "| client | checksums | seconds (median) | runs | spread | vs engine | vs best | MiB/s | "
            "CPU s per GiB | peak RSS, all processes (growth) | peak RSS, the page's renderer (growth) |"
        ),
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    checksums = {"engine": "SHA-256 per part", "uppy": "none", "boto3": "SHA-256 per part", "raw PUT": "none"}
    for name, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        spread = (max(seconds) - min(seconds)) / median[name] * 100
        cpu = statistics.median(r["cpu"] for r in runs) / gib
        browser = "peak_total" in runs[0]
        peak_total = (
            f"{max(r['peak_total'] for r in runs) / MIB:,.0f} MiB "
            f"(+{max(r['peak_total'] - r['start_total'] for r in runs) / MIB:,.0f})"
            if browser
            else "–"
        )
        peak_page = (
            f"{max(r['peak_renderer'] for r in runs) / MIB:,.0f} MiB "
            f"(+{max(r['peak_renderer'] - r['start_renderer'] for r in runs) / MIB:,.0f})"
            if browser
            else "–"
        )
        who = "Chromium, all processes" if browser else "this Python process"
        lines.append(
            f"| {name} | {checksums[name]} | {median[name]:.1f} | {', '.join(f'{s:.1f}' for s in seconds)} | "
            f"{spread:.0f} % | {median['engine'] / median[name]:.2f} | {best / median[name]:.2f} | "
            f"{size / MIB / median[name]:.0f} | {cpu:.1f} ({who}) | {peak_total} | {peak_page} |"
        )
    lines.append("")
    for name in ("engine", "uppy"):
        if results.get(name):
            runs = results[name]
            mean = statistics.median(r["mean_in_flight"] for r in runs)
            lines.append(
                f"- {name}: PUTs in flight on average {mean:.1f} of {IN_FLIGHT}, "
                f"none for {statistics.median(r['idle_seconds'] for r in runs):.2f} s "
                f"(first PUT to last); up to the last PUT's answer "
                f"{statistics.median(r['seconds'] - r['after_last_put'] for r in runs):.1f} s, then the "
                f"complete {statistics.median(r['after_last_put'] for r in runs):.1f} s (medians)."
            )
    lines += ["", "CPU seconds per GiB by process (medians of the runs):", ""]
    kinds = sorted({kind for runs in results.values() for r in runs for kind in r.get("by_kind", {})})
    lines += [f"| client | {' | '.join(kinds)} |", "|---|" + "---:|" * len(kinds)]
    for name, runs in results.items():
        cells = [
            f"{statistics.median(r['by_kind'].get(kind, 0.0) for r in runs) / gib:.2f}"
            if any(kind in r.get("by_kind", {}) for r in runs)
            else "–"
            for kind in kinds
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines.append("")
    for name in ("engine", "uppy"):
        if results.get(name):
            runs = results[name]
            states = ""
            if name == "engine":
                states = "; the engine's states from the start: " + ", ".join(
                    f"{state} {statistics.median(r['states'].get(state, float('nan')) for r in runs):.2f} s"
                    for state in ("preparing", "uploading")
                )
            lines.append(
                f"- {name}: from the start to the first PUT "
                f"{statistics.median(r['before_first_put'] for r in runs):.2f} s{states} (medians)."
            )
    if "uppy" in median and results.get("engine"):
        lines.append(
            f"- Engine against Uppy as shipped: {median['uppy'] / median['engine']:.2f}× Uppy's speed "
            f"(above 1: faster)."
        )
    return lines
