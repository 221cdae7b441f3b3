"""Where a call's time goes: the sidecar's CPU per call, against the floor of the I/O it must do.

wrk (``http_load``) measures what the server delivers; this says why. A waitress process
runs Python on one core at a time (the GIL), so its throughput is bounded by the CPU a
call costs there. In this process, one call at a time, with the benchmark's production
settings (PostgreSQL, Redis, RSA-2048 CloudFront key), it measures (``time.process_time``)
each hot call, called as a WSGI app (no server) — ``GET`` submission, ``playback-url``,
``upload-url``, ``confirm``, sign-parts (4 part URLs with their SHA-256s), complete
(multipart, one part) — and ``/whoami`` (S3V1 and its nonce, pyramid_tm, JSON, no SQL: what every
call pays the framework), and the bare Pyramid view, and against each call its **floor**:
the same I/O made with the drivers alone, no framework, no ORM:

- **SQL**: the exact statements the call sent, recorded (SQLAlchemy's ``before_cursor_execute``)
  while it was timed, replayed with bare psycopg on one connection, each call's statements in
  one transaction (psycopg sends BEGIN itself) ended by one round trip, results fetched;
- **Redis** (redis-py): the nonce's ``SET NX EX``, and for a rate-limited call the
  ``INCR``/``EXPIREAT`` pipeline;
- **S3** (botocore, against the stand-in): the operations the call made — recorded as it ran, and
  checked against the floor's list — on objects and uploads prepared the same way;
  and the local signing it does: botocore's presigned POST, presigned UploadPart URLs,
  botocore's ``CloudFrontSigner`` (cached by URL and expiry window, as the call caches it).

The stand-in, PostgreSQL and Redis run in other processes: only this process's CPU counts, on
both sides. No implementation of a call on these libraries can cost less than its floor.

The ratio is **paired**: each batch of 50 calls is followed at once by its floor for the same
50 (their recorded SQL, their Redis, their S3), so the call and its floor are timed within the same
second under the same load, and the machine's changing load moves both alike. Each batch gives a
ratio; their median and spread are printed beside the totals' ratio.

From the floor and the bare view's served cost (``1 / bare req/s`` under wrk, when the
http benchmark ran first) follows the best ratio to the bare view any version of a call on
this stack could reach on one process: ``bare / (bare + floor)``.

``S3VIDEO_BENCH_PROFILE=1`` also profiles each call (cProfile) and prints its top items;
``S3VIDEO_BENCH_CALLS="GET submission,playback-url"`` measures only those calls (to iterate on one).
"""

from __future__ import annotations

import base64
import contextlib
import cProfile
import datetime as dt
import functools
import hashlib
import io
import json
import os
import pstats
import statistics
import time
import uuid
from dataclasses import dataclass, field

import psycopg
import redis
from botocore.client import BaseClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from s3video_sidecar.sdk import cdn, keys, signing
from s3video_sidecar.sdk.storage import make_s3_client

from . import processes
from .http_load import VIDEO, pending_uploads, put_objects, student, sub_path
from .serve import bare_app

ASSIGNMENT = 7
COURSE = 1
PARTS_SIGNED = 4  # sign-parts: the browser engine asks for 4 parts (with their SHA-256s) at a time
RATE_LIMITED = {"upload-url": "upload_url", "confirm": "confirm", "playback-url": "playback_url", "complete": "confirm"}
# The S3 operations each call makes (checked against what it made), and what its floor does.
S3_OPERATIONS = {
    "whoami": [],
    "GET submission": [],
    "playback-url": [],
    "upload-url": [],
    "sign-parts": [],
    "confirm": ["HeadObject", "CopyObject", "HeadObject", "GetObject", "DeleteObjects"],
    "complete": ["ListParts", "CompleteMultipartUpload", "HeadObject", "GetObject"],
}
LOCAL_SIGNING = {
    "upload-url": "botocore presigned POST",
    "sign-parts": f"{PARTS_SIGNED} presigned UploadPart URLs",
    "playback-url": "CloudFrontSigner, cached per URL and window",
}


@dataclass
class Cost:
    name: str
    cpu_us: float
    floor: dict[str, float] = field(default_factory=dict)  # part of the floor -> CPU µs per call
    statements: float = 0.0  # SQL statements per call
    s3_operations: list[str] = field(default_factory=list)
    batch_ratios: list[float] = field(default_factory=list)  # call / floor, each batch against its own floor

    @property
    def floor_us(self) -> float:
        return sum(self.floor.values())


