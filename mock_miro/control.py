"""The control plane under /_fake/ (contract in DESIGN.md): reset, seed, state, journal,
faults, settings. Not part of Miro's API, so no auth; errors are ``{"error": "..."}``."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

from .models import MiroBackend

bp = Blueprint("fake", __name__, url_prefix="/_fake")


def _state() -> MiroBackend:
    found: MiroBackend = current_app.extensions["mock_miro"]
    return found


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj), status=status, mimetype="application/json")


def _text(text: str) -> Response:
    return Response(text, status=200, mimetype="application/json")


def _error(message: str, status: int = 400) -> Response:
    return _json({"error": message}, status)


def _body(default: Any = None) -> Any:
    raw = request.get_data()
    if not raw:
        if default is not None:
            return default
        raise ValueError("a JSON body is required")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from exc


@bp.errorhandler(ValueError)
def _bad_input(exc: ValueError) -> Response:
    return _error(str(exc))


@bp.route("/reset", methods=["POST"])
def reset() -> Response:
    _state().reset()
    return _json({"status": "reset"})


@bp.route("/seed", methods=["POST"])
def seed() -> Response:
    body = _body({})
    if not isinstance(body, dict):
        raise ValueError("the seed body must be a JSON object")
    unknown = set(body) - {"seed", "users", "teams", "admins", "domain", "guests"}
    if unknown:
        raise ValueError(f"unknown seed field(s): {', '.join(sorted(unknown))}")
    teams = body.get("teams", [])
    if not isinstance(teams, list):
        raise ValueError("teams must be a list of names")
    domain = body.get("domain")
    if domain is not None and not isinstance(domain, str):
        raise ValueError("domain must be a string")
    result = _state().seed(
        body.get("seed", 0),
        body.get("users", 0),
        teams,
        admins=body.get("admins", 0),
        domain=domain,
        guests=body.get("guests", 0),
    )
    return _json(result)


@bp.route("/state", methods=["GET", "PUT"])
def state() -> Response:
    if request.method == "GET":
        return _text(_state().dump_json())
    dump = _body()
    _state().load(dump)
    loaded = _state()
    return _json({"status": "loaded", "users": len(loaded.users), "groups": len(loaded.groups)})


@bp.route("/journal", methods=["GET", "DELETE"])
def journal() -> Response:
    if request.method == "DELETE":
        count = len(_state().journal)
        _state().clear_journal()
        return _json({"cleared": count})
    return _json({"requests": _state().journal})


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    book = _state()
    if request.method == "GET":
        with book.lock:
            return _json({"faults": [f.to_dict() for f in book.faults.faults]})
    if request.method == "DELETE":
        with book.lock:
            book.faults.clear()
        return _json({"status": "cleared"})
    spec = _body()
    with book.lock:
        fault = book.faults.add(spec)
        return _json({"id": fault.id, "fault": fault.to_dict()})


@bp.route("/settings", methods=["GET", "PUT"])
def settings() -> Response:
    if request.method == "GET":
        return _json(_state().settings.to_dict())
    return _json(_state().update_settings(_body()))
