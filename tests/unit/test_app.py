"""The package and its SDK load no Pyramid; the web app registers each service once (pyramid_services)."""

import subprocess
import sys
import textwrap

from s3video_sidecar.services import PART_NAMES, Parts, parts_of

# The ad-hoc registry attributes the parts once lived in: none is set any more.
OLD_REGISTRY_ATTRIBUTES = (
    "storage",
    "url_signer",
    "edge_public_key",
    "s3video_settings",
    "cost_estimator",
    "dbengine",
    "dbsession_factory",
    "nonce_store",
    "rate_limiter",
    "jobs",
)


def test_the_package_and_its_sdk_load_no_pyramid_and_no_stand_in():
    script = textwrap.dedent("""
        import importlib, pkgutil, sys
        import s3video_sidecar, s3video_sidecar.sdk
        for module in pkgutil.iter_modules(s3video_sidecar.sdk.__path__):
            if module.name != "embedded_s3":  # the development stand-in itself (werkzeug)
                importlib.import_module(f"s3video_sidecar.sdk.{module.name}")
        import s3video_sidecar.settings, s3video_sidecar.services  # what the worker and the CLI build with
        print(",".join(sorted({name.split(".")[0] for name in sys.modules
                               if name.split(".")[0] in ("pyramid", "webob", "moto", "werkzeug", "flask")})) or "none")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_the_app_factory_is_the_entry_point():
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="paste.app_factory") if e.module.startswith("s3video_sidecar")]
    assert entry.value == "s3video_sidecar.app:main"


def test_each_part_is_registered_once_and_found_by_requests(wsgi_app):
    from pyramid.scripting import prepare

    from s3video_sidecar.sdk.admin import AdminService
    from s3video_sidecar.sdk.privacy import PrivacyService
    from s3video_sidecar.sdk.service import VideoService

    registry = wsgi_app.registry
    parts = parts_of(registry)
    assert isinstance(parts, Parts) and parts.jobs is not None
    assert not [name for name in OLD_REGISTRY_ATTRIBUTES if hasattr(registry, name)]
    with prepare(registry=registry) as env:
        request = env["request"]
        for name in PART_NAMES:
            assert request.find_service(name=name) is getattr(parts, name)
        videos = request.find_service(VideoService)
        assert request.video_service is videos and videos.storage is parts.storage
        assert isinstance(request.find_service(AdminService), AdminService)
        assert isinstance(request.find_service(PrivacyService), PrivacyService)
        request.dbsession.close()


def test_the_worker_and_the_cli_build_with_the_same_factories(app_settings):
    from s3video_sidecar.sdk.service import VideoService
    from s3video_sidecar.services import build_parts, video_service
    from s3video_sidecar.settings import parse_settings

    parts = build_parts(parse_settings(app_settings), jobs=True)
    try:
        session = parts.session_factory()
        runner_service = parts.jobs.runner.video_service(session)
        assert isinstance(runner_service, VideoService) and runner_service.storage is parts.storage
        assert video_service(parts, session).settings is parts.settings
        session.close()
    finally:
        parts.engine.dispose()
