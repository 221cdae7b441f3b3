"""The embedded S3 stand-in of ``development.ini``: a small S3 on loopback that keeps its data on disk.

It serves the S3 operations the sidecar, the browser and the tests use (path-style
addressing), and refuses what S3 refuses, with S3's status codes and error codes:

- every request but a CORS preflight is authenticated: SigV4 in the ``Authorization``
  header (payload hashes: a hex SHA-256 that must match the body, ``UNSIGNED-PAYLOAD``,
  ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` and ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``,
  chunk signatures included), SigV4 presigned URLs (expiry, and the signature over every
  query parameter, so an edited ``X-Amz-Expires`` fails), or a POST policy. botocore's
  own signers compute the expected signature from the request received;
- POST uploads are parsed as S3 parses them: the request's content type must be
  ``multipart/form-data`` (in any case), field names are case-insensitive and may not
  repeat, exactly one file, which must be the last field (fields after it are ignored,
  as S3 documents), and the policy is checked (signature, expiry, every condition,
  fields it does not cover) before the file's bytes are read;
- checksums sent with a body (``x-amz-checksum-sha256``/``-sha1``/``-crc32``, signed or
  not) must match it (``BadDigest``);
- CORS is answered from the bucket's configured rules, preflight and actual requests;
  an origin no rule names gets no CORS headers (and a 403 preflight).

Objects and open multipart uploads live on disk (:mod:`.embedded_store`), so a restart,
even ``kill -9``, loses nothing that was answered. Memory stays bounded by the requests in
flight: bodies stream to disk in 256 KiB chunks, digests are computed in that one pass.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import logging
import os
import re
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, overload
from urllib.parse import parse_qs, quote, unquote, urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.serving import BaseWSGIServer, make_server

from .aws_setup import cors_configuration
from .embedded_store import (
    CHECKSUM_ALGORITHMS,
    CHUNK_BYTES,
    MAX_PARTS,
    MIN_PART_BYTES,
    Received,
    S3Error,
    Segments,
    Store,
    b64,
)

Environ = dict[str, Any]  # a WSGI environ
Meta = dict[str, Any]  # an object's metadata, a part's, a CORS rule (JSON on disk)
XmlContent = Any  # an element's text, or a list of (tag, content) pairs

ACCESS_KEY_ID = "s3video-embedded"
SECRET_ACCESS_KEY = "s3video-embedded-secret-key"  # loopback stand-in only; never a real credential
log = logging.getLogger(__name__)
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_XML_BYTES = 2 * 1024**2  # a CompleteMultipartUpload of 10,000 parts fits
MAX_POST_FIELDS_BYTES = 20 * 1024  # S3: the fields before the file, at most 20 KB
MAX_SINGLE_BYTES = 5 * 1024**3  # PutObject, a POST and a CopyObject: 5 GiB
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
MAX_SKEW_SECONDS = 15 * 60
DRAIN_BYTES = 16 * 1024**2
COMPLETE_KEEPALIVE_SECONDS = 5  # a refused body up to this size is read, so the client sees the answer
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
_POLICY_EXEMPT_FIELDS = {"policy", "x-amz-signature", "file"}  # S3 needs no condition for these
_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)


def _headers(environ: Environ) -> dict[str, str]:
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = environ[name]
    return headers


@dataclass
class Request:
    environ: Environ
    method: str
    raw_path: str
    raw_query: str
    bucket: str
    key: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    _body: Body | None = None

    @classmethod
    def parse(cls, environ: Environ) -> Request:
        raw = (
            environ.get("RAW_URI")
            or environ.get("REQUEST_URI")
            or (
                quote(environ.get("PATH_INFO", "/"))
                + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
            )
        )
        raw_path, _, raw_query = raw.partition("?")
        if "://" in raw_path:  # an absolute request target
            raw_path = urlsplit(raw_path).path
        path = unquote(raw_path)
        bucket, _, key = path.lstrip("/").partition("/")
        return cls(
            environ,
            environ["REQUEST_METHOD"].upper(),
            raw_path,
            raw_query,
            bucket,
            key,
            parse_qs(raw_query, keep_blank_values=True),
            _headers(environ),
        )

    @overload
    def arg(self, name: str) -> str | None: ...

    @overload
    def arg(self, name: str, default: str) -> str: ...

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def body(self) -> Body:
        """The body, read once through this stream whoever reads it (so what is left is known)."""
        if self._body is None:
            self._body = Body(self.environ, self.content_length)
        return self._body

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        if not value.isdigit():
            raise S3Error(400, "InvalidArgument", "Content-Length is not a number")
        return int(value)


class Body:
    """The request body as a stream with ``read``/``readline``, never past its Content-Length."""

    def __init__(self, environ: Environ, length: int | None):
        self.stream = environ["wsgi.input"]
        self.remaining = length if length is not None else (-1 if environ.get("wsgi.input_terminated") else 0)
        self.buffer = b""

    def _fill(self, size: int) -> bytes:
        if self.remaining == 0:
            return b""
        want = size if self.remaining < 0 else min(size, self.remaining)
        data: bytes = self.stream.read(want)
        if self.remaining > 0:
            if not data:
                raise S3Error(
                    400,
                    "IncompleteBody",
                    "You did not provide the number of bytes specified by the Content-Length HTTP header",
                )
            self.remaining -= len(data)
        elif not data:
            self.remaining = 0
        return data

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        if self.buffer:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
            return data
        return self._fill(size)

    def readline(self, limit: int = 8192) -> bytes:
        while b"\n" not in self.buffer and len(self.buffer) < limit:
            data = self._fill(4096)
            if not data:
                break
            self.buffer += data
        cut = self.buffer.find(b"\n") + 1 or min(len(self.buffer), limit)
        line, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return line

    def chunks(self) -> Iterator[bytes]:
        while True:
            data = self.read(CHUNK_BYTES)
            if not data:
                return
            yield data

    def drain(self) -> bool:
        """Read what is left (up to :data:`DRAIN_BYTES`); False if more was left than that."""
        drained = 0
        while drained <= DRAIN_BYTES:
            data = self.read(CHUNK_BYTES)
            if not data:
                return True
            drained += len(data)
        return False


# -- XML ------------------------------------------------------------------------------


def _element(tag: str, content: XmlContent) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(content, list):
        for name, value in content:
            if value is not None:
                element.append(_element(name, value))
    else:
        element.text = str(content)
    return element


XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def xml_document(tag: str, content: list[Any]) -> bytes:
    """The root element alone (no declaration), in S3's namespace."""
    root = _element(tag, content)
    root.set("xmlns", NS)
    return bytes(ET.tostring(root, encoding="utf-8"))


def xml_body(tag: str, content: list[Any]) -> bytes:
    return XML_DECLARATION + xml_document(tag, content)


def error_document(error: S3Error) -> bytes:
    content = [
        ("Code", error.code),
        ("Message", error.message),
        *error.extra.items(),
        ("RequestId", binascii.hexlify(os.urandom(8)).decode().upper()),
    ]
    return bytes(ET.tostring(_element("Error", content), encoding="utf-8"))


def parse_xml(body: bytes) -> ET.Element:
    """The request's XML with namespaces dropped; MalformedXML if it is not XML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise S3Error(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        ) from None
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    return root


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


# -- authentication -------------------------------------------------------------------


@dataclass
class Auth:
    access_key: str
    payload_hash: str
    presigned: bool
    timestamp: str = ""
    scope: str = ""
    signing_key: bytes = b""
    seed_signature: str = ""


def _signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


class _HeaderVerifier(S3SigV4Auth):
    """botocore's header signer, with the payload hash taken from the request as sent."""

    def payload(self, request: Any) -> str:
        return str(request.context["payload_hash"])


