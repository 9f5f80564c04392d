"""The engine's state as JSON: jobs (schedule, status, watermarks, links, mirror, escrows),
secrets, settings, provisioning logs, the outbox and the id generator. ``dump`` writes it and
``parse`` reads it back (the service puts it in place), so a support case can hand over the
engine's side with the fakes' own ``/_fake/state``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.clock import parse_duration
from harness.engine import rules
from harness.engine.jobs import Job, SyncStore
from harness.engine.logs.entries import IdSource
from harness.engine.logs.store import LogStore
from harness.engine.settings import EngineSettings
from harness.engine.state import Assignment, Escrow, JobRuntime, Link, Mirror, Watermarks
from harness.engine.status import JobStatus, Quarantine, TaskExecution, iso

FORMAT = "harness-engine-state/1"


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


# The ``type: ignore[arg-type]`` below: a time the model requires may be null in a hand-edited
# dump. An escrow's is refused by ``_check_job``; the others load as null, as they always have.


def _execution(data: dict[str, Any] | None) -> TaskExecution | None:
    if not data:
        return None
    return TaskExecution(
        activity_identifier=data["activityIdentifier"],
        time_began=_dt(data["timeBegan"]),  # type: ignore[arg-type]
        time_ended=_dt(data.get("timeEnded")),
        state=data.get("state", "Succeeded"),
        count_entitled=data.get("countEntitled", 0),
        count_entitled_for_provisioning=data.get("countEntitledForProvisioning", 0),
        count_escrowed=data.get("countEscrowed", 0),
        count_escrowed_raw=data.get("countEscrowedRaw", 0),
        count_exported=data.get("countExported", 0),
        count_exports=data.get("countExports", 0),
        count_imported=data.get("countImported", 0),
        count_imported_deltas=data.get("countImportedDeltas", 0),
        count_imported_reference_deltas=data.get("countImportedReferenceDeltas", 0),
        error=data.get("error"),
    )


def _status(data: dict[str, Any]) -> JobStatus:
    quarantine = data.get("quarantine")
    never = "0001-01-01T00:00:00Z"
    return JobStatus(
        code=data.get("code", "Paused"),
        count_successive_complete_failures=data.get("countSuccessiveCompleteFailures", 0),
        escrows_pruned=data.get("escrowsPruned", False),
        last_execution=_execution(data.get("lastExecution")),
        last_successful_execution=_execution(data.get("lastSuccessfulExecution")),
        last_successful_execution_with_exports=_execution(
            data.get("lastSuccessfulExecutionWithExports")
        ),
        steady_state_first_achieved=None
        if data.get("steadyStateFirstAchievedTime") in (None, never)
        else _dt(data["steadyStateFirstAchievedTime"]),
        steady_state_last_achieved=None
        if data.get("steadyStateLastAchievedTime") in (None, never)
        else _dt(data["steadyStateLastAchievedTime"]),
        progress=list(data.get("progress", [])),
        quarantine=None
        if not quarantine
        else Quarantine(
            quarantine["reason"],
            _dt(quarantine["currentBegan"]),  # type: ignore[arg-type]
            _dt(quarantine["seriesBegan"]),  # type: ignore[arg-type]
            _dt(quarantine["nextAttempt"]),  # type: ignore[arg-type]
            quarantine.get("seriesCount", 1),
            quarantine.get("error") or {},
        ),
        synchronized_entry_count_by_type={
            p["key"]: p["value"] for p in data.get("synchronizedEntryCountByType", [])
        },
    )


def _runtime_json(runtime: JobRuntime) -> dict[str, Any]:
    mirror = runtime.mirror
    return {
        "watermarks": {
            "users": runtime.watermarks.users,
            "groups": runtime.watermarks.groups,
            "assignments": runtime.watermarks.assignments,
        },
        "links": [
            {
                "sourceId": link.source_id,
                "objectType": link.object_type,
                "targetId": link.target_id,
                "managed": link.managed,
                "deleted": link.deleted,
                "members": sorted(link.members),
                "pendingManager": link.pending_manager,
            }
            for link in runtime.links.values()
        ],
        "mirror": {
            "users": mirror.users,
            "softDeleted": sorted(mirror.soft_deleted),
            "groups": mirror.groups,
            "members": {g: sorted(ms) for g, ms in mirror.members.items() if ms},
            "nestedGroups": {g: sorted(ns) for g, ns in mirror.nested.items() if ns},
            "assignments": [
                {
                    "id": a.id,
                    "principalId": a.principal_id,
                    "principalType": a.principal_type,
                    "appRoleId": a.app_role_id,
                }
                for a in mirror.assignments.values()
            ],
        },
        "escrows": [
            {
                "sourceId": e.source_id,
                "objectType": e.object_type,
                "operation": e.operation,
                "errorCode": e.error_code,
                "firstFailed": iso(e.first_failed),
                "attempts": e.attempts,
                "nextRetry": iso(e.next_retry),
                "reference": e.reference,
            }
            for e in runtime.escrows.values()
        ],
        "staged": [{"objectType": k[0], "sourceId": k[1], **v} for k, v in runtime.staged.items()],
        "forceDeletes": runtime.force_deletes,
        "syncAll": runtime.sync_all,
        "cyclesRun": runtime.cycles_run,
        "enteredScope": {k: sorted(v) for k, v in runtime.entered_scope.items()},
    }


def _runtime(data: dict[str, Any]) -> JobRuntime:
    runtime = JobRuntime()
    watermarks = data.get("watermarks", {})
    runtime.watermarks = Watermarks(
        watermarks.get("users"), watermarks.get("groups"), watermarks.get("assignments")
    )
    for item in data.get("links", []):
        runtime.links[item["sourceId"]] = Link(
            item["sourceId"],
            item["objectType"],
            item["targetId"],
            item.get("managed", True),
            item.get("deleted", False),
            set(item.get("members", [])),
            item.get("pendingManager"),
        )
    mirror = Mirror()
    raw = data.get("mirror", {})
    mirror.users = dict(raw.get("users", {}))
    mirror.soft_deleted = set(raw.get("softDeleted", []))
    mirror.groups = dict(raw.get("groups", {}))
    mirror.members = defaultdict(set)
    mirror.member_of = defaultdict(set)
    for group_id, members in raw.get("members", {}).items():
        for user_id in members:
            mirror.add_member(group_id, user_id)
    for group_id, inner in raw.get("nestedGroups", {}).items():
        for member_group_id in inner:
            mirror.add_nested(group_id, member_group_id)
    for a in raw.get("assignments", []):
        mirror.add_assignment(
            Assignment(a["id"], a["principalId"], a["principalType"], a["appRoleId"])
        )
    runtime.mirror = mirror
    for e in data.get("escrows", []):
        runtime.escrows[(e["objectType"], e["sourceId"])] = Escrow(
            e["sourceId"],
            e["objectType"],
            e["operation"],
            e["errorCode"],
            _dt(e["firstFailed"]),  # type: ignore[arg-type]
            e.get("attempts", 1),
            _dt(e.get("nextRetry")),
            e.get("reference", False),
        )
    for s in data.get("staged", []):
        runtime.staged[(s["objectType"], s["sourceId"])] = {
            "hard": s.get("hard", False),
            "attrs": s.get("attrs", {}),
            "action": s.get("action", "delete"),
        }
    runtime.force_deletes = bool(data.get("forceDeletes", False))
    runtime.sync_all = data.get("syncAll")
    runtime.cycles_run = int(data.get("cyclesRun", 0))
    runtime.entered_scope = {
        k: set(v) for k, v in data.get("enteredScope", {"User": [], "Group": []}).items()
    }
    runtime.entered_scope.setdefault("User", set())
    runtime.entered_scope.setdefault("Group", set())
    return runtime


def dump(
    *,
    store: SyncStore,
    settings: EngineSettings,
    logs: LogStore,
    audits: LogStore,
    outbox: list[dict[str, Any]],
    ids: IdSource,
) -> dict[str, Any]:
    """The engine's state as one JSON object (the ``format`` names the layout)."""
    with store.lock:
        jobs = [
            {
                "id": job.id,
                "servicePrincipalId": job.service_principal_id,
                "templateId": job.template_id,
                "schema": job.schema_json,
                "settings": [dict(s) for s in job.settings],
                "scheduleState": job.schedule_state,
                "interval": job.interval.total_seconds() if job.interval else None,
                "nextRun": iso(job.next_run),
                "status": job.status.to_json(),
                "runtime": _runtime_json(job.runtime),
            }
            for job in store.jobs.values()
        ]
        secrets = {sp: dict(values) for sp, values in store.secrets.items()}
    return {
        "format": FORMAT,
        "tenantId": store.tenant_id,
        "settings": settings.to_json(),
        "secrets": secrets,
        "jobs": jobs,
        "logs": logs.all(),
        "audits": audits.all(),
        "outbox": outbox,
        "ids": ids.state(),
        "jobIds": store.ids.state(),
    }


