"""Failures of the stores the sidecar needs, said in one line with their cause, and logged sparingly.

Rules of this module:

- A failure is one log line naming the store, where it is (host and port, never a
  password) and the cause in words an admin acts on ("connection refused",
  "authentication failed", "host name not found", ...), not an exception class or a
  traceback: :func:`describe`.
- The same failure repeated (every request while Redis is down) is logged once a minute
  with how many were left out: :class:`FailureLog`.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import make_url

# Phrases of the drivers' messages (psycopg, PyMySQL, sqlite3, redis-py) -> the cause in plain words.
_CAUSES = (
    ("password authentication failed", "authentication failed"),
    ("access denied for user", "authentication failed"),
    ("authentication failed", "authentication failed"),
    ("invalid username-password", "authentication failed"),
    ("wrongpass", "authentication failed"),
    ("noauth", "authentication required"),
    ("connection refused", "connection refused"),
    ("can't connect to mysql server", "connection refused"),
    ("could not translate host name", "host name not found"),
    ("name or service not known", "host name not found"),
    ("temporary failure in name resolution", "host name not found"),
    ("timed out", "timed out"),
    ("timeout", "timed out"),
    ("does not exist", None),  # e.g. database "x" does not exist: the driver's own words say it best
    ("unknown database", None),
    ("unable to open database file", "cannot open the database file"),
    ("no such table", "a table is missing (schema not at head: run s3video-migrate)"),
    ("too many connections", "too many connections"),
)


def cause(exc: BaseException) -> str:
    """The cause of a driver's error in a few words (the driver's first line when not a known one)."""
    original = getattr(exc, "orig", None) or exc
    text = " ".join(str(original).split())  # one line
    lowered = text.lower()
    for phrase, words in _CAUSES:
        if phrase in lowered:
            return words or _first_sentence(text)
    return _first_sentence(text) or original.__class__.__name__


def _first_sentence(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def where(url: str | None) -> str:
    """Where a store is, for a log line: ``postgresql 127.0.0.1:5432/s3video``; never the password."""
    if not url:
        return "(not set)"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return _redis_where(url)
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - a redis:// or unix:// URL SQLAlchemy does not parse
        return _redis_where(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"sqlite {parsed.database or ':memory:'}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{backend} {host}{port}/{parsed.database or ''}"


def _redis_where(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"redis {parts.path}"
    host = parts.hostname or "localhost"
    return f"redis {host}:{parts.port or 6379}{parts.path or ''}"


def describe(store: str, url: str | None, exc: BaseException) -> str:
    """``database (postgresql 127.0.0.1:5433/s3video): connection refused``."""
    return f"{store} ({where(url)}): {cause(exc)}"


class FailureLog:
    """Log each kind of failure at most once per ``interval`` seconds, counting the ones left out."""

    def __init__(self, logger: logging.Logger, interval: float = 60.0, clock=time.monotonic):
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def error(self, key: str, message: str, level: int = logging.ERROR) -> bool:
        """Log ``message`` unless ``key`` was logged within the interval; return whether it was."""
        now = self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._left_out[key] = self._left_out.get(key, 0) + 1
                return False
            self._last[key] = now
            left_out = self._left_out.pop(key, 0)
        if left_out:
            message += f" ({left_out} more like it in the last {int(now - last)} s)"
        self.logger.log(level, "%s", message)
        return True

    def warning(self, key: str, message: str) -> bool:
        return self.error(key, message, logging.WARNING)


_logs: dict[str, FailureLog] = {}


def failure_log(name: str) -> FailureLog:
    """The process's :class:`FailureLog` for the logger ``name`` (one per logger, shared by threads)."""
    log = _logs.get(name)
    if log is None:
        log = _logs.setdefault(name, FailureLog(logging.getLogger(name)))
    return log
