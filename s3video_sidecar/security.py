"""S3V1 as Pyramid's security policy, the nonce stores, and the principals ACLs speak of.

Rules:

- Identity is an :class:`Identity` only for a request whose S3V1 signature verifies
  (constant-time compare, +-300 s clock skew, known key) *and* whose nonce is new.
  Otherwise ``request.s3v1_error`` says why, and the forbidden view answers 401 with
  the contract's code.
- The headers are checked before the body is read (key id, date window, nonce format, actor):
  an unsigned or ill-signed request never has its body read, and a signed one whose body is
  over :data:`~s3video_sidecar.schemas.MAX_BODY_BYTES` (the API's largest request) is 413
  unread.
- The nonce is claimed only after the signature is proven, so forged requests cannot
  fill the store. It is claimed once per HTTP request: pyramid_retry's attempts (a new
  Request object each, the same WSGI environ) share the verdict, so a retried request is
  not refused as its own replay. Claims commit on their own, outside the request's transaction, so a
  request that fails later still spends its nonce.
- Both stores fail closed: if the database or Redis cannot answer, the request gets
  503, never a pass.
- Principals: ``user:{u}``, ``role:{r}``, and course-scoped ``student:course:{c}``,
  ``grader:course:{c}``, ``student:{u}:course:{c}`` from the actor's one course, and
  ``student:group:{g}:course:{c}`` when the actor names the group of a team submission.
"""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass
from urllib.parse import quote

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .failures import describe, failure_log
from .models import UsedNonce
from .schemas import MAX_BODY_BYTES
from .sdk import signing
from .sdk.domain import Permission  # noqa: F401  (re-exported: the views' permissions)
from .sdk.errors import TooLarge, Unavailable

log = logging.getLogger(__name__)
VERDICT = "s3video.s3v1_verdict"  # the environ key holding (identity, error) for every attempt of a request


@dataclass(frozen=True)
class Identity:
    actor: signing.Actor
    key_id: str

    @property
    def role(self) -> str:
        return ",".join(sorted(self.actor.roles))


def principals_for(actor: signing.Actor) -> list[str]:
    principals = [Everyone, Authenticated, f"user:{actor.user}"]
    principals += [f"role:{role}" for role in sorted(actor.roles)]
    if "student" in actor.roles:
        principals += [f"student:course:{actor.course}", f"student:{actor.user}:course:{actor.course}"]
        if actor.group is not None:
            principals.append(f"student:group:{actor.group}:course:{actor.course}")
    if "grader" in actor.roles:
        principals.append(f"grader:course:{actor.course}")
    return principals


class DatabaseNonceStore:
    """Used nonces in the ``used_nonces`` table, shared by every process on the database."""

    name = "database"

    def __init__(self, engine, clock):
        self.engine = engine
        self.clock = clock

    def check(self) -> None:
        """Raise (SQLAlchemyError) unless the table answers; ``/health`` asks."""
        with self.engine.connect() as connection:
            connection.execute(select(UsedNonce.nonce).limit(1)).all()

    def claim(self, nonce: str) -> bool:
        now = int(self.clock())
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    UsedNonce.__table__.insert().values(
                        nonce=nonce, expires_timestamp=now + signing.NONCE_LIFETIME_SECONDS
                    )
                )
                if random.random() < 0.01:  # now and then, forget nonces past their lifetime
                    connection.execute(delete(UsedNonce).where(UsedNonce.expires_timestamp < now))
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            failure_log(__name__).error("nonce-db", describe("nonce store: database", str(self.engine.url), exc))
            raise Unavailable("the database cannot be reached; try again later", code="database") from None


class RedisNonceStore:
    """Used nonces as Redis keys with a TTL (``SET NX EX``), for several hosts."""

    name = "redis"

    def __init__(self, redis_client, url: str | None = None):
        self.redis = redis_client
        self.url = url

    def check(self) -> None:
        """Raise (RedisError) unless Redis answers; ``/health`` asks."""
        self.redis.ping()

    def claim(self, nonce: str) -> bool:
        import redis

        try:
            return bool(self.redis.set(f"s3video:nonce:{nonce}", 1, nx=True, ex=signing.NONCE_LIFETIME_SECONDS))
        except redis.RedisError as exc:
            failure_log(__name__).error("nonce-redis", describe("nonce store", self.url, exc))
            raise Unavailable("the nonce store cannot be reached; try again later", code="redis") from None


