"""``s3video-admin doctor INI``: check a live AWS set-up against what the sidecar needs.

Each check prints PASS, FAIL (with the fix) or SKIP (it does not apply, or these
credentials may not look); the exit code is 1 when any check fails, 0 otherwise, and 2
when the ini itself is invalid (``s3video-admin`` reports the setting).

Rules of this module:

- The expectations are those of :mod:`s3video_sidecar.sdk.aws_setup`, the module the
  set-up notebook builds with: the doctor passes on what the notebook creates.
- It reads and never changes the account. It signs one playback URL with the sidecar's
  own signer and checks it with the public key CloudFront holds; it never prints the URL,
  a key or a credential.
- S3 is reached the way the sidecar reaches it (``services.build_storage``), with the
  same credentials chain; CloudFront, IAM and STS through a session in the same region.
- IAM: the policy simulator (``iam:SimulatePrincipalPolicy``) where the credentials may
  call it; otherwise the principal's attached and inline policies are read and evaluated
  here (Allow/Deny, wildcards; conditions are not evaluated: the simulator does that).
"""

from __future__ import annotations

import fnmatch
import json
import os
import stat
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..sdk import aws_setup, cdn
from ..sdk.errors import Unavailable
from ..services import build_storage, build_url_signer
from ..settings import Settings, SettingsError, parse_settings

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class _Account:
    """What the checks share: the settings, the clients, and what earlier checks found."""

    settings: Settings
    s3: Any  # boto3 clients
    cloudfront: Any
    iam: Any
    sts: Any
    principal_arn: str | None
    distribution: Any = None  # the distribution's config and ARN (a dict), once found


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "error")
    return type(error).__name__


def _json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


# -- S3 ----------------------------------------------------------------------------------


def check_bucket(account: _Account) -> CheckResult:
    settings = account.settings
    try:
        account.s3.head_bucket(Bucket=settings.bucket)
        location = account.s3.get_bucket_location(Bucket=settings.bucket).get("LocationConstraint") or "us-east-1"
    except (ClientError, BotoCoreError) as error:
        return CheckResult(
            "bucket",
            FAIL,
            f"{settings.bucket} does not answer ({_code(error)})",
            "create the bucket (notebooks/aws_setup.ipynb), or correct s3video.bucket and the "
            "sidecar's AWS credentials",
        )
    if location != settings.region:
        return CheckResult(
            "bucket",
            FAIL,
            f"{settings.bucket} is in {location}, the ini says {settings.region}",
            f"set s3video.region = {location}",
        )
    return CheckResult("bucket", PASS, f"{settings.bucket} answers ({location})")


def _bucket_rules(account: _Account, operation: str, key: str, *, absent: str) -> list[dict]:
    """A bucket configuration's rules; none when S3 answers ``absent`` (the bucket has no such configuration)."""
    try:
        return getattr(account.s3, operation)(Bucket=account.settings.bucket).get(key, [])
    except ClientError as error:
        if _code(error) == absent:
            return []
        raise


def _rule_problems(rule: dict) -> list[str]:
    problems = []
    methods = {m.upper() for m in rule.get("AllowedMethods", [])}
    missing = [m for m in aws_setup.REQUIRED_CORS_METHODS if m not in methods]
    if missing:
        problems.append(f"methods {', '.join(missing)} not allowed")
    exposed = {h.lower() for h in rule.get("ExposeHeaders", [])}
    missing = [h for h in aws_setup.REQUIRED_EXPOSE_HEADERS if h.lower() not in exposed]
    if missing:
        problems.append(f"{', '.join(missing)} not exposed")
    allowed_headers = [h.lower() for h in rule.get("AllowedHeaders", [])]
    missing = [
        h
        for h in aws_setup.UPLOAD_REQUEST_HEADERS
        if not any(fnmatch.fnmatchcase(h, pattern) for pattern in allowed_headers)
    ]
    if missing:
        problems.append(f"request headers {', '.join(missing)} not allowed")
    return problems


