"""S3V1: the signed-request scheme between Moodle (or any client) and the sidecar.

This module is the single definition of the string to sign. The sidecar's security
policy verifies with it, the Python client signs with it, and the PHP stub mirrors it
line by line (``moodle_plugin/classes/sidecar_client.php``); the shared vectors in
``tests/vectors/s3v1_signing.json`` keep the two languages from drifting.

Rules (ARCHITECTURE.md, "Moodle -> sidecar request contract"):

- lines joined by ``\\n``: algorithm, method, path as sent, canonical query, date,
  nonce, actor header exactly as sent, lowercase hex SHA-256 of the body;
- the canonical query decodes every ``name=value`` pair, re-encodes name and value
  per RFC 3986 (only ``A-Za-z0-9-_.~`` kept), sorts by name then value and joins
  with ``&``;
- signatures are compared in constant time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeGuard
from urllib.parse import quote, unquote

from . import strictjson
from .domain import Actor as Actor  # re-exported: signing.Actor is what the header carries

ALGORITHM = "S3V1-HMAC-SHA256"
MAX_CLOCK_SKEW_SECONDS = 300
NONCE_LIFETIME_SECONDS = 600
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DATE_PATTERN = re.compile(r"[0-9]{1,12}")
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
AUTHORIZATION_PATTERN = re.compile(
    r"^S3V1-HMAC-SHA256 KeyId=(?P<key_id>[^,\s]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
ROLES = ("student", "grader", "admin")

HEADER_DATE = "X-S3Video-Date"
HEADER_NONCE = "X-S3Video-Nonce"
HEADER_ACTOR = "X-S3Video-Actor"


class SignatureError(Exception):
    """A request failed S3V1 verification; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def rfc3986(text: str) -> str:
    """Percent-encode everything but the unreserved characters ``A-Za-z0-9-_.~``."""
    return quote(text, safe="-_.~")


def canonical_query(query_string: str) -> str:
    """Decode the raw query string, re-encode each pair per RFC 3986, sort, join."""
    pairs = []
    for part in query_string.split("&") if query_string else []:
        if not part:
            continue
        name, _, value = part.partition("=")
        # '+' means a space in form-encoded queries; decode it the same way on both sides.
        pairs.append((rfc3986(unquote(name.replace("+", " "))), rfc3986(unquote(value.replace("+", " ")))))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body or b"").hexdigest()


def string_to_sign(
    method: str,
    path: str,
    query_string: str,
    date: str,
    nonce: str,
    actor: str,
    body: bytes,
    *,
    digest: str | None = None,
) -> str:
    """The text S3V1 signs; ``digest`` is the body's hex SHA-256 when the caller hashed it as a stream."""
    return "\n".join(
        [
            ALGORITHM,
            method.upper(),
            path,
            canonical_query(query_string),
            date,
            nonce,
            actor,
            digest or body_digest(body),
        ]
    )


def signature(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def encode_actor(user: int, roles: list[str] | tuple[str, ...], course: int, group: int | None = None) -> str:
    """The actor header as the contract spells it: compact JSON, keys in a fixed order.

    ``group`` (optional) is the Moodle group whose team submission the call is about.
    """
    actor = {"user": int(user), "roles": list(roles), "course": int(course)}
    if group is not None:
        actor["group"] = int(group)
    return json.dumps(actor, separators=(",", ":"))


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def parse_keys(text: str) -> dict[str, str]:
    """Parse ``s3video.hmac_keys``: whitespace-separated ``id:secret`` pairs."""
    keys: dict[str, str] = {}
    for item in (text or "").split():
        key_id, sep, secret = item.partition(":")
        if not sep or not KEY_ID_PATTERN.match(key_id) or len(secret) < 16:
            raise ValueError(
                "each entry must be id:secret with an id of [A-Za-z0-9_.-] and a secret of at least 16 characters"
            )
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} appears twice")
        keys[key_id] = secret
    if not keys:
        raise ValueError("at least one id:secret pair is required")
    return keys


# Actor headers whose parse is kept: a Moodle's actor header is about 60-120 characters.
ACTOR_CACHE_ENTRIES = 4096
ACTOR_CACHE_MAX_CHARS = 256


def parse_actor(header: str) -> Actor:
    """The ``X-S3Video-Actor`` header's JSON as an :class:`~s3video_sidecar.sdk.domain.Actor`
    (``SignatureError`` ``bad_actor`` if malformed): the header's format is S3V1's business.

    The answer depends on the header's text alone and an ``Actor`` is frozen, so the last 4,096
    short headers' answers are kept (a Moodle's callers send the same few headers again and
    again); a malformed header raises every time (an exception is not cached). The headers are
    parsed before the signature is checked, so only headers of at most 256 characters are kept:
    anyone who can reach the sidecar can fill the cache, but with at most about 2 MiB."""
    if len(header) <= ACTOR_CACHE_MAX_CHARS:
        return _parse_actor_kept(header)
    return _parse_actor(header)