def _unknown_key(access_key: str) -> S3Error:
    return S3Error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        AWSAccessKeyId=access_key,
    )


def _parse_timestamp(value: str, error: S3Error) -> float:
    try:
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC).timestamp()
    except (TypeError, ValueError):
        raise error from None


class Authenticator:
    """SigV4 verification of header-signed requests and presigned URLs (see module docstring)."""

    def __init__(self, credentials: dict[str, str], clock: Callable[[], float]):
        self.credentials = credentials
        self.clock = clock

    def secret(self, access_key: str) -> str:
        secret = self.credentials.get(access_key)
        if secret is None:
            raise _unknown_key(access_key)
        return secret

    def authenticate(self, request: Request) -> Auth:
        header = request.headers.get("authorization")
        if header:
            return self._header(request, header)
        if "X-Amz-Signature" in request.query or "X-Amz-Algorithm" in request.query:
            return self._query(request)
        if "AWSAccessKeyId" in request.query or "Signature" in request.query:
            raise S3Error(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            )
        raise S3Error(403, "AccessDenied", "Access Denied")

    def _header(self, request: Request, header: str) -> Auth:
        malformed = S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")
        if header.startswith("AWS "):
            raise S3Error(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            )
        algorithm, _, rest = header.partition(" ")
        if algorithm != "AWS4-HMAC-SHA256":
            raise S3Error(400, "InvalidArgument", "Unsupported Authorization Type", ArgumentName="Authorization")
        parts = {}
        for item in rest.split(","):
            name, sep, value = item.strip().partition("=")
            if not sep or name in parts:
                raise malformed
            parts[name] = value
        if set(parts) != {"Credential", "SignedHeaders", "Signature"}:
            raise malformed
        timestamp = request.headers.get("x-amz-date", "")
        when = _parse_timestamp(
            timestamp, S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
        )
        payload_hash = request.headers.get("x-amz-content-sha256")
        if not payload_hash:
            raise S3Error(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        if abs(when - self.clock()) > MAX_SKEW_SECONDS:
            raise S3Error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                RequestTime=timestamp,
                MaxAllowedSkewMilliseconds=str(MAX_SKEW_SECONDS * 1000),
            )
        return self._verify(
            request,
            parts["Credential"],
            parts["SignedHeaders"],
            parts["Signature"],
            timestamp,
            payload_hash,
            presigned=False,
            malformed=malformed,
        )

    def _query(self, request: Request) -> Auth:
        def error(message: str) -> S3Error:
            return S3Error(400, "AuthorizationQueryParametersError", message)

        names = (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
        )
        if any(len(request.query.get(name, ())) != 1 for name in names):
            raise error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
            )
        if request.arg("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
        timestamp = request.arg("X-Amz-Date", "")  # each present once (checked above)
        when = _parse_timestamp(
            timestamp, error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        )
        expires = request.arg("X-Amz-Expires", "")
        if not expires.isdigit() or int(expires) > MAX_EXPIRES_SECONDS:
            raise error("X-Amz-Expires must be a non-negative integer and less than a week (in seconds); 604800")
        auth = self._verify(
            request,
            request.arg("X-Amz-Credential", ""),
            request.arg("X-Amz-SignedHeaders", ""),
            request.arg("X-Amz-Signature", ""),
            timestamp,
            "UNSIGNED-PAYLOAD",
            presigned=True,
            malformed=error("Error parsing the X-Amz-Credential parameter"),
        )
        now = self.clock()
        if now > when + int(expires):
            raise S3Error(
                403,
                "AccessDenied",
                "Request has expired",
                XAmzExpires=expires,
                Expires=_iso(when + int(expires)),
                ServerTime=_iso(now),
            )
        if when > now + MAX_SKEW_SECONDS:
            raise S3Error(403, "AccessDenied", "Request is not valid yet")
        return auth

    def _verify(
        self,
        request: Request,
        credential: str,
        signed_headers: str,
        signature: str,
        timestamp: str,
        payload_hash: str,
        *,
        presigned: bool,
        malformed: S3Error,
    ) -> Auth:
        scope = credential.split("/")
        if len(scope) != 5 or scope[4] != "aws4_request" or scope[3] != "s3" or scope[1] != timestamp[:8]:
            raise malformed
        access_key, date, region, _service, _ = scope
        secret = self.secret(access_key)
        names = signed_headers.split(";")
        if "host" not in names or any(name != name.lower() or not name for name in names):
            raise malformed
        signer_class = S3SigV4QueryAuth if presigned else _HeaderVerifier
        signer = signer_class(Credentials(access_key, secret), "s3", region)
        query = "&".join(
            pair for pair in request.raw_query.split("&") if pair and pair.partition("=")[0] != "X-Amz-Signature"
        )
        url = f"http://{request.headers.get('host', '')}{request.raw_path}" + (f"?{query}" if query else "")
        aws_request = AWSRequest(
            method=request.method, url=url, headers={name: request.headers.get(name, "") for name in names}
        )
        aws_request.context.update(timestamp=timestamp, payload_hash=payload_hash)
        canonical = signer.canonical_request(aws_request)
        expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
            raise S3Error(403, "SignatureDoesNotMatch", _BAD_SIGNATURE, AWSAccessKeyId=access_key)
        return Auth(
            access_key,
            payload_hash,
            presigned,
            timestamp,
            "/".join(scope[1:]),
            _signing_key(secret, date, region),
            signature,
        )


# -- request bodies: payload hashes, aws-chunked, checksums ------------------------------------


def _aws_chunks(body: Body, auth: Auth, signed: bool, trailer: bool, checks: dict[str, str]) -> Iterator[bytes]:
    """Decode an ``aws-chunked`` body; with ``signed``, check each chunk's signature (a chain
    seeded by the request's). Trailing headers (``x-amz-checksum-*``) land in ``checks``."""
    previous = auth.seed_signature
    empty_hash = hashlib.sha256(b"").hexdigest()
    incomplete = S3Error(400, "IncompleteBody", "The request body terminated unexpectedly")
    while True:
        line = body.readline()
        if not line.endswith(b"\r\n"):
            raise incomplete
        size_text, _, extension = line[:-2].decode("latin-1").partition(";")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise S3Error(
                400, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes"
            ) from None
        digest = hashlib.sha256()
        remaining = size
        while remaining:
            data = body.read(min(remaining, CHUNK_BYTES))
            if not data:
                raise incomplete
            remaining -= len(data)
            digest.update(data)
            yield data
        if signed:
            name, _, claimed = extension.partition("=")
            string_to_sign = "\n".join(
                ("AWS4-HMAC-SHA256-PAYLOAD", auth.timestamp, auth.scope, previous, empty_hash, digest.hexdigest())
            )
            expected = hmac.new(auth.signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
            if name != "chunk-signature" or not hmac.compare_digest(expected, claimed):
                raise S3Error(403, "SignatureDoesNotMatch", _BAD_SIGNATURE)
            previous = expected
        if size == 0:
            break
        if body.read(2) != b"\r\n":
            raise incomplete
    if trailer:
        while True:
            line = body.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").strip().partition(":")
            checks[name.strip().lower()] = value.strip()
    else:
        body.readline()  # the CRLF after the last chunk


def _checksum_headers(source: dict[str, str]) -> dict[str, str]:
    """``{algorithm: base64}`` from ``x-amz-checksum-*`` headers (or trailers)."""
    claimed = {}
    for name, value in source.items():
        if name.startswith("x-amz-checksum-") and name not in (
            "x-amz-checksum-mode",
            "x-amz-checksum-algorithm",
            "x-amz-checksum-type",
        ):
            algorithm = name[len("x-amz-checksum-") :].upper()
            if algorithm not in CHECKSUM_ALGORITHMS:
                raise S3Error(
                    501,
                    "NotImplemented",
                    f"The stand-in cannot compute {algorithm} checksums (it can: {', '.join(CHECKSUM_ALGORITHMS)})",
                )
            claimed[algorithm] = value
    return claimed


def receive_body(
    store: Store, request: Request, auth: Auth, algorithms: Iterable[str] = (), max_bytes: int = MAX_SINGLE_BYTES
) -> tuple[Received, dict[str, str]]:
    """Stream the body to disk, checking the payload hash, aws-chunked signatures and any
    ``x-amz-checksum-*`` sent. Returns (Received, {algorithm: base64 claimed})."""
    payload = auth.payload_hash
    length = request.content_length
    if length is None and not request.environ.get("wsgi.input_terminated"):
        raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    body = request.body
    claimed = _checksum_headers(request.headers)
    trailers: dict[str, str] = {}
    chunks = body.chunks()
    if payload.startswith("STREAMING-"):
        if payload not in ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"):
            raise S3Error(501, "NotImplemented", f"The stand-in does not accept x-amz-content-sha256: {payload}")
        chunks = _aws_chunks(
            body,
            auth,
            signed=payload == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            trailer=payload.endswith("TRAILER"),
            checks=trailers,
        )
        trailer_name = request.headers.get("x-amz-trailer", "").lower()
        if trailer_name:
            _checksum_headers({trailer_name: ""})  # refuses an algorithm the stand-in cannot compute
            algorithms = (*algorithms, trailer_name[len("x-amz-checksum-") :].upper())
    elif payload != "UNSIGNED-PAYLOAD" and not re.fullmatch(r"[0-9a-f]{64}", payload):
        raise S3Error(
            400,
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.",
            ArgumentName="x-amz-content-sha256",
        )
    hex_payload = re.fullmatch(r"[0-9a-f]{64}", payload) is not None
    wanted = set(algorithms) | set(claimed) | ({"SHA256"} if hex_payload else set())
    received = store.receive(chunks, sorted(wanted), max_bytes=max_bytes)
    try:
        if hex_payload and binascii.hexlify(received.checksums["SHA256"]).decode() != payload:
            raise S3Error(
                400,
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ClientComputedContentSHA256=payload,
                S3ComputedContentSHA256=binascii.hexlify(received.checksums["SHA256"]).decode(),
            )
        decoded = request.headers.get("x-amz-decoded-content-length")
        if payload.startswith("STREAMING-") and decoded is not None and decoded != str(received.size):
            raise S3Error(400, "IncompleteBody", "The decoded body does not have x-amz-decoded-content-length bytes")
        claimed.update(_checksum_headers(trailers))
        check_claimed_checksums(received, claimed)
    except BaseException:
        received.discard()
        raise
    return received, claimed


def check_claimed_checksums(received: Received, claimed: dict[str, str]) -> None:
    """S3's BadDigest unless every checksum the client sent (base64) is the received body's."""
    for algorithm, value in claimed.items():
        if b64(received.checksums[algorithm]) != value:
            raise S3Error(400, "BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")


def read_small_body(request: Request, auth: Auth | None) -> bytes:
    """A bounded body (XML of bucket and multipart calls), its payload hash checked."""
    length = request.content_length or 0
    if length > MAX_XML_BYTES:
        raise S3Error(400, "MaxMessageLengthExceeded", "Your request was too big.")
    body = b""
    while len(body) < length:
        data = request.body.read(length - len(body))
        if not data:
            break
        body += data
    signed_hash = auth.payload_hash if auth and re.fullmatch(r"[0-9a-f]{64}", auth.payload_hash) else None
    if signed_hash and hashlib.sha256(body).hexdigest() != signed_hash:
        raise S3Error(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    return body


# -- CORS ---------------------------------------------------------------------------------


def _wildcard(pattern: str, value: str) -> bool:
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def matching_cors_rule(
    rules: list[Meta] | None, origin: str, method: str, request_headers: Iterable[str] = ()
) -> tuple[Meta, str] | None:
    """The first rule that allows this origin, method and request headers, with the origin pattern it matched."""
    for rule in rules or ():
        pattern = next((p for p in rule.get("AllowedOrigins", ()) if _wildcard(p, origin)), None)
        if pattern is None or method not in rule.get("AllowedMethods", ()):
            continue
        allowed = [h.lower() for h in rule.get("AllowedHeaders", ())]
        if all(any(_wildcard(a, h.lower()) for a in allowed) for h in request_headers):
            return rule, pattern
    return None


def cors_headers(rule: Meta, pattern: str, origin: str) -> list[tuple[str, str]]:
    headers = [
        ("Access-Control-Allow-Origin", "*" if pattern == "*" else origin),
        ("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"])),
    ]
    if pattern != "*":
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if rule.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    return headers


_CORS_LISTS = {
    "AllowedOrigin": "AllowedOrigins",
    "AllowedMethod": "AllowedMethods",
    "AllowedHeader": "AllowedHeaders",
    "ExposeHeader": "ExposeHeaders",
}


def parse_cors(body: bytes) -> list[Meta]:
    root = parse_xml(body)
    rules = []
    for element in root.findall("CORSRule"):
        rule: Meta = {}
        for child in element:
            text = (child.text or "").strip()
            if child.tag in _CORS_LISTS:
                rule.setdefault(_CORS_LISTS[child.tag], []).append(text)
            elif child.tag == "MaxAgeSeconds" and text.isdigit():
                rule["MaxAgeSeconds"] = int(text)
            elif child.tag == "ID":
                rule["ID"] = text
            else:
                raise S3Error(400, "MalformedXML", f"Unexpected element {child.tag} in CORSRule")
        if not rule.get("AllowedOrigins") or not rule.get("AllowedMethods"):
            raise S3Error(400, "MalformedXML", "A CORSRule needs an AllowedOrigin and an AllowedMethod")
        for method in rule["AllowedMethods"]:
            if method not in CORS_METHODS:
                raise S3Error(
                    400,
                    "InvalidRequest",
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                )
        rules.append(rule)
    if root.tag != "CORSConfiguration" or not rules or len(rules) > 100:
        raise S3Error(400, "MalformedXML", "A CORSConfiguration holds 1 to 100 CORSRules")
    return rules


# -- POST uploads (browser forms) ---------------------------------------------------------


def _file_count_error(count: str) -> S3Error:
    return S3Error(
        400,
        "IncorrectNumberOfFilesInPostRequest",
        "POST requires exactly one file upload per request.",
        ArgumentName="file",
        ArgumentValue=count,
    )


class PostForm:
    """A ``multipart/form-data`` body read as S3 reads a POST upload (see module docstring)."""

    def __init__(self, request: Request):
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        if content_type.lower() != "multipart/form-data":
            raise S3Error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                Condition="Bucket POST must be of the enclosure-type multipart/form-data",
            )
        boundary = options.get("boundary")
        if not boundary:
            raise S3Error(
                400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
            )
        length = request.content_length
        if length is None:
            raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        self.body = request.body
        self.ended = False
        self.decoder = MultipartDecoder(boundary.encode("latin-1"))
        self.fields: dict[str, str] = {}
        self.file_name = ""
        self.file_content_type = ""

    def _event(self) -> Any:
        while True:
            event = self.decoder.next_event()
            if not isinstance(event, NeedData):
                return event
            data = self.body.read(CHUNK_BYTES)
            if data:
                self.decoder.receive_data(data)
            elif self.ended:
                raise self._malformed()  # the body ended inside the form
            else:
                self.ended = True
                self.decoder.receive_data(None)

    def _malformed(self) -> S3Error:
        return S3Error(
            400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
        )

    def read_fields(self) -> None:
        """Read the fields up to the file part; refuse duplicates, too much, or no file."""
        total = 0
        try:
            while True:
                event = self._event()
                if isinstance(event, (Field, File)):
                    name = event.name.lower()
                    if name == "file":
                        self.file_name = getattr(event, "filename", "") or ""
                        self.file_content_type = event.headers.get("content-type", "")
                        return
                    if isinstance(event, File):
                        raise _file_count_error("2")
                    if name in self.fields:
                        raise S3Error(
                            400,
                            "InvalidArgument",
                            f"Bucket POST may not repeat a field: {event.name}",
                            ArgumentName=event.name,
                        )
                    value = b""
                    while True:
                        data = self._event()
                        if not isinstance(data, Data):
                            raise self._malformed()
                        value += data.data
                        total += len(data.data) + len(name)
                        if total > MAX_POST_FIELDS_BYTES:
                            raise S3Error(
                                400,
                                "MaxPostPreDataLengthExceeded",
                                "Your POST request fields preceding the upload file were too large.",
                            )
                        if not data.more_data:
                            break
                    self.fields[name] = value.decode("utf-8", "replace")
                elif isinstance(event, Epilogue):
                    raise _file_count_error("0")
        except ValueError:
            raise self._malformed() from None

    def file_chunks(self) -> Iterator[bytes]:
        try:
            while True:
                event = self._event()
                if not isinstance(event, Data):
                    raise self._malformed()
                if event.data:
                    yield event.data
                if not event.more_data:
                    return
        except ValueError:
            raise self._malformed() from None

    def finish(self) -> None:
        """After the file: S3 ignores any further text field; a second file is refused."""
        try:
            while True:
                event = self._event()
                if isinstance(event, Epilogue):
                    return
                if isinstance(event, File) or (isinstance(event, Field) and event.name.lower() == "file"):
                    raise _file_count_error("2")
        except ValueError:
            raise self._malformed() from None