def check_cors(account: _Account) -> CheckResult:
    settings = account.settings
    origins = settings.moodle_origins
    fix = (
        "put this CORS rule on the bucket (aws s3api put-bucket-cors --bucket "
        f"{settings.bucket} --cors-configuration '{_json(aws_setup.cors_configuration(origins or ['https://your-moodle.example']))}')"
    )
    if not origins:
        return CheckResult(
            "cors",
            FAIL,
            "s3video.moodle_origin is not set",
            "set s3video.moodle_origin to the "
            "Moodle site's origin (e.g. https://moodle.example.edu), then put the CORS rule: " + fix,
        )
    try:
        rules = _bucket_rules(account, "get_bucket_cors", "CORSRules", absent="NoSuchCORSConfiguration")
    except ClientError as error:
        return CheckResult("cors", FAIL, f"cannot read the CORS rules ({_code(error)})", fix)
    failures = []
    for origin in origins:
        matching = [r for r in rules if any(fnmatch.fnmatchcase(origin, o) for o in r.get("AllowedOrigins", []))]
        if not matching:
            failures.append(f"{origin}: no rule allows this origin")
            continue
        # S3 applies the first rule that matches the origin and the method.
        problems = _rule_problems(matching[0])
        if problems:
            failures.append(f"{origin}: {'; '.join(problems)}")
    if failures:
        return CheckResult("cors", FAIL, " | ".join(failures), fix)
    return CheckResult("cors", PASS, f"uploads allowed from {', '.join(origins)} (POST, PUT, GET; ETag exposed)")


def check_public_access(account: _Account) -> CheckResult:
    bucket = account.settings.bucket
    fix = (
        f"aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    )
    try:
        config = account.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        return CheckResult("public-access", FAIL, f"no Block Public Access configuration ({_code(error)})", fix)
    off = [name for name in aws_setup.PUBLIC_ACCESS_BLOCK if not config.get(name)]
    if off:
        return CheckResult("public-access", FAIL, f"not blocked: {', '.join(off)}", fix)
    return CheckResult("public-access", PASS, "all four Block Public Access settings are on")


def check_acls_disabled(account: _Account) -> CheckResult:
    bucket = account.settings.bucket
    fix = (
        f"aws s3api put-bucket-ownership-controls --bucket {bucket} "
        f"--ownership-controls 'Rules=[{{ObjectOwnership={aws_setup.OBJECT_OWNERSHIP}}}]'"
    )
    try:
        rules = account.s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    except ClientError as error:
        return CheckResult("acls-disabled", FAIL, f"no object ownership setting ({_code(error)})", fix)
    ownership = rules[0]["ObjectOwnership"] if rules else "unset"
    if ownership != aws_setup.OBJECT_OWNERSHIP:
        return CheckResult("acls-disabled", FAIL, f"object ownership is {ownership}: ACLs still apply", fix)
    return CheckResult("acls-disabled", PASS, "ACLs disabled (BucketOwnerEnforced)")


def _rule_covers_videos(rule: dict, key_prefix: str = aws_setup.VIDEO_PREFIX) -> bool:
    rule_filter = rule.get("Filter")
    if rule_filter is None:
        prefix = rule.get("Prefix", "")  # the older form, without Filter
    elif set(rule_filter) - {"Prefix", "ObjectSizeGreaterThan", "ObjectSizeLessThan"}:
        return False  # a tag filter: only tagged uploads would be aborted
    else:
        prefix = rule_filter.get("Prefix", "")
    return key_prefix.startswith(prefix)


def check_lifecycle(account: _Account) -> CheckResult:
    settings = account.settings
    abort_after_seconds = getattr(settings, "jobs_multipart_abort_after_seconds", settings.multipart_expiry_seconds)
    rule, staging_rule = aws_setup.lifecycle_configuration(aws_setup.abort_incomplete_upload_days(abort_after_seconds))[
        "Rules"
    ]
    fix = (
        f"add this rule to the bucket's lifecycle configuration (put-bucket-lifecycle-configuration replaces "
        f"the whole configuration: keep your other rules): {_json(rule)}"
    )
    try:
        rules = _bucket_rules(
            account, "get_bucket_lifecycle_configuration", "Rules", absent="NoSuchLifecycleConfiguration"
        )
    except ClientError as error:
        return CheckResult("lifecycle", FAIL, f"cannot read the lifecycle rules ({_code(error)})", fix)
    aborting = [
        r
        for r in rules
        if r.get("Status") == "Enabled" and "AbortIncompleteMultipartUpload" in r and _rule_covers_videos(r)
    ]
    if not aborting:
        return CheckResult(
            "lifecycle",
            FAIL,
            "no enabled rule aborts incomplete multipart uploads under "
            f"{aws_setup.VIDEO_PREFIX} (their parts are billed until aborted)",
            fix,
        )
    days = min(r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] for r in aborting)
    # A student may resume for the multipart window, plus one part URL's lifetime.
    resumable_seconds = settings.multipart_expiry_seconds + settings.upload_expiry_seconds
    if days * aws_setup.DAY_SECONDS < resumable_seconds:
        return CheckResult(
            "lifecycle",
            FAIL,
            f"uploads are aborted after {days} days, while students may still "
            f"resume them for {resumable_seconds // 3600} hours (s3video.multipart_expiry_seconds)",
            "set DaysAfterInitiation to "
            f"{rule['AbortIncompleteMultipartUpload']['DaysAfterInitiation']}: "
            f"{_json(rule)}",
        )
    expiring = [r for r in rules if r.get("Status") == "Enabled" and "Expiration" in r]
    if any(_rule_covers_videos(r) for r in expiring):
        return CheckResult(
            "lifecycle",
            FAIL,
            f"a lifecycle rule expires objects under {aws_setup.VIDEO_PREFIX}: confirmed videos would disappear",
            "remove the Expiration from that rule",
        )
    if not any(_rule_covers_videos(r, aws_setup.STAGING_PREFIX) for r in expiring):
        return CheckResult(
            "lifecycle",
            FAIL,
            f"no enabled rule expires staging uploads under {aws_setup.STAGING_PREFIX}",
            f"add this rule too: {_json(staging_rule)}",
        )
    return CheckResult(
        "lifecycle",
        PASS,
        f"incomplete multipart uploads are aborted after {days} days; "
        f"staging uploads expire after {aws_setup.STAGING_EXPIRY_DAYS} day",
    )


