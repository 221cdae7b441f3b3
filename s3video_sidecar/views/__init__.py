"""Views: named views on the traversal contexts, plus /health, /openapi.json and the local edge.

A view finds what it needs with ``request.find_service`` (registered once by ``services.py``):
the domain services by class (``request.video_service``, made without a lookup, is ``find_service(VideoService)``),
the long-lived parts by name (``"settings"``, ``"storage"``, ...).
"""

import json

JSON_CONTENT_TYPE = "application/json"


def json_renderer(_info):
    """``renderer="json"``: Pyramid's JSON renderer as the views use it (no adapters, no ``__json__``),
    answering UTF-8 bytes (webob's body, not its text: no charset lookup) and setting the content type
    only when the view left the default, as Pyramid's does."""

    def render(value, system):
        request = system.get("request")
        if request is not None:
            response = request.response
            if response.content_type == response.default_content_type:
                response.content_type = JSON_CONTENT_TYPE
        return json.dumps(value).encode()

    return render


def includeme(config):
    from ..services import parts_of

    config.add_renderer("json", json_renderer)

    local_edge = parts_of(config).settings.cdn == "local"
    if local_edge:
        config.add_route("edge", "/edge/*key")
    config.include(".demo")  # the development page, only when s3video.development.demo is on
    # The edge's view needs its route: with s3video.cdn = cloudfront there is neither.
    config.scan(".", ignore=[".demo"] + ([] if local_edge else [".edge"]))
