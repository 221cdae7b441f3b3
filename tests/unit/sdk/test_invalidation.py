"""CloudFront invalidation requests: paths, batches, and a CallerReference that makes a resend free."""

import pytest
from botocore.stub import Stubber

from s3video_sidecar.sdk.errors import Unavailable
from s3video_sidecar.sdk.invalidation import CloudFrontInvalidator, make_cloudfront_client


class RecordingClient:
    def __init__(self):
        self.batches = []

    def create_invalidation(self, DistributionId, InvalidationBatch):
        self.batches.append((DistributionId, InvalidationBatch))


def test_paths_are_the_playback_paths_in_batches():
    client = RecordingClient()
    keys = [f"videos/7/1700000000_0123456789abcdef/clip {n}.mp4" for n in range(5)]
    assert CloudFrontInvalidator(client, "E1", batch_size=2).invalidate(keys + keys[:1]) == 3
    sizes = [batch["Paths"]["Quantity"] for _, batch in client.batches]
    assert sizes == [2, 2, 1]
    paths = [path for _, batch in client.batches for path in batch["Paths"]["Items"]]
    assert sorted(paths) == sorted(f"/videos/7/1700000000_0123456789abcdef/clip%20{n}.mp4" for n in range(5))


def test_the_same_batch_carries_the_same_caller_reference():
    client = RecordingClient()
    invalidator = CloudFrontInvalidator(client, "E1")
    invalidator.invalidate(["videos/1/a.mp4", "videos/1/b.mp4"])
    invalidator.invalidate(["videos/1/b.mp4", "videos/1/a.mp4"])  # a run that stopped before marking, again
    invalidator.invalidate(["videos/1/c.mp4"])
    references = [batch["CallerReference"] for _, batch in client.batches]
    assert references[0] == references[1] != references[2]


def test_cloudfront_errors_become_unavailable():
    client = make_cloudfront_client(aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        stubber.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", http_status_code=400)
        with pytest.raises(Unavailable, match="TooManyInvalidationsInProgress"):
            CloudFrontInvalidator(client, "E1").invalidate(["videos/1/a.mp4"])