class Recorder:
    """What each call sends: its SQL statements (every engine) and its S3 operations (every botocore client)."""

    def __init__(self):
        self.sql: list | None = None
        self.s3: list | None = None

    def _cursor_execute(self, _connection, _cursor, statement, parameters, _context, executemany):
        if self.sql is not None:
            self.sql.append((statement, parameters, executemany))

    @contextlib.contextmanager
    def installed(self):
        original = BaseClient._make_api_call
        recorder = self

        def make_api_call(client, operation_name, api_params):
            if recorder.s3 is not None:
                recorder.s3.append(operation_name)
            return original(client, operation_name, api_params)

        event.listen(Engine, "before_cursor_execute", self._cursor_execute)
        BaseClient._make_api_call = make_api_call
        try:
            yield self
        finally:
            BaseClient._make_api_call = original
            event.remove(Engine, "before_cursor_execute", self._cursor_execute)

    def recording(self, call, into_sql: list, into_s3: list):
        def recorded(argument):
            self.sql, self.s3 = [], []
            try:
                call(argument)
            finally:
                into_sql.append(self.sql)
                into_s3.append(self.s3)
                self.sql = self.s3 = None

        return recorded


def wsgi_environ(method: str, path: str, actor: str | None = None, body: bytes = b"") -> dict:
    """What waitress hands the app for one request, signed with S3V1 when an actor is given."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "REQUEST_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    if actor is not None:
        headers = signing.sign_headers(processes.KEY_ID, processes.SECRET, method, path, "", actor, body)
        environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return environ


def json_environ(method: str, path: str, user: int, answer: dict | None = None) -> dict:
    return wsgi_environ(method, path, student(user), json.dumps(answer).encode() if answer is not None else b"")


def cpu_per_call_us(call, arguments: list, profile_as: str | None = None, prepare=None, batch: int = 50) -> float:
    """CPU µs per ``call(prepare(argument))``: a fifth of the arguments warm up, the rest are timed.

    ``prepare`` runs untimed, just before each batch (requests are signed then: a signature lives 300 s).
    """
    prepare = prepare or (lambda argument: argument)
    warm = len(arguments) // 5
    for argument in arguments[:warm]:
        call(prepare(argument))
    profiler = cProfile.Profile(time.process_time) if profile_as and os.environ.get("S3VIDEO_BENCH_PROFILE") else None
    spent = 0.0
    for start in range(warm, len(arguments), batch):
        ready = [prepare(argument) for argument in arguments[start : start + batch]]
        started = time.process_time()
        if profiler:
            profiler.enable()
        for argument in ready:
            call(argument)
        if profiler:
            profiler.disable()
        spent += time.process_time() - started
    if profiler:
        print_profile(profile_as, pstats.Stats(profiler))
    return spent / (len(arguments) - warm) * 1e6


def _area(filename: str) -> str:
    if "s3video_sidecar/" in filename:
        return "s3video_sidecar/" + filename.split("s3video_sidecar/", 1)[1]
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    return "builtins (C)" if filename == "~" else "stdlib"


def print_profile(name: str, stats: pstats.Stats) -> None:
    """CPU by library (own time) and the costliest functions (with what they call)."""
    total = sum(entry[2] for entry in stats.stats.values())
    areas: dict[str, float] = {}
    for (filename, _line, _function), entry in stats.stats.items():
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + entry[2]
    print(f"\n---- profile: {name} (CPU; cProfile inflates every figure: compare shares)")
    print(
        "  own CPU by library: "
        + ", ".join(
            f"{area} {value / total:.0%}" for area, value in sorted(areas.items(), key=lambda item: -item[1])[:12]
        )
    )
    stats.sort_stats("cumulative").print_stats(
        r"s3video_sidecar|zope|pyramid_tm|sqlalchemy/(orm/session|engine/base|pool)"
        r"|transaction/_manager|pyramid/router",
        28,
    )


class App:
    """The sidecar (or the bare app) as a WSGI callable, each answer checked and returned."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ: dict) -> dict | None:
        statuses = []
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        if not statuses[0].startswith("2"):
            raise RuntimeError(f"{environ['PATH_INFO']}: {statuses[0]} {body[:200]!r}")
        return json.loads(body) if body else None


def submission_path(submission: int, suffix: str = "") -> str:
    return sub_path(ASSIGNMENT, submission, suffix)


