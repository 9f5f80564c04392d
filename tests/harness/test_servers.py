"""The server helper: free ports, readiness, bounded start-up, clean stop."""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from flask import Flask

from harness.servers import (
    SERVER_KINDS,
    AccessLog,
    AppSlot,
    Mount,
    ServerStartError,
    ServerThread,
    mounted_on,
)


def hello_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"hello": "world"}

    return app


def test_serves_on_a_free_port_and_stops() -> None:
    server = ServerThread(hello_app()).start()
    port = server.port
    try:
        assert server.host == "127.0.0.1"
        assert port > 0
        assert httpx.get(server.url + "/").json() == {"hello": "world"}
    finally:
        server.stop()
    # The stopped server's own port refuses connections (it used to probe port 1, which proved
    # nothing and timed out on a loaded machine).
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=10)


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
        assert sock.getsockname()[1] == port


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
    assert not server.running


# -- server kinds, mounts, access log ---------------------------------------------------------


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_every_server_kind_serves_concurrently_and_releases_its_port(kind: str) -> None:
    server = ServerThread(hello_app(), server=kind, threads=4).start()
    port = server.port
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            results: list[int] = []
            threads = [
                threading.Thread(target=lambda: results.append(client.get("/").status_code))
                for _ in range(8)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
        assert results == [200] * 8
    finally:
        server.stop()
    assert not server.running
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_busy_port_is_a_clear_error_for_every_kind() -> None:
    with ServerThread(hello_app()) as first:
        for kind in SERVER_KINDS:
            with pytest.raises(ServerStartError, match="could not bind"):
                ServerThread(hello_app(), port=first.port, server=kind).start()


def test_unknown_server_and_too_few_threads_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown WSGI server 'gunicorn'"):
        ServerThread(hello_app(), server="gunicorn")
    with pytest.raises(ValueError, match="at least 2 threads"):
        ServerThread(hello_app(), threads=1)


def test_wildcard_bind_is_reached_on_loopback() -> None:
    with ServerThread(hello_app(), host="0.0.0.0") as server:
        assert server.host == "0.0.0.0"
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(server.url + "/").json() == {"hello": "world"}


def test_an_empty_slot_answers_503_json() -> None:
    with ServerThread(AppSlot("the Graph fake")) as listener:
        response = httpx.get(listener.url + "/anything")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "the Graph fake" in response.json()["error"]


def test_a_named_server_mounts_on_a_listener_inside_mounted_on() -> None:
    slot = AppSlot()
    with ServerThread(slot) as listener:
        with mounted_on({"graph": Mount(listener, slot)}):
            inner = ServerThread(hello_app(), name="graph").start()
            other = ServerThread(hello_app(), name="miro").start()  # not mounted: own port
        try:
            assert (inner.host, inner.port, inner.url) == (
                listener.host,
                listener.port,
                listener.url,
            )
            assert other.port != listener.port
            assert httpx.get(listener.url + "/").json() == {"hello": "world"}
            successor = hello_app()
            slot.mount(successor)
            inner.stop()  # no longer the mounted app: the successor stays
            assert slot.app is successor
            slot.unmount(successor)
            assert httpx.get(listener.url + "/").status_code == 503
        finally:
            other.stop()


def test_access_log_writes_one_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="harness.access"),
        ServerThread(AccessLog(hello_app(), "graph"), server="waitress") as server,
    ):
        httpx.get(server.url + "/?x=1")
        httpx.get(server.url + "/missing")
    lines = [r.getMessage() for r in caplog.records if r.name == "harness.access"]
    assert len(lines) == 2
    assert lines[0].startswith('graph 127.0.0.1 "GET /?x=1" 200 ')
    assert lines[1].startswith('graph 127.0.0.1 "GET /missing" 404 ')
    assert all("\n" not in line for line in lines)


def test_access_log_records_a_crashing_app(caplog: pytest.LogCaptureFixture) -> None:
    def crashing(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise RuntimeError("boom")

    with (
        caplog.at_level(logging.INFO, logger="harness.access"),
        ServerThread(AccessLog(crashing, "miro"), server="cheroot") as server,
    ):
        assert httpx.get(server.url + "/x").status_code == 500
    lines = [r.getMessage() for r in caplog.records if r.name == "harness.access"]
    assert len(lines) == 1 and lines[0].startswith('miro 127.0.0.1 "GET /x" 500 0B ')


def _wire_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    environ["wsgi.input"].read()
    if path == "/empty":
        start_response("204 No Content", [("X-Kind", "none")])
        return []
    if path == "/chunked":  # no Content-Length: cheroot chunks it
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one,", b"two"])
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", "7")])
    return [b'{"a":', b"1}"]


def _raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return re.sub(rb"Date: [^\r]*\r\n", b"", received)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /created HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
        b"GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"HEAD /created HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /created HTTP/1.0\r\n\r\n",
    ],
)
def test_cheroot_answers_byte_for_byte_as_plain_cheroot(request_bytes: bytes) -> None:
    from cheroot.wsgi import Server

    plain = Server(("127.0.0.1", 0), _wire_app, server_name="harness")
    plain.prepare()
    thread = threading.Thread(target=plain.serve, daemon=True)
    thread.start()
    try:
        want = _raw_exchange(plain.bind_addr[1], request_bytes)
    finally:
        plain.stop()
    with ServerThread(_wire_app, server="cheroot") as ours:
        got = _raw_exchange(ours.port, request_bytes)
    assert got == want and got.startswith(b"HTTP/1.1 ")


def test_cheroot_writes_a_response_head_and_body_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from cheroot.makefile import StreamWriter

    writes: list[bytes] = []
    original = StreamWriter.write

    def recording(self: Any, data: bytes) -> int:
        writes.append(bytes(data))
        return original(self, data)

    monkeypatch.setattr(StreamWriter, "write", recording)
    with ServerThread(_wire_app, server="cheroot") as server, httpx.Client() as client:
        assert client.post(server.url + "/created", content=b"hi").json() == {"a": 1}
        # The head goes with the body's first chunk (cheroot alone writes it on its own).
        assert len(writes) == 2 and writes[0].endswith(b'\r\n\r\n{"a":') and writes[1] == b"1}"
        writes.clear()
        assert client.get(server.url + "/empty").status_code == 204
        assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 204 No Content\r\n")
