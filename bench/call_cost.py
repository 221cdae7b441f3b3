"""Where a call's time goes: the sidecar's CPU per call, against the floor of the I/O it must do.

wrk (``http_load``) measures what the server delivers; this says why. A waitress process
runs Python on one core at a time (the GIL), so its throughput is bounded by the CPU a
call costs there. In this process, one call at a time, with the benchmark's production
settings (PostgreSQL, Redis, RSA-2048 CloudFront key), it measures (``time.process_time``):

- the app's CPU per call, called as a WSGI app (no server): the bare Pyramid view,
  ``GET`` submission, ``upload-url``;
- the **floor** of ``upload-url``: the same round trips made with the drivers alone, no
  framework, no ORM — psycopg: the traversal's SELECT, INSERT video RETURNING id,
  INSERT event, COMMIT (psycopg sends BEGIN on its own); redis-py: the nonce's
  ``SET NX EX`` and the rate limit's ``INCR``/``EXPIREAT`` pipeline; botocore's presigned
  POST. No implementation of the call on these libraries can cost less.

From the floor and the bare view's served cost (``1 / bare req/s`` under wrk, when the
http benchmark ran first) follows the best ratio to the bare view any ``upload-url`` on
this stack could reach on one process: ``bare / (bare + floor)``.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from dataclasses import dataclass

import psycopg
import redis

from s3video_sidecar.sdk import signing
from s3video_sidecar.sdk.storage import make_s3_client

from . import processes
from .http_load import student, sub_path
from .serve import bare_app

ASSIGNMENT = 7


@dataclass
class Cost:
    name: str
    cpu_us: float


def wsgi_environ(method: str, path: str, actor: str | None = None, body: bytes = b"") -> dict:
    """What waitress hands the app for one request, signed with S3V1 when an actor is given."""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "REQUEST_URI": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT": "application/json", "REMOTE_ADDR": "127.0.0.1",
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    if actor is not None:
        headers = signing.sign_headers(processes.KEY_ID, processes.SECRET, method, path, "", actor, body)
        environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return environ


def cpu_per_call_us(call, arguments: list) -> float:
    """CPU µs per ``call(argument)``: a fifth of the arguments warm up, the rest are timed."""
    warm = len(arguments) // 5
    for argument in arguments[:warm]:
        call(argument)
    started = time.process_time()
    for argument in arguments[warm:]:
        call(argument)
    return (time.process_time() - started) / (len(arguments) - warm) * 1e6


class App:
    """The sidecar (or the bare app) as a WSGI callable, each answer checked."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ: dict) -> None:
        statuses = []
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        if not statuses[0].startswith("2"):
            raise RuntimeError(f"{environ['PATH_INFO']}: {statuses[0]} {body[:200]!r}")


def submission_path(submission: int, suffix: str = "") -> str:
    return sub_path(ASSIGNMENT, submission, suffix)


UPLOAD_BODY = json.dumps({"filename": "talk.mp4", "size": 1024, "mime_type": "video/mp4"}).encode()


def app_costs(settings: dict, calls: int, submissions: list[int]) -> list[Cost]:
    from s3video_sidecar.app import main as make_app

    sidecar, bare = App(make_app({}, **settings)), App(bare_app({}))
    for submission in submissions:  # each submission's first upload creates its rows (and the assignment's)
        sidecar(wsgi_environ("POST", submission_path(submission, "/upload-url"), student(submission), UPLOAD_BODY))
    pick = [submissions[i % len(submissions)] for i in range(calls)]
    return [
        Cost("bare Pyramid view", cpu_per_call_us(bare, [wsgi_environ("GET", "/bare") for _ in pick])),
        Cost("GET submission", cpu_per_call_us(
            sidecar, [wsgi_environ("GET", submission_path(s), student(s)) for s in pick])),
        Cost("upload-url", cpu_per_call_us(
            sidecar, [wsgi_environ("POST", submission_path(s, "/upload-url"), student(s), UPLOAD_BODY) for s in pick])),
    ]


