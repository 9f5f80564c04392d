"""Malformed bodies and headers on every write route of a served harness, and malformed request
lines and headers at the socket: every answer is below 500, in the listener's own format, and a
rejected request changes nothing (both fakes' dumps with their id counters, the engine's with
its id generators, the clock)."""

from __future__ import annotations

import contextlib
import re
import socket

import pytest

from harness.serve.served import ServedHarness
from tests.support.hostile import Prober, service_of, well_formed
from tests.support.hostile_routes import enumerate_routes

# Bodies no route may store, nor answer with a 5xx.
MALFORMED_BODIES = {
    "truncated": b'{"a": ',
    "not JSON": b"<xml/>",
    "an array": b"[]",
    "a string": b'"text"',
    "nested 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
    "objects nested 200 deep": b'{"a":' * 200 + b"1" + b"}" * 200,
    "a lone surrogate": b'{"displayName": "a\\ud800@example.com", "userName": "a\\udfff"}',
    "NaN": b'{"value": NaN}',
    "Infinity": b'{"value": -Infinity}',
    "1e400": b'{"value": 1e400}',
    "a 400-digit integer": b'{"value": ' + b"9" * 400 + b"}",
    "invalid UTF-8": b'{"value": "\xff\xfe"}',
    "a NUL byte": b"\x00",
    "duplicate keys": b'{"a": 1, "a": {"b": [1, 2, {"c": null}]}}',
}
CONTENT_TYPES = ("application/json", "application/scim+json", "text/plain", "")


def _write_routes(served: ServedHarness) -> list[tuple[str, str, str]]:
    return [
        (r.listener, r.method, r.path)
        for r in enumerate_routes(served)
        if r.method in ("POST", "PUT", "PATCH") and not r.path.endswith("/reset")
    ]


def _credentials(prober: Prober, listener: str) -> dict[str, str]:
    token = str(prober.lab.miro.settings.token) if listener == "miro" else "any"
    return {"Authorization": f"Bearer {token}", **prober.control}


def test_malformed_bodies_on_every_write_route(served: ServedHarness, prober: Prober) -> None:
    routes = _write_routes(served)
    assert len(routes) > 40
    for listener, method, path in routes:
        for body in MALFORMED_BODIES.values():
            headers = {**_credentials(prober, listener), "Content-Type": "application/json"}
            prober.send(listener, method, path, headers=headers, content=body)
    prober.check()


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_content_types_and_odd_headers(
    served: ServedHarness, prober: Prober, content_type: str
) -> None:
    for listener, method, path in _write_routes(served):
        headers = {**_credentials(prober, listener), "Content-Type": content_type}
        headers["Accept"] = "application/xml;q=2, */*;q=0"
        headers["client-request-id"] = "\u00e9\u00e9".encode("latin-1")  # not ASCII
        prober.send(listener, method, path, headers=headers, content=b'{"unknown": [1, 2]}')
    prober.check()


def test_a_body_over_the_limits(served: ServedHarness, prober: Prober) -> None:
    big = b'{"pad": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    lab = served.current()
    sync = f"/v1.0/servicePrincipals/{lab.service_principal_id}/synchronization"
    for listener, path in (
        ("miro", "/api/v1/scim/Users"),
        ("graph", "/v1.0/users"),
        ("graph", sync + "/jobs"),
    ):
        headers = {**_credentials(prober, listener), "Content-Type": "application/json"}
        response = prober.send(listener, "POST", path, headers=headers, content=big)
        assert response.status_code in (400, 413)
    prober.check()


# What goes on the wire before any app sees the request.
RAW_REQUESTS = {
    "garbage": b"GARBAGE\r\n\r\n",
    "an unknown HTTP version": b"GET /v1.0/users HTTP/9.9\r\n\r\n",
    "a request line of 70,000 bytes": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    "a header without a colon": b"GET /v1.0/users HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    "a bad Content-Length": b"POST /v1.0/users HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "a NUL in the path": b"GET /v1.0/us\x00ers HTTP/1.1\r\nHost: x\r\n\r\n",
    "an invalid percent escape": b"GET /v1.0/users/%zz%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    "a header of 100,000 bytes": b"GET /v1.0/users HTTP/1.1\r\nX-Big: "
    + b"b" * 100_000
    + b"\r\n\r\n",
}


def _raw(host: str, port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """One answer read off the socket: its status, headers and Content-Length bytes of body."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
                received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            while length and len(body) < int(length.group(1)) and (chunk := sock.recv(65536)):
                body += chunk
    head, _, _ = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


@pytest.mark.parametrize("what", sorted(RAW_REQUESTS))
def test_malformed_request_lines_and_headers_answer_in_the_api_format(
    served: ServedHarness, prober: Prober, what: str
) -> None:
    import httpx

    for listener in (served.graph_listener, served.miro_listener):
        name = "graph" if listener is served.graph_listener else "miro"
        status, headers, body = _raw(listener.host, listener.port, RAW_REQUESTS[what])
        assert status, f"no HTTP answer to {what} on {name}"
        response = httpx.Response(status, headers=headers, content=body)
        path = "/api/v1/scim/x" if name == "miro" else "/v1.0/x"
        prober.judge(name, "RAW", path, response)
        assert well_formed(service_of(name, path), response), body[:200]
    prober.check()
