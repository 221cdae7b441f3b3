"""Test videos: real MP4 bytes of any size, and a real clip from ffmpeg.

Confirm reads an upload's first bytes and refuses what is not the declared container
(``sdk/containers.py``), and the worker's probe (``sdk/probe.py``) marks a file FFmpeg
cannot read as video ``not_a_video``. :func:`mp4_bytes` is the one helper every test uses
for an upload whose content does not matter: ``sdk/samples.sample_mp4``, a real H.264 MP4 of
819 bytes padded with a ``free`` box (which every MP4 reader skips) to the size wanted, so
the file stays a complete, playable MP4. Below that size it is an ``ftyp`` box and padding
only: it passes the container check, and the probe calls it not a video.
:func:`real_mp4` encodes a real one-second clip with ffmpeg, for a file a browser plays.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import subprocess

from s3video_sidecar.sdk.samples import FREE_BOX_HEADER, TINY_MP4, sample_mp4

FTYP = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isommp41"


def mp4_bytes(size: int = 1000, fill: bytes = b"\0") -> bytes:
    """``size`` bytes that start as an MP4, then a ``free`` box of ``fill``: a real, playable MP4 from
    ``len(TINY_MP4)`` bytes on, an ``ftyp`` header only below (at least 24 bytes)."""
    if size >= len(TINY_MP4) + FREE_BOX_HEADER or size == len(TINY_MP4):
        return sample_mp4(size, fill)
    if size < len(FTYP):
        raise ValueError(f"an MP4 header needs {len(FTYP)} bytes")
    rest = size - len(FTYP)
    if rest == 0:
        return FTYP
    if rest < FREE_BOX_HEADER:
        return FTYP + fill[:1] * rest  # too short for a box header: padding after the ftyp box
    padding = fill * (-(-(rest - 8) // len(fill)))
    return FTYP + struct.pack(">I", rest) + b"free" + padding[: rest - 8]


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