# -- CloudFront -------------------------------------------------------------------------


def _cloudfront_only(name: str, account: _Account) -> CheckResult | None:
    if account.settings.cdn != "cloudfront":
        return CheckResult(name, SKIP, "s3video.cdn is not cloudfront")
    if account.distribution is None:
        return CheckResult(
            name,
            FAIL,
            "no distribution answers on s3video.cloudfront.domain",
            "fix the cloudfront-distribution check first",
        )
    return None


def check_distribution(account: _Account) -> CheckResult:
    settings = account.settings
    if settings.cdn != "cloudfront":
        return CheckResult("cloudfront-distribution", SKIP, "s3video.cdn is not cloudfront")
    domain = settings.cloudfront_domain or ""  # the settings require it with s3video.cdn = cloudfront
    try:
        summary = aws_setup.find_distribution(account.cloudfront, domain)
    except (ClientError, BotoCoreError) as error:
        return CheckResult(
            "cloudfront-distribution",
            FAIL,
            f"cannot list distributions ({_code(error)})",
            "run the doctor with credentials that may call cloudfront:ListDistributions",
        )
    if summary is None:
        return CheckResult(
            "cloudfront-distribution",
            FAIL,
            f"no distribution answers on {domain}",
            "set s3video.cloudfront.domain to the distribution's domain (dxxxx.cloudfront.net) "
            "or create it (notebooks/aws_setup.ipynb)",
        )
    config = account.cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    account.distribution = {"config": config, "arn": summary["ARN"], "id": summary["Id"]}
    problems = []
    if not config.get("Enabled"):
        problems.append("the distribution is disabled")
    if config["DefaultCacheBehavior"].get("ViewerProtocolPolicy") == "allow-all":
        problems.append("it serves plain HTTP (set the viewer protocol policy to redirect-to-https)")
    origin_domains = (aws_setup.origin_domain(settings.bucket, settings.region), f"{settings.bucket}.s3.amazonaws.com")
    origins = [o for o in config["Origins"].get("Items", []) if o["DomainName"] in origin_domains]
    if not origins:
        problems.append(f"no origin is the bucket {settings.bucket} (expected {origin_domains[0]})")
    for origin in origins:
        if origin.get("S3OriginConfig", {}).get("OriginAccessIdentity"):
            problems.append("the origin uses a legacy origin access identity: switch it to Origin Access Control")
        control_id = origin.get("OriginAccessControlId")
        if not control_id:
            problems.append("the origin has no Origin Access Control: CloudFront cannot read the private bucket")
            continue
        try:
            control = account.cloudfront.get_origin_access_control(Id=control_id)["OriginAccessControl"]
        except ClientError as error:
            problems.append(f"its Origin Access Control {control_id} cannot be read ({_code(error)})")
            continue
        control_config = control["OriginAccessControlConfig"]
        if (
            control_config.get("SigningBehavior") != "always"
            or control_config.get("OriginAccessControlOriginType") != "s3"
        ):
            problems.append("its Origin Access Control must sign always, for an s3 origin")
    try:
        if not aws_setup.sends_nosniff(account.cloudfront, config["DefaultCacheBehavior"]):
            problems.append(
                "its answers lack X-Content-Type-Options: nosniff (attach the managed "
                f"SecurityHeadersPolicy, {aws_setup.SECURITY_HEADERS_POLICY_ID})"
            )
    except (ClientError, BotoCoreError) as error:
        problems.append(f"its response headers policy cannot be read ({_code(error)})")
    configured_id = getattr(settings, "cloudfront_distribution_id", None)
    if configured_id and configured_id != summary["Id"]:
        problems.append(
            f"s3video.cloudfront.distribution_id is {configured_id}, but {domain} is "
            f"{summary['Id']} (set s3video.cloudfront.distribution_id = {summary['Id']})"
        )
    if problems:
        return CheckResult(
            "cloudfront-distribution",
            FAIL,
            f"{summary['Id']}: " + "; ".join(problems),
            "edit the distribution as notebooks/aws_setup.ipynb creates it (aws_setup.distribution_config)",
        )
    return CheckResult(
        "cloudfront-distribution",
        PASS,
        f"{summary['Id']} serves {settings.bucket} over HTTPS through Origin Access Control",
    )


