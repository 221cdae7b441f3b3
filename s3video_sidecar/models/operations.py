"""The SQL of operations: statistics, video and event search, privacy export and erasure.

:class:`SqlOperationsRepository` (``sdk.ports.OperationsRepository``) holds these queries; it
also answers as the video repository (``sdk.ports.VideoRepository``) by handing those calls to
the :class:`~.repository.SqlVideoRepository` it composes over the same session, so the admin and
privacy services (``sdk/admin.py``, ``sdk/privacy.py``) and a video service may share it.
Day buckets are UTC days computed in SQL as ``timestamp - timestamp % 86400``, which SQLite,
PostgreSQL and MariaDB all evaluate the same way on integers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..sdk.domain import ERASED_USER_ID
from .event import Event
from .repository import OverVideoRows, SqlVideoRepository
from .video import Assignment, Submission, Video, VideoStatus

DAY = 86400
STORED = (str(VideoStatus.READY), str(VideoStatus.DELETING))  # statuses whose object S3 still holds
# upload_rejected always accompanies a refused request, which is counted already
_NOT_COUNTED_AS_ERRORS = ("upload_rejected",)


def _day(column: Any) -> Any:
    return column - column % DAY


def _page(query: Any, page: int, per_page: int) -> Any:
    return query.limit(per_page).offset((page - 1) * per_page)


class SqlOperationsRepository(OverVideoRows):
    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession
        self.video_rows = SqlVideoRepository(dbsession)

    # -- statistics ----------------------------------------------------------------
    def count_videos_by_status(self) -> dict[str, int]:
        rows = self.dbsession.execute(select(Video.upload_status, func.count()).group_by(Video.upload_status))
        return {str(status): count for status, count in rows}

    def ready_videos_by_codec(self) -> dict[str, tuple[int, int]]:
        """{video codec ("unknown" before the probe): (ready videos, of which not every browser plays)}."""
        at_risk = func.sum(case((Video.plays_everywhere.is_(False), 1), else_=0))
        rows = self.dbsession.execute(
            select(Video.video_codec, func.count(), at_risk)
            .where(Video.upload_status == str(VideoStatus.READY))
            .group_by(Video.video_codec)
        )
        return {codec or "unknown": (int(count), int(risky or 0)) for codec, count, risky in rows}

    def stored_bytes(self) -> int:
        size = func.coalesce(Video.file_size, 0)
        return int(
            self.dbsession.execute(
                select(func.coalesce(func.sum(size), 0)).where(Video.upload_status.in_(STORED))
            ).scalar_one()
        )

    def stored_bytes_at(self, moments: list[int]) -> list[int]:
        """Bytes held at each moment: confirmed by then and not yet deleted (one query for all)."""
        if not moments:
            return []
        size = func.coalesce(Video.file_size, 0)
        columns = [
            func.coalesce(
                func.sum(
                    case(
                        (
                            (Video.confirmed_timestamp <= moment)
                            & (or_(Video.deleted_timestamp.is_(None), Video.deleted_timestamp > moment)),
                            size,
                        ),
                        else_=0,
                    )
                ),
                0,
            )
            for moment in moments
        ]
        row = self.dbsession.execute(select(*columns).where(Video.confirmed_timestamp.is_not(None))).one()
        return [int(value) for value in row]

    def daily_event_totals(
        self, event_types: Iterable[str], start: int, end: int
    ) -> dict[tuple[int, str], tuple[int, int]]:
        """{(day start, event type): (events, bytes)} for events in [start, end)."""
        day = _day(Event.timestamp)
        query = (
            select(day, Event.event_type, func.count(), func.coalesce(func.sum(Event.file_size), 0))
            .where(Event.event_type.in_(list(event_types)), Event.timestamp >= start, Event.timestamp < end)
            .group_by(day, Event.event_type)
        )
        return {(int(d), kind): (int(n), int(b)) for d, kind, n, b in self.dbsession.execute(query)}

    def error_counts(self, start: int, end: int) -> dict[str, int]:
        query = (
            select(Event.error_code, func.count())
            .where(
                Event.error_code.is_not(None),
                Event.event_type.not_in(_NOT_COUNTED_AS_ERRORS),
                Event.timestamp >= start,
                Event.timestamp < end,
            )
            .group_by(Event.error_code)
        )
        return {str(code): int(n) for code, n in self.dbsession.execute(query)}

    def event_totals(self, event_types: Iterable[str], start: int, end: int) -> tuple[int, int]:
        """(events, bytes) of these types in [start, end)."""
        count, size = self.dbsession.execute(
            select(func.count(), func.coalesce(func.sum(Event.file_size), 0)).where(
                Event.event_type.in_(list(event_types)), Event.timestamp >= start, Event.timestamp < end
            )
        ).one()
        return int(count or 0), int(size or 0)

    # -- search ----------------------------------------------------------------------
    def search_videos(self, filters: Any, page: int, per_page: int) -> tuple[list[tuple[Video, int]], int]:
        """Videos matching ``filters`` (an ``sdk.admin.VideoFilter``), newest first, with their course."""
        size = func.coalesce(Video.file_size, Video.declared_size)
        conditions = []
        if filters.course is not None:
            conditions.append(Assignment.course_id == filters.course)
        for column, value in (
            (Video.assignment_id, filters.assignment),
            (Video.submission_id, filters.submission),
            (Video.user_id, filters.user),
        ):
            if value is not None:
                conditions.append(column == value)
        if filters.statuses:
            conditions.append(Video.upload_status.in_(list(filters.statuses)))
        if filters.uploaded_from is not None:
            conditions.append(Video.upload_timestamp >= filters.uploaded_from)
        if filters.uploaded_to is not None:
            conditions.append(Video.upload_timestamp < filters.uploaded_to)
        if filters.min_size is not None:
            conditions.append(size >= filters.min_size)
        if filters.max_size is not None:
            conditions.append(size <= filters.max_size)
        base = (
            select(Video, Assignment.course_id)
            .join(Assignment, Assignment.id == Video.assignment_id)
            .where(*conditions)
        )
        total = self.dbsession.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = self.dbsession.execute(
            _page(base.order_by(Video.upload_timestamp.desc(), Video.id.desc()), page, per_page)
        )
        return [(video, course) for video, course in rows], int(total)

    def event_types_logged(self) -> list[str]:
        """Every event type the log holds (uses the event_type index)."""
        return list(self.dbsession.scalars(select(Event.event_type).distinct()))

    def search_events(self, filters: Any, page: int, per_page: int) -> tuple[list[Event], int]:
        """Events matching ``filters`` (an ``sdk.admin.EventFilter``), newest first."""
        conditions = []
        for column, value in (
            (Event.user_id, filters.user),
            (Event.assignment_id, filters.assignment),
            (Event.submission_id, filters.submission),
            (Event.video_id, filters.video),
        ):
            if value is not None:
                conditions.append(column == value)
        if filters.event_types:
            conditions.append(Event.event_type.in_(list(filters.event_types)))
        if filters.error_codes:
            conditions.append(Event.error_code.in_(list(filters.error_codes)))
        if filters.errors_only:
            conditions.append(Event.error_code.is_not(None))
        if filters.since is not None:
            conditions.append(Event.timestamp >= filters.since)
        if filters.until is not None:
            conditions.append(Event.timestamp < filters.until)
        if filters.after_id is not None:
            conditions.append(Event.id > filters.after_id)
        total = self.dbsession.execute(select(func.count()).select_from(Event).where(*conditions)).scalar_one()
        query = select(Event).where(*conditions).order_by(Event.timestamp.desc(), Event.id.desc())
        return list(self.dbsession.scalars(_page(query, page, per_page))), int(total)

    def video_events(self, video: Video) -> list[Event]:
        """A video's history: its events by id, and any that name only its key."""
        query = (
            select(Event)
            .where(or_(Event.video_id == video.id, Event.s3_key == video.s3_key))
            .order_by(Event.timestamp, Event.id)
        )
        return list(self.dbsession.scalars(query))

    # -- privacy ---------------------------------------------------------------------
    def submissions_of_user(self, user_id: int, assignment_id: int | None = None) -> list[Submission]:
        query = select(Submission).where(Submission.user_id == user_id).order_by(Submission.id)
        if assignment_id is not None:
            query = query.where(Submission.assignment_id == assignment_id)
        return list(self.dbsession.scalars(query))

    def user_ids_of_assignment(self, assignment_id: int) -> list[int]:
        query = (
            select(Submission.user_id)
            .where(Submission.assignment_id == assignment_id, Submission.user_id != ERASED_USER_ID)
            .distinct()
        )
        return sorted(self.dbsession.scalars(query))

    def events_about(self, user_id: int, video_ids: Iterable[int], assignment_id: int | None = None) -> list[Event]:
        """Events by the user (in the assignment, if given) or about their videos, oldest first."""
        by_user = Event.user_id == user_id
        if assignment_id is not None:
            by_user = by_user & (Event.assignment_id == assignment_id)
        about = or_(by_user, Event.video_id.in_(list(video_ids))) if video_ids else by_user
        return list(self.dbsession.scalars(select(Event).where(about).order_by(Event.timestamp, Event.id)))

    def anonymise_events(
        self, user_id: int | None, video_ids: Iterable[int], s3_keys: Iterable[str], assignment_id: int | None = None
    ) -> int:
        """Remove the user (and their videos' ids and keys) from the event log; return the events changed."""
        changed = 0
        if user_id is not None:
            by_user = Event.user_id == user_id
            if assignment_id is not None:
                by_user = by_user & (Event.assignment_id == assignment_id)
            changed += self.dbsession.execute(  # type: ignore[attr-defined]  # an UPDATE: a CursorResult
                update(Event)
                .where(by_user)
                .values(user_id=None, s3_key=None, error_context=None)
                .execution_options(synchronize_session=False)
            ).rowcount
        about = []
        if video_ids:
            about.append(Event.video_id.in_(list(video_ids)))
        if s3_keys:
            about.append(Event.s3_key.in_(list(s3_keys)))
        if about:
            # The video id goes too: once the row is forgotten, SQLite may give its id to a new video.
            changed += self.dbsession.execute(  # type: ignore[attr-defined]  # an UPDATE: a CursorResult
                update(Event)
                .where(or_(*about))
                .values(video_id=None, s3_key=None, error_context=None)
                .execution_options(synchronize_session=False)
            ).rowcount
        return changed

    def keys_named_by_others(self, keys: Iterable[str], video_ids: Iterable[int]) -> set[str]:
        """Which of ``keys`` a video other than ``video_ids`` names (a copy shares its source's key)."""
        keys, video_ids = list(keys), list(video_ids)
        if not keys:
            return set()
        return set(
            self.dbsession.scalars(
                select(Video.s3_key).where(Video.s3_key.in_(keys), Video.id.not_in(video_ids)).distinct()
            )
        )

    def erased_videos_purged(self) -> list[Video]:
        """Videos of erased users whose object is gone: only their rows are left to forget."""
        return list(
            self.dbsession.scalars(
                select(Video).where(Video.user_id == ERASED_USER_ID, Video.upload_status == str(VideoStatus.DELETED))
            )
        )

    def forget_videos(self, videos: list[Video]) -> None:
        """Delete these video rows, then the erased users' submissions left without videos."""
        ids = [video.id for video in videos]
        if ids:
            self.dbsession.execute(
                update(Submission)
                .where(Submission.current_video_id.in_(ids))
                .values(current_video_id=None)
                .execution_options(synchronize_session=False)
            )
            self.dbsession.execute(delete(Video).where(Video.id.in_(ids)).execution_options(synchronize_session=False))
        has_videos = select(Video.id).where(Video.submission_id == Submission.id).exists()
        self.dbsession.execute(
            delete(Submission)
            .where(Submission.user_id == ERASED_USER_ID, ~has_videos)
            .execution_options(synchronize_session=False)
        )
