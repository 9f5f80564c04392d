"""The app factory: SCIM routes, control plane, SCIM error bodies everywhere, the journal."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from fakekit import RawBody
from fakekit.journal import request_headers

from . import control
from .exceptions import ScimError, method_not_allowed
from .models import MiroBackend
from .routes import scim
from .settings import Settings
from .wire import SentBody, error_response

log = logging.getLogger(__name__)
_REDACTED_HEADERS = frozenset({"Cookie"})


class _TrailingSlash:
    """``/api/v1/scim/`` and ``/api/v1/scim/Users/`` route like their slash-less forms."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if len(path) > 1 and path.endswith("/"):
            environ["PATH_INFO"] = path.rstrip("/") or "/"
        return self.app(environ, start_response)


def create_app(
    backend: MiroBackend | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    settings: dict[str, Any] | None = None,
) -> Flask:
    """A Flask app serving Miro's SCIM API under ``/api/v1/scim`` and the control plane under
    ``/_fake``. ``app.extensions`` holds the state (``"mock_miro"``), the request journal
    (``"mock_miro.journal"``) and the fault book (``"mock_miro.faults"``); the last two belong
    to the backend, whose ``journal_limit`` setting bounds the journal. ``settings`` is a
    partial settings object applied to the backend."""
    if backend is None:
        backend = MiroBackend(Settings(), clock)
    elif clock is not None:
        backend.clock = clock
    if settings:
        backend.update_settings(settings)

    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["mock_miro"] = backend
    app.extensions["mock_miro.journal"] = backend.journal_book
    app.extensions["mock_miro.faults"] = backend.faults
    app.register_blueprint(scim)
    app.register_blueprint(control.bp)
    app.wsgi_app = _TrailingSlash(app.wsgi_app)  # type: ignore[method-assign]

    @app.errorhandler(ScimError)
    def _scim_error(exc: ScimError) -> Response:
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if exc.code == 405:
            return error_response(method_not_allowed())
        status = exc.code or 500
        detail = "Resource not found" if status == 404 else (exc.description or exc.name)
        return error_response(ScimError(status, detail))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error in mock_miro")
        return error_response(ScimError(500, "Unexpected error"))

    @app.after_request
    def _journal(response: Response) -> Response:
        req = request_ctx.request  # the request itself: one proxy lookup, not a dozen
        path = req.path
        if path.startswith("/_fake"):
            return response
        state: MiroBackend = app.extensions["mock_miro"]
        limit = state.settings.max_payload_bytes
        size = req.content_length or 0
        try:
            raw = b"" if size > limit else req.get_data(cache=True)
        except HTTPException:
            raw = b""
        if len(raw) > limit:  # chunked, cut one byte past the limit
            size, raw = len(raw), b""
        body: Any = (
            f"<{size} bytes, over the payload limit: not recorded>" if size and not raw else None
        )
        if raw:
            body = RawBody.keep(raw, req.content_type)  # decoded when the journal is read
        sent = g.get("journal_response", ...)
        if isinstance(sent, SentBody):
            sent = (
                sent.body
                if sent.response is response
                else RawBody.keep(response.get_data(), response.content_type)
            )
        elif sent is ...:
            sent = None
            if (response.mimetype or "").endswith("json") and not response.direct_passthrough:
                sent = RawBody.keep(response.get_data(), response.content_type)
        state.record(
            {
                "time": state.now().isoformat(),
                "method": req.method,
                "path": path,
                "query": req.query_string.decode("latin-1"),
                "headers": request_headers(req.environ, _REDACTED_HEADERS),
                "body": body,
                "status": response.status_code,
                "response": sent,
            }
        )
        return response

    return app
