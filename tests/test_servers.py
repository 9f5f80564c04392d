"""The server helper: free ports, readiness, bounded start-up, clean stop."""

from __future__ import annotations

import socket

import httpx
import pytest
from flask import Flask

from harness.servers import ServerStartError, ServerThread


def hello_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"hello": "world"}

    return app


def test_serves_on_a_free_port_and_stops() -> None:
    server = ServerThread(hello_app()).start()
    try:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert httpx.get(server.url + "/").json() == {"hello": "world"}
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.requested_port or 1}/", timeout=1)


def test_two_instances_get_different_ports() -> None:
    with ServerThread(hello_app()) as a, ServerThread(hello_app()) as b:
        assert a.port != b.port
        assert httpx.get(a.url + "/").status_code == 200
        assert httpx.get(b.url + "/").status_code == 200


def test_port_is_released_after_stop() -> None:
    server = ServerThread(hello_app()).start()
    port = server.port
    server.stop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # would raise if the server still held it


def test_busy_port_raises_a_clear_error() -> None:
    with (
        ServerThread(hello_app()) as first,
        pytest.raises(ServerStartError, match=f"could not bind 127.0.0.1:{first.port}"),
    ):
        ServerThread(hello_app(), port=first.port).start()


def test_not_running_server_has_no_port() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = ServerThread(hello_app()).port


def test_start_timeout_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ServerThread(hello_app(), startup_timeout=0.2)
    monkeypatch.setattr(server, "_answers", lambda timeout: False)
    with pytest.raises(ServerStartError, match=r"within 0\.2s"):
        server.start()
    assert server._server is None
