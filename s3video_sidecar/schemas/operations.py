"""colander schemas for the admin and privacy calls: query strings and the erase body.

Query strings are strict like bodies: an unknown parameter is a 400 naming it, so a typo
never silently widens a search, and so is a number, status list or boolean given empty or
malformed (``page=``, ``errors_only=maybe``) or given twice: leave a filter out to not filter. Lists are
comma-separated (``status=ready,deleting``); booleans are ``true`` or ``false``; dates are
``YYYY-MM-DD`` (UTC) or Unix seconds (:func:`sdk.admin.parse_moment`), and an empty date is
no bound, as the OpenAPI document says.
"""

from __future__ import annotations

import re

import colander

from ..sdk.admin import STATUSES, EventFilter, VideoFilter, parse_moment
from ..sdk.errors import InvalidInput
from . import StrictMapping, _StrictBool, _StrictInt

MAX_BIGINT = 2**63 - 1  # what every database's BIGINT holds (SQLite's INTEGER too)
ID = colander.Range(1, MAX_BIGINT)
SIZE = colander.Range(0, MAX_BIGINT, max_err="must be at most ${max} (a 64-bit number)")


class _QueryInt(colander.Int):
    """A whole number in ASCII digits: not empty, not "1.0", not "٥" (which int() would take)."""

    def deserialize(self, node, cstruct):
        if cstruct is not colander.null and not re.fullmatch(r"-?[0-9]{1,19}", str(cstruct)):
            raise colander.Invalid(node, "must be a whole number (leave the parameter out to not filter)")
        return super().deserialize(node, cstruct)


class _QueryBool(colander.SchemaType):
    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if cstruct not in ("true", "false"):
            raise colander.Invalid(node, "must be true or false")
        return cstruct == "true"


def _id(**kw):
    return colander.SchemaNode(_QueryInt(), missing=None, validator=ID, **kw)


class _Moment(colander.SchemaType):
    def __init__(self, end: bool = False):
        self.end = end

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, ""):
            return colander.null
        try:
            moment = parse_moment(cstruct, end=self.end)
        except ValueError as exc:
            raise colander.Invalid(node, str(exc)) from None
        if not -MAX_BIGINT <= moment <= MAX_BIGINT:
            raise colander.Invalid(node, f"must be at most {MAX_BIGINT} (a 64-bit number of seconds)")
        return moment


class _Words(colander.SchemaType):
    """``a,b,c`` -> ("a", "b", "c"); with ``required``, an empty list is refused rather than read as absent."""

    def __init__(self, required: bool = False):
        self.required = required

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        words = tuple(word.strip() for word in str(cstruct).split(",") if word.strip())
        if not words:
            if self.required:
                raise colander.Invalid(node, "give at least one value (leave the parameter out to not filter)")
            return colander.null
        return words


def _one_of(choices):
    def validate(node, values):
        unknown = [v for v in values if v not in choices]
        if unknown:
            raise colander.Invalid(node, f"unknown: {', '.join(unknown)}; choose from {', '.join(choices)}")

    return validate


class _Paging(colander.MappingSchema):
    schema_type = StrictMapping
    page = colander.SchemaNode(_QueryInt(), missing=1, validator=colander.Range(1, 10**6))
    per_page = colander.SchemaNode(_QueryInt(), missing=25, validator=colander.Range(1, 100))


class VideoSearch(_Paging):
    course = _id()
    assignment = _id()
    submission = _id()
    user = _id()
    status = colander.SchemaNode(_Words(required=True), missing=(), validator=_one_of(STATUSES))
    uploaded_from = colander.SchemaNode(_Moment(), missing=None, name="from")
    uploaded_to = colander.SchemaNode(_Moment(end=True), missing=None, name="to")
    min_size = colander.SchemaNode(_QueryInt(), missing=None, validator=SIZE)
    max_size = colander.SchemaNode(_QueryInt(), missing=None, validator=SIZE)


class EventSearch(_Paging):
    user = _id()
    assignment = _id()
    submission = _id()
    video = _id()
    type = colander.SchemaNode(_Words(), missing=())
    error_code = colander.SchemaNode(_Words(), missing=())
    errors_only = colander.SchemaNode(_QueryBool(), missing=False)
    since = colander.SchemaNode(_Moment(), missing=None)
    until = colander.SchemaNode(_Moment(end=True), missing=None)


class PlaybackQuery(colander.MappingSchema):
    """``renew=true``: the player renews the URL of a video it is already showing (not a new view)."""

    schema_type = StrictMapping
    renew = colander.SchemaNode(_QueryBool(), missing=False)


class StatsQuery(colander.MappingSchema):
    schema_type = StrictMapping
    days = colander.SchemaNode(_QueryInt(), missing=30, validator=colander.Range(1, 366))


MAX_RETAIN_SECONDS = 31_622_400  # 366 days: Moodle's recycle bin keeps items at most a year


class DeleteAssignmentQuery(colander.MappingSchema):
    """``DELETE /assignments/{a}?retain_seconds=N``: keep the videos restorable N seconds (the recycle bin)."""

    schema_type = StrictMapping
    retain_seconds = colander.SchemaNode(_QueryInt(), missing=0, validator=colander.Range(0, MAX_RETAIN_SECONDS))


class ExportQuery(colander.MappingSchema):
    schema_type = StrictMapping
    assignment = _id()


class _UserIds(colander.SequenceSchema):
    user = colander.SchemaNode(_StrictInt(), validator=ID)


class EraseRequest(colander.MappingSchema):
    """``{"users": [..]}`` for some users of the assignment, or ``{"all_users": true}`` for all."""

    schema_type = StrictMapping
    users = _UserIds(missing=None, validator=colander.Length(1, 10_000))
    all_users = colander.SchemaNode(_StrictBool(), missing=None)

    def validator(self, node, value):
        # exactly one of the two, and all_users only as true (as openapi.py says)
        if (value["users"] is None) == (value["all_users"] is None) or value["all_users"] is False:
            raise colander.Invalid(node, 'give either "users": [ids] or "all_users": true')


def validate_query(request, schema: colander.SchemaNode) -> dict:
    """Apply ``schema`` to the query string; raise InvalidInput (400) naming each bad parameter."""
    names = list(request.GET.keys())
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(
            "some query parameters are invalid", dict.fromkeys(repeated, "given more than once; give it once")
        )
    try:
        return schema.deserialize(dict(request.GET.items()))
    except colander.Invalid as error:
        fields = {name or "query": message for name, message in error.asdict().items()}
        raise InvalidInput("some query parameters are invalid", fields) from None


def video_filter(query: dict) -> VideoFilter:
    return VideoFilter(
        course=query["course"],
        assignment=query["assignment"],
        submission=query["submission"],
        user=query["user"],
        statuses=query["status"],
        uploaded_from=query["from"],
        uploaded_to=query["to"],
        min_size=query["min_size"],
        max_size=query["max_size"],
    )


def event_filter(query: dict) -> EventFilter:
    return EventFilter(
        user=query["user"],
        assignment=query["assignment"],
        submission=query["submission"],
        video=query["video"],
        event_types=query["type"],
        error_codes=query["error_code"],
        errors_only=query["errors_only"],
        since=query["since"],
        until=query["until"],
    )