def _statement_list(document: dict) -> list[dict]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_bucket_policy(account: _Account) -> CheckResult:
    skipped = _cloudfront_only("bucket-policy", account)
    if skipped:
        return skipped
    settings, arn = account.settings, account.distribution["arn"]
    fix = (
        f"aws s3api put-bucket-policy --bucket {settings.bucket} --policy "
        f"'{_json(aws_setup.bucket_policy(settings.bucket, arn))}'"
    )
    try:
        document = json.loads(account.s3.get_bucket_policy(Bucket=settings.bucket)["Policy"])
    except ClientError as error:
        return CheckResult(
            "bucket-policy", FAIL, f"the bucket has no policy letting CloudFront read ({_code(error)})", fix
        )
    video = aws_setup.action_resource(settings.bucket, "s3:GetObject")
    for statement in _statement_list(document):
        principal = statement.get("Principal", {})
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        source_arns = _as_list(statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn"))
        if (
            statement.get("Effect") == "Allow"
            and "cloudfront.amazonaws.com" in services
            and _matches(statement, "Action", "s3:GetObject", lower=True)
            and _matches(statement, "Resource", video)
            and arn in source_arns
        ):
            return CheckResult("bucket-policy", PASS, "only the distribution may read the videos (OAC, by source ARN)")
    return CheckResult(
        "bucket-policy", FAIL, f"no statement lets distribution {account.distribution['id']} read the videos", fix
    )


def check_signing_key(account: _Account) -> CheckResult:
    skipped = _cloudfront_only("signing-key", account)
    if skipped:
        return skipped
    settings = account.settings
    key_id = settings.cloudfront_key_id
    if not os.path.exists(settings.cloudfront_private_key_file):
        return CheckResult(
            "signing-key",
            FAIL,
            f"{settings.cloudfront_private_key_file} does not exist",
            "point s3video.cloudfront.private_key_file at the private key (PEM, mode 0600)",
        )
    behavior = account.distribution["config"]["DefaultCacheBehavior"]
    trusted = behavior.get("TrustedKeyGroups", {})
    group_ids = trusted.get("Items", []) if trusted.get("Enabled") else []
    if not group_ids:
        return CheckResult(
            "signing-key",
            FAIL,
            "the distribution does not require signed URLs (no trusted key "
            "group): anyone with a video's URL could watch it",
            f"enable trusted key groups on the default cache behavior with the group holding {key_id}",
        )
    groups = [account.cloudfront.get_key_group(Id=g)["KeyGroup"]["KeyGroupConfig"] for g in group_ids]
    if not any(key_id in group.get("Items", []) for group in groups):
        return CheckResult(
            "signing-key",
            FAIL,
            f"public key {key_id} is in none of the distribution's trusted key groups",
            f"add {key_id} to one of the key groups {', '.join(group_ids)}, or set "
            "s3video.cloudfront.key_id to a key of those groups",
        )
    try:
        encoded = account.cloudfront.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
        public_key = serialization.load_pem_public_key(encoded.encode("ascii"))
        if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            raise ValueError("CloudFront's public key is neither RSA nor ECDSA")
        signer = build_url_signer(settings)
    except (ClientError, ValueError, SettingsError) as error:
        return CheckResult(
            "signing-key",
            FAIL,
            f"cannot compare the keys ({_code(error)}: {error})",
            "check s3video.cloudfront.key_id and s3video.cloudfront.private_key_file",
        )
    url = cdn.resource_url(settings.playback_base_url, f"{aws_setup.VIDEO_PREFIX}0/doctor-check.mp4")
    try:
        cdn.verify_signed_url(signer.sign(url, int(time.time()) + 300), public_key, key_id)
    except cdn.InvalidSignedUrl:
        return CheckResult(
            "signing-key",
            FAIL,
            f"the public key CloudFront holds as {key_id} is not the public half "
            f"of {settings.cloudfront_private_key_file}: every playback URL would be refused",
            "upload the public half of the private key (openssl pkey -in KEY -pubout) to CloudFront, "
            "add it to the trusted key group, and set s3video.cloudfront.key_id to its id",
        )
    return CheckResult(
        "signing-key", PASS, f"a URL signed with the private key verifies with CloudFront's key {key_id}"
    )


# -- IAM ----------------------------------------------------------------------------------


def _matches(statement: dict, field: str, value: str, lower: bool = False) -> bool:
    """Whether a statement's Action/Resource (or NotAction/NotResource) covers ``value``."""

    def covered(patterns):
        return any(
            fnmatch.fnmatchcase(value.lower() if lower else value, p.lower() if lower else p)
            for p in _as_list(patterns)
        )

    if field in statement:
        return covered(statement[field])
    if f"Not{field}" in statement:
        return not covered(statement[f"Not{field}"])
    return False


def evaluate_policies(documents: list[dict], action: str, resource: str) -> bool:
    """IAM's rule without conditions: allowed when some statement allows and none denies."""
    allowed = False
    for document in documents:
        for statement in _statement_list(document):
            if _matches(statement, "Action", action, lower=True) and _matches(statement, "Resource", resource):
                if statement.get("Effect") == "Deny":
                    return False
                allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _document(raw) -> dict:
    return json.loads(unquote(raw)) if isinstance(raw, str) else raw


def _principal_documents(iam, principal_arn: str) -> list[dict]:
    kind, _, name = principal_arn.split(":", 5)[5].partition("/")
    name = name.rsplit("/", 1)[-1]
    if kind not in ("user", "role"):
        raise ValueError(f"cannot read the policies of {principal_arn}")
    scopes = [(kind, name)]
    if kind == "user":
        for page in iam.get_paginator("list_groups_for_user").paginate(UserName=name):
            scopes += [("group", group["GroupName"]) for group in page["Groups"]]
    documents = []
    for scope, scope_name in scopes:
        label = scope.capitalize()
        argument = {f"{label}Name": scope_name}
        for page in iam.get_paginator(f"list_attached_{scope}_policies").paginate(**argument):
            for attached in page["AttachedPolicies"]:
                version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
                documents.append(
                    _document(
                        iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"][
                            "Document"
                        ]
                    )
                )
        for page in iam.get_paginator(f"list_{scope}_policies").paginate(**argument):
            for policy_name in page["PolicyNames"]:
                documents.append(
                    _document(getattr(iam, f"get_{scope}_policy")(PolicyName=policy_name, **argument)["PolicyDocument"])
                )
    return documents


