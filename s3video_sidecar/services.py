"""Builds the long-lived parts from settings: storage, URL signer, nonce store.

The web app (``includeme``), the worker, the admin CLI and the notebooks all build them
here, so each is configured one way only.
"""

from __future__ import annotations

import logging
import os

from .sdk import cdn
from .sdk.storage import S3Storage, make_s3_client
from .settings import Settings, SettingsError

log = logging.getLogger(__name__)
_embedded_servers: dict = {}


def embedded_s3_module():
    """``sdk.embedded_s3``, which needs the ``development`` extra (werkzeug): a production
    install (``pip install s3video-sidecar``) does not carry it."""
    try:
        from .sdk import embedded_s3
    except ModuleNotFoundError as exc:
        raise SettingsError(
            f"s3video.storage = embedded needs the development stand-in, which is not installed (no module"
            f" {exc.name!r}): pip install 's3video-sidecar[development]' (or, from a checkout, `make install`);"
            " in production use s3video.storage = aws") from None
    return embedded_s3


def start_embedded_s3(settings: Settings):
    """Start (once per process and endpoint) the loopback S3 stand-in, its bucket made first:
    the bucket exists before the port answers, so no client (the worker) ever meets NoSuchBucket."""
    embedded_s3 = embedded_s3_module()
    server = _embedded_servers.get(settings.s3_endpoint_url)
    if server is None:
        server = embedded_s3.EmbeddedS3(settings.s3_endpoint_url, settings.embedded_data_dir).open()
        server.ensure_bucket(settings.bucket, settings.moodle_origins)
        server.start()
        _embedded_servers[settings.s3_endpoint_url] = server
        log.info("embedded S3 stand-in listening on %s, data in %s", server.endpoint_url,
                 settings.embedded_data_dir or f"{server.data_dir} (temporary: s3video.embedded.data_dir is not set)")
    else:
        server.ensure_bucket(settings.bucket, settings.moodle_origins)
    return server


def build_storage(settings: Settings) -> S3Storage:
    credentials = {}
    if settings.storage == "embedded":
        embedded_s3 = embedded_s3_module()
        credentials = {"aws_access_key_id": embedded_s3.ACCESS_KEY_ID,
                       "aws_secret_access_key": embedded_s3.SECRET_ACCESS_KEY}
    client = make_s3_client(settings.region, settings.s3_endpoint_url, **credentials)
    return S3Storage(client, settings.bucket)


def load_signing_key(settings: Settings):
    path = settings.cloudfront_private_key_file
    if not os.path.exists(path):
        if not settings.cloudfront_generate_key:
            raise SettingsError(f"s3video.cloudfront.private_key_file: {path} does not exist")
        log.warning("generating a development CloudFront key pair (RSA-2048) at %s", path)
        try:
            return cdn.generate_private_key(path, "rsa")
        except FileExistsError:
            pass  # another process of this app generated it first
    try:
        return cdn.load_private_key(path)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"s3video.cloudfront.private_key_file: {exc}") from None


def build_url_signer(settings: Settings, private_key=None) -> cdn.UrlSigner:
    private_key = private_key or load_signing_key(settings)
    try:
        return cdn.UrlSigner(settings.cloudfront_key_id, private_key, settings.cloudfront_hash_algorithm)
    except ValueError as exc:
        raise SettingsError(f"s3video.cloudfront.hash_algorithm: {exc}") from None


def includeme(config):
    settings = config.registry.s3video_settings
    if settings.storage == "embedded":
        start_embedded_s3(settings)
    private_key = load_signing_key(settings)
    config.registry.storage = build_storage(settings)
    config.registry.url_signer = build_url_signer(settings, private_key)
    config.registry.edge_public_key = private_key.public_key()
