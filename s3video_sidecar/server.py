"""The ``[server:main]`` runner: waitress, with a busy address said in one line.

``use = call:s3video_sidecar.server:serve`` in the ini; every other ``[server:main]`` key is
waitress's own (``listen``, ``threads``, ``trusted_proxy``, ...), passed through unchanged.
"""

from __future__ import annotations

import errno
import sys


def serve(global_config, **settings):
    """PasteDeploy's server factory (``call:``): the server that runs the app."""
    return lambda app: run(app, global_config, **settings)


def run(app, global_config, **settings):
    import waitress

    try:
        return waitress.serve_paste(app, global_config, **settings)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        address = settings.get("listen") or f"{settings.get('host', '0.0.0.0')}:{settings.get('port', 8080)}"
        why = {
            errno.EADDRINUSE: "is already in use (another sidecar, or another program)",
            errno.EACCES: "needs privileges this user lacks (use a port above 1023)",
            errno.EADDRNOTAVAIL: "is not an address of this machine",
        }[exc.errno]
        print(
            f"s3video: cannot listen on {address}: it {why}; change [server:main] listen"
            " (development.ini: http_port in [DEFAULT])",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
