"""Property tests (hypothesis): the S3V1 verifier, the filename sanitiser, the key builder.

S3V1: a request signed by ``sign_headers`` always verifies; change any one thing it
covers — method, path as sent, query, date, nonce, actor, body, key — and it is refused;
send it twice and the second is a replay. The replay check goes through the real
security policy (with an in-memory nonce store) and ``path_as_sent``.

Sanitiser and keys: whatever the filename, the key is one S3 accepts and our own pattern
matches, names its owner, cannot climb out of its prefix, and hides no control or
bidirectional characters.
"""

from __future__ import annotations

import string
import time
import unicodedata
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from webob import Request

from s3video_sidecar.sdk import keys, signing
from s3video_sidecar.sdk.cdn import resource_url
from s3video_sidecar.security import S3V1SecurityPolicy

KEYS = {"moodle": "s" * 32, "rotated": "r" * 32}
NOW = 1_800_000_000
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
segments = st.text(min_size=1, max_size=12).map(signing.rfc3986)
paths = st.lists(segments, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))
query_pairs = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4)
nonces = st.from_regex(r"\A[A-Za-z0-9_-]{16,64}\Z")
actors = st.builds(
    signing.encode_actor,
    st.integers(1, 2**40),
    st.lists(st.sampled_from(signing.ROLES), min_size=1, max_size=3, unique=True),
    st.integers(1, 2**40),
)
bodies = st.binary(max_size=256)
dates = st.integers(NOW - signing.MAX_CLOCK_SKEW_SECONDS, NOW + signing.MAX_CLOCK_SKEW_SECONDS)


def encode_query(pairs) -> str:
    return "&".join(f"{signing.rfc3986(name)}={signing.rfc3986(value)}" for name, value in pairs)


@st.composite
def signed_requests(draw):
    request = {
        "method": draw(methods),
        "path": draw(paths),
        "query": encode_query(draw(query_pairs)),
        "date": draw(dates),
        "nonce": draw(nonces),
        "actor": draw(actors),
        "body": draw(bodies),
        "key_id": draw(st.sampled_from(sorted(KEYS))),
    }
    request["headers"] = sign(request)
    return request


def sign(request) -> dict:
    return signing.sign_headers(
        request["key_id"],
        KEYS[request["key_id"]],
        request["method"],
        request["path"],
        request["query"],
        request["actor"],
        request["body"],
        date=request["date"],
        nonce=request["nonce"],
    )


def verify(request, **changed):
    """Verify the request's original headers against a request with ``changed`` parts."""
    sent = {**request, **changed}
    headers = dict(request["headers"])
    for name, header in (
        ("date", signing.HEADER_DATE),
        ("nonce", signing.HEADER_NONCE),
        ("actor", signing.HEADER_ACTOR),
    ):
        if name in changed:
            headers[header] = str(changed[name])
    if "key_id" in changed:
        headers["Authorization"] = headers["Authorization"].replace(
            f"KeyId={request['key_id']},", f"KeyId={changed['key_id']},"
        )
    signed = signing.SignedRequest(sent["method"], sent["path"], sent["query"], headers, sent["body"])
    return signing.verify(signed, KEYS, now=NOW)


@PROPERTY
@given(signed_requests())
def test_a_signed_request_always_verifies(request):
    key_id, actor, nonce, date = verify(request)
    assert (key_id, nonce, date) == (request["key_id"], request["nonce"], request["date"])
    assert actor == signing.parse_actor(request["actor"])


def refused(request, **changed) -> str:
    with pytest.raises(signing.SignatureError) as refusal:
        verify(request, **changed)
    return refusal.value.code


@PROPERTY
@given(signed_requests(), methods)
def test_another_method_is_refused(request, method):
    assume(method != request["method"])
    assert refused(request, method=method) == "bad_signature"


@PROPERTY
@given(signed_requests(), paths)
def test_another_path_is_refused(request, path):
    assume(path != request["path"])
    assert refused(request, path=path) == "bad_signature"


@PROPERTY
@given(signed_requests(), query_pairs)
def test_another_query_is_refused(request, pairs):
    query = encode_query(pairs)
    assume(signing.canonical_query(query) != signing.canonical_query(request["query"]))
    assert refused(request, query=query) == "bad_signature"


@PROPERTY
@given(signed_requests(), st.integers(0, 2 * NOW))
def test_another_date_is_refused(request, date):
    assume(date != request["date"])
    assert refused(request, date=date) in ("bad_signature", "stale_date")


@PROPERTY
@given(signed_requests(), st.text(max_size=70))
def test_another_nonce_is_refused(request, nonce):
    assume(nonce != request["nonce"] and "\n" not in nonce)
    assert refused(request, nonce=nonce) == "bad_signature"


