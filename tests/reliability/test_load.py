"""A bounded load test: 200 simulated users of one assignment, 64 at a time, against a real
sidecar process (waitress with production.ini's server options, nonces and rate limits in
Redis, the suite's database, the S3 stand-in).

Most users do what a class does at a deadline: look at their submission, get an upload
URL, upload to S3, confirm, watch it, some upload a second version, some delete theirs.
Some users hammer upload-url past their limit. Passing means: no 5xx at all; every call
over a configured limit answered 429 with ``Retry-After`` and no other call refused; and
the consistency audit clean afterwards. It stops by itself: at most 60 s of new work.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench import processes
from s3video_sidecar.sdk.client import SidecarClient, SidecarError
from tests.conftest import make_settings
from tests.reliability.conftest import STATS
from tests.support.signed_app import KEY_ID, SECRET
from tests.support.videos import mp4_bytes

pytestmark = pytest.mark.slow

USERS, ABUSIVE, CONNECTIONS, MAX_SECONDS = 200, 30, 64, 60
UPLOAD_LIMIT, WINDOW_SECONDS = 5, 3600  # s3video.rate_limit.upload_url = 5/3600
HAMMER_CALLS = 8
VIDEO = mp4_bytes(2072, b"L")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.server_errors: list[str] = []
        self.refusals: list[tuple[int, str, str]] = []  # (user, call, detail) for every 429
        self.unexpected: list[str] = []

    def record(self, user, call, status, detail=""):
        with self.lock:
            self.statuses[(call, status)] += 1
            if status >= 500:
                self.server_errors.append(f"user {user} {call}: {status} {detail}")
            elif status == 429:
                self.refusals.append((user, call, detail))


def call(tally, user, name, function, *args):
    """Run one API call; return its answer, or None if refused (recorded either way)."""
    try:
        answer = function(*args)
        tally.record(user, name, 200)
        return answer
    except SidecarError as error:
        tally.record(user, name, error.status, f"{error.message} Retry-After={error.retry_after}")
        if error.status == 429 and not (error.retry_after and int(error.retry_after) >= 1):
            tally.unexpected.append(f"user {user}: 429 without Retry-After")
        return None
    except requests.RequestException as error:
        tally.record(user, name, 599, repr(error))
        return None


def student_day(client, tally, assignment, user, rng):
    """What a student does: look, upload, confirm, watch; maybe replace it; maybe delete it."""
    call(tally, user, "state", client.submission, assignment, user)
    for _version in range(2 if rng.random() < 0.3 else 1):
        upload = call(
            tally, user, "upload-url", client.request_upload, assignment, user, "talk.mp4", len(VIDEO), "video/mp4"
        )
        if upload is None:
            return
        client.upload_file(upload, VIDEO, "talk.mp4")
        call(tally, user, "confirm", client.confirm, assignment, user, upload["s3_key"])
        for _ in range(rng.randint(1, 3)):
            call(tally, user, "playback-url", client.playback_url, assignment, user)
    call(tally, user, "state", client.submission, assignment, user)
    if rng.random() < 0.1:
        call(tally, user, "delete", client.delete_submission, assignment, user)


def hammering(client, tally, assignment, user, windows):
    """A user who asks for upload URLs past the limit, then confirms one of them."""
    issued = []
    for _ in range(HAMMER_CALLS):
        windows[user].add(int(time.time()) // WINDOW_SECONDS)
        upload = call(
            tally, user, "upload-url", client.request_upload, assignment, user, "again.mp4", len(VIDEO), "video/mp4"
        )
        if upload is not None:
            issued.append(upload)
    windows[user].add(int(time.time()) // WINDOW_SECONDS)
    if issued:
        client.upload_file(issued[-1], VIDEO, "again.mp4")
        call(tally, user, "confirm", client.confirm, assignment, user, issued[-1]["s3_key"])


@pytest.fixture
def loaded_sidecar(reliable_app, reliability_database_url, embedded_s3_url, signing_key_file, redis_server, tmp_path):
    settings = make_settings(
        reliability_database_url,
        embedded_s3_url,
        signing_key_file,
        **{
            "s3video.bucket": "s3video-reliability",
            "s3video.storage": "aws",
            "s3video.nonce_store": "redis",
            "s3video.rate_limit.store": "redis",
            "s3video.redis_url": redis_server.url,
            "s3video.rate_limit.upload_url": f"{UPLOAD_LIMIT}/{WINDOW_SECONDS}",
            "s3video.rate_limit.confirm": "20/3600",
            "s3video.rate_limit.playback_url": "30/3600",
        },
    )
    process = processes.sidecar(tmp_path, settings, name="loaded-sidecar").start()
    yield process
    process.kill()


def test_200_users_at_the_deadline(loaded_sidecar, ids, audit):
    tally = Tally()
    assignment = ids.assignment
    users = [ids.assignment * 1000 + n for n in range(1, USERS + 1)]  # user id = submission id
    abusive = set(users[:: USERS // ABUSIVE][:ABUSIVE])
    windows = collections.defaultdict(set)
    deadline = time.monotonic() + MAX_SECONDS
    started = time.monotonic()
    local = threading.local()

    def simulate(user):
        if time.monotonic() > deadline:
            return  # bounded: no new user after MAX_SECONDS
        if not hasattr(local, "session"):
            local.session = requests.Session()
        client = SidecarClient(loaded_sidecar.url, KEY_ID, SECRET, session=local.session, timeout=30).acting_as(
            user, ["student"], ids.course
        )
        if user in abusive:
            hammering(client, tally, assignment, user, windows)
        else:
            student_day(client, tally, assignment, user, random.Random(user))

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(simulate, users))
    seconds = time.monotonic() - started
    total = sum(tally.statuses.values())
    STATS.update(
        load_requests=total,
        load_seconds=round(seconds, 1),
        load_users=USERS,
        load_5xx=len(tally.server_errors),
        load_429=len(tally.refusals),
    )

    assert tally.server_errors == [], tally.server_errors[:10]
    assert tally.unexpected == []
    # 429 only where a limit was crossed: the hammering users' upload-url calls past the limit.
    assert {(call_name, user in abusive) for user, call_name, _ in tally.refusals} <= {("upload-url", True)}
    per_user = collections.Counter(user for user, _, _ in tally.refusals)
    for user in abusive:
        allowed = UPLOAD_LIMIT * len(windows[user])  # a window boundary during the test allows another batch
        assert per_user[user] >= HAMMER_CALLS - allowed, (user, per_user[user])
    assert seconds < MAX_SECONDS + 60
    assert audit() == []
