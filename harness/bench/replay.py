"""Importing and replaying a portal-sized export: 250,000 records (the admin center's download
limit) within 5 minutes and 2 GB on 2 cores (issue 17).

The export is synthetic but shaped as the engine writes Miro's logs: a tenant's initial cycle
(users created, Default Access users skipped as NotEffectivelyEntitled), then incremental cycles
in which every user's department changes (updates, and skips for the Default Access users). Each
phase runs in its own child process, so its peak RSS is its own: generating the export, ``harness
import``, ``harness replay``.

``python -m harness.bench.replay --records 250000`` runs it alone; ``harness bench
--replay-records N`` adds it to the benchmark report.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import click

from harness.bench.process import run_child

DEFAULT_RECORDS = 250_000
CYCLES = 5
DEFAULT_ACCESS_SHARE = 5  # one user in five has the Default Access role (skipped)
START = 1_735_722_000  # 2025-01-01T09:00:00Z
DEPARTMENTS = ("Design", "Sales", "Engineering", "Support", "Finance")


def _guid(kind: str, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"harness-bench:{kind}:{n}"))


def _when(cycle: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START + (cycle - 1) * 2400))


def _entry(n: int, cycle: int, miro_id: str) -> dict[str, Any]:
    upn = f"user{n:06}@contoso.com"
    oid = _guid("user", n)
    entitled = n % DEFAULT_ACCESS_SHARE != 0
    initial = cycle == 1
    department = DEPARTMENTS[(n + cycle) % len(DEPARTMENTS)]
    details = {
        "accountEnabled": "True",
        "department": department,
        "displayName": f"User {n:06}",
        "givenName": "User",
        "id": oid,
        "mail": upn,
        "mailNickname": f"user{n:06}",
        "surname": f"{n:06}",
        "userPrincipalName": upn,
        "userType": "Member",
    }
    steps: list[dict[str, Any]] = [
        {
            "name": "EntryImportAdd" if initial else "EntryImportUpdate",
            "provisioningStepType": "import",
            "status": "success",
            "description": f"Received User '{upn}' change of type ({'Add' if initial else 'Update'}) from Azure Active Directory",
            "details": details,
        },
        {
            "name": "EntrySynchronizationScoping",
            "provisioningStepType": "scoping",
            "status": "success" if entitled else "skipped",
            "description": "Determine if User in scope by evaluating against each scoping filter",
            "details": {
                "Active in the source system": "True",
                "Assigned to the application": "True",
                "ScopeEvaluationResult": "{}",
                "Scoping filter evaluation passed": "True",
                "User has the required role": "True" if entitled else "False",
            },
        },
    ]
    modified: list[dict[str, Any]] = []
    if not entitled:
        steps.append(
            {
                "name": "EntrySynchronizationSkip",
                "provisioningStepType": "processing",
                "status": "skipped",
                "description": f"The User '{upn}' will be skipped due to the following reasons: 1) This object does not have required entitlement for provisioning.",
                "details": {"SkipReason": "NotEffectivelyEntitled"},
            }
        )
        action, status = "other", "skipped"
    elif initial:
        steps += [
            {
                "name": "EntrySynchronizationAdd",
                "provisioningStepType": "matching",
                "status": "success",
                "description": f"User '{upn}' will be created in Miro",
                "details": {},
            },
            {
                "name": "EntryExportAdd",
                "provisioningStepType": "export",
                "status": "success",
                "description": f"User '{upn}' was created in Miro",
                "details": {"ReportableIdentifier": upn},
            },
        ]
        modified = [{"displayName": "userName", "oldValue": None, "newValue": upn}]
        action, status = "create", "success"
    else:
        previous = DEPARTMENTS[(n + cycle - 1) % len(DEPARTMENTS)]
        steps += [
            {
                "name": "EntryImport",
                "provisioningStepType": "matching",
                "status": "success",
                "description": f"Retrieved '{upn}' from Miro",
                "details": {"id": miro_id, "userName": upn, "active": "True"},
            },
            {
                "name": "EntrySynchronizationUpdate",
                "provisioningStepType": "processing",
                "status": "success",
                "description": f"User '{upn}' will be updated in Miro",
                "details": {},
            },
            {
                "name": "EntryExportUpdate",
                "provisioningStepType": "export",
                "status": "success",
                "description": f"User '{upn}' was updated in Miro",
                "details": {"ReportableIdentifier": upn},
            },
        ]
        modified = [
            {
                "displayName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "oldValue": previous,
                "newValue": department,
            }
        ]
        action, status = "update", "success"
    return {
        "id": _guid("entry", cycle * 10_000_000 + n),
        "activityDateTime": _when(cycle),
        "tenantId": _guid("tenant", 0),
        "jobId": "miro.bench",
        "cycleId": _guid("cycle", cycle),
        "changeId": _guid("change", cycle * 10_000_000 + n),
        "provisioningAction": action,
        "durationInMilliseconds": 0,
        "initiatedBy": {
            "id": "",
            "displayName": "Azure AD Provisioning Service",
            "initiatorType": "system",
        },
        "servicePrincipal": {"id": _guid("sp", 0), "displayName": "Miro"},
        "sourceIdentity": {"id": oid, "displayName": upn, "identityType": "User"},
        "targetIdentity": {
            "id": miro_id if entitled else "",
            "displayName": upn if entitled else "",
            "identityType": "urn:ietf:params:scim:schemas:core:2.0:User",
        },
        "provisioningStatusInfo": {"status": status, "errorInformation": None},
        "provisioningSteps": steps,
        "modifiedProperties": modified,
    }


def generate(path: Path, records: int, cycles: int = CYCLES) -> dict[str, Any]:
    """Write the export as the admin center's JSON download (newest first, as it lists them)."""
    users = max(1, records // cycles)
    began = time.perf_counter()
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[\n")
        first = True
        for cycle in range(cycles, 0, -1):
            for n in range(users, 0, -1):
                entry = _entry(n, cycle, str(3_074_457_345_600_000_000 + n))
                handle.write(
                    ("" if first else ",") + json.dumps(entry, separators=(",", ":")) + "\n"
                )
                first = False
        handle.write("]\n")
    return {
        "records": users * cycles,
        "users": users,
        "cycles": cycles,
        "bytes": path.stat().st_size,
        "wall_s": round(time.perf_counter() - began, 2),
    }


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """One phase, in the current (child) process."""
    phase = task["phase"]
    export, case = Path(task["export"]), Path(task["case"])
    if phase == "generate":
        return generate(export, int(task["records"]))
    began, cpu = time.perf_counter(), time.process_time()
    if phase == "import":
        from harness.replay.importer import import_export

        result = import_export([export], case)
        out: dict[str, Any] = {
            "records": result.records,
            "objects": result.objects,
            "cycles": result.cycles,
            "case_bytes": case.stat().st_size,
        }
    elif phase == "replay":
        from harness.replay.replay import replay

        replayed = replay(case, [export])
        c = replayed.comparison
        out = {
            "decisions": c.total,
            "agreed": c.agreed,
            "agreement_pct": round(c.rate, 2),
            "error": replayed.error,
        }
    else:
        raise ValueError(f"unknown replay phase {phase!r}")
    out["wall_s"] = round(time.perf_counter() - began, 2)
    out["cpu_s"] = round(time.process_time() - cpu, 2)
    return out


def measure(records: int = DEFAULT_RECORDS, workdir: Path | None = None) -> dict[str, Any]:
    """Generate, import and replay in three children; the verdict against issue 17's target."""
    with tempfile.TemporaryDirectory(prefix="harness-replay-bench-", dir=workdir) as tmp:
        export, case = Path(tmp) / "export.json", Path(tmp) / "case.yaml"
        base = {"kind": "replay", "export": str(export), "case": str(case), "records": records}
        report: dict[str, Any] = {"records": records}
        for phase in ("generate", "import", "replay"):
            load_before = _load()
            report[phase] = run_child({**base, "phase": phase})
            # Wall seconds depend on the machine's other work; CPU seconds and peak RSS barely.
            report[phase]["load_before"], report[phase]["load_after"] = load_before, _load()
            if "error" in report[phase] and phase != "replay":
                return report
    phases = [report["import"], report["replay"]]
    total_s = sum(float(p.get("process_wall_s") or 0) for p in phases)
    peak = max(float(p.get("peak_rss_mb") or 0) for p in phases)
    report["import_and_replay_s"] = round(total_s, 1)
    report["import_and_replay_cpu_s"] = round(sum(float(p.get("cpu_s") or 0) for p in phases), 1)
    report["peak_rss_mb"] = peak
    report["target"] = {"seconds": 300, "rss_mb": 2048, "met": total_s <= 300 and peak <= 2048}
    return report


def _load() -> list[float]:
    """The load average (1, 5, 15 minutes)."""
    return [round(x, 2) for x in os.getloadavg()]


@click.command()
@click.option("--records", type=click.IntRange(min=10), default=DEFAULT_RECORDS, show_default=True)
def main(records: int) -> None:
    """Measure harness import and harness replay on a synthetic export of RECORDS records."""
    click.echo(json.dumps(measure(records), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
