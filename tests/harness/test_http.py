"""The client layer: host-routed in-process transport, TCP fallback, borrowed transports."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from flask import Flask, request

from harness.http import BorrowedTransport, RoutingTransport, make_client
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
