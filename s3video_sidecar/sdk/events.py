"""The event log's words: the event types this release writes, and an event as the API shows it.

Only services write events (``VideoService.log``); the admin API, the CLI and the privacy export read
them through :func:`describe_event`.
"""

from __future__ import annotations

import json
from typing import Any

# The event types this release writes (docs/operations.md's table); ``events --type`` also accepts
# any type already in the log, so a type a newer piece of code writes is never refused.
EVENT_TYPES = (
    "upload_requested",
    "upload_sent_to_multipart",
    "multipart_started",
    "multipart_resumed",
    "parts_signed",
    "parts_listed",
    "multipart_aborted",
    "upload_confirmed",
    "upload_rejected",
    "upload_abandoned",
    "playback_url_issued",
    "delete_requested",
    "video_restored",
    "video_deleted",
    "delete_failed",
    "object_deleted",
    "auth_rejected",
    "access_denied",
    "request_refused",
    "rate_limited",
    "admin_query",
    "privacy_exported",
    "privacy_erased",
    "job_cleanup",
    "job_reconcile",
    "job_retention",
    "job_failed",
    "playback_url_renewed",
    "video_made_current",
    "video_copied",
    "video_probed",
    "video_unplayable",
    "job_probe",
    "refusals_suppressed",
)
UPLOAD_EVENTS = ("upload_confirmed",)
VIEW_EVENTS = ("playback_url_issued",)


def describe_event(event: Any) -> dict[str, Any]:
    try:
        context = json.loads(event.error_context) if event.error_context else None
    except ValueError:
        context = event.error_context
    return {
        "id": event.id,
        "timestamp": event.timestamp,
        "event_type": event.event_type,
        "user_id": event.user_id,
        "user_role": event.user_role,
        "assignment_id": event.assignment_id,
        "submission_id": event.submission_id,
        "video_id": event.video_id,
        "s3_key": event.s3_key,
        "error_code": event.error_code,
        "error_message": event.error_message,
        "context": context,
        "file_size": event.file_size,
        "duration": event.duration,
        "retry_count": event.retry_count,
    }
