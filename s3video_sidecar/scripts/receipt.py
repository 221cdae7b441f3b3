"""``s3video-admin verify-receipt FILE --sha256 RECEIPT [--part-size BYTES]``: settle a dispute.

Recomputes from a local file the SHA-256 the sidecar recorded when the video was
confirmed (``checksum_sha256`` in the API's answers, shown to student and teacher) and
says whether they match. A ``-N`` receipt is a multipart upload's composite checksum;
without ``--part-size`` every part size the sidecar could have chosen is tried.
Needs no ini: nothing but the file and the receipt is read.
"""

from __future__ import annotations

from ..sdk.receipt import full_object_sha256, verify_receipt


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "verify-receipt", help="check a local file against a submission receipt", description=__doc__.splitlines()[0]
    )
    parser.add_argument("file", help="the video file to check")
    parser.add_argument("--sha256", required=True, help="the receipt's checksum_sha256 (base64, maybe -N)")
    parser.add_argument("--part-size", type=int, help="a multipart upload's part size in bytes (optional)")
    parser.set_defaults(func=run)


def run(args) -> int:
    try:
        matches = verify_receipt(args.file, args.sha256, args.part_size)
    except (OSError, ValueError) as exc:
        print(f"s3video-admin verify-receipt: {exc}")
        return 2
    if matches:
        print(f"match: {args.file} is the video the receipt {args.sha256} names")
        return 0
    print(
        f"no match: {args.file} is not the video of receipt {args.sha256}"
        f" (its whole-file SHA-256 is {full_object_sha256(args.file)})"
    )
    return 1
