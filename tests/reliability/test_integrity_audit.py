"""The integrity audit (``audit.py``): every ready video's object holds the SHA-256 its receipt records.

The audit runs after every reliability test; these tests show it can fail: a ready video whose
bytes were swapped behind the sidecar's back, and a staging object left behind, are reported.
"""

from __future__ import annotations

from s3video_sidecar.sdk import keys
from s3video_sidecar.services import parts_of
from tests.reliability import flows
from tests.support.videos import mp4_bytes, sha256_b64


def test_the_audit_reports_a_ready_video_whose_bytes_changed(rapi, ids, audit, reliable_app):
    upload = flows.confirmed(rapi, ids)
    assert audit() == []
    storage = parts_of(reliable_app.registry).storage
    swapped = mp4_bytes(len(flows.MP4), b"swapped")  # same size, same type: only the checksum tells
    storage.client.put_object(
        Bucket=storage.bucket, Key=upload["s3_key"], Body=swapped, ContentType="video/mp4", ChecksumAlgorithm="SHA256"
    )
    try:
        problems = audit()
        assert len(problems) == 1 and "not the confirmed ones" in problems[0], problems
    finally:  # the suite's bucket is shared: put the confirmed bytes back
        storage.client.put_object(
            Bucket=storage.bucket,
            Key=upload["s3_key"],
            Body=flows.MP4,
            ContentType="video/mp4",
            ChecksumAlgorithm="SHA256",
        )
    assert audit() == []


def test_the_audit_checks_a_multipart_uploads_composite_receipt(rapi, ids, audit):
    data = mp4_bytes(6 * 1024**2, b"m")
    started = flows.start_multipart(rapi, ids, len(data))
    parts = flows.put_parts(rapi, ids, started, data)
    done = rapi.post(
        flows.sub_path(ids, f"/multipart/{started['upload_id']}/complete"),
        {"parts": parts},
        as_actor=flows.student(ids),
    )
    assert done.status_int == 200 and done.json["checksum_type"] == "composite", done.text
    assert done.json["checksum_sha256"].endswith(f"-{started['part_count']}")
    assert audit() == []


def test_the_audit_reports_a_staging_object_left_behind(rapi, ids, audit, reliable_app):
    upload = flows.confirmed(rapi, ids)
    assert audit() == []
    flows.post_to_s3(upload)  # a re-POST of the confirmed upload's fields: it lands at the staging key
    staging = keys.staging_key(upload["s3_key"])
    assert audit(grace_seconds=3600) == []  # young: the reconciler takes it after the upload window
    assert audit() == [
        f"staging object {staging} is left behind (video "
        f"{flows.video_row(reliable_app.registry, upload['s3_key']).id}, ready)"
    ]
    parts_of(reliable_app.registry).storage.delete_many([staging])
    assert audit() == []
    assert parts_of(reliable_app.registry).storage.head(upload["s3_key"]).checksum_sha256 == sha256_b64(flows.MP4)
