"""A browser's presigned POST, streamed: the file goes to S3 in chunks, never whole in memory.

``requests`` builds a multipart body in memory; for 500 MB uploads (the memory benchmark)
and for uploads that must still be under way when the sidecar is killed (the restart
test), :class:`StreamedForm` writes the same ``multipart/form-data`` body chunk by chunk
with its exact ``Content-Length``, optionally pausing between chunks.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO

import requests

CHUNK_BYTES = 1024**2


class StreamedForm:
    """The form fields, then the file, as one ``multipart/form-data`` body of known length."""

    def __init__(self, fields: dict[str, str], source: BinaryIO, size: int, content_type: str,
                 chunk_bytes: int = CHUNK_BYTES, pause_seconds: float = 0.0, started: threading.Event | None = None):
        self.boundary = "s3video" + secrets.token_hex(12)
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items())
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="video"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n").encode()
        self.head, self.tail = head, f"\r\n--{self.boundary}--\r\n".encode()
        self.source, self.size = source, size
        self.chunk_bytes, self.pause_seconds, self.started = chunk_bytes, pause_seconds, started

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        remaining = self.size
        while remaining > 0:
            chunk = self.source.read(min(self.chunk_bytes, remaining))
            if not chunk:
                raise ValueError("the file is shorter than its declared size")
            remaining -= len(chunk)
            yield chunk
            if self.started is not None:
                self.started.set()
            if self.pause_seconds:
                time.sleep(self.pause_seconds)
        yield self.tail


def post_upload(upload: dict, source: BinaryIO, size: int, **streaming) -> requests.Response:
    """POST ``size`` bytes from ``source`` with the presigned form the sidecar issued."""
    fields = upload["upload"]["fields"]
    form = StreamedForm(fields, source, size, fields["Content-Type"], **streaming)
    return requests.post(upload["upload"]["url"], data=form, headers={"Content-Type": form.content_type},
                         timeout=600)
