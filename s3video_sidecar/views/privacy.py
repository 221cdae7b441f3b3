"""The privacy API (role ``admin`` only, by the ``/privacy`` resource's ACL): export a user's
data, erase a user, erase some or all users of an assignment. Each call is logged, naming
the admin, never the data subject (``sdk/privacy.py``).
"""

from __future__ import annotations

from pyramid.view import view_config

from .. import schemas
from ..resources import PrivacyAssignment, PrivacyUser
from ..schemas import operations
from ..sdk.privacy import PrivacyService
from ..security import Permission


def privacy_service(request) -> PrivacyService:
    return request.find_service(PrivacyService)


@view_config(context=PrivacyUser, request_method="GET", permission=Permission.ADMIN, renderer="json")
def export_user(context, request):
    query = operations.validate_query(request, operations.ExportQuery())
    return privacy_service(request).export_user(context.user_id, request.identity.actor, query["assignment"])


@view_config(context=PrivacyUser, request_method="DELETE", permission=Permission.ADMIN, renderer="json")
def erase_user(context, request):
    request.response.status_int = 202
    return privacy_service(request).erase_user(context.user_id, request.identity.actor)


@view_config(
    context=PrivacyAssignment, name="erase", request_method="POST", permission=Permission.ADMIN, renderer="json"
)
def erase_assignment_users(context, request):
    body = schemas.validate_body(request, operations.EraseRequest())
    request.response.status_int = 202
    return privacy_service(request).erase_assignment_users(
        context.assignment_id, None if body["all_users"] else body["users"], request.identity.actor
    )