UPLOAD = {"filename": "talk.mp4", "size": len(VIDEO), "mime_type": "video/mp4"}
UPLOAD_BODY = json.dumps(UPLOAD).encode()
PART_SHA256 = base64.b64encode(hashlib.sha256(VIDEO).digest()).decode()


def _s3_client(s3_url: str):
    return make_s3_client("us-east-1", s3_url)  # the stand-in's credentials are in the environment


def upload_one_part(s3, s3_key: str, upload_id: str) -> str:
    """What a browser does between start and complete: PUT the one part (with its SHA-256); its ETag."""
    answer = s3.upload_part(
        Bucket=processes.BUCKET, Key=s3_key, UploadId=upload_id, PartNumber=1, Body=VIDEO, ChecksumSHA256=PART_SHA256
    )
    return answer["ETag"].strip('"')


class Floor:
    """Each call's floor (see the module's docstring), as parts timed item by item beside the call.

    Every part is ``part(request, record)``: the call's request tuple (``(method, path, user, body)``)
    and the SQL it sent; the S3 objects and uploads the floors of confirm and complete work on are
    made first, one per call (:meth:`prepare`).
    """

    def __init__(self, env):
        self.env = env
        self.connection = psycopg.connect(env.database_url.replace("postgresql+psycopg://", "postgresql://", 1))
        self.store = redis.Redis.from_url(env.redis_url)
        self.s3 = _s3_client(env.s3.url)
        self.now = int(time.time())
        private_key = cdn.load_private_key(env.settings["s3video.cloudfront.private_key_file"])
        algorithm = cdn.HASH_ALGORITHMS[env.settings.get("s3video.cloudfront.hash_algorithm", "sha1")]
        from botocore.signers import CloudFrontSigner
        from cryptography.hazmat.primitives.asymmetric import ec, padding

        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            cloudfront = CloudFrontSigner("KEY", lambda m: private_key.sign(m, ec.ECDSA(algorithm())))
        else:
            cloudfront = CloudFrontSigner("KEY", lambda m: private_key.sign(m, padding.PKCS1v15(), algorithm()))
        window = -(-(self.now + 3600) // 60) * 60
        self.signed = functools.lru_cache(4096)(
            lambda url: cloudfront.generate_presigned_url(
                url, date_less_than=dt.datetime.fromtimestamp(window, tz=dt.UTC)
            )
        )
        self.objects: list = []  # confirm's staged objects, or complete's open uploads: one per call

    def close(self) -> None:
        self.connection.close()
        self.store.close()

    def prepare(self, name: str, count: int) -> None:
        """The S3 state the floor of ``name`` works on, ``count`` times (untimed)."""
        if name == "confirm":  # a staged upload each
            self.objects = [f"uploads/videos/floor/{i}_{uuid.uuid4().hex[:16]}/talk.mp4" for i in range(count)]
            put_objects(self.env.s3.url, self.objects)
        elif name == "complete":  # an open upload each, its one part PUT
            self.objects = []
            for i in range(count):
                key = f"videos/floor/{i}_{uuid.uuid4().hex[:16]}/talk.mp4"
                upload_id = self.s3.create_multipart_upload(
                    Bucket=processes.BUCKET, Key=key, ContentType="video/mp4", ChecksumAlgorithm="SHA256"
                )["UploadId"]
                upload_one_part(self.s3, key, upload_id)
                self.objects.append((key, upload_id))

    def parts(self, name: str) -> dict:
        """The floor of call ``name``: part name -> ``part(index, request, record)``."""
        action = RATE_LIMITED.get(name)
        parts = {
            "psycopg": lambda _i, _request, record: self.replay(record),
            "redis-py": (
                (lambda _i, request, _record: self.nonce_and_limit(request[2], action))
                if action
                else (lambda _i, _request, _record: self.nonce())
            ),
        }
        local = {"upload-url": self.presign_post, "sign-parts": self.part_urls, "playback-url": self.playback_sign}
        if name in local:
            parts["botocore (local)"] = lambda _i, request, _record, sign=local[name]: sign(request[2])
        if name == "confirm":
            parts["botocore (S3)"] = lambda i, _request, _record: self.confirm_s3(self.objects[i])
        if name == "complete":
            parts["botocore (S3)"] = lambda i, _request, _record: self.complete_s3(self.objects[i])
        return parts

    def replay(self, record: list) -> None:
        """A call's statements with bare psycopg, in one transaction ended by one round trip."""
        with self.connection.cursor() as cursor:
            for statement, parameters, many in record:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
        self.connection.rollback()  # one round trip, as the call's COMMIT (the server's work is not this process's)

    def nonce(self) -> None:
        self.store.set(f"s3video:nonce:{uuid.uuid4().hex}", 1, nx=True, ex=signing.NONCE_LIFETIME_SECONDS)

    def nonce_and_limit(self, submission: int, action: str) -> None:
        self.nonce()
        pipeline = self.store.pipeline(transaction=True)
        pipeline.incr(f"s3video:rate:{action}:{submission}:{self.now // 60}")
        pipeline.expireat(f"s3video:rate:{action}:{submission}:{self.now // 60}", self.now + 61)
        pipeline.execute()

    def presign_post(self, submission: int) -> None:
        key = f"uploads/videos/{submission}/{self.now}_{uuid.uuid4().hex[:16]}/talk.mp4"
        self.s3.generate_presigned_post(
            Bucket=processes.BUCKET,
            Key=key,
            Fields={"Content-Type": "video/mp4"},
            Conditions=[{"Content-Type": "video/mp4"}, ["content-length-range", 1024, 1024]],
            ExpiresIn=3600,
        )

    def part_urls(self, submission: int) -> None:
        for n in range(1, PARTS_SIGNED + 1):
            self.s3.generate_presigned_url(
                "upload_part",
                ExpiresIn=3600,
                Params={
                    "Bucket": processes.BUCKET,
                    "Key": f"videos/{submission}/1_0123456789abcdef/talk.mp4",
                    "UploadId": "upload",
                    "PartNumber": n,
                    "ChecksumSHA256": PART_SHA256,
                },
            )

    def playback_sign(self, submission: int) -> None:
        self.signed(f"https://cdn.example.test/videos/{submission}/1_0123456789abcdef/talk.mp4")

    def confirm_s3(self, key: str) -> None:
        s3 = self.s3
        etag = s3.head_object(Bucket=processes.BUCKET, Key=key, ChecksumMode="ENABLED")["ETag"]
        final = key.removeprefix("uploads/")
        s3.copy_object(
            Bucket=processes.BUCKET,
            Key=final,
            CopySource={"Bucket": processes.BUCKET, "Key": key},
            CopySourceIfMatch=etag,
            ChecksumAlgorithm="SHA256",
        )
        s3.head_object(Bucket=processes.BUCKET, Key=final, ChecksumMode="ENABLED")
        s3.get_object(Bucket=processes.BUCKET, Key=final, Range="bytes=0-63")["Body"].read()
        s3.delete_objects(Bucket=processes.BUCKET, Delete={"Objects": [{"Key": key}], "Quiet": False})

    def complete_s3(self, upload: tuple[str, str]) -> None:
        s3 = self.s3
        key, upload_id = upload
        parts = s3.list_parts(Bucket=processes.BUCKET, Key=key, UploadId=upload_id, PartNumberMarker=0)["Parts"]
        s3.complete_multipart_upload(
            Bucket=processes.BUCKET,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": p["PartNumber"], "ETag": p["ETag"], "ChecksumSHA256": p["ChecksumSHA256"]}
                    for p in parts
                ]
            },
        )
        s3.head_object(Bucket=processes.BUCKET, Key=key, ChecksumMode="ENABLED")
        s3.get_object(Bucket=processes.BUCKET, Key=key, Range="bytes=0-63")["Body"].read()


