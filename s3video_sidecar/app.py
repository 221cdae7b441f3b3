"""The WSGI app factory: ``main`` is PasteDeploy's ``paste.app_factory`` (``use = egg:s3video-sidecar``).

The settings are parsed and every long-lived part is built once, by ``services`` (the same
factories the worker and ``s3video-admin`` use); each layer then finds what it needs with
``find_service`` (pyramid_services).
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.request import Request


def main(global_config, **settings):
    """Build the WSGI app: settings and services first, then each layer in order."""
    with Configurator(settings=settings, root_factory=".resources.Root") as config:
        config.include(".services")  # parse the settings; build and register every service once
        config.include(".models")  # pyramid_tm: request.dbsession, one transaction per request
        config.include(".security")  # S3V1 signatures, the nonce store, ACL principals
        config.include(".ratelimit")  # per-user limits: the rate_limit= view option
        config.include(".views")  # the API, /health, /openapi.json, the local edge
        config.commit()
        extended = request_class_with_extensions(config.registry)
        config.set_request_factory(extended)
        app = config.make_wsgi_app()
    # The router applies the request extensions to every request it makes: for properties, Pyramid
    # builds a new class per request (``InstancePropertyHelper.apply_properties``, ~50 µs a call).
    # Its requests are made from ``extended``, which has them already. (The extensions stay
    # registered: ``pyramid.scripting.prepare`` still applies them to a request made elsewhere.)
    app.request_extensions = None
    return app


def request_class_with_extensions(registry):
    """A ``Request`` class holding what ``add_request_method`` registered (``request.tm``,
    ``request.dbsession``, ``request.video_service``, pyramid_services' methods): the same
    attributes, reified the same way, defined once on a class instead of on each request."""
    base = registry.queryUtility(IRequestFactory, default=Request)
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None:
        return base
    attributes = {**extensions.methods, **dict(extensions.descriptors), "__module__": base.__module__}
    return type(base.__name__, (base,), attributes)
