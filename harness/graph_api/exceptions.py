"""Errors of the synchronization API, in Graph's envelope (the Graph app serialises them)."""

from __future__ import annotations

from mock_graph.exceptions import GraphError

__all__ = ["GraphError", "bad_request", "conflict", "job_not_found", "sp_not_found"]


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def conflict(message: str) -> GraphError:
    return GraphError(409, "Conflict", message)


def job_not_found(job_id: str) -> GraphError:
    return GraphError(
        404,
        "ResourceNotFound",
        f"Synchronization job '{job_id}' does not exist for this service principal.",
    )


def sp_not_found(sp_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{sp_id}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
