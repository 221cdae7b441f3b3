"""Command-line entry points (worker, admin CLI, migrations) and what they share.

:func:`bootstrap` reads the same ini file as the web app and builds the same parts
(through ``settings`` and ``services``), without starting the embedded S3 stand-in:
that runs inside the web app, and scripts reach it over HTTP like any S3.
"""

from __future__ import annotations

import os
import sys
import warnings

# Pyramid 2.1 imports pkg_resources (pyramid/asset.py), and setuptools >= 80.9 warns about that on
# stderr: a command's output is its own one line, not a library's notice about itself.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy.exc import SQLAlchemyError

from ..failures import cause, describe
from ..models.schema import SchemaNotAtHead, check_schema
from ..services import Parts, build_parts
from ..settings import SettingsError, parse_settings


class CannotStart(Exception):
    """A command cannot run: the message is one line for the admin (no traceback)."""


# What a command prints as one line instead of a traceback (see :func:`run_command`).
STARTUP_ERRORS = (CannotStart, SchemaNotAtHead, SettingsError)


def read_ini(ini_path: str) -> dict:
    """The ini's ``[app:main]`` settings; :class:`CannotStart` when there is no such file."""
    if not os.path.isfile(ini_path):
        raise CannotStart(f"{ini_path}: no such file (give the sidecar's ini file, e.g. development.ini)")
    return dict(get_appsettings(ini_path))


def bootstrap(ini_path: str, *, logging: bool = True, schema: bool = True, jobs: bool = False) -> Parts:
    """The ini's parts (``services.build_parts``; ``jobs``: with the job queue). With ``schema`` (the
    default) the database must be reachable and migrated: :class:`CannotStart` / :class:`SchemaNotAtHead` say so."""
    raw = read_ini(ini_path)
    if logging:
        setup_logging(ini_path)
    parts = build_parts(parse_settings(raw), jobs=jobs)
    if schema:
        try:
            check_schema(parts.engine)
        except SQLAlchemyError as exc:
            parts.engine.dispose()
            raise CannotStart(describe("database", parts.settings.sqlalchemy_url, exc)) from None
    return parts


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