def check_post_policy(fields: dict[str, str], bucket: str, credentials: dict[str, str], now: float) -> tuple[int, int]:
    """Raise :class:`S3Error` unless S3 would accept these POST fields (names lower-cased);
    return the allowed size range (``content-length-range``, else 0..5 GiB)."""
    policy_b64 = fields.get("policy")
    signature = fields.get("x-amz-signature")
    if not policy_b64 or not signature:
        raise S3Error(403, "AccessDenied", "Bucket POST must contain a policy and a signature")
    parts = fields.get("x-amz-credential", "").split("/")
    if len(parts) != 5 or fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256" or parts[4] != "aws4_request":
        raise S3Error(
            400, "InvalidArgument", "malformed x-amz-credential or x-amz-algorithm", ArgumentName="x-amz-credential"
        )
    access_key, date, region, service, _terminal = parts
    secret = credentials.get(access_key)
    if secret is None:
        raise _unknown_key(access_key)
    expected = hmac.new(
        _signing_key(secret, date, region, service), policy_b64.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
        raise S3Error(403, "SignatureDoesNotMatch", _BAD_SIGNATURE)
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
        expiration = dt.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")).timestamp()
        conditions = policy.get("conditions", [])
        if not isinstance(conditions, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if expiration <= now:
        raise S3Error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    covered = set(_POLICY_EXEMPT_FIELDS)
    values = dict(fields, bucket=bucket)
    size_range = (0, MAX_SINGLE_BYTES)
    for condition in conditions:
        try:
            if isinstance(condition, dict):
                ((name, value),) = condition.items()
                condition = ["eq", f"${name}", value]
            operator, *args = condition
            if operator == "content-length-range":
                size_range = (int(args[0]), int(args[1]))
                continue
            name, expected_value = str(args[0]).lstrip("$").lower(), args[1]
        except (ValueError, TypeError, IndexError):
            raise S3Error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition.") from None
        covered.add(name)
        actual = values.get(name)
        ok = (
            actual == expected_value
            if operator == "eq"
            else (operator == "starts-with" and actual is not None and actual.startswith(str(expected_value)))
        )
        if not ok:
            raise S3Error(
                403,
                "AccessDenied",
                f'Invalid according to Policy: Policy Condition failed: ["{operator}", "${name}", "{expected_value}"]',
            )
    extra = [name for name in fields if name not in covered and not name.startswith("x-ignore-")]
    if extra:
        raise S3Error(
            403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(sorted(extra))}"
        )
    return size_range


# -- the application ------------------------------------------------------------------------


class Response:
    def __init__(
        self, status: int, headers: Iterable[tuple[str, str]] | None = None, body: bytes | Iterable[bytes] = b""
    ):
        self.status, self.headers, self.body = status, list(headers or []), body


def _xml_response(tag: str, content: list[Any], status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("Content-Type", "application/xml"), *headers], xml_body(tag, content))


