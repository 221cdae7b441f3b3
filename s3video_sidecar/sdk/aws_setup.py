"""The AWS resources the sidecar needs, defined once: built by the set-up notebook, checked by the doctor.

``notebooks/aws_setup.ipynb`` creates a bucket, a CloudFront distribution and an IAM
policy with the functions here; ``s3video-admin doctor`` checks a live account against
the same definitions (:data:`REQUIRED_CORS_METHODS`, :func:`lifecycle_configuration`,
:func:`sidecar_policy`, ...), so what the notebook builds is what the doctor expects.

Rules of this module:

- Current AWS practice, not the seed's: Origin Access Control (not the legacy origin
  access identity), trusted key groups (not root-account CloudFront key pairs), Block
  Public Access fully on, ACLs disabled (``BucketOwnerEnforced``), and lifecycle rules
  that abort incomplete multipart uploads (their parts are billed until aborted) and
  expire staging objects (``uploads/``, where POST uploads wait for confirm) after a day.
- CloudFront reads only ``videos/`` (what confirm copied there); staging objects are
  never served. The sidecar's IAM policy covers both prefixes (confirm reads and deletes
  the staging object, and copies it).
- The sidecar's IAM policy holds exactly the actions its code calls:
  :data:`S3_OPERATION_ACTIONS` maps each boto3 operation the sidecar calls to the IAM
  action it needs, and a unit test scans the package so the map stays true. Its one
  CloudFront action, ``CreateInvalidation``, is granted only when the sidecar invalidates
  (``s3video.cloudfront.invalidate``; keys are never reused, so it is optional).
- Functions that describe configuration are pure and return the dicts boto3 takes;
  functions that create take boto3 clients. Nothing here reads settings or prints a key.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from botocore.exceptions import ClientError

from . import cdn, keys

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudfront.literals import PriceClassType
    from mypy_boto3_cloudfront.type_defs import (
        DistributionConfigTypeDef,
        DistributionSummaryTypeDef,
        KeyGroupTypeDef,
        PublicKeySummaryTypeDef,
    )
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import (
        BucketLifecycleConfigurationTypeDef,
        CORSConfigurationTypeDef,
        PublicAccessBlockConfigurationTypeDef,
    )

JSON = dict[str, Any]  # an AWS request or answer, as boto3 takes and gives it
# The key prefixes the bucket's rules name (the doctor checks the rules against them).
VIDEO_PREFIX = keys.PREFIX
STAGING_PREFIX = keys.STAGING_PREFIX
POSTER_PREFIX = keys.POSTER_PREFIX
# tear_down's steps: step(description, action) runs the action and notes what was done or left.
Step = Callable[[str, Callable[[], object]], None]

# -- the bucket ----------------------------------------------------------------------------

# The browser POSTs single uploads, PUTs multipart parts (reading each part's ETag back),
# and GETs nothing from S3 directly today but the seed's rule allowed it for previews.
REQUIRED_CORS_METHODS = ("GET", "POST", "PUT")
REQUIRED_EXPOSE_HEADERS = ("ETag",)
# Headers the uploader sets on its requests to S3 (static/js/upload_engine.mjs).
UPLOAD_REQUEST_HEADERS = ("content-type", "x-amz-checksum-sha256")
CORS_MAX_AGE_SECONDS = 3000

PUBLIC_ACCESS_BLOCK: PublicAccessBlockConfigurationTypeDef = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
OBJECT_OWNERSHIP: Final = "BucketOwnerEnforced"  # ACLs disabled: the bucket owner owns every object
LIFECYCLE_RULE_ID = "s3video-abort-incomplete-multipart-uploads"
STAGING_RULE_ID = "s3video-expire-staging-uploads"
STAGING_EXPIRY_DAYS = 1  # a backstop: the reconciler removes staging objects after the upload window
DAY_SECONDS = 86400


def cors_configuration(moodle_origins: Iterable[str]) -> CORSConfigurationTypeDef:
    """The CORS rule a browser upload from Moodle needs (``put_bucket_cors``'s argument)."""
    origins = list(moodle_origins)
    if not origins:
        raise ValueError("give the Moodle site's origin, e.g. https://moodle.example.edu")
    return {
        "CORSRules": [
            {
                "ID": "s3video-moodle-uploads",
                "AllowedOrigins": origins,
                "AllowedMethods": list(REQUIRED_CORS_METHODS),
                "AllowedHeaders": ["*"],
                "ExposeHeaders": list(REQUIRED_EXPOSE_HEADERS),
                "MaxAgeSeconds": CORS_MAX_AGE_SECONDS,
            }
        ]
    }


def abort_incomplete_upload_days(sidecar_abort_after_seconds: int) -> int:
    """Days after which S3 aborts an unfinished multipart upload: one day after the sidecar's
    own job would have (``s3video.jobs.multipart_abort_after_seconds``, 7 days by default),
    so the sidecar aborts and logs first and the rule only catches what it missed."""
    return math.ceil(sidecar_abort_after_seconds / DAY_SECONDS) + 1


def lifecycle_configuration(abort_after_days: int) -> BucketLifecycleConfigurationTypeDef:
    """Abort stale multipart uploads under ``videos/``; expire staging objects under ``uploads/``."""
    return {
        "Rules": [
            {
                "ID": LIFECYCLE_RULE_ID,
                "Status": "Enabled",
                "Filter": {"Prefix": VIDEO_PREFIX},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": abort_after_days},
            },
            {
                "ID": STAGING_RULE_ID,
                "Status": "Enabled",
                "Filter": {"Prefix": STAGING_PREFIX},
                "Expiration": {"Days": STAGING_EXPIRY_DAYS},
            },
        ]
    }


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def videos_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}/{VIDEO_PREFIX}*"


