"""The AWS set-up definitions: the IAM policy covers exactly what the code calls; the rules are what the doctor
expects."""

from __future__ import annotations

import json
import pathlib
import re

import boto3
import pytest

from s3video_sidecar.sdk import aws_setup

PACKAGE = pathlib.Path(aws_setup.__file__).resolve().parents[1]
# How the sidecar calls S3: storage._call("op", ...), client.op(...), presigned URLs and paginators.
CALL_PATTERNS = (
    re.compile(r"_call\(\s*\"([a-z0-9_]+)\""),
    re.compile(r"self\.client\.([a-z0-9_]+)\("),
    re.compile(r"generate_presigned_url\(\s*\"([a-z0-9_]+)\""),
    re.compile(r"get_paginator\(\s*\"([a-z0-9_]+)\""),
)
CLIENT_HELPERS = {"generate_presigned_url", "get_paginator"}  # not operations themselves
# Modules that talk to S3 only in development (the embedded stand-in creates its own bucket).
DEVELOPMENT_ONLY = {"sdk/embedded_s3.py", "sdk/aws_setup.py", "scripts/doctor.py"}


def operations_called_by_the_sidecar() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if str(path.relative_to(PACKAGE)) in DEVELOPMENT_ONLY:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in CALL_PATTERNS:
            found.update(pattern.findall(text))
    return found - CLIENT_HELPERS


def test_every_s3_operation_the_sidecar_calls_has_its_iam_action():
    called = operations_called_by_the_sidecar()
    assert {"head_object", "delete_objects", "list_parts", "generate_presigned_post"} <= called  # the scan works
    assert called - set(aws_setup.OPERATION_ACTIONS) == set()


def test_the_policy_grants_no_action_the_code_does_not_call():
    called = operations_called_by_the_sidecar()
    needed = {aws_setup.OPERATION_ACTIONS[op] for op in called}
    distribution = "arn:aws:cloudfront::123456789012:distribution/E1"
    granted = {a for s in aws_setup.sidecar_policy("b-videos", distribution)["Statement"] for a in s["Action"]}
    assert granted == needed == set(aws_setup.sidecar_actions(invalidation=True))


def test_create_invalidation_only_when_the_sidecar_invalidates():
    assert "cloudfront:CreateInvalidation" not in aws_setup.sidecar_actions()
    statements = aws_setup.sidecar_policy("b-videos")["Statement"]
    assert all(not a.startswith("cloudfront:") for s in statements for a in s["Action"])
    invalidating = aws_setup.sidecar_policy("b-videos", "arn:aws:cloudfront::1:distribution/E1")["Statement"][-1]
    assert invalidating["Resource"] == "arn:aws:cloudfront::1:distribution/E1"


