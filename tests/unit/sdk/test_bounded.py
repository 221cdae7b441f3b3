"""The event log's bounds: truncated text, a bounded JSON context."""

import json

from s3video_sidecar.sdk.bounded import MAX_CONTEXT_CHARS, event_context, truncated


def test_truncated_keeps_the_limit_and_says_how_long_the_text_was():
    assert truncated("short", 10) == "short"
    cut = truncated("x" * 1000, 100)
    assert len(cut) == 100 and cut.endswith("…[1000 characters, cut]")


def test_an_event_context_is_bounded_and_stays_json():
    context = {
        "path": "/a" * 100_000,
        "list": list(range(10_000)),
        "nested": {"k" * 500: "v" * 5000},
        **{f"field{n}": "y" * 400 for n in range(100)},
    }
    text = event_context(context)
    assert len(text) <= MAX_CONTEXT_CHARS
    json.loads(text)
    assert event_context({}) is None and event_context(None) is None