def posters_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}/{POSTER_PREFIX}*"


def staging_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}/{STAGING_PREFIX}*"


def bucket_policy(bucket: str, distribution_arn: str) -> JSON:
    """Only this CloudFront distribution (through OAC) may read the videos and their posters."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCloudFrontToReadVideos",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": [videos_arn(bucket), posters_arn(bucket)],
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            }
        ],
    }


def create_bucket(s3: S3Client, bucket: str, region: str) -> None:
    """Create the bucket (no error if this account already owns it)."""
    extra: JSON = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        s3.create_bucket(Bucket=bucket, **extra)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise


def configure_bucket(
    s3: S3Client, bucket: str, moodle_origins: Iterable[str], sidecar_abort_after_seconds: int = 7 * DAY_SECONDS
) -> None:
    """Block public access, disable ACLs, allow Moodle's uploads (CORS), abort stale multipart uploads."""
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": OBJECT_OWNERSHIP}]}
    )
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_configuration(moodle_origins))
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration=lifecycle_configuration(abort_incomplete_upload_days(sidecar_abort_after_seconds)),
    )


def allow_distribution_to_read(s3: S3Client, bucket: str, distribution_arn: str) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy(bucket, distribution_arn)))


# -- CloudFront --------------------------------------------------------------------------

# AWS's managed cache policy "CachingOptimized": no cookies, headers or query strings in the
# cache key, so the signing parameters of a signed URL do not split the cache.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"


# AWS's managed "SecurityHeadersPolicy": X-Content-Type-Options: nosniff (browsers never sniff a
# video into a page or a script), with HSTS, X-Frame-Options SAMEORIGIN and Referrer-Policy.
SECURITY_HEADERS_POLICY_ID = "67f7725c-6f97-4210-82d7-5512b31e9d03"
# The managed policies that send nosniff: SecurityHeadersPolicy, CORS-and-SecurityHeadersPolicy,
# CORS-With-Preflight-and-SecurityHeadersPolicy (AWS: "Use managed response headers policies").
NOSNIFF_MANAGED_POLICY_IDS = frozenset(
    {SECURITY_HEADERS_POLICY_ID, "e61eb60c-9c35-4d20-a928-2b84e02af89c", "eaab4381-ed33-4a86-88ca-d9558dc6cd63"}
)


def sends_nosniff(cloudfront: CloudFrontClient, cache_behavior: JSON) -> bool:
    """Whether a cache behavior's response headers policy adds ``X-Content-Type-Options: nosniff``."""
    policy_id = cache_behavior.get("ResponseHeadersPolicyId")
    if not policy_id:
        return False
    if policy_id in NOSNIFF_MANAGED_POLICY_IDS:
        return True
    policy = cloudfront.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"]
    config = policy["ResponseHeadersPolicyConfig"]
    return "ContentTypeOptions" in config.get("SecurityHeadersConfig", {})


