"""The event row: every stored field bounded."""

import json

from s3video_sidecar.models.event import Event, bounded_event
from s3video_sidecar.sdk.bounded import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS


def test_every_string_column_of_an_event_is_bounded():
    row = bounded_event(
        dict.fromkeys(
            ("s3_key", "event_type", "error_code", "user_role", "error_message", "error_context"), "z" * 100000
        )
        | {"user_id": 5}
    )
    assert row["user_id"] == 5
    for column in Event.__table__.c:
        value = row.get(column.key)
        if isinstance(value, str):
            limit = getattr(column.type, "length", None) or max(MAX_MESSAGE_CHARS, MAX_CONTEXT_CHARS)
            assert len(value) <= limit, column.key
    assert len(row["error_message"]) <= MAX_MESSAGE_CHARS
    json.loads(row["error_context"])
