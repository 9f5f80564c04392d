"""The client layer: host-routed in-process transport, TCP fallback, borrowed transports."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import httpx
import pytest
from flask import Flask, request

from harness.http import BorrowedTransport, RoutingTransport, WSGIAppTransport, make_client
from harness.servers import ServerThread


def _app(name: str) -> Flask:
    app = Flask(name)

    @app.route("/<path:rest>", methods=["GET", "POST"])
    def echo(rest: str):  # type: ignore[no-untyped-def]
        return {
            "app": name,
            "path": "/" + rest,
            "query": request.query_string.decode(),
            "auth": request.headers.get("Authorization"),
        }

    return app


def test_hosts_route_to_their_own_app_in_process() -> None:
    transport = RoutingTransport({"graph.local": _app("graph"), "miro.local": _app("miro")})
    with httpx.Client(transport=transport) as client:
        assert client.get("http://graph.local/v1.0/users").json()["app"] == "graph"
        assert client.get("http://MIRO.local/api/v1/scim/Users").json()["app"] == "miro"


def test_query_strings_are_encoded_like_entra_sends_them() -> None:
    transport = RoutingTransport({"miro.local": _app("miro")})
    with make_client("http://miro.local", transport=transport) as client:
        body = client.get("/Users", params={"filter": 'userName eq "a b"'}).json()
    assert body["query"] == "filter=userName+eq+%22a+b%22"


def test_unbound_hosts_go_to_the_fallback() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"fallback": True})

    transport = RoutingTransport(
        {"graph.local": _app("graph")}, fallback=httpx.MockTransport(handler)
    )
    with httpx.Client(transport=transport) as client:
        assert client.get("http://elsewhere.example/x").json() == {"fallback": True}
    assert seen == ["http://elsewhere.example/x"]


def test_unbound_hosts_use_tcp_by_default() -> None:
    transport = RoutingTransport()
    with (
        ServerThread(_app("served")) as server,
        make_client(server.url, transport=transport) as client,
    ):
        assert client.get("/ping").json()["app"] == "served"


def test_a_crashing_app_answers_500_instead_of_raising() -> None:
    app = Flask("crash")

    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    with make_client("http://crash.local", app=app) as client:
        assert client.get("/boom").status_code == 500


def test_closing_a_borrowing_client_keeps_the_shared_transport_open() -> None:
    transport = RoutingTransport({"graph.local": _app("graph")})
    make_client("http://graph.local", transport=BorrowedTransport(transport)).close()
    with make_client("http://graph.local", transport=BorrowedTransport(transport)) as client:
        assert (
            client.get("/again", headers={"Authorization": "Bearer t"}).json()["auth"] == "Bearer t"
        )


def test_bind_and_unbind() -> None:
    transport = RoutingTransport(fallback=httpx.MockTransport(lambda r: httpx.Response(599)))
    transport.bind("x.local:8080", _app("x"))
    with httpx.Client(transport=transport) as client:
        assert client.get("http://x.local:8080/a").status_code == 200
        assert client.get("http://x.local:9090/a").status_code == 599
        transport.unbind("x.local:8080")
        assert client.get("http://x.local:8080/a").status_code == 599
    assert transport.bound_hosts() == []


def test_the_clients_keep_cookies_a_server_sets_and_skip_the_jar_otherwise(
    monkeypatch: Any,
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        headers = [("Content-Type", "text/plain")]
        if environ["PATH_INFO"] == "/set":
            headers.append(("Set-Cookie", "s=1; Path=/"))
        start_response("200 OK", headers)
        return [environ.get("HTTP_COOKIE", "").encode()]

    client = make_client("http://app.local", app=app)
    jar_calls: list[str] = []
    original = httpx.Cookies.extract_cookies
    monkeypatch.setattr(
        httpx.Cookies,
        "extract_cookies",
        lambda self, response: (jar_calls.append(str(response.url.path)), original(self, response)),
    )
    client.get("/plain")
    assert jar_calls == [] and len(client.cookies) == 0
    client.get("/set")
    assert jar_calls == ["/set"] and client.cookies["s"] == "1"
    assert client.get("/plain").text == "s=1"  # sent back as httpx always did
    client.cookies = {"t": "2"}
    assert client.get("/plain").text == "t=2"


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("http://miro.local/api/v1/scim/Users", None),
        ("http://miro.local/api/v1/scim/Users", [("filter", 'userName eq "a b@x.com"')]),
        (
            "https://miro.local:8443/scim/Groups",
            (("excludedAttributes", "members"), ("filter", 'displayName eq "R&D = 100% +ü"')),
        ),
        ("http://graph.local/v1.0/users?$top=999", None),
        ("http://graph.local/v1.0/users?$top=999", {"$select": "id,mail"}),
        ("http://graph.local/v1.0/users#frag", {"a": "1"}),
        ("http://graph.local/v1.0/users", {}),
    ],
)
def test_harness_client_builds_the_url_httpx_builds(url: str, params: object) -> None:
    plain = httpx.Client().build_request("GET", url, params=params)  # type: ignore[arg-type]
    ours = make_client().build_request("GET", url, params=params)
    assert ours.url == plain.url and str(ours.url) == str(plain.url)
    assert ours.url.raw_path == plain.url.raw_path and ours.headers == plain.headers


def _recording_app(seen: list[dict[str, Any]]) -> Any:
    """A WSGI app that keeps what it was given and answers from the request's own path."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        given = {k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")}
        given["body"] = environ["wsgi.input"].read()
        given["order"] = [k for k in environ if k.startswith(("HTTP_", "CONTENT_"))]
        seen.append(given)
        path = environ["PATH_INFO"]
        if path == "/lazy":  # start_response only once the body is iterated

            def lazy() -> Any:
                start_response("201 Created", [("Content-Type", "text/plain")])
                yield b""
                yield b"late"
                yield b""
                yield b"r"

            return lazy()
        status = "404 NOT FOUND" if path == "/missing" else "200 OK"
        start_response(status, [("Content-Type", "application/json"), ("X-Echo", path)])
        return [b"", b'{"path": "', path.encode(), b'"}']

    return app


