"""S3 faults, injected with botocore's own event hooks into a fresh client for each test.

A ``before-send`` hook answers in S3's place (throttling ``503 SlowDown``, ``500
InternalError``, a refused connection), so botocore's standard retry mode sees the fault
exactly as it would from S3 and retries it (its back-off sleeps are recorded, not slept).
After each fault: the right status with a clear message, nothing changed that should not
have, the same call succeeding once the fault is gone, and the consistency audit clean.
"""

from __future__ import annotations

import types

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.sdk import keys
from s3video_sidecar.sdk.maintenance import Maintenance
from s3video_sidecar.sdk.service import VideoService
from s3video_sidecar.services import build_storage, parts_of
from tests.reliability import flows
from tests.support.videos import mp4_bytes

ERROR_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
    "<Message>{message}</Message><RequestId>FAULT</RequestId></Error>"
)
ATTEMPTS = 5  # storage.make_s3_client: standard mode, max_attempts=4 retries after the first try


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_kwargs):
        yield self.data


class Faults:
    """Faults for one S3 client; ``calls[operation]`` counts the attempts that reached the hook."""

    def __init__(self, client):
        self.client = client
        self.calls: dict[str, int] = {}
        self.sleeps: list[float] = []
        self._handlers = []

    def _register(self, event, handler):
        self.client.meta.events.register(event, handler, unique_id=f"fault-{event}")
        self._handlers.append(event)

    def fail(self, operation, status=503, code="SlowDown", message="Please reduce your request rate.", times=None):
        """Answer ``operation`` with an S3 error (the first ``times`` attempts, or all)."""

        def handler(request, **_kwargs):
            self.calls[operation] = self.calls.get(operation, 0) + 1
            if times is not None and self.calls[operation] > times:
                return None
            body = b"" if request.method == "HEAD" else ERROR_XML.format(code=code, message=message).encode()
            return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Body(body))

        self._register(f"before-send.s3.{operation}", handler)

    def unreachable(self, operation, times=None):
        def handler(request, **_kwargs):
            self.calls[operation] = self.calls.get(operation, 0) + 1
            if times is None or self.calls[operation] <= times:
                raise EndpointConnectionError(endpoint_url=request.url)

        self._register(f"before-send.s3.{operation}", handler)

    def clear(self):
        for event in self._handlers:
            self.client.meta.events.unregister(event, unique_id=f"fault-{event}")
        self._handlers = []


@pytest.fixture
def faults(reliable_app, monkeypatch):
    parts = parts_of(reliable_app.registry)
    client = build_storage(parts.settings).client  # its own client: own hooks, own retry quota
    monkeypatch.setattr(parts.storage, "client", client)  # the one storage every service of the app uses
    injected = Faults(client)
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=injected.sleeps.append))
    yield injected
    injected.clear()


def purge(registry):
    session = parts_of(registry).session_factory()
    try:
        service = VideoService(
            SqlMaintenanceRepository(session),
            parts_of(registry).storage,
            parts_of(registry).url_signer,
            parts_of(registry).settings,
        )
        report = Maintenance(service).cleanup()  # what the cleanup job runs
        session.commit()
        return report
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def assert_unavailable(response, operation):
    assert response.status_int == 503, response.text
    assert response.json["error"].startswith(f"storage refused {operation}") or response.json["error"].startswith(
        f"storage cannot be reached for {operation}"
    ), response.json
    assert "try again later" in response.json["error"]


@pytest.mark.parametrize("status, code", [(503, "SlowDown"), (500, "InternalError")])
def test_confirm_when_head_object_keeps_failing(rapi, ids, faults, audit, reliable_app, status, code):
    upload = flows.uploaded(rapi, ids)
    faults.fail("HeadObject", status=status, code=code)
    response = flows.confirm(rapi, ids, upload["s3_key"])
    assert_unavailable(response, "head_object")
    assert faults.calls["HeadObject"] == ATTEMPTS and len(faults.sleeps) == ATTEMPTS - 1  # retried, then gave up
    assert flows.video_row(reliable_app.registry, upload["s3_key"]).upload_status == "pending"  # nothing decided
    faults.clear()
    again = flows.confirm(rapi, ids, upload["s3_key"])
    assert again.status_int == 200 and again.json["status"] == "ready"
    assert audit() == []