def _iam_principal(account: _Account) -> str:
    if account.principal_arn:
        return account.principal_arn
    arn = account.sts.get_caller_identity()["Arn"]
    if ":assumed-role/" in arn:  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION -> the role
        account_id, role = arn.split(":")[4], arn.split("/")[1]
        return f"arn:aws:iam::{account_id}:role/{role}"
    return arn


def check_iam(account: _Account) -> CheckResult:
    bucket = account.settings.bucket
    try:
        principal = _iam_principal(account)
    except (ClientError, BotoCoreError) as error:
        return CheckResult(
            "iam",
            FAIL,
            f"the credentials are not accepted ({_code(error)})",
            "give the sidecar valid AWS credentials (instance role, or AWS_* in its environment)",
        )
    invalidation = getattr(account.settings, "cloudfront_invalidate", False)
    distribution_arn = account.distribution["arn"] if account.distribution else None
    if invalidation and not distribution_arn:
        return CheckResult(
            "iam",
            FAIL,
            "s3video.cloudfront.invalidate is on but no distribution was found",
            "fix the cloudfront-distribution check first",
        )
    actions = aws_setup.sidecar_actions(invalidation)
    policy_fix = (
        "attach this policy to the sidecar's user or role: "
        f"{_json(aws_setup.sidecar_policy(bucket, distribution_arn if invalidation else None))}"
    )

    if principal.endswith(":root"):
        return CheckResult(
            "iam",
            FAIL,
            "the sidecar would run with the account's root credentials",
            "create an IAM user or role for the sidecar, and " + policy_fix,
        )

    def resource_of(action):
        return aws_setup.action_resource(bucket, action, distribution_arn)

    try:
        denied, how = [], "the IAM policy simulator"
        for resource in sorted({resource_of(a) for a in actions}):
            names = [a for a in actions if resource_of(a) == resource]
            results = account.iam.simulate_principal_policy(
                PolicySourceArn=principal, ActionNames=names, ResourceArns=[resource]
            )["EvaluationResults"]
            denied += [r["EvalActionName"] for r in results if r["EvalDecision"] != "allowed"]
    except (ClientError, NotImplementedError):
        # No iam:SimulatePrincipalPolicy for these credentials (or a stand-in without it): read the policies.
        try:
            documents = _principal_documents(account.iam, principal)
        except (ClientError, ValueError) as error:
            if account.principal_arn and _code(error) == "NoSuchEntity":
                return CheckResult(
                    "iam",
                    FAIL,
                    f"{principal}: no such user or role",
                    "give --principal-arn the ARN of the user or role the sidecar runs as",
                )
            return CheckResult(
                "iam",
                SKIP,
                f"{principal}: may neither simulate nor read its policies ({_code(error)})",
                "run the doctor with credentials allowed iam:SimulatePrincipalPolicy, and "
                "--principal-arn set to the sidecar's user or role",
            )
        denied = [a for a in actions if not evaluate_policies(documents, a, resource_of(a))]
        how = "its policies"
    if denied:
        return CheckResult("iam", FAIL, f"{principal} may not {', '.join(sorted(denied))} (by {how})", policy_fix)
    return CheckResult("iam", PASS, f"{principal} may call all {len(actions)} actions the sidecar uses (by {how})")


