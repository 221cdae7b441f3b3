"""The SDK's cost per call against the libraries it wraps, called directly (the floor).

- presigned POST: ``S3Storage.presigned_post`` against boto3's ``generate_presigned_post``
  with the same fields and conditions;
- CloudFront signed URLs: ``UrlSigner.sign`` against botocore's ``CloudFrontSigner`` with
  the same key, for RSA-2048/SHA-1, RSA-2048/SHA-256 and ECDSA P-256/SHA-256, and the
  bare signature alone;
- S3V1: signing a request's headers and verifying them (HMAC-SHA256).

No network: presigning and URL signing are local computations.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import timeit
from dataclasses import dataclass
from functools import partial

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from s3video_sidecar.sdk import cdn, signing
from s3video_sidecar.sdk.storage import S3Storage, make_s3_client

KEY = "videos/123/1700000000_0123456789abcdef/talk.mp4"
MAX_BYTES = 10 * 1024**3


@dataclass
class Cost:
    name: str
    sdk_us: float
    floor_us: float | None
    floor_name: str = ""


def per_call_us(function, number: int, repeat: int = 5) -> float:
    """Median over ``repeat`` rounds of the mean time of one call, in microseconds."""
    function()  # warm caches (botocore loads its service model on first use)
    rounds = timeit.repeat(function, number=number, repeat=repeat)
    return statistics.median(rounds) / number * 1e6


def presigned_post_costs(number: int) -> list[Cost]:
    client = make_s3_client("us-east-1", "http://127.0.0.1:9", aws_access_key_id="AKIDEXAMPLE",
                            aws_secret_access_key="secret-example")
    storage = S3Storage(client, "bench-bucket")

    def direct():
        client.generate_presigned_post(
            Bucket="bench-bucket", Key=KEY, Fields={"Content-Type": "video/mp4"},
            Conditions=[{"Content-Type": "video/mp4"}, ["content-length-range", 1, MAX_BYTES]], ExpiresIn=3600)

    def sdk():
        storage.presigned_post(KEY, "video/mp4", MAX_BYTES, 3600)

    return [Cost("presigned POST", per_call_us(sdk, number), per_call_us(direct, number),
                 "boto3 generate_presigned_post")]


def cloudfront_costs(number: int) -> list[Cost]:
    costs = []
    url = cdn.resource_url("https://d111111abcdef8.cloudfront.net", KEY)
    expires = int(time.time()) + 3600
    keys = {
        "RSA-2048/SHA-1": (rsa.generate_private_key(65537, 2048), "sha1"),
        "RSA-2048/SHA-256": (rsa.generate_private_key(65537, 2048), "sha256"),
        "ECDSA P-256/SHA-256": (ec.generate_private_key(ec.SECP256R1()), "sha256"),
    }
    for label, (key, hash_name) in keys.items():
        algorithm = cdn.HASH_ALGORITHMS[hash_name]()
        if isinstance(key, rsa.RSAPrivateKey):
            def raw_sign(message, key=key, algorithm=algorithm):
                return key.sign(message, padding.PKCS1v15(), algorithm)
        else:
            def raw_sign(message, key=key, algorithm=algorithm):
                return key.sign(message, ec.ECDSA(algorithm))
        direct_signer = CloudFrontSigner("KEYID", raw_sign)
        when = dt.datetime.fromtimestamp(expires, tz=dt.UTC)
        sdk_signer = cdn.UrlSigner("KEYID", key, hash_name)
        policy = cdn.canned_policy(url, expires)
        costs.append(Cost(f"CloudFront URL, {label}",
                          per_call_us(partial(sdk_signer.sign, url, expires), number),
                          per_call_us(partial(direct_signer.generate_presigned_url, url, date_less_than=when), number),
                          "botocore CloudFrontSigner"))
        costs.append(Cost(f"  the signature alone, {label}", per_call_us(partial(raw_sign, policy), number), None))
    return costs


def s3v1_costs(number: int) -> list[Cost]:
    actor = signing.encode_actor(123, ["student"], 9)
    body = b'{"filename":"talk.mp4","size":1000,"mime_type":"video/mp4"}'
    path = "/assignments/7/submissions/42/upload-url"
    headers = signing.sign_headers("k", "s" * 32, "POST", path, "", actor, body)
    request = signing.SignedRequest("POST", path, "", headers, body)
    keys = {"k": "s" * 32}
    now = time.time()
    return [
        Cost("S3V1 sign (client)", per_call_us(
            lambda: signing.sign_headers("k", "s" * 32, "POST", path, "", actor, body), number), None),
        Cost("S3V1 verify (sidecar, nonce store aside)", per_call_us(
            lambda: signing.verify(request, keys, now=now), number), None),
    ]


def run(number: int = 2000, log=print) -> list[Cost]:
    costs = presigned_post_costs(number) + cloudfront_costs(number) + s3v1_costs(number)
    for cost in costs:
        floor = f"  floor {cost.floor_us:7.1f} µs ({cost.floor_name})" if cost.floor_us else ""
        log(f"sdk: {cost.name:<42} {cost.sdk_us:7.1f} µs{floor}")
    return costs


def report(costs: list[Cost]) -> list[str]:
    lines = ["| operation | SDK µs/call | direct µs/call | SDK / direct |", "|---|---:|---:|---:|"]
    for cost in costs:
        if cost.floor_us:
            lines.append(f"| {cost.name} ({cost.floor_name} direct) | {cost.sdk_us:.1f} | {cost.floor_us:.1f} |"
                         f" {cost.sdk_us / cost.floor_us:.2f} |")
        else:
            lines.append(f"| {cost.name.strip()} | {cost.sdk_us:.1f} | | |")
    return lines
