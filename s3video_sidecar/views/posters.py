"""``POST /assignments/{a}/posters``: the grading table's thumbnails and media facts, one call a page.

Moodle's grading table renders one summary per row; asking for each row's poster would be a
call per row. This call takes the page's submission ids (1 to 500, distinct) and answers, in
the order asked, each one's signed poster URL and the probe's facts. A POST, not a GET: the
list may be 500 ids, more than a URL should carry through proxies, and the body goes through
the same strict JSON and schema checks as every other body. It reads only: nothing is
written and no event logged (a poster is not a view), so retrying it is safe.

Graders of the assignment's course and admins only (the assignment's ACL); a student gets 403.
Each grader's calls count against ``s3video.rate_limit.posters`` (``ratelimit.py``; 429 with
``Retry-After`` past it): the call signs up to 500 URLs, and a grading table asks once a page.
"""

from __future__ import annotations

from pyramid.view import view_config

from .. import schemas
from ..resources import Assignment
from ..sdk.errors import NotFound
from ..security import Permission


@view_config(
    context=Assignment,
    name="posters",
    request_method="POST",
    permission=Permission.VIEW,
    renderer="json",
    rate_limit="posters",
)
def posters(context, request):
    body = schemas.validate_body(request, schemas.PostersRequest())
    if context.record is None:
        raise NotFound("the sidecar holds nothing for this assignment")
    return request.video_service.posters(context.id, body["submission_ids"])
