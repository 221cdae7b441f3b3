"""The one JSON loader (no repeated keys, no nesting too deep) and the event log's bounds."""

import json

import pytest

from s3video_sidecar.models.event import Event, bounded_event
from s3video_sidecar.sdk import strictjson
from s3video_sidecar.sdk.bounded import MAX_CONTEXT_CHARS, MAX_MESSAGE_CHARS, event_context, truncated


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', '{"x":{"roles":[],"roles":["admin"]}}', '[{"k":1,"k":1}]'])
def test_a_repeated_key_anywhere_is_refused(text):
    with pytest.raises(strictjson.DuplicateKey):
        strictjson.loads(text)


def test_nesting_too_deep_is_a_value_error_not_a_recursion_error():
    with pytest.raises(strictjson.TooDeep):
        strictjson.loads("[" * 50_000 + "]" * 50_000)
    with pytest.raises(ValueError):
        strictjson.loads('{"a":' * 50_000 + "1" + "}" * 50_000)


def test_ordinary_json_loads_as_json_does():
    text = '{"a":[1,{"b":null}],"c":"\\u00e9","d":1.5}'
    assert strictjson.loads(text) == json.loads(text)
    assert strictjson.loads(text.encode()) == json.loads(text)


def test_truncated_keeps_the_limit_and_says_how_long_the_text_was():
    assert truncated("short", 10) == "short"
    cut = truncated("x" * 1000, 100)
    assert len(cut) == 100 and cut.endswith("…[1000 characters, cut]")


def test_an_event_context_is_bounded_and_stays_json():
    context = {"path": "/a" * 100_000, "list": list(range(10_000)), "nested": {"k" * 500: "v" * 5000},
               **{f"field{n}": "y" * 400 for n in range(100)}}
    text = event_context(context)
    assert len(text) <= MAX_CONTEXT_CHARS
    json.loads(text)
    assert event_context({}) is None and event_context(None) is None


def test_every_string_column_of_an_event_is_bounded():
    columns = ("s3_key", "event_type", "error_code", "user_role", "error_message", "error_context")
    row = bounded_event(dict.fromkeys(columns, "z" * 100000) | {"user_id": 5})
    assert row["user_id"] == 5
    for column in Event.__table__.c:
        value = row.get(column.key)
        if isinstance(value, str):
            limit = getattr(column.type, "length", None) or max(MAX_MESSAGE_CHARS, MAX_CONTEXT_CHARS)
            assert len(value) <= limit, column.key
    assert len(row["error_message"]) <= MAX_MESSAGE_CHARS
    json.loads(row["error_context"])
