"""Command-line entry points (worker, admin CLI, migrations) and what they share.

:func:`bootstrap` reads the same ini file as the web app and builds the same parts
(through ``settings`` and ``services``), without starting the embedded S3 stand-in:
that runs inside the web app, and scripts reach it over HTTP like any S3.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.paster import get_appsettings, setup_logging

from ..models import get_engine, get_session_factory
from ..services import build_storage, build_url_signer
from ..settings import Settings, parse_settings


@dataclass
class Environment:
    settings: Settings
    raw_settings: dict
    engine: object
    session_factory: object
    storage: object
    url_signer: object


def bootstrap(ini_path: str, *, logging: bool = True) -> Environment:
    if logging:
        setup_logging(ini_path)
    raw = dict(get_appsettings(ini_path))
    settings = parse_settings(raw)
    engine = get_engine(settings.sqlalchemy_url)
    return Environment(
        settings=settings,
        raw_settings=raw,
        engine=engine,
        session_factory=get_session_factory(engine),
        storage=build_storage(settings),
        url_signer=build_url_signer(settings),
    )
