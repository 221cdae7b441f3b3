"""Know what was uploaded: container, codecs, duration, size, fast start, a poster frame.

The probe reads a stored video through ranged GETs only, never the whole object: a
:class:`RangedReader` gives FFmpeg (through PyAV) a seekable file whose reads become
``Range: bytes=a-b`` requests of whole blocks, kept in a small LRU cache. The bytes held
in memory are bounded by ``block_bytes * cache_blocks`` (4 MiB by default) whatever the
video's size, and :attr:`RangedReader.bytes_fetched` says what the probe cost.

Why PyAV: its wheels carry FFmpeg's own demuxers and decoders (the reference for every
container and codec a phone records), it reads from any Python file object, and it
decodes one keyframe and encodes it to JPEG without a second library. ``ffprobe`` as a
subprocess would need the whole file on disk or an HTTP URL to the bucket.

Rules:

- Nothing here writes: the caller decides what to store (``describe`` of the result).
- A file FFmpeg cannot open, or that has no video stream, is ``playable=False`` with a
  reason a student can act on; an exception never escapes :func:`probe` for bad bytes.
- The browser table (:func:`browser_support`) is the one place that says which browsers
  play which codecs; the upload page's warning and the teacher's view read it.
"""

from __future__ import annotations

import io
import json
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

BLOCK_BYTES = 256 * 1024
CACHE_BLOCKS = 16
POSTER_WIDTH = 320
POSTER_AT = 0.10  # a keyframe near 10 % of the duration

Fetch = Callable[[int, int], bytes]  # (first byte, last byte inclusive) -> bytes


class RangedReader(io.RawIOBase):
    """A read-only, seekable file over ranged reads, with a bounded block cache."""

    def __init__(self, fetch: Fetch, size: int, block_bytes: int = BLOCK_BYTES, cache_blocks: int = CACHE_BLOCKS):
        super().__init__()
        if size < 0:
            raise ValueError("size must be >= 0")
        self._fetch, self.size = fetch, size
        self.block_bytes, self.cache_blocks = block_bytes, cache_blocks
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._position = 0
        self.bytes_fetched = 0
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def _block(self, index: int) -> bytes:
        block = self._cache.get(index)
        if block is None:
            start = index * self.block_bytes
            end = min(self.size, start + self.block_bytes) - 1
            block = self._fetch(start, end)
            self.requests += 1
            self.bytes_fetched += len(block)
            self._cache[index] = block
            if len(self._cache) > self.cache_blocks:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return block

    # io declares any writable buffer; FFmpeg (PyAV) passes a bytearray or a memoryview.
    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), max(0, self.size - self._position))
        done = 0
        while done < wanted:
            index, offset = divmod(self._position, self.block_bytes)
            block = self._block(index)
            chunk = block[offset : offset + wanted - done]
            if not chunk:
                break
            buffer[done : done + len(chunk)] = chunk
            done += len(chunk)
            self._position += len(chunk)
        return done


def media_of(video: object) -> dict[str, Any] | None:
    """A video row's stored findings (``media``, JSON), or None before its probe."""
    text = getattr(video, "media", None)
    if not text:
        return None
    try:
        findings: dict[str, Any] = json.loads(text)
    except ValueError:
        return None
    return findings


# -- which browsers play what -------------------------------------------------------
EVERYWHERE = ("chrome", "edge", "firefox", "safari")
_VIDEO_SUPPORT = {
    "h264": EVERYWHERE,
    "vp8": ("chrome", "edge", "firefox", "safari"),
    "vp9": ("chrome", "edge", "firefox", "safari 14.1+"),
    "av1": ("chrome", "edge", "firefox", "safari 17+ (recent Apple hardware)"),
    "hevc": ("safari", "edge (with the HEVC extension)", "chrome on some systems"),
    "mpeg4": (),
    "prores": (),
    "mjpeg": (),
}
_AUDIO_SUPPORT = {
    "aac": EVERYWHERE,
    "mp3": EVERYWHERE,
    "opus": ("chrome", "edge", "firefox", "safari 15+"),
    "vorbis": ("chrome", "edge", "firefox"),
    "flac": EVERYWHERE,
}
EXPORT_ADVICE = (
    "Export the video as MP4 with H.264 video and AAC audio: on an iPhone set Settings > Camera > "
    "Formats to 'Most Compatible'; in most editors choose 'H.264' or 'MP4 (H.264)'."
)


def browser_support(video_codec: str | None, audio_codec: str | None) -> dict[str, Any]:
    """Which browsers will play this pair, and whether every common browser will."""
    video = _VIDEO_SUPPORT.get(video_codec or "", ())
    audio = EVERYWHERE if audio_codec is None else _AUDIO_SUPPORT.get(audio_codec, ())
    everywhere = set(video) >= set(EVERYWHERE) and set(audio) >= set(EVERYWHERE)
    browsers = [name for name in video if name.split(" ")[0] in {a.split(" ")[0] for a in audio}]
    return {"everywhere": everywhere, "browsers": browsers}


