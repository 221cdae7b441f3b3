"""Container signatures: what confirm accepts as the start of a video of each declared type."""

import pytest

from s3video_sidecar.sdk import containers
from tests.support.videos import mp4_bytes

MP4 = mp4_bytes(64)
QUICKTIME_WIDE = b"\x00\x00\x00\x08wide" + b"\x00" * 8
QUICKTIME_MOOV = b"\x00\x00\x01\x00moov" + b"\x00" * 8
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81"
OGG = b"OggS\x00\x02" + b"\x00" * 6
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3"
TEXT = b"this is not a video at all\n"
ZEROS = b"\x00" * 12


@pytest.mark.parametrize(
    "mime_type, head",
    [
        ("video/mp4", MP4),
        ("video/x-m4v", MP4),
        ("video/3gpp", MP4),
        ("video/quicktime", MP4),
        ("video/quicktime", QUICKTIME_WIDE),
        ("video/quicktime", QUICKTIME_MOOV),
        ("video/webm", WEBM),
        ("video/x-matroska", WEBM),
        ("video/ogg", OGG),
    ],
)
def test_a_video_of_the_declared_family_matches(mime_type, head):
    assert containers.matches(mime_type, head[: containers.SIGNATURE_BYTES])


@pytest.mark.parametrize(
    "mime_type, head",
    [
        ("video/mp4", PDF),
        ("video/mp4", TEXT),
        ("video/mp4", ZEROS),
        ("video/mp4", b""),
        ("video/mp4", b"\0\0\0"),
        ("video/mp4", WEBM),
        ("video/mp4", OGG),
        ("video/mp4", QUICKTIME_WIDE),  # leading QuickTime atoms without ftyp: QuickTime only
        ("video/webm", MP4),
        ("video/ogg", WEBM),
        ("video/quicktime", OGG),
        ("video/x-msvideo", b"RIFF\x00\x00\x00\x00AVI "),  # no signature known: never matches
    ],
)
def test_anything_else_does_not(mime_type, head):
    assert not containers.matches(mime_type, head)
