"""Typed Graph errors. Raised by the state and the routes; the app serialises them into Graph's
``{"error": {code, message, innerError}}`` envelope (see ``mock_graph.app``).

The harness raises these from its own blueprints too, so the envelope is the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GraphError(Exception):
    """A failure in Graph's wire format: HTTP status, Graph error code and message."""

    status: int
    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    target: str | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.message}")

    def body(self, inner: dict[str, Any]) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        error["innerError"] = inner
        return {"error": error}


def not_found(object_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def bad_request(message: str, code: str = "Request_BadRequest", **kw: Any) -> GraphError:
    return GraphError(400, code, message, **kw)


def unsupported_query(message: str) -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", message)


def invalid_value(prop: str, resource: str) -> GraphError:
    return GraphError(
        400,
        "Request_BadRequest",
        f"Invalid value specified for property '{prop}' of resource '{resource}'.",
        target=prop,
    )


def unknown_property(prop: str, type_name: str) -> GraphError:
    return GraphError(
        400,
        "BadRequest",
        f"The property '{prop}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
        "to only use property names that are defined by the type or mark the type as open type.",
    )


def conflict_property(prop: str) -> GraphError:
    return GraphError(
        400,
        "Request_BadRequest",
        f"Another object with the same value for property {prop} already exists.",
        details=[{"code": "ObjectConflict", "message": prop, "target": prop}],
    )


def invalid_auth(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message)
