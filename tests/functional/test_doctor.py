"""``s3video-admin doctor`` against moto: passes on what the set-up builds, names the fix when a piece is missing."""

from __future__ import annotations

import json
import pathlib
import textwrap

import boto3
import pytest

from s3video_sidecar.scripts import admin, doctor
from s3video_sidecar.sdk import aws_setup, cdn
from tests.support.apps import free_port
from tests.support.databases import copy_sqlite, migrated_sqlite_template

BUCKET, REGION, ORIGIN = "school-videos-test", "eu-west-1", "https://moodle.example.edu"


@pytest.fixture
def aws():
    mock = aws_setup.simulated_aws()
    yield boto3.session.Session(region_name=REGION)
    mock.stop()


@pytest.fixture
def account(aws, tmp_path):
    """The notebook's set-up, the sidecar's user with its policy, and a production-style ini."""
    result = aws_setup.set_up(
        aws, bucket=BUCKET, region=REGION, moodle_origins=[ORIGIN], private_key_file=str(tmp_path / "cloudfront.pem")
    )
    iam = aws.client("iam")
    user_arn = iam.create_user(UserName="s3video-sidecar")["User"]["Arn"]
    iam.attach_user_policy(UserName="s3video-sidecar", PolicyArn=result.policy_arn)
    ini = tmp_path / "production.ini"
    database = f"sqlite:///{tmp_path}/doctor.sqlite"
    copy_sqlite(migrated_sqlite_template(), tmp_path / "doctor.sqlite")  # migrated, in milliseconds
    ini.write_text(
        textwrap.dedent(f"""\
        [app:main]
        use = egg:s3video-sidecar
        sqlalchemy.url = {database}
        s3video.hmac_keys = doctor-test:not-a-real-secret
        """)
        + result.production_settings()
    )
    return {"result": result, "ini": str(ini), "user_arn": user_arn, "s3": aws.client("s3"), "session": aws}


def edit_ini(account, old: str, new: str) -> None:
    ini = pathlib.Path(account["ini"])
    text = ini.read_text()
    assert old in text
    ini.write_text(text.replace(old, new))


def run_doctor(account, capsys, *extra):
    code = admin.main(["doctor", account["ini"], "--principal-arn", account["user_arn"], *extra])
    return code, capsys.readouterr().out


def status_of(output: str, check: str) -> str:
    for line in output.splitlines():
        words = line.split()
        if len(words) > 1 and words[1] == check:
            return words[0]
    raise AssertionError(f"no line for {check} in:\n{output}")


def test_passes_on_what_the_set_up_builds(account, capsys):
    code, output = run_doctor(account, capsys)
    assert code == 0, output
    for check in (
        "bucket",
        "cors",
        "public-access",
        "acls-disabled",
        "lifecycle",
        "cloudfront-distribution",
        "bucket-policy",
        "signing-key",
        "iam",
    ):
        assert status_of(output, check) == "PASS", output
    for check in ("aws-access", "private-key-file", "database", "demo-page"):
        assert status_of(output, check) == "PASS", output
    assert status_of(output, "redis") == "SKIP"  # no store of this ini is on Redis
    assert "doctor: 13 checks passed, 0 failed, 1 skipped" in output
    assert "by its policies" in output  # moto has no policy simulator: the attached policy was read


def test_output_holds_no_key_material(account, capsys):
    _, output = run_doctor(account, capsys)
    assert "PRIVATE KEY" not in output and "Signature=" not in output


def test_fails_naming_the_fix_when_the_cors_rule_is_gone(account, capsys):
    account["s3"].delete_bucket_cors(Bucket=BUCKET)
    code, output = run_doctor(account, capsys)
    assert code == 1
    assert status_of(output, "cors") == "FAIL"
    assert f"{ORIGIN}: no rule allows this origin" in output
    assert "fix: put this CORS rule on the bucket (aws s3api put-bucket-cors" in output
    assert '"ExposeHeaders":["ETag"]' in output
    assert "doctor: 12 checks passed, 1 failed" in output


