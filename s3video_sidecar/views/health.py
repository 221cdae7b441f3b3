"""``GET /health`` (every store the node needs, each named) and ``GET /openapi.json``. No signature needed.

``/health`` answers 200 only when every store a signed call needs answers: the database,
its schema revision (at the migrations' head), the nonce store, the rate-limit store, the
job queue and S3. Otherwise 503, with each store ``"ok"`` or ``"unavailable"`` (the schema
says which revision it found and which it needs), so a load balancer takes a broken node
out of service. The cause (host, port, "connection refused") goes to the log, once a minute
at most, never into this public answer.
"""

from __future__ import annotations

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text

from .. import __version__
from ..failures import cause, failure_log, where
from ..models.schema import SchemaNotAtHead, check_schema
from ..openapi import openapi_document
from ..resources import Root
from ..services import Parts


def _store_checks(parts):
    """(name, where it is, the check) for each store, in the order a signed call needs them."""
    settings = parts.settings
    database = where(str(parts.engine.url))

    def database_check():
        with parts.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def place(store):
        return where(settings.redis_url) if store.name == "redis" else database

    checks = [
        ("database", database, database_check),
        ("schema", database, lambda: check_schema(parts.engine)),
        ("nonce_store", place(parts.nonce_store), parts.nonce_store.check),
        ("rate_limit_store", place(parts.rate_limiter.store), parts.rate_limiter.store.check),
    ]
    jobs = parts.jobs
    if jobs is not None:
        checks.append(
            ("queue", where(settings.huey_url) if settings.huey_url else "huey sqlite file", jobs.huey.pending_count)
        )
    checks.append(("storage", f"bucket {settings.bucket}", parts.storage.check))
    return checks


@view_config(context=Root, name="health", request_method="GET", permission=NO_PERMISSION_REQUIRED, renderer="json")
def health(context, request):
    answer, problems = {}, []
    for name, place, check in _store_checks(request.find_service(Parts)):
        try:
            check()
            answer[name] = "ok"
        except SchemaNotAtHead as exc:
            answer[name] = str(exc)  # revisions only: nothing secret
            problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure of a store is "unavailable"; the cause is logged
            answer[name] = "unavailable"
            problems.append(f"{name} ({place}): {cause(exc)}")
    healthy = not problems
    if not healthy:
        failure_log(__name__).error("health", "/health answered 503: " + "; ".join(problems))
    request.response.status_int = 200 if healthy else 503
    return {"status": "ok" if healthy else "unavailable", "version": __version__, **answer}


@view_config(
    context=Root, name="openapi.json", request_method="GET", permission=NO_PERMISSION_REQUIRED, renderer="json"
)
def openapi(context, request):
    return openapi_document(request.find_service(name="settings").max_upload_bytes)
