"""An in-process lab's directory, written without HTTP: the set-up of a replay, not what it tests.

A replayed case rebuilds the customer's directory: a user (and an assignment) per object, then
one ``update_user`` per recorded change, 250,000 records giving some 300,000 Graph requests
that the engine under test never sees. In an in-process lab (``Lab``: the inprocess and thread
backends) ``DirectDriver`` makes those writes through the Graph fake's own model layer
(``Lab.graph``, the methods its routes call) and skips the request pipeline around them. The
engine still reads the directory over HTTP (delta queries, as always).

Nothing else changes: the body is the JSON the driver would send (encoded and decoded again),
the object ids come from the same sequence, and a write the model refuses is sent again over
HTTP, where it fails with Graph's own answer (the model checks before it changes anything).
Faults apply to requests, so a case that sets faults is played over HTTP throughout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.cases.loader import Case
from harness.lab.local import Lab
from harness.testing.driver import Driver


@dataclass
class DirectDriver(Driver):
    """A ``Driver`` whose directory writes (users, their changes, app-role assignments) go
    through the in-process Graph fake's model instead of its HTTP routes."""

    graph_model: Any = field(default=None, repr=False)  # Lab.graph (mock_graph's backend)
    direct_writes: int = 0  # writes that skipped HTTP (the rest fell back to it)

    def add_user(self, name: str, **attributes: Any) -> str:
        body = _wire(self.user_body(name, **attributes))
        created = self._direct(self.graph_model.create_user, body) if body is not None else None
        if created is not None:
            return self._remember(name, str(created["id"]), "user")
        return super().add_user(name, **attributes)

    def update_user(self, user: str, **changes: Any) -> None:
        body = _wire(changes)
        known = body is not None and user in self.names
        if known and self._direct(self.graph_model.update_user, self.names[user], body):
            return
        super().update_user(user, **changes)

    def assign(self, principal: str, role: str = "User") -> str:
        roles = self.roles()
        if role in roles and principal in self.names:
            created = self._direct(
                self.graph_model.assign_app_role,
                self.names[principal],
                self.lab.service_principal_id,
                roles[role],
            )
            if created is not None:
                return str(created["id"])
        return super().assign(principal, role=role)

    def _direct(self, write: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any] | None:
        """The object ``write(*args)`` made or changed through the model; None if the model
        refused it (the caller then goes over HTTP, for Graph's answer and the driver's message)."""
        try:
            result = write(*args)
        except Exception:
            return None
        self.direct_writes += 1
        return result


def driver_for(lab: Any, case: Case) -> Driver:
    """A ``DirectDriver`` for an in-process lab and a case without faults; else a ``Driver``."""
    if isinstance(lab, Lab) and not any(step.name == "fault" for step in case.steps):
        return DirectDriver(lab, graph_model=lab.graph)
    return Driver(lab)


def _wire(body: dict[str, Any]) -> dict[str, Any] | None:
    """The body as the route would read it: JSON out and in again (None if it is not JSON)."""
    try:
        decoded = json.loads(json.dumps(body, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        return None
    return decoded if isinstance(decoded, dict) else None
