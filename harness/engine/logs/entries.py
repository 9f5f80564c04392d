"""Builds ``provisioningObjectSummary`` entries while an object is processed
(https://learn.microsoft.com/en-us/graph/api/resources/provisioningobjectsummary).

One entry per object per cycle. Step names, types and description templates follow Microsoft's
``provisioningStep`` (https://learn.microsoft.com/en-us/graph/api/resources/provisioningstep) and log
samples; where no source names one, the choice is listed in docs/engine.md.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.engine.errors import ErrorInfo
from harness.engine.rules.log_values import log_value
from harness.engine.status import iso

SOURCE_SYSTEM = "Azure Active Directory"
# What the logs show instead of a value an attribute mapping passes through Redact
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data#redact).
REDACTED = "[Redact]"
INITIATOR = {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"}


class IdSource:
    """Deterministic GUIDs (cycle ids, change ids, log ids, probe values) from a seed."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(f"harness-ids:{seed}")

    def guid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def state(self) -> list[Any]:
        version, internal, gauss = self._rng.getstate()
        return [version, list(internal), gauss]

    def set_state(self, state: list[Any]) -> None:
        version, internal, gauss = state
        self._rng.setstate((version, tuple(internal), gauss))


@dataclass
class LogContext:
    ids: IdSource
    tenant_id: str
    job_id: str
    cycle_id: str
    service_principal: dict[str, str]  # id, displayName, appId
    app_name: str
    source_system_id: str
    target_system_id: str
    now: datetime
    # Provision on demand reads the object itself instead of receiving a change: its import
    # step is ``EntryImport`` "Retrieved User '<upn>' from Azure Active Directory"
    # (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-provisionondemand).
    on_demand: bool = False


@dataclass
class EntryBuilder:
    ctx: LogContext
    object_type: str  # "User" | "Group"
    source_id: str
    source_display: str
    target_identity_type: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    target_id: str = ""
    target_display: str = ""
    # Names (case-folded) whose values show as [Redact]: the target still gets the real value.
    redacted: frozenset[str] = frozenset()

    # -- steps ----------------------------------------------------------------------------

    def step(
        self,
        name: str,
        step_type: str,
        status: str,
        description: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.steps.append(
            {
                "name": name,
                "provisioningStepType": step_type,
                "status": status,
                "description": description,
                "details": {
                    k: REDACTED if k.casefold() in self.redacted and v is not None else log_value(v)
                    for k, v in (details or {}).items()
                },
            }
        )

    def imported(
        self, change: str, details: dict[str, Any] | None = None, *, retry: bool = False
    ) -> None:
        if self.ctx.on_demand and not retry:
            self.step(
                "EntryImport",
                "import",
                "success",
                f"Retrieved {self.object_type} '{self.source_display}' from {SOURCE_SYSTEM}",
                details,
            )
            return
        description = (
            "We are retrying an operation that previously failed."  # observed in real logs
            if retry
            else f"Received {self.object_type} '{self.source_display}' change of type ({change}) "
            f"from {SOURCE_SYSTEM}"
        )
        self.step(f"EntryImport{change}", "import", "success", description, details)

    def scoped(self, in_scope: bool, details: dict[str, Any]) -> None:
        self.step(
            "EntrySynchronizationScoping",
            "scoping",
            "success" if in_scope else "skipped",
            f"Determine if {self.object_type} in scope by evaluating against each scoping filter",
            details,
        )

    def retrieved(self, target: dict[str, Any]) -> None:
        details = {k: v for k, v in _flatten(target).items() if k not in ("schemas", "meta")}
        self.step(
            "EntryImport",
            "matching",
            "success",
            f"Retrieved '{self.source_display}' from {self.ctx.app_name}",
            details,
        )

    def skipped(self, reason: str, description: str, step_type: str = "processing") -> None:
        self.step(
            "EntrySynchronizationSkip", step_type, "skipped", description, {"SkipReason": reason}
        )

    # -- the entry ------------------------------------------------------------------------

    def build(
        self,
        action: str,
        status: str,
        *,
        error: ErrorInfo | None = None,
        modified: list[dict[str, Any]] | None = None,
        duration_ms: int = 0,
    ) -> dict[str, Any]:
        ctx = self.ctx
        sp = ctx.service_principal
        return {
            "id": ctx.ids.guid(),
            "activityDateTime": iso(ctx.now),
            "tenantId": ctx.tenant_id,
            "jobId": ctx.job_id,
            "cycleId": ctx.cycle_id,
            "changeId": ctx.ids.guid(),
            "provisioningAction": action,
            "durationInMilliseconds": duration_ms,
            "initiatedBy": dict(INITIATOR),
            "servicePrincipal": {"id": sp["id"], "displayName": sp["displayName"]},
            "sourceSystem": {
                "id": ctx.source_system_id,
                "displayName": SOURCE_SYSTEM,
                "details": {},
            },
            "targetSystem": {
                "id": ctx.target_system_id,
                "displayName": ctx.app_name,
                "details": {
                    "ApplicationId": sp.get("appId", ""),
                    "ServicePrincipalId": sp["id"],
                    "ServicePrincipalDisplayName": sp["displayName"],
                },
            },
            "sourceIdentity": {
                "id": self.source_id,
                "displayName": self.source_display,
                "identityType": self.object_type,
                "details": {},
            },
            "targetIdentity": {
                "id": self.target_id,
                "displayName": self.target_display,
                "identityType": self.target_identity_type,
                "details": {},
            },
            "provisioningStatusInfo": {
                "status": status,
                "errorInformation": error.to_json() if error else None,
            },
            "provisioningSteps": list(self.steps),
            "modifiedProperties": [self._redact(item) for item in modified or []],
        }

    def _redact(self, item: dict[str, Any]) -> dict[str, Any]:
        if str(item.get("displayName", "")).casefold() not in self.redacted:
            return item
        return {
            **item,
            "oldValue": None if item.get("oldValue") is None else REDACTED,
            "newValue": None if item.get("newValue") is None else REDACTED,
        }


def modified_properties(
    new: dict[str, Any], old: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    old = old or {}
    return [
        {"displayName": name, "oldValue": log_value(old.get(name)), "newValue": log_value(value)}
        for name, value in new.items()
    ]


def _flatten(resource: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in resource.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and not key.startswith("urn:"):
            out.update(_flatten(value, name))
        elif isinstance(value, dict):
            out.update(_flatten(value, key))
        else:
            out[name] = value
    return out