@PROPERTY
@given(signed_requests(), st.one_of(actors, st.text(max_size=80)))
def test_another_actor_is_refused(request, actor):
    assume(actor != request["actor"])
    assert refused(request, actor=actor) in ("bad_signature", "bad_actor")


@PROPERTY
@given(signed_requests(), bodies)
def test_another_body_is_refused(request, body):
    assume(body != request["body"])
    assert refused(request, body=body) == "bad_signature"


@PROPERTY
@given(signed_requests(), st.sampled_from(["moodle", "rotated", "retired"]))
def test_another_key_is_refused(request, key_id):
    assume(key_id != request["key_id"])
    assert refused(request, key_id=key_id) in ("bad_signature", "unknown_key")


@PROPERTY
@given(signed_requests(), st.integers(signing.MAX_CLOCK_SKEW_SECONDS + 1, 10**6), st.sampled_from([-1, 1]))
def test_a_date_outside_the_skew_is_stale_even_when_signed(request, offset, sign_of):
    request = {**request, "date": NOW + sign_of * offset}
    request["headers"] = sign(request)
    assert refused(request) == "stale_date"


class MemoryNonceStore:
    def __init__(self):
        self.used = set()

    def claim(self, nonce):
        if nonce in self.used:
            return False
        self.used.add(nonce)
        return True


@PROPERTY
@given(signed_requests())
def test_the_policy_accepts_once_then_refuses_the_replay(request):
    policy = S3V1SecurityPolicy(KEYS, MemoryNonceStore(), clock=lambda: NOW)

    def arrive():
        target = request["path"] + (f"?{request['query']}" if request["query"] else "")
        incoming = Request.blank(
            target,
            method=request["method"],
            headers=request["headers"],
            body=request["body"] if request["body"] else None,
        )
        incoming.body = request["body"]
        incoming.environ["REQUEST_URI"] = target  # what waitress passes: the target as sent
        return policy.identity(incoming), incoming

    identity, _ = arrive()
    assert identity is not None and identity.key_id == request["key_id"]
    identity, replay = arrive()
    assert identity is None and replay.s3v1_error.code == "replayed_nonce"


# -- the sanitiser and the key builder --------------------------------------------------------------
filenames = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.printable + "\u202e\u200b\u0000\u00e9\u4e2d./\\", max_size=60),
    st.builds(lambda stem, ext: f"{stem}.{ext}", st.text(max_size=200), st.sampled_from(["mp4", "MP4", "webm", "mov"])),
)
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


@PROPERTY
@given(filenames)
def test_the_sanitised_name_is_safe(name):
    clean = keys.sanitise_filename(name)
    assert clean and len(clean.encode("utf-8")) <= keys.MAX_FILENAME_BYTES
    assert "/" not in clean and "\\" not in clean
    assert not clean.startswith(".") and clean not in (".", "..")
    assert all(unicodedata.category(c)[0] in "LN" or c in "-_." for c in clean)
    assert not any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in clean)


@PROPERTY
@given(filenames)
def test_sanitising_twice_changes_nothing(name):
    clean = keys.sanitise_filename(name)
    assert keys.sanitise_filename(clean) == clean


@PROPERTY
@given(
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=40),
    st.sampled_from(["mp4", "MP4", "webm", "Mov"]),
)
def test_a_video_extension_survives(stem, extension):
    assert keys.sanitise_filename(f"{stem}.{extension}").endswith("." + extension.lower())


@PROPERTY
@given(st.integers(1, 2**62), filenames, st.integers(0, 2**40))
def test_keys_match_the_scheme_and_name_their_owner(user, name, now):
    key = keys.build_s3_key(user, name, now)
    assert keys.KEY_PATTERN.match(key)
    assert keys.key_owner(key) == user
    assert key.startswith(f"videos/{user}/{now}_")
    assert key.rsplit("/", 1)[1] == keys.sanitise_filename(name)
    assert len(key.encode("utf-8")) <= 1024  # S3's limit on a key
    assert ".." not in key.split("/")
    url = resource_url("https://cdn.example", key)
    assert unquote(url.split("https://cdn.example/", 1)[1]) == key  # the CDN URL names this key exactly
    staging = keys.staging_key(key)  # where its POST upload lands: never under videos/, and back again
    assert staging.startswith(keys.STAGING_PREFIX) and not staging.startswith(keys.PREFIX)
    assert keys.final_key(staging) == key and len(staging.encode("utf-8")) <= 1024


def test_keys_do_not_repeat():
    now = int(time.time())
    assert len({keys.build_s3_key(7, "x.mp4", now) for _ in range(10_000)}) == 10_000
