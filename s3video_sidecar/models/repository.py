"""The SQLAlchemy repository behind :class:`~s3video_sidecar.sdk.service.VideoService`.

All SQL of the video lifecycle lives here; the service speaks in domain terms.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Select, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from . import mark_written
from .event import Event, bounded_event
from .reads import AssignmentRead, SubmissionRead, VideoRead
from .video import Assignment, Submission, Video

_VIDEOS: Table = Video.__table__
_EVENTS: Table = Event.__table__
_SUBMISSIONS: Table = Submission.__table__
_ASSIGNMENTS: Table = Assignment.__table__
_SUBMISSION_COLUMNS = len(_SUBMISSIONS.c)
_ASSIGNMENT_COLUMNS = len(_ASSIGNMENTS.c)

# The read models' statements, built once with their parameters bound per call (SQLAlchemy compiles and
# caches them as it does any statement): building a SELECT of 39 columns and two joins on every GET cost
# more CPU than running it through the cache.
_READ_SUBMISSION = (
    select(_SUBMISSIONS, _ASSIGNMENTS, _VIDEOS)
    .outerjoin(_ASSIGNMENTS, _ASSIGNMENTS.c.id == _SUBMISSIONS.c.assignment_id)
    .outerjoin(_VIDEOS, _VIDEOS.c.id == _SUBMISSIONS.c.current_video_id)
    .where(_SUBMISSIONS.c.id == bindparam("submission_id"))
)
# The ORM traversal's loader options, made once (each call made both, and their cache keys anew).
_WITH_ASSIGNMENT_AND_CURRENT_VIDEO = (joinedload(Submission.assignment), joinedload(Submission.current_video))
_READ_ASSIGNMENT = select(_ASSIGNMENTS).where(_ASSIGNMENTS.c.id == bindparam("assignment_id"))
_VIDEO_FILTERS = {
    "submission_id": _VIDEOS.c.submission_id == bindparam("submission_id"),
    "assignment_id": _VIDEOS.c.assignment_id == bindparam("assignment_id"),
    "user_id": _VIDEOS.c.user_id == bindparam("user_id"),
    "statuses": _VIDEOS.c.upload_status.in_(bindparam("statuses", expanding=True)),
    "fingerprint": _VIDEOS.c.fingerprint == bindparam("fingerprint"),
}


@functools.cache
def _videos_query(filters: tuple[str, ...], read_only: bool, for_update: bool) -> Select[Any]:
    """The videos' SELECT for these filters (names of ``_VIDEO_FILTERS``), built once per combination."""
    query = (select(_VIDEOS) if read_only else select(Video)).where(*(_VIDEO_FILTERS[name] for name in filters))
    query = query.order_by(_VIDEOS.c.id)
    # for_update: a locking read, the rows as committed now, refreshed in the session
    return query.with_for_update().execution_options(populate_existing=True) if for_update else query


_Row = TypeVar("_Row", Assignment, Submission)


def take_sqlite_write_lock(dbsession: Session, table: Table, ids: Iterable[int]) -> None:
    """On SQLite, which has no row locks, take the database's one write lock (held until the transaction
    ends) by a write that changes nothing; what is read after it is what is committed, and no other
    connection commits until this one ends. Nothing on other databases (their locking reads lock rows)."""
    if dbsession.get_bind().dialect.name == "sqlite":
        dbsession.execute(update(table).where(table.c.id.in_(list(ids))).values(id=table.c.id))


def _video_row(fields: dict[str, Any]) -> dict[str, Any]:
    """A full row for a new video: the given values, column defaults, None for the rest."""
    refused = (fields.keys() - _VIDEOS.c.keys()) | (fields.keys() & {"id"})
    if refused:
        raise TypeError(f"not columns a new video may set: {sorted(refused)}")
    row = {}
    for column in _VIDEOS.c:
        if column.key == "id":
            continue
        scalar = column.default if isinstance(column.default, ScalarElementColumnDefault) else None
        default = scalar.arg if scalar is not None else None
        row[column.key] = fields.get(column.key, default)
    return row


