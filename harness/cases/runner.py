"""Running a support case: build the lab, set the scene, play the steps, check expectations,
collect everything (logs, Miro's journal, both sides' end state) into a ``CaseResult``.

Everything goes through ``harness.testing.driver.Driver`` (HTTP only), so a case runs the same in
every backend. The same case file gives the same result: the lab is seeded with the case's
``seed`` and runs on a virtual clock.
"""

from __future__ import annotations

from typing import Any

from harness.cases import bulk
from harness.cases.checks import check
from harness.cases.loader import Case
from harness.cases.result import CaseResult, Check, StepRecord
from harness.cases.scene import StepFailed, at, play, set_up
from harness.lab.backends import DEFAULT_BACKEND, open_lab
from harness.lab.state_files import load_lab_state
from harness.testing.compare import ENTERPRISE
from harness.testing.driver import Driver, ok
from harness.testing.readers import status_fields


def run_case(case: Case, backend: str = DEFAULT_BACKEND) -> CaseResult:
    result = CaseResult(
        path=str(case.path),
        title=case.title,
        description=case.description,
        seed=case.seed,
        backend=backend,
        xfail=case.xfail,
        ticket=case.ticket,
    )
    with open_lab(backend, case.seed) as lab:
        d = Driver(lab)
        try:
            defaults = _settings(d)
            _load_lab_state(case, lab)
            set_up(case, d)
            result.settings = {"defaults": defaults, "case": _settings(d)}
            for step in case.steps:
                record = StepRecord(step.line, step.name, step.args)
                if step.items is not None:
                    record.targets = bulk.principal_names(step.name, step.items)
                record.began = _now(d)
                result.steps.append(record)
                if step.is_checkpoint:
                    # Faults would hit the checks' reads too; they stay in place for later steps.
                    result.checks += check(step.args or {}, d, step=len(result.steps) - 1)
                else:
                    try:
                        play(d, step, record)
                    except StepFailed as exc:
                        record.error = exc.message
                        raise
                record.ended = _now(d)
                record.status = _status(d)
        except StepFailed as exc:
            result.error = str(exc)
            result.checks.append(
                Check(
                    "steps", exc.line, f"{exc.where} could not be done", False, actual=exc.message
                )
            )
        d.clear_faults()  # faults would also hit the reads below
        if result.error is None:
            result.checks += check(case.expect, d)
        _collect(d, result)
    return result


def _now(d: Driver) -> str:
    return str(ok(d.graph.get("/_fake/clock")).json().get("now"))


def _status(d: Driver) -> dict[str, Any]:
    """The job's status after a step: the fields expectations name, and since when it is in
    quarantine (the series start, not the latest attempt)."""
    status = d.status()
    fields = status_fields(status)
    fields["quarantine_since"] = (status.get("quarantine") or {}).get("seriesBegan")
    return fields


def _settings(d: Driver) -> dict[str, Any]:
    """What the case set: engine settings, the job's secrets and settings, Miro's settings."""
    job = d.job()
    return {
        "engine": ok(d.graph.get("/_fake/engine/settings")).json(),
        "secrets": d.secrets(),
        "job": {s["name"]: s["value"] for s in job.get("synchronizationJobSettings") or []},
        "miro": ok(d.miro.get("/_fake/settings")).json(),
    }


def _load_lab_state(case: Case, lab: Any) -> None:
    """A lab saved by ``harness serve`` (or ``state_files.dump_lab_state``), loaded first."""
    if "lab_state_file" not in case.raw:
        return
    with at(case.line_of(case.raw, "lab_state_file"), "lab_state_file"):
        state = case.attachments["lab_state_file"]
        if hasattr(lab, "load_state"):  # a served or containerised harness: over HTTP
            lab.load_state(state)
        else:
            load_lab_state(lab, state)


# -- collecting the end state --------------------------------------------------------------


def _collect(d: Driver, result: CaseResult) -> None:
    result.names = dict(d.names)
    result.logs = d.logs()
    journal = d.journal()
    result.journal = journal
    result.requests = [r.to_json() for r in d.requests(since_mark=False)]
    users = d.miro_users()
    teams = (
        d.miro.get("/api/v1/scim/Groups", params={"count": "1000"}).json().get("Resources") or []
    )
    by_id = {u["id"]: name for name, u in users.items()}
    result.miro = {
        "users": [_miro_summary(u) for u in users.values()],
        "teams": [
            {
                "id": t["id"],
                "displayName": t["displayName"],
                "members": sorted(
                    by_id.get(m["value"], m["value"]) for m in t.get("members") or []
                ),
            }
            for t in teams
        ],
        "state": d.miro_state(),
    }
    graph_users = d.graph.get(
        "/v1.0/users",
        params={
            "$select": "id,userPrincipalName,displayName,accountEnabled,department",
            "$top": "999",
        },
    ).json()
    deleted = d.graph.get("/v1.0/directory/deletedItems/microsoft.graph.user").json()
    groups = d.graph.get("/v1.0/groups", params={"$select": "id,displayName", "$top": "999"}).json()
    roles: dict[str | None, str] = {v: k for k, v in d.roles().items()}
    result.directory = {
        "users": graph_users.get("value") or [],
        "deletedUsers": [
            {"id": u.get("id"), "userPrincipalName": u.get("userPrincipalName")}
            for u in deleted.get("value") or []
        ],
        "groups": groups.get("value") or [],
        "assignments": [
            {
                "principal": a.get("principalDisplayName"),
                "principalId": a.get("principalId"),
                "principalType": a.get("principalType"),
                "role": roles.get(a.get("appRoleId"), a.get("appRoleId")),
            }
            for a in d.assignments()
        ],
    }
    result.job = d.job()
    result.clock = d.graph.get("/_fake/clock").json()
    result.outbox = d.outbox()
    result.roles = {role_id: name for name, role_id in d.roles().items()}
    result.engine_directory = ok(d.graph.get(f"/_fake/engine/jobs/{d.lab.job_id}/directory")).json()


def _miro_summary(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user.get("id"),
        "userName": user.get("userName"),
        "active": user.get("active"),
        "displayName": user.get("displayName"),
        "externalId": user.get("externalId"),
        "department": (user.get(ENTERPRISE) or {}).get("department"),
    }
