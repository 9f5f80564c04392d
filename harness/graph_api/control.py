"""The harness's additions to the Graph fake's control plane (docs/control-plane.md):

- ``GET /_fake/clock`` → the virtual time and each job's next cycle;
- ``POST /_fake/clock {"advance": "40m"}`` (also ``"0"``, ``"1d"``, ``"30d"``, ``"PT40M"``) →
  runs every cycle that falls due, in order, and answers a summary per cycle;
- ``GET/PUT /_fake/engine/settings`` → the engine settings (``PUT`` takes a partial object);
- ``GET /_fake/engine/jobs/{jobId}/connections`` → the job's connector data store (links).
- ``GET /_fake/engine/jobs/{jobId}/directory`` → the directory as the job's engine last read it.
- ``GET/PUT /_fake/engine/state`` → the engine's whole state (jobs, links, logs...) as JSON.
- ``GET /_fake/outbox`` → the notification e-mails the admin would have got (``DELETE`` clears).
- ``GET /_fake/engine/secrets/{servicePrincipalId}`` → the secrets as the admin typed them
  (Graph's ``GET .../synchronization/secrets`` masks tokens), so a helper can change one key
  and ``PUT`` the whole set back through Graph.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from harness.clock import parse_duration
from harness.engine.jobs import Job
from harness.engine.scope import directory_view
from harness.engine.service import AdvanceError, ProvisioningService
from harness.engine.status import iso
from harness.graph_api.exceptions import GraphError, bad_request
from harness.request_body import json_object


def _service() -> ProvisioningService:
    return current_app.extensions["harness_engine"]


def _body() -> dict[str, Any]:
    return json_object(request.get_data(cache=True), bad_request)


def _clock_state(service: ProvisioningService) -> dict[str, Any]:
    with service.store.lock:
        jobs = [
            {
                "jobId": job.id,
                "servicePrincipalId": job.service_principal_id,
                "scheduleState": job.schedule_state,
                "nextRun": iso(job.next_run),
            }
            for job in service.store.jobs.values()
        ]
    return {"now": iso(service.now()), "jobs": jobs}


def _job(service: ProvisioningService, job_id: str) -> Job:
    job = service.store.jobs.get(job_id)
    if job is None:
        raise GraphError(404, "ResourceNotFound", f"Synchronization job '{job_id}' does not exist.")
    return job


def create_blueprint() -> Blueprint:
    bp = Blueprint("harness_control", __name__)

    @bp.get("/_fake/clock")
    def get_clock() -> Any:
        return _clock_state(_service())

    @bp.post("/_fake/clock")
    def advance_clock() -> Any:
        service = _service()
        body = _body()
        if "advance" not in body:
            raise bad_request(
                'Give the time to advance, e.g. {"advance": "40m"} ("0", "1d", "PT40M").'
            )
        raw = body["advance"]
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise bad_request(f"'advance' must be a duration like \"40m\", not {raw!r}.")
        try:
            delta = parse_duration(raw)
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        try:
            cycles = service.advance(delta)
        except AdvanceError as exc:
            raise GraphError(409, "Conflict", str(exc)) from exc
        state = _clock_state(service)
        state["cycles"] = cycles
        return state

    @bp.get("/_fake/engine/state")
    def get_state() -> Any:
        return _service().dump()

    @bp.put("/_fake/engine/state")
    def put_state() -> Any:
        service = _service()
        try:
            service.load(_body())
        except AdvanceError as exc:
            raise GraphError(409, "Conflict", str(exc)) from exc
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        return _clock_state(service)

    @bp.get("/_fake/outbox")
    def get_outbox() -> Any:
        return {"messages": _service().outbox()}

    @bp.delete("/_fake/outbox")
    def clear_outbox() -> Any:
        _service().clear_outbox()
        return {"messages": []}

    @bp.get("/_fake/engine/settings")
    def get_settings() -> Any:
        return _service().settings.to_json()

    @bp.put("/_fake/engine/settings")
    def put_settings() -> Any:
        service = _service()
        try:
            return service.update_settings(_body()).to_json()
        except ValueError as exc:
            raise bad_request(str(exc)) from exc

    @bp.get("/_fake/engine/secrets/<sp_id>")
    def secrets(sp_id: str) -> Any:
        stored = _service().store.get_secrets(sp_id)
        return {"value": [{"key": key, "value": value} for key, value in stored.items()]}

    @bp.get("/_fake/engine/jobs/<job_id>/directory")
    def engine_directory(job_id: str) -> Any:
        service = _service()
        with service.store.lock:
            return directory_view(_job(service, job_id).runtime)

    @bp.get("/_fake/engine/jobs/<job_id>/connections")
    def connections(job_id: str) -> Any:
        service = _service()
        with service.store.lock:
            job = _job(service, job_id)
            links = [link.to_json() for link in job.runtime.links.values()]
            escrows = [
                {
                    "sourceAnchor": e.source_id,
                    "objectTypeName": e.object_type,
                    "operation": e.operation,
                    "errorCode": e.error_code,
                    "attempts": e.attempts,
                    "firstFailed": iso(e.first_failed),
                    "nextRetry": iso(e.next_retry),
                }
                for e in job.runtime.escrows.values()
            ]
            watermarks = {
                "users": job.runtime.watermarks.users,
                "groups": job.runtime.watermarks.groups,
                "assignments": job.runtime.watermarks.assignments,
            }
        return {"value": links, "escrows": escrows, "watermarks": watermarks}

    return bp
