"""The WSGI app factory: ``main`` is PasteDeploy's ``paste.app_factory`` (``use = egg:s3video-sidecar``).

The settings are parsed and every long-lived part is built once, by ``services`` (the same
factories the worker and ``s3video-admin`` use); each layer then finds what it needs with
``find_service`` (pyramid_services).
"""

from __future__ import annotations

from pyramid.config import Configurator


def main(global_config, **settings):
    """Build the WSGI app: settings and services first, then each layer in order."""
    with Configurator(settings=settings, root_factory=".resources.Root") as config:
        config.include(".services")  # parse the settings; build and register every service once
        config.include(".models")  # pyramid_tm: request.dbsession, one transaction per request
        config.include(".security")  # S3V1 signatures, the nonce store, ACL principals
        config.include(".ratelimit")  # per-user limits: the rate_limit= view option
        config.include(".views")  # the API, /health, /openapi.json, the local edge
        return config.make_wsgi_app()