@pytest.mark.parametrize(
    ("method", "url", "headers", "content"),
    [
        ("GET", "http://miro.local/api/v1/scim/Users?filter=userName%20eq%20%22a%22", {}, None),
        ("POST", "http://miro.local/Users", {"Content-Type": "application/scim+json"}, b"{}"),
        ("PATCH", "https://Miro.Local:8443/a%20b/c", {"X-Dashed-Name": "v", "accept": "*/*"}, b"x"),
        ("DELETE", "http://graph.local/v1.0/users/1", {"Authorization": "Bearer t"}, None),
        ("GET", "http://graph.local/missing", {}, None),
        ("GET", "http://graph.local/lazy", {}, None),
    ],
)
def test_the_in_process_transport_answers_as_httpxs_wsgi_transport(
    method: str, url: str, headers: dict[str, str], content: bytes | None
) -> None:
    seen: list[dict[str, Any]] = []
    app = _recording_app(seen)
    answers = []
    for transport in (
        httpx.WSGITransport(app=app, raise_app_exceptions=False),
        WSGIAppTransport(app),
    ):
        request = httpx.Request(method, url, headers=headers, content=content)
        response = transport.handle_request(request)
        answers.append((response.status_code, response.headers.raw, response.read()))
    assert seen[0] == seen[1]  # the same environ, header order included
    assert answers[0] == answers[1]
    assert answers[1][0] in (200, 201, 404) and answers[1][2]


def test_the_in_process_transport_closes_the_apps_answer_with_the_response() -> None:
    closed: list[bool] = []

    class Answer:
        def __iter__(self) -> Any:
            return iter([b"a", b"b"])

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Answer:
        start_response("200 OK", [])
        return Answer()

    with make_client("http://app.local", app=app) as client:
        with client.stream("GET", "/") as response:
            assert closed == []
            assert b"".join(response.iter_bytes()) == b"ab"
        assert closed == [True]


def test_a_read_response_is_freed_without_the_cyclic_collector() -> None:
    # httpx ties a response's stream to the response; the client unties it once the body is
    # read, so a replay's 400,000 responses are not left for the cyclic collector.
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"a": 1}']

    with make_client("http://app.local", app=app) as client:
        gc.disable()
        try:
            response = client.get("/")
            alive = weakref.ref(response)
            assert (response.json(), response.text, response.is_closed) == (
                {"a": 1},
                '{"a": 1}',
                True,
            )
            assert response.elapsed.total_seconds() >= 0  # set when httpx closed the stream
            assert list(response.stream) == []
            del response
            assert alive() is None
        finally:
            gc.enable()


def test_the_in_process_transport_refuses_an_app_that_never_starts_a_response() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b"no status"]

    with pytest.raises(RuntimeError, match="start_response"):
        WSGIAppTransport(app).handle_request(httpx.Request("GET", "http://app.local/"))


@pytest.mark.parametrize(
    ("method", "url", "params", "headers", "content"),
    [
        ("POST", "http://miro.local/api/v1/scim/Users", None, {"Content-Type": "a/b"}, b'{"a":1}'),
        ("PATCH", "http://miro.local/api/v1/scim/Users/7", None, {}, b"xy"),
        ("POST", "http://miro.local/api/v1/scim/Users", None, None, None),
        ("GET", "http://miro.local/api/v1/scim/Users", (("filter", 'userName eq "a"'),), {}, None),
        ("GET", "https://graph.local:8443/v1.0/users", {"$top": "999"}, None, None),
        ("DELETE", "http://miro.local/api/v1/scim/Users/7", None, {"Accept": "*/*"}, None),
        ("POST", "http://miro.local/x", None, {"Content-Length": "1"}, b"y"),
    ],
)
def test_harness_client_builds_the_request_httpx_builds(
    method: str, url: str, params: Any, headers: dict[str, str] | None, content: bytes | None
) -> None:
    client_headers = {"Authorization": "Bearer one", "Accept": "application/scim+json"}
    plain = httpx.Client(headers=client_headers, timeout=7.0)
    ours = make_client(headers=client_headers, timeout=7.0)

    def same(**changes: Any) -> None:
        options = {"params": params, "headers": headers, "content": content, **changes}
        want = plain.build_request(method, url, **options)
        got = ours.build_request(method, url, **options)
        assert (got.method, got.url, got.headers.raw) == (want.method, want.url, want.headers.raw)
        assert (got.read(), got.extensions) == (want.read(), want.extensions)

    same()
    same()  # the second time, from the headers kept
    same(content=None if content else b"longer body")
    for client in (plain, ours):  # a client's default headers can change between requests
        client.headers["Authorization"] = "Bearer two"
        client.timeout = httpx.Timeout(3.0)
    same()
    same(json={"a": 1}, content=None)
    same(cookies={"c": "1"})
    same(timeout=1.0, extensions={"x": 1})
