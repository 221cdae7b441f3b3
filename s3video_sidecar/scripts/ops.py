"""What the operators' commands (``stats``, ``videos``, ``events``, ``cost``) share: the
admin service over the ini's database, option types, and readable tables.

Every command takes the ini file first and ``--json`` for machine-readable output; the
tables are plain text, sized to their content, numbers right-aligned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from contextlib import contextmanager

from .. import services
from ..sdk.admin import parse_moment
from . import bootstrap


@contextmanager
def admin_service(ini_path: str):
    """An AdminService over the ini's database (read-only use: nothing is committed)."""
    parts = bootstrap(ini_path, logging=False)
    session = parts.session_factory()
    try:
        yield services.admin_service(parts, session)
    finally:
        session.close()
        parts.engine.dispose()


def add_command(subparsers, name: str, help_text: str, func) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("ini", help="the sidecar's ini file (development.ini, production.ini)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(func=func)
    return parser


def moment(text: str) -> int:
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def moment_end(text: str) -> int:
    """An upper bound: a date includes its whole day."""
    try:
        return parse_moment(text, end=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


def print_json(value) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))


# -- formatting ---------------------------------------------------------------------
def human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table; numbers right-aligned, None shown as '-'."""
    cells = [[("-" if value is None else str(value)) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) and bool(rows)
        for i in range(len(headers))
    ]

    def line(values):
        columns = zip(values, widths, numeric, strict=True)
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in columns).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(row) for row in cells])
