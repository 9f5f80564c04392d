"""The control plane under ``/_fake/`` (see docs/control-plane.md), built with the shared kit:
reset, seed, state dump/load, journal, faults and settings; plus purge and an enterprise-app
shortcut for curl users. Refused input answers in Graph's error envelope."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flask import Response, current_app

from fakekit import ControlError, FaultBook, Journal
from fakekit.control import control_blueprint, request_object
from mock_graph.exceptions import GraphError, bad_request
from mock_graph.models import GraphBackend
from mock_graph.wire import GRAPH_JSON, backend, error_response, json_response

SEED_OPTIONS = frozenset({"seed", "users", "groups", "tricky", "domain", "locale"})
# Graph's error code for each status the kit refuses input with.
_CODES = {400: "Request_BadRequest", 404: "Request_ResourceNotFound"}


class GraphControl:
    """The tenant as the control plane drives it."""

    def __init__(self, tenant: GraphBackend) -> None:
        self.tenant = tenant

    def reset(self) -> None:
        self.tenant.reset()

    def seed(self, options: dict[str, Any]) -> dict[str, Any]:
        unknown = set(options) - SEED_OPTIONS
        if unknown:
            raise bad_request(f"Unknown seed option(s): {', '.join(sorted(unknown))}.")
        return self.tenant.seed(
            seed=options.get("seed", 0),
            users=options.get("users", 25),
            groups=options.get("groups", 3),
            tricky=options.get("tricky", False),
            **{k: options[k] for k in ("domain", "locale") if k in options},
        )

    def state_json(self) -> str:
        return json.dumps(self.tenant.dump(), ensure_ascii=False)

    def load_state(self, state: Any) -> dict[str, Any]:
        self.tenant.load(state)
        counts = self.tenant.counts()
        return {"counts": counts, "users": counts["user"], "groups": counts["group"]}

    def read_settings(self) -> dict[str, Any]:
        return asdict(self.tenant.settings)

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        return self.tenant.update_settings(changes)


def _journal() -> Journal:
    found: Journal = current_app.extensions["mock_graph.journal"]
    return found


def _faults() -> FaultBook:
    found: FaultBook = current_app.extensions["mock_graph.faults"]
    return found


def _refused(err: ControlError) -> Response:
    return error_response(
        GraphError(err.status, _CODES.get(err.status, "Request_BadRequest"), err.message)
    )


bp = control_blueprint(
    "graph_fake",
    fake=lambda: GraphControl(backend()),
    journal=_journal,
    faults=_faults,
    render_error=_refused,
    content_type=GRAPH_JSON,
)


@bp.post("/purge")
def purge() -> Response:
    return json_response({"purged": backend().purge_expired()})


@bp.post("/apps")
def create_app_shortcut() -> Response:
    """An application + service principal in one call: ``{"displayName": "Miro", "appRoles": [...]}``."""
    body = request_object(required=True)
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("'displayName' is required.")
    roles = body.get("appRoles")
    required = body.get("appRoleAssignmentRequired", True)
    if not isinstance(required, bool):
        raise bad_request("'appRoleAssignmentRequired' must be true or false.")
    app, sp = backend().create_enterprise_app(name, roles, app_role_assignment_required=required)
    return json_response({"application": app, "servicePrincipal": sp}, 201)
