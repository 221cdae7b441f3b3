"""``s3video-admin``: the operators' command line. Every command reads the app's ini file.

Each command lives in its own module of this package, exposing ``add_parser(subparsers)``
(which sets ``func`` on its parser) and registered in :data:`COMMANDS` below.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import run_command

# One line per command module (s3video_sidecar.scripts.<name>).
COMMANDS = [
    "check",  # check --deploy
    "doctor",
    "jobs",  # cleanup, reconcile, retention
    "audit",
    "stats",
    "videos",
    "events",
    "cost",
    "receipt",  # verify-receipt
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s3video-admin", description=__doc__.splitlines()[0].replace("``", ""))
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"s3video_sidecar.scripts.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"s3video_sidecar.scripts.{name}":
                raise
            continue  # a command still being written is simply not offered
        module.add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command("s3video-admin", args.func, args)


if __name__ == "__main__":
    sys.exit(main())
