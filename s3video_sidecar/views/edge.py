"""The local edge (``s3video.cdn = local``): CloudFront's part, played offline.

It checks a playback URL exactly as CloudFront would — canned policy, expiry, signature
against the public half of the configured key — and only then streams the object from
storage, honouring ``Range`` (206) so players can seek.

- The ``Content-Type`` is the one confirmed for the video (its row's ``mime_type``), never
  the object's own, with ``X-Content-Type-Options: nosniff``: a browser never runs what a
  student uploaded as a page. (CloudFront's response headers policy adds the same header
  in production: ``aws_setup``.)
- Only the ``bytes`` range unit is honoured; any other (``items=0-1``) is ignored and the
  whole object answered with 200, as RFC 9110 (section 14.2) says.
"""

from __future__ import annotations

from urllib.parse import unquote

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..sdk import keys
from ..sdk.cdn import InvalidSignedUrl, verify_signed_url
from ..sdk.errors import NotFound
from ..security import path_as_sent
from .errors import json_error

CHUNK_BYTES = 256 * 1024


@view_config(route_name="edge", request_method=("GET", "HEAD"), permission=NO_PERMISSION_REQUIRED)
def edge(request):
    settings = request.find_service(name="settings")
    base = settings.local_edge_base_url.rstrip("/")
    quoted_key = path_as_sent(request).split("/edge/", 1)[-1]
    signed_url = f"{base}/{quoted_key}?{request.query_string}"
    try:
        verify_signed_url(signed_url, request.find_service(name="signing_key").public_key(), settings.cloudfront_key_id)
    except InvalidSignedUrl as refused:
        return json_error(request, 403, f"access denied: {refused}")
    key = unquote(quoted_key)
    if not key.startswith((keys.PREFIX, keys.POSTER_PREFIX)):
        return json_error(request, 404, "video unavailable")  # as CloudFront, which may read videos/ and posters/
    byte_range = request.headers.get("Range")
    if byte_range is not None and byte_range.partition("=")[0].strip().lower() != "bytes":
        byte_range = None  # RFC 9110 14.2: a server ignores a Range of a unit it does not know
    mime_type = request.video_service.served_type(key)
    try:
        answer = request.find_service(name="storage").read(key, byte_range)
    except NotFound:
        return json_error(request, 404, "video unavailable")
    body = answer["Body"]
    response = Response(
        status=206 if "ContentRange" in answer else 200,
        content_type=mime_type or "application/octet-stream",
        accept_ranges="bytes",
        cache_control="private, max-age=0",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.content_length = answer["ContentLength"]
    if "ContentRange" in answer:
        response.headers["Content-Range"] = answer["ContentRange"]
    if request.method == "HEAD":
        body.close()
    else:
        response.app_iter = body.iter_chunks(CHUNK_BYTES)
    return response
