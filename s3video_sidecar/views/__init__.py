"""Views: named views on the traversal contexts, plus /health, /openapi.json and the local edge.

A view finds what it needs with ``request.find_service`` (registered once by ``services.py``):
the domain services by class (``request.video_service``, made without a lookup, is ``find_service(VideoService)``),
the long-lived parts by name (``"settings"``, ``"storage"``, ...).
"""


def includeme(config):
    from ..services import parts_of

    local_edge = parts_of(config).settings.cdn == "local"
    if local_edge:
        config.add_route("edge", "/edge/*key")
    config.include(".demo")  # the development page, only when s3video.development.demo is on
    # The edge's view needs its route: with s3video.cdn = cloudfront there is neither.
    config.scan(".", ignore=[".demo"] + ([] if local_edge else [".edge"]))