@dataclass(frozen=True)
class SigningKey:
    public_key_id: str  # s3video.cloudfront.key_id
    key_group_id: str


@dataclass(frozen=True)
class Distribution:
    id: str
    arn: str
    domain_name: str  # s3video.cloudfront.domain


def load_or_generate_private_key(path: str | os.PathLike[str], kind: str = "rsa") -> cdn.PrivateKey:
    """The key pair at ``path`` if a run before this one made it (re-runs reuse it), else a new one."""
    if pathlib.Path(path).exists():
        return cdn.load_private_key(str(path))
    return cdn.generate_private_key(path, kind)


def _public_keys(cloudfront: CloudFrontClient) -> list[PublicKeySummaryTypeDef]:
    return cloudfront.list_public_keys().get("PublicKeyList", {}).get("Items") or []


def _key_groups(cloudfront: CloudFrontClient) -> list[KeyGroupTypeDef]:
    return [item["KeyGroup"] for item in cloudfront.list_key_groups().get("KeyGroupList", {}).get("Items") or []]


def _same_pem(one: str, other: str) -> bool:
    return "".join(one.split()) == "".join(other.split())


def create_signing_key(cloudfront: CloudFrontClient, private_key: cdn.PrivateKey, name: str) -> SigningKey:
    """Register the public half of ``private_key`` with CloudFront, in a key group of its own.

    Re-runnable: a public key and a key group named ``name`` from an earlier run are reused
    (a public key of that name holding another key is refused: it would sign nothing)."""
    encoded = cdn.public_key_pem(private_key)
    public_key_id = None
    for summary in _public_keys(cloudfront):
        if summary.get("Name") == name:
            held = cloudfront.get_public_key(Id=summary["Id"])["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
            if not _same_pem(held, encoded):
                raise ValueError(
                    f"CloudFront already holds a public key named {name!r} for another private key:"
                    " give the private key file of the first run, or another name"
                )
            public_key_id = summary["Id"]
    if public_key_id is None:
        public_key_id = cloudfront.create_public_key(
            PublicKeyConfig={
                "CallerReference": str(uuid.uuid4()),
                "Name": name,
                "EncodedKey": encoded,
                "Comment": "s3video playback URL signing",
            }
        )["PublicKey"]["Id"]
    for group in _key_groups(cloudfront):
        if group["KeyGroupConfig"]["Name"] == name:
            if public_key_id not in group["KeyGroupConfig"]["Items"]:
                raise ValueError(
                    f"the key group {name!r} does not hold the public key {public_key_id}: add it"
                    " (docs/deployment.md, key rotation) or use another name"
                )
            return SigningKey(public_key_id=public_key_id, key_group_id=group["Id"])
    key_group = cloudfront.create_key_group(
        KeyGroupConfig={
            "Name": name,
            "Items": [public_key_id],
            "Comment": "s3video playback URL signing",
        }
    )["KeyGroup"]
    return SigningKey(public_key_id=public_key_id, key_group_id=key_group["Id"])


def create_origin_access_control(cloudfront: CloudFrontClient, name: str) -> str:
    """The Origin Access Control named ``name`` (an earlier run's, or a new one)."""
    listed = cloudfront.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items") or []
    for summary in listed:
        if summary.get("Name") == name:
            return summary["Id"]
    return cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": name,
            "Description": "s3video: CloudFront signs its requests to the bucket",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]


def origin_domain(bucket: str, region: str) -> str:
    return f"{bucket}.s3.{region}.amazonaws.com"


