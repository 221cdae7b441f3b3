"""VideoService's rules over in-memory fakes of its ports: no database, no S3, no HTTP.

The functional tests drive the same rules through the API on real databases; these say, fast,
what each rule is: limits, confirm's checks, drafts and the current video, deletion, the events.
"""

from __future__ import annotations

import pytest

from s3video_sidecar.sdk import keys
from s3video_sidecar.sdk.domain import Actor, Conflict, Forbidden, NotFound, TooLarge, UnsupportedType, VideoStatus
from s3video_sidecar.sdk.service import VideoService
from tests.support.fakes import MIB, MP4_HEAD, Clock, FakeRepository, FakeSettings, FakeSigner, FakeStorage

COURSE, ASSIGNMENT, SUBMISSION = 5, 10, 20
STUDENT = Actor(user=100, roles=frozenset({"student"}), course=COURSE)
OTHER_STUDENT = Actor(user=101, roles=frozenset({"student"}), course=COURSE)
GRADER = Actor(user=200, roles=frozenset({"grader"}), course=COURSE)
ADMIN = Actor(user=1, roles=frozenset({"admin"}), course=COURSE)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(clock):
    return VideoService(FakeRepository(), FakeStorage(), FakeSigner(), FakeSettings(), clock=clock)


def upload(service, data=MP4_HEAD, mime_type="video/mp4", actor=STUDENT, submission_id=SUBMISSION, **confirm):
    """Request a POST upload, land ``data`` at its staging key as the browser would, confirm it."""
    answer = service.request_upload(ASSIGNMENT, submission_id, actor, "clip.mp4", len(data), mime_type)
    service.storage.put(answer["upload"]["fields"]["key"], data, mime_type)
    submission = service.repo.get_submission(submission_id)
    return service.confirm_upload(submission, answer["s3_key"], actor, **confirm), submission


def test_request_upload_creates_the_rows_fixing_course_owner_and_logs_it(service):
    answer = service.request_upload(ASSIGNMENT, SUBMISSION, STUDENT, "clip.mp4", 1000, "video/mp4")
    assert answer["method"] == "post"
    assert answer["upload"]["fields"]["key"] == keys.staging_key(answer["s3_key"])  # never the video's own key
    assert service.repo.get_assignment(ASSIGNMENT).course_id == COURSE
    assert service.repo.get_submission(SUBMISSION).user_id == STUDENT.user
    video = service.repo.get_video(answer["video_id"])
    assert video.upload_status == VideoStatus.PENDING and video.declared_size == 1000
    assert service.repo.event_types() == ["upload_requested"]


def test_limits_are_checked_before_anything_is_issued_or_stored(service):
    with pytest.raises(TooLarge):
        service.request_upload(ASSIGNMENT, SUBMISSION, STUDENT, "big.mp4", 101 * MIB, "video/mp4")
    with pytest.raises(UnsupportedType):
        service.request_upload(ASSIGNMENT, SUBMISSION, STUDENT, "notes.pdf", 1000, "application/pdf")
    assert not service.repo.rows and not service.repo.submissions and not service.repo.events


def test_a_large_file_is_sent_to_multipart_and_the_service_logs_it(service):
    answer = service.request_upload(ASSIGNMENT, SUBMISSION, STUDENT, "big.mp4", 60 * MIB, "video/mp4")
    assert answer["method"] == "multipart"
    assert not service.repo.rows
    [event] = service.repo.events
    assert event["event_type"] == "upload_sent_to_multipart"
    assert (event["assignment_id"], event["submission_id"], event["file_size"]) == (ASSIGNMENT, SUBMISSION, 60 * MIB)


def test_another_student_may_not_take_over_a_submission(service):
    upload(service)
    with pytest.raises(Forbidden):
        service.request_upload(ASSIGNMENT, SUBMISSION, OTHER_STUDENT, "clip.mp4", 1000, "video/mp4")
    elsewhere = Actor(user=STUDENT.user, roles=STUDENT.roles, course=COURSE + 1)
    with pytest.raises(Forbidden):  # the assignment belongs to another course
        service.request_upload(ASSIGNMENT, SUBMISSION, elsewhere, "clip.mp4", 1000, "video/mp4")


def test_confirm_makes_the_video_current_and_moves_the_bytes_to_the_video_key(service):
    answer, submission = upload(service)
    video = submission.current_video
    assert video.upload_status == VideoStatus.READY and video.file_size == len(MP4_HEAD)
    assert video.s3_key in service.storage.objects
    assert keys.staging_key(video.s3_key) not in service.storage.objects  # staging deleted after the copy
    assert answer["current"] and answer["checksum_type"] == "full_object"
    assert service.repo.event_types()[-1] == "upload_confirmed"
    again = service.confirm_upload(submission, video.s3_key, STUDENT)  # idempotent
    assert again == answer


