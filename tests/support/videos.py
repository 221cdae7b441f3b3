"""Test videos: bytes that pass confirm's container check, and a real tiny MP4.

Confirm reads an upload's first bytes and refuses what is not the declared container
(``sdk/containers.py``). :func:`mp4_bytes` is the one helper every test uses for an
upload whose content does not matter: a valid ``ftyp`` box (ISO/IEC 14496-12), then a
``free`` box padding it to the size wanted. :func:`real_mp4` encodes a real one-second
clip with ffmpeg (Debian's), for the tests that want a playable file.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import subprocess

FTYP = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isommp41"


def mp4_bytes(size: int = 1000, fill: bytes = b"\0") -> bytes:
    """``size`` bytes (at least 24) that start as an MP4: an ``ftyp`` box, then a ``free`` box of ``fill``."""
    if size < len(FTYP):
        raise ValueError(f"an MP4 header needs {len(FTYP)} bytes")
    rest = size - len(FTYP)
    if rest == 0:
        return FTYP
    if rest < 8:
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