def distribution_config(
    bucket: str,
    region: str,
    origin_access_control_id: str,
    key_group_id: str,
    price_class: PriceClassType = "PriceClass_100",
) -> DistributionConfigTypeDef:
    """A distribution that serves the bucket only through signed URLs (trusted key group), HTTPS only,
    every answer with ``X-Content-Type-Options: nosniff`` (AWS's managed security headers policy).

    ``PriceClass_100`` (North America and Europe edges) is the cheapest; choose
    ``PriceClass_All`` if students watch from elsewhere.
    """
    origin_id = f"s3video-{bucket}"
    return {
        "CallerReference": str(uuid.uuid4()),
        "Comment": f"s3video: videos of {bucket}",
        "Enabled": True,
        "PriceClass": price_class,
        "HttpVersion": "http2and3",
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": origin_id,
                    "DomainName": origin_domain(bucket, region),
                    "OriginAccessControlId": origin_access_control_id,
                    "S3OriginConfig": {"OriginAccessIdentity": ""},  # empty: OAC, not the legacy OAI
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": origin_id,
            "ViewerProtocolPolicy": "redirect-to-https",
            "TrustedKeyGroups": {"Enabled": True, "Quantity": 1, "Items": [key_group_id]},
            "AllowedMethods": {
                "Quantity": 2,
                "Items": ["GET", "HEAD"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            },
            "CachePolicyId": CACHING_OPTIMIZED_POLICY_ID,
            "ResponseHeadersPolicyId": SECURITY_HEADERS_POLICY_ID,  # nosniff on every answer
            "Compress": False,  # video is already compressed
        },
    }


def create_distribution(cloudfront: CloudFrontClient, config: DistributionConfigTypeDef) -> Distribution:
    """The distribution of ``config``: an earlier run's (same comment and origin), or a new one."""
    existing = find_setup_distribution(cloudfront, config)
    if existing is not None:
        return Distribution(id=existing["Id"], arn=existing["ARN"], domain_name=existing["DomainName"])
    created = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    return Distribution(id=created["Id"], arn=created["ARN"], domain_name=created["DomainName"])


def find_setup_distribution(
    cloudfront: CloudFrontClient, config: Mapping[str, Any]
) -> DistributionSummaryTypeDef | None:
    """The distribution a set-up run made for ``config``'s bucket (its comment and origin), or None."""
    origin = config["Origins"]["Items"][0]["DomainName"]
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            origins = [item["DomainName"] for item in summary.get("Origins", {}).get("Items", []) or []]
            if summary.get("Comment") == config["Comment"] and origin in origins:
                return summary
    return None


def find_distribution(cloudfront: CloudFrontClient, domain: str) -> DistributionSummaryTypeDef | None:
    """The distribution (its ``list_distributions`` summary) answering on ``domain``, or None."""
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            aliases = summary.get("Aliases", {}).get("Items", []) or []
            if domain == summary["DomainName"] or domain in aliases:
                return summary
    return None


# -- IAM ----------------------------------------------------------------------------------

# Every boto3 operation the sidecar calls -> the IAM action it needs.
S3_OPERATION_ACTIONS = {
    "generate_presigned_post": "s3:PutObject",
    "create_multipart_upload": "s3:PutObject",
    "upload_part": "s3:PutObject",
    "complete_multipart_upload": "s3:PutObject",
    "copy_object": "s3:PutObject",  # confirm: also s3:GetObject on the staging source (head_object's)
    "put_object": "s3:PutObject",  # the probe's poster frames, under posters/
    "list_parts": "s3:ListMultipartUploadParts",
    "abort_multipart_upload": "s3:AbortMultipartUpload",
    "list_multipart_uploads": "s3:ListBucketMultipartUploads",
    "head_object": "s3:GetObject",  # with s3:ListBucket, a missing key is a 404, not a 403
    "get_object": "s3:GetObject",
    "delete_objects": "s3:DeleteObject",
    "list_objects_v2": "s3:ListBucket",  # the reconciler
    "head_bucket": "s3:ListBucket",  # GET /health
}
# Only with s3video.cloudfront.invalidate = true (off by default: keys are never reused).
CLOUDFRONT_OPERATION_ACTIONS = {"create_invalidation": "cloudfront:CreateInvalidation"}
OPERATION_ACTIONS = {**S3_OPERATION_ACTIONS, **CLOUDFRONT_OPERATION_ACTIONS}
BUCKET_LEVEL_ACTIONS = frozenset({"s3:ListBucket", "s3:ListBucketMultipartUploads"})
INVALIDATION_ACTION = "cloudfront:CreateInvalidation"


def sidecar_actions(invalidation: bool = False) -> tuple[str, ...]:
    """The IAM actions the sidecar calls; CreateInvalidation only when it invalidates."""
    actions = set(S3_OPERATION_ACTIONS.values())
    if invalidation:
        actions |= set(CLOUDFRONT_OPERATION_ACTIONS.values())
    return tuple(sorted(actions))


