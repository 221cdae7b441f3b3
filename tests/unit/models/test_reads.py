"""The read models (``models/reads.py``): the columns of their tables, and the same values the ORM reads."""

from __future__ import annotations

import dataclasses

import pytest

from s3video_sidecar.models import Assignment, Submission, Video
from s3video_sidecar.models.reads import AssignmentRead, SubmissionRead, VideoRead
from s3video_sidecar.models.repository import SqlVideoRepository


@pytest.mark.parametrize(
    ("model", "read", "extra"),
    [(Assignment, AssignmentRead, []), (Submission, SubmissionRead, ["current_video"]), (Video, VideoRead, [])],
)
def test_each_read_model_has_its_tables_columns_in_order(model, read, extra):
    assert [field.name for field in dataclasses.fields(read)] == [c.key for c in model.__table__.c] + extra


def _columns(row, model) -> dict:
    return {c.key: getattr(row, c.key) for c in model.__table__.c}


def _video(repository, submission_id: int, key: str, status: str = "pending"):
    return repository.add_video(
        assignment_id=1,
        submission_id=submission_id,
        user_id=3,
        s3_key=key,
        s3_bucket="b",
        upload_status=status,
        original_filename="clip.mp4",
        mime_type="video/mp4",
        declared_size=10,
        upload_timestamp=0,
        upload_expires_timestamp=60,
    )


@pytest.fixture
def rows(db_session):
    repository = SqlVideoRepository(db_session)
    repository.add_assignment(1, 5, 0)
    repository.add_assignment(2, 6, 0)
    submission = repository.add_submission(10, 1, 3, 0, group_id=4)
    repository.add_submission(11, 1, 3, 0)  # no video
    current = _video(repository, 10, "videos/3/a/clip.mp4", "ready")
    _video(repository, 10, "videos/3/b/clip.mp4")
    submission.current_video_id = current.id
    db_session.flush()
    db_session.expire_all()
    return repository


def test_the_read_models_hold_what_the_orm_reads(rows):
    assignment, submission = rows.get_assignment_and_submission(1, 10, read_only=True)
    orm_assignment, orm_submission = rows.get_assignment_and_submission(1, 10)
    assert isinstance(assignment, AssignmentRead) and isinstance(submission, SubmissionRead)
    assert _columns(assignment, Assignment) == _columns(orm_assignment, Assignment)
    assert _columns(submission, Submission) == _columns(orm_submission, Submission)
    assert isinstance(submission.current_video, VideoRead)
    assert _columns(submission.current_video, Video) == _columns(orm_submission.current_video, Video)
    with pytest.raises(dataclasses.FrozenInstanceError):
        submission.current_video_id = None  # read only: nothing to flush

    reads = rows.videos(submission_id=10, statuses=["ready", "pending"], read_only=True)
    entities = rows.videos(submission_id=10, statuses=["ready", "pending"])
    assert [_columns(v, Video) for v in reads] == [_columns(v, Video) for v in entities]
    assert len(reads) == 2 and all(isinstance(v, VideoRead) for v in reads)
    assert rows.videos(submission_id=10, statuses=["deleted"], read_only=True) == []
    with pytest.raises(ValueError, match="no lock"):
        rows.videos(submission_id=10, read_only=True, for_update=True)


def test_read_only_absent_rows_and_another_assignments_submission(rows):
    assignment, submission = rows.get_assignment_and_submission(1, 11, read_only=True)
    assert assignment == AssignmentRead(1, 5, 0) and submission.current_video is None
    assert rows.get_assignment_and_submission(1, 99, read_only=True) == (AssignmentRead(1, 5, 0), None)
    assert rows.get_assignment_and_submission(98, 99, read_only=True) == (None, None)
    # submission 10 is assignment 1's: asked under assignment 2, assignment 2 is read alone
    assignment, submission = rows.get_assignment_and_submission(2, 10, read_only=True)
    assert assignment == AssignmentRead(2, 6, 0) and submission.assignment_id == 1
