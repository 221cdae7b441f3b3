"""CloudFront invalidation of deleted videos: optional, batched, idempotent.

Keys are unique and never reused, and playback URLs are signed and short-lived, so a
deleted video is unreachable without invalidating anything: a cached copy can only be
fetched with a signed URL issued before the deletion, until it expires. Invalidation
(``s3video.cloudfront.invalidate``, off by default) only shortens that window, at
$0.005 a path past the first 1,000 a month.

Rules:

- Paths are the objects' URL paths exactly as playback URLs name them
  (:func:`~s3video_sidecar.sdk.cdn.resource_url`), in batches of ``batch_size``
  (CloudFront allows 3,000 paths in progress per distribution).
- A batch's ``CallerReference`` is a digest of its paths: sending the same batch again
  (a run that stopped before marking its rows ``deleted``) returns the invalidation
  already made instead of paying for a second one.
- CloudFront errors become :class:`~s3video_sidecar.sdk.errors.Unavailable`; botocore's
  ``standard`` retry mode retries throttling and 5xx first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .cdn import resource_url
from .errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient


def make_cloudfront_client(endpoint_url: str | None = None, **credentials: Any) -> CloudFrontClient:
    config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=30)
    # CloudFront is a global service: its API lives in us-east-1.
    return boto3.session.Session().client(
        "cloudfront", region_name="us-east-1", endpoint_url=endpoint_url, config=config, **credentials
    )


class CloudFrontInvalidator:
    def __init__(self, client: CloudFrontClient, distribution_id: str, batch_size: int = 1000) -> None:
        self.client = client
        self.distribution_id = distribution_id
        self.batch_size = batch_size

    def invalidate(self, s3_keys: Iterable[str]) -> int:
        """Invalidate the keys' paths; return the number of invalidation requests made."""
        paths = sorted({resource_url("", key) for key in s3_keys})
        batches = [paths[start : start + self.batch_size] for start in range(0, len(paths), self.batch_size)]
        for batch in batches:
            reference = "s3video-" + hashlib.sha256("\n".join(batch).encode("utf-8")).hexdigest()[:40]
            try:
                self.client.create_invalidation(
                    DistributionId=self.distribution_id,
                    InvalidationBatch={"Paths": {"Quantity": len(batch), "Items": batch}, "CallerReference": reference},
                )
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "error")
                raise Unavailable(
                    f"CloudFront refused an invalidation ({code}); it will be retried", code=code
                ) from None
            except BotoCoreError:
                raise Unavailable(
                    "CloudFront cannot be reached; the invalidation will be retried", code="unreachable"
                ) from None
        return len(batches)
