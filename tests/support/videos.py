"""Test videos: real MP4 bytes of any size, and a real clip from ffmpeg.

Confirm reads an upload's first bytes and refuses what is not the declared container
(``sdk/containers.py``), and the worker's probe (``sdk/probe.py``) marks a file FFmpeg
cannot read as video ``not_a_video``. :func:`mp4_bytes` is the one helper every test uses
for an upload whose content does not matter: ``TINY_MP4``, a real H.264 MP4 (one 16x16
black frame, fast start, 819 bytes, made once with Debian's ffmpeg::

    ffmpeg -f lavfi -i color=black:s=16x16:d=0.04:r=25 -frames:v 1 -c:v libx264 \\
      -bsf:v filter_units=remove_types=6 -movflags +faststart -map_metadata -1 \\
      -fflags +bitexact -flags:v +bitexact tiny.mp4

then a ``free`` box (which every MP4 reader skips) padding it to the size wanted, so the
file stays a complete, playable MP4. Below that size it is an ``ftyp`` box and padding
only: it passes the container check, and the probe calls it not a video.
:func:`real_mp4` encodes a real one-second clip with ffmpeg, for a file a browser plays.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import subprocess

FTYP = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isommp41"
TINY_MP4 = base64.b64decode(
    "AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDEAAALwbW9vdgAAAGxtdmhkAAAAAAAAAAAAAAAAAAAD6AAAACgAAQAA"
    "AQAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAgAAAj90cmFrAAAAXHRraGQAAAADAAAAAAAAAAAAAAABAAAAAAAAACgAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAA"
    "AAAAAAABAAAAAAAAAAAAAAAAAABAAAAAABAAAAAQAAAAAAAkZWR0cwAAABxlbHN0AAAAAAAAAAEAAAAoAAAAAAABAAAAAAG3"
    "bWRpYQAAACBtZGhkAAAAAAAAAAAAAAAAAAAyAAAAAgBVxAAAAAAALWhkbHIAAAAAAAAAAHZpZGUAAAAAAAAAAAAAAABWaWRl"
    "b0hhbmRsZXIAAAABYm1pbmYAAAAUdm1oZAAAAAEAAAAAAAAAAAAAACRkaW5mAAAAHGRyZWYAAAAAAAAAAQAAAAx1cmwgAAAA"
    "AQAAASJzdGJsAAAAvnN0c2QAAAAAAAAAAQAAAK5hdmMxAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAABAAEABIAAAASAAAAAAA"
    "AAABDExhdmMgbGlieDI2NAAAAAAAAAAAAAAAAAAAAAAAAAAAGP//AAAANGF2Y0MBZAAK/+EAF2dkAAqs2V7ARAAAAwAEAAAD"
    "AMg8SJZYAQAGaOvjyyLA/fj4AAAAABBwYXNwAAAAAQAAAAEAAAAUYnRydAAAAAAAAA7YAAAO2AAAABhzdHRzAAAAAAAAAAEA"
    "AAABAAACAAAAABxzdHNjAAAAAAAAAAEAAAABAAAAAQAAAAEAAAAUc3RzegAAAAAAAAATAAAAAQAAABRzdGNvAAAAAAAAAAEA"
    "AAMgAAAAPXVkdGEAAAA1bWV0YQAAAAAAAAAhaGRscgAAAAAAAAAAbWRpcmFwcGwAAAAAAAAAAAAAAAAIaWxzdAAAAAhmcmVl"
    "AAAAG21kYXQAAAAPZYiEACv//vZzfAprbbGB"
)


def mp4_bytes(size: int = 1000, fill: bytes = b"\0") -> bytes:
    """``size`` bytes that start as an MP4, then a ``free`` box of ``fill``: a real, playable MP4 from
    ``len(TINY_MP4)`` bytes on, an ``ftyp`` header only below (at least 24 bytes)."""
    head = TINY_MP4 if size >= len(TINY_MP4) + 8 or size == len(TINY_MP4) else FTYP
    if size < len(head):
        raise ValueError(f"an MP4 header needs {len(FTYP)} bytes")
    rest = size - len(head)
    if rest == 0:
        return head
    if rest < 8:
        return head + fill[:1] * rest  # too short for a box header: padding after the ftyp box
    padding = fill * (-(-(rest - 8) // len(fill)))
    return head + struct.pack(">I", rest) + b"free" + padding[: rest - 8]


def real_mp4(path, seconds: int = 1) -> bytes | None:
    """Encode a real tiny MP4 at ``path`` with ffmpeg; return its bytes (None without ffmpeg)."""
    if shutil.which("ffmpeg") is None:
        return None
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=duration={seconds}:size=64x48:rate=10", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path)], check=True, timeout=60)
    return path.read_bytes()


def sha256_b64(data: bytes) -> str:
    """A whole object's SHA-256 as S3 reports it (base64)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