def test_confirm_rides_out_throttling_that_stops(rapi, ids, faults, audit):
    upload = flows.uploaded(rapi, ids)
    faults.fail("HeadObject", times=ATTEMPTS - 1)
    response = flows.confirm(rapi, ids, upload["s3_key"])
    assert response.status_int == 200, response.text  # botocore's retries absorbed it
    assert faults.calls["HeadObject"] == ATTEMPTS + 1  # the staging object's (retried), then the copy's
    assert audit() == []


def test_confirm_when_storage_cannot_be_reached(rapi, ids, faults, audit, reliable_app):
    upload = flows.uploaded(rapi, ids)
    faults.unreachable("HeadObject")
    response = flows.confirm(rapi, ids, upload["s3_key"])
    assert_unavailable(response, "head_object")
    assert flows.video_row(reliable_app.registry, upload["s3_key"]).upload_status == "pending"
    faults.clear()
    assert flows.confirm(rapi, ids, upload["s3_key"]).status_int == 200
    assert audit() == []


@pytest.mark.parametrize("operation", ["CopyObject", "DeleteObjects"])
def test_confirm_when_the_copy_or_the_staging_delete_fails(rapi, ids, faults, audit, reliable_app, operation):
    """The copy failing leaves the upload pending and its staging object in place; the staging delete
    failing (after the copy) does not undo the confirmation: the reconciler removes the object later."""
    upload = flows.uploaded(rapi, ids)
    storage = parts_of(reliable_app.registry).storage
    staging = keys.staging_key(upload["s3_key"])
    faults.fail(operation)
    response = flows.confirm(rapi, ids, upload["s3_key"])
    row = flows.video_row(reliable_app.registry, upload["s3_key"])
    if operation == "CopyObject":
        assert_unavailable(response, "copy_object")
        assert row.upload_status == "pending" and storage.head(staging) is not None
        assert storage.head(upload["s3_key"]) is None
        faults.clear()
        response = flows.confirm(rapi, ids, upload["s3_key"])
        assert response.status_int == 200 and storage.head(staging) is None
    else:
        assert response.status_int == 200, response.text
        assert row.upload_status == "ready" and storage.head(staging) is not None
        faults.clear()
        storage.delete_many([staging])  # what the reconciler does once the upload window is over
    assert response.json["checksum_sha256"] == storage.head(upload["s3_key"]).checksum_sha256
    assert audit() == []


def test_health_reports_storage_down(rapi, faults):
    faults.fail("HeadBucket")
    response = rapi.testapp.get("/health", expect_errors=True)
    assert response.status_int == 503
    assert response.json["storage"] == "unavailable" and response.json["database"] == "ok"


def test_purge_when_delete_objects_fails_keeps_rows_and_objects(rapi, ids, faults, audit, reliable_app):
    registry = reliable_app.registry
    upload = flows.confirmed(rapi, ids)
    assert rapi.delete(flows.sub_path(ids), as_actor=flows.student(ids)).status_int == 202
    faults.fail("DeleteObjects", status=500, code="InternalError", message="We encountered an internal error.")
    report = purge(registry)
    assert report.errors and report.counts["left_deleting"] >= 1  # other tests may have left due rows too
    assert flows.video_row(registry, upload["s3_key"]).upload_status == "deleting"  # the durable marker stays
    assert parts_of(registry).storage.head(upload["s3_key"]) is not None
    assert audit() == []
    faults.clear()
    purge(registry)
    assert flows.video_row(registry, upload["s3_key"]).upload_status == "deleted"
    assert parts_of(registry).storage.head(upload["s3_key"]) is None
    assert audit() == []