class SqlEventLog:
    """The event log (``sdk.ports.EventLog``): appends only."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def add_event(self, **fields: Any) -> None:
        """Append to the event log: one INSERT now. No caller keeps or changes the row, so an ORM
        object and its unit of work would only cost CPU, on every call. Every field is bounded."""
        self.dbsession.execute(insert(_EVENTS), bounded_event(fields))
        mark_written(self.dbsession)


class SqlVideoRepository:
    """``sdk.ports.VideoRepository``: assignments, submissions and videos, and the event log, over one session."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession
        self.events = SqlEventLog(dbsession)
        self._locked_videos: dict[int, list[Video]] = {}  # lock_submission's rows, kept in the session

    def get_assignment(self, assignment_id: int) -> Assignment | None:
        return self.dbsession.get(Assignment, assignment_id)

    def get_assignment_and_submission(
        self, assignment_id: int, submission_id: int, *, read_only: bool = False
    ) -> tuple[Assignment | AssignmentRead | None, Submission | SubmissionRead | None]:
        """``(assignment, submission)``, either None if absent, and the submission's current video: one query.

        Every call on a submission starts here, so it is one round trip (two for a submission not created
        yet), not three. The rows land in the session's identity map, so later ``get_*`` calls for them
        cost no query. ``read_only``: frozen read models instead (``models/reads.py``), read by one Core
        statement, for a call that changes neither row (a GET).
        """
        if read_only:
            return self._read_assignment_and_submission(assignment_id, submission_id)
        submission = self.dbsession.get(Submission, submission_id, options=_WITH_ASSIGNMENT_AND_CURRENT_VIDEO)
        # no query when the submission's assignment is this one: the row is in the identity map already
        return self.dbsession.get(Assignment, assignment_id), submission

    def _read_assignment_and_submission(
        self, assignment_id: int, submission_id: int
    ) -> tuple[AssignmentRead | None, SubmissionRead | None]:
        """The read-model form of :meth:`get_assignment_and_submission`: the same joins, one Core SELECT.

        Measured (``python -m bench --only calls``, paired): the ORM's ``Session.get`` with its two joined
        loads cost GET submission and playback-url far more than the 10 % the hot path allows a plainer form.
        """
        found = self.dbsession.execute(_READ_SUBMISSION, {"submission_id": submission_id}).first()
        if found is None:
            submission, assignment = None, None
        else:
            row = tuple(found)
            videos = row[_SUBMISSION_COLUMNS + _ASSIGNMENT_COLUMNS :]
            video = VideoRead(*videos) if videos[0] is not None else None
            fields: tuple[Any, ...] = (*row[:_SUBMISSION_COLUMNS], video)  # its columns, then its current video
            submission = SubmissionRead(*fields)
            columns = row[_SUBMISSION_COLUMNS : _SUBMISSION_COLUMNS + _ASSIGNMENT_COLUMNS]
            assignment = AssignmentRead(*columns) if columns[0] is not None else None
        if assignment is None or assignment.id != assignment_id:
            # the submission is absent, or another assignment's: read this one alone
            alone = self.dbsession.execute(_READ_ASSIGNMENT, {"assignment_id": assignment_id}).first()
            assignment = AssignmentRead(*alone) if alone is not None else None
        return assignment, submission

    def _add_once(self, row: _Row, key: int) -> _Row:
        """Insert a row other requests may be inserting at the same moment; return whichever won.

        A class uploads at the deadline: the first calls of an assignment race to create it.
        The loser's insert fails on the primary key inside a savepoint, and it reads the
        winner's row with a shared lock: a locking read sees the committed row under MySQL's
        repeatable read, and shared locks do not deadlock the other losers (FOR UPDATE did).
        """
        try:
            with self.dbsession.begin_nested():
                self.dbsession.add(row)
        except IntegrityError:
            winner = self.dbsession.get(type(row), key, with_for_update={"read": True}, populate_existing=True)
            if winner is None:
                raise
            return winner
        return row

    def add_assignment(self, assignment_id: int, course_id: int, now: int) -> Assignment:
        return self._add_once(Assignment(id=assignment_id, course_id=course_id, created_timestamp=now), assignment_id)

    def get_submission(self, submission_id: int) -> Submission | None:
        return self.dbsession.get(Submission, submission_id)

    def lock_submission(self, submission_id: int, skip_locked: bool = False) -> Submission | None:
        """The submission's row and its videos as committed now, locked until this transaction ends.

        Every call that changes which of a submission's videos is current, a draft or live takes this
        first, so two such calls on one submission take turns and the second decides on what the first
        committed. ``SELECT ... FOR UPDATE`` on PostgreSQL and MariaDB; the videos are read with a lock
        too, as MariaDB's repeatable read shows a plain read the snapshot of the request's first query.
        SQLite has no row locks: a write takes its one write lock, and what is read after it is current.
        With ``skip_locked`` (the jobs, which hold video rows already) None when another holds the lock.
        """
        take_sqlite_write_lock(self.dbsession, _SUBMISSIONS, [submission_id])
        submission = self.dbsession.get(
            Submission, submission_id, with_for_update={"skip_locked": skip_locked}, populate_existing=True
        )
        if submission is not None:
            # Read afresh, and held: the session keeps rows only while something references them, and a
            # row read again without a lock would be MariaDB's snapshot of before the lock.
            query = _videos_query(("submission_id",), False, True)
            self._locked_videos[submission_id] = list(self.dbsession.scalars(query, {"submission_id": submission_id}))
        return submission

    def add_submission(
        self, submission_id: int, assignment_id: int, user_id: int, now: int, group_id: int | None = None
    ) -> Submission:
        submission = Submission(
            id=submission_id, assignment_id=assignment_id, user_id=user_id, group_id=group_id, created_timestamp=now
        )
        return self._add_once(submission, submission_id)

    def add_video(self, **fields: Any) -> Video:
        """INSERT the row with one Core statement, then hand it back as a
        persistent ``Video`` in the session, every column loaded, as if just read.

        Every upload starts here; the ORM's add-and-flush does the same INSERT for more CPU: measured
        against it (issue 15, ``python -m bench --only calls`` and an A/B of the two forms in one run), the
        plain form cost upload-url 18 % more CPU, over the 10 % the hot path allows a plainer form.
        """
        row = _video_row(fields)
        # inserted_primary_key: RETURNING where the database has it, the cursor's lastrowid elsewhere (MySQL)
        result: CursorResult[Any] = self.dbsession.execute(insert(_VIDEOS), row)  # type: ignore[assignment]
        video_id = result.inserted_primary_key[0]  # type: ignore[index]  # an INSERT always has one
        mark_written(self.dbsession)
        video = Video(id=video_id, **row)
        make_transient_to_detached(video)  # as though loaded: no pending changes, no lazy loads
        self.dbsession.add(video)
        return video

    def add_copy_of(self, video: Video, **fields: Any) -> Video:
        """A new row with every column of ``video`` (a column added later included) but these ``fields``."""
        row = {column.key: getattr(video, column.key) for column in _VIDEOS.c if column.key != "id"}
        return self.add_video(**{**row, **fields})

    def get_video(self, video_id: int) -> Video | None:
        return self.dbsession.get(Video, video_id)

    def lock_video(self, video_id: int) -> Video | None:
        """The row as committed now, locked until this transaction ends (a purge claiming it skips it)."""
        take_sqlite_write_lock(self.dbsession, _VIDEOS, [video_id])
        return self.dbsession.get(Video, video_id, with_for_update=True, populate_existing=True)

    def get_video_by_key(self, s3_key: str, submission_id: int | None = None) -> Video | None:
        """The row of this key (in this submission): copies share their source's key."""
        query = select(Video).where(Video.s3_key == s3_key)
        if submission_id is not None:
            query = query.where(Video.submission_id == submission_id)
        return self.dbsession.scalar(query.order_by(Video.id).limit(1))

    def get_video_by_upload_id(self, upload_id: str) -> Video | None:
        return self.dbsession.scalar(select(Video).where(Video.upload_id == upload_id))

    def videos(
        self,
        *,
        submission_id: int | None = None,
        assignment_id: int | None = None,
        user_id: int | None = None,
        statuses: Iterable[str] | None = None,
        fingerprint: str | None = None,
        for_update: bool = False,
        read_only: bool = False,
    ) -> list[Video] | list[VideoRead]:
        """The videos matching every filter given, by id. ``read_only``: frozen read models, read by a
        Core SELECT (``models/reads.py``), for a caller that changes none of them."""
        given = {
            "submission_id": submission_id,
            "assignment_id": assignment_id,
            "user_id": user_id,
            "statuses": [str(s) for s in statuses] if statuses is not None else None,
            "fingerprint": fingerprint,
        }
        parameters = {name: value for name, value in given.items() if value is not None}
        if read_only and for_update:
            raise ValueError("a read-only query takes no lock")
        query = _videos_query(tuple(parameters), read_only, for_update)
        if read_only:
            return [VideoRead(*row) for row in self.dbsession.execute(query, parameters)]
        return list(self.dbsession.scalars(query, parameters))

    def submissions_of_assignment(self, assignment_id: int) -> list[Submission]:
        return list(self.dbsession.scalars(select(Submission).where(Submission.assignment_id == assignment_id)))

    def add_event(self, **fields: Any) -> None:
        self.events.add_event(**fields)


