"""The submission API: state, upload, confirm (or draft), make current, multipart, playback,
delete, copy-from, and ``GET /whoami``.

Each view validates its body (schemas), calls the video service and returns JSON; the
permission named on each view is checked against the context's ACL before it runs, then
its ``rate_limit`` (``ratelimit.py``): starting an upload counts as ``upload_url``,
completing one (or making a draft current) as ``confirm``.
"""

from __future__ import annotations

from pyramid.view import view_config

from .. import schemas
from ..resources import Assignment, MultipartUpload, MultipartUploads, Root, Submission
from ..schemas import operations as query_schemas
from ..sdk.errors import Conflict, NotFound, TooLarge, UnsupportedType
from ..security import Permission
from .errors import error_response


def _record(context: Submission):
    if context.record is None:
        raise NotFound("this submission has no video yet")
    return context.record


def _actor(request):
    return request.identity.actor


@view_config(context=Submission, request_method="GET", permission=Permission.VIEW, renderer="json")
def submission_state(context, request):
    return request.video_service.submission_state(_record(context))


@view_config(
    context=Submission,
    name="upload-url",
    request_method="POST",
    permission=Permission.UPLOAD,
    renderer="json",
    rate_limit="upload_url",
)
def upload_url(context, request):
    body = schemas.validate_body(request, schemas.UploadRequest())
    answer = request.video_service.request_upload(
        context.assignment.id, context.id, _actor(request), body["filename"], body["size"], body["mime_type"]
    )
    request.response.status_int = 201  # the contract's status for both answers (post, or go multipart)
    return answer


def _committing_refusals(request, call):
    """Run ``call``; a refusal that changed state (object deleted, row marked) is answered, not raised,
    so the request's transaction commits the change."""
    try:
        return call()
    except (TooLarge, UnsupportedType, Conflict) as refusal:
        return error_response(request, refusal)


@view_config(
    context=Submission,
    name="confirm",
    request_method="POST",
    permission=Permission.UPLOAD,
    renderer="json",
    rate_limit="confirm",
)
def confirm(context, request):
    body = schemas.validate_body(request, schemas.ConfirmRequest())
    submission = _record(context)
    return _committing_refusals(
        request,
        lambda: request.video_service.confirm_upload(submission, body["s3_key"], _actor(request), draft=body["draft"]),
    )


@view_config(
    context=Submission,
    name="current",
    request_method="POST",
    permission=Permission.UPLOAD,
    renderer="json",
    rate_limit="confirm",
)
def make_current(context, request):
    """Moodle's ``save()``: a draft (a ready video of this submission) becomes the current video."""
    body = schemas.validate_body(request, schemas.MakeCurrentRequest())
    return request.video_service.make_current(_record(context), body["video_id"], _actor(request))


@view_config(context=Submission, name="copy-from", request_method="POST", permission=Permission.ADMIN, renderer="json")
def copy_from(context, request):
    """Moodle's restore, course copy, import and recycle bin: share another submission's video."""
    body = schemas.validate_body(request, schemas.CopyFromRequest())
    return request.video_service.copy_from(
        context.assignment.id,
        context.id,
        _actor(request),
        body["assignment_id"],
        body["submission_id"],
        body["user_id"],
        body["group_id"],
    )


@view_config(
    context=Submission,
    name="playback-url",
    request_method="GET",
    permission=Permission.VIEW,
    renderer="json",
    rate_limit="playback_url",
)
def playback_url(context, request):
    query = query_schemas.validate_query(request, query_schemas.PlaybackQuery())
    return request.video_service.playback_url(_record(context), _actor(request), renew=query["renew"])


@view_config(context=Submission, request_method="DELETE", permission=Permission.DELETE, renderer="json")
def delete_submission(context, request):
    request.response.status_int = 202
    return request.video_service.delete_submission_video(_record(context), _actor(request))


@view_config(context=Assignment, request_method="DELETE", permission=Permission.ADMIN, renderer="json")
def delete_assignment(context, request):
    query = query_schemas.validate_query(request, query_schemas.DeleteAssignmentQuery())
    if context.record is None:
        raise NotFound("the sidecar holds nothing for this assignment")
    request.response.status_int = 202
    return request.video_service.delete_assignment_videos(
        context.id, _actor(request), retain_seconds=query["retain_seconds"]
    )


# -- multipart ------------------------------------------------------------------------
@view_config(
    context=MultipartUploads,
    request_method="POST",
    permission=Permission.UPLOAD,
    renderer="json",
    rate_limit="upload_url",
)
def start_multipart(context, request):
    body = schemas.validate_body(request, schemas.MultipartRequest())
    submission = context.submission
    request.response.status_int = 201
    return request.video_service.start_multipart(
        submission.assignment.id,
        submission.id,
        _actor(request),
        body["filename"],
        body["size"],
        body["mime_type"],
        body["fingerprint"],
    )


@view_config(
    context=MultipartUpload, name="parts", request_method="POST", permission=Permission.UPLOAD, renderer="json"
)
def sign_parts(context, request):
    body = schemas.validate_body(request, schemas.SignPartsRequest())
    answer = request.video_service.sign_parts(
        _record(context.submission), context.upload_id, body["part_numbers"], body["checksums"], _actor(request)
    )
    return answer


@view_config(context=MultipartUpload, request_method="GET", permission=Permission.UPLOAD, renderer="json")
def list_parts(context, request):
    answer = request.video_service.list_parts(_record(context.submission), context.upload_id, _actor(request))
    return answer


@view_config(
    context=MultipartUpload,
    name="complete",
    request_method="POST",
    permission=Permission.UPLOAD,
    renderer="json",
    rate_limit="confirm",
)
def complete_multipart(context, request):
    body = schemas.validate_body(request, schemas.CompleteRequest())
    parts = [(p["part_number"], p["etag"]) for p in body["parts"]]
    submission = _record(context.submission)
    return _committing_refusals(
        request,
        lambda: request.video_service.complete_multipart(
            submission, context.upload_id, parts, _actor(request), draft=body["draft"]
        ),
    )


@view_config(context=MultipartUpload, request_method="DELETE", permission=Permission.UPLOAD)
def abort_multipart(context, request):
    request.video_service.abort_multipart(_record(context.submission), context.upload_id, _actor(request))
    request.response.status_int = 204
    return request.response


@view_config(context=Root, name="whoami", request_method="GET", permission=Permission.IDENTIFY, renderer="json")
def whoami(context, request):
    """The signature checks out: who the sidecar takes the caller to be (Moodle's connection check)."""
    actor = _actor(request)
    described = {"user": actor.user, "roles": sorted(actor.roles), "course": actor.course}
    if actor.group is not None:
        described["group"] = actor.group
    return {"key_id": request.identity.key_id, "actor": described}