CHECKS = (
    check_bucket,
    check_cors,
    check_public_access,
    check_acls_disabled,
    check_lifecycle,
    check_distribution,  # finds the distribution the next checks look at
    check_bucket_policy,
    check_signing_key,
    check_iam,
)


def aws_access(session, settings: Settings) -> CheckResult:
    """The root cause first: are there credentials, is AWS reachable, are they accepted?"""
    if session.get_credentials() is None:
        return CheckResult(
            "aws-access",
            FAIL,
            "no AWS credentials found",
            "give the sidecar an instance role (docs/deployment.md), or set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in its environment",
        )
    try:
        arn = session.client("sts").get_caller_identity()["Arn"]
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as error:
        return CheckResult(
            "aws-access",
            FAIL,
            f"AWS endpoints unreachable ({error.kwargs.get('endpoint_url', '')})",
            "check this machine's network, DNS and proxy settings (HTTPS to *.amazonaws.com)",
        )
    except ClientError as error:
        return CheckResult(
            "aws-access",
            FAIL,
            f"the credentials are not accepted ({_code(error)})",
            "check the access key (or the instance role) and this machine's clock",
        )
    except BotoCoreError as error:
        return CheckResult(
            "aws-access",
            FAIL,
            f"AWS cannot be reached ({_code(error)})",
            "check this machine's network and the credentials",
        )
    return CheckResult("aws-access", PASS, f"credentials of {arn}")


