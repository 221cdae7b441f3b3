"""Schemathesis against the sidecar's own ``/openapi.json``, every operation, every default check.

Each generated request is signed with S3V1 as Moodle would sign it: a ``requests`` auth
hook signs the prepared request — the exact path and body bytes that go on the wire —
with a fresh nonce. The hook signs only requests that carry schemathesis' own
``Authorization`` placeholder, so the ``ignored_auth`` check, which strips or replaces
that header, still sees the sidecar refuse unsigned and badly signed calls.

Random ids name nothing, so most cases would stop at 404/403. Every other case whose path
was generated valid is pointed (in a ``before_call`` hook, so schemathesis revalidates it)
at real resources: the fuzzing student's submission with a confirmed video, an open
multipart upload, a user with data. Bodies, queries and everything else stay generated.

Requests go over HTTP to the suite's app on waitress (so the path is checked as sent).
Passing means: no 5xx, every status and body as documented, bad input refused, good
input accepted, for every operation. The number of cases run, and how they were answered,
is printed at the end.
"""

from __future__ import annotations

import hypothesis
import pytest
import requests

from s3video_sidecar.openapi import openapi_document
from s3video_sidecar.sdk import signing
from tests.conftest import make_settings
from tests.reliability import flows
from tests.reliability.conftest import STATS
from tests.support.signed_app import KEY_ID, SECRET

# setup.cfg's [testing] extra lists it; until an environment has it, say so rather than fail to collect.
schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (the [testing] extra)")

PLACEHOLDER = "S3V1-sign-me"
COURSE, STUDENT_ID = 4242, 424242
STUDENT = signing.encode_actor(STUDENT_ID, ["student"], COURSE)
ADMIN = signing.encode_actor(1, ["admin"], COURSE)
REAL = {}  # path parameter -> a value that names something (filled by the `real_resources` fixture)
_steered = [0]

# The document as the suite's sidecar serves it: sizes bounded by its configured maximum.
MAX_UPLOAD_BYTES = int(make_settings("", "", "")["s3video.max_upload_bytes"])
schema = schemathesis.openapi.from_dict(openapi_document(MAX_UPLOAD_BYTES))
schema.config.headers = {"Authorization": PLACEHOLDER}
# A schema-valid upload may still be of a type the admin did not allow (415), or too large
# for the multipart rules of its call (413): both documented on each operation. Everything
# else about positive data stays as default.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "413",
    "415",
]
# A size over the configured maximum is outside the schema now, and the sidecar refuses it with
# its documented 413 (with max_size), which schemathesis' default refusals do not list.
schema.config.checks.negative_data_rejection.expected_statuses = [
    *schema.config.checks.negative_data_rejection.expected_statuses,
    "413",
]


@schemathesis.hook
def before_call(context, case, kwargs):
    """Point every other case with a generated-valid path at real resources."""
    from schemathesis.core.parameters import ParameterLocation

    if not REAL or not case.path_parameters or (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        return
    _steered[0] += 1
    if _steered[0] % 2:
        return
    for name in case.path_parameters:
        if name in REAL:
            case.path_parameters[name] = REAL[name]


@pytest.fixture(scope="module")
def real_resources(reliable_app):
    """A confirmed video and an open multipart upload of the fuzzing student, in one assignment."""
    import webtest

    from tests.support.signed_app import SignedApp

    class Ids:
        assignment, submission, course, student = 4_240_001, 4_240_002, COURSE, STUDENT_ID

    api = SignedApp(webtest.TestApp(reliable_app))
    flows.confirmed(api, Ids)
    started = flows.start_multipart(api, Ids, 6 * 1024**2)
    REAL.update(assignment=Ids.assignment, submission=Ids.submission, upload_id=started["upload_id"], user=STUDENT_ID)
    yield REAL
    REAL.clear()


class S3V1Auth(requests.auth.AuthBase):
    """Sign the prepared request (method, path as sent, query, body bytes) with a fresh nonce."""

    def __call__(self, prepared: requests.PreparedRequest):
        if prepared.headers.get("Authorization") != PLACEHOLDER:
            return prepared  # a probe without (or with a made-up) Authorization: leave it unsigned
        path, _, query = prepared.path_url.partition("?")
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        admin_call = (
            path.startswith(("/admin", "/privacy"))
            or path.endswith(("/copy-from", "/posters"))
            or (prepared.method == "DELETE" and path.count("/") == 2)
        )
        actor = ADMIN if admin_call else STUDENT
        prepared.headers.update(signing.sign_headers(KEY_ID, SECRET, prepared.method, path, query, actor, body))
        return prepared


@pytest.fixture(scope="module")
def session():
    with requests.Session() as http:
        http.auth = S3V1Auth()
        yield http


def call_and_check(case, live, session):
    """Send the case (signed) and hold the answer to the schema and every default check."""
    seen = STATS.setdefault("_operations", set())
    if case.operation.label not in seen:
        seen.add(case.operation.label)
        STATS["schemathesis_operations"] = len(seen)
    STATS["schemathesis_cases"] = STATS.get("schemathesis_cases", 0) + 1
    response = case.call(base_url=live.url, session=session)
    if response.status_code >= 500:
        STATS["schemathesis_server_errors"] = STATS.get("schemathesis_server_errors", 0) + 1
    answered = f"schemathesis_{response.status_code // 100}xx"
    STATS[answered] = STATS.get(answered, 0) + 1
    assert response.status_code < 500, response.text
    case.validate_response(response, transport_kwargs={"base_url": live.url, "session": session})


@schema.parametrize()
@hypothesis.settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_every_operation_meets_its_schema(case, reliable_live, session, real_resources):
    call_and_check(case, reliable_live, session)
