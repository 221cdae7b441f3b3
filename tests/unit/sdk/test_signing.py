import json
import pathlib

import pytest

from s3video_sidecar.sdk import signing

VECTORS = json.loads((pathlib.Path(__file__).parents[2] / "vectors" / "s3v1_signing.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['method']} {v['path'][:40]}")
def test_shared_vectors(vector):
    assert signing.canonical_query(vector["query_string"]) == vector["canonical_query"]
    assert signing.body_digest(vector["body"].encode()) == vector["body_sha256"]
    text = signing.string_to_sign(
        vector["method"],
        vector["path"],
        vector["query_string"],
        vector["date"],
        vector["nonce"],
        vector["actor"],
        vector["body"].encode(),
    )
    assert text == vector["string_to_sign"]
    assert signing.signature(vector["secret"], text) == vector["signature"]


def test_canonical_query_sorts_and_reencodes():
    assert signing.canonical_query("b=2&a=1&a=0") == "a=0&a=1&b=2"
    assert signing.canonical_query("q=caf%C3%A9+au+lait") == "q=caf%C3%A9%20au%20lait"
    assert signing.canonical_query("x=a~b.c_d-e&y=%7e") == "x=a~b.c_d-e&y=~"
    assert signing.canonical_query("flag") == "flag="
    assert signing.canonical_query("") == ""


def _request(vector, **changes):
    headers = {
        "Authorization": vector["authorization"],
        signing.HEADER_DATE: vector["date"],
        signing.HEADER_NONCE: vector["nonce"],
        signing.HEADER_ACTOR: vector["actor"],
    }
    headers.update(changes.pop("headers", {}))
    fields = dict(
        method=vector["method"],
        path=vector["path"],
        query_string=vector["query_string"],
        headers=headers,
        body=vector["body"].encode(),
    )
    fields.update(changes)
    return signing.SignedRequest(**fields)


def test_verify_accepts_a_vector_and_returns_the_actor():
    vector = VECTORS[1]
    key_id, actor, nonce, date = signing.verify(
        _request(vector), {vector["key_id"]: vector["secret"]}, now=int(vector["date"])
    )
    assert (key_id, actor.user, actor.roles, actor.course) == ("moodle-2026", 123, frozenset({"student"}), 9)
    assert nonce == vector["nonce"] and date == int(vector["date"])


@pytest.mark.parametrize(
    "change, code",
    [
        ({"method": "PUT"}, "bad_signature"),
        ({"path": "/assignments/7/submissions/43/upload-url"}, "bad_signature"),
        ({"query_string": "x=1"}, "bad_signature"),
        ({"body": b'{"filename":"other.mp4"}'}, "bad_signature"),
        ({"headers": {signing.HEADER_NONCE: "another-nonce-12345"}}, "bad_signature"),
        ({"headers": {signing.HEADER_ACTOR: '{"user":124,"roles":["student"],"course":9}'}}, "bad_signature"),
        ({"headers": {"Authorization": "S3V1-HMAC-SHA256 KeyId=other, Signature=" + "0" * 64}}, "unknown_key"),
        ({"headers": {"Authorization": "Bearer abc"}}, "bad_signature"),
        ({"headers": {signing.HEADER_NONCE: "short"}}, "bad_signature"),
    ],
)
def test_verify_refuses_any_change(change, code):
    vector = VECTORS[1]
    with pytest.raises(signing.SignatureError) as refused:
        signing.verify(_request(vector, **change), {vector["key_id"]: vector["secret"]}, now=int(vector["date"]))
    assert refused.value.code == code


@pytest.mark.parametrize("skew", [-301, 301, -10_000])
def test_verify_refuses_dates_beyond_300_seconds_either_way(skew):
    vector = VECTORS[0]
    with pytest.raises(signing.SignatureError) as refused:
        signing.verify(_request(vector), {vector["key_id"]: vector["secret"]}, now=int(vector["date"]) - skew)
    assert refused.value.code == "stale_date"


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_verify_accepts_dates_within_300_seconds(skew):
    vector = VECTORS[0]
    signing.verify(_request(vector), {vector["key_id"]: vector["secret"]}, now=int(vector["date"]) + skew)


@pytest.mark.parametrize(
    "actor",
    [
        '{"user":0,"roles":["student"],"course":9}',
        '{"user":1,"roles":["root"],"course":9}',
        "not json",
        "[1,2]",
        '{"user":"1","roles":["student"],"course":9}',
        '{"user":1,"roles":["student"],"course":9,"group":-1}',
        '{"user":1,"roles":["student"],"course":9,"group":"7"}',
        '{"user":1,"roles":["student"],"course":9,"group":true}',
        '{"user":1,"roles":["student"],"course":9,"group":null}',
    ],
)
def test_a_signed_but_malformed_actor_is_bad_actor(actor):
    headers = signing.sign_headers("k", "s" * 16, "GET", "/x", "", actor, b"", date=1000, nonce="n" * 16)
    request = signing.SignedRequest("GET", "/x", "", headers, b"")
    with pytest.raises(signing.SignatureError) as refused:
        signing.verify(request, {"k": "s" * 16}, now=1000)
    assert refused.value.code == "bad_actor"


@pytest.mark.parametrize("group", [None, 0, 7])
def test_the_actor_may_name_a_team_submissions_group(group):
    header = signing.encode_actor(5, ["student"], 9, group)
    assert ("group" in header) == (group is not None)  # absent unless given: older headers stay byte-identical
    actor = signing.parse_actor(header)
    assert (actor.user, actor.course, actor.group) == (5, 9, group)


def test_only_short_actor_headers_are_kept_and_a_long_one_is_parsed_alike():
    # Actor headers are parsed before the signature is checked: whoever reaches the sidecar may send
    # thousands of different ones, so only short headers are kept, and only a bounded number of them.
    signing._parse_actor_kept.cache_clear()
    short = signing.encode_actor(5, ["student"], 9)
    padded = short[:-1] + ',"note":"' + "x" * signing.ACTOR_CACHE_MAX_CHARS + '"}'
    assert signing.parse_actor(padded) == signing.parse_actor(short)
    assert signing._parse_actor_kept.cache_info().currsize == 1  # the short one only
    for user in range(1, signing.ACTOR_CACHE_ENTRIES + 50):
        signing.parse_actor(signing.encode_actor(user, ["student"], 9))
    assert signing._parse_actor_kept.cache_info().currsize == signing.ACTOR_CACHE_ENTRIES
    with pytest.raises(signing.SignatureError):
        signing.parse_actor('{"user":1,"user":2,"roles":[],"course":1}')  # refused every time, never kept
    with pytest.raises(signing.SignatureError):
        signing.parse_actor('{"user":1,"user":2,"roles":[],"course":1}')


def test_rotation_accepts_either_key():
    keys = signing.parse_keys("old:old-secret-0123456789 new:new-secret-0123456789")
    for key_id in keys:
        headers = signing.sign_headers(
            key_id, keys[key_id], "GET", "/x", "", signing.encode_actor(1, ["admin"], 1), date=1000
        )
        assert signing.verify(signing.SignedRequest("GET", "/x", "", headers, b""), keys, now=1000)[0] == key_id


@pytest.mark.parametrize("text", ["", "noseparator", "id:short", "a:0123456789abcdef a:0123456789abcdef"])
def test_parse_keys_refuses_bad_settings(text):
    with pytest.raises(ValueError):
        signing.parse_keys(text)
