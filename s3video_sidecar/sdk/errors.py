"""The domain's errors. Each carries what the HTTP layer needs to answer it.

The SDK raises these and nothing HTTP-specific; ``views/errors.py`` is the one
place that turns them into responses (status code + JSON body).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class S3VideoError(Exception):
    """Base class: ``message`` is safe to show to the user."""

    status = 500
    fields: Mapping[str, str] = MappingProxyType({})  # the refused input's fields, by name (InvalidInput)
    retry_after_seconds: int | None = None  # when to try again (RateLimited)

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(S3VideoError):
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class Forbidden(S3VideoError):
    status = 403


class NotFound(S3VideoError):
    status = 404


class Conflict(S3VideoError):
    status = 409


class TooLarge(S3VideoError):
    status = 413


class UnsupportedType(S3VideoError):
    status = 415


class RateLimited(S3VideoError):
    status = 429

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(S3VideoError):
    """Storage, the database or a shared store cannot be reached: try again later."""

    status = 503


class RangeNotSatisfiable(S3VideoError):
    status = 416
