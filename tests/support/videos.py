"""Test videos: real MP4 bytes of any size, and a real clip from ffmpeg.

Confirm reads an upload's first bytes and refuses what is not the declared container
(``sdk/containers.py``), and the worker's probe (``sdk/probe.py``) marks a file FFmpeg
cannot read as video ``not_a_video``. :func:`mp4_bytes` is the one helper every test uses
for an upload whose content does not matter: ``sdk/samples.sample_mp4``, a real H.264 MP4 of
819 bytes padded with a ``free`` box (which every MP4 reader skips) to the size wanted, so
the file stays a complete, playable MP4. Below that size it is an ``ftyp`` box and padding
only: it passes the container check, and the probe calls it not a video.
:func:`real_mp4` encodes a real one-second clip with ffmpeg, for a file a browser plays;
:func:`make_clips` one clip of each codec family the probe knows (the ``clips`` fixture).
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
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size=64x48:rate=10",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def h264_clip(path, seconds: int = 4, noisy: bool = False):
    """A real H.264/AAC MP4 (fast start, 320x240 at 25 fps, a 440 Hz tone) from Debian's ffmpeg, as a
    phone would record it; ``noisy`` makes it big (640x480 lossless noise: ~16 MB a second). Fails the
    test without ffmpeg (``make test`` installs it)."""
    import pytest

    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is required (tools/system-packages.sh installs Debian's ffmpeg)")
    source = "testsrc2=size=640x480" if noisy else "testsrc=size=320x240"
    encode = ["-vf", "noise=alls=100:allf=t", "-preset", "ultrafast", "-qp", "0"] if noisy else []
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"{source}:duration={seconds}:rate=25",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", *encode,
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


LAVFI = [
    "-f",
    "lavfi",
    "-i",
    "testsrc=duration=4:size=320x240:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:duration=4",
]
CLIPS = {
    "h264_fast.mp4": [
        *LAVFI,
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-movflags",
        "+faststart",
    ],
    "h264_slow.mp4": [*LAVFI, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"],
    "hevc.mov": [
        *LAVFI,
        "-c:v",
        "libx265",
        "-tag:v",
        "hvc1",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-x265-params",
        "log-level=error",
    ],
    "vp9.webm": [*LAVFI, "-c:v", "libvpx-vp9", "-b:v", "200k", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-shortest"],
}


def make_clips(folder) -> dict[str, bytes]:
    """Encode :data:`CLIPS` (4 s, 320x240, 25 fps, with sound) in ``folder`` with ffmpeg, and a
    rotated copy of the H.264 one; return {name: bytes}."""
    made = {}
    for name, args in CLIPS.items():
        path = folder / name
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args, str(path)], check=True)
        made[name] = path.read_bytes()
    # a phone held upright: the same frames, with a display matrix rotating them (a remux, no encode)
    rotated = folder / "rotated.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(folder / "h264_fast.mp4"),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
            str(rotated),
        ],
        check=True,
    )
    made["rotated.mp4"] = rotated.read_bytes()
    return made


def sha256_b64(data: bytes) -> str:
    """A whole object's SHA-256 as S3 reports it (base64)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
