"""A Python client for the sidecar's HTTP API, signing every call with S3V1.

It is the reference the PHP stub matches (``moodle_plugin/classes/sidecar_client.php``):
same path encoding (each segment per RFC 3986), same canonical query, same actor JSON.

    client = SidecarClient("http://localhost:6543", "dev", "development-secret-change-me")
    student = client.acting_as(user=123, roles=["student"], course=9)
    upload = student.request_upload(7, 42, "talk.mp4", size, "video/mp4")
    student.upload_file(upload, "talk.mp4")
    student.confirm(7, 42, upload["s3_key"])
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from . import signing

JSON = dict[str, Any]  # a JSON object the sidecar answers


class SidecarError(Exception):
    """The sidecar refused a call: ``status``, the body's ``error``, ``code``, ``fields``."""

    def __init__(self, status: int, body: JSON, retry_after: str | None = None) -> None:
        self.status = status
        self.body = body
        self.message = body.get("error", f"HTTP {status}")
        self.code = body.get("code")
        self.fields = body.get("fields", {})
        self.retry_after = retry_after
        super().__init__(f"{status}: {self.message}")


class UploadError(Exception):
    """S3 refused an upload; ``code`` is S3's error code (EntityTooLarge, AccessDenied, ...)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def _query(**values: object) -> dict[str, object]:
    """Query parameters without the unset ones; booleans as true/false, lists comma-joined."""
    query: dict[str, object] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        query[name] = value
    return query


def _path(*segments: object) -> str:
    return "/" + "/".join(signing.rfc3986(str(segment)) for segment in segments)


class SidecarClient:
    def __init__(
        self,
        base_url: str,
        key_id: str,
        secret: str,
        *,
        actor: str | None = None,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self._secret = secret
        self.actor = actor
        self.session = session or requests.Session()
        self.timeout = timeout

    def acting_as(
        self, user: int, roles: list[str] | tuple[str, ...], course: int, group: int | None = None
    ) -> SidecarClient:
        """A client that signs as this actor (sharing the HTTP session); ``group``: a team submission's group."""
        return SidecarClient(
            self.base_url,
            self.key_id,
            self._secret,
            actor=signing.encode_actor(user, roles, course, group),
            session=self.session,
            timeout=self.timeout,
        )

    # -- the transport -------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        body: object = None,
        signed: bool = True,
    ) -> Any:
        """One call; the answer's JSON (None for an empty body). Raises :class:`SidecarError` for 4xx/5xx."""
        query_string = urlencode(query or {}, doseq=True, quote_via=lambda s, *_: signing.rfc3986(str(s)))
        data = json.dumps(body, separators=(",", ":")).encode("utf-8") if body is not None else b""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if signed:
            if self.actor is None:
                raise ValueError("call acting_as() first: every signed call names its actor")
            headers.update(
                signing.sign_headers(self.key_id, self._secret, method, path, query_string, self.actor, data)
            )
        url = f"{self.base_url}{path}" + (f"?{query_string}" if query_string else "")
        response = self.session.request(method, url, data=data or None, headers=headers, timeout=self.timeout)
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = {"error": response.text[:200]}
            raise SidecarError(response.status_code, payload, response.headers.get("Retry-After"))
        return response.json() if response.content else None

    def _json(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        body: object = None,
        signed: bool = True,
    ) -> JSON:
        """:meth:`request` for the calls whose answer is a JSON object."""
        answer: JSON = self.request(method, path, query=query, body=body, signed=signed)
        return answer

    # -- the API ---------------------------------------------------------------------------
    def health(self) -> JSON:
        return self._json("GET", "/health", signed=False)

    def submission(self, assignment: int, submission: int) -> JSON:
        return self._json("GET", _path("assignments", assignment, "submissions", submission))

    def request_upload(self, assignment: int, submission: int, filename: str, size: int, mime_type: str) -> JSON:
        return self._json(
            "POST",
            _path("assignments", assignment, "submissions", submission, "upload-url"),
            body={"filename": filename, "size": size, "mime_type": mime_type},
        )

    def confirm(self, assignment: int, submission: int, s3_key: str, draft: bool = False) -> JSON:
        """Confirm an upload; with ``draft`` it stays beside the current video until :meth:`make_current`."""
        body = {"s3_key": s3_key, "draft": True} if draft else {"s3_key": s3_key}
        return self._json("POST", _path("assignments", assignment, "submissions", submission, "confirm"), body=body)

    def make_current(self, assignment: int, submission: int, video_id: int) -> JSON:
        """Make a draft (a ready video of the submission) its current video: Moodle's save()."""
        return self._json(
            "POST", _path("assignments", assignment, "submissions", submission, "current"), body={"video_id": video_id}
        )

    def copy_from(
        self,
        assignment: int,
        submission: int,
        source_assignment: int,
        source_submission: int,
        user_id: int,
        group_id: int | None = None,
    ) -> JSON:
        """Admin: give the target submission the source's video (shared object): restore, copy, recycle bin."""
        body = {"assignment_id": source_assignment, "submission_id": source_submission, "user_id": user_id}
        if group_id is not None:
            body["group_id"] = group_id
        return self._json("POST", _path("assignments", assignment, "submissions", submission, "copy-from"), body=body)

    def whoami(self) -> JSON:
        """Who the sidecar takes this signed caller to be: a connection check that proves the key."""
        return self._json("GET", "/whoami")

    def playback_url(self, assignment: int, submission: int, renew: bool = False) -> JSON:
        """``renew=True`` for a URL the player is already showing: not counted as a view."""
        return self._json(
            "GET",
            _path("assignments", assignment, "submissions", submission, "playback-url"),
            query={"renew": "true"} if renew else None,
        )

    def delete_submission(self, assignment: int, submission: int) -> JSON:
        return self._json("DELETE", _path("assignments", assignment, "submissions", submission))

    def delete_assignment(self, assignment: int, retain_seconds: int | None = None) -> JSON:
        """Schedule every video of the assignment; ``retain_seconds`` keeps them restorable that long."""
        return self._json("DELETE", _path("assignments", assignment), query=_query(retain_seconds=retain_seconds))

    def start_multipart(
        self, assignment: int, submission: int, filename: str, size: int, mime_type: str, fingerprint: str | None = None
    ) -> JSON:
        body = {"filename": filename, "size": size, "mime_type": mime_type}
        if fingerprint:
            body["fingerprint"] = fingerprint
        return self._json("POST", _path("assignments", assignment, "submissions", submission, "multipart"), body=body)

    def sign_parts(
        self,
        assignment: int,
        submission: int,
        upload_id: str,
        part_numbers: Iterable[int],
        checksums: Mapping[int, str] | None = None,
    ) -> JSON:
        body: JSON = {"part_numbers": list(part_numbers)}
        if checksums:
            body["checksums"] = {str(n): digest for n, digest in checksums.items()}
        return self._json(
            "POST",
            _path("assignments", assignment, "submissions", submission, "multipart", upload_id, "parts"),
            body=body,
        )

    def list_parts(self, assignment: int, submission: int, upload_id: str) -> JSON:
        return self._json("GET", _path("assignments", assignment, "submissions", submission, "multipart", upload_id))

    def complete_multipart(
        self, assignment: int, submission: int, upload_id: str, parts: Iterable[tuple[int, str]], draft: bool = False
    ) -> JSON:
        body: JSON = {"parts": [{"part_number": n, "etag": etag} for n, etag in parts]}
        if draft:
            body["draft"] = True
        return self._json(
            "POST",
            _path("assignments", assignment, "submissions", submission, "multipart", upload_id, "complete"),
            body=body,
        )

    def abort_multipart(self, assignment: int, submission: int, upload_id: str) -> None:
        self.request("DELETE", _path("assignments", assignment, "submissions", submission, "multipart", upload_id))

    def posters(self, assignment: int, submission_ids: Iterable[int]) -> JSON:
        """Grader: each submission's signed poster URL and media facts, for a page of the grading table
        (1-500 distinct ids, one call)."""
        return self._json(
            "POST",
            _path("assignments", assignment, "posters"),
            body={"submission_ids": [int(i) for i in submission_ids]},
        )

    # -- admin and privacy (actor with the admin role) ------------------------------------------
    def admin_stats(self, days: int | None = None) -> JSON:
        return self._json("GET", "/admin/stats", query=_query(days=days))

    def admin_videos(self, **filters: object) -> JSON:
        """Search: course, assignment, submission, user, status ("ready,error"), uploaded_from,
        uploaded_to (YYYY-MM-DD or Unix seconds), min_size, max_size, page, per_page."""
        names = {"uploaded_from": "from", "uploaded_to": "to"}  # the query's names are Python keywords
        return self._json(
            "GET", "/admin/videos", query=_query(**{names.get(name, name): value for name, value in filters.items()})
        )

    def admin_video(self, video_id: int) -> JSON:
        """A video with its full history (events, oldest first)."""
        return self._json("GET", _path("admin", "videos", video_id))

    def admin_restore_video(self, video_id: int) -> JSON:
        return self._json("POST", _path("admin", "videos", video_id, "restore"), body={})

    def admin_delete_video(self, video_id: int) -> JSON:
        return self._json("DELETE", _path("admin", "videos", video_id))

    def admin_events(self, **filters: object) -> JSON:
        """The event log: user, assignment, submission, video, type, error_code, errors_only,
        since, until, page, per_page."""
        return self._json("GET", "/admin/events", query=_query(**filters))

    def privacy_export(self, user_id: int, assignment: int | None = None) -> JSON:
        return self._json("GET", _path("privacy", "users", user_id), query=_query(assignment=assignment))

    def privacy_erase_user(self, user_id: int) -> JSON:
        return self._json("DELETE", _path("privacy", "users", user_id))

    def privacy_erase_assignment(self, assignment_id: int, users: Iterable[int] | None = None) -> JSON:
        """Erase these users' data in the assignment; every user's when ``users`` is None."""
        body: JSON = {"all_users": True} if users is None else {"users": list(users)}
        return self._json("POST", _path("privacy", "assignments", assignment_id, "erase"), body=body)

    # -- S3 side (what the browser does; for notebooks, scripts and tests) ----------------------
    def upload_file(
        self, upload: JSON, path_or_bytes: str | os.PathLike[str] | bytes | bytearray, filename: str | None = None
    ) -> None:
        """POST a file to S3 with the presigned form from :meth:`request_upload`."""
        if isinstance(path_or_bytes, (bytes, bytearray)):
            content = bytes(path_or_bytes)
        else:
            filename = filename or os.path.basename(path_or_bytes)
            with open(path_or_bytes, "rb") as handle:
                content = handle.read()
        fields = upload["upload"]["fields"]
        response = self.session.post(
            upload["upload"]["url"],
            data=fields,
            files={"file": (filename or "video", content, fields.get("Content-Type"))},
            timeout=self.timeout,
        )
        if response.status_code >= 300:
            raise UploadError(response.status_code, *_s3_error(response.text))

    def upload_parts(self, assignment: int, submission: int, started: JSON, data: bytes) -> list[tuple[int, str]]:
        """PUT every part of ``data`` through signed part URLs; return [(part_number, etag)]."""
        size = started["part_size"]
        chunks = {n: data[(n - 1) * size : n * size] for n in range(1, started["part_count"] + 1)}
        # Each part's SHA-256 is signed into its URL and sent along: S3 refuses a part that differs.
        checksums = {n: base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii") for n, chunk in chunks.items()}
        signed = self.sign_parts(assignment, submission, started["upload_id"], list(chunks), checksums)
        urls = {p["part_number"]: p["url"] for p in signed["parts"]}
        parts: list[tuple[int, str]] = []
        for number, chunk in chunks.items():
            response = self.session.put(
                urls[number], data=chunk, timeout=self.timeout, headers={"x-amz-checksum-sha256": checksums[number]}
            )
            if response.status_code >= 300:
                raise UploadError(response.status_code, *_s3_error(response.text))
            parts.append((number, response.headers["ETag"]))
        return parts


def _s3_error(xml_text: str) -> tuple[str, str]:
    import re

    code = re.search(r"<Code>(.*?)</Code>", xml_text or "")
    message = re.search(r"<Message>(.*?)</Message>", xml_text or "")
    return (code.group(1) if code else "Unknown", message.group(1) if message else (xml_text or "")[:200])
