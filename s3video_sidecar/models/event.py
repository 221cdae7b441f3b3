"""The event log (the seed's ``mdl_assignsubmission_s3v_log``): one row per action or job step.

Never holds secrets, signatures or signed URLs: ``error_context`` is JSON of plain facts.
Every field is bounded (:func:`bounded_event`, :func:`event_context`): what a client sends
(a 200 KB path, a long message) is cut with a marker, never stored whole.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..sdk.bounded import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS, truncated
from .meta import Base, Id


class Event(Base):
    __tablename__ = "video_events"
    __table_args__ = (
        Index("ix_video_events_event_type", "event_type"),
        Index("ix_video_events_timestamp", "timestamp"),
        # A video's history, and privacy erasure, look events up by video and by key.
        Index("ix_video_events_video_id", "video_id"),
        Index("ix_video_events_s3_key", "s3_key"),
        {"sqlite_autoincrement": True},  # ids are never reused (migration 0005)
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    assignment_id: Mapped[int | None] = mapped_column(BigInteger)
    submission_id: Mapped[int | None] = mapped_column(BigInteger)
    video_id: Mapped[int | None] = mapped_column(BigInteger)
    s3_key: Mapped[str | None] = mapped_column(String(500))
    event_type: Mapped[str] = mapped_column(String(50))
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_context: Mapped[str | None] = mapped_column(Text)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    duration: Mapped[int | None] = mapped_column(Integer)  # milliseconds the action took
    retry_count: Mapped[int | None] = mapped_column(Integer)
    user_role: Mapped[str | None] = mapped_column(String(50))
    timestamp: Mapped[int] = mapped_column(BigInteger)


def bounded_event(fields: dict[str, Any]) -> dict[str, Any]:
    """An event row's values with every string fitting its column (Text columns: ``sdk/bounded.py``'s limits)."""
    row = dict(fields)
    for column in Event.__table__.c:
        value = row.get(column.key)
        if not isinstance(value, str):
            continue
        if column.key == "error_context":
            if len(value) > MAX_CONTEXT_CHARS:
                row[column.key] = json.dumps({"cut": truncated(value, MAX_CONTEXT_CHARS // 2)})
        else:
            row[column.key] = truncated(value, getattr(column.type, "length", None) or MAX_MESSAGE_CHARS)
    return row
