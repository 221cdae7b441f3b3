"""The development page (``/demo``): stands in for Moodle's pages when
``s3video.development.demo = true``; absent otherwise.

Moodle signs its calls on the server; here ``POST /demo/sign`` does that part, so the
page can pick any user and role and then call the real API with real S3V1 headers
(the same verification, ACLs and nonce store as Moodle's calls). It is a signing oracle
for any actor: development only, never enable it on a reachable host.
"""

from __future__ import annotations

import html
import logging
import pathlib

import colander
from pyramid.httpexceptions import HTTPFound
from pyramid.response import FileResponse, Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from .. import schemas
from ..sdk import signing
from ..sdk.errors import InvalidInput

log = logging.getLogger(__name__)
STATIC = pathlib.Path(__file__).resolve().parents[1] / "static"
# Video.js comes from the npm registry (package.json, pinned), installed by `make run`.
VIDEOJS_DIST = pathlib.Path(__file__).resolve().parents[2] / "node_modules" / "video.js" / "dist"


class _Actor(colander.MappingSchema):
    schema_type = schemas.StrictMapping
    user = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 2**62))
    roles = colander.SchemaNode(colander.List(), validator=colander.Length(1, 3))
    course = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 2**62))


class SignRequest(colander.MappingSchema):
    schema_type = schemas.StrictMapping
    actor = _Actor()
    method = colander.SchemaNode(colander.String(), validator=colander.OneOf(["GET", "POST", "DELETE"]))
    path = colander.SchemaNode(colander.String(), validator=colander.Regex(r"^/[A-Za-z0-9/%._~-]*$"))
    query = colander.SchemaNode(colander.String(), missing="")
    body = colander.SchemaNode(colander.String(), missing="")


def includeme(config):
    from ..services import parts_of

    settings = parts_of(config).settings
    if not settings.demo:
        return
    config.add_route("demo", "/demo")
    config.add_route("demo_slash", "/demo/")
    config.add_route("development_index", "/")
    config.add_route("demo_sign", "/demo/sign")
    config.add_route("demo_config", "/demo/config")
    config.add_static_view("demo/static", str(STATIC), cache_max_age=0)
    config.add_static_view("demo/vendor/video.js", str(VIDEOJS_DIST), cache_max_age=3600)
    config.scan(__name__)
    origin = settings.moodle_origins[0] if settings.moodle_origins else settings.local_edge_base_url.rsplit("/", 1)[0]
    log.info("development: open %s/demo to try uploads and playback (the demo page is on; never in production)", origin)


_INDEX = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>s3video sidecar (development)</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}</style></head>
<body><h1>s3video sidecar</h1><p>Development server ({version}). Where to go:</p><ul>
<li><a href="demo">/demo</a> &mdash; the demo page: upload and play videos as any user, as Moodle's pages would</li>
<li><a href="health">/health</a> &mdash; whether every store this node needs answers</li>
<li><a href="openapi.json">/openapi.json</a> &mdash; the HTTP API</li></ul>
<p>Guides: README.md, docs/deployment.md, moodle_plugin/README.md.</p></body></html>
"""


@view_config(route_name="development_index", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def development_index(request):
    """``/`` in development (only with the demo page on): where to go."""
    from .. import __version__

    return Response(_INDEX.format(version=html.escape(__version__)), content_type="text/html", charset="utf-8")


@view_config(route_name="demo_slash", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def demo_slash(request):
    return HTTPFound(location=request.route_url("demo"))


@view_config(route_name="demo", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def page(request):
    return FileResponse(str(STATIC / "demo" / "index.html"), request=request, content_type="text/html")


@view_config(route_name="demo_config", request_method="GET", permission=NO_PERMISSION_REQUIRED, renderer="json")
def demo_config(request):
    settings = request.find_service(name="settings")
    return {
        "max_upload_bytes": settings.max_upload_bytes,
        "allowed_mime_types": list(settings.allowed_mime_types),
        "multipart_threshold_bytes": settings.multipart_threshold_bytes,
        "playback_expiry_seconds": settings.playback_expiry_seconds,
        "videojs_available": (VIDEOJS_DIST / "video.min.js").exists(),
    }


@view_config(route_name="demo_sign", request_method="POST", permission=NO_PERMISSION_REQUIRED, renderer="json")
def sign(request):
    """The S3V1 headers for one API call, as Moodle's server would compute them."""
    call = schemas.validate_body(request, SignRequest())
    roles = call["actor"]["roles"]
    if not all(role in signing.ROLES for role in roles):
        raise InvalidInput("unknown role", {"actor": f"roles are drawn from {', '.join(signing.ROLES)}"})
    key_id, secret = next(iter(request.find_service(name="settings").hmac_keys.items()))
    actor = signing.encode_actor(call["actor"]["user"], roles, call["actor"]["course"])
    return {
        "headers": signing.sign_headers(
            key_id, secret, call["method"], call["path"], call["query"], actor, call["body"].encode("utf-8")
        )
    }
