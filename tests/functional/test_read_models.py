"""A GET's traversal reads frozen read models (``models/reads.py``); every other method's, the ORM
entities its call may change (``resources``' rule)."""

from __future__ import annotations

import dataclasses

import pytest
from pyramid.request import Request
from pyramid.scripting import prepare
from pyramid.traversal import ResourceTreeTraverser

from s3video_sidecar.models import Assignment, Submission, Video
from s3video_sidecar.models.reads import AssignmentRead, SubmissionRead, VideoRead
from s3video_sidecar.resources import Root
from tests.functional.test_api import sub_path, upload_and_confirm


def traversed(registry, path: str, method: str):
    """The context the app's traversal reaches for ``method path``, and its request's session."""
    request = Request.blank(path, method=method)
    environment = prepare(request=request, registry=registry)
    try:
        context = ResourceTreeTraverser(Root(request))(request)["context"]
        return context, request.dbsession
    finally:
        request.tm.abort()
        environment["closer"]()


@pytest.mark.parametrize(
    ("method", "kinds"),
    [
        ("GET", (SubmissionRead, AssignmentRead, VideoRead)),
        ("HEAD", (SubmissionRead, AssignmentRead, VideoRead)),
        ("POST", (Submission, Assignment, Video)),
        ("DELETE", (Submission, Assignment, Video)),
    ],
)
def test_only_a_get_reads_frozen_rows(api, registry, ids, method, kinds):
    upload_and_confirm(api, ids)
    context, session = traversed(registry, sub_path(ids), method)
    submission, assignment, video = context.record, context.assignment.record, context.record.current_video
    assert (type(submission), type(assignment), type(video)) == kinds
    assert (submission.id, assignment.id, video.submission_id) == (ids.submission, ids.assignment, ids.submission)
    if method in ("GET", "HEAD"):
        assert not session.identity_map  # nothing the ORM tracks, so nothing it could flush
        with pytest.raises(dataclasses.FrozenInstanceError):
            submission.current_video_id = None
