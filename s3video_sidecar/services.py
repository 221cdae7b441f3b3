"""The composition root: every long-lived part built once from the settings, and the services over them.

The web app, the worker, ``s3video-admin`` and the notebooks all build here, so each part is
configured one way only:

- :func:`build_parts` makes the long-lived parts of one ini (:class:`Parts`: the engine and
  session factory, storage, the URL signer, the nonce store, the rate limiter, the cost
  model, and the job queue where asked).
- :func:`video_service`, :func:`admin_service` and :func:`privacy_service` make the domain
  services over one database session. Scripts and the worker call them with a plain session;
  the web app registers them with pyramid_services (:func:`includeme`), so a view gets them
  with ``request.find_service(VideoService)`` over the request's transaction-bound session.
- Outside a request (tests, ``pshell``, notebooks), :func:`parts_of` finds an app's parts.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .sdk import cdn
from .sdk.storage import S3Storage, make_s3_client
from .settings import Settings, SettingsError, parse_settings

log = logging.getLogger(__name__)
_embedded_servers: dict = {}


@dataclass(frozen=True)
class Parts:
    """The long-lived parts built from one ini: one of each per process."""

    settings: Settings
    engine: Any
    session_factory: Any
    storage: S3Storage
    url_signer: cdn.UrlSigner
    signing_key: Any  # the CloudFront private key (its public half checks the local edge's URLs)
    nonce_store: Any
    rate_limiter: Any
    cost_estimator: Callable  # MonthUsage -> the month's bill (sdk/cost.py)
    jobs: Any = None  # the job queue and its tasks (tasks/), where asked for


# -- the long-lived parts -----------------------------------------------------------------


def embedded_s3_module():
    """``sdk.embedded_s3``, which needs the ``development`` extra (werkzeug): a production
    install (``pip install s3video-sidecar``) does not carry it."""
    try:
        from .sdk import embedded_s3
    except ModuleNotFoundError as exc:
        raise SettingsError(
            f"s3video.storage = embedded needs the development stand-in, which is not installed (no module"
            f" {exc.name!r}): pip install 's3video-sidecar[development]' (or, from a checkout, `make install`);"
            " in production use s3video.storage = aws"
        ) from None
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
        log.info(
            "embedded S3 stand-in listening on %s, data in %s",
            server.endpoint_url,
            settings.embedded_data_dir or f"{server.data_dir} (temporary: s3video.embedded.data_dir is not set)",
        )
    else:
        server.ensure_bucket(settings.bucket, settings.moodle_origins)
    return server


def build_storage(settings: Settings) -> S3Storage:
    credentials = {}
    if settings.storage == "embedded":
        embedded_s3 = embedded_s3_module()
        credentials = {
            "aws_access_key_id": embedded_s3.ACCESS_KEY_ID,
            "aws_secret_access_key": embedded_s3.SECRET_ACCESS_KEY,
        }
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


def build_nonce_store(settings: Settings, engine):
    """Where used S3V1 nonces are remembered: Redis, or the database."""
    from .security import DatabaseNonceStore, RedisNonceStore

    if settings.nonce_store == "redis":
        import redis

        if settings.redis_url is None:  # refused when the settings are parsed: unreachable from an ini
            raise SettingsError("s3video.redis_url: required when s3video.nonce_store = redis")
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return RedisNonceStore(client, settings.redis_url)
    return DatabaseNonceStore(engine, time.time)


def build_parts(settings: Settings, *, web: bool = False, jobs: bool = False) -> Parts:
    """Every long-lived part of these settings. ``web``: the web app's (its connection pool
    settings, and the embedded S3 stand-in started when ``s3video.storage = embedded``; scripts
    reach the stand-in over HTTP like any S3). ``jobs``: with the job queue (``tasks.setup_jobs``)."""
    from .models import get_engine, get_session_factory
    from .ratelimit import build_rate_limiter

    if web and settings.storage == "embedded":
        start_embedded_s3(settings)
    signing_key = load_signing_key(settings)
    engine = get_engine(settings.sqlalchemy_url, **(settings.pool_options if web else {}))
    parts = Parts(
        settings=settings,
        engine=engine,
        session_factory=get_session_factory(engine),
        storage=build_storage(settings),
        url_signer=build_url_signer(settings, signing_key),
        signing_key=signing_key,
        nonce_store=build_nonce_store(settings, engine),
        rate_limiter=build_rate_limiter(settings, engine),
        cost_estimator=settings.cost.estimate_month,
    )
    if jobs:
        from .tasks import setup_jobs

        parts = dataclasses.replace(
            parts,
            jobs=setup_jobs(
                parts.settings, parts.session_factory, parts.storage, parts.url_signer, video_service=video_service
            ),
        )
    return parts


# -- the domain services over one session -------------------------------------------------


def video_service(parts, session, repository=None, clock=None):
    """The VideoService over ``session`` (``repository``: another repository over it, e.g. the
    worker's SqlMaintenanceRepository). ``parts``: anything with settings, storage and url_signer."""
    from .models.repository import SqlVideoRepository
    from .sdk.service import VideoService

    return VideoService(
        repository if repository is not None else SqlVideoRepository(session),
        parts.storage,
        parts.url_signer,
        parts.settings,
        **({"clock": clock} if clock is not None else {}),
    )


def admin_service(parts: Parts, session, videos=None):
    """The AdminService over ``session`` (``videos``: the VideoService of the same session, if made)."""
    from .models.operations import SqlOperationsRepository
    from .sdk.admin import AdminService

    return AdminService(
        SqlOperationsRepository(session), videos or video_service(parts, session), cost_estimator=parts.cost_estimator
    )


def privacy_service(parts: Parts, session, videos=None):
    """The PrivacyService over ``session`` (``videos``: the VideoService of the same session, if made)."""
    from .models.operations import SqlOperationsRepository
    from .sdk.privacy import PrivacyService

    return PrivacyService(
        SqlOperationsRepository(session),
        videos or video_service(parts, session),
        rate_limiter=parts.rate_limiter,
        link_expiry_seconds=parts.settings.privacy_link_expiry_seconds,
    )


# -- Pyramid: each registered once ----------------------------------------------------------

# The names the long-lived parts are registered under (``request.find_service(name=...)``).
PART_NAMES = tuple(field.name for field in dataclasses.fields(Parts))


def parts_of(config_or_registry) -> Parts:
    """The app's :class:`Parts`, from a registry, a Configurator or a request (also outside a request)."""
    from pyramid_services import find_service_factory

    registry = getattr(config_or_registry, "registry", config_or_registry)
    return find_service_factory(SimpleNamespace(registry=registry), Parts)(None, None)


def includeme(config):
    """Parse the settings; build the parts (starting the embedded S3 stand-in when configured);
    register each part, and a factory of each domain service, once with pyramid_services."""
    from .models import log_schema_state
    from .sdk.admin import AdminService
    from .sdk.privacy import PrivacyService
    from .sdk.service import VideoService

    settings = parse_settings(config.get_settings())
    parts = build_parts(settings, web=True, jobs=True)
    log_schema_state(parts.engine, settings.sqlalchemy_url)

    config.include("pyramid_services")
    config.register_service(parts, Parts)
    for name in PART_NAMES:
        config.register_service(getattr(parts, name), name=name)
    # request.video_service is the view's VideoService, made without find_service: that builds
    # pyramid_services' per-request container (its adapter registrations uncache every lookup),
    # which cost the hot calls more than the service itself. find_service(VideoService) answers the same object.
    config.add_request_method(lambda request: video_service(parts, request.dbsession), "video_service", reify=True)
    config.register_service_factory(lambda context, request: request.video_service, VideoService)
    config.register_service_factory(
        lambda context, request: admin_service(parts, request.dbsession, request.find_service(VideoService)),
        AdminService,
    )
    config.register_service_factory(
        lambda context, request: privacy_service(parts, request.dbsession, request.find_service(VideoService)),
        PrivacyService,
    )
    config.commit()  # the parts are found from here on, at configuration time too (security, views)