def path_as_sent(request) -> str:
    """The request path exactly as the client sent it (percent-encoded)."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if raw:
        return raw.split("?", 1)[0]
    # Servers that do not pass the raw URI (webtest): re-encode as an RFC 3986 client would.
    return quote(request.script_name + request.path_info, safe="/-_.~")


EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
# S3V1's four headers and their WSGI environ keys (as webob's ``request.headers`` maps them)
_S3V1_ENVIRON_KEYS = tuple(
    (name, "HTTP_" + name.upper().replace("-", "_"))
    for name in ("Authorization", signing.HEADER_DATE, signing.HEADER_NONCE, signing.HEADER_ACTOR)
)


def s3v1_headers(environ) -> dict[str, str]:
    """The request's S3V1 headers, read from the environ once (not through webob's
    ``EnvironHeaders``, which maps each name again on every lookup): the same values."""
    return {name: environ[key] for name, key in _S3V1_ENVIRON_KEYS if key in environ}


def _body_sha256(request) -> str:
    """The body's SHA-256, read as a stream: a forged request never has its body held in memory
    (webob spools a body over 10 KB to a temporary file, and the view reads it again from there).
    A request that says it has no body (``Content-Length: 0``, a GET's) is not read: its digest is
    the empty body's."""
    if request.content_length == 0:
        return EMPTY_BODY_SHA256
    request.make_body_seekable()
    stream = request.body_file_raw
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(64 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


class S3V1SecurityPolicy:
    def __init__(self, keys: dict[str, str], nonce_store, clock):
        self.keys = keys
        self.nonce_store = nonce_store
        self.clock = clock
        self.acl = ACLHelper()

    def identity(self, request):
        # Pyramid asks several times a request, and pyramid_retry makes a new request per attempt:
        # verify (and spend the nonce) once per WSGI environ, that is once per HTTP request.
        verdict = request.environ.get(VERDICT)
        if verdict is None:
            verdict = request.environ[VERDICT] = self._verify(request)
        identity, error = verdict
        if isinstance(error, TooLarge):
            raise error  # 413 from the error views, whatever the view's permission
        if error is not None:
            request.s3v1_error = error
        return identity

    def _verify(self, request):
        # The headers first: an unsigned or ill-signed request is refused before its body is read,
        # and a body over the API's largest request is refused (413) before it is read either.
        headers = s3v1_headers(request.environ)
        try:
            checked = signing.check_headers(headers, self.keys, now=self.clock())
        except signing.SignatureError as error:
            return None, error
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return None, TooLarge(
                f"the request body is over {MAX_BODY_BYTES} bytes, more than any call needs",
                code="too_large",
                max_body_bytes=MAX_BODY_BYTES,
            )
        signed = signing.SignedRequest(
            method=request.method,
            path=path_as_sent(request),
            query_string=request.query_string,
            headers=headers,
            body=b"",
            body_sha256=_body_sha256(request),
        )
        try:
            key_id, actor, nonce, _date = signing.verify(signed, self.keys, checked=checked)
            if not self.nonce_store.claim(nonce):
                raise signing.SignatureError("replayed_nonce", "this nonce was already used")
        except signing.SignatureError as error:
            return None, error
        return Identity(actor=actor, key_id=key_id), None

    def authenticated_userid(self, request):
        identity = request.identity
        return identity.actor.user if identity else None

    def permits(self, request, context, permission):
        identity = request.identity
        principals = principals_for(identity.actor) if identity else [Everyone]
        return self.acl.permits(context, principals, permission)

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


def includeme(config):
    """The S3V1 policy over the parts ``services.includeme`` registered by name (found so, this module
    does not import the composition root, which builds the nonce stores from here)."""
    import time

    def part(name):
        return config.find_service_factory(name=name)(None, None)

    config.set_security_policy(S3V1SecurityPolicy(part("settings").hmac_keys, part("nonce_store"), time.time))
