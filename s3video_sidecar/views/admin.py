"""The admin API (role ``admin`` only, by the ``/admin`` resource's ACL): statistics, video
search, a video's history, restore and delete, the event log.

Every call is logged: reads as ``admin_query`` (the call and the names of its filters),
restore and delete as events of the video itself.
"""

from __future__ import annotations

from pyramid.view import view_config

from ..resources import AdminResource, AdminVideo, AdminVideos
from ..schemas import operations as schemas
from ..sdk.admin import AdminService
from ..security import Permission


def admin_service(request) -> AdminService:
    return request.find_service(AdminService)


@view_config(context=AdminResource, name="stats", request_method="GET", permission=Permission.ADMIN, renderer="json")
def stats(context, request):
    query = schemas.validate_query(request, schemas.StatsQuery())
    return admin_service(request).stats(days=query["days"], actor=request.identity.actor)


@view_config(context=AdminVideos, request_method="GET", permission=Permission.ADMIN, renderer="json")
def search_videos(context, request):
    query = schemas.validate_query(request, schemas.VideoSearch())
    return admin_service(request).search_videos(
        schemas.video_filter(query), query["page"], query["per_page"], actor=request.identity.actor, query=query
    )


@view_config(context=AdminVideo, request_method="GET", permission=Permission.ADMIN, renderer="json")
def video_history(context, request):
    return admin_service(request).history(context.record, actor=request.identity.actor)


@view_config(context=AdminVideo, name="restore", request_method="POST", permission=Permission.ADMIN, renderer="json")
def restore_video(context, request):
    return admin_service(request).restore(context.record, request.identity.actor)


@view_config(context=AdminVideo, request_method="DELETE", permission=Permission.ADMIN, renderer="json")
def delete_video(context, request):
    request.response.status_int = 202
    return admin_service(request).delete(context.record, request.identity.actor)


@view_config(context=AdminResource, name="events", request_method="GET", permission=Permission.ADMIN, renderer="json")
def events(context, request):
    query = schemas.validate_query(request, schemas.EventSearch())
    return admin_service(request).search_events(
        schemas.event_filter(query), query["page"], query["per_page"], actor=request.identity.actor, query=query
    )