_STATUS_TEXT = {
    200: "OK",
    204: "No Content",
    206: "Partial Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    412: "Precondition Failed",
    416: "Requested Range Not Satisfiable",
    500: "Internal Server Error",
    501: "Not Implemented",
    201: "Created",
}
_OBJECT_SUBRESOURCES = ("acl", "tagging", "legal-hold", "retention", "torrent", "restore", "select", "attributes")
_BUCKET_SUBRESOURCES = (
    "acl",
    "policy",
    "lifecycle",
    "versioning",
    "website",
    "tagging",
    "logging",
    "notification",
    "replication",
    "encryption",
    "ownershipControls",
    "publicAccessBlock",
    "object-lock",
    "accelerate",
    "requestPayment",
    "analytics",
    "inventory",
    "metrics",
    "intelligent-tiering",
    "location",
    "versions",
    "policyStatus",
)


def _etag(meta: Meta) -> str:
    return f'"{meta["etag"]}"'


def _checksum_response_headers(checksum: Meta | None) -> list[tuple[str, str]]:
    if not checksum:
        return []
    return [
        (f"x-amz-checksum-{checksum['algorithm'].lower()}", checksum["value"]),
        ("x-amz-checksum-type", checksum["type"]),
    ]


def _checksum_xml(checksum: Meta | None) -> list[Any]:
    if not checksum:
        return []
    return [(f"Checksum{checksum['algorithm']}", checksum["value"]), ("ChecksumType", checksum["type"])]


def _user_metadata(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("x-amz-meta-")}