def test_fails_when_the_cors_rule_does_not_expose_etag(account, capsys):
    rule = aws_setup.cors_configuration([ORIGIN])
    del rule["CORSRules"][0]["ExposeHeaders"]
    account["s3"].put_bucket_cors(Bucket=BUCKET, CORSConfiguration=rule)
    code, output = run_doctor(account, capsys)
    assert code == 1 and "ETag not exposed" in output


def test_fails_naming_the_fix_when_the_lifecycle_rule_is_gone(account, capsys):
    account["s3"].delete_bucket_lifecycle(Bucket=BUCKET)
    code, output = run_doctor(account, capsys)
    assert code == 1
    assert status_of(output, "lifecycle") == "FAIL"
    assert "no enabled rule aborts incomplete multipart uploads" in output
    assert "fix: add this rule to the bucket's lifecycle configuration" in output
    assert '"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":8}' in output


def test_fails_when_the_lifecycle_rule_aborts_before_students_may_resume(account, capsys):
    account["s3"].put_bucket_lifecycle_configuration(
        Bucket=BUCKET, LifecycleConfiguration=aws_setup.lifecycle_configuration(1)
    )
    code, output = run_doctor(account, capsys)
    assert code == 1 and "set DaysAfterInitiation to 8" in output


def test_fails_without_the_staging_expiry_or_with_an_expiry_on_videos(account, capsys):
    abort, staging = aws_setup.lifecycle_configuration(8)["Rules"]
    account["s3"].put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [abort]})
    code, output = run_doctor(account, capsys)
    assert code == 1 and status_of(output, "lifecycle") == "FAIL"
    assert "no enabled rule expires staging uploads under uploads/" in output and '"Prefix":"uploads/"' in output
    everything = dict(staging, ID="expire-all", Filter={"Prefix": ""})
    account["s3"].put_bucket_lifecycle_configuration(
        Bucket=BUCKET, LifecycleConfiguration={"Rules": [abort, everything]}
    )
    code, output = run_doctor(account, capsys)
    assert code == 1 and "confirmed videos would disappear" in output


def test_fails_when_public_access_is_not_blocked(account, capsys):
    account["s3"].delete_public_access_block(Bucket=BUCKET)
    code, output = run_doctor(account, capsys)
    assert code == 1 and status_of(output, "public-access") == "FAIL"
    assert "put-public-access-block" in output