def test_purge_when_s3_refuses_some_keys(rapi, ids, faults, audit, reliable_app):
    """DeleteObjects answers 200 with per-key errors: those rows stay ``deleting`` for the next run."""
    registry = reliable_app.registry
    upload = flows.confirmed(rapi, ids)
    assert rapi.delete(flows.sub_path(ids), as_actor=flows.student(ids)).status_int == 202
    refused = upload["s3_key"]

    def withhold(params, **_kwargs):  # S3 keeps this key ...
        params["Delete"]["Objects"] = [o for o in params["Delete"]["Objects"] if o["Key"] != refused]
        if not params["Delete"]["Objects"]:
            params["Delete"]["Objects"] = [{"Key": "videos/0/never-existed"}]

    def report(parsed, **_kwargs):  # ... and says so
        parsed.setdefault("Errors", []).append({"Key": refused, "Code": "InternalError", "Message": "retry"})

    storage_events = parts_of(registry).storage.client.meta.events
    storage_events.register("before-parameter-build.s3.DeleteObjects", withhold, unique_id="withhold")
    storage_events.register("after-call.s3.DeleteObjects", report, unique_id="report")
    try:
        result = purge(registry)
    finally:
        storage_events.unregister("before-parameter-build.s3.DeleteObjects", unique_id="withhold")
        storage_events.unregister("after-call.s3.DeleteObjects", unique_id="report")
    assert result.counts["delete_failed"] >= 1
    assert flows.video_row(registry, refused).upload_status == "deleting"
    assert parts_of(registry).storage.head(refused) is not None
    assert audit() == []
    purge(registry)
    assert flows.video_row(registry, refused).upload_status == "deleted"
    assert audit() == []


def test_multipart_start_when_create_fails_leaves_nothing(rapi, ids, faults, audit, reliable_app):
    faults.fail("CreateMultipartUpload")
    response = rapi.post(
        flows.sub_path(ids, "/multipart"),
        {"filename": "big.mp4", "size": 6 * 1024**2, "mime_type": "video/mp4"},
        as_actor=flows.student(ids),
    )
    assert_unavailable(response, "create_multipart_upload")
    assert rapi.get(flows.sub_path(ids), as_actor=flows.student(ids)).status_int == 404  # no submission row either
    assert audit() == []


@pytest.mark.parametrize("operation", ["ListParts", "CompleteMultipartUpload"])
def test_multipart_complete_when_storage_fails(rapi, ids, faults, audit, reliable_app, operation):
    data = mp4_bytes(6 * 1024**2, b"m")
    started = flows.start_multipart(rapi, ids, len(data))
    parts = flows.put_parts(rapi, ids, started, data)
    complete = flows.sub_path(ids, f"/multipart/{started['upload_id']}/complete")
    faults.fail(operation)
    response = rapi.post(complete, {"parts": parts}, as_actor=flows.student(ids))
    assert response.status_int == 503, response.text
    assert flows.video_row(reliable_app.registry, started["s3_key"]).upload_status == "uploading"
    faults.clear()
    again = rapi.post(complete, {"parts": parts}, as_actor=flows.student(ids))
    assert again.status_int == 200 and again.json["file_size"] == len(data), again.text
    assert audit() == []


def test_multipart_complete_whose_answer_was_lost(rapi, ids, faults, audit, reliable_app):
    """S3 completed the upload but the answer never came back: the client's retry must still confirm it."""
    data = mp4_bytes(6 * 1024**2, b"n")
    started = flows.start_multipart(rapi, ids, len(data))
    parts = flows.put_parts(rapi, ids, started, data)
    complete = flows.sub_path(ids, f"/multipart/{started['upload_id']}/complete")

    def lose_answer(**_kwargs):
        raise ConnectionClosedError(endpoint_url="http://s3.invalid")

    events = parts_of(reliable_app.registry).storage.client.meta.events
    events.register("after-call.s3.CompleteMultipartUpload", lose_answer, unique_id="lose")
    try:
        response = rapi.post(complete, {"parts": parts}, as_actor=flows.student(ids))
    finally:
        events.unregister("after-call.s3.CompleteMultipartUpload", unique_id="lose")
    assert response.status_int == 503, response.text
    again = rapi.post(complete, {"parts": parts}, as_actor=flows.student(ids))
    assert again.status_int == 200 and again.json["file_size"] == len(data), again.text
    assert audit() == []


def test_playback_through_the_edge_when_get_object_fails(rapi, ids, faults, reliable_app):
    flows.confirmed(rapi, ids)
    signed = rapi.get(flows.sub_path(ids, "/playback-url"), as_actor=flows.student(ids)).json["url"]
    edge_path = "/edge/" + signed.split("/edge/", 1)[1]
    faults.fail("GetObject")
    response = rapi.testapp.get(edge_path, expect_errors=True)
    assert_unavailable(response, "get_object")
    faults.clear()
    assert rapi.testapp.get(edge_path).status_int == 200
