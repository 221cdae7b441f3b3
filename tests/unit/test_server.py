"""The ``[server:main]`` runner says a busy address in one line, naming it."""

import socket

import pytest

from s3video_sidecar.server import serve


def test_a_busy_port_is_one_line_naming_the_address(capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            serve({}, listen=f"127.0.0.1:{port}")(lambda environ, start_response: [])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"s3video: cannot listen on 127.0.0.1:{port}: it is already in use")