def test_policy_scopes_objects_to_the_video_poster_and_staging_prefixes():
    object_statement, bucket_statement = aws_setup.sidecar_policy("b-videos")["Statement"]
    assert object_statement["Resource"] == [
        "arn:aws:s3:::b-videos/videos/*",
        "arn:aws:s3:::b-videos/posters/*",
        "arn:aws:s3:::b-videos/uploads/*",
    ]
    assert {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"} <= set(object_statement["Action"])
    assert bucket_statement["Resource"] == "arn:aws:s3:::b-videos"
    assert set(bucket_statement["Action"]) == {"s3:ListBucket", "s3:ListBucketMultipartUploads"}


def test_cors_rule_needs_an_origin_and_exposes_etag():
    with pytest.raises(ValueError, match="origin"):
        aws_setup.cors_configuration([])
    rule = aws_setup.cors_configuration(["https://moodle.example.edu"])["CORSRules"][0]
    assert rule["AllowedMethods"] == ["GET", "POST", "PUT"] and rule["ExposeHeaders"] == ["ETag"]


def test_cloudfront_reads_only_videos_and_posters_and_staging_uploads_expire_after_a_day():
    policy = aws_setup.bucket_policy("b-videos", "arn:aws:cloudfront::1:distribution/E1")
    assert [s["Resource"] for s in policy["Statement"]] == [
        ["arn:aws:s3:::b-videos/videos/*", "arn:aws:s3:::b-videos/posters/*"]
    ]
    abort, staging = aws_setup.lifecycle_configuration(8)["Rules"]
    assert abort["Filter"] == {"Prefix": "videos/"} and "Expiration" not in abort
    assert staging["Filter"] == {"Prefix": "uploads/"} and staging["Expiration"] == {"Days": 1}


@pytest.mark.parametrize(("abort_after_seconds", "days"), [(7 * 86400, 8), (2 * 86400 + 1, 4)])
def test_multipart_uploads_are_aborted_a_day_after_the_sidecars_own_job(abort_after_seconds, days):
    assert aws_setup.abort_incomplete_upload_days(abort_after_seconds) == days


@pytest.fixture
def simulated():
    mock = aws_setup.simulated_aws()
    yield boto3.session.Session(region_name="eu-west-1")
    mock.stop()


def setup_once(session, tmp_path, **extra):
    return aws_setup.set_up(
        session,
        bucket="school-videos",
        region="eu-west-1",
        moodle_origins=["https://moodle.example.edu"],
        private_key_file=str(tmp_path / "key.pem"),
        **extra,
    )


def test_set_up_builds_what_the_settings_name(simulated, tmp_path):
    result = setup_once(simulated, tmp_path)
    config = simulated.client("cloudfront").get_distribution_config(Id=result.distribution.id)["DistributionConfig"]
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600
    behavior = config["DefaultCacheBehavior"]
    assert behavior["TrustedKeyGroups"]["Items"] == [result.signing_key.key_group_id]
    assert config["Origins"]["Items"][0]["OriginAccessControlId"]  # kept by simulated_aws's moto wrapper
    snippet = result.production_settings()
    assert f"s3video.cloudfront.key_id = {result.signing_key.public_key_id}\n" in snippet
    assert f"s3video.cloudfront.domain = {result.distribution.domain_name}\n" in snippet
    assert "s3video.cdn = cloudfront\n" in snippet


def counts(session):
    cloudfront, iam = session.client("cloudfront"), session.client("iam")
    return {
        "distributions": len(cloudfront.list_distributions()["DistributionList"].get("Items") or []),
        "public_keys": len(cloudfront.list_public_keys()["PublicKeyList"].get("Items") or []),
        "key_groups": len(cloudfront.list_key_groups()["KeyGroupList"].get("Items") or []),
        "access_controls": len(cloudfront.list_origin_access_controls()["OriginAccessControlList"].get("Items") or []),
        "policies": len(iam.list_policies(Scope="Local")["Policies"]),
    }


def test_a_second_run_reuses_everything_the_first_made(simulated, tmp_path):
    first = setup_once(simulated, tmp_path)
    key_pem = (tmp_path / "key.pem").read_text()
    second = setup_once(simulated, tmp_path)
    assert second == first and (tmp_path / "key.pem").read_text() == key_pem
    assert counts(simulated) == {
        "distributions": 1,
        "public_keys": 1,
        "key_groups": 1,
        "access_controls": 1,
        "policies": 1,
    }


def test_a_half_failed_run_resumes(simulated, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the network went away")

    with monkeypatch.context() as patched:
        patched.setattr(aws_setup, "allow_distribution_to_read", fail)
        with pytest.raises(RuntimeError):
            setup_once(simulated, tmp_path)
    result = setup_once(simulated, tmp_path)
    assert counts(simulated)["distributions"] == 1 and counts(simulated)["public_keys"] == 1
    policy = simulated.client("s3").get_bucket_policy(Bucket="school-videos")["Policy"]
    assert result.distribution.arn in policy


def test_a_rerun_with_invalidation_updates_the_policy(simulated, tmp_path):
    setup_once(simulated, tmp_path)
    result = setup_once(simulated, tmp_path, invalidation=True)
    iam = simulated.client("iam")
    policy = iam.get_policy(PolicyArn=result.policy_arn)["Policy"]
    document = iam.get_policy_version(PolicyArn=result.policy_arn, VersionId=policy["DefaultVersionId"])
    assert "cloudfront:CreateInvalidation" in json.dumps(
        document["PolicyVersion"]["Document"]
    ) or "cloudfront%3ACreateInvalidation" in str(document["PolicyVersion"]["Document"])


def test_another_private_key_under_the_same_name_is_refused(simulated, tmp_path):
    setup_once(simulated, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ValueError, match="another private key"):
        setup_once(simulated, other)


def test_tear_down_disables_then_removes(simulated, tmp_path):
    result = setup_once(simulated, tmp_path)
    aws_setup.attach_sidecar_policy(simulated.client("iam"), result.policy_arn, user_name="s3video-sidecar")
    first = aws_setup.tear_down(simulated, bucket="school-videos", region="eu-west-1")
    assert not first.finished and any("disabled" in step for step in first.done)
    second = aws_setup.tear_down(simulated, bucket="school-videos", region="eu-west-1", delete_bucket=True)
    assert any("distribution" in step and "deleted" in step for step in second.done), second
    assert any("IAM policy" in step for step in first.done + second.done)
    assert counts(simulated)["distributions"] == 0 and counts(simulated)["policies"] == 0
    assert any("bucket school-videos deleted" in step for step in second.done)


def test_the_distribution_sends_nosniff_and_moto_keeps_the_policy(simulated, tmp_path):
    result = setup_once(simulated, tmp_path)
    cloudfront = simulated.client("cloudfront")
    config = cloudfront.get_distribution_config(Id=result.distribution.id)["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ResponseHeadersPolicyId"] == aws_setup.SECURITY_HEADERS_POLICY_ID
    assert aws_setup.sends_nosniff(cloudfront, behavior)
    assert not aws_setup.sends_nosniff(cloudfront, {**behavior, "ResponseHeadersPolicyId": ""})
