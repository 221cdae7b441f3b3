"""Schemathesis against the sidecar's own ``/openapi.json``, every operation, every default check.

Each generated request is signed with S3V1 as Moodle would sign it: a ``requests`` auth
hook signs the prepared request — the exact path and body bytes that go on the wire —
with a fresh nonce. The hook signs only requests that carry schemathesis' own
``Authorization`` placeholder, so the ``ignored_auth`` check, which strips or replaces
that header, still sees the sidecar refuse unsigned and badly signed calls.

Requests go over HTTP to the suite's app on waitress (so the path is checked as sent).
Passing means: no 5xx, every status and body as documented, bad input refused, good
input accepted, for every operation. The number of cases run is printed at the end.
"""

from __future__ import annotations

import hypothesis
import pytest
import requests

# setup.cfg's [testing] extra lists it; until an environment has it, say so rather than fail to collect.
schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (the [testing] extra)")

from s3video_sidecar.openapi import openapi_document
from s3video_sidecar.sdk import signing
from tests.reliability.conftest import STATS
from tests.support.signed_app import KEY_ID, SECRET

PLACEHOLDER = "S3V1-sign-me"
STUDENT = signing.encode_actor(424242, ["student"], 4242)
ADMIN = signing.encode_actor(1, ["admin"], 4242)

schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.headers = {"Authorization": PLACEHOLDER}
# A schema-valid upload may still be over the *configured* size limit or of a type the
# admin did not allow: those are 413 and 415, documented on each operation, and no
# static schema can state them. Everything else about positive data stays as default.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses, "413", "415"]


class S3V1Auth(requests.auth.AuthBase):
    """Sign the prepared request (method, path as sent, query, body bytes) with a fresh nonce."""

    def __call__(self, prepared: requests.PreparedRequest):
        if prepared.headers.get("Authorization") != PLACEHOLDER:
            return prepared  # a probe without (or with a made-up) Authorization: leave it unsigned
        path, _, query = prepared.path_url.partition("?")
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        actor = ADMIN if prepared.method == "DELETE" and path.count("/") == 2 else STUDENT
        prepared.headers.update(signing.sign_headers(KEY_ID, SECRET, prepared.method, path, query, actor, body))
        return prepared


@pytest.fixture(scope="module")
def session():
    with requests.Session() as http:
        http.auth = S3V1Auth()
        yield http


@schema.parametrize()
@hypothesis.settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_meets_its_schema(case, reliable_live, session):
    operation = case.operation.label
    seen = STATS.setdefault("_operations", set())
    if operation not in seen:
        seen.add(operation)
        STATS["schemathesis_operations"] = len(seen)
    STATS["schemathesis_cases"] = STATS.get("schemathesis_cases", 0) + 1
    response = case.call(base_url=reliable_live.url, session=session)
    if response.status_code >= 500:
        STATS["schemathesis_server_errors"] = STATS.get("schemathesis_server_errors", 0) + 1
    case.validate_response(response, transport_kwargs={"base_url": reliable_live.url, "session": session})
