"""PrivacyService's erase and AdminService's delete, restore and query log over the in-memory fakes."""

from __future__ import annotations

import pytest

from s3video_sidecar.sdk.admin import AdminService
from s3video_sidecar.sdk.domain import ERASED_USER_ID, Actor, Conflict, VideoStatus
from s3video_sidecar.sdk.privacy import ERASED_FILENAME, PrivacyService
from s3video_sidecar.sdk.service import VideoService
from tests.support.fakes import MP4_HEAD, Clock, FakeRepository, FakeSettings, FakeSigner, FakeStorage

COURSE, ASSIGNMENT = 5, 10
ADMIN = Actor(user=1, roles=frozenset({"admin"}), course=COURSE)


def student(user):
    return Actor(user=user, roles=frozenset({"student"}), course=COURSE)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def videos(clock):
    return VideoService(FakeRepository(), FakeStorage(), FakeSigner(), FakeSettings(), clock=clock)


def confirmed(videos, user, submission_id):
    answer = videos.request_upload(ASSIGNMENT, submission_id, student(user), "clip.mp4", len(MP4_HEAD), "video/mp4")
    videos.storage.put(answer["upload"]["fields"]["key"], MP4_HEAD)
    submission = videos.repo.get_submission(submission_id)
    videos.confirm_upload(submission, answer["s3_key"], student(user))
    return submission.current_video


def test_erase_marks_the_users_videos_due_now_and_keeps_nobody_elses(videos, clock):
    mine, theirs = confirmed(videos, 100, 20), confirmed(videos, 101, 21)
    privacy = PrivacyService(videos.repo, videos, clock=clock)
    answer = privacy.erase_user(100, ADMIN)
    assert answer == {"status": "erasing", "videos": 1, "events_anonymised": answer["events_anonymised"]}
    assert answer["events_anonymised"] > 0
    assert mine.upload_status == VideoStatus.DELETING and mine.purge_after_timestamp == int(clock.now)
    assert (mine.user_id, mine.original_filename, mine.checksum_sha256) == (ERASED_USER_ID, ERASED_FILENAME, None)
    assert videos.repo.get_submission(20).user_id == ERASED_USER_ID
    assert theirs.upload_status == VideoStatus.READY and theirs.user_id == 101
    assert all(e.get("user_id") != 100 and e.get("s3_key") != mine.s3_key for e in videos.repo.events)
    erased = videos.repo.events[-1]
    assert erased["event_type"] == "privacy_erased" and erased["user_id"] == ADMIN.user  # names the admin only


def test_erase_of_a_user_with_nothing_is_erased_at_once(videos, clock):
    assert PrivacyService(videos.repo, videos, clock=clock).erase_user(999, ADMIN)["status"] == "erased"


def test_admin_delete_then_restore_brings_the_video_back_as_current(videos, clock):
    video = confirmed(videos, 100, 20)
    admin = AdminService(videos.repo, videos, clock=clock)
    admin.delete(video, ADMIN)
    assert video.upload_status == VideoStatus.DELETING and video.submission.current_video_id is None
    with pytest.raises(Conflict):
        admin.delete(video, ADMIN)
    admin.restore(video, ADMIN)
    assert video.upload_status == VideoStatus.READY and video.submission.current_video_id == video.id
    assert videos.repo.event_types()[-2:] == ["delete_requested", "video_restored"]


def test_admin_reads_are_logged_with_the_filter_names_only_when_an_actor_is_given(videos):
    admin = AdminService(videos.repo, videos)
    admin.log_query(None, "videos", {"user": 5})
    assert videos.repo.events == []
    admin.log_query(ADMIN, "videos", {"user": 5, "course": None, "statuses": (), "page": 2, "per_page": 10})
    [event] = videos.repo.events
    assert event["event_type"] == "admin_query" and event["user_role"] == "admin"
    assert event["error_context"] == '{"call": "videos", "filters": ["user"]}'