@dataclass
class EngineState:
    """A dump, read and checked: everything :meth:`ProvisioningService.load` puts in place."""

    settings: EngineSettings
    jobs: list[Job]
    secrets: dict[str, dict[str, str]]
    logs: list[dict[str, Any]]
    audits: list[dict[str, Any]]
    outbox: list[dict[str, Any]]
    ids: list[Any] | None  # an IdSource state; None keeps the current one
    job_ids: list[Any] | None


_JOB_CODES = ("NotConfigured", "NotRun", "Active", "Paused", "Quarantine")
_SCHEDULE_STATES = ("Active", "Disabled", "Paused")
# What a malformed dump raises while it is read; each becomes one ValueError (a 400).
_BAD_DUMP = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    IndexError,
    rules.SchemaError,
)


def _check_job(job: Job) -> None:
    """Types the cycle relies on, so a hand-edited dump fails here and not in a later cycle."""
    if not isinstance(job.id, str) or not isinstance(job.service_principal_id, str):
        raise ValueError("a job's id and servicePrincipalId must be strings")
    if job.schedule_state not in _SCHEDULE_STATES:
        raise ValueError(f"scheduleState must be one of {_SCHEDULE_STATES}")
    if job.status.code not in _JOB_CODES:
        raise ValueError(f"status.code must be one of {_JOB_CODES}")
    if not all(isinstance(s, dict) and isinstance(s.get("name"), str) for s in job.settings):
        raise ValueError("settings must be a list of {name, value} objects")
    runtime = job.runtime
    for name in ("users", "groups", "assignments"):
        if getattr(runtime.watermarks, name) is not None and not isinstance(
            getattr(runtime.watermarks, name), str
        ):
            raise ValueError("watermarks must be strings or null")
    for link in runtime.links.values():
        if not (
            isinstance(link.source_id, str)
            and isinstance(link.target_id, str)
            and link.object_type in ("User", "Group")
        ):
            raise ValueError("a link needs string sourceId/targetId and objectType User or Group")
    if not all(isinstance(u, dict) for u in runtime.mirror.users.values()) or not all(
        isinstance(g, dict) for g in runtime.mirror.groups.values()
    ):
        raise ValueError("mirror users and groups must be objects")
    for escrow in runtime.escrows.values():
        if not isinstance(escrow.attempts, int) or escrow.first_failed is None:
            raise ValueError("an escrow needs an integer attempts and a firstFailed time")
    if runtime.sync_all is not None and not isinstance(runtime.sync_all, bool):
        raise ValueError("syncAll must be a boolean or null")
    # Everything the API will show must serialise.
    job.status.to_json()
    _runtime_json(runtime)
    iso(job.next_run)


