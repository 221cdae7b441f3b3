"""Per-user rate limits on the calls that issue URLs: upload URLs, confirms, playback URLs, posters.

Rules:

- A limit is "N calls per user and action in each window of S seconds" (the ini's
  ``s3video.rate_limit.<action> = N/S``, or ``off``). Windows are fixed and aligned to
  the clock: the counter key is ``{action}:{user}:{now // S}``, so every process and
  host that shares the store shares the count, and nothing needs cleaning but old keys.
  A burst at a window's edge may reach 2N in S seconds; the fixed window is the price
  of one atomic increment per call.
- Every call counts, refused ones included; over the limit the call is refused with
  :class:`~s3video_sidecar.sdk.errors.RateLimited` (429, ``Retry-After`` = seconds to the
  window's end) before the view runs, so no URL is issued. The error layer writes the
  ``rate_limited`` event, in its own transaction.
- The stores are shared: the database (``rate_limit_counters``, the default) or Redis
  (``s3video.rate_limit.store = redis``, for several hosts). Both fail closed: a store that
  cannot answer is 503, never a pass. Increments commit on their own, outside the
  request's transaction.
- Views opt in with the view option ``rate_limit="<action>"`` (a view deriver, checked
  after the permission, so unauthenticated or forbidden calls spend nothing). A call
  counts once however often pyramid_retry runs it (attempts share the WSGI environ).

The ``limits`` library does fixed and moving windows on Redis, but has no SQL store, which
is our default; the two stores here share one algorithm instead.
"""

from __future__ import annotations

import logging
import random
import time

from pyramid_services import find_service_factory
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from .failures import describe, failure_log
from .models import RateLimitCounter
from .sdk.errors import RateLimited, Unavailable
from .settings import RateLimit

log = logging.getLogger(__name__)
_counters = RateLimitCounter.__table__
COUNTED = "s3video.rate_limits_counted"  # the environ key: actions this HTTP request has counted


def _is_deadlock(error: OperationalError) -> bool:
    """MySQL/MariaDB's deadlock (1213) or PostgreSQL's (40P01): the transaction may simply run again."""
    original = error.orig
    return getattr(original, "sqlstate", None) == "40P01" or (getattr(original, "args", None) or [None])[0] == 1213


class DatabaseRateLimitStore:
    """Counters in the ``rate_limit_counters`` table, shared by every process on the database."""

    name = "database"

    def __init__(self, engine):
        self.engine = engine

    def check(self) -> None:
        """Raise (SQLAlchemyError) unless the table answers; ``/health`` asks."""
        with self.engine.connect() as connection:
            connection.execute(select(_counters.c.bucket).limit(1)).all()

    def increment(self, bucket: str, now: int, expires_at: int) -> int:
        """Add one to ``bucket``'s counter (created on first use); return the new count."""
        try:
            for _attempt in range(3):
                try:
                    return self._increment(bucket, now, expires_at)
                except IntegrityError:
                    continue  # another process created the row first: the update will find it now
                except OperationalError as error:
                    if not _is_deadlock(error):
                        raise
                    continue  # MySQL: two first hits of a window deadlock on its gap lock; one is chosen to retry
            raise Unavailable("the rate-limit store is contended; try again", code="database")
        except SQLAlchemyError as exc:
            failure_log(__name__).error(
                "ratelimit-db", describe("rate-limit store: database", str(self.engine.url), exc)
            )
            raise Unavailable("the database cannot be reached; try again later", code="database") from None

    def _increment(self, bucket: str, now: int, expires_at: int) -> int:
        with self.engine.begin() as connection:
            found = connection.execute(
                update(_counters).where(_counters.c.bucket == bucket).values(hits=_counters.c.hits + 1)
            ).rowcount
            if not found:
                connection.execute(insert(_counters).values(bucket=bucket, hits=1, expires_timestamp=expires_at))
            hits = connection.execute(select(_counters.c.hits).where(_counters.c.bucket == bucket)).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows that have passed
                connection.execute(delete(_counters).where(_counters.c.expires_timestamp < now))
        return hits

    def forget_user(self, user_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(_counters).where(_counters.c.bucket.like(f"%:{int(user_id)}:%")))


