"""Regenerate tests/vectors/s3v1_signing.json from the Python reference implementation.

Run only when the contract changes on purpose; the PHP and Python tests both read
the JSON file, so the two implementations are checked against the same figures.
"""

import json
import pathlib

from s3video_sidecar.sdk import signing

CASES = [
    (
        "GET",
        "/assignments/7/submissions/42",
        "",
        b"",
        "9a8B7c6D5e4F3g2H",
        {"user": 123, "roles": ["student"], "course": 9},
    ),
    (
        "POST",
        "/assignments/7/submissions/42/upload-url",
        "",
        b'{"filename":"my video.mp4","size":1048576,"mime_type":"video/mp4"}',
        "nonce_0123456789abcdef",
        {"user": 123, "roles": ["student"], "course": 9},
    ),
    (
        "GET",
        "/admin/videos",
        "status=ready&page=2&course=9&q=caf%C3%A9+au+lait&q=a%2Bb&empty=",
        b"",
        "Zz-_0123456789abcdefXYZ",
        {"user": 2, "roles": ["admin"], "course": 1},
    ),
    (
        "DELETE",
        "/assignments/7/submissions/42/multipart/2~abc.DEF_ghi-%2B%2F%3D",
        "",
        b"",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        {"user": 123, "roles": ["student", "grader"], "course": 9},
    ),
    (
        "POST",
        "/privacy/assignments/7/erase",
        "b=2&a=1&a=0",
        b'{"users":[123,456]}',
        "abcdefghijklmnop",
        {"user": 2, "roles": ["admin"], "course": 1},
    ),
    (
        "POST",
        "/assignments/7/submissions/43/upload-url",
        "",
        b'{"filename":"team.mp4","size":2048,"mime_type":"video/mp4"}',
        "team_nonce_0123456789",
        {"user": 124, "roles": ["student"], "course": 9, "group": 5},
    ),
    (
        "POST",
        "/assignments/7/posters",
        "",
        b'{"submission_ids":[42,43,44]}',
        "posters_nonce_0123456789",
        {"user": 5, "roles": ["grader"], "course": 9},
    ),
]


def main():
    vectors = []
    for index, (method, path, query, body, nonce, actor) in enumerate(CASES):
        key_id, secret = ("moodle-2026", "test-secret-0123456789abcdef")
        actor_header = signing.encode_actor(actor["user"], actor["roles"], actor["course"], actor.get("group"))
        date = str(1795000000 + index)
        text = signing.string_to_sign(method, path, query, date, nonce, actor_header, body)
        vectors.append(
            {
                "key_id": key_id,
                "secret": secret,
                "method": method,
                "path": path,
                "query_string": query,
                "body": body.decode("utf-8"),
                "date": date,
                "nonce": nonce,
                "actor": actor_header,
                "canonical_query": signing.canonical_query(query),
                "body_sha256": signing.body_digest(body),
                "string_to_sign": text,
                "signature": signing.signature(secret, text),
                "authorization": f"S3V1-HMAC-SHA256 KeyId={key_id}, Signature={signing.signature(secret, text)}",
            }
        )
    out = pathlib.Path(__file__).with_name("s3v1_signing.json")
    out.write_text(json.dumps({"algorithm": signing.ALGORITHM, "vectors": vectors}, indent=2) + "\n")


if __name__ == "__main__":
    main()
