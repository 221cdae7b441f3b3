"""The embedded S3 stand-in of ``development.ini``: moto's S3 server on loopback, guarded.

moto accepts any presigned POST without checking it (measured: oversize, wrong type,
expired, tampered signature and another key were all answered 204) and does not check
the expiry of presigned URLs. :class:`PolicyGuard` sits in front of it and refuses, with
S3's own error codes, what S3 would refuse:

- POST uploads: the SigV4 signature of the policy, the policy's expiry, every condition
  (exact ``bucket``/``key``/``Content-Type``, ``eq``, ``starts-with``,
  ``content-length-range``) and fields the policy does not cover;
- presigned GET/PUT URLs (multipart parts): their expiry, and an
  ``x-amz-checksum-sha256`` header that was signed into the URL must match the body
  (``BadDigest``), as S3 checks it;
- CopyObject's ``x-amz-copy-source-if-match``, which moto ignores: a source whose ETag
  differs is refused with 412 ``PreconditionFailed``, as S3 does;
- UploadPart to a completed or aborted upload, where moto answers 500: 404
  ``NoSuchUpload``, as S3 does (what makes a completed upload's part URLs dead).

Bodies are spooled to a temporary file past 8 MiB, so a large upload does not sit in
the sidecar's memory while it is checked. Objects live in moto's memory: restarting the
app empties the stand-in (development only).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import tempfile
import threading
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

from werkzeug.formparser import parse_form_data
from werkzeug.serving import make_server

from .aws_setup import cors_configuration

SPOOL_BYTES = 8 * 1024**2
ACCESS_KEY_ID = "s3video-embedded"
SECRET_ACCESS_KEY = "s3video-embedded-secret-key"  # loopback stand-in only; never a real credential
_IGNORED_FIELDS = {"policy", "x-amz-signature", "file"}  # S3 does not require conditions for these


def _s3_error(start_response, status: str, code: str, message: str, origin: str | None):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode("utf-8")
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    if origin:
        # Let the browser read the refusal (S3 sends CORS headers on errors too).
        headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    start_response(status, headers)
    return [body]


def _signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


class PolicyRefused(Exception):
    def __init__(self, status: str, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check_post_policy(form: dict[str, str], file_size: int, bucket: str, secret: str, now: float) -> None:
    """Raise :class:`PolicyRefused` unless S3 would accept this POST upload."""
    fields = {name.lower(): value for name, value in form.items()}
    policy_b64 = fields.get("policy")
    signature = fields.get("x-amz-signature")
    credential = fields.get("x-amz-credential", "")
    if not policy_b64 or not signature:
        raise PolicyRefused("403 Forbidden", "AccessDenied", "Bucket POST must contain a policy and a signature")
    parts = credential.split("/")
    if len(parts) != 5 or fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise PolicyRefused("400 Bad Request", "InvalidArgument", "malformed x-amz-credential or algorithm")
    _access_key, date, region, service, _terminal = parts
    expected = hmac.new(_signing_key(secret, date, region, service), policy_b64.encode("ascii"),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise PolicyRefused("403 Forbidden", "SignatureDoesNotMatch",
                            "The request signature we calculated does not match the signature you provided.")
    try:
        policy = json.loads(base64.b64decode(policy_b64))
        expiration = dt.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        raise PolicyRefused("400 Bad Request", "InvalidPolicyDocument", "Invalid Policy: malformed") from None
    if expiration.timestamp() <= now:
        raise PolicyRefused("403 Forbidden", "AccessDenied", "Invalid according to Policy: Policy expired.")
    covered = set(_IGNORED_FIELDS)
    values = dict(fields, bucket=bucket)
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            (name, value), = condition.items()
            condition = ["eq", f"${name}", value]
        operator, *args = condition
        if operator == "content-length-range":
            low, high = int(args[0]), int(args[1])
            if file_size > high:
                raise PolicyRefused("400 Bad Request", "EntityTooLarge",
                                    "Your proposed upload exceeds the maximum allowed size")
            if file_size < low:
                raise PolicyRefused("400 Bad Request", "EntityTooSmall",
                                    "Your proposed upload is smaller than the minimum allowed size")
            continue
        name, expected_value = args[0].lstrip("$").lower(), args[1]
        covered.add(name)
        actual = values.get(name)
        ok = actual == expected_value if operator == "eq" else (
            operator == "starts-with" and actual is not None and actual.startswith(expected_value))
        if not ok:
            raise PolicyRefused("403 Forbidden", "AccessDenied",
                                f'Invalid according to Policy: Policy Condition failed: ["{operator}", "${name}", '
                                f'"{expected_value}"]')
    extra = [name for name in fields if name not in covered and not name.startswith("x-ignore-")]
    if extra:
        raise PolicyRefused("403 Forbidden", "AccessDenied",
                            f"Invalid according to Policy: Extra input fields: {', '.join(sorted(extra))}")


class PolicyGuard:
    """WSGI middleware in front of moto's S3 app (see module docstring)."""

    def __init__(self, app, secret: str = SECRET_ACCESS_KEY, clock=None):
        self.app = app
        self.secret = secret
        self.clock = clock or (lambda: time.time())  # looked up per call, so tests can move the clock

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        origin = environ.get("HTTP_ORIGIN")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            if "X-Amz-Expires" in query and "X-Amz-Date" in query:
                self._check_presigned_expiry(query)
            if method == "POST" and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
                return self._guard_post(environ, start_response, origin)
            if method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_MATCH"):
                self._check_copy_source_etag(environ)
            if method == "PUT" and "uploadId" in query and "partNumber" in query:
                self._check_upload_is_open(environ, query["uploadId"][0])
            if method == "PUT" and "x-amz-checksum-sha256" in query.get("X-Amz-SignedHeaders", [""])[0]:
                return self._guard_checksum(environ, start_response, origin)
        except PolicyRefused as refused:
            return _s3_error(start_response, refused.status, refused.code, refused.message, origin)
        return self.app(environ, start_response)

    def _check_presigned_expiry(self, query) -> None:
        try:
            signed = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
            expires = int(query["X-Amz-Expires"][0])
        except ValueError:
            raise PolicyRefused("400 Bad Request", "AuthorizationQueryParametersError", "bad X-Amz-Date") from None
        if signed.timestamp() + expires <= self.clock():
            raise PolicyRefused("403 Forbidden", "AccessDenied", "Request has expired")

    def _subrequest(self, environ, method: str, path: str, query: str = "") -> tuple[str, dict]:
        """Ask moto itself (HEAD or GET, no body); return the status line and the lowercased headers."""
        sub = {k: v for k, v in environ.items() if not k.startswith("HTTP_X_AMZ_COPY_SOURCE")}
        sub.update({"REQUEST_METHOD": method, "PATH_INFO": path, "RAW_URI": f"{path}?{query}" if query else path,
                    "REQUEST_URI": f"{path}?{query}" if query else path, "QUERY_STRING": query,
                    "CONTENT_LENGTH": "0"})
        answer = {}

        def capture(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, {k.lower(): v for k, v in headers}

        for _chunk in self.app(sub, capture):
            pass
        return answer["status"], answer["headers"]

    def _check_upload_is_open(self, environ, upload_id: str) -> None:
        status, _headers = self._subrequest(environ, "GET", environ.get("PATH_INFO", "/"),
                                            f"uploadId={quote(upload_id, safe='')}&max-parts=1")
        if status.startswith("404"):
            raise PolicyRefused("404 Not Found", "NoSuchUpload", "The specified upload does not exist. The upload"
                                " ID may be invalid, or the upload may have been aborted or completed.")

    def _check_copy_source_etag(self, environ) -> None:
        """Refuse a CopyObject whose source's ETag is not the one ``x-amz-copy-source-if-match`` names."""
        source = "/" + unquote(environ.get("HTTP_X_AMZ_COPY_SOURCE", "").split("?")[0]).lstrip("/")
        status, headers = self._subrequest(environ, "HEAD", source)
        if not status.startswith("200"):
            return  # moto answers a missing source with NoSuchKey itself
        if headers.get("etag", "").strip('"') != environ["HTTP_X_AMZ_COPY_SOURCE_IF_MATCH"].strip('"'):
            raise PolicyRefused("412 Precondition Failed", "PreconditionFailed",
                                "At least one of the pre-conditions you specified did not hold")

    def _spool(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        stream, remaining = environ["wsgi.input"], length
        while remaining > 0:
            chunk = stream.read(min(remaining, 1024**2))
            if not chunk:
                break
            spool.write(chunk)
            remaining -= len(chunk)
        spool.seek(0)
        return spool, length

    def _guard_post(self, environ, start_response, origin):
        spool, length = self._spool(environ)
        parse_environ = dict(environ, **{"wsgi.input": spool, "CONTENT_LENGTH": str(length)})
        _stream, form, files = parse_form_data(parse_environ, max_form_memory_size=1024**2)
        upload = files.get("file")
        if upload is None:
            raise PolicyRefused("400 Bad Request", "InvalidArgument", "POST requires exactly one file upload")
        upload.stream.seek(0, 2)
        file_size = upload.stream.tell()
        bucket = environ.get("PATH_INFO", "/").strip("/").split("/")[0]
        check_post_policy(form.to_dict(), file_size, bucket, self.secret, self.clock())
        spool.seek(0)
        environ["wsgi.input"] = spool
        return self.app(environ, start_response)

    def _guard_checksum(self, environ, start_response, origin):
        claimed = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        if not claimed:
            raise PolicyRefused("403 Forbidden", "SignatureDoesNotMatch",
                                "x-amz-checksum-sha256 was signed but not sent")
        spool, _length = self._spool(environ)
        digest = hashlib.sha256()
        for chunk in iter(lambda: spool.read(1024**2), b""):
            digest.update(chunk)
        if base64.b64encode(digest.digest()).decode("ascii") != claimed:
            raise PolicyRefused("400 Bad Request", "BadDigest",
                                "The SHA256 you specified did not match the calculated checksum.")
        spool.seek(0)
        environ["wsgi.input"] = spool
        return self.app(environ, start_response)


class EmbeddedS3:
    """moto's S3 server behind :class:`PolicyGuard`, on a loopback port, in a daemon thread."""

    def __init__(self, endpoint_url: str):
        parts = urlsplit(endpoint_url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the embedded S3 stand-in listens on loopback only")
        self.host, self.port = parts.hostname, (parts.port if parts.port is not None else 80)
        self._server = None

    def start(self) -> "EmbeddedS3":
        from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app

        app = PolicyGuard(create_backend_app("s3"))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, name="embedded-s3", daemon=True).start()
        return self

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def ensure_bucket(s3_client, bucket: str, cors_origins: tuple[str, ...]) -> None:
    """Create the development bucket with the same CORS rule production gets (``aws_setup``)."""
    existing = {b["Name"] for b in s3_client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3_client.create_bucket(Bucket=bucket)
    s3_client.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_configuration(cors_origins or ["*"]))
