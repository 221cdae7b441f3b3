"""Views: named views on the traversal contexts, plus /health, /openapi.json and the local edge."""


def includeme(config):
    config.add_request_method(_video_service, "video_service", reify=True)
    if config.registry.s3video_settings.cdn == "local":
        config.add_route("edge", "/edge/*key")
    config.scan(".")


def _video_service(request):
    from ..models.repository import SqlVideoRepository
    from ..sdk.service import VideoService

    registry = request.registry
    return VideoService(
        SqlVideoRepository(request.dbsession), registry.storage, registry.url_signer, registry.s3video_settings
    )
