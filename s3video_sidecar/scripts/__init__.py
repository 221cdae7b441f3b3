"""Command-line entry points (worker, admin CLI, migrations) and what they share.

:func:`bootstrap` reads the same ini file as the web app and builds the same parts
(through ``settings`` and ``services``), without starting the embedded S3 stand-in:
that runs inside the web app, and scripts reach it over HTTP like any S3.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy.exc import SQLAlchemyError

from ..failures import cause, describe
from ..models import get_engine, get_session_factory
from ..models.schema import SchemaNotAtHead, check_schema
from ..services import build_storage, build_url_signer
from ..settings import Settings, SettingsError, parse_settings


@dataclass
class Environment:
    settings: Settings
    raw_settings: dict
    engine: object
    session_factory: object
    storage: object
    url_signer: object


class CannotStart(Exception):
    """A command cannot run: the message is one line for the admin (no traceback)."""


# What a command prints as one line instead of a traceback (see :func:`run_command`).
STARTUP_ERRORS = (CannotStart, SchemaNotAtHead, SettingsError)


def read_ini(ini_path: str) -> dict:
    """The ini's ``[app:main]`` settings; :class:`CannotStart` when there is no such file."""
    if not os.path.isfile(ini_path):
        raise CannotStart(f"{ini_path}: no such file (give the sidecar's ini file, e.g. development.ini)")
    return dict(get_appsettings(ini_path))


def bootstrap(ini_path: str, *, logging: bool = True, schema: bool = True) -> Environment:
    """Settings, database, storage and signer from the ini. With ``schema`` (the default) the
    database must be reachable and migrated: :class:`CannotStart` / :class:`SchemaNotAtHead` say so."""
    raw = read_ini(ini_path)
    if logging:
        setup_logging(ini_path)
    settings = parse_settings(raw)
    engine = get_engine(settings.sqlalchemy_url)
    if schema:
        try:
            check_schema(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise CannotStart(describe("database", settings.sqlalchemy_url, exc)) from None
    return Environment(
        settings=settings,
        raw_settings=raw,
        engine=engine,
        session_factory=get_session_factory(engine),
        storage=build_storage(settings),
        url_signer=build_url_signer(settings),
    )


def run_command(prog: str, func, *args) -> int:
    """Run ``func(*args)``; a start-up error (bad setting, no ini file, unmigrated or unreachable
    database) becomes one line on stderr and exit code 2."""
    try:
        return func(*args) or 0
    except SettingsError as exc:
        print(f"{prog}: bad setting: {exc}", file=sys.stderr)
    except STARTUP_ERRORS as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
    except SQLAlchemyError as exc:
        print(f"{prog}: the database failed: {cause(exc)}", file=sys.stderr)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 2