# -- this machine: the key file, the database, Redis, the demo page ----------------------


def check_private_key_file(settings: Settings) -> CheckResult:
    path = settings.cloudfront_private_key_file
    try:
        mode = os.stat(path).st_mode
        cdn.load_private_key(path)
    except OSError as error:
        return CheckResult(
            "private-key-file",
            FAIL,
            f"{path}: {error.strerror}",
            "install the CloudFront private key there, readable by the sidecar's user only",
        )
    except (ValueError, TypeError) as error:
        return CheckResult(
            "private-key-file",
            FAIL,
            f"{path}: not a private key ({error})",
            "install the PEM private key aws_setup created",
        )
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return CheckResult(
            "private-key-file", FAIL, f"{path} is readable by others (mode {stat.S_IMODE(mode):o})", f"chmod 600 {path}"
        )
    return CheckResult("private-key-file", PASS, f"{path} loads, mode {stat.S_IMODE(mode):o}")


def check_database(settings: Settings) -> CheckResult:
    from sqlalchemy.exc import SQLAlchemyError

    from ..failures import describe
    from ..models import get_engine
    from ..models.schema import SchemaNotAtHead, check_schema

    engine = get_engine(settings.sqlalchemy_url)
    try:
        check_schema(engine)
    except SchemaNotAtHead as error:
        return CheckResult("database", FAIL, str(error), "run s3video-migrate with this ini file")
    except SQLAlchemyError as error:
        return CheckResult(
            "database",
            FAIL,
            describe("database", settings.sqlalchemy_url, error),
            "check sqlalchemy.url and that the database server runs (docs/deployment.md)",
        )
    finally:
        engine.dispose()
    return CheckResult("database", PASS, "reachable, schema at head")


def check_redis(settings: Settings) -> CheckResult:
    import redis

    from ..failures import describe

    urls = {
        settings.redis_url
        for store in (settings.nonce_store, settings.rate_limit_store)
        if store == "redis" and settings.redis_url
    }
    if settings.huey_url and settings.huey_url.startswith(("redis", "rediss", "unix")):
        urls.add(settings.huey_url)
    if not urls:
        return CheckResult("redis", SKIP, "no store of this ini is on Redis")
    for url in sorted(urls):
        try:
            redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            return CheckResult(
                "redis", FAIL, describe("redis", url, error), "check s3video.redis_url / huey.url and that Redis runs"
            )
    return CheckResult("redis", PASS, f"{len(urls)} address(es) answer")