def parse(
    data: dict[str, Any],
    *,
    settings: EngineSettings,
    template: Callable[[str], dict[str, Any] | None],
) -> EngineState:
    """Read a dump; ValueError if it is not one. ``settings`` are the current engine settings
    (a dump's settings are changes to them) and ``template`` looks a job's template up."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not an engine state dump (expected format {FORMAT!r})")
    try:
        loaded_settings = settings.updated(data.get("settings", {}))
        jobs = []
        for raw in data.get("jobs", []):
            schema = rules.load(raw["schema"])
            job_template = template(raw["templateId"])
            job = Job(
                raw["id"],
                raw["servicePrincipalId"],
                raw["templateId"],
                job_template["schema"] if job_template else raw["schema"],
                raw["schema"],
                schema,
            )
            job.settings = [dict(s) for s in raw.get("settings", [])]
            job.schedule_state = raw.get("scheduleState", "Disabled")
            interval = raw.get("interval")
            job.interval = parse_duration(interval) if interval is not None else None
            job.next_run = _dt(raw.get("nextRun"))
            job.status = _status(raw.get("status", {}))
            job.runtime = _runtime(raw.get("runtime", {}))
            _check_job(job)
            jobs.append(job)
        secrets = {
            str(sp): {str(k): v for k, v in dict(values).items()}
            for sp, values in dict(data.get("secrets", {})).items()
        }
        parts = {name: list(data.get(name, [])) for name in ("logs", "audits", "outbox")}
        for name, items in parts.items():
            if not all(isinstance(item, dict) for item in items):
                raise ValueError(f"{name} must be a list of objects")
        ids, job_ids = data.get("ids"), data.get("jobIds")
        for state in (ids, job_ids):
            if state:
                IdSource(0).set_state(state)  # a trial: the real ones change only on load
    except _BAD_DUMP as exc:
        raise ValueError(f"the engine state dump is not valid: {exc!r}") from exc
    return EngineState(
        settings=loaded_settings,
        jobs=jobs,
        secrets=secrets,
        logs=parts["logs"],
        audits=parts["audits"],
        outbox=parts["outbox"],
        ids=ids or None,
        job_ids=job_ids or None,
    )