def test_fails_when_acls_are_enabled(account, capsys):
    account["s3"].put_bucket_ownership_controls(
        Bucket=BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    code, output = run_doctor(account, capsys)
    assert code == 1 and "object ownership is ObjectWriter" in output


def test_fails_when_the_bucket_policy_is_for_another_distribution(account, capsys):
    aws_setup.allow_distribution_to_read(account["s3"], BUCKET, "arn:aws:cloudfront::123456789012:distribution/OTHER")
    code, output = run_doctor(account, capsys)
    assert code == 1 and status_of(output, "bucket-policy") == "FAIL"
    assert account["result"].distribution.arn in output  # the fix names the right distribution


def test_fails_when_the_private_key_is_not_the_one_cloudfront_holds(account, capsys, tmp_path):
    other = tmp_path / "other.pem"
    cdn.generate_private_key(other)
    edit_ini(account, account["result"].private_key_file, str(other))
    code, output = run_doctor(account, capsys)
    assert code == 1 and status_of(output, "signing-key") == "FAIL"
    assert "is not the public half of" in output and "openssl pkey" in output


def test_fails_when_the_key_id_is_in_no_trusted_group(account, capsys):
    key_id = account["result"].signing_key.public_key_id
    edit_ini(account, f"key_id = {key_id}", "key_id = K0THERKEY")
    code, output = run_doctor(account, capsys)
    assert code == 1 and "public key K0THERKEY is in none of the distribution's trusted key groups" in output


def test_fails_when_the_domain_matches_no_distribution(account, capsys):
    domain = account["result"].distribution.domain_name
    edit_ini(account, domain, "d000000nothing.cloudfront.net")
    code, output = run_doctor(account, capsys)
    assert code == 1 and status_of(output, "cloudfront-distribution") == "FAIL"
    assert status_of(output, "signing-key") == "FAIL"  # depends on the distribution, says so


def test_fails_when_the_policy_lacks_an_action(account, capsys):
    iam = account["session"].client("iam")
    policy = aws_setup.sidecar_policy(BUCKET)
    policy["Statement"][0]["Action"].remove("s3:AbortMultipartUpload")
    iam.detach_user_policy(UserName="s3video-sidecar", PolicyArn=account["result"].policy_arn)
    iam.put_user_policy(UserName="s3video-sidecar", PolicyName="narrow", PolicyDocument=json.dumps(policy))
    code, output = run_doctor(account, capsys)
    assert code == 1 and "may not s3:AbortMultipartUpload" in output


def test_root_credentials_are_a_failure(account, capsys):
    code = admin.main(["doctor", account["ini"], "--principal-arn", "arn:aws:iam::123456789012:root"])
    output = capsys.readouterr().out
    assert code == 1 and "the sidecar would run with the account's root credentials" in output
    assert "create an IAM user or role for the sidecar, and attach this policy" in output


def test_a_deny_wins_over_an_allow(account, capsys):
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}
    account["session"].client("iam").put_user_policy(
        UserName="s3video-sidecar", PolicyName="deny", PolicyDocument=json.dumps(deny)
    )
    code, output = run_doctor(account, capsys)
    assert code == 1 and "may not s3:DeleteObject" in output


def test_a_bad_setting_exits_2_naming_it(account, capsys):
    edit_ini(account, f"s3video.bucket = {BUCKET}", "s3video.bucket = X")
    assert admin.main(["doctor", account["ini"]]) == 2
    assert "s3video.bucket" in capsys.readouterr().err


def test_missing_moodle_origin_is_a_failure_with_the_setting_named(account, capsys):
    edit_ini(account, f"s3video.moodle_origin = {ORIGIN}", "")
    code, output = run_doctor(account, capsys)
    assert code == 1 and "s3video.moodle_origin is not set" in output


@pytest.mark.parametrize(
    ("documents", "action", "resource", "allowed"),
    [
        ([aws_setup.sidecar_policy(BUCKET)], "s3:GetObject", f"arn:aws:s3:::{BUCKET}/videos/1/x.mp4", True),
        ([aws_setup.sidecar_policy(BUCKET)], "s3:GetObject", f"arn:aws:s3:::{BUCKET}/other/x.mp4", False),
        ([aws_setup.sidecar_policy(BUCKET)], "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", True),
        (
            [{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}],
            "s3:PutObject",
            "arn:aws:s3:::b/k",
            True,
        ),
        ([{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}], "s3:PutObject", "arn:x", True),
        (
            [{"Statement": [{"Effect": "Allow", "Action": "S3:getobject", "Resource": "*"}]}],
            "s3:GetObject",
            "arn:x",
            True,
        ),
        ([], "s3:GetObject", "arn:x", False),
    ],
)
def test_policy_evaluation(documents, action, resource, allowed):
    assert doctor.evaluate_policies(documents, action, resource) is allowed


