"""``GET /health`` (database and storage checked) and ``GET /openapi.json``. No signature needed."""

from __future__ import annotations

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..openapi import openapi_document
from ..resources import Root
from ..sdk.errors import S3VideoError


@view_config(context=Root, name="health", request_method="GET", permission=NO_PERMISSION_REQUIRED,
             renderer="json")
def health(context, request):
    checks = {}
    try:
        with request.registry.dbengine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError:
        checks["database"] = "unavailable"
    try:
        request.registry.storage.check()
        checks["storage"] = "ok"
    except S3VideoError:
        checks["storage"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    request.response.status_int = 200 if healthy else 503
    return {"status": "ok" if healthy else "unavailable", "version": __version__, **checks}


@view_config(context=Root, name="openapi.json", request_method="GET", permission=NO_PERMISSION_REQUIRED,
             renderer="json")
def openapi(context, request):
    return openapi_document(request.registry.s3video_settings.max_upload_bytes)
