"""The serve-level control routes on the two listeners (beside, not inside, the fakes' apps).

On the Graph listener: ``GET /_fake/health``, ``GET /_fake/lab`` (the ready-file object),
``POST /_fake/lab/reset``, ``GET/PUT /_fake/lab/state`` (both fakes, the clock and the engine in
one object). The Miro listener answers ``GET /_fake/health`` too. Errors answer in Graph's
``{"error": {...}}`` envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from flask import Flask, Response, request

from harness.lab.local import Lab
from harness.lab.state_files import dump_lab_state
from harness.request_body import json_object

HEALTH_PATH = "/_fake/health"
LAB_PATH = "/_fake/lab"
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

    @app.put(LAB_PATH + "/state")
    def put_state() -> Response:
        try:
            state = _body_object()
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


def _body_object() -> dict[str, Any]:
    return json_object(request.get_data(), ValueError)
