"""The serve-level control routes on the two listeners (beside, not inside, the fakes' apps).

On the Graph listener: ``GET /_fake/health``, ``GET /_fake/lab`` (the ready-file object),
``POST /_fake/lab/reset``, ``GET/PUT /_fake/lab/state`` (both fakes, the clock and the engine in
one object), ``POST /_fake/lab/save`` (write the ``--state`` file now). The Miro listener
answers ``GET /_fake/health`` too. Errors answer in Graph's ``{"error": {...}}`` envelope.

:class:`ControlGuard` closes every ``/_fake/`` route but the health check to requests without
the control token, when the harness has one (served beyond loopback).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from fakekit.validation import MAX_STATE_BYTES
from harness.lab.local import Lab
from harness.lab.state_files import dump_lab_state
from harness.lab.surface import CONTROL_TOKEN_HEADER
from harness.request_body import json_object
from mock_graph.exceptions import GraphError
from mock_miro.exceptions import ScimError

log = logging.getLogger("harness.serve")

HEALTH_PATH = "/_fake/health"
LAB_PATH = "/_fake/lab"
CONTROL_PREFIX = "/_fake/"
WSGIApp = Callable[..., Any]


class LabBusy(RuntimeError):
    """The lab cannot be replaced now (a cycle is running)."""


class LabHost(Protocol):
    """What the control routes need from the harness that serves the lab."""

    @property
    def lab(self) -> Lab | None: ...

    def current(self) -> Lab: ...

    def ready_info(self) -> dict[str, Any]: ...

    def reset(self, body: Mapping[str, Any]) -> Lab:
        """A fresh lab as ``body`` asks; ValueError for a bad body, LabBusy during a cycle."""
        ...

    def load_state(self, state: dict[str, Any]) -> Lab:
        """A lab rebuilt from a saved state; ValueError for a bad one, LabBusy during a cycle."""
        ...

    def save(self) -> dict[str, Any]:
        """Write the ``--state`` file now; ValueError without one, LabBusy during a cycle."""
        ...


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps a server reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ControlGuard:
    """WSGI middleware: with a ``token``, a ``/_fake/`` request (the health check excepted)
    must carry it in the ``X-Harness-Control-Token`` header, or it gets a 401 from ``refuse``
    (the listener's own error format). Without a token, everything passes, as on loopback."""

    def __init__(
        self, app: WSGIApp, token: str | None, refuse: Callable[[str], tuple[str, bytes]]
    ) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.refuse = refuse

    def allows(self, environ: dict[str, Any]) -> bool:
        path = environ.get("PATH_INFO", "")
        if self.token is None or not path.startswith(CONTROL_PREFIX) or path == HEALTH_PATH:
            return True
        header = "HTTP_" + CONTROL_TOKEN_HEADER.upper().replace("-", "_")
        given = environ.get(header, "").encode("latin-1", "replace")
        return hmac.compare_digest(given, self.token)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self.allows(environ):
            return self.app(environ, start_response)
        content_type, body = self.refuse(
            f"The control plane needs the control token in the {CONTROL_TOKEN_HEADER} header "
            "(the ready file's control_token)."
        )
        start_response(
            "401 Unauthorized",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]


def graph_refusal(message: str) -> tuple[str, bytes]:
    """A refusal in Graph's error envelope (the Graph listener)."""
    body = {"error": {"code": "Unauthorized", "message": message, "innerError": {}}}
    return "application/json", json.dumps(body).encode()


def graph_raw_error(status: int, reason: str) -> tuple[str, bytes]:
    """The Graph listener's answer to a request its server refuses before the app (a malformed
    request line): Graph's envelope, as for any other bad request."""
    error = GraphError(status, "BadRequest" if status == 400 else "Request_BadRequest", reason)
    return "application/json", json.dumps(error.body({})).encode()


def scim_raw_error(status: int, reason: str) -> tuple[str, bytes]:
    """The Miro listener's answer to a request its server refuses before the app: a SCIM
    error body (RFC 7644 section 3.12), as the Miro fake sends."""
    return "application/scim+json", json.dumps(ScimError(status, reason).body()).encode()


def miro_control_refusal(message: str) -> tuple[str, bytes]:
    """A refusal in the Miro control plane's ``{"error": ...}`` format (the Miro listener)."""
    return "application/json", json.dumps({"error": message}).encode()


class ControlRouter:
    """Sends the serve-level control paths to ``control``, everything else to the lab slot."""

    def __init__(self, control: WSGIApp, prefixes: set[str], fallback: WSGIApp) -> None:
        self.control = control
        self.prefixes = tuple(sorted(prefixes))
        self.fallback = fallback

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if any(path == p or path.startswith(p + "/") for p in self.prefixes):
            return self.control(environ, start_response)
        return self.fallback(environ, start_response)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _graph_error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message, "innerError": {}}}, status)


def control_app(host: LabHost) -> Flask:
    app = Flask("harness_serve")

    @app.errorhandler(404)
    def _not_found(exc: Exception) -> Response:
        return _graph_error(404, "Request_ResourceNotFound", f"No control route {request.path}.")

    @app.errorhandler(405)
    def _not_allowed(exc: Exception) -> Response:
        return _graph_error(
            405, "Request_BadRequest", f"{request.method} is not allowed on {request.path}."
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return _graph_error(exc.code or 500, "Request_BadRequest", exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _graph_error(500, "generalException", "An unexpected error occurred.")

    @app.get(HEALTH_PATH)
    def health() -> Response:
        lab = host.lab
        if lab is None:
            return _json({"status": "starting"}, 503)
        with lab.store.lock:
            jobs = len(lab.store.jobs)
        return _json(
            {
                "status": "ok",
                "graph": "ok",
                "miro": "ok",
                "jobs": jobs,
                "now": lab.clock.now().isoformat(),
            }
        )

    @app.get(LAB_PATH)
    def info() -> Response:
        return _json(host.ready_info())

    @app.post(LAB_PATH + "/reset")
    def reset() -> Response:
        try:
            body = _body_object()
            host.reset(body)
        except ValueError as exc:
            return _graph_error(400, "Request_BadRequest", str(exc))
        except LabBusy as exc:
            return _graph_error(409, "Conflict", str(exc))
        return _json(host.ready_info())

    @app.get(LAB_PATH + "/state")
    def get_state() -> Response:
        return _json(dump_lab_state(host.current()))

    @app.post(LAB_PATH + "/save")
    def save() -> Response:
        try:
            _body_object()  # none expected; a bad one is still refused, not ignored
            saved = host.save()
        except ValueError as exc:
            return _graph_error(400, "Request_BadRequest", str(exc))
        except LabBusy as exc:
            return _graph_error(409, "Conflict", str(exc))
        return _json(saved)

    @app.put(LAB_PATH + "/state")
    def put_state() -> Response:
        try:
            state = _body_object(max_bytes=MAX_STATE_BYTES)
            host.load_state(state)
        except ValueError as exc:  # StateFileError and the fakes' bad-request errors
            return _graph_error(400, "Request_BadRequest", str(exc))
        except LabBusy as exc:
            return _graph_error(409, "Conflict", str(exc))
        except Exception as exc:
            if getattr(exc, "status", None) == 400 or getattr(exc, "code", None) == 400:
                return _graph_error(400, "Request_BadRequest", str(exc))
            raise
        return _json(host.ready_info())

    return app


def _body_object(max_bytes: int | None = None) -> dict[str, Any]:
    if max_bytes is None:
        return json_object(request.get_data(), ValueError)
    return json_object(request.get_data(), ValueError, max_bytes=max_bytes)
