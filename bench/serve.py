"""Entry point of the child processes the benchmarks and the reliability tests start.

    python -m bench.serve s3 PORT BUCKET [DATA_DIR]   the S3 stand-in (its data on disk in DATA_DIR)
    python -m bench.serve sidecar PORT SETTINGS.json  the sidecar on waitress
    python -m bench.serve bare PORT SETTINGS.json     a bare Pyramid app: constant JSON

``SETTINGS.json`` holds ``{"app": {...ini settings...}, "server": {...waitress options...}}``;
``"reuse_port": "true"`` among the server options lets several processes listen on one port.
Each serves until it is killed.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading


def _waitress(app, port: int, server_options: dict) -> None:
    from waitress import serve

    options = dict(server_options)
    if str(options.pop("reuse_port", "")).lower() in ("1", "true", "yes"):
        # Several processes on one port (SO_REUSEPORT): the kernel spreads new connections
        # among them (bench/scale.py). The socket is bound here and handed to waitress.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        serve(app, sockets=[sock], **options)
        return
    serve(app, host="127.0.0.1", port=port, **options)


def bare_app(settings: dict):
    """The framework's own ceiling: one Pyramid view, constant JSON, nothing else."""
    from pyramid.config import Configurator

    def constant(request):
        return {"status": "ok", "service": "bare"}

    with Configurator(settings=settings) as config:
        config.add_route("bare", "/bare")
        config.add_view(constant, route_name="bare", renderer="json")
        return config.make_wsgi_app()


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    kind, port = argv[0], int(argv[1])
    if kind == "s3":
        from s3video_sidecar.sdk.embedded_s3 import EmbeddedS3

        server = EmbeddedS3(f"http://127.0.0.1:{port}", argv[3] if len(argv) > 3 else None).open()
        server.ensure_bucket(argv[2], ())
        server.start()
        print("ready", flush=True)
        threading.Event().wait()
    with open(argv[2], encoding="utf-8") as handle:
        config = json.load(handle)
    if kind == "sidecar":
        from s3video_sidecar.app import main as make_app

        app = make_app({}, **config["app"])
    elif kind == "bare":
        app = bare_app(config["app"])
    else:
        raise SystemExit(f"unknown kind {kind!r}: s3, sidecar or bare")
    _waitress(app, port, config.get("server", {}))


if __name__ == "__main__":
    main(sys.argv[1:])
