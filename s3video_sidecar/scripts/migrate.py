"""``s3video-migrate development.ini``: bring the database to the latest migration."""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: s3video-migrate <ini file>", file=sys.stderr)
        return 2
    config = Config(argv[0])
    command.upgrade(config, "head")
    return 0


if __name__ == "__main__":
    sys.exit(main())
