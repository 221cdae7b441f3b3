"""The media probe over ranged reads, on clips made with Debian's ffmpeg (installed by ``make test``)."""

from __future__ import annotations

import pytest

from s3video_sidecar.sdk import probe
from tests.support.videos import TINY_MP4, mp4_bytes


def run(data: bytes):
    reads = []

    def fetch(first, last):
        reads.append((first, last))
        assert 0 <= first <= last < len(data), "a read outside the object"
        return data[first : last + 1]

    result, reader = probe.probe(fetch, len(data))
    return result, reader, reads


def test_h264_aac_fast_start(clips):
    result, _reader, _reads = run(clips["h264_fast.mp4"])
    assert (result.playable, result.container, result.video_codec, result.audio_codec) == (True, "mov", "h264", "aac")
    assert (result.width, result.height, result.frame_rate) == (320, 240, 25.0)
    assert result.duration_seconds == pytest.approx(4, abs=0.1)
    assert result.fast_start is True
    assert result.plays_everywhere is True
    assert result.video_profile and result.audio_profile == "LC"


def test_moov_at_the_end_is_not_fast_start(clips):
    result, _reader, _reads = run(clips["h264_slow.mp4"])
    assert result.fast_start is False and result.playable is True


def test_hevc_in_mov_is_playable_but_not_everywhere(clips):
    result, _reader, _reads = run(clips["hevc.mov"])
    assert result.video_codec == "hevc"
    assert result.plays_everywhere is False
    assert "safari" in result.browsers and "firefox" not in result.browsers


def test_vp9_webm(clips):
    result, _reader, _reads = run(clips["vp9.webm"])
    assert (result.container, result.video_codec, result.audio_codec) == ("matroska", "vp9", "opus")
    assert result.fast_start is None  # only MP4/QuickTime has a moov to place
    assert result.plays_everywhere is False  # older Safari


def test_rotation(clips):
    result, _reader, _reads = run(clips["rotated.mp4"])
    assert result.rotation in (90, 270)


def test_truncated_mp4_is_not_playable(clips):
    data = clips["h264_fast.mp4"]
    result, _reader, _reads = run(data[: len(data) * 2 // 3])
    assert result.playable is False and "cut short" in result.reason
    assert result.video_codec == "h264"  # it is a video: it is kept, with the reason


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"x" * 3000,
        b"this is only text, named .mp4",
        b"\0" * 4096,
        b"\x00\x00\x00\x18ftypmp42" + b"v" * 200,
    ],
)
def test_not_a_video(data):
    result, _reader, _reads = run(data)
    assert result.playable is False and result.video_codec is None and result.reason


def test_reads_are_ranged_and_bounded():
    """A fast-start file of 64 MiB costs one 256 KiB block, never the whole object."""
    data = mp4_bytes(64 * 1024**2)
    result, reader, reads = run(data)
    assert result.playable is True
    assert reader.bytes_fetched <= probe.BLOCK_BYTES * 2
    assert all(last - first < probe.BLOCK_BYTES for first, last in reads)


def test_reader_cache_is_bounded():
    data = bytes(range(256)) * 4096 * 8  # 8 MiB
    reader = probe.RangedReader(lambda a, b: data[a : b + 1], len(data), block_bytes=1024, cache_blocks=4)
    for offset in range(0, len(data), 1024 * 97):
        reader.seek(offset)
        assert reader.read(10) == data[offset : offset + 10]
        assert len(reader._cache) <= 4
    reader.seek(-5, 2)
    assert reader.read(100) == data[-5:]
    assert reader.read(100) == b""


def test_poster_is_a_small_jpeg(clips):
    data = clips["h264_fast.mp4"]
    jpeg = probe.poster_jpeg(lambda a, b: data[a : b + 1], len(data), 4.0)
    assert jpeg[:3] == b"\xff\xd8\xff" and jpeg[-2:] == b"\xff\xd9"
    assert len(jpeg) < 64 * 1024


def test_poster_of_a_non_video_is_none():
    data = b"not a video" * 100
    assert probe.poster_jpeg(lambda a, b: data[a : b + 1], len(data), None) is None


def test_tiny_mp4_of_the_tests_is_a_real_video():
    result, _reader, _reads = run(TINY_MP4)
    assert (result.playable, result.video_codec, result.fast_start) == (True, "h264", True)


@pytest.mark.parametrize(
    "video, audio, everywhere",
    [
        ("h264", "aac", True),
        ("h264", None, True),
        ("hevc", "aac", False),
        ("vp9", "opus", False),
        ("prores", "aac", False),
        ("h264", "vorbis", False),
    ],
)
def test_browser_support(video, audio, everywhere):
    assert probe.browser_support(video, audio)["everywhere"] is everywhere