class RedisRateLimitStore:
    """Counters as Redis keys that expire with their window (``INCR`` + ``EXPIRE`` in one transaction)."""

    prefix = "s3video:rate:"

    name = "redis"

    def __init__(self, redis_client, url: str | None = None):
        self.redis = redis_client
        self.url = url

    def check(self) -> None:
        """Raise (RedisError) unless Redis answers; ``/health`` asks."""
        self.redis.ping()

    def increment(self, bucket: str, now: int, expires_at: int) -> int:
        import redis

        try:
            pipeline = self.redis.pipeline(transaction=True)
            pipeline.incr(self.prefix + bucket)
            pipeline.expireat(self.prefix + bucket, expires_at + 1)
            hits, _ = pipeline.execute()
            return int(hits)
        except redis.RedisError as exc:
            failure_log(__name__).error("ratelimit-redis", describe("rate-limit store", self.url, exc))
            raise Unavailable("the rate-limit store cannot be reached; try again later", code="redis") from None

    def forget_user(self, user_id: int) -> None:
        import redis

        try:
            keys = list(self.redis.scan_iter(match=f"{self.prefix}*:{int(user_id)}:*", count=1000))
            if keys:
                self.redis.delete(*keys)
        except redis.RedisError:
            raise Unavailable("the rate-limit store cannot be reached; try again later", code="redis") from None


class RateLimiter:
    def __init__(self, limits: dict[str, RateLimit | None], store, clock=time.time):
        self.limits = limits
        self.store = store
        self.clock = clock

    def hit(self, action: str, user_id: int) -> None:
        """Count one call of ``action`` by ``user_id``; raise RateLimited once over the limit."""
        limit = self.limits.get(action)
        if limit is None:
            return
        now = int(self.clock())
        window = now // limit.window_seconds
        window_end = (window + 1) * limit.window_seconds
        hits = self.store.increment(f"{action}:{int(user_id)}:{window}", now, window_end)
        if hits > limit.limit:
            error = RateLimited(
                f"too many {action.replace('_', ' ')} calls: at most {limit.limit} every"
                f" {limit.window_seconds} s; try again in {window_end - now} s",
                retry_after_seconds=max(1, window_end - now),
            )
            error.details.update(
                code="rate_limited", action=action, limit=limit.limit, window_seconds=limit.window_seconds
            )
            raise error

    def forget_user(self, user_id: int) -> None:
        """Drop a user's counters (privacy erasure: the keys name the user)."""
        self.store.forget_user(user_id)


def build_rate_limiter(settings, engine) -> RateLimiter:
    store: RedisRateLimitStore | DatabaseRateLimitStore
    if settings.rate_limit_store == "redis":
        import redis

        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        store = RedisRateLimitStore(client, settings.redis_url)
    else:
        store = DatabaseRateLimitStore(engine)
    return RateLimiter(settings.rate_limits, store)


def rate_limited_view(view, info):
    """View deriver: ``rate_limit="<action>"`` counts the call against the actor's limit first."""
    action = info.options.get("rate_limit")
    if action is None:
        return view
    # the one limiter (services.build_parts), found once: not with a find_service on every request
    limiter = find_service_factory(info, name="rate_limiter")(None, None)

    def wrapper(context, request):
        counted = request.environ.setdefault(COUNTED, set())
        if action not in counted:  # not on a retried attempt of the same HTTP request
            limiter.hit(action, request.identity.actor.user)
            counted.add(action)
        return view(context, request)

    return wrapper


rate_limited_view.options = ("rate_limit",)  # type: ignore[attr-defined]  # Pyramid reads a deriver's options here


def includeme(config):
    config.add_view_deriver(rate_limited_view)  # the limiter: services.build_parts (build_rate_limiter)