def paired_cpu_us(
    call, requests: list, prepare, floor: dict, profile_as: str | None = None, batch: int = 50
) -> tuple[float, dict[str, float], list[float], list[list]]:
    """CPU µs per call of ``call(prepare(request))``, and of each part of its floor, timed batch by batch:
    each batch of calls, then at once each floor part for the same requests (with the SQL they sent).

    ``call`` returns the SQL a call sent. A fifth of the requests warm up both sides, the rest are timed.
    Returns the call's µs, each floor part's µs, each batch's call/floor ratio, and the timed calls' SQL.
    """
    warm = len(requests) // 5
    for i, request in enumerate(requests[:warm]):
        record = call(prepare(request))
        for part in floor.values():
            part(i, request, record)
    profiler = cProfile.Profile(time.process_time) if profile_as and os.environ.get("S3VIDEO_BENCH_PROFILE") else None
    spent, floor_spent, ratios, records = 0.0, dict.fromkeys(floor, 0.0), [], []
    for start in range(warm, len(requests), batch):
        chunk = requests[start : start + batch]
        ready = [prepare(request) for request in chunk]
        started = time.process_time()
        if profiler:
            profiler.enable()
        sent = [call(environ) for environ in ready]
        if profiler:
            profiler.disable()
        call_cpu = time.process_time() - started
        floor_cpu = 0.0
        for name, part in floor.items():
            started = time.process_time()
            for i, (request, record) in enumerate(zip(chunk, sent, strict=True), start):
                part(i, request, record)
            part_cpu = time.process_time() - started
            floor_spent[name] += part_cpu
            floor_cpu += part_cpu
        spent += call_cpu
        records += sent
        ratios.append(call_cpu / floor_cpu)
    if profiler:
        print_profile(profile_as, pstats.Stats(profiler))
    timed = len(requests) - warm
    return spent / timed * 1e6, {name: value / timed * 1e6 for name, value in floor_spent.items()}, ratios, records


