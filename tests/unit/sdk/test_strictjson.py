"""The one JSON loader: no repeated keys, no nesting too deep."""

import json

import pytest

from s3video_sidecar.sdk import strictjson


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
