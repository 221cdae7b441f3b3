"""The one place errors become HTTP responses: JSON bodies, the contract's status codes.

- Domain errors (``sdk.errors``) carry their status; 400s add ``fields``, 429s add
  ``Retry-After``.
- A permission denial is 401 with the S3V1 code when the request did not authenticate,
  403 otherwise; every domain error answered (400, 404, 409, 413, 415, 429, 503 from
  storage) is a refusal too. Each is written to the event log once, with its code, in a
  transaction of its own once the request's is over, so the record survives the
  request's rollback (and never waits on its locks). Every field is bounded, and refusals of
  unauthenticated callers are logged at most ``REFUSALS_LOGGED_PER_ADDRESS`` a minute per
  client address (a flood of forged requests cannot fill the database).
- A database that cannot be reached is 503; anything unexpected is a logged 500 with no
  detail (bad input never gets here: schemas and the service turn it into 4xx first).
"""

from __future__ import annotations

import json
import logging
import re
import time

from pyramid.exceptions import PredicateMismatch, URLDecodeError
from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..failures import describe, failure_log
from ..models import Event
from ..models.event import bounded_event
from ..sdk.bounded import event_context, truncated
from ..sdk.errors import S3VideoError

log = logging.getLogger(__name__)


def json_error(request, status: int, message: str, **extra):
    response = request.response
    response.status_int = status
    response.content_type = "application/json"
    response.text = json.dumps({"error": message, **extra})
    return response


# The event log's error code for a domain error that does not name one.
_CODES = {
    400: "invalid_input",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    415: "type_not_allowed",
    416: "range_not_satisfiable",
    429: "rate_limited",
    503: "unavailable",
}


def error_response(request, error: S3VideoError):
    """The response for a domain error (also used by views that must commit before answering);
    the refusal is logged."""
    code = str(error.details.get("code") or _CODES.get(error.status, "error"))
    record_rejection(
        request,
        "rate_limited" if error.status == 429 else "request_refused",
        code,
        error.message,
        details={k: v for k, v in error.details.items() if k != "code"},
    )
    extra: dict[str, object] = {}
    if error.fields:
        extra["fields"] = error.fields
    extra.update({k: v for k, v in error.details.items() if k in ("code", "max_size", "allowed")})
    response = json_error(request, error.status, error.message, **extra)
    if error.status == 429:
        response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


_IDS_IN_PATH = re.compile(r"^/assignments/([0-9]{1,18})(?:/submissions/([0-9]{1,18}))?(?:/|$)")


def ids_in_path(path: str) -> tuple[int | None, int | None]:
    """The assignment and submission ids a refused call named in its path (``events --assignment``
    finds refusals by them); None where the path names none. At most 18 digits: always a BIGINT."""
    match = _IDS_IN_PATH.match(path or "")
    if not match:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


# Refusals of callers who did not authenticate are logged per client address: at most this many in
# each window (then one ``refusals_suppressed`` event), so a flood of them cannot fill the database.
# Signed callers are not capped: every Moodle call comes from Moodle's one address.
REFUSALS_LOGGED_PER_ADDRESS = 30
REFUSAL_WINDOW_SECONDS = 60


def record_rejection(request, event_type: str, code: str, message: str, details: dict | None = None) -> None:
    """Log a refused request in its own transaction, once the request's own is over (rolled back).

    Every field is bounded (``sdk/bounded.py``); unauthenticated refusals are counted per address."""
    try:
        identity = getattr(request, "identity", None) if code != "unauthenticated" else None
    except S3VideoError:
        identity = None  # the caller could not be verified at all (its nonce store is down)
    context = {
        "method": request.method,
        "path": request.path,
        "key_id": identity.key_id if identity else None,
        **(details or {}),
    }
    assignment_id, submission_id = ids_in_path(request.path)
    now = int(time.time())
    event = dict(
        event_type=event_type,
        error_code=code,
        error_message=message,
        error_context=event_context(context),
        assignment_id=assignment_id,
        submission_id=submission_id,
        user_id=identity.actor.user if identity else None,
        user_role=identity.role if identity else None,
        timestamp=now,
    )

    def write(request):
        events = [event]
        if identity is None and request.client_addr:  # every server sets it; in-process test harnesses may not
            events = _within_refusal_budget(request, event, now)
        if not events:
            return
        session = request.find_service(name="session_factory")()
        try:
            session.execute(insert(Event), [bounded_event(row) for row in events])
            session.commit()
        except SQLAlchemyError:
            log.warning("could not record a rejected request (%s)", code)
        finally:
            session.close()

    request.add_finished_callback(write)


