"""The SQL repositories answer the SDK's ports (``sdk/ports.py``) by composition, over one session."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from s3video_sidecar.models import Base
from s3video_sidecar.models.maintenance import SqlMaintenanceRepository
from s3video_sidecar.models.operations import SqlOperationsRepository
from s3video_sidecar.models.repository import OverVideoRows, SqlEventLog, SqlVideoRepository
from s3video_sidecar.sdk import ports


def members(protocol) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol) if not name.startswith("_")}


@pytest.mark.parametrize(
    ("repository", "protocols"),
    [
        (SqlEventLog, [ports.EventLog]),
        (SqlVideoRepository, [ports.VideoRepository]),
        (SqlOperationsRepository, [ports.VideoRepository, ports.OperationsRepository]),
        (SqlMaintenanceRepository, [ports.VideoRepository, ports.MaintenanceRepository]),
    ],
)
def test_each_repository_has_every_method_of_its_ports(repository, protocols):
    for protocol in protocols:
        missing = {name for name in members(protocol) if not callable(getattr(repository, name, None))}
        assert not missing, f"{repository.__name__} lacks {sorted(missing)} of {protocol.__name__}"


def test_no_inheritance_chain_and_one_session_throughout():
    # Neither inherits another repository: both hold one and share only the forwarding of its calls.
    assert SqlMaintenanceRepository.__mro__[1:] == (OverVideoRows, object)
    assert SqlOperationsRepository.__mro__[1:] == (OverVideoRows, object)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        jobs = SqlMaintenanceRepository(session)
        assert jobs.operations.dbsession is session and jobs.video_rows.dbsession is session
        jobs.add_assignment(1, 5, 0)
        jobs.add_submission(2, 1, 3, 0)
        video = jobs.add_video(
            assignment_id=1,
            submission_id=2,
            user_id=3,
            s3_key="videos/3/a/clip.mp4",
            s3_bucket="b",
            original_filename="clip.mp4",
            mime_type="video/mp4",
            declared_size=10,
            upload_timestamp=0,
            upload_expires_timestamp=60,
        )
        assert video.id is not None and video.upload_status == "pending" and video.upload_method == "post"
        assert jobs.videos(submission_id=2) == [video]  # the video repository's answer, through the composition
        assert jobs.count_videos_by_status() == {"pending": 1}  # the operations repository's
        assert jobs.key_states("videos/3/") == [("videos/3/a/clip.mp4", "pending", None)]  # its own
        copy = jobs.add_copy_of(video, upload_status="ready")
        assert (copy.id, copy.s3_key, copy.upload_status) == (video.id + 1, video.s3_key, "ready")
        with pytest.raises(TypeError):
            jobs.add_video(no_such_column=1)
