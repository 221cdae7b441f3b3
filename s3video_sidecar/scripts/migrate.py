"""``s3video-migrate development.ini``: bring the database to the latest migration."""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from . import read_ini, run_command


def _upgrade(ini_path: str) -> int:
    read_ini(ini_path)  # one clear line when the file is missing
    command.upgrade(Config(ini_path), "head")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: s3video-migrate <ini file>", file=sys.stderr)
        return 2
    return run_command("s3video-migrate", _upgrade, argv[0])


if __name__ == "__main__":
    sys.exit(main())