def costs_of_calls(env, calls: int, submissions: list[int], recorder: Recorder, log=print) -> list[Cost]:
    """The app's CPU per call, each paired with its floor."""
    from s3video_sidecar.app import main as make_app

    sidecar, bare = App(make_app({}, **env.settings)), App(bare_app({}))
    floor = Floor(env)
    s3 = _s3_client(env.s3.url)
    for submission in submissions:  # each submission's first upload creates its rows (and the assignment's)
        sidecar(json_environ("POST", submission_path(submission, "/upload-url"), submission, UPLOAD))
    pick = [submissions[i % len(submissions)] for i in range(calls)]
    few = max(len(submissions), calls // 6)  # calls using up an upload each (confirm, complete); one per submission
    costs = []

    only = {name.strip() for name in os.environ.get("S3VIDEO_BENCH_CALLS", "").split(",") if name.strip()}

    def measure(name, requests):
        if only and name not in only:
            if name == "confirm":  # playback-url needs the videos confirmed: made, not timed
                for request in requests:
                    sidecar(json_environ(*request))
            return
        floor.prepare(name, len(requests))
        s3_calls: list = []

        def call(environ):
            sql: list = []
            recorder.recording(sidecar, sql, s3_calls)(environ)
            return sql[0]

        cpu, floor_us, ratios, records = paired_cpu_us(
            call, requests, lambda request: json_environ(*request), floor.parts(name), profile_as=name
        )
        statements = sum(len(record) for record in records) / len(records)
        operations = max(s3_calls, key=s3_calls.count) if s3_calls else []
        if operations != S3_OPERATIONS[name]:
            log(f"calls: {name} made S3 operations {operations}, its floor makes {S3_OPERATIONS[name]}")
        cost = Cost(name, cpu, floor_us, statements=statements, s3_operations=operations, batch_ratios=ratios)
        costs.append(cost)
        log(
            f"calls: {name:<16} {cpu:8.0f} µs CPU, floor {cost.floor_us:6.0f} µs: {cpu / cost.floor_us:.1f}×"
            f" (batches: median {statistics.median(ratios):.1f}×, {min(ratios):.1f}–{max(ratios):.1f}×);"
            f" {statements:.1f} SQL statements, S3: {operations}"
        )

    try:
        costs.append(
            Cost("bare Pyramid view", cpu_per_call_us(bare, pick, prepare=lambda _: wsgi_environ("GET", "/bare")))
        )
        # the framework's share of every call: S3V1 and its nonce, pyramid_tm and the session, JSON; no SQL
        measure("whoami", [("GET", "/whoami", s) for s in pick])
        measure("upload-url", [("POST", submission_path(s, "/upload-url"), s, UPLOAD) for s in pick])
        # confirm: uploads upload-url issued, their bytes put at the staging key as a browser's POST would
        pending = pending_uploads(env.database_url, ASSIGNMENT)[-few:]
        put_objects(env.s3.url, [keys.staging_key(key) for _, key in pending])
        measure("confirm", [("POST", submission_path(s, "/confirm"), s, {"s3_key": key}) for s, key in pending])
        measure("GET submission", [("GET", submission_path(s), s) for s in pick])
        measure("playback-url", [("GET", submission_path(s, "/playback-url"), s) for s in pick])
        # sign-parts: uploads of 4 parts in progress, asked for the 4 URLs with their SHA-256s
        size = 4 * 16 * 1024**2
        started = [
            (s, sidecar(json_environ("POST", submission_path(s, "/multipart"), s, {**UPLOAD, "size": size})))
            for s in submissions[: 50 if not only or "sign-parts" in only else 1]
        ]
        numbers = range(1, min(PARTS_SIGNED, started[0][1]["part_count"]) + 1)
        ask = {"part_numbers": list(numbers), "checksums": {str(n): PART_SHA256 for n in numbers}}
        measure(
            "sign-parts",
            [
                ("POST", submission_path(s, f"/multipart/{u['upload_id']}/parts"), s, ask)
                for s, u in (started[i % len(started)] for i in range(calls))
            ],
        )
        # complete: one-part uploads, the part PUT to the stand-in
        uploads = []
        for i in range(few if not only or "complete" in only else 0):
            s = submissions[i % len(submissions)]
            u = sidecar(json_environ("POST", submission_path(s, "/multipart"), s, UPLOAD))
            etag = upload_one_part(s3, u["s3_key"], u["upload_id"])
            uploads.append(
                (
                    "POST",
                    submission_path(s, f"/multipart/{u['upload_id']}/complete"),
                    s,
                    {"parts": [{"part_number": 1, "etag": etag}]},
                )
            )
        measure("complete", uploads)
    finally:
        floor.close()
    return costs


def run(env, calls: int = 1200, log=print) -> dict:
    """``env``: a :class:`bench.environment.Environment`; its bare req/s is used when http ran first."""
    saved = dict(os.environ)
    os.environ.update(processes.STANDIN_ENVIRONMENT)  # the stand-in's credentials, as the sidecar process has them
    try:
        submissions = [ASSIGNMENT * 100_000 + i for i in range(1, 201)]
        log(f"calls: {calls} of each call in this process, each batch of 50 paired with its floor ...")
        with Recorder().installed() as recorder:
            costs = costs_of_calls(env, calls, submissions, recorder, log)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    for cost in costs:
        parts = ", ".join(f"{name} {value:.0f}" for name, value in cost.floor.items())
        ratio = (
            f"  floor {cost.floor_us:6.0f} µs ({parts})  ratio {cost.cpu_us / cost.floor_us:.1f}×"
            f" (batch median {statistics.median(cost.batch_ratios):.1f}×)"
            if cost.floor
            else ""
        )
        log(f"calls: {cost.name:<18} {cost.cpu_us:8.0f} µs CPU{ratio}")
    return {"costs": costs, "bare_rps": env.bare_ceiling_rps}


def report(result: dict) -> list[str]:
    costs = result["costs"]
    bare = next(cost for cost in costs if not cost.floor)
    lines = [
        "| one process, one call at a time | CPU µs per call | its floor µs | call / floor |"
        " batches' median (range) | floor: psycopg | redis-py | botocore | SQL statements | S3 operations |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {bare.name} (WSGI, no server) | {bare.cpu_us:,.0f} | | | | | | | | |",
    ]
    for cost in costs:
        if not cost.floor:
            continue
        botocore = sum(value for name, value in cost.floor.items() if name.startswith("botocore"))
        ratios = cost.batch_ratios
        lines.append(
            f"| {cost.name} | {cost.cpu_us:,.0f} | {cost.floor_us:,.0f} | **{cost.cpu_us / cost.floor_us:.1f}×** |"
            f" {statistics.median(ratios):.1f}× ({min(ratios):.1f}–{max(ratios):.1f}) |"
            f" {cost.floor.get('psycopg', 0):,.0f} | {cost.floor.get('redis-py', 0):,.0f} | {botocore:,.0f} |"
            f" {cost.statements:.1f} | {', '.join(cost.s3_operations) or LOCAL_SIGNING.get(cost.name, '')} |"
        )
    bare_rps = result.get("bare_rps")
    if bare_rps:
        served_bare_us = 1e6 / bare_rps
        best = ", ".join(
            f"{cost.name} {served_bare_us / (served_bare_us + cost.floor_us):.2f}" for cost in costs if cost.floor
        )
        lines += [
            "",
            f"The bare view served by waitress costs {served_bare_us:,.0f} µs a call ({bare_rps:,.0f} req/s"
            f" under wrk). The best ratio to it each call could reach on this stack in one process,"
            f" bare / (bare + floor): {best}.",
        ]
    return lines
