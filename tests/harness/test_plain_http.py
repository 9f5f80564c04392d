"""PlainHTTPTransport (http.client under httpx) answers as httpx's own transport does: the same
requests on the wire, the same responses, kept-alive connections, and httpx's errors."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask, Response, request

from harness.http import PlainHTTPTransport, RoutingTransport
from harness.servers import ServerThread


def _echo_app() -> Flask:
    app = Flask("echo")

    @app.route("/echo/<path:rest>", methods=["GET", "POST", "PATCH", "DELETE", "HEAD"])
    def echo(rest: str) -> Any:
        return {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "headers": [list(item) for item in request.headers.items()],
            "body": request.get_data(as_text=True),
            "port": request.environ.get("REMOTE_PORT"),
        }

    @app.get("/chunked")
    def chunked() -> Response:
        return Response((part for part in (b"one,", b"", b"two,", b"three")), mimetype="text/plain")

    @app.get("/big")
    def big() -> Response:
        return Response((b"x" * 100_000 for _ in range(5)), mimetype="text/plain")

    @app.get("/empty")
    def empty() -> Response:
        return Response(status=204, headers={"X-Kind": "none", "Set-Cookie": "a=1; Path=/"})

    @app.get("/missing")
    def missing() -> Response:
        return Response('{"detail": "no"}', status=404, mimetype="application/scim+json")

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(_echo_app(), server="cheroot") as running:
        yield running


def _answer(response: httpx.Response) -> tuple[Any, ...]:
    headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"date"]
    return response.status_code, response.reason_phrase, response.http_version, headers


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("GET", "/echo/Users", {"params": {"filter": 'userName eq "a b@x.com"'}}),
        ("POST", "/echo/Users", {"content": b'{"a": 1}', "headers": {"Content-Type": "a/b"}}),
        ("PATCH", "/echo/Users/7", {"json": {"Operations": []}, "headers": {"X-Dash-Ed": "v"}}),
        ("DELETE", "/echo/Users/7", {}),
        ("HEAD", "/echo/x", {}),
        ("GET", "/chunked", {}),
        ("GET", "/empty", {}),
        ("GET", "/missing", {}),
    ],
)
def test_it_answers_as_httpxs_own_transport(
    server: ServerThread, method: str, path: str, options: dict[str, Any]
) -> None:
    with (
        httpx.Client(base_url=server.url) as plain,
        httpx.Client(base_url=server.url, transport=PlainHTTPTransport()) as ours,
    ):
        want = plain.request(method, path, **options)
        got = ours.request(method, path, **options)
    assert _answer(got) == _answer(want)
    if path.startswith("/echo") and method != "HEAD":
        sent, expected = got.json(), want.json()
        assert sent["port"] != expected["port"]  # two connections: the comparison is real
        sent.pop("port"), expected.pop("port")
        assert sent == expected  # the same request line, header list and body on the wire
    else:
        assert got.content == want.content
    assert got.cookies == want.cookies


def test_connections_are_kept_alive_and_reused(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url, transport=PlainHTTPTransport()) as client:
        ports = {client.get("/echo/a").json()["port"] for _ in range(5)}
        client.get("/chunked")
        ports.add(client.post("/echo/b", content=b"x").json()["port"])
    assert len(ports) == 1


def test_a_response_closed_early_drops_its_connection(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url, transport=PlainHTTPTransport()) as client:
        first = client.get("/echo/a").json()["port"]
        with client.stream("GET", "/big") as response:
            next(response.iter_raw(1))
        assert client.get("/echo/a").json()["port"] != first


def _one_shot_server(answer: bytes | None, delay: float = 0.0) -> tuple[int, threading.Thread]:
    """A socket server for one connection: reads the request, writes ``answer`` (None: says
    nothing), then closes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                if answer is None:
                    if delay:
                        threading.Event().wait(delay)
                    return
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (None, httpx.RemoteProtocolError),  # closed without a response
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", httpx.RemoteProtocolError),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            httpx.RemoteProtocolError,
        ),
    ],
)
def test_a_server_that_breaks_off_is_httpxs_protocol_error(
    answer: bytes | None, error: type[Exception]
) -> None:
    messages = []
    for transport in (httpx.HTTPTransport(), PlainHTTPTransport()):
        port, thread = _one_shot_server(answer)
        with httpx.Client(transport=transport) as client, pytest.raises(error) as caught:
            client.get(f"http://127.0.0.1:{port}/")
        thread.join(5)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_a_slow_server_is_a_read_timeout_and_a_closed_port_a_connect_error() -> None:
    port, thread = _one_shot_server(None, delay=2.0)
    with httpx.Client(transport=PlainHTTPTransport()) as client:
        with pytest.raises(httpx.ReadTimeout, match="timed out"):
            client.get(f"http://127.0.0.1:{port}/", timeout=0.2)
        thread.join(5)
        with pytest.raises(httpx.ConnectError) as ours:
            client.get(f"http://127.0.0.1:{port}/")
    with httpx.Client() as plain, pytest.raises(httpx.ConnectError) as theirs:
        plain.get(f"http://127.0.0.1:{port}/")
    assert str(ours.value) == str(theirs.value)


def test_a_kept_connection_the_server_closed_is_not_reused(server: ServerThread) -> None:
    port, thread = _one_shot_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    transport = PlainHTTPTransport()
    with httpx.Client(transport=transport) as client:
        assert client.get(f"http://127.0.0.1:{port}/").text == "ok"  # kept: no close said
        thread.join(5)  # ... but the server has closed it since
        port2, thread2 = _one_shot_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")
        assert client.get(f"http://127.0.0.1:{port2}/").text == "no"
        thread2.join(5)
        with pytest.raises(httpx.ConnectError):  # the first port: a new connection, refused
            client.get(f"http://127.0.0.1:{port}/")


def test_routing_transport_sends_unbound_plain_http_hosts_through_it(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = PlainHTTPTransport.handle_request

    def recording(self: PlainHTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return original(self, request)

    monkeypatch.setattr(PlainHTTPTransport, "handle_request", recording)
    with httpx.Client(transport=RoutingTransport()) as client:
        assert client.get(server.url + "/echo/x").json()["path"] == "/echo/x"
    assert seen == [server.url + "/echo/x"]


def test_an_answer_sent_before_the_whole_request_was_read_is_the_response() -> None:
    # A server may refuse a body it will not read (413) and close: httpcore reads that answer
    # instead of reporting the failed write, and so does PlainHTTPTransport.
    answers = []
    for transport in (httpx.HTTPTransport(), PlainHTTPTransport()):
        listener = socket.create_server(("127.0.0.1", 0))

        def refuse(listener: socket.socket = listener) -> None:
            with listener:
                conn, _ = listener.accept()
                with conn:
                    conn.recv(1024)
                    conn.sendall(
                        b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n"
                        b"Connection: close\r\n\r\nbig!"
                    )
                    threading.Event().wait(0.3)  # closed with the body unread

        thread = threading.Thread(target=refuse, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with httpx.Client(transport=transport) as client:
            response = client.post(url, content=b"x" * 8_000_000)
        thread.join(5)
        answers.append((response.status_code, response.text))
    assert answers == [(413, "big!"), (413, "big!")]