def _check_key(key: str) -> None:
    if len(key.encode("utf-8")) > 1024:
        raise S3Error(400, "KeyTooLongError", "Your key is too long")


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class StandIn:
    """The WSGI application (see module docstring)."""

    def __init__(
        self, store: Store, credentials: dict[str, str] | None = None, clock: Callable[[], float] | None = None
    ):
        self.store = store
        self.credentials = credentials or {ACCESS_KEY_ID: SECRET_ACCESS_KEY}
        self.clock = clock or (lambda: time.time())  # looked up per call, so tests can move the clock
        self.auth = Authenticator(self.credentials, lambda: self.clock())

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = None
        try:
            request = Request.parse(environ)
            response = self.preflight(request) if request.method == "OPTIONS" else self.handle(request)
        except S3Error as error:
            response = self._error(error, request)
        except Exception:  # an answer, never a dropped connection
            log.exception("embedded S3: unexpected error")
            response = self._error(
                S3Error(500, "InternalError", "We encountered an internal error. Please try again."), request
            )
        if request is not None and request.method in ("PUT", "POST") and response.status < 300:
            try:  # what a client sent past what was read (a form's epilogue) must not become a "next request"
                drained = request.body.drain()
            except (S3Error, OSError, ValueError):
                drained = False
            if not drained:
                response.headers.append(("Connection", "close"))
        if request is not None and request.method != "OPTIONS":
            response.headers += self._cors_for(request)
        body = response.body
        if isinstance(body, bytes):
            if not any(name.lower() == "content-length" for name, _ in response.headers):
                response.headers.append(("Content-Length", str(len(body))))
            body = [b"" if request is not None and request.method == "HEAD" else body]
        start_response(f"{response.status} {_STATUS_TEXT.get(response.status, 'Error')}", response.headers)
        return body

    def _error(self, error: S3Error, request: Request | None) -> Response:
        body = XML_DECLARATION + error_document(error)
        headers = [("Content-Type", "application/xml")]
        if request is not None and request.method in ("PUT", "POST"):
            # read what is left of a refused body, so the client reads the answer; past 16 MiB, hang up
            try:
                drained = request.body.drain()
            except (S3Error, OSError, ValueError):
                drained = False
            if not drained:
                headers.append(("Connection", "close"))
        if request is not None and request.method == "HEAD":
            return Response(error.status, [*headers, ("Content-Length", "0")], b"")
        return Response(error.status, headers, body)

    # -- CORS -------------------------------------------------------------------------
    def _cors_for(self, request: Request) -> list[tuple[str, str]]:
        origin = request.headers.get("origin")
        if not origin or not request.bucket or not self.store.has_bucket(request.bucket):
            return []
        found = matching_cors_rule(self.store.cors_rules(request.bucket), origin, request.method)
        if found is None:
            return []
        return [
            *cors_headers(*found, origin),
            ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
        ]

    def preflight(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if not origin or not method:
            raise S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.")
        if not request.bucket or not self.store.has_bucket(request.bucket):
            raise S3Error(
                403, "AccessForbidden", "CORSResponse: Bucket not found", Method=method, ResourceType="BUCKET"
            )
        rules = self.store.cors_rules(request.bucket)
        if not rules:
            raise S3Error(
                403,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                Method=method,
                ResourceType="BUCKET",
            )
        requested = [
            h.strip() for h in request.headers.get("access-control-request-headers", "").split(",") if h.strip()
        ]
        found = matching_cors_rule(rules, origin, method, requested)
        if found is None:
            raise S3Error(
                403,
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually "
                "because the evalution of Origin, request method / Access-Control-Request-Method or "
                "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                Method=method,
                ResourceType="OBJECT",
            )
        headers = cors_headers(*found, origin)
        if requested:
            headers.append(("Access-Control-Allow-Headers", ", ".join(h.lower() for h in requested)))
        headers.append(("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"))
        return Response(200, headers, b"")

    # -- dispatch ---------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if (
            request.method == "POST"
            and request.bucket
            and not request.key
            and "delete" not in request.query
            and "uploads" not in request.query
        ):
            return self.post_object(request)
        auth = self.auth.authenticate(request)
        if not request.bucket:
            if request.method == "GET":
                return self.list_buckets()
            raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if not request.key:
            return self.bucket_operation(request, auth)
        _check_key(request.key)
        return self.object_operation(request, auth)

    def list_buckets(self) -> Response:
        buckets = [
            ("Bucket", [("Name", name), ("CreationDate", _iso(created))]) for name, created in self.store.bucket_names()
        ]
        return _xml_response(
            "ListAllMyBucketsResult",
            [("Owner", [("ID", ACCESS_KEY_ID), ("DisplayName", "s3video")]), ("Buckets", buckets)],
        )

    def bucket_operation(self, request: Request, auth: Auth) -> Response:
        bucket, method, query = request.bucket, request.method, request.query
        if "cors" in query:
            if method == "PUT":
                rules = parse_cors(read_small_body(request, auth))
                self.store.set_cors_rules(bucket, rules)
                return Response(200)
            if method == "GET":
                configured = self.store.cors_rules(bucket)
                if not configured:
                    raise S3Error(
                        404, "NoSuchCORSConfiguration", "The CORS configuration does not exist", BucketName=bucket
                    )
                return _xml_response("CORSConfiguration", [("CORSRule", _cors_rule_xml(rule)) for rule in configured])
            if method == "DELETE":
                self.store.set_cors_rules(bucket, None)
                return Response(204)
        if any(name in query for name in _BUCKET_SUBRESOURCES):
            raise S3Error(
                501,
                "NotImplemented",
                "The embedded S3 stand-in does not implement this bucket "
                "operation (its README section lists what it does)",
            )
        if method == "PUT":
            return self.create_bucket(request, auth)
        if method == "HEAD":
            if not self.store.has_bucket(bucket):
                raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
            return Response(200, [("x-amz-bucket-region", "us-east-1")])
        if method == "DELETE":
            self.store.delete_bucket(bucket)
            return Response(204)
        if method == "GET" and "uploads" in query:
            return self.list_uploads(request)
        if method == "GET" and query.get("list-type") == ["2"]:
            return self.list_objects_v2(request)
        if method == "POST" and "delete" in query:
            return self.delete_objects(request, auth)
        if method == "GET":
            raise S3Error(501, "NotImplemented", "The stand-in lists with ListObjectsV2 (list-type=2) only")
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def object_operation(self, request: Request, auth: Auth) -> Response:
        method, query = request.method, request.query
        if any(name in query for name in _OBJECT_SUBRESOURCES):
            raise S3Error(501, "NotImplemented", "The embedded S3 stand-in does not implement this object operation")
        if method == "PUT":
            if "uploadId" in query or "partNumber" in query:
                return self.upload_part(request, auth)
            if "x-amz-copy-source" in request.headers:
                return self.copy_object(request)
            return self.put_object(request, auth)
        if method in ("GET", "HEAD"):
            if "uploadId" in query and method == "GET":
                return self.list_parts(request)
            return self.get_object(request)
        if method == "DELETE":
            if "uploadId" in query:
                self.store.abort(request.bucket, request.key, request.arg("uploadId", ""))
                return Response(204)
            self.store.delete(request.bucket, request.key)
            return Response(204)
        if method == "POST":
            if "uploads" in query:
                return self.create_upload(request, auth)
            if "uploadId" in query:
                return self.complete_upload(request, auth)
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    # -- buckets ----------------------------------------------------------------------
    def create_bucket(self, request: Request, auth: Auth) -> Response:
        read_small_body(request, auth)
        if not _BUCKET_NAME.match(request.bucket):
            raise S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=request.bucket)
        if not self.store.create_bucket(request.bucket):
            raise S3Error(
                409,
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                BucketName=request.bucket,
            )
        return Response(200, [("Location", f"/{request.bucket}")])

    def list_objects_v2(self, request: Request) -> Response:
        prefix = request.arg("prefix", "")
        delimiter = request.arg("delimiter", "")
        encode = request.arg("encoding-type") == "url"
        max_keys = request.arg("max-keys", "1000")
        if not max_keys.isdigit():
            raise S3Error(
                400,
                "InvalidArgument",
                "Provided max-keys not an integer or within integer range",
                ArgumentName="max-keys",
            )
        limit = min(int(max_keys), 1000)
        token = request.arg("continuation-token")
        after = request.arg("start-after", "")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise S3Error(
                    400,
                    "InvalidArgument",
                    "The continuation token provided is incorrect",
                    ArgumentName="continuation-token",
                ) from None
        metas, _ = self.store.list_objects(request.bucket, prefix, after, limit=10**9)
        contents: list[Meta] = []
        prefixes: list[str] = []
        last: str | None = None
        truncated = False
        for meta in metas:
            key = meta["key"]
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if (last is not None and last == common) or common <= after:
                        continue
                    if len(contents) + len(prefixes) == limit:
                        truncated = True
                        break
                    prefixes.append(common)
                    last = common
                    continue
            if len(contents) + len(prefixes) == limit:
                truncated = True
                break
            contents.append(meta)
            last = key

        def name(value: str) -> str:
            return quote(value, safe="/") if encode else value

        content = [
            ("Name", request.bucket),
            ("Prefix", name(prefix)),
            ("KeyCount", len(contents) + len(prefixes)),
            ("MaxKeys", limit),
            ("Delimiter", name(delimiter) if delimiter else None),
            ("IsTruncated", "true" if truncated else "false"),
            ("ContinuationToken", token),
            ("StartAfter", request.arg("start-after")),
            (
                "NextContinuationToken",
                base64.urlsafe_b64encode(last.encode()).decode() if truncated and last is not None else None,
            ),
            ("EncodingType", "url" if encode else None),
        ]
        content += [
            (
                "Contents",
                [
                    ("Key", name(meta["key"])),
                    ("LastModified", _iso(meta["last_modified"])),
                    ("ETag", _etag(meta)),
                    ("Size", meta["size"]),
                    ("StorageClass", "STANDARD"),
                    *([("ChecksumAlgorithm", meta["checksum"]["algorithm"])] if meta.get("checksum") else []),
                ],
            )
            for meta in contents
        ]
        content += [("CommonPrefixes", [("Prefix", name(common))]) for common in prefixes]
        return _xml_response("ListBucketResult", content)

    def delete_objects(self, request: Request, auth: Auth) -> Response:
        root = parse_xml(read_small_body(request, auth))
        objects = root.findall("Object")
        if root.tag != "Delete" or not objects or len(objects) > 1000:
            raise S3Error(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        quiet = (root.findtext("Quiet") or "").strip().lower() == "true"
        keys, errors = [], []
        for element in objects:
            key = element.findtext("Key") or ""
            if not key or len(key.encode("utf-8")) > 1024:
                errors.append(
                    (
                        "Error",
                        [
                            ("Key", key),
                            ("Code", "KeyTooLongError" if key else "InvalidArgument"),
                            ("Message", "The key is empty or longer than 1,024 bytes"),
                        ],
                    )
                )
            else:
                keys.append(key)
        self.store.delete(request.bucket, *keys)
        deleted = [] if quiet else [("Deleted", [("Key", key)]) for key in keys]
        return _xml_response("DeleteResult", deleted + errors)

    def list_uploads(self, request: Request) -> Response:
        prefix = request.arg("prefix", "")
        key_marker, id_marker = request.arg("key-marker", ""), request.arg("upload-id-marker", "")
        max_uploads = request.arg("max-uploads", "1000")
        if not max_uploads.isdigit():
            raise S3Error(400, "InvalidArgument", "max-uploads must be an integer", ArgumentName="max-uploads")
        limit = min(int(max_uploads), 1000)
        encode = request.arg("encoding-type") == "url"
        uploads = [
            u
            for u in self.store.list_uploads(request.bucket)
            if u.key.startswith(prefix)
            and (u.key > key_marker or (u.key == key_marker and id_marker and u.upload_id > id_marker))
        ]
        page, truncated = uploads[:limit], len(uploads) > limit

        def name(value: str) -> str:
            return quote(value, safe="/") if encode else value

        content: list[Any] = [
            ("Bucket", request.bucket),
            ("KeyMarker", name(key_marker)),
            ("UploadIdMarker", id_marker),
            ("NextKeyMarker", name(page[-1].key) if truncated else None),
            ("NextUploadIdMarker", page[-1].upload_id if truncated else None),
            ("Prefix", name(prefix)),
            ("MaxUploads", limit),
            ("IsTruncated", "true" if truncated else "false"),
            ("EncodingType", "url" if encode else None),
        ]
        content += [
            (
                "Upload",
                [
                    ("Key", name(u.key)),
                    ("UploadId", u.upload_id),
                    ("Initiator", [("ID", ACCESS_KEY_ID), ("DisplayName", "s3video")]),
                    ("Owner", [("ID", ACCESS_KEY_ID), ("DisplayName", "s3video")]),
                    ("StorageClass", "STANDARD"),
                    ("Initiated", _iso(u.initiated)),
                    ("ChecksumAlgorithm", u.checksum_algorithm),
                ],
            )
            for u in page
        ]
        return _xml_response("ListMultipartUploadsResult", content)

    # -- objects ----------------------------------------------------------------------
    def _object_headers(self, meta: Meta) -> list[tuple[str, str]]:
        return [
            ("Content-Type", meta["content_type"]),
            ("ETag", _etag(meta)),
            ("Last-Modified", _http_date(meta["last_modified"])),
            ("Accept-Ranges", "bytes"),
            *sorted(meta.get("metadata", {}).items()),
        ]

    def put_object(self, request: Request, auth: Auth) -> Response:
        received, claimed = receive_body(self.store, request, auth)
        checksum = None
        if claimed:
            algorithm, value = next(iter(sorted(claimed.items())))
            checksum = {"algorithm": algorithm, "value": value, "type": "FULL_OBJECT"}
        meta = self.store.put(
            request.bucket,
            request.key,
            received,
            request.headers.get("content-type", "binary/octet-stream"),
            _user_metadata(request.headers),
            checksum,
        )
        return Response(200, [("ETag", _etag(meta)), *_checksum_response_headers(checksum)])

    def get_object(self, request: Request) -> Response:
        meta, handle = self.store.open_object(request.bucket, request.key)
        try:
            return self._serve(request, meta, handle)
        except BaseException:
            handle.close()
            raise

    def _serve(self, request: Request, meta: Meta, handle: IO[bytes] | Segments) -> Response:
        size = meta["size"]
        if_match = request.headers.get("if-match")
        if if_match is not None and if_match.strip() not in ("*", _etag(meta), meta["etag"]):
            raise S3Error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                Condition="If-Match",
            )
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and if_none_match.strip() in ("*", _etag(meta), meta["etag"]):
            handle.close()
            return Response(304, [("ETag", _etag(meta))], b"")
        headers = self._object_headers(meta)
        for parameter in (
            "content-type",
            "content-disposition",
            "cache-control",
            "content-encoding",
            "content-language",
            "expires",
        ):
            value = request.arg(f"response-{parameter}")
            if value is not None:
                headers = [h for h in headers if h[0].lower() != parameter] + [(parameter.title(), value)]
        start, stop, status = 0, size, 200
        byte_range = request.headers.get("range")
        parsed = _parse_range(byte_range, size) if byte_range else None
        if parsed is not None:
            start, stop = parsed
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{stop - 1}/{size}"))
        elif request.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
            headers += _checksum_response_headers(meta.get("checksum"))
        headers.append(("Content-Length", str(stop - start)))
        if request.method == "HEAD":
            handle.close()
            return Response(status, headers, b"")
        return Response(status, headers, _file_chunks(handle, start, stop))

    def copy_object(self, request: Request) -> Response:
        source = unquote(request.headers["x-amz-copy-source"]).lstrip("/")
        source, _, version = source.partition("?")
        if version:
            raise S3Error(501, "NotImplemented", "The stand-in keeps no object versions")
        source_bucket, _, source_key = source.partition("/")
        if not source_bucket or not source_key:
            raise S3Error(
                400,
                "InvalidArgument",
                "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                ArgumentName="x-amz-copy-source",
            )
        algorithm = request.headers.get("x-amz-checksum-algorithm", "").upper() or None
        if algorithm and algorithm not in CHECKSUM_ALGORITHMS:
            raise S3Error(501, "NotImplemented", f"The stand-in cannot compute {algorithm} checksums")
        directive = request.headers.get("x-amz-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise S3Error(
                400, "InvalidArgument", "Unknown metadata directive.", ArgumentName="x-amz-metadata-directive"
            )
        meta, handle = self.store.open_object(source_bucket, source_key)
        with handle:
            if_match = request.headers.get("x-amz-copy-source-if-match")
            if if_match is not None and if_match.strip().strip('"') not in ("*", meta["etag"]):
                raise S3Error(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    Condition="x-amz-copy-source-If-Match",
                )
            if_none_match = request.headers.get("x-amz-copy-source-if-none-match")
            if if_none_match is not None and if_none_match.strip().strip('"') in ("*", meta["etag"]):
                raise S3Error(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    Condition="x-amz-copy-source-If-None-Match",
                )
            if meta["size"] > MAX_SINGLE_BYTES:
                raise S3Error(
                    400,
                    "InvalidRequest",
                    "The specified copy source is larger than the maximum "
                    f"allowable size for a copy source: {MAX_SINGLE_BYTES}",
                )
            if (source_bucket, source_key) == (request.bucket, request.key) and directive == "COPY" and not algorithm:
                raise S3Error(
                    400,
                    "InvalidRequest",
                    "This copy request is illegal because it is trying to copy an "
                    "object to itself without changing the object's metadata, storage class, website "
                    "redirect location or encryption attributes.",
                )
            received = self.store.receive(
                _file_chunks(handle, 0, meta["size"], close=False), [algorithm] if algorithm else []
            )
        if directive == "REPLACE":
            content_type = request.headers.get("content-type", "binary/octet-stream")
            metadata = _user_metadata(request.headers)
        else:
            content_type, metadata = meta["content_type"], meta.get("metadata", {})
        checksum: Meta | None
        if algorithm:
            checksum = {"algorithm": algorithm, "value": b64(received.checksums[algorithm]), "type": "FULL_OBJECT"}
        else:
            source_checksum = meta.get("checksum")
            checksum = source_checksum if source_checksum and source_checksum["type"] == "FULL_OBJECT" else None
        copied = self.store.put(request.bucket, request.key, received, content_type, metadata, checksum)
        return _xml_response(
            "CopyObjectResult",
            [("LastModified", _iso(copied["last_modified"])), ("ETag", _etag(copied)), *_checksum_xml(checksum)],
        )

    # -- multipart --------------------------------------------------------------------
    def create_upload(self, request: Request, auth: Auth) -> Response:
        read_small_body(request, auth)
        algorithm = request.headers.get("x-amz-checksum-algorithm", "").upper() or None
        if algorithm and algorithm not in CHECKSUM_ALGORITHMS:
            raise S3Error(501, "NotImplemented", f"The stand-in cannot compute {algorithm} checksums")
        checksum_type = request.headers.get("x-amz-checksum-type", "COMPOSITE").upper()
        if checksum_type != "COMPOSITE":
            raise S3Error(501, "NotImplemented", "The stand-in keeps COMPOSITE multipart checksums only")
        upload = self.store.create_upload(
            request.bucket,
            request.key,
            request.headers.get("content-type", "binary/octet-stream"),
            algorithm,
            _user_metadata(request.headers),
        )
        headers = [("x-amz-checksum-algorithm", algorithm), ("x-amz-checksum-type", "COMPOSITE")] if algorithm else []
        return _xml_response(
            "InitiateMultipartUploadResult",
            [("Bucket", request.bucket), ("Key", request.key), ("UploadId", upload.upload_id)],
            headers=headers,
        )

    def upload_part(self, request: Request, auth: Auth) -> Response:
        number = request.arg("partNumber", "")
        upload_id = request.arg("uploadId", "")
        if not number.isdigit() or not 1 <= int(number) <= MAX_PARTS:
            raise S3Error(
                400,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=number,
            )
        if "x-amz-copy-source" in request.headers:
            raise S3Error(501, "NotImplemented", "The stand-in does not implement UploadPartCopy")
        upload = self.store.upload(request.bucket, request.key, upload_id)  # NoSuchUpload before reading the body
        algorithms = [upload.checksum_algorithm] if upload.checksum_algorithm else []
        received, _claimed = receive_body(self.store, request, auth, algorithms)
        part = self.store.put_part(request.bucket, request.key, upload_id, int(number), received)
        headers = [("ETag", f'"{part["etag"]}"')]
        headers += [(f"x-amz-checksum-{alg.lower()}", value) for alg, value in part["checksums"].items()]
        return Response(200, headers)

    def list_parts(self, request: Request) -> Response:
        upload = self.store.upload(request.bucket, request.key, request.arg("uploadId", ""))
        marker, max_parts = request.arg("part-number-marker", "0"), request.arg("max-parts", "1000")
        if not marker.isdigit() or not max_parts.isdigit():
            raise S3Error(400, "InvalidArgument", "part-number-marker and max-parts are integers")
        limit = min(int(max_parts), 1000)
        numbers = sorted(n for n in list(upload.parts) if n > int(marker))
        page, truncated = numbers[:limit], len(numbers) > limit
        algorithm = upload.checksum_algorithm
        content: list[Any] = [
            ("Bucket", request.bucket),
            ("Key", request.key),
            ("UploadId", upload.upload_id),
            ("PartNumberMarker", marker),
            ("NextPartNumberMarker", page[-1] if page else None),
            ("MaxParts", limit),
            ("IsTruncated", "true" if truncated else "false"),
            ("StorageClass", "STANDARD"),
            ("ChecksumAlgorithm", algorithm),
            ("ChecksumType", "COMPOSITE" if algorithm else None),
        ]
        for n in page:
            part = upload.parts[n]
            content.append(
                (
                    "Part",
                    [
                        ("PartNumber", n),
                        ("LastModified", _iso(part["last_modified"])),
                        ("ETag", f'"{part["etag"]}"'),
                        ("Size", part["size"]),
                        *[(f"Checksum{alg}", value) for alg, value in part["checksums"].items()],
                    ],
                )
            )
        return _xml_response("ListPartsResult", content)

    def complete_upload(self, request: Request, auth: Auth) -> Response:
        upload_id = request.arg("uploadId", "")
        upload = self.store.upload(request.bucket, request.key, upload_id)
        root = parse_xml(read_small_body(request, auth))
        listed = root.findall("Part")
        if root.tag != "CompleteMultipartUpload" or not listed:
            raise S3Error(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        chosen, previous = [], 0
        for element in listed:
            number_text = (element.findtext("PartNumber") or "").strip()
            if not number_text.isdigit():
                raise S3Error(400, "MalformedXML", "PartNumber must be an integer")
            number = int(number_text)
            if number <= previous:
                raise S3Error(
                    400,
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                    UploadId=upload_id,
                )
            previous = number
            part = upload.parts.get(number)
            etag = (element.findtext("ETag") or "").strip().strip('"')
            invalid = S3Error(
                400,
                "InvalidPart",
                "One or more of the specified parts could not be found. The part "
                "may not have been uploaded, or the specified entity tag may not match the part's "
                "entity tag.",
                UploadId=upload_id,
                PartNumber=str(number),
                ETag=etag,
            )
            if part is None or etag != part["etag"]:
                raise invalid
            for algorithm, value in part["checksums"].items():
                sent = element.findtext(f"Checksum{algorithm}")
                if sent is not None and sent.strip() != value:
                    raise invalid
                if sent is None and algorithm == upload.checksum_algorithm:
                    raise S3Error(
                        400,
                        "InvalidRequest",
                        f"The upload was created using a {algorithm.lower()} "
                        f"checksum. The complete request must include the checksum for each part. It was "
                        f"missing for part {number} in the request.",
                    )
            chosen.append({"number": number})
        for entry in chosen[:-1]:
            if upload.parts[entry["number"]]["size"] < MIN_PART_BYTES:
                raise S3Error(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    PartNumber=str(entry["number"]),
                    MinSizeAllowed=str(MIN_PART_BYTES),
                )
        location = f"http://{request.headers.get('host', '')}/{request.bucket}/{quote(request.key)}"
        outcome: dict[str, Any] = {}

        def assemble() -> None:
            try:
                outcome["meta"] = self.store.complete(request.bucket, request.key, upload_id, chosen)
            except S3Error as error:
                outcome["error"] = error
            except Exception:
                log.exception("embedded S3: completing upload %s failed", upload_id)
                outcome["error"] = S3Error(500, "InternalError", "We encountered an internal error. Please try again.")

        worker = threading.Thread(target=assemble, name="embedded-s3-complete", daemon=True)
        worker.start()

        def answer() -> Iterator[bytes]:
            # As S3 does: 200 at once, white space while the parts are concatenated (a client's read
            # timeout never fires on a 5 GB upload), then the result or an Error document.
            yield XML_DECLARATION
            while worker.is_alive():
                worker.join(COMPLETE_KEEPALIVE_SECONDS)
                if worker.is_alive():
                    yield b" "
            if "error" in outcome:
                yield error_document(outcome["error"])
                return
            meta = outcome["meta"]
            yield xml_document(
                "CompleteMultipartUploadResult",
                [
                    ("Location", location),
                    ("Bucket", request.bucket),
                    ("Key", request.key),
                    ("ETag", _etag(meta)),
                    *_checksum_xml(meta.get("checksum")),
                ],
            )

        return Response(200, [("Content-Type", "application/xml")], answer())

    # -- POST (browser form) ----------------------------------------------------------
    def post_object(self, request: Request) -> Response:
        form = PostForm(request)
        form.read_fields()
        fields = form.fields
        low, high = check_post_policy(fields, request.bucket, self.credentials, self.clock())
        key = fields.get("key")
        if not key:
            raise S3Error(
                400,
                "InvalidArgument",
                "Bucket POST must contain a field named 'key'.  If it is specified, "
                "please check the order of the fields.",
                ArgumentName="key",
            )
        key = key.replace("${filename}", form.file_name)
        _check_key(key)
        if not self.store.has_bucket(request.bucket):
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=request.bucket)
        claimed = _checksum_headers(
            {name: value for name, value in fields.items() if name.startswith("x-amz-checksum-")}
        )
        received = self.store.receive(form.file_chunks(), sorted(claimed), max_bytes=high)
        try:
            form.finish()
            if received.size < low:
                raise S3Error(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    ProposedSize=str(received.size),
                    MinSizeAllowed=str(low),
                )
            check_claimed_checksums(received, claimed)
        except BaseException:
            received.discard()
            raise
        checksum = None
        if claimed:
            algorithm, value = next(iter(sorted(claimed.items())))
            checksum = {"algorithm": algorithm, "value": value, "type": "FULL_OBJECT"}
        meta = self.store.put(
            request.bucket,
            key,
            received,
            fields.get("content-type", "binary/octet-stream"),
            {name: value for name, value in fields.items() if name.startswith("x-amz-meta-")},
            checksum,
        )
        location = f"http://{request.headers.get('host', '')}/{request.bucket}/{quote(key)}"
        headers = [("ETag", _etag(meta)), ("Location", location)]
        status = fields.get("success_action_status", "204")
        if status == "201":
            return _xml_response(
                "PostResponse",
                [("Location", location), ("Bucket", request.bucket), ("Key", key), ("ETag", _etag(meta))],
                status=201,
                headers=headers,
            )
        return Response(200 if status == "200" else 204, headers, b"")