def action_resource(bucket: str, action: str, distribution_arn: str | None = None) -> str:
    """The ARN an action is checked against: the distribution, the bucket, or an object under ``videos/``."""
    if action == INVALIDATION_ACTION:
        if not distribution_arn:
            raise ValueError("CreateInvalidation is checked against a distribution: give its ARN")
        return distribution_arn
    if action in BUCKET_LEVEL_ACTIONS:
        return bucket_arn(bucket)
    return f"arn:aws:s3:::{bucket}/{VIDEO_PREFIX}0/doctor-check.mp4"


def sidecar_policy(bucket: str, invalidation_distribution_arn: str | None = None) -> JSON:
    """The least-privilege IAM policy of the sidecar's identity (with the invalidation
    statement when the sidecar is to invalidate that distribution)."""
    object_actions = sorted(a for a in sidecar_actions() if a not in BUCKET_LEVEL_ACTIONS)
    statements = [
        {
            "Sid": "VideoObjects",
            "Effect": "Allow",
            "Action": object_actions,
            "Resource": [videos_arn(bucket), posters_arn(bucket), staging_arn(bucket)],
        },
        {
            "Sid": "VideoBucket",
            "Effect": "Allow",
            "Action": sorted(BUCKET_LEVEL_ACTIONS),
            "Resource": bucket_arn(bucket),
        },
    ]
    if invalidation_distribution_arn:
        statements.append(
            {
                "Sid": "InvalidateDeletedVideos",
                "Effect": "Allow",
                "Action": [INVALIDATION_ACTION],
                "Resource": invalidation_distribution_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def create_sidecar_policy(
    iam: IAMClient, bucket: str, name: str, invalidation_distribution_arn: str | None = None
) -> str:
    """Create the managed policy (or, on a re-run, bring an earlier run's up to date with a new
    default version); return its ARN (attach it to the sidecar's user or role)."""
    document = json.dumps(sidecar_policy(bucket, invalidation_distribution_arn))
    try:
        return iam.create_policy(
            PolicyName=name, PolicyDocument=document, Description="s3video sidecar: exactly the S3 actions it calls"
        )["Policy"]["Arn"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "EntityAlreadyExists":
            raise
    arn = _local_policy_arn(iam, name)
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    current = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    held = current["Document"]
    held = json.loads(unquote(held)) if isinstance(held, str) else held
    if held != json.loads(document):
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        if len(versions) >= 5:  # IAM keeps five: drop the oldest that is not the default
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
    return arn


def _local_policy_arn(iam: IAMClient, name: str) -> str:
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            if policy["PolicyName"] == name:
                return policy["Arn"]
    raise LookupError(f"IAM policy {name} exists but cannot be listed")


# -- the ini ------------------------------------------------------------------------------


def production_settings(
    *,
    bucket: str,
    region: str,
    moodle_origins: Iterable[str],
    distribution_domain: str,
    distribution_id: str,
    key_id: str,
    private_key_file: str,
    invalidation: bool = False,
    hash_algorithm: str = "sha256",
) -> str:
    """The ``[app:main]`` lines of production.ini that match what was created."""
    lines = [
        "# AWS resources (written by notebooks/aws_setup.ipynb; check them with s3video-admin doctor)",
        "s3video.storage = aws",
        f"s3video.bucket = {bucket}",
        f"s3video.region = {region}",
        f"s3video.moodle_origin = {' '.join(moodle_origins)}",
        "s3video.cdn = cloudfront",
        f"s3video.cloudfront.domain = {distribution_domain}",
        f"s3video.cloudfront.key_id = {key_id}",
        f"s3video.cloudfront.private_key_file = {private_key_file}",
        f"s3video.cloudfront.hash_algorithm = {hash_algorithm}",
        f"s3video.cloudfront.distribution_id = {distribution_id}",
        "# Invalidating deleted videos is optional (keys are never reused); turning it on needs the",
        "# sidecar policy's cloudfront:CreateInvalidation statement (set_up(..., invalidation=True)).",
        f"s3video.cloudfront.invalidate = {'true' if invalidation else 'false'}",
    ]
    return "\n".join(lines) + "\n"


# -- moto, the notebook's default account ----------------------------------------------------


def simulated_aws() -> Any:
    """Start moto's in-memory AWS (fake credentials included) and return it; call ``.stop()`` after.

    moto 5.2 drops an origin's ``OriginAccessControlId`` from the distributions it stores;
    the wrapper below keeps it, so the doctor sees in moto what it would see in AWS.
    """
    from moto import mock_aws
    from moto.cloudfront import models as cloudfront_models

    origin_class = cloudfront_models.Origin
    if not getattr(origin_class, "_s3video_keeps_oac", False):
        original_init = origin_class.__init__

        def init(self: Any, origin: JSON) -> None:
            original_init(self, origin)
            if not getattr(self, "origin_access_control_id", None):
                self.origin_access_control_id = origin.get("OriginAccessControlId", "")

        origin_class.__init__ = init  # type: ignore[method-assign]  # moto's class, patched as said above
        origin_class._s3video_keeps_oac = True  # type: ignore[attr-defined]  # our mark: patched once
    mock = mock_aws()
    mock.start()
    return mock


# -- everything, in order ------------------------------------------------------------------


@dataclass(frozen=True)
class SetupResult:
    bucket: str
    region: str
    moodle_origins: tuple[str, ...]
    distribution: Distribution
    signing_key: SigningKey
    policy_arn: str
    private_key_file: str
    invalidation: bool = False

    def production_settings(self) -> str:
        return production_settings(
            bucket=self.bucket,
            region=self.region,
            moodle_origins=self.moodle_origins,
            distribution_domain=self.distribution.domain_name,
            distribution_id=self.distribution.id,
            key_id=self.signing_key.public_key_id,
            private_key_file=self.private_key_file,
            invalidation=self.invalidation,
        )


def set_up(
    session: boto3.session.Session,
    *,
    bucket: str,
    region: str,
    moodle_origins: Iterable[str],
    private_key_file: str,
    name: str = "s3video",
    sidecar_abort_after_seconds: int = 7 * DAY_SECONDS,
    key_kind: str = "rsa",
    invalidation: bool = False,
) -> SetupResult:
    """Every step of notebooks/aws_setup.ipynb, in its order, for scripts and tests.

    Re-runnable and resumable: every step finds what an earlier (or half-failed) run made,
    by name (key pair file, public key, key group, Origin Access Control, IAM policy) or by
    the distribution's comment and origin, and creates only what is missing. Generates the
    CloudFront key pair at ``private_key_file`` (mode 0600) unless it exists. The sidecar policy
    is created but attached to no one: attach it to the sidecar's user or role.
    """
    s3, cloudfront, iam = session.client("s3"), session.client("cloudfront"), session.client("iam")
    create_bucket(s3, bucket, region)
    configure_bucket(s3, bucket, moodle_origins, sidecar_abort_after_seconds)
    private_key = load_or_generate_private_key(private_key_file, key_kind)
    signing_key = create_signing_key(cloudfront, private_key, name)
    control_id = create_origin_access_control(cloudfront, name)
    distribution = create_distribution(
        cloudfront, distribution_config(bucket, region, control_id, signing_key.key_group_id)
    )
    allow_distribution_to_read(s3, bucket, distribution.arn)
    policy_arn = create_sidecar_policy(iam, bucket, f"{name}-sidecar", distribution.arn if invalidation else None)
    return SetupResult(
        bucket,
        region,
        tuple(moodle_origins),
        distribution,
        signing_key,
        policy_arn,
        str(private_key_file),
        invalidation,
    )


def attach_sidecar_policy(
    iam: IAMClient, policy_arn: str, *, user_name: str | None = None, role_name: str | None = None
) -> str:
    """Attach the policy to the sidecar's role (which must exist), or to its user (created if
    missing, without access keys: create those yourself, and keep them out of the ini).
    Returns the principal's ARN, for ``s3video-admin doctor --principal-arn``."""
    if bool(user_name) == bool(role_name):
        raise ValueError("give the sidecar's user_name or its role_name")
    if role_name:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
        return iam.get_role(RoleName=role_name)["Role"]["Arn"]
    assert user_name  # one of the two, checked above
    try:
        arn = iam.get_user(UserName=user_name)["User"]["Arn"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        arn = iam.create_user(UserName=user_name)["User"]["Arn"]
    iam.attach_user_policy(UserName=user_name, PolicyArn=policy_arn)
    return arn


# -- teardown -------------------------------------------------------------------------------


@dataclass
class TearDown:
    done: list[str]
    left: list[str]  # what a later run must finish (a distribution deploys for minutes before it can go)

    @property
    def finished(self) -> bool:
        return not self.left


def tear_down(
    session: boto3.session.Session, *, bucket: str, region: str, name: str = "s3video", delete_bucket: bool = False
) -> TearDown:
    """Undo :func:`set_up`, as far as AWS allows now; run it again until ``finished``.

    The distribution is first disabled, and deleted by a later run once CloudFront has
    deployed that (minutes); the key group, public key and Origin Access Control go after it.
    The IAM policy is detached from every user, role and group and deleted (the user itself
    stays). The bucket is deleted only with ``delete_bucket`` and only when empty: videos are
    never deleted here. The private key file is left to you.
    """
    s3, cloudfront, iam = session.client("s3"), session.client("cloudfront"), session.client("iam")
    result = TearDown([], [])

    def step(description: str, action: Callable[[], object]) -> None:
        try:
            action()
            result.done.append(description)
        except (ClientError, NotImplementedError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else "not supported"
            result.left.append(f"{description}: {code}")

    probe = {
        "Comment": f"s3video: videos of {bucket}",
        "Origins": {"Items": [{"DomainName": origin_domain(bucket, region)}]},
    }
    distribution = find_setup_distribution(cloudfront, probe)
    if distribution is not None:
        answer = cloudfront.get_distribution_config(Id=distribution["Id"])
        config, etag = answer["DistributionConfig"], answer["ETag"]
        if config["Enabled"]:
            config["Enabled"] = False
            cloudfront.update_distribution(Id=distribution["Id"], IfMatch=etag, DistributionConfig=config)
            result.done.append(f"distribution {distribution['Id']} disabled")
            result.left.append(
                f"distribution {distribution['Id']}: run tear_down again once it is deployed"
                " (a few minutes) to delete it"
            )
        elif distribution.get("Status") != "Deployed":
            result.left.append(f"distribution {distribution['Id']}: still deploying; run tear_down again")
        else:
            step(
                f"distribution {distribution['Id']} deleted",
                lambda: cloudfront.delete_distribution(Id=distribution["Id"], IfMatch=etag),
            )
    if not any(item.startswith("distribution") for item in result.left):
        _delete_cloudfront_pieces(cloudfront, name, step)
    _delete_policy(iam, f"{name}-sidecar", step)
    if delete_bucket:
        held = s3.list_objects_v2(Bucket=bucket, MaxKeys=1).get("KeyCount", 0)
        if held:
            result.left.append(f"bucket {bucket}: holds objects (videos); empty it yourself if you mean it")
        else:
            step(f"bucket {bucket} deleted", lambda: s3.delete_bucket(Bucket=bucket))
    return result


def _delete_cloudfront_pieces(cloudfront: CloudFrontClient, name: str, step: Step) -> None:
    for group in _key_groups(cloudfront):
        if group["KeyGroupConfig"]["Name"] == name:
            etag = cloudfront.get_key_group(Id=group["Id"])["ETag"]
            step(f"key group {group['Id']} deleted", partial(cloudfront.delete_key_group, Id=group["Id"], IfMatch=etag))
    for key in _public_keys(cloudfront):
        if key.get("Name") == name:
            etag = cloudfront.get_public_key(Id=key["Id"])["ETag"]
            step(f"public key {key['Id']} deleted", partial(cloudfront.delete_public_key, Id=key["Id"], IfMatch=etag))
    listed = cloudfront.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items") or []
    for control in listed:
        if control.get("Name") == name:
            etag = cloudfront.get_origin_access_control(Id=control["Id"])["ETag"]
            step(
                f"origin access control {control['Id']} deleted",
                partial(cloudfront.delete_origin_access_control, Id=control["Id"], IfMatch=etag),
            )


def _delete_policy(iam: IAMClient, name: str, step: Step) -> None:
    try:
        arn = _local_policy_arn(iam, name)
    except LookupError:
        return
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    for user in entities.get("PolicyUsers", []):
        iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    for role in entities.get("PolicyRoles", []):
        iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    for group in entities.get("PolicyGroups", []):
        iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    step(f"IAM policy {name} deleted", lambda: iam.delete_policy(PolicyArn=arn))
