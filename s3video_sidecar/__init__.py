"""s3video sidecar: large video submissions for Moodle assignments, straight to S3.

``main`` is the PasteDeploy app factory (``development.ini`` / ``production.ini``).
"""

from pyramid.config import Configurator

__version__ = "0.1.0"


def main(global_config, **settings):
    """Build the WSGI app: settings first, then each layer in order."""
    with Configurator(settings=settings, root_factory=".resources.Root") as config:
        config.include(".settings")  # parse and validate every setting once
        config.include(".models")  # engine, pyramid_tm sessions
        config.include(".services")  # storage (and the embedded stand-in), URL signer
        config.include(".tasks")  # the job queue (huey); purges queued once a deletion commits
        config.include(".security")  # S3V1 signatures, nonce store, ACL principals
        config.include(".ratelimit")  # per-user limits: the rate_limit= view option, a shared counter store
        config.include(".views")  # the API, /health, /openapi.json, the local edge
        return config.make_wsgi_app()
