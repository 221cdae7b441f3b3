"""Probe a confirmed video and keep what was learnt: the worker's side of ``sdk/probe.py``.

Rules:

- Only ``ready`` videos are probed, once (``probed_timestamp``); the periodic ``probe`` job
  takes whatever a lost task left.
- What is stored is bounded: the findings are JSON of at most :data:`MEDIA_JSON_BYTES`,
  the poster a JPEG of at most :data:`POSTER_MAX_BYTES` under ``posters/`` (``keys.poster_key``);
  the poster is deleted with the video on every path (``Maintenance.delete_objects``).
- A file FFmpeg cannot open as a video at all is not a video: the row goes to ``error``
  (``not_a_video``) with the reason, so it never stays ``ready``. A video with a problem
  (cut short, a codec some browsers lack) stays ``ready`` and carries ``playable`` and
  ``reason``, shown to the student and the teacher.
- Transcoding an unplayable video (AWS Elemental MediaConvert in production) would start
  from :func:`needs_transcoding`; nothing calls it yet.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import keys, probe
from .domain import VideoStatus

if TYPE_CHECKING:
    from .service import VideoService

MEDIA_JSON_BYTES = 4000
POSTER_MAX_BYTES = 512 * 1024


def needs_transcoding(media: dict[str, Any] | None) -> bool:
    """The seam for a transcoding step: a readable video that not every browser plays."""
    return (
        media is not None and bool(media) and media.get("video_codec") is not None and not media.get("plays_everywhere")
    )


def _bounded_json(findings: dict[str, Any]) -> str:
    findings = dict(findings)
    text = json.dumps(findings, separators=(",", ":"))
    if len(text.encode("utf-8")) > MEDIA_JSON_BYTES:
        findings["browsers"] = findings.get("browsers", [])[:4]
        findings["reason"] = (findings.get("reason") or "")[:200] or None
        text = json.dumps(findings, separators=(",", ":"))[:MEDIA_JSON_BYTES]
    return text


def probe_video(service: VideoService, video: Any) -> dict[str, Any]:
    """Probe one ready video through ranged reads; store findings and poster; return a report item.

    ``video`` is a ``models.Video`` row (the SDK does not import the models)."""
    storage = service.storage
    size = video.file_size or 0

    def fetch(first: int, last: int) -> bytes:
        data: bytes = storage.read_bytes(video.s3_key, first, last)
        return data

    result, _reader = probe.probe(fetch, size)
    findings = result.as_dict()
    poster_bytes = 0
    if result.playable and result.video_codec:
        jpeg = probe.poster_jpeg(fetch, size, result.duration_seconds)
        if jpeg and len(jpeg) <= POSTER_MAX_BYTES:
            key = keys.poster_key(video.s3_key)
            storage.put_bytes(key, jpeg, "image/jpeg")
            video.poster_key = key
            poster_bytes = len(jpeg)
    video.media = _bounded_json(findings)
    video.video_codec = (result.video_codec or "")[:32] or None
    video.plays_everywhere = result.plays_everywhere if result.video_codec else None
    video.probed_timestamp = service.now()
    if result.duration_seconds is not None:
        video.duration = round(result.duration_seconds)
    if result.video_codec is None and video.upload_status == VideoStatus.READY:
        video.upload_status = VideoStatus.ERROR
        video.error_code = "not_a_video"
        video.error_message = f"this file is not a video a browser can play: {result.reason}"
        service.log("video_unplayable", None, video, error_code="not_a_video", error_message=video.error_message)
    else:
        service.log(
            "video_probed",
            None,
            video,
            context={
                "codec": result.video_codec,
                "audio": result.audio_codec,
                "playable": result.playable,
                "bytes_read": result.bytes_read,
            },
        )
    return {
        "video_id": video.id,
        "codec": result.video_codec,
        "playable": result.playable,
        "bytes_read": result.bytes_read,
        "poster_bytes": poster_bytes,
    }
