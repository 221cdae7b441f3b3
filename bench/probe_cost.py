"""What the media probe reads of a large video: bytes fetched, ranged requests and time.

A 1 GiB MP4 is made without encoding (Debian's ffmpeg loops a 20-second H.264/AAC clip with
``-stream_loop`` and ``-c copy``), once with its ``moov`` first (fast start) and once with
it last, then probed and given a poster through the same :class:`RangedReader` the worker
uses, its reads served from the local file (the worker's would be ranged GETs to S3).
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tempfile
import time

from s3video_sidecar.sdk import probe

MIB = 1024**2


def _clip(folder: pathlib.Path) -> pathlib.Path:
    clip = folder / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=duration=20:size=1280x720:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=20",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "8M",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(clip),
        ],
        check=True,
    )
    return clip


def _large(clip: pathlib.Path, target_bytes: int, fast_start: bool) -> pathlib.Path:
    loops = max(1, target_bytes // clip.stat().st_size)
    out = clip.with_name(f"large_{'fast' if fast_start else 'slow'}.mp4")
    flags = ["-movflags", "+faststart"] if fast_start else []
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-stream_loop",
            str(loops - 1),
            "-i",
            str(clip),
            "-c",
            "copy",
            *flags,
            str(out),
        ],
        check=True,
    )
    return out


def _measure(path: pathlib.Path) -> dict:
    size = path.stat().st_size
    with path.open("rb") as handle:

        def fetch(first: int, last: int) -> bytes:
            handle.seek(first)
            return handle.read(last - first + 1)

        started = time.perf_counter()
        result, reader = probe.probe(fetch, size)
        probe_seconds = time.perf_counter() - started
        poster_reader_bytes = []

        def counted(first: int, last: int) -> bytes:
            data = fetch(first, last)
            poster_reader_bytes.append(len(data))
            return data

        started = time.perf_counter()
        jpeg = probe.poster_jpeg(counted, size, result.duration_seconds)
        poster_seconds = time.perf_counter() - started
    return {
        "size": size,
        "duration": result.duration_seconds,
        "fast_start": result.fast_start,
        "probe_bytes": reader.bytes_fetched,
        "probe_requests": reader.requests,
        "probe_seconds": probe_seconds,
        "poster_bytes": sum(poster_reader_bytes),
        "poster_requests": len(poster_reader_bytes),
        "poster_seconds": poster_seconds,
        "jpeg_bytes": len(jpeg or b""),
    }


def run(target_bytes: int = 1024 * MIB) -> list[dict]:
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is not installed (Debian package 'ffmpeg')")
    with tempfile.TemporaryDirectory(prefix="s3video-probe-") as folder:
        clip = _clip(pathlib.Path(folder))
        rows = []
        for fast_start in (True, False):
            path = _large(clip, target_bytes, fast_start)
            rows.append(_measure(path))
            path.unlink()
        return rows


def report(rows: list[dict]) -> list[str]:
    lines = [
        "| file | probe: bytes read (requests) | probe time | poster: bytes read (requests) | poster time |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        name = (
            f"{row['size'] / MIB:,.0f} MiB H.264/AAC MP4, {row['duration'] / 60:.0f} min, "
            f"moov {'first' if row['fast_start'] else 'last'}"
        )
        lines.append(
            f"| {name} | {row['probe_bytes'] / MIB:.2f} MiB ({row['probe_requests']}) | "
            f"{row['probe_seconds'] * 1000:.0f} ms | {row['poster_bytes'] / MIB:.2f} MiB "
            f"({row['poster_requests']}) | {row['poster_seconds'] * 1000:.0f} ms |"
        )
    lines += [
        "",
        f"Reads are {probe.BLOCK_BYTES // 1024} KiB ranged GETs, at most {probe.CACHE_BLOCKS} held at once "
        f"({probe.BLOCK_BYTES * probe.CACHE_BLOCKS // MIB} MiB): the worker never holds more of a video.",
    ]
    return lines
