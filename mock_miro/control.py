"""The control plane under ``/_fake/`` (see docs/control-plane.md), built with the shared kit:
reset, seed, state, journal, faults, settings. Not part of Miro's API, so no auth; refused
input answers ``{"error": "..."}``."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app

from fakekit import ControlError, FaultBook, Journal
from fakekit.control import control_blueprint

from .models import MiroBackend

SEED_OPTIONS = frozenset({"seed", "users", "teams", "admins", "domain", "guests"})


class MiroControl:
    """The organisation as the control plane drives it. The backend's ValueErrors are bad
    input: they become :class:`ControlError`."""

    def __init__(self, org: MiroBackend) -> None:
        self.org = org

    def reset(self) -> None:
        self.org.reset()

    def seed(self, options: dict[str, Any]) -> dict[str, Any]:
        unknown = set(options) - SEED_OPTIONS
        if unknown:
            raise ControlError(400, f"unknown seed field(s): {', '.join(sorted(unknown))}")
        teams = options.get("teams", [])
        if not isinstance(teams, list):
            raise ControlError(400, "teams must be a list of names")
        domain = options.get("domain")
        if domain is not None and not isinstance(domain, str):
            raise ControlError(400, "domain must be a string")
        try:
            return self.org.seed(
                options.get("seed", 0),
                options.get("users", 0),
                teams,
                admins=options.get("admins", 0),
                domain=domain,
                guests=options.get("guests", 0),
            )
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc

    def state_json(self) -> str:
        return self.org.dump_json()

    def load_state(self, state: Any) -> dict[str, Any]:
        try:
            self.org.load(state)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
        users, groups = len(self.org.users), len(self.org.groups)
        return {"counts": {"users": users, "groups": groups}, "users": users, "groups": groups}

    def read_settings(self) -> dict[str, Any]:
        return self.org.settings.to_dict()

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.org.update_settings(changes)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc


def _org() -> MiroBackend:
    found: MiroBackend = current_app.extensions["mock_miro"]
    return found


def _journal() -> Journal:
    found: Journal = current_app.extensions["mock_miro.journal"]
    return found


def _faults() -> FaultBook:
    found: FaultBook = current_app.extensions["mock_miro.faults"]
    return found


def _refused(err: ControlError) -> Response:
    return Response(
        json.dumps({"error": err.message}), status=err.status, mimetype="application/json"
    )


bp = control_blueprint(
    "fake",
    fake=lambda: MiroControl(_org()),
    journal=_journal,
    faults=_faults,
    render_error=_refused,
)
