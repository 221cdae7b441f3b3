"""Operations over the videos and the event log: statistics, search, history, restore, delete.

The admin API (``views/admin.py``), the ``s3video-admin`` commands and the notebooks all
use :class:`AdminService`; it runs over a repository (``models/operations.py`` in the
app) and the :class:`~s3video_sidecar.sdk.service.VideoService`, and knows nothing of HTTP.

Rules:

- Days are UTC days; a date given as ``YYYY-MM-DD`` means that day's midnight (UTC),
  and as an upper bound the whole day is included. :func:`parse_moment` is the one place
  that reads them (for the API's query strings and the CLI's options alike).
- "Uploads" are confirmed uploads (``upload_confirmed``), "views" are playback URLs
  issued (``playback_url_issued``; the bytes of the video each time, the most CloudFront
  may send for it), "storage" is the size of every object S3 still holds (``ready`` and
  ``deleting`` rows).
- Deleting goes through the video service's ``deleting`` marker and grace period, so a
  deleted video can be restored until its purge; nothing here removes an object itself.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .domain import STATUSES, Actor, VideoStatus
from .errors import Conflict
from .events import EVENT_TYPES, UPLOAD_EVENTS, VIEW_EVENTS, describe_event
from .maintenance import Maintenance
from .ports import OperationsRepository, Row
from .service import VideoService

__all__ = [
    "DAY",
    "EVENT_TYPES",
    "GIB",
    "STATUSES",
    "UPLOAD_EVENTS",
    "VIEW_EVENTS",
    "AdminService",
    "EventFilter",
    "MonthUsage",
    "VideoFilter",
    "cost_estimator_from_settings",
    "day_label",
    "describe_event",
    "gigabytes",
    "parse_moment",
]

DAY = 86400
GIB = 1024**3


def parse_moment(text: str | int, *, end: bool = False) -> int:
    """Unix seconds from ``YYYY-MM-DD`` (UTC; with ``end``, the day after, so the day is included)
    or from a number of seconds. Raises ValueError with a readable message."""
    if isinstance(text, int):
        return text
    text = str(text).strip()
    if text.isdigit():
        return int(text)
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError("give a date as YYYY-MM-DD or Unix seconds") from None
    return int(day.timestamp()) + (DAY if end else 0)


def day_label(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")


def gigabytes(size_bytes: int) -> float:
    """GB as AWS bills storage and transfer (2**30 bytes), to the MB."""
    return round(size_bytes / GIB, 3)


@dataclass(frozen=True)
class VideoFilter:
    course: int | None = None
    assignment: int | None = None
    submission: int | None = None
    user: int | None = None
    statuses: tuple[str, ...] = ()
    uploaded_from: int | None = None  # Unix seconds, inclusive
    uploaded_to: int | None = None  # Unix seconds, exclusive
    min_size: int | None = None  # bytes (the stored size, or the declared one before confirm)
    max_size: int | None = None


@dataclass(frozen=True)
class EventFilter:
    user: int | None = None
    assignment: int | None = None
    submission: int | None = None
    video: int | None = None
    event_types: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    errors_only: bool = False
    since: int | None = None
    until: int | None = None
    after_id: int | None = None  # for following the log


@dataclass(frozen=True)
class MonthUsage:
    """What the cost model needs for one calendar month: so far, and projected to its end."""

    month: str  # YYYY-MM
    days_in_month: int
    days_elapsed: float
    # this month: held now (projected as held for the whole month); a past month: the month's
    # average of what was held at each day's end (so GB-months are what S3 billed)
    storage_bytes: int
    transfer_bytes: int  # sent so far this month (upper bound: one full video per view)
    views: int
    uploads: int
    projected_transfer_bytes: int = field(default=0)
    projected_views: int = field(default=0)
    complete: bool = False  # a past month: every figure measured, nothing projected


class AdminService:
    def __init__(
        self,
        repository: OperationsRepository,
        videos: VideoService,
        cost_estimator: Callable[[MonthUsage], dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``videos`` is the VideoService over the same repository; ``cost_estimator(usage)``
        turns a :class:`MonthUsage` into the cost model's estimate (a dict)."""
        self.repo = repository
        self.videos = videos
        self.cost_estimator = cost_estimator
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def log_query(self, actor: Actor | None, call: str, query: dict[str, Any] | None = None) -> None:
        """An ``admin_query`` event: the call and the names of the filters given (not their values).
        The reads below write it when given the ``actor`` (the admin API does; the CLI does not)."""
        if actor is None:
            return
        filters = sorted(
            name
            for name, value in (query or {}).items()
            if value not in (None, (), False) and name not in ("page", "per_page")
        )
        self.videos.log("admin_query", actor, context={"call": call, "filters": filters})

    # -- statistics ------------------------------------------------------------------
    def stats(self, days: int = 30, *, actor: Actor | None = None) -> dict[str, Any]:
        self.log_query(actor, "stats")
        now = self.now()
        today = now - now % DAY
        start = today - (days - 1) * DAY
        day_starts = [start + i * DAY for i in range(days)]
        totals = self.repo.daily_event_totals(UPLOAD_EVENTS + VIEW_EVENTS, start, today + DAY)
        storage_by_day = self.repo.stored_bytes_at([min(d + DAY - 1, now) for d in day_starts])

        def count(day: int, kinds: tuple[str, ...], index: int = 0) -> int:
            return sum(totals.get((day, kind), (0, 0))[index] for kind in kinds)

        per_day = [
            {
                "date": day_label(d),
                "uploads": count(d, UPLOAD_EVENTS),
                "views": count(d, VIEW_EVENTS),
                "bytes_viewed": count(d, VIEW_EVENTS, 1),
                "storage_bytes": stored,
            }
            for d, stored in zip(day_starts, storage_by_day, strict=True)
        ]
        by_status = dict.fromkeys(STATUSES, 0) | self.repo.count_videos_by_status()
        stored = self.repo.stored_bytes()
        codecs = self.repo.ready_videos_by_codec()
        return {
            "generated_at": now,
            "days": days,
            "videos": {"by_status": by_status, "total": sum(by_status.values())},
            "storage": {"bytes": stored, "gb": gigabytes(stored)},
            "media": {
                "codecs": {codec: count for codec, (count, _risky) in sorted(codecs.items())},
                "at_risk": sum(risky for _count, risky in codecs.values()),
            },
            "per_day": per_day,
            "errors_by_code": self.repo.error_counts(start, now + 1),
            "today": {
                "uploads": per_day[-1]["uploads"],
                "views": per_day[-1]["views"],
                "errors_by_code": self.repo.error_counts(today, now + 1),
            },
            "cost": self.cost(),
        }

    def month_usage(self, month: str | None = None) -> MonthUsage:
        """Usage of a calendar month (default: this one): so far, and projected at the same pace.

        A past month is complete: measured, storage averaged over its days. A month that has not
        begun is refused (ValueError): there is nothing to measure yet.
        """
        now = self.now()
        year, number = map(int, (month or dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m")).split("-"))
        label = f"{year:04d}-{number:02d}"
        days_in_month = calendar.monthrange(year, number)[1]
        start = int(dt.datetime(year, number, 1, tzinfo=dt.UTC).timestamp())
        end = start + days_in_month * DAY
        if start > now:
            raise ValueError(
                f"{label} has not begun: give this month or an earlier one"
                " (notebooks/cost_estimates.ipynb projects future months)"
            )
        complete = end <= now
        elapsed = max(min(now, end) - start, 1)
        views, transfer = self.repo.event_totals(VIEW_EVENTS, start, end)
        uploads, _ = self.repo.event_totals(UPLOAD_EVENTS, start, end)
        if complete:
            held = self.repo.stored_bytes_at([start + (day + 1) * DAY - 1 for day in range(days_in_month)])
            storage = sum(held) // days_in_month
        else:
            storage = self.repo.stored_bytes()
        pace = (end - start) / elapsed
        return MonthUsage(
            month=label,
            days_in_month=days_in_month,
            days_elapsed=round(elapsed / DAY, 2),
            storage_bytes=storage,
            transfer_bytes=transfer,
            views=views,
            uploads=uploads,
            projected_transfer_bytes=int(transfer * pace),
            projected_views=int(views * pace),
            complete=complete,
        )

    def cost(self, month: str | None = None) -> dict[str, Any] | None:
        """The month's usage, measured so far and projected to its end, with the cost model's
        estimate of the month's bill (None without a cost model)."""
        if self.cost_estimator is None:
            return None
        usage = self.month_usage(month)
        return {"usage": asdict(usage), **self.cost_estimator(usage)}

    # -- search ------------------------------------------------------------------------
    def search_videos(
        self,
        filters: VideoFilter,
        page: int = 1,
        per_page: int = 25,
        *,
        actor: Actor | None = None,
        query: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``query``: the API's query string, whose filter names the ``admin_query`` event lists."""
        self.log_query(actor, "videos", query)
        rows, total = self.repo.search_videos(filters, page, per_page)
        return {
            "videos": [self.describe_video(video, course) for video, course in rows],
            **_paging(page, per_page, total),
        }

    def search_events(
        self,
        filters: EventFilter,
        page: int = 1,
        per_page: int = 50,
        *,
        actor: Actor | None = None,
        query: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self.log_query(actor, "events", query)
        events, total = self.repo.search_events(filters, page, per_page)
        return {"events": [describe_event(event) for event in events], **_paging(page, per_page, total)}

    def describe_video(self, video: Row, course_id: int | None = None) -> dict[str, Any]:
        if course_id is None:
            assignment = self.repo.get_assignment(video.assignment_id)
            course_id = assignment.course_id if assignment else None
        restorable = self._restorable(video)
        return {
            **self.videos.describe(video),
            "assignment_id": video.assignment_id,
            "submission_id": video.submission_id,
            "user_id": video.user_id,
            "course_id": course_id,
            "s3_bucket": video.s3_bucket,
            "error_code": video.error_code,
            "current": video.submission.current_video_id == video.id,
            "delete_requested_at": video.delete_requested_timestamp,
            "purge_after": video.purge_after_timestamp,
            "deleted_at": video.deleted_timestamp,
            "restorable": restorable,
        }

    def history(self, video: Row, *, actor: Actor | None = None) -> dict[str, Any]:
        """A video with every event about it, oldest first."""
        self.log_query(actor, "video")
        return {
            "video": self.describe_video(video),
            "events": [describe_event(event) for event in self.repo.video_events(video)],
        }

    # -- restore and delete --------------------------------------------------------------
    def _restorable(self, video: Row) -> bool:
        return (
            video.upload_status == VideoStatus.DELETING
            and video.confirmed_timestamp is not None
            and (video.purge_after_timestamp or 0) > self.now()
        )

    def restore(self, video: Row, actor: Actor) -> dict[str, Any]:
        """Bring back a deleted video while its grace period lasts; it becomes current again
        (the jobs' restore, ``sdk/maintenance.py``: Conflict saying why when it cannot)."""
        Maintenance(self.videos).restore_video(video.id, actor)
        return self.describe_video(video)

    def delete(self, video: Row, actor: Actor, reason: str = "admin") -> dict[str, Any]:
        """Schedule one video for deletion (after the grace period, during which it can be restored)."""
        self.videos.locked(video.submission)  # the video, its submission's current video: as committed now
        if video.upload_status in (VideoStatus.DELETING, VideoStatus.DELETED):
            raise Conflict(f"this video is already {video.upload_status}")
        if video.upload_id and video.upload_status == VideoStatus.UPLOADING:
            self.videos.storage.abort_multipart_upload(video.s3_key, video.upload_id)
        submission = video.submission
        if submission.current_video_id == video.id:
            submission.current_video_id = None
            submission.current_video = None
        self.videos.schedule_deletion(video, actor, reason)  # the one place that marks ``deleting``
        return self.describe_video(video)


def _paging(page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"total": total, "page": page, "per_page": per_page, "pages": -(-total // per_page)}


def cost_estimator_from_settings(raw_settings: dict[str, Any]) -> Callable[[MonthUsage], dict[str, Any]]:
    """The ini's cost model (``sdk/cost.py``, the notebooks' own) as ``MonthUsage -> estimate``.
    Raises ValueError naming a bad ``s3video.cost.*`` setting."""
    from .cost import CostModel

    return CostModel.from_settings(raw_settings).estimate_month
