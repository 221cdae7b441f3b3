"""The local edge (``s3video.cdn = local``): CloudFront's part, played offline.

It checks a playback URL exactly as CloudFront would — canned policy, expiry, signature
against the public half of the configured key — and only then streams the object from
storage, honouring ``Range`` (206) so players can seek.
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
    settings = request.registry.s3video_settings
    base = settings.local_edge_base_url.rstrip("/")
    quoted_key = path_as_sent(request).split("/edge/", 1)[-1]
    signed_url = f"{base}/{quoted_key}?{request.query_string}"
    try:
        verify_signed_url(signed_url, request.registry.edge_public_key, settings.cloudfront_key_id)
    except InvalidSignedUrl as refused:
        return json_error(request, 403, f"access denied: {refused}")
    key = unquote(quoted_key)
    if not key.startswith((keys.PREFIX, keys.POSTER_PREFIX)):
        return json_error(request, 404, "video unavailable")  # as CloudFront, which may read videos/ and posters/
    byte_range = request.headers.get("Range")
    try:
        answer = request.registry.storage.read(key, byte_range)
    except NotFound:
        return json_error(request, 404, "video unavailable")
    body = answer["Body"]
    response = Response(
        status=206 if "ContentRange" in answer else 200,
        content_type=answer.get("ContentType") or "application/octet-stream",
        accept_ranges="bytes",
        cache_control="private, max-age=0",
    )
    response.content_length = answer["ContentLength"]
    if "ContentRange" in answer:
        response.headers["Content-Range"] = answer["ContentRange"]
    if request.method == "HEAD":
        body.close()
    else:
        response.app_iter = body.iter_chunks(CHUNK_BYTES)
    return response