class OverVideoRows:
    """The video repository's calls, answered by the :class:`SqlVideoRepository` a repository holds
    (``video_rows``) over its own session: the operations and maintenance repositories compose one
    and answer as a video repository too (sdk/ports.py), written once here."""

    video_rows: SqlVideoRepository

    def get_assignment(self, assignment_id: int) -> Assignment | None:
        return self.video_rows.get_assignment(assignment_id)

    def get_assignment_and_submission(
        self, assignment_id: int, submission_id: int, *, read_only: bool = False
    ) -> tuple[Assignment | AssignmentRead | None, Submission | SubmissionRead | None]:
        return self.video_rows.get_assignment_and_submission(assignment_id, submission_id, read_only=read_only)

    def add_assignment(self, assignment_id: int, course_id: int, now: int) -> Assignment:
        return self.video_rows.add_assignment(assignment_id, course_id, now)

    def get_submission(self, submission_id: int) -> Submission | None:
        return self.video_rows.get_submission(submission_id)

    def lock_submission(self, submission_id: int, skip_locked: bool = False) -> Submission | None:
        return self.video_rows.lock_submission(submission_id, skip_locked)

    def add_submission(
        self, submission_id: int, assignment_id: int, user_id: int, now: int, group_id: int | None = None
    ) -> Submission:
        return self.video_rows.add_submission(submission_id, assignment_id, user_id, now, group_id)

    def add_video(self, **fields: Any) -> Video:
        return self.video_rows.add_video(**fields)

    def add_copy_of(self, video: Video, **fields: Any) -> Video:
        return self.video_rows.add_copy_of(video, **fields)

    def get_video(self, video_id: int) -> Video | None:
        return self.video_rows.get_video(video_id)

    def lock_video(self, video_id: int) -> Video | None:
        return self.video_rows.lock_video(video_id)

    def get_video_by_key(self, s3_key: str, submission_id: int | None = None) -> Video | None:
        return self.video_rows.get_video_by_key(s3_key, submission_id)

    def get_video_by_upload_id(self, upload_id: str) -> Video | None:
        return self.video_rows.get_video_by_upload_id(upload_id)

    def videos(self, **filters: Any) -> list[Video] | list[VideoRead]:
        return self.video_rows.videos(**filters)

    def submissions_of_assignment(self, assignment_id: int) -> list[Submission]:
        return self.video_rows.submissions_of_assignment(assignment_id)

    def add_event(self, **fields: Any) -> None:
        return self.video_rows.add_event(**fields)
