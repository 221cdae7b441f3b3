"""Receipts: recomputing S3's full-object and composite SHA-256 from a local file."""

import base64
import hashlib

import pytest

from s3video_sidecar.scripts.admin import main as admin_main
from s3video_sidecar.sdk import receipt

MIB = 1024**2


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def composite(parts) -> str:
    return b64(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()) + f"-{len(parts)}"


DATA = bytes(range(256)) * (11 * MIB // 256) + b"tail"  # 11 MiB + 4 bytes


def test_full_object_is_the_sha256_of_the_whole_file(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    expected = b64(hashlib.sha256(DATA).digest())
    assert receipt.full_object_sha256(path) == receipt.full_object_sha256(DATA) == expected
    assert receipt.verify_receipt(path, expected)
    assert not receipt.verify_receipt(path, b64(hashlib.sha256(DATA + b"!").digest()))


@pytest.mark.parametrize("part_size", [5 * MIB, 6 * MIB, 11 * MIB + 4, 16 * MIB])
def test_composite_is_s3s_checksum_of_checksums(tmp_path, part_size):
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    parts = [DATA[i : i + part_size] for i in range(0, len(DATA), part_size)]
    assert receipt.composite_sha256(path, part_size) == composite(parts)


def test_a_composite_receipt_is_verified_without_knowing_the_part_size(tmp_path):
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    three_parts = composite([DATA[: 5 * MIB], DATA[5 * MIB : 10 * MIB], DATA[10 * MIB :]])
    assert receipt.candidate_part_sizes(len(DATA), 3) == [5 * MIB]
    assert receipt.verify_receipt(path, three_parts)
    assert receipt.verify_receipt(path, three_parts, part_size=5 * MIB)
    assert not receipt.verify_receipt(path, three_parts, part_size=6 * MIB)
    other = DATA[:-1] + b"!"
    assert not receipt.verify_receipt(other, three_parts)


def test_the_command_line_settles_a_dispute(tmp_path, capsys):
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    good = b64(hashlib.sha256(DATA).digest())
    assert admin_main(["verify-receipt", str(path), "--sha256", good]) == 0
    assert "match" in capsys.readouterr().out
    assert admin_main(["verify-receipt", str(path), "--sha256", good[:-2] + "A="]) == 1
    assert "no match" in capsys.readouterr().out
    assert admin_main(["verify-receipt", str(tmp_path / "missing.mp4"), "--sha256", good]) == 2
    assert admin_main(["verify-receipt", str(path), "--sha256", good + "-x"]) == 2