def _parse_actor(header: str) -> Actor:
    try:
        data = strictjson.loads(header)
    except strictjson.DuplicateKey as error:
        raise SignatureError("bad_actor", f"the actor header is ambiguous: {error}") from None
    except (TypeError, ValueError):
        raise SignatureError("bad_actor", "the actor header is not valid JSON") from None
    if not isinstance(data, dict):
        raise SignatureError("bad_actor", "the actor header must be a JSON object")
    user, roles, course = data.get("user"), data.get("roles"), data.get("course")
    if not _is_id(user) or not _is_id(course):
        raise SignatureError("bad_actor", "actor user and course must be positive integers")
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise SignatureError("bad_actor", f"actor roles must be a list drawn from {', '.join(ROLES)}")
    group = data.get("group")
    if "group" in data and not (_is_id(group) or (type(group) is int and group == 0)):  # int, not bool
        raise SignatureError("bad_actor", "actor group must be a Moodle group id (0 or a positive integer)")
    return Actor(user=user, roles=frozenset(roles), course=course, group=group)


_parse_actor_kept = functools.lru_cache(maxsize=ACTOR_CACHE_ENTRIES)(_parse_actor)


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0 and value < 2**63


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an incoming request that S3V1 covers."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes
    body_sha256: str | None = None  # hex, when the server hashed the body as a stream (``body`` unused)


@dataclass(frozen=True)
class CheckedHeaders:
    """What :func:`check_headers` proved of a request from its headers alone."""

    key_id: str
    secret: str
    date: str
    nonce: str
    actor_header: str
    actor: Actor
    signature: str


def check_headers(headers: Mapping[str, str], keys: dict[str, str], now: float | None = None) -> CheckedHeaders:
    """Everything S3V1 can check before the body is read: the headers are present and well
    formed, the key id is known, the date is within the window, the nonce and the actor header
    parse. The server runs this first, so an unsigned or ill-signed request is refused without
    its body ever being read."""
    authorization = headers.get("Authorization", "")
    date = headers.get(HEADER_DATE)
    nonce = headers.get(HEADER_NONCE)
    actor_header = headers.get(HEADER_ACTOR)
    match = AUTHORIZATION_PATTERN.match(authorization or "")
    if not match or date is None or nonce is None or actor_header is None:
        raise SignatureError(
            "bad_signature",
            "missing or malformed S3V1 headers (Authorization, X-S3Video-Date, X-S3Video-Nonce, X-S3Video-Actor)",
        )
    key_id = match.group("key_id")
    secret = keys.get(key_id)
    if secret is None:
        raise SignatureError("unknown_key", "the key id is not one of the sidecar's keys")
    if not DATE_PATTERN.fullmatch(date):
        raise SignatureError("stale_date", "X-S3Video-Date must be Unix seconds")
    now = time.time() if now is None else now
    if abs(int(date) - now) > MAX_CLOCK_SKEW_SECONDS:
        raise SignatureError(
            "stale_date",
            f"X-S3Video-Date is more than {MAX_CLOCK_SKEW_SECONDS} s from the sidecar's clock",
        )
    if not NONCE_PATTERN.match(nonce):
        raise SignatureError("bad_signature", "X-S3Video-Nonce must be 16-64 of [A-Za-z0-9_-]")
    actor = parse_actor(actor_header)
    return CheckedHeaders(key_id, secret, date, nonce, actor_header, actor, match.group("signature"))


def verify(
    request: SignedRequest, keys: dict[str, str], now: float | None = None, checked: CheckedHeaders | None = None
) -> tuple[str, Actor, str, int]:
    """Check a request's S3V1 headers and signature; return ``(key_id, actor, nonce, date)``.

    ``checked`` is :func:`check_headers`' answer when the caller already has it. Nonce reuse
    is *not* checked here: that needs the shared nonce store, which the caller consults only
    after the signature is proven (so that forged requests can not fill it).
    """
    checked = checked or check_headers(request.headers, keys, now)
    expected = signature(
        checked.secret,
        string_to_sign(
            request.method,
            request.path,
            request.query_string,
            checked.date,
            checked.nonce,
            checked.actor_header,
            request.body,
            digest=request.body_sha256,
        ),
    )
    if not hmac.compare_digest(expected, checked.signature):
        raise SignatureError("bad_signature", "the signature does not match the request")
    return checked.key_id, checked.actor, checked.nonce, int(checked.date)


def sign_headers(
    key_id: str,
    secret: str,
    method: str,
    path: str,
    query_string: str,
    actor: str,
    body: bytes = b"",
    date: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers a client sends; ``path`` and ``query_string`` as they go on the wire."""
    date_text = str(int(time.time()) if date is None else date)
    nonce = nonce or new_nonce()
    text = string_to_sign(method, path, query_string, date_text, nonce, actor, body)
    return {
        HEADER_DATE: date_text,
        HEADER_NONCE: nonce,
        HEADER_ACTOR: actor,
        "Authorization": f"{ALGORITHM} KeyId={key_id}, Signature={signature(secret, text)}",
    }