def _within_refusal_budget(request, event: dict, now: int) -> list[dict]:
    """The events to write for an unauthenticated refusal: itself while its address is within the
    window's budget, one summary when it goes over, nothing after that (the count goes on)."""
    address = request.client_addr
    window = now // REFUSAL_WINDOW_SECONDS
    window_end = (window + 1) * REFUSAL_WINDOW_SECONDS
    try:
        hits = request.find_service(name="rate_limiter").store.increment(
            f"refused:{truncated(address, 64)}:{window}", now, window_end
        )
    except S3VideoError:
        log.warning("refusal counter unavailable: refused request not logged (%s)", event["error_code"])
        return []
    if hits <= REFUSALS_LOGGED_PER_ADDRESS:
        return [event]
    if hits == REFUSALS_LOGGED_PER_ADDRESS + 1:
        return [
            dict(
                event_type="refusals_suppressed",
                error_code="too_many_refusals",
                timestamp=now,
                error_message=f"more than {REFUSALS_LOGGED_PER_ADDRESS} unauthenticated requests refused from "
                f"one address within {REFUSAL_WINDOW_SECONDS} s; the rest of the window's are "
                "refused without being logged",
                error_context=event_context({"client": address, "window_end": window_end}),
            )
        ]
    return []


@exception_view_config(S3VideoError)
def domain_error(exc, request):
    return error_response(request, exc)


@forbidden_view_config()
def forbidden(exc, request):
    if request.identity is None:
        error = getattr(request, "s3v1_error", None)
        code = error.code if error else "bad_signature"
        message = error.message if error else "this call needs an S3V1 signature"
        record_rejection(request, "auth_rejected", code, message)
        return json_error(request, 401, message, code=code)
    message = "you are not allowed to do this with this submission"
    record_rejection(request, "access_denied", "forbidden", message)
    return json_error(request, 403, message)


def _allowed_methods(request) -> list[str]:
    """The methods the views of this context (or route) and view name answer, for 405's ``Allow``."""
    route = getattr(request, "matched_route", None)
    methods: set[str] = set()
    for item in request.registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        if route is not None:
            if view["route_name"] != route.name:
                continue
        elif (
            view["route_name"] is not None
            or view["name"] != request.view_name
            or not (view["context"] is None or isinstance(request.context, view["context"]))
        ):
            continue
        wanted = view["request_methods"]
        if wanted is None:
            return []  # some view takes any method: the mismatch was not the method
        methods.update([wanted] if isinstance(wanted, str) else wanted)
    if "GET" in methods:
        methods.add("HEAD")  # Pyramid answers HEAD wherever it answers GET
    return sorted(methods)


@notfound_view_config()
def not_found(exc, request):
    if isinstance(exc, PredicateMismatch):
        # The resource exists, but no view of it takes this method: 405 with Allow (RFC 9110).
        allowed = _allowed_methods(request)
        if allowed and request.method not in allowed:
            response = json_error(request, 405, f"{request.method} is not allowed here; use {', '.join(allowed)}")
            response.headers["Allow"] = ", ".join(allowed)
            return response
    return json_error(request, 404, "no such resource or call")


@exception_view_config(URLDecodeError)
def undecodable_path(exc, request):
    # A percent-encoded path that is not UTF-8 (e.g. %FF) names no resource; never a 500.
    return json_error(request, 404, "no such resource: the path is not valid UTF-8")


@exception_view_config(DBAPIError)
def database_unavailable(exc, request):
    failure_log(__name__).error("database", describe("database", str(request.find_service(name="engine").url), exc))
    return json_error(request, 503, "the database cannot be reached; try again later", code="database")


@exception_view_config(Exception)
def unexpected(exc, request):
    if isinstance(exc, HTTPForbidden):
        return forbidden(exc, request)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return json_error(request, 500, "internal error; the administrator can find it in the sidecar's log")