# -- the probe --------------------------------------------------------------------------
@dataclass
class ProbeResult:
    playable: bool
    reason: str | None = None
    container: str | None = None
    video_codec: str | None = None
    video_profile: str | None = None
    audio_codec: str | None = None
    audio_profile: str | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    bitrate: int | None = None
    rotation: int = 0
    fast_start: bool | None = None
    plays_everywhere: bool = False
    browsers: list[str] = field(default_factory=list)
    bytes_read: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mp4_layout(reader: RangedReader, limit: int = 256) -> tuple[bool | None, bool]:
    """Walk an MP4/QuickTime file's top-level boxes by their headers alone (a few bytes each).

    Returns (fast start: ``moov`` before ``mdat``, or None if unknown; complete: the boxes
    end exactly at the end of the file, so nothing was cut off).
    """
    offset, fast_start = 0, None
    for _ in range(limit):
        if offset == reader.size:
            return fast_start, True
        if offset + 8 > reader.size:
            return fast_start, False
        reader.seek(offset)
        header = reader.read(16)
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1:
            if len(header) < 16:
                return fast_start, False
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:
            size = reader.size - offset  # "to the end of the file"
        if size < 8:
            return fast_start, False
        if fast_start is None and kind in (b"moov", b"mdat"):
            fast_start = kind == b"moov"
        offset += size
    return fast_start, offset <= reader.size


def _rotation(container: Any, stream: Any) -> int:
    """The display rotation (degrees) of the first decodable frame; 0 if none decodes."""
    try:
        stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            return int(getattr(frame, "rotation", 0) or 0) % 360
    except Exception:  # noqa: BLE001 - FFmpeg's many errors: a frame that does not decode has no rotation
        return 0
    return 0


def probe(
    fetch: Fetch, size: int, allowed_containers: tuple[str, ...] | None = None
) -> tuple[ProbeResult, RangedReader]:
    """Probe a stored video; the reader comes back too (for its byte count and the poster)."""
    import av  # imported here: the web process never needs FFmpeg

    reader = RangedReader(fetch, size)
    try:
        container = av.open(reader, mode="r", options={"probesize": str(2 * 1024**2)})
    except (av.error.FFmpegError, ValueError, OSError) as error:
        return ProbeResult(
            playable=False,
            reason=f"not a video file FFmpeg can read ({type(error).__name__})",
            bytes_read=reader.bytes_fetched,
        ), reader
    with container:
        names = container.format.name.split(",")
        result = ProbeResult(playable=True, container=names[0])
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        if video is None:
            result.playable, result.reason = False, "the file holds no video stream"
        else:
            context = video.codec_context
            result.video_codec = context.name
            result.video_profile = context.profile
            result.width, result.height = context.width or None, context.height or None
            rate = video.average_rate or video.guessed_rate
            result.frame_rate = round(float(rate), 3) if isinstance(rate, Fraction) and rate else None
        if audio is not None:
            result.audio_codec = audio.codec_context.name
            result.audio_profile = audio.codec_context.profile
        if container.duration:
            result.duration_seconds = round(container.duration / av.time_base, 3)
        elif video is not None and video.duration and video.time_base:
            result.duration_seconds = round(float(video.duration * video.time_base), 3)
        result.bitrate = container.bit_rate or None
        if video is not None:
            result.rotation = _rotation(container, video)
        if "mp4" in names or "mov" in names:
            position = reader.tell()  # FFmpeg reads through the same file: give it back where it was
            result.fast_start, complete = mp4_layout(reader)
            reader.seek(position)
            if not complete:
                result.playable, result.reason = False, "the file is cut short: upload it again"
        if result.video_codec:
            support = browser_support(result.video_codec, result.audio_codec)
            result.plays_everywhere, result.browsers = support["everywhere"], support["browsers"]
        if result.playable and video is not None and result.duration_seconds is None:
            result.playable, result.reason = False, "the video's length cannot be read: the file may be cut short"
    result.bytes_read = reader.bytes_fetched
    return result, reader


def poster_jpeg(fetch: Fetch, size: int, duration_seconds: float | None, width: int = POSTER_WIDTH) -> bytes | None:
    """One keyframe near 10 % of the duration, scaled to ``width`` and encoded as JPEG."""
    import av

    reader = RangedReader(fetch, size)
    try:
        with av.open(reader, mode="r") as container:
            stream = next(iter(container.streams.video), None)
            if stream is None:
                return None
            stream.codec_context.skip_frame = "NONKEY"
            if duration_seconds:
                target = int(duration_seconds * POSTER_AT / stream.time_base) if stream.time_base else 0
                container.seek(target, stream=stream, any_frame=False, backward=True)
            for frame in container.decode(stream):
                height = max(2, round(frame.height * width / frame.width / 2) * 2)
                image = frame.reformat(width=width, height=height, format="yuvj420p")
                encoder = av.CodecContext.create("mjpeg", "w")
                encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
                encoder.time_base = Fraction(1, 25)
                packets = encoder.encode(image) + encoder.encode(None)
                return b"".join(bytes(packet) for packet in packets)
    except (av.error.FFmpegError, ValueError, OSError):
        return None
    return None
