"""CloudFront invalidation after deletion: batched, and a failure keeps the rows ``deleting``.

CloudFront is moto's, served over HTTP by a ``ThreadedMotoServer`` for this module. (moto does not
honour ``CallerReference``, so the batch-sent-twice rule is checked in ``tests/unit/tasks``.)
"""

import secrets

import pytest
from moto.server import ThreadedMotoServer

from s3video_sidecar.sdk.invalidation import CloudFrontInvalidator, make_cloudfront_client
from tests.support.apps import free_port
from tests.support.jobs import count_calls


@pytest.fixture(scope="module")
def cloudfront():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = make_cloudfront_client(
        f"http://{host}:{port}", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    distribution = client.create_distribution(
        DistributionConfig={
            # moto's backends live as long as the process: a fixture set up again needs a new reference
            "CallerReference": f"s3video-test-{secrets.token_hex(4)}",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": "videos.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "https-only",
                "TrustedKeyGroups": {"Enabled": False, "Quantity": 0},
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )["Distribution"]
    yield client, distribution["Id"]
    server.stop()


@pytest.fixture(autouse=True)
def _clean(world):
    world.reset()


def invalidated_paths(client, distribution_id):
    paths = []
    for summary in client.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", []):
        batch = client.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])
        paths += batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    return paths


def test_deleted_videos_are_invalidated_in_batches_once(world, cloudfront):
    client, distribution_id = cloudfront
    already = len(invalidated_paths(client, distribution_id))
    keys = world.add_videos(1200)
    runner = world.runner(invalidator=CloudFrontInvalidator(client, distribution_id, batch_size=400))

    with count_calls(client, "CreateInvalidation") as calls, count_calls(world.s3, "DeleteObjects") as deletes:
        report = runner.run("cleanup")
    # per DeleteObjects chunk (1,000 rows, then 200): its keys in batches of 400
    assert deletes["calls"] == 2 and calls["sizes"] == [400, 400, 200, 200]
    assert report.counts["invalidations"] == 4 and report.counts["deleted"] == 1200
    paths = invalidated_paths(client, distribution_id)[already:]
    assert sorted(paths) == sorted(f"/{key}" for key in keys)

    with count_calls(client, "CreateInvalidation") as again:
        runner.run("cleanup")
    assert again["calls"] == 0


def test_a_cloudfront_failure_keeps_the_rows_deleting_until_a_run_invalidates_them(world, cloudfront):
    client, distribution_id = cloudfront
    keys = world.add_videos(3)
    broken = world.runner(invalidator=CloudFrontInvalidator(client, "E0NOSUCHDIST", batch_size=1000))

    report = broken.run("cleanup")
    assert report.errors and "NoSuchDistribution" in report.errors[0]
    assert world.statuses() == {"deleting": 3} and world.object_keys() == set()  # deleted, not yet invalidated
    assert sorted(world.audit().dangling) == sorted(keys)

    fixed = world.runner(invalidator=CloudFrontInvalidator(client, distribution_id, batch_size=1000))
    with count_calls(client, "CreateInvalidation") as calls:
        assert fixed.run("cleanup").counts["deleted"] == 3
    assert calls["calls"] == 1
    assert world.audit().ok