def _cors_rule_xml(rule: Meta) -> list[Any]:
    content = [("ID", rule.get("ID"))]
    for tag, name in _CORS_LISTS.items():
        content += [(tag, value) for value in rule.get(name, ())]
    return [*content, ("MaxAgeSeconds", rule.get("MaxAgeSeconds"))]


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """``(start, stop)`` of a single ``bytes=`` range; None to serve the whole object (a header S3
    ignores: not bytes, several ranges, malformed); InvalidRange when it is unsatisfiable."""
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == "") or first == last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            raise _invalid_range(value, size)
        return max(0, size - length), size
    start = int(first)
    stop = size if last == "" else min(int(last) + 1, size)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise _invalid_range(value, size)
    return start, stop


def _invalid_range(value: str, size: int) -> S3Error:
    return S3Error(
        416, "InvalidRange", "The requested range is not satisfiable", RangeRequested=value, ActualObjectSize=str(size)
    )


def _file_chunks(handle: IO[bytes] | Segments, start: int, stop: int, close: bool = True) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = stop - start
        while remaining > 0:
            data = handle.read(min(CHUNK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        if close:
            handle.close()


class EmbeddedS3:
    """The stand-in on a loopback port, in a daemon thread of this process.

    ``data_dir`` holds its objects (``s3video.embedded.data_dir``); without one, a temporary
    directory that lives as long as this object (tests, throw-away runs)."""

    def __init__(self, endpoint_url: str, data_dir: str | None = None):
        parts = urlsplit(endpoint_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the embedded S3 stand-in listens on loopback only")
        self.host, self.port = parts.hostname, (parts.port if parts.port is not None else 80)
        self._temporary = None
        if data_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="s3video-embedded-s3-")
            data_dir = self._temporary.name
        self.data_dir = data_dir
        self.store = Store(data_dir)
        self._opened = False
        self._server: BaseWSGIServer | None = None

    def open(self) -> EmbeddedS3:
        """Load what is on disk (before serving, so buckets can be made before anyone asks)."""
        if not self._opened:
            self.store.open()
            self._opened = True
        return self

    def ensure_bucket(self, bucket: str, cors_origins: Iterable[str] = ()) -> None:
        """Make the bucket, if missing, and give it the CORS rule production gets (``aws_setup``)."""
        self.open()
        self.store.create_bucket(bucket)
        rules = [dict(rule) for rule in cors_configuration(cors_origins or ["*"])["CORSRules"]]  # TypedDicts, as stored
        self.store.set_cors_rules(bucket, rules)

    def start(self) -> EmbeddedS3:
        self.open()
        self._server = server = make_server(self.host, self.port, StandIn(self.store), threaded=True)
        self.port = server.server_port
        threading.Thread(target=server.serve_forever, name="embedded-s3", daemon=True).start()
        return self

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.store.close()
        if self._temporary is not None:
            self._temporary.cleanup()


def ensure_bucket(s3_client: Any, bucket: str, cors_origins: tuple[str, ...]) -> None:
    """Over HTTP: create the bucket, if missing, with the same CORS rule production gets (``aws_setup``)."""
    existing = {b["Name"] for b in s3_client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3_client.create_bucket(Bucket=bucket)
    s3_client.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_configuration(cors_origins or ["*"]))
