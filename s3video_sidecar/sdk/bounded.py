"""Bounds on what the event log stores: a client's path, message or header never goes in whole.

Strings are cut with a marker saying how long they were; a context stays valid JSON. The
model (``models/event.py``) holds every column to these limits or its own length.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

MAX_MESSAGE_CHARS = 2000
MAX_CONTEXT_VALUE_CHARS = 500
MAX_CONTEXT_CHARS = 8000
MAX_CONTEXT_ITEMS = 50


def truncated(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its head and a marker (``limit`` in all)."""
    if len(text) <= limit:
        return text
    marker = f"…[{len(text)} characters, cut]"
    return text[: max(0, limit - len(marker))] + marker


def _bounded_value(value: object, depth: int = 0) -> object:
    if isinstance(value, str):
        return truncated(value, MAX_CONTEXT_VALUE_CHARS)
    if isinstance(value, (list, tuple)):
        cut = [_bounded_value(item, depth + 1) for item in value[:MAX_CONTEXT_ITEMS]]
        return cut + ([f"…[{len(value)} items, cut]"] if len(value) > MAX_CONTEXT_ITEMS else [])
    if isinstance(value, dict):
        if depth > 3:
            return truncated(json.dumps(value, sort_keys=True, default=str), MAX_CONTEXT_VALUE_CHARS)
        pairs = sorted(value.items(), key=lambda pair: str(pair[0]))[:MAX_CONTEXT_ITEMS]
        return {truncated(str(key), 100): _bounded_value(item, depth + 1) for key, item in pairs}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return truncated(str(value), MAX_CONTEXT_VALUE_CHARS)


def event_context(context: Mapping[str, object] | None) -> str | None:
    """The JSON stored as ``error_context``: every value bounded, the whole at most MAX_CONTEXT_CHARS."""
    if not context:
        return None
    text = json.dumps(_bounded_value(context), sort_keys=True, default=str)
    if len(text) > MAX_CONTEXT_CHARS:  # many long values: keep the head, as JSON still
        text = json.dumps({"cut": truncated(text, MAX_CONTEXT_CHARS // 2)})
    return text
