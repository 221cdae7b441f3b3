"""The OpenAPI 3.1 description of the sidecar's HTTP API, served at ``/openapi.json``.

Kept beside the views it describes; tests check that every path here answers and that
the answers fit the schemas.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import __version__
from .schemas import (
    CHECKSUM_PATTERN,
    ETAG_PATTERN,
    MAX_ETAG_CHARS,
    MAX_PARTS,
    MAX_POSTER_IDS,
    MAX_SIZE_BYTES,
    MIME_PATTERN,
    NO_NUL_PATTERN,
)

ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}  # a BIGINT
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
# The submission receipt (contract C1): S3's SHA-256 of the confirmed object, base64; a multipart
# upload's is the composite SHA-256 of its parts' SHA-256s, with S3's "-N" suffix.
RECEIPT = {
    "checksum_sha256": {
        "type": ["string", "null"],
        "pattern": r"^[A-Za-z0-9+/]{43}=(-[0-9]{1,5})?$",
        "description": "the confirmed object's SHA-256 as S3 reports it (base64; -N: N parts)",
    },
    "checksum_type": {
        "enum": ["full_object", "composite", None],
        "description": "full_object (a POST upload) or composite (a multipart upload)",
    },
}
VIDEO: dict[str, Any] = {
    "type": "object",
    "properties": {
        "video_id": ID,
        "s3_key": {"type": "string"},
        "status": {"type": "string"},
        "filename": {"type": "string"},
        "mime_type": {"type": "string"},
        "file_size": {"type": ["integer", "null"]},
        "declared_size": {"type": "integer"},
        "duration": {"type": ["integer", "null"]},
        "upload_method": {"type": "string"},
        "uploaded_at": {"type": "integer"},
        "confirmed_at": {"type": ["integer", "null"]},
        **RECEIPT,
        "error": {"type": ["string", "null"]},
        "media": {
            "type": ["object", "null"],
            "description": "what the probe found, once it ran: container, "
            "video_codec/profile, audio_codec/profile, duration_seconds, width, height, frame_rate, bitrate, "
            "rotation, fast_start, playable (and reason), plays_everywhere, browsers",
        },
        "poster": {"type": "boolean", "description": "a poster frame exists (its signed URL: poster_url)"},
    },
}


def _upload_request(max_size: int) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["filename", "size", "mime_type"],
        "properties": {
            # not blank, no NUL
            "filename": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1024,
                "pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
            },
            "size": {
                "type": "integer",
                "minimum": 1,
                "maximum": max_size,
                "description": "bytes; at most the sidecar's configured maximum upload size",
            },
            "mime_type": {"type": "string", "pattern": MIME_PATTERN, "example": "video/mp4"},
        },
    }


CONFIRMED = {
    "type": "object",
    "required": ["status", "video_id", "s3_key", "file_size", "mime_type", "current"],
    "properties": {
        "current": {"type": "boolean", "description": "false for a draft: the submission's video is unchanged"},
        "status": {"const": "ready"},
        "video_id": ID,
        "s3_key": {"type": "string"},
        "file_size": {"type": "integer"},
        "mime_type": {"type": "string"},
        **RECEIPT,
        "confirmed_at": {"type": "integer"},
    },
}
SCHEDULED = {
    "type": "object",
    "required": ["status", "scheduled"],
    "properties": {
        "status": {"const": "deleting"},
        "scheduled": {"type": "integer"},
        "video_ids": {"type": "array", "items": ID},
        "purge_after": {"type": "integer", "description": "no object goes before this (Unix s)"},
    },
}
SUBMISSION_STATE = {
    "type": "object",
    "required": ["status", "submission_id", "drafts"],
    "properties": {
        "status": {"type": "string"},
        "assignment_id": ID,
        "submission_id": ID,
        "user_id": {"type": "integer"},
        "video": {"oneOf": [{"$ref": "#/components/schemas/Video"}, {"type": "null"}]},
        "poster_url": {
            "type": ["string", "null"],
            "description": "the current video's poster frame, signed (not a view)",
        },
        "uploads_in_progress": {"type": "array", "items": {"$ref": "#/components/schemas/Video"}},
        "drafts": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Video"},
            "description": "ready videos that are not the current one (confirmed as drafts)",
        },
    },
}
DRAFT_FLAG = {
    "type": "boolean",
    "description": "keep the video as a draft: the current video stays until POST .../current makes this one current",
}
RETAIN_SECONDS = {"type": "integer", "minimum": 0, "maximum": 31622400}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses):
    text = {
        400: "invalid field",
        401: "S3V1 authentication failed",
        403: "not allowed",
        404: "unknown",
        409: "state conflict",
        413: "too large",
        415: "type not allowed",
        429: "rate limited",
        503: "storage or database unavailable",
    }
    return {str(s): _json({"$ref": "#/components/schemas/Error"}, text[s]) for s in statuses}


def _op(summary, responses, *, body=None, who="", errors=(401, 403, 404, 503)):
    operation = {
        "summary": summary,
        "description": who,
        "responses": {**responses, **_errors(*errors)},
        "security": [{"S3V1": []}],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def _params(*names):
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"} if n == "upload_id" else ID}
        for n in names
    ]


HEALTH = {
    "type": "object",
    "required": ["status", "version"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "version": {"type": "string"},
        **{
            store: {"type": "string"}
            for store in ("database", "schema", "nonce_store", "rate_limit_store", "queue", "storage")
        },
    },
}


@lru_cache(maxsize=4)
def openapi_document(max_upload_bytes: int = MAX_SIZE_BYTES) -> dict:
    """The document; ``/openapi.json`` passes the configured maximum upload size, so that the
    description bounds sizes exactly as the server does."""
    upload_request = _upload_request(min(max_upload_bytes, MAX_SIZE_BYTES))
    sub = "/assignments/{assignment}/submissions/{submission}"
    upload = f"{sub}/multipart/{{upload_id}}"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "s3video sidecar",
            "version": __version__,
            "description": "Large video submissions for Moodle assignments. Every call except /health and "
            "/openapi.json carries an S3V1 signature (see the README).",
        },
        "components": {
            "securitySchemes": {
                "S3V1": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "S3V1-HMAC-SHA256 KeyId=<id>, Signature=<hex>, with X-S3Video-Date, "
                    "X-S3Video-Nonce and X-S3Video-Actor headers; the actor is compact JSON "
                    '{"user","roles","course"}, plus "group" (0 or a Moodle group id) for a '
                    "team submission, whose every member may then act on it",
                }
            },
            "schemas": {"Error": ERROR, "Video": VIDEO},
        },
        "paths": {
            "/health": {
                "get": {
                    "summary": 'Every store a signed call needs, each named: "ok", "unavailable" (the cause is in the'
                    " sidecar's log) or, for the schema, which revision was found and which is needed",
                    "security": [],
                    "responses": {
                        "200": _json(HEALTH),
                        "503": _json(HEALTH, "a store is down (or the schema is not at head)"),
                    },
                }
            },
            "/openapi.json": {
                "get": {"summary": "This document", "security": [], "responses": {"200": _json({"type": "object"})}}
            },
            "/assignments/{assignment}": {
                "parameters": _params("assignment"),
                "delete": {
                    **_op(
                        "Schedule every video of the assignment for deletion; with retain_seconds "
                        "(Moodle's recycle bin) no object goes before now + retain_seconds, and a "
                        "copy-from may still take the videos until then",
                        {"202": _json(SCHEDULED)},
                        who="admin",
                        errors=(400, 401, 403, 404, 503),
                    ),
                    "parameters": _query(
                        retain_seconds=(
                            RETAIN_SECONDS,
                            "keep the videos restorable this long (at least the grace period)",
                        )
                    ),
                },
            },
            "/whoami": {
                "get": _op(
                    "Who the sidecar takes this signed caller to be (a connection check)",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["key_id", "actor"],
                                "properties": {
                                    "key_id": {"type": "string"},
                                    "actor": {
                                        "type": "object",
                                        "required": ["user", "roles", "course"],
                                        "properties": {
                                            "user": ID,
                                            "roles": {"type": "array"},
                                            "course": ID,
                                            "group": {"type": "integer"},
                                        },
                                    },
                                },
                            }
                        )
                    },
                    who="any signed caller",
                    errors=(401, 503),
                )
            },
            sub: {
                "parameters": _params("assignment", "submission"),
                "get": _op(
                    "The submission's current video, its drafts and uploads in progress",
                    {"200": _json(SUBMISSION_STATE)},
                    who="owner, grader of the course, admin",
                ),
                "delete": _op(
                    "Schedule the submission's video for deletion", {"202": _json(SCHEDULED)}, who="owner, admin"
                ),
            },
            f"{sub}/upload-url": {
                "parameters": _params("assignment", "submission"),
                "post": _op(
                    "A presigned POST for the file, or the instruction to go multipart",
                    {
                        "201": _json(
                            {
                                "oneOf": [
                                    {
                                        "type": "object",
                                        "required": [
                                            "video_id",
                                            "s3_key",
                                            "expires_at",
                                            "max_size",
                                            "method",
                                            "upload",
                                        ],
                                        "properties": {
                                            "video_id": ID,
                                            "s3_key": {"type": "string"},
                                            "expires_at": {"type": "integer"},
                                            "max_size": {"type": "integer"},
                                            "method": {"const": "post"},
                                            "upload": {
                                                "type": "object",
                                                "required": ["url", "fields"],
                                                "properties": {"url": {"type": "string"}, "fields": {"type": "object"}},
                                            },
                                        },
                                    },
                                    {
                                        "type": "object",
                                        "required": ["method", "max_size"],
                                        "properties": {
                                            "method": {"const": "multipart"},
                                            "max_size": {"type": "integer"},
                                            "multipart_threshold": {"type": "integer"},
                                        },
                                    },
                                ]
                            },
                            "a presigned POST, or the instruction to use the multipart calls",
                        ),
                    },
                    body=upload_request,
                    who="owner (student)",
                    errors=(400, 401, 403, 404, 413, 415, 429, 503),
                ),
            },
            f"{sub}/confirm": {
                "parameters": _params("assignment", "submission"),
                "post": _op(
                    "Check the staged upload (exact declared size, type, container signature), copy it to"
                    " its video key, record its SHA-256, and make it the current video or keep it as a"
                    " draft (idempotent)",
                    {"200": _json(CONFIRMED)},
                    body={
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["s3_key"],
                        "properties": {
                            "s3_key": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": NO_NUL_PATTERN},
                            "draft": DRAFT_FLAG,
                        },
                    },
                    who="owner",
                    errors=(400, 401, 403, 404, 409, 413, 415, 429, 503),
                ),
            },
            f"{sub}/current": {
                "parameters": _params("assignment", "submission"),
                "post": _op(
                    "Make a ready video of this submission (a draft) the current one; the previous "
                    "current video and the other drafts go to deletion (idempotent)",
                    {"200": _json(CONFIRMED)},
                    body={
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["video_id"],
                        "properties": {"video_id": ID},
                    },
                    who="owner, team member, admin",
                    errors=(400, 401, 403, 404, 409, 429, 503),
                ),
            },
            f"{sub}/copy-from": {
                "parameters": _params("assignment", "submission"),
                "post": _op(
                    "Give this submission (made if needed: course from the actor) a ready, current video "
                    "sharing the source submission's object: Moodle's restore, course copy, import and "
                    "recycle bin (idempotent)",
                    {"200": _json(SUBMISSION_STATE)},
                    body={
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["assignment_id", "submission_id", "user_id"],
                        "properties": {
                            "assignment_id": ID,
                            "submission_id": ID,
                            "user_id": ID,
                            "group_id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
                        },
                    },
                    who="admin",
                    errors=(400, 401, 403, 404, 409, 413, 503),
                ),
            },
            f"{sub}/playback-url": {
                "parameters": [
                    *_params("assignment", "submission"),
                    {
                        "name": "renew",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["true", "false"]},
                        "description": "true: a fresh URL for a video the player already shows (not counted as a view)",
                    },
                ],
                "get": _op(
                    "A CloudFront signed URL for the current video",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["url", "expires_at", "mime_type"],
                                "properties": {
                                    "url": {"type": "string"},
                                    "expires_at": {"type": "integer"},
                                    "mime_type": {"type": "string"},
                                    "video_id": ID,
                                    "poster_url": {"type": ["string", "null"]},
                                    "media": {"type": ["object", "null"]},
                                },
                            }
                        )
                    },
                    who="owner, grader, admin",
                    errors=(400, 401, 403, 404, 429, 503),
                ),
            },
            f"{sub}/multipart": {
                "parameters": _params("assignment", "submission"),
                "post": _op(
                    "Start (or resume, by fingerprint) a multipart upload",
                    {
                        "201": _json(
                            {
                                "type": "object",
                                "required": [
                                    "video_id",
                                    "s3_key",
                                    "upload_id",
                                    "part_size",
                                    "part_count",
                                    "expires_at",
                                ],
                                "properties": {
                                    "video_id": ID,
                                    "s3_key": {"type": "string"},
                                    "upload_id": {"type": "string"},
                                    "part_size": {"type": "integer"},
                                    "part_count": {"type": "integer"},
                                    "expires_at": {"type": "integer"},
                                    "checksum_algorithm": {"type": "string"},
                                    "resumed": {"type": "boolean"},
                                },
                            }
                        )
                    },
                    body={
                        **upload_request,
                        "properties": {
                            **upload_request["properties"],
                            "fingerprint": {
                                "type": "string",
                                "pattern": "^([A-Za-z0-9_.:-]{8,128})?$",  # "": no fingerprint
                                "description": "resume key: 8-128 of [A-Za-z0-9_.:-]; empty or absent for none",
                            },
                        },
                    },
                    who="owner",
                    errors=(400, 401, 403, 404, 413, 415, 429, 503),
                ),
            },
            upload: {
                "parameters": _params("assignment", "submission", "upload_id"),
                "get": _op(
                    "Parts S3 already holds (for resume)",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["parts"],
                                "properties": {
                                    "parts": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "part_number": {"type": "integer"},
                                                "etag": {"type": "string"},
                                                "size": {"type": "integer"},
                                            },
                                        },
                                    }
                                },
                            }
                        )
                    },
                    who="owner",
                    errors=(401, 403, 404, 409, 503),
                ),
                "delete": _op(
                    "Abort the upload",
                    {"204": {"description": "aborted"}},
                    who="owner",
                    errors=(401, 403, 404, 409, 503),
                ),
            },
            f"{upload}/parts": {
                "parameters": _params("assignment", "submission", "upload_id"),
                "post": _op(
                    "Presigned UploadPart URLs (PUT; the ETag header comes back)",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["parts", "expires_at"],
                                "properties": {
                                    "parts": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "part_number": {"type": "integer"},
                                                "url": {"type": "string"},
                                            },
                                        },
                                    },
                                    "expires_at": {"type": "integer"},
                                },
                            }
                        )
                    },
                    body={
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["part_numbers"],
                        "properties": {
                            "part_numbers": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 100,
                                "items": {"type": "integer", "minimum": 1, "maximum": 10000},
                            },
                            "checksums": {
                                "type": "object",
                                "propertyNames": {"pattern": "^[0-9]{1,5}$"},
                                "additionalProperties": {"type": "string", "pattern": CHECKSUM_PATTERN},
                            },
                        },
                    },
                    who="owner",
                    errors=(400, 401, 403, 404, 409, 503),
                ),
            },
            f"{upload}/complete": {
                "parameters": _params("assignment", "submission", "upload_id"),
                "post": _op(
                    "Total the parts, complete, and confirm",
                    {"200": _json(CONFIRMED)},
                    body={
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["parts"],
                        "properties": {
                            "parts": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_PARTS,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["part_number", "etag"],
                                    "properties": {
                                        "part_number": {"type": "integer", "minimum": 1, "maximum": 10000},
                                        "etag": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": MAX_ETAG_CHARS,
                                            "pattern": ETAG_PATTERN,
                                        },
                                    },
                                },
                            },
                            "draft": DRAFT_FLAG,
                        },
                    },
                    who="owner",
                    errors=(400, 401, 403, 404, 409, 413, 415, 429, 503),
                ),
            },
            **_operations_paths(),
            **_posters_path(),
        },
    }


def _query(**params):
    return [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
        for name, (schema, description) in params.items()
    ]


# a real day, or Unix seconds; empty means no bound, as when absent
DATE = {"type": "string", "anyOf": [{"format": "date"}, {"pattern": r"^[0-9]{1,12}$"}, {"maxLength": 0}]}
SIZE_QUERY = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}  # a BIGINT
PAGING = {
    "page": ({"type": "integer", "minimum": 1, "maximum": 1000000}, "page number, from 1"),
    "per_page": ({"type": "integer", "minimum": 1, "maximum": 100}, "rows a page (default 25)"),
}
PAGED = {
    "total": {"type": "integer"},
    "page": {"type": "integer"},
    "per_page": {"type": "integer"},
    "pages": {"type": "integer"},
}
ADMIN_VIDEO = {
    "allOf": [
        {"$ref": "#/components/schemas/Video"},
        {
            "type": "object",
            "properties": {
                "assignment_id": ID,
                "submission_id": ID,
                "user_id": {"type": "integer"},
                "course_id": {"type": ["integer", "null"]},
                "current": {"type": "boolean"},
                "restorable": {"type": "boolean"},
                "purge_after": {"type": ["integer", "null"]},
                "deleted_at": {"type": ["integer", "null"]},
            },
        },
    ]
}
EVENT = {
    "type": "object",
    "required": ["id", "timestamp", "event_type"],
    "properties": {
        "id": ID,
        "timestamp": {"type": "integer"},
        "event_type": {"type": "string"},
        "user_id": {"type": ["integer", "null"]},
        "user_role": {"type": ["string", "null"]},
        "assignment_id": {"type": ["integer", "null"]},
        "submission_id": {"type": ["integer", "null"]},
        "video_id": {"type": ["integer", "null"]},
        "s3_key": {"type": ["string", "null"]},
        "error_code": {"type": ["string", "null"]},
        "error_message": {"type": ["string", "null"]},
        "context": {},
        "file_size": {"type": ["integer", "null"]},
        "duration": {"type": ["integer", "null"]},
        "retry_count": {"type": ["integer", "null"]},
    },
}
ERASED = {
    "type": "object",
    "required": ["status", "videos"],
    "properties": {
        "status": {"enum": ["erasing", "erased"]},
        "videos": {"type": "integer"},
        "events_anonymised": {"type": "integer"},
        "users": {"type": "integer"},
    },
}


def _operations_paths() -> dict:
    """The admin and privacy calls (role admin; ``views/admin.py``, ``views/privacy.py``)."""
    video = "/admin/videos/{video}"
    return {
        "/admin/stats": {
            "get": {
                **_op(
                    "Dashboard figures: videos by status, storage, uploads/views/storage per "
                    "day, errors by code, the month's cost",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["videos", "storage", "per_day", "errors_by_code", "today", "cost"],
                            }
                        )
                    },
                    who="admin",
                    errors=(400, 401, 403, 503),
                ),
                "parameters": _query(
                    days=({"type": "integer", "minimum": 1, "maximum": 366}, "days of history (default 30)")
                ),
            }
        },
        "/admin/videos": {
            "get": {
                **_op(
                    "Search videos, newest first",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["videos", "total", "page", "per_page", "pages"],
                                "properties": {"videos": {"type": "array", "items": ADMIN_VIDEO}, **PAGED},
                            }
                        )
                    },
                    who="admin",
                    errors=(400, 401, 403, 503),
                ),
                "parameters": _query(
                    course=(ID, "course id"),
                    assignment=(ID, "assignment id"),
                    submission=(ID, "submission id"),
                    user=(ID, "user id"),
                    status=(
                        {
                            "type": "string",
                            "pattern": r"^(pending|uploading|ready|deleting|deleted|error)"
                            r"(,(pending|uploading|ready|deleting|deleted|error))*$",
                        },
                        "statuses, comma-separated",
                    ),
                    **{
                        "from": (DATE, "uploaded on or after: YYYY-MM-DD (UTC) or Unix seconds"),
                        "to": (DATE, "uploaded on or before (the whole day)"),
                    },
                    min_size=(SIZE_QUERY, "bytes"),
                    max_size=(SIZE_QUERY, "bytes"),
                    **PAGING,
                ),
            }
        },
        video: {
            "parameters": _params("video"),
            "get": _op(
                "A video and its full history (events, oldest first)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["video", "events"],
                            "properties": {"video": ADMIN_VIDEO, "events": {"type": "array", "items": EVENT}},
                        }
                    )
                },
                who="admin",
            ),
            "delete": _op(
                "Schedule the video for deletion (restorable during the grace period)",
                {"202": _json(ADMIN_VIDEO)},
                who="admin",
                errors=(401, 403, 404, 409, 503),
            ),
        },
        f"{video}/restore": {
            "parameters": _params("video"),
            "post": _op(
                "Restore a deleted video within the grace period; it becomes current again",
                {"200": _json(ADMIN_VIDEO)},
                who="admin",
                errors=(401, 403, 404, 409, 503),
            ),
        },
        "/admin/events": {
            "get": {
                **_op(
                    "The event log, newest first",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["events", "total", "page", "per_page", "pages"],
                                "properties": {"events": {"type": "array", "items": EVENT}, **PAGED},
                            }
                        )
                    },
                    who="admin",
                    errors=(400, 401, 403, 503),
                ),
                "parameters": _query(
                    user=(ID, "user id"),
                    assignment=(ID, "assignment id"),
                    submission=(ID, "submission id"),
                    video=(ID, "video id"),
                    type=({"type": "string"}, "event types, comma-separated"),
                    error_code=({"type": "string"}, "error codes, comma-separated"),
                    errors_only=({"type": "boolean"}, "only events with an error code"),
                    since=(DATE, "from: YYYY-MM-DD (UTC) or Unix seconds"),
                    until=(DATE, "up to (the whole day)"),
                    **PAGING,
                ),
            }
        },
        "/privacy/users/{user}": {
            "parameters": _params("user"),
            "get": {
                **_op(
                    "Export a user's data: submissions, videos with short-lived download links, events",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["user_id", "submissions", "videos", "events"],
                                "properties": {
                                    "videos": {"type": "array"},
                                    "events": {"type": "array", "items": EVENT},
                                },
                            }
                        )
                    },
                    who="admin",
                    errors=(400, 401, 403, 404, 503),
                ),
                "parameters": _query(assignment=(ID, "only this assignment")),
            },
            "delete": _op(
                "Erase a user: videos to the deletion job, events anonymised",
                {"202": _json(ERASED)},
                who="admin",
                errors=(401, 403, 404, 503),
            ),
        },
        "/privacy/assignments/{assignment}/erase": {
            "parameters": _params("assignment"),
            "post": _op(
                "Erase some users of an assignment (or all of them)",
                {"202": _json(ERASED)},
                body={
                    "type": "object",
                    "additionalProperties": False,
                    "minProperties": 1,
                    "maxProperties": 1,
                    "properties": {
                        "users": {"type": "array", "minItems": 1, "maxItems": 10000, "items": ID},
                        "all_users": {"const": True},
                    },
                },
                who="admin",
                errors=(400, 401, 403, 404, 503),
            ),
        },
    }


POSTER = {
    "type": "object",
    "required": ["submission_id", "status", "poster_url", "media"],
    "properties": {
        "submission_id": ID,
        "status": {
            "type": "string",
            "description": "the current video's status (ready, or error when the probe found it"
            " is no video), or empty: no current video in this assignment",
        },
        "video_id": {"type": ["integer", "null"]},
        "duration": {"type": ["integer", "null"]},
        "poster_url": {
            "type": ["string", "null"],
            "description": "the poster frame, signed (not a view); null before the probe or without a frame",
        },
        "media": VIDEO["properties"]["media"],
        "error": {"type": ["string", "null"]},
    },
}


def _posters_path() -> dict:
    """The grading table's thumbnails (``views/posters.py``): graders of the course and admins."""
    return {
        "/assignments/{assignment}/posters": {
            "parameters": _params("assignment"),
            "post": _op(
                "For a page of submissions (one call, not one a row): each one's signed poster URL and the "
                "probe's facts, in the order asked; reads only",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["assignment_id", "expires_at", "posters"],
                            "properties": {
                                "assignment_id": ID,
                                "expires_at": {"type": "integer"},
                                "posters": {"type": "array", "maxItems": MAX_POSTER_IDS, "items": POSTER},
                            },
                        }
                    )
                },
                body={
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["submission_ids"],
                    "properties": {
                        "submission_ids": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_POSTER_IDS,
                            "uniqueItems": True,
                            "items": ID,
                        }
                    },
                },
                who="grader of the course, admin; at most `s3video.rate_limit.posters` calls per grader (429)",
                errors=(400, 401, 403, 404, 413, 429, 503),
            ),
        }
    }
