"""A real, tiny video for examples, notebooks and tests: no camera, no FFmpeg needed.

``TINY_MP4`` is a real H.264 MP4 (one 16x16 black frame, fast start, 819 bytes), made once with
Debian's ffmpeg::

    ffmpeg -f lavfi -i color=black:s=16x16:d=0.04:r=25 -frames:v 1 -c:v libx264 \\
      -bsf:v filter_units=remove_types=6 -movflags +faststart -map_metadata -1 \\
      -fflags +bitexact -flags:v +bitexact tiny.mp4

:func:`sample_mp4` pads it to any size with a trailing ``free`` box, which every MP4 reader skips:
the file stays a complete, playable MP4, so confirm's container check and the worker's probe
(``sdk/probe.py``) both accept it.
"""

from __future__ import annotations

import base64
import struct

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
FREE_BOX_HEADER = 8


def sample_mp4(size: int = len(TINY_MP4), fill: bytes = b"\0") -> bytes:
    """A real MP4 of exactly ``size`` bytes: ``TINY_MP4`` (819 bytes) then a ``free`` box of ``fill``."""
    padding = size - len(TINY_MP4)
    if padding == 0:
        return TINY_MP4
    if padding < FREE_BOX_HEADER:
        raise ValueError(f"a sample MP4 is {len(TINY_MP4)} bytes, or at least {len(TINY_MP4) + FREE_BOX_HEADER}")
    body = fill * (-(-(padding - FREE_BOX_HEADER) // len(fill)))
    return TINY_MP4 + struct.pack(">I4s", padding, b"free") + body[: padding - FREE_BOX_HEADER]
