"""The SQLAlchemy repository behind :class:`~s3video_sidecar.sdk.service.VideoService`.

All SQL of the video lifecycle lives here; the service speaks in domain terms.
"""

from __future__ import annotations

from sqlalchemy import literal_column, select
from sqlalchemy.orm import joinedload
from sqlalchemy.exc import IntegrityError

from .event import Event
from .video import Assignment, Submission, Video


class SqlVideoRepository:
    def __init__(self, dbsession):
        self.dbsession = dbsession

    def get_assignment(self, assignment_id: int) -> Assignment | None:
        return self.dbsession.get(Assignment, assignment_id)

    def get_assignment_and_submission(self, assignment_id: int, submission_id: int):
        """``(assignment, submission)``, either None if absent, and the submission's current video: one query.

        Every call on a submission starts here, so it is one round trip, not three. Both rows
        are outer-joined to a one-row probe, as either may exist without the other; they land in
        the session's identity map, so later ``get_*`` calls for them cost no query.
        """
        probe = select(literal_column("1").label("one")).subquery("probe")
        query = (
            select(Assignment, Submission)
            .select_from(probe)
            .outerjoin(Assignment, Assignment.id == assignment_id)
            .outerjoin(Submission, Submission.id == submission_id)
            .options(joinedload(Submission.current_video))
        )
        assignment, submission = self.dbsession.execute(query).one()
        return assignment, submission

    def _add_once(self, row, key):
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

    def add_submission(self, submission_id: int, assignment_id: int, user_id: int, now: int,
                       group_id: int | None = None) -> Submission:
        submission = Submission(
            id=submission_id, assignment_id=assignment_id, user_id=user_id, group_id=group_id, created_timestamp=now
        )
        return self._add_once(submission, submission_id)

    def add_video(self, **fields) -> Video:
        video = Video(**fields)
        self.dbsession.add(video)
        self.dbsession.flush()
        return video

    def get_video(self, video_id: int) -> Video | None:
        return self.dbsession.get(Video, video_id)

    def get_video_by_key(self, s3_key: str) -> Video | None:
        return self.dbsession.scalar(select(Video).where(Video.s3_key == s3_key))

    def get_video_by_upload_id(self, upload_id: str) -> Video | None:
        return self.dbsession.scalar(select(Video).where(Video.upload_id == upload_id))

    def videos(self, *, submission_id=None, assignment_id=None, user_id=None, statuses=None,
               fingerprint=None, for_update=False) -> list[Video]:
        query = select(Video).order_by(Video.id)
        if submission_id is not None:
            query = query.where(Video.submission_id == submission_id)
        if assignment_id is not None:
            query = query.where(Video.assignment_id == assignment_id)
        if user_id is not None:
            query = query.where(Video.user_id == user_id)
        if statuses is not None:
            query = query.where(Video.upload_status.in_([str(s) for s in statuses]))
        if fingerprint is not None:
            query = query.where(Video.fingerprint == fingerprint)
        if for_update:
            query = query.with_for_update(skip_locked=True)
        return list(self.dbsession.scalars(query))

    def submissions_of_assignment(self, assignment_id: int) -> list[Submission]:
        return list(self.dbsession.scalars(select(Submission).where(Submission.assignment_id == assignment_id)))

    def add_event(self, **fields) -> Event:
        event = Event(**fields)
        self.dbsession.add(event)
        return event
