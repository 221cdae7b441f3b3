"""A webtest wrapper that signs each request with S3V1, as Moodle would."""

from __future__ import annotations

import json

from s3video_sidecar.sdk import signing
from s3video_sidecar.sdk.client import _path as api_path  # noqa: F401  (re-exported for tests)

KEY_ID = "test-key"
SECRET = "test-secret-0123456789abcdef"
OTHER_KEY_ID = "rotated-key"
OTHER_SECRET = "rotated-secret-0123456789abcdef"


def actor(user: int, *roles: str, course: int = 9) -> str:
    return signing.encode_actor(user, list(roles) or ["student"], course)


class SignedApp:
    def __init__(self, testapp, key_id: str = KEY_ID, secret: str = SECRET):
        self.testapp = testapp
        self.key_id = key_id
        self.secret = secret

    def request(self, method, path, *, as_actor, body=None, query="", status=None, headers=None, **signing_kw):
        data = json.dumps(body).encode() if body is not None else b""
        signed = signing.sign_headers(self.key_id, self.secret, method, path, query, as_actor, data, **signing_kw)
        signed.update(headers or {})
        url = path + (f"?{query}" if query else "")
        return self.testapp.request(
            url,
            method=method,
            body=data,
            headers=signed,
            status=status or "*",
            content_type="application/json" if body is not None else None,
            expect_errors=True,
        )

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)
