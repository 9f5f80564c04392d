"""Errors of the synchronization API, in Graph's envelope (the Graph app serialises them).

The engine raises its own typed errors (:class:`harness.engine.jobs.JobStoreError`);
:func:`graph_error` gives each one Graph's status, code and message.
"""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from harness.engine.jobs import InvalidJobRequest, JobBusy, JobNotFound, JobStoreError
from mock_graph.exceptions import GraphError

__all__ = [
    "GraphError",
    "answer_job_store_error",
    "bad_request",
    "conflict",
    "graph_error",
    "sp_not_found",
]


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def conflict(message: str) -> GraphError:
    return GraphError(409, "Conflict", message)


def sp_not_found(sp_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{sp_id}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def graph_error(error: JobStoreError) -> GraphError:
    """The Graph error a job store refusal is answered with."""
    if isinstance(error, JobNotFound):
        return GraphError(404, "ResourceNotFound", error.message)
    if isinstance(error, JobBusy):
        return conflict(error.message)
    if isinstance(error, InvalidJobRequest):
        return bad_request(error.message, code=error.code)
    return bad_request(error.message)


def answer_job_store_error(error: JobStoreError) -> HTTPException | ResponseReturnValue:
    """A Flask error handler: answer as the Graph app answers the matching :class:`GraphError`
    (its own handler writes the envelope, so the answer is the same as for any Graph error)."""
    return current_app.handle_user_exception(graph_error(error))