def test_confirm_refuses_what_is_not_the_declared_upload_and_deletes_it(service):
    answer = service.request_upload(ASSIGNMENT, SUBMISSION, STUDENT, "clip.mp4", len(MP4_HEAD), "video/mp4")
    staging = answer["upload"]["fields"]["key"]
    service.storage.put(staging, b"%PDF-1.7" + b"\x00" * (len(MP4_HEAD) - 8))
    submission = service.repo.get_submission(SUBMISSION)
    with pytest.raises(UnsupportedType):
        service.confirm_upload(submission, answer["s3_key"], STUDENT)
    video = service.repo.get_video(answer["video_id"])
    assert (video.upload_status, video.error_code) == (VideoStatus.ERROR, "not_a_video")
    assert staging not in service.storage.objects and answer["s3_key"] not in service.storage.objects
    with pytest.raises(Conflict):  # a refused upload stays refused
        service.confirm_upload(submission, answer["s3_key"], STUDENT)


def test_confirm_before_the_bytes_arrive_is_a_conflict_that_changes_nothing(service):
    answer = service.request_upload(ASSIGNMENT, SUBMISSION, STUDENT, "clip.mp4", 1000, "video/mp4")
    with pytest.raises(Conflict):
        service.confirm_upload(service.repo.get_submission(SUBMISSION), answer["s3_key"], STUDENT)
    assert service.repo.get_video(answer["video_id"]).upload_status == VideoStatus.PENDING


def test_a_new_video_replaces_the_current_one_which_goes_to_deletion_after_the_grace_period(service, clock):
    _, submission = upload(service)
    first = submission.current_video
    clock.now += 10
    upload(service)
    assert submission.current_video is not first
    assert first.upload_status == VideoStatus.DELETING
    assert first.purge_after_timestamp == int(clock.now) + service.settings.delete_grace_seconds
    assert first.s3_key in service.storage.objects  # only the purge job removes objects


def test_a_draft_stays_beside_the_current_video_until_made_current(service):
    _, submission = upload(service)
    current = submission.current_video
    answer, _ = upload(service, draft=True)
    assert not answer["current"]
    assert [d["video_id"] for d in service.submission_state(submission)["drafts"]] == [answer["video_id"]]
    assert submission.current_video is current and current.upload_status == VideoStatus.READY
    service.make_current(submission, answer["video_id"], STUDENT)
    assert submission.current_video_id == answer["video_id"]
    assert current.upload_status == VideoStatus.DELETING
    assert "video_made_current" in service.repo.event_types()


def test_a_newer_draft_supersedes_the_older_one(service):
    _, submission = upload(service)
    first, _ = upload(service, draft=True)
    second, _ = upload(service, draft=True)
    assert service.repo.get_video(first["video_id"]).upload_status == VideoStatus.DELETING
    assert [d["video_id"] for d in service.submission_state(submission)["drafts"]] == [second["video_id"]]


def test_delete_schedules_every_live_video_and_clears_the_current_one(service):
    _, submission = upload(service)
    upload(service, draft=True)
    answer = service.delete_submission_video(submission, STUDENT)
    assert answer["status"] == "deleting" and answer["scheduled"] == 2
    assert submission.current_video is None and submission.retained_video_id is not None
    assert all(v.upload_status == VideoStatus.DELETING for v in service.repo.rows.values())
    assert service.storage.deleted == [keys.staging_key(v.s3_key) for v in service.repo.rows.values()]


def test_playback_url_is_signed_for_the_current_video_and_logged_as_a_view(service):
    _, submission = upload(service)
    answer = service.playback_url(submission, GRADER)
    assert answer["url"].startswith(f"{FakeSettings.playback_base_url}/{submission.current_video.s3_key}")
    assert service.repo.events[-1]["event_type"] == "playback_url_issued"
    assert service.repo.events[-1]["user_role"] == "grader"
    service.delete_submission_video(submission, STUDENT)
    with pytest.raises(NotFound):
        service.playback_url(submission, GRADER)


def test_multipart_signs_and_lists_parts_and_the_service_logs_each_call(service):
    answer = service.start_multipart(ASSIGNMENT, SUBMISSION, STUDENT, "big.mp4", 60 * MIB, "video/mp4")
    submission = service.repo.get_submission(SUBMISSION)
    signed = service.sign_parts(submission, answer["upload_id"], [1, 2], actor=STUDENT)
    assert [p["part_number"] for p in signed["parts"]] == [1, 2]
    listed = service.list_parts(submission, answer["upload_id"], actor=STUDENT)
    assert listed == {"parts": []}
    events = service.repo.events[-2:]
    assert [e["event_type"] for e in events] == ["parts_signed", "parts_listed"]
    assert events[0]["video_id"] == answer["video_id"] and events[0]["user_id"] == STUDENT.user


def test_every_event_names_the_actor_and_never_a_signed_url(service):
    _, submission = upload(service)
    service.playback_url(submission, STUDENT)
    for event in service.repo.events:
        assert event["user_id"] == STUDENT.user and event["user_role"] == "student"
        assert "Signature" not in repr(event)