def floor_costs(database_url: str, redis_url: str, s3_url: str, calls: int, submissions: list[int]) -> list[Cost]:
    connection = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1))
    store = redis.Redis.from_url(redis_url)
    s3 = make_s3_client("us-east-1", s3_url)
    now = int(time.time())

    def database(submission: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id, a.course_id, a.created_timestamp, s.id, s.assignment_id, s.user_id,"
                " s.current_video_id, s.created_timestamp, v.id, v.s3_key, v.upload_status"
                " FROM (SELECT 1 AS one) AS probe LEFT JOIN assignments a ON a.id = %s"
                " LEFT JOIN submissions s ON s.id = %s LEFT JOIN videos v ON v.id = s.current_video_id",
                (ASSIGNMENT, submission)).fetchone()
            key = f"videos/{submission}/{now}_{uuid.uuid4().hex[:16]}/talk.mp4"
            video_id = cursor.execute(
                "INSERT INTO videos (assignment_id, submission_id, user_id, s3_key, s3_bucket, upload_status,"
                " original_filename, mime_type, declared_size, upload_method, upload_timestamp,"
                " upload_expires_timestamp) VALUES (%s, %s, %s, %s, %s, 'pending', 'talk.mp4', 'video/mp4', 1024,"
                " 'post', %s, %s) RETURNING id",
                (ASSIGNMENT, submission, submission, key, processes.BUCKET, now, now + 3600)).fetchone()[0]
            cursor.execute(
                "INSERT INTO video_events (user_id, assignment_id, submission_id, video_id, s3_key, event_type,"
                " file_size, user_role, timestamp) VALUES (%s, %s, %s, %s, %s, 'upload_requested', 1024,"
                " 'student', %s)", (submission, ASSIGNMENT, submission, video_id, key, now))
        connection.commit()

    def nonce_and_limit(submission: int) -> None:
        store.set(f"s3video:nonce:{uuid.uuid4().hex}", 1, nx=True, ex=signing.NONCE_LIFETIME_SECONDS)
        pipeline = store.pipeline(transaction=True)
        pipeline.incr(f"s3video:rate:upload_url:{submission}:{now // 60}")
        pipeline.expireat(f"s3video:rate:upload_url:{submission}:{now // 60}", now + 61)
        pipeline.execute()

    def presign(submission: int) -> None:
        key = f"videos/{submission}/{now}_{uuid.uuid4().hex[:16]}/talk.mp4"
        s3.generate_presigned_post(Bucket=processes.BUCKET, Key=key, Fields={"Content-Type": "video/mp4"},
                                   Conditions=[{"Content-Type": "video/mp4"}, ["content-length-range", 1, 1 << 30]],
                                   ExpiresIn=3600)

    pick = [submissions[i % len(submissions)] for i in range(calls)]
    try:
        return [
            Cost("floor: psycopg, 5 round trips (BEGIN, SELECT, 2 INSERT, COMMIT)", cpu_per_call_us(database, pick)),
            Cost("floor: redis-py, 2 round trips (nonce, rate limit)", cpu_per_call_us(nonce_and_limit, pick)),
            Cost("floor: botocore presigned POST", cpu_per_call_us(presign, pick)),
        ]
    finally:
        connection.close()
        store.close()


def run(env, calls: int = 3000, log=print) -> dict:
    """``env``: a :class:`bench.environment.Environment`; its bare req/s is used when http ran first."""
    saved = dict(os.environ)
    os.environ.update(processes.STANDIN_ENVIRONMENT)  # the stand-in's credentials, as the sidecar process has them
    try:
        submissions = [ASSIGNMENT * 100_000 + i for i in range(1, 201)]
        log(f"calls: {calls} of each call in this process ...")
        costs = app_costs(env.settings, calls, submissions)
        costs += floor_costs(env.database_url, env.redis_url, env.s3.url, calls, submissions)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    for cost in costs:
        log(f"calls: {cost.name:<70} {cost.cpu_us:8.0f} µs CPU")
    return {"costs": costs, "bare_rps": env.bare_ceiling_rps}


def report(result: dict) -> list[str]:
    costs = {cost.name: cost.cpu_us for cost in result["costs"]}
    floor = sum(value for name, value in costs.items() if name.startswith("floor:"))
    lines = ["| one process, one call at a time | CPU µs per call |", "|---|---:|"]
    lines += [f"| {name} | {value:,.0f} |" for name, value in costs.items()]
    lines.append(f"| **floor of upload-url** (the three above) | **{floor:,.0f}** |")
    bare_rps = result.get("bare_rps")
    if bare_rps:
        served_bare_us = 1e6 / bare_rps
        lines += ["", f"The bare view served by waitress costs {served_bare_us:,.0f} µs a call ({bare_rps:,.0f} req/s"
                  f" under wrk). So the best ratio to it any upload-url on this stack could reach in one process is"
                  f" {served_bare_us:,.0f} / ({served_bare_us:,.0f} + {floor:,.0f}) ="
                  f" **{served_bare_us / (served_bare_us + floor):.2f}**; the sidecar's own upload-url costs"
                  f" {costs['upload-url'] / floor:.1f}× its floor."]
    return lines
