"""The SDK's cost per call against the libraries it wraps, called directly (the floor).

- presigned POST: ``S3Storage.presigned_post`` against boto3's ``generate_presigned_post``
  with the same fields and conditions;
- part URLs: ``S3Storage.presigned_part_url`` (with a part's SHA-256 signed in) against
  boto3's ``generate_presigned_url("upload_part", ...)`` with the same parameters;
- CloudFront signed URLs: ``UrlSigner.sign`` against botocore's ``CloudFrontSigner`` with
  the same key, for RSA-2048/SHA-1, RSA-2048/SHA-256 and ECDSA P-256/SHA-256, and the
  bare signature alone;
- S3V1: signing a request's headers and verifying them (HMAC-SHA256).

No network: presigning and URL signing are local computations.

Times are this process's CPU (``time.process_time``): a busy machine delays a call, but does not make
it cost more CPU. Each pair is measured **interleaved**: rounds of ``number`` calls alternate between the SDK and
its peer (the order flipped every round), and the ratio is taken round by round, so a busy
neighbour slows both sides alike. The table gives the median of the per-round times, the median
ratio and its range over the rounds (the noise).
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics
import time
import timeit
from dataclasses import dataclass

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from s3video_sidecar.sdk import cdn, signing
from s3video_sidecar.sdk.storage import S3Storage, make_s3_client

KEY = "videos/123/1700000000_0123456789abcdef/talk.mp4"
MAX_BYTES = 10 * 1024**3


ROUNDS = 9


@dataclass
class Cost:
    name: str
    sdk_us: float
    floor_us: float | None
    floor_name: str = ""
    ratio: float | None = None  # the median of the per-round ratios
    ratio_range: tuple[float, float] | None = None


def per_call_us(function, number: int, repeat: int = 5) -> float:
    """Median over ``repeat`` rounds of the mean time of one call, in microseconds."""
    function()  # warm caches (botocore loads its service model on first use)
    rounds = timeit.repeat(function, number=number, repeat=repeat, timer=time.process_time)
    return statistics.median(rounds) / number * 1e6


def paired(name: str, sdk, direct, direct_name: str, number: int, rounds: int = ROUNDS) -> Cost:
    """``sdk`` against ``direct``, interleaved round by round; see the module's docstring."""
    sdk(), direct()  # warm caches (botocore loads its service model on first use)
    sdk_rounds, direct_rounds = [], []
    for round_number in range(rounds):
        order = ((sdk, sdk_rounds), (direct, direct_rounds))
        for function, into in order if round_number % 2 == 0 else reversed(order):
            into.append(timeit.timeit(function, number=number, timer=time.process_time) / number * 1e6)
    ratios = [a / b for a, b in zip(sdk_rounds, direct_rounds, strict=True)]
    return Cost(
        name,
        statistics.median(sdk_rounds),
        statistics.median(direct_rounds),
        direct_name,
        statistics.median(ratios),
        (min(ratios), max(ratios)),
    )


def presigned_post_costs(number: int) -> list[Cost]:
    client = make_s3_client(
        "us-east-1", "http://127.0.0.1:9", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret-example"
    )
    storage = S3Storage(client, "bench-bucket")

    def direct():
        client.generate_presigned_post(
            Bucket="bench-bucket",
            Key=KEY,
            Fields={"Content-Type": "video/mp4"},
            Conditions=[{"Content-Type": "video/mp4"}, ["content-length-range", 1, MAX_BYTES]],
            ExpiresIn=3600,
        )

    def sdk():
        storage.presigned_post(KEY, "video/mp4", MAX_BYTES, 3600)

    checksum = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

    def direct_part():
        client.generate_presigned_url(
            "upload_part",
            ExpiresIn=3600,
            Params={
                "Bucket": "bench-bucket",
                "Key": KEY,
                "UploadId": "upload-1",
                "PartNumber": 7,
                "ChecksumSHA256": checksum,
            },
        )

    def sdk_part():
        storage.presigned_part_url(KEY, "upload-1", 7, 3600, checksum)

    return [
        paired("presigned POST", sdk, direct, "boto3 generate_presigned_post", number),
        paired(
            "part URL (presigned UploadPart, SHA-256 signed in)",
            sdk_part,
            direct_part,
            "boto3 generate_presigned_url",
            number,
        ),
    ]


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
        costs.append(
            paired(
                f"CloudFront URL, {label}",
                functools.partial(sdk_signer.sign, url, expires),
                functools.partial(direct_signer.generate_presigned_url, url, date_less_than=when),
                "botocore CloudFrontSigner",
                number,
            )
        )
        costs.append(
            Cost(f"  the signature alone, {label}", per_call_us(functools.partial(raw_sign, policy), number), None)
        )
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
        Cost(
            "S3V1 sign (client)",
            per_call_us(lambda: signing.sign_headers("k", "s" * 32, "POST", path, "", actor, body), number),
            None,
        ),
        Cost(
            "S3V1 verify (sidecar, nonce store aside)",
            per_call_us(lambda: signing.verify(request, keys, now=now), number),
            None,
        ),
    ]


def run(number: int = 500, log=print) -> list[Cost]:
    costs = presigned_post_costs(number) + cloudfront_costs(number) + s3v1_costs(number)
    for cost in costs:
        floor = (
            (
                f"  direct {cost.floor_us:7.1f} µs ({cost.floor_name})  ratio {cost.ratio:.2f}"
                f" ({cost.ratio_range[0]:.2f}-{cost.ratio_range[1]:.2f})"
            )
            if cost.floor_us
            else ""
        )
        log(f"sdk: {cost.name:<52} {cost.sdk_us:7.1f} µs{floor}")
    return costs


def report(costs: list[Cost]) -> list[str]:
    lines = [
        f"| operation | SDK µs/call | direct µs/call | SDK / direct (median of {ROUNDS} paired rounds) |"
        f" ratio's range |",
        "|---|---:|---:|---:|---:|",
    ]
    for cost in costs:
        if cost.floor_us:
            lines.append(
                f"| {cost.name} ({cost.floor_name} direct) | {cost.sdk_us:.1f} | {cost.floor_us:.1f} |"
                f" {cost.ratio:.2f} | {cost.ratio_range[0]:.2f}–{cost.ratio_range[1]:.2f} |"
            )
        else:
            lines.append(f"| {cost.name.strip()} | {cost.sdk_us:.1f} | | | |")
    return lines