def check_demo_off(settings: Settings) -> CheckResult:
    if settings.demo:
        return CheckResult(
            "demo-page",
            FAIL,
            "s3video.development.demo is on: anyone can sign as any user",
            "remove s3video.development.demo from a production ini",
        )
    return CheckResult("demo-page", PASS, "off")


LOCAL_CHECKS = (check_private_key_file, check_database, check_redis, check_demo_off)


def local_checks(settings: Settings) -> list[CheckResult]:
    return [check(settings) for check in LOCAL_CHECKS]


def diagnose(settings: Settings, *, session=None, principal_arn: str | None = None) -> list[CheckResult]:
    """Run every check against the account the credentials reach; nothing is changed.

    The first line is the root cause when AWS cannot be used at all (no credentials, no
    network, credentials refused): the checks that need AWS are then skipped, not failed.
    """
    session = session or boto3.session.Session(region_name=settings.region)
    access = aws_access(session, settings)
    if access.status == FAIL:
        return [access] + [
            CheckResult(check.__name__.removeprefix("check_").replace("_", "-"), SKIP, f"needs AWS: {access.detail}")
            for check in CHECKS
        ]
    account = _Account(
        settings=settings,
        s3=build_storage(settings).client,
        cloudfront=session.client("cloudfront"),
        iam=session.client("iam"),
        sts=session.client("sts"),
        principal_arn=principal_arn,
    )
    results = [access]
    for check in CHECKS:
        try:
            results.append(check(account))
        except (ClientError, BotoCoreError, Unavailable) as error:
            name = check.__name__.removeprefix("check_").replace("_", "-")
            results.append(
                CheckResult(
                    name,
                    FAIL,
                    f"AWS refused or failed ({_code(error)})",
                    "check the credentials and the network, then run the doctor again",
                )
            )
    return results


def report(results: list[CheckResult]) -> str:
    width = max(len(r.name) for r in results)
    lines = []
    for result in results:
        lines.append(f"{result.status}  {result.name:<{width}}  {result.detail}")
        if result.status != PASS and result.fix:
            lines.append(f"{'':6}{'':<{width}}  fix: {result.fix}")
    counts = {status: sum(r.status == status for r in results) for status in (PASS, FAIL, SKIP)}
    lines.append(f"doctor: {counts[PASS]} checks passed, {counts[FAIL]} failed, {counts[SKIP]} skipped")
    return "\n".join(lines)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the AWS set-up of an ini file (bucket, CORS, CloudFront, keys, IAM)",
        description=__doc__.splitlines()[0].replace("``", ""),
    )
    parser.add_argument("ini", help="the sidecar's ini file, e.g. production.ini")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.add_argument(
        "--principal-arn", help="the IAM user or role the sidecar runs as (default: whoever these credentials are)"
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    from dataclasses import asdict

    from . import read_ini

    try:
        raw = read_ini(args.ini)
    except LookupError as error:  # no [app:main] section or no loader in it
        print(f"doctor: cannot read {args.ini}: {error}", file=sys.stderr)
        return 2
    settings = parse_settings(raw)  # a bad setting: s3video-admin names it and exits 2
    results = local_checks(settings)
    if settings.storage == "aws":
        results = diagnose(settings, principal_arn=args.principal_arn) + results
    if args.json:
        print(
            json.dumps(
                {"ok": not any(r.status == FAIL for r in results), "checks": [asdict(r) for r in results]}, indent=2
            )
        )
    else:
        if settings.storage != "aws":
            print("doctor: s3video.storage is not aws: no AWS check (the embedded stand-in configures itself)")
        print(report(results))
    return 1 if any(r.status == FAIL for r in results) else 0
