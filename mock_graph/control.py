"""The control plane under ``/_fake/`` (contract in DESIGN.md): reset, seed, state dump/load,
journal, faults; plus settings, purge and an enterprise-app shortcut for curl users."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, request

from mock_graph.exceptions import bad_request, not_found
from mock_graph.faults import FaultBook
from mock_graph.journal import Journal
from mock_graph.models import GraphBackend
from mock_graph.responses import json_body, json_response

bp = Blueprint("graph_fake", __name__, url_prefix="/_fake")


def _backend() -> GraphBackend:
    return current_app.extensions["mock_graph"]  # type: ignore[no-any-return]


def _journal() -> Journal:
    return current_app.extensions["mock_graph.journal"]  # type: ignore[no-any-return]


def _faults() -> FaultBook:
    return current_app.extensions["mock_graph.faults"]  # type: ignore[no-any-return]


def _optional_body() -> dict[str, Any]:
    if not request.get_data(cache=True).strip():
        return {}
    return json_body()


@bp.post("/reset")
def reset() -> Response:
    _backend().reset()
    _journal().clear()
    _faults().clear()
    return json_response({"reset": True})


@bp.post("/seed")
def seed() -> Response:
    body = _optional_body()
    allowed = {"seed", "users", "groups", "tricky", "domain", "locale"}
    unknown = set(body) - allowed
    if unknown:
        raise bad_request(f"Unknown seed option(s): {', '.join(sorted(unknown))}.")
    result = _backend().seed(
        seed=body.get("seed", 0),
        users=body.get("users", 25),
        groups=body.get("groups", 3),
        tricky=body.get("tricky", False),
        **{k: body[k] for k in ("domain", "locale") if k in body},
    )
    return json_response(result)


@bp.get("/state")
def get_state() -> Response:
    return json_response(_backend().dump())


@bp.put("/state")
def put_state() -> Response:
    b = _backend()
    b.load(json_body())
    return json_response({"loaded": True, "counts": b.counts()})


@bp.get("/journal")
def get_journal() -> Response:
    return json_response({"requests": _journal().entries()})


@bp.delete("/journal")
def clear_journal() -> Response:
    _journal().clear()
    return json_response({"cleared": True})


@bp.post("/faults")
def add_fault() -> Response:
    fault = _faults().add(json_body())
    return json_response(fault.public(), 201)


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"faults": _faults().list()})


@bp.delete("/faults")
def clear_faults() -> Response:
    _faults().clear()
    return json_response({"cleared": True})


@bp.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Response:
    if not _faults().remove(fault_id):
        raise not_found(fault_id)
    return json_response({"removed": fault_id})


@bp.get("/settings")
def get_settings() -> Response:
    return json_response(asdict(_backend().settings))


@bp.put("/settings")
def put_settings() -> Response:
    b = _backend()
    with b._lock:
        b.settings.update(json_body())
        return json_response(asdict(b.settings))


@bp.post("/purge")
def purge() -> Response:
    return json_response({"purged": _backend().purge_expired()})


@bp.post("/apps")
def create_app_shortcut() -> Response:
    """An application + service principal in one call: ``{"displayName": "Miro", "appRoles": [...]}``."""
    body = json_body()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("'displayName' is required.")
    roles = body.get("appRoles")
    required = body.get("appRoleAssignmentRequired", True)
    if not isinstance(required, bool):
        raise bad_request("'appRoleAssignmentRequired' must be true or false.")
    app, sp = _backend().create_enterprise_app(name, roles, app_role_assignment_required=required)
    return json_response({"application": app, "servicePrincipal": sp}, 201)