def test_invalidation_needs_create_invalidation_on_the_distribution(aws, tmp_path, capsys):
    result = aws_setup.set_up(
        aws,
        bucket=BUCKET,
        region=REGION,
        moodle_origins=[ORIGIN],
        private_key_file=str(tmp_path / "cloudfront.pem"),
        invalidation=True,
    )
    iam = aws.client("iam")
    user_arn = iam.create_user(UserName="s3video-sidecar")["User"]["Arn"]
    ini = tmp_path / "production.ini"
    database = f"sqlite:///{tmp_path}/doctor.sqlite"
    copy_sqlite(migrated_sqlite_template(), tmp_path / "doctor.sqlite")  # migrated, in milliseconds
    ini.write_text(
        f"[app:main]\nuse = egg:s3video-sidecar\nsqlalchemy.url = {database}\n"
        "s3video.hmac_keys = doctor-test:not-a-real-secret\n" + result.production_settings()
    )
    assert "s3video.cloudfront.invalidate = true" in ini.read_text()

    narrow = aws_setup.sidecar_policy(BUCKET)  # without the invalidation statement
    iam.put_user_policy(UserName="s3video-sidecar", PolicyName="narrow", PolicyDocument=json.dumps(narrow))
    assert admin.main(["doctor", str(ini), "--principal-arn", user_arn]) == 1
    assert "may not cloudfront:CreateInvalidation" in capsys.readouterr().out

    iam.delete_user_policy(UserName="s3video-sidecar", PolicyName="narrow")
    iam.attach_user_policy(UserName="s3video-sidecar", PolicyArn=result.policy_arn)
    assert admin.main(["doctor", str(ini), "--principal-arn", user_arn]) == 0, capsys.readouterr().out


def no_aws_credentials(monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_SECURITY_TOKEN",
        "AWS_DEFAULT_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_no_credentials_is_the_one_root_cause_and_aws_checks_are_skipped(account, capsys, monkeypatch, tmp_path):
    no_aws_credentials(monkeypatch, tmp_path)  # the ini stays; the credentials go
    code, output = run_doctor(account, capsys)
    lines = output.splitlines()
    assert code == 1 and lines[0].split()[:2] == ["FAIL", "aws-access"] and "no AWS credentials found" in lines[0]
    assert "instance role" in lines[1]  # the fix
    assert [line.split()[0] for line in lines if line.split()[1:2] == ["bucket"]] == ["SKIP"]
    assert sum(line.startswith("FAIL") for line in lines) == 1, output


def test_unreachable_aws_is_named_as_such(account, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session = boto3.session.Session(region_name=REGION, aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")
    result = doctor.aws_access(session, None)
    assert result.status == "FAIL" and result.detail.startswith("AWS endpoints unreachable"), result


def test_local_checks_catch_a_demo_page_and_a_readable_key(account, capsys):
    key = pathlib.Path(account["ini"]).parent / "cloudfront.pem"
    key.chmod(0o644)
    edit_ini(account, "use = egg:s3video-sidecar\n", "use = egg:s3video-sidecar\ns3video.development.demo = true\n")
    code, output = run_doctor(account, capsys)
    assert code == 1
    assert status_of(output, "demo-page") == "FAIL" and status_of(output, "private-key-file") == "FAIL"
    assert "chmod 600" in output


def test_an_unmigrated_database_and_json_output(account, capsys, tmp_path):
    edit_ini(account, f"sqlite:///{tmp_path}/doctor.sqlite", f"sqlite:///{tmp_path}/empty.sqlite")
    code, output = run_doctor(account, capsys, "--json")
    checks = {check["name"]: check for check in json.loads(output)["checks"]}
    assert code == 1 and checks["database"]["status"] == "FAIL"
    assert "schema not at head: run s3video-migrate" in checks["database"]["detail"]


def test_a_missing_ini_is_one_line(capsys, tmp_path):
    assert admin.main(["doctor", str(tmp_path / "nope.ini")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.ini: no such file" in err


def test_fails_when_the_distribution_does_not_send_nosniff(account, capsys):
    cloudfront = account["session"].client("cloudfront")
    distribution_id = account["result"].distribution.id
    answer = cloudfront.get_distribution_config(Id=distribution_id)
    config = answer["DistributionConfig"]
    del config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    cloudfront.update_distribution(Id=distribution_id, IfMatch=answer["ETag"], DistributionConfig=config)
    code, output = run_doctor(account, capsys)
    assert code == 1 and status_of(output, "cloudfront-distribution") == "FAIL"
    assert "X-Content-Type-Options: nosniff" in output
