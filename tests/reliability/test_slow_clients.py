"""Idle, slow and oversized clients against waitress started as production starts it.

The server is this suite's app on waitress with ``production.ini``'s ``[server:main]``
options (``bench.processes.production_server_options``: the same the benchmarks use), on
loopback. Everything here is bounded: at most 1,000 sockets, each wait a few seconds.

- 1,000 idle connections (waitress' old ``connection_limit`` of 100 locked every client out
  at about 100) and 120 clients trickling their headers byte by byte: ``/health`` still
  answers within a second;
- idle and stalled connections are closed by the server within ``channel_timeout`` +
  ``cleanup_interval`` seconds;
- a 48 MiB body is refused (413) as soon as its headers arrive, before any of it is sent,
  and oversized headers get 431.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import threading
import time

import pytest
import requests

from bench.processes import production_server_options
from tests.conftest import free_port

pytestmark = pytest.mark.slow
HEALTH_TIMEOUT_SECONDS = 1.0  # the requirement: /health answers in under a second


@pytest.fixture(scope="module")
def production_server(reliable_app):
    from waitress.server import create_server

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:  # 1,000 client sockets and their 1,000 server ends, in this one process
        if hard != resource.RLIM_INFINITY and hard < 4096:
            pytest.skip(f"needs 4,096 open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
    options = production_server_options()
    port = free_port()
    server = create_server(reliable_app, host="127.0.0.1", port=port, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{port}"
    server.address = ("127.0.0.1", port)
    assert requests.get(server.url + "/health", timeout=30).status_code == 200  # warm: imports, pools
    yield server
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(30)


def _health(server) -> float:
    started = time.monotonic()
    answer = requests.get(server.url + "/health", timeout=HEALTH_TIMEOUT_SECONDS, headers={"Connection": "close"})
    assert answer.status_code == 200, answer.text
    return time.monotonic() - started


def _wait_until_accepted(server, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len(server.active_channels) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_server_runs_with_productions_limits(production_server):
    adj = production_server.adj
    assert adj.connection_limit >= 1500 and adj.asyncore_use_poll
    assert adj.channel_timeout <= 15 and adj.cleanup_interval <= 5


def test_health_answers_within_a_second_with_1000_idle_connections_open(production_server):
    idle = []
    try:
        for _ in range(1000):
            idle.append(socket.create_connection(production_server.address, timeout=10))
        _wait_until_accepted(production_server, 1000)
        assert len(production_server.active_channels) >= 1000
        seconds = [_health(production_server) for _ in range(3)]
        print(f"/health with {len(idle)} idle connections open: {max(seconds) * 1000:.0f} ms at most")
    finally:
        for sock in idle:
            sock.close()


def test_health_answers_within_a_second_with_120_slow_header_clients(production_server):
    slow = [socket.create_connection(production_server.address, timeout=10) for _ in range(120)]
    header = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
    stop = threading.Event()

    def trickle():  # one byte per client every 0.2 s: never idle, never done
        offset = 0
        while not stop.is_set() and offset < len(header):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(header[offset : offset + 1])
            offset += 1
            stop.wait(0.2)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        time.sleep(1)  # every slow client mid-header
        seconds = [_health(production_server) for _ in range(3)]
        print(f"/health with 120 slow-header clients: {max(seconds) * 1000:.0f} ms at most")
    finally:
        stop.set()
        trickler.join(10)
        for sock in slow:
            sock.close()


def test_idle_and_stalled_clients_are_dropped_within_seconds(production_server):
    adj = production_server.adj
    limit = adj.channel_timeout + 2 * adj.cleanup_interval + 3
    idle = [socket.create_connection(production_server.address, timeout=limit) for _ in range(10)]
    stalled = [socket.create_connection(production_server.address, timeout=limit) for _ in range(10)]
    for sock in stalled:
        sock.sendall(b"POST /assignments/1/submissions/2/upload-url HTTP/1.1\r\nHost: x\r\n")  # then nothing
    started = time.monotonic()
    try:
        for sock in idle + stalled:
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1024) == b""  # the server closed it
        print(
            f"idle and stalled clients dropped after {time.monotonic() - started:.1f} s "
            f"(channel_timeout {adj.channel_timeout} s, cleanup_interval {adj.cleanup_interval} s)"
        )
    finally:
        for sock in idle + stalled:
            sock.close()


def _status(sock) -> bytes:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer.split(b"\r\n", 1)[0].split(b" ")[1]  # "HTTP/1.x 413 ..." -> b"413"


def test_an_unsigned_48_mib_body_is_refused_before_it_is_sent(production_server):
    with socket.create_connection(production_server.address, timeout=5) as sock:
        sock.sendall(
            b"POST /assignments/1/submissions/2/upload-url HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (48 * 1024**2)
        )
        # not one byte of the body sent: the answer comes from the headers alone
        assert _status(sock) == b"413"


def test_oversized_headers_are_refused(production_server):
    with socket.create_connection(production_server.address, timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
        assert _status(sock) == b"431"
