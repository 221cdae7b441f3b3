"""Views: named views on the traversal contexts, plus /health, /openapi.json and the local edge."""


def includeme(config):
    config.add_request_method(_video_service, "video_service", reify=True)
    local_edge = config.registry.s3video_settings.cdn == "local"
    if local_edge:
        config.add_route("edge", "/edge/*key")
    config.include(".demo")  # the development page, only when s3video.development.demo is on
    # The edge's view needs its route: with s3video.cdn = cloudfront there is neither.
    config.scan(".", ignore=[".demo"] + ([] if local_edge else [".edge"]))


def _video_service(request):
    from ..models.repository import SqlVideoRepository
    from ..sdk.service import VideoService

    registry = request.registry
    return VideoService(
        SqlVideoRepository(request.dbsession), registry.storage, registry.url_signer, registry.s3video_settings
    )
