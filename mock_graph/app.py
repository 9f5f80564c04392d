"""The app factory. Auth, the journal, fault injection and Graph's error envelope live at app
level (not on a blueprint), so they also cover blueprints the harness registers later."""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from fakekit import FaultBook, Journal, RawBody
from fakekit.journal import request_headers
from mock_graph import control
from mock_graph.exceptions import GraphError
from mock_graph.models import GraphBackend
from mock_graph.routes import BLUEPRINTS, TOKEN_BLUEPRINT
from mock_graph.routes.auth import check_bearer, check_permission
from mock_graph.wire import DEFAULT_FAULT_BODIES, error_response, json_response

log = logging.getLogger("mock_graph")
# Graph's API versions: both need a bearer token, routes the harness mounts under them included
# (https://learn.microsoft.com/en-us/graph/auth/auth-concepts).
API_PREFIXES = ("/v1.0", "/beta")


class _RequestIds:
    """Deterministic request ids: the n-th request of an app always gets the same id."""

    def __init__(self) -> None:
        self._rng = random.Random("request-ids")
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def create_app(
    backend: GraphBackend | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    strict_auth: bool = False,
    check_credentials: bool = False,
    tenant_id: str | None = None,
    journal_limit: int | None = None,
) -> Flask:
    """A Flask app serving Graph v1.0's directory under ``/v1.0`` and the control plane under
    ``/_fake``. ``app.extensions`` holds the state (``"mock_graph"``), the request journal
    (``"mock_graph.journal"``) and the fault book (``"mock_graph.faults"``). ``journal_limit``
    keeps only the last N journal entries (long served runs); None keeps all.
    ``check_credentials`` (implies ``strict_auth``): the token endpoint checks client ids and
    secrets, and every Graph route checks the token's application permissions."""
    b = backend if backend is not None else GraphBackend(clock=clock, tenant_id=tenant_id)
    if clock is not None:
        b.clock = clock
    if tenant_id is not None:
        b.tenant_id = tenant_id
    app = Flask("mock_graph", static_folder=None)
    app.config["MOCK_GRAPH_STRICT_AUTH"] = strict_auth or check_credentials
    app.config["MOCK_GRAPH_CHECK_CREDENTIALS"] = check_credentials
    app.config["MOCK_GRAPH_TENANT_ID"] = tenant_id
    app.extensions["mock_graph"] = b
    app.extensions["mock_graph.journal"] = Journal(journal_limit)
    app.extensions["mock_graph.faults"] = FaultBook(retry_after_for_429=1)
    ids = _RequestIds()
    app.url_map.strict_slashes = False

    for blueprint in (*BLUEPRINTS, control.bp, TOKEN_BLUEPRINT):
        app.register_blueprint(blueprint)

    @app.before_request
    def _before() -> Response | None:
        g.request_id = ids.next()
        g.client_request_id = request.headers.get("client-request-id") or g.request_id
        if request.path.startswith("/_fake"):
            return None
        fault = app.extensions["mock_graph.faults"].match(request.method, request.path)
        if fault is not None:
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            if fault.status is not None:
                return _fault_response(fault.status, fault.body, fault.retry_after)
        if request.path.startswith(API_PREFIXES):
            token = check_bearer(b, bool(app.config["MOCK_GRAPH_STRICT_AUTH"]))
            # A path no route serves answers its own 400/404, as Graph does, not a 403.
            if app.config["MOCK_GRAPH_CHECK_CREDENTIALS"] and request.url_rule is not None:
                below = request.path.split("/", 2)[2] if request.path.count("/") >= 2 else ""
                check_permission(b, token, request.method, "/" + below)
        return None

    @app.after_request
    def _after(resp: Response) -> Response:
        resp.headers["request-id"] = g.get("request_id", "")
        resp.headers["client-request-id"] = g.get("client_request_id", "")
        if request.path.startswith("/v1.0"):
            resp.headers.setdefault("OData-Version", "4.0")
        if not request.path.startswith("/_fake"):
            try:
                entry = _journal_entry(resp, b)
            except Exception:  # the journal must never turn an answer into an error
                log.exception("mock_graph: could not journal %s %s", request.method, request.path)
                entry = {"method": request.method, "path": request.path, "status": resp.status_code}
            app.extensions["mock_graph.journal"].record(entry)
        return resp

    @app.errorhandler(GraphError)
    def _graph_error(err: GraphError) -> Response:
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        status = err.code or 500
        if status == 404 and request.url_rule is None:
            if request.path.startswith("/v1.0"):
                segment = request.path.rstrip("/").rsplit("/", 1)[-1] or "v1.0"
                return error_response(
                    GraphError(
                        400, "BadRequest", f"Resource not found for the segment '{segment}'."
                    )
                )
            return error_response(GraphError(404, "NotFound", f"No route for '{request.path}'."))
        if status == 405:
            return error_response(
                GraphError(
                    405,
                    "Request_BadRequest",
                    "Specified HTTP method is not allowed for the request target.",
                )
            )
        if status == 400:
            return error_response(
                GraphError(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                )
            )
        return error_response(GraphError(status, type(err).__name__, err.description or err.name))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("mock_graph: unhandled error on %s %s", request.method, request.path)
        return error_response(
            GraphError(500, "generalException", "An unexpected error occurred in the fake.")
        )

    return app


def _fault_response(status: int, body: Any, retry_after: int | None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if body is None:
        code, message = DEFAULT_FAULT_BODIES.get(
            status,
            ("Request_BadRequest" if status < 500 else "generalException", "Injected fault."),
        )
        return error_response(GraphError(status, code, message, headers=headers))
    if isinstance(body, str):
        resp = Response(body, status=status, content_type="text/plain;charset=utf-8")
        for k, v in headers.items():
            resp.headers[k] = v
        return resp
    return json_response(body, status, headers)


def _journal_entry(resp: Response, b: GraphBackend) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, values in request.args.lists():
        query[key] = values[0] if len(values) == 1 else values
    if request.mimetype == "application/x-www-form-urlencoded":
        body: Any = request.form.to_dict()
    else:
        body = RawBody.keep(request.get_data(cache=True), request.content_type)
    entry = {
        "method": request.method,
        "path": request.path,
        "query": query,
        "headers": request_headers(request.environ),
        "body": body,
        "status": resp.status_code,
        "response": RawBody.keep(resp.get_data(), resp.content_type)
        if not resp.is_streamed
        else None,
        "time": b.now().isoformat(),
        "request_id": g.get("request_id", ""),
    }
    item = request.environ.get("mock_graph.batch_item")
    if item is not None:
        entry["batch_item"] = item
    return entry
