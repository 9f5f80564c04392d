"""What one provisioning cycle knows, in one place.

:class:`CycleInputs` is what the service hands a cycle; :class:`CycleContext` adds what the
cycle works out at its start (its id, the mappings it applies, the PATCH dialect, the target's
name and roles) and the bookkeeping it keeps while it works through the objects. The
pipelines, the shared steps and failure handling all receive the same context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from harness.engine import rules
from harness.engine.changes import HeldDeletion, Touch
from harness.engine.errors import ErrorInfo
from harness.engine.logs.entries import IdSource
from harness.engine.scope import DEFAULT_ACCESS_ROLE
from harness.engine.settings import EngineSettings
from harness.engine.state import JobRuntime
from harness.engine.status import JobStatus, TaskExecution, iso


@dataclass
class CycleInputs:
    """Everything a cycle needs, handed over by the service (no globals)."""

    job_id: str
    service_principal_id: str
    tenant_id: str
    schema: rules.Schema
    secrets: dict[str, str]
    settings: EngineSettings
    runtime: JobRuntime
    status: JobStatus
    transport: httpx.BaseTransport
    graph_base_url: str
    ids: IdSource
    now: Callable[[], datetime]
    emit: Callable[[dict[str, Any]], None]
    job_settings: dict[str, str] = field(default_factory=dict)
    # The bearer token for Graph: called with None for the cached one, or with an httpx client
    # after a 401 to get a fresh one (None: give up).
    graph_token: Callable[[httpx.Client | None], str | None] = lambda client: (
        "harness-provisioning-engine"
    )
    # Records a configuration activity (``auditLogs/directoryAudits``): activity, sp, job id.
    audit: Callable[[str, dict[str, Any], str], None] = lambda activity, sp, job_id: None
    # Sends a notification e-mail (to the harness's outbox).
    notify: Callable[[dict[str, Any]], None] = lambda message: None
    # Waits ``seconds`` on the lab's clock (virtual: moves it forward; real: sleeps).
    sleep: Callable[[float], None] = lambda seconds: None


@dataclass
class CycleSummary:
    job_id: str
    cycle_id: str
    kind: str  # initial | incremental | onDemand
    began: datetime
    ended: datetime | None = None
    state: str = "Succeeded"
    error: dict[str, Any] | None = None
    quarantine: str | None = None
    # When the quarantine series began (Graph's seriesBegan), not this attempt: what a report
    # gives as "quarantined since".
    quarantine_since: datetime | None = None
    pause: bool = False
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "imported",
                "deltas",
                "create",
                "update",
                "disable",
                "delete",
                "other",
                "skipped",
                "staged",
                "failed",
                "exports",
                "throttled",
                "requests",
            ),
            0,
        )
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "cycleId": self.cycle_id,
            "type": self.kind,
            "began": iso(self.began),
            "ended": iso(self.ended),
            "state": self.state,
            "error": self.error,
            "quarantine": self.quarantine,
            "quarantineSince": iso(self.quarantine_since),
            "counts": dict(self.counts),
        }


@dataclass
class CycleContext:
    """One cycle's knowledge and bookkeeping, shared by the parts that do the cycle's work."""

    inputs: CycleInputs
    cycle_id: str
    began: datetime
    # An initial cycle reads the whole directory (a new delta round); an incremental one only
    # the changes since the last cycle. A delta token that expired turns a cycle initial.
    initial: bool
    summary: CycleSummary
    execution: TaskExecution

    # The job's schema as this cycle applies it.
    user_mapping: rules.ObjectMapping
    group_mapping: rules.ObjectMapping | None
    exact_users: set[str] | None  # user attributes compared case-sensitively (None: all)
    exact_groups: set[str] | None
    dialect: str  # the PATCH dialect the target gets
    base_address: str

    # The target application, as its service principal describes it (read at the cycle's start).
    app_name: str
    service_principal: dict[str, str]  # id, displayName, appId
    app_roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_roles: set[str] = field(default_factory=lambda: {DEFAULT_ACCESS_ROLE})

    # The objects to look at in this cycle, and what has happened to them so far.
    user_changes: dict[str, str] = field(default_factory=dict)  # user id -> change type
    group_touches: dict[str, Touch] = field(default_factory=dict)
    newly_linked: set[str] = field(default_factory=set)  # users linked in this cycle
    hard_deleted_users: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_scope_users: dict[str, bool] = field(default_factory=dict)
    retrying: set[str] = field(default_factory=set)  # escrowed objects retried in this cycle
    deferred: list[HeldDeletion] = field(default_factory=list)  # deletions held to the end
    escrows_before: int = 0  # escrows when the cycle began (notification on new failures)
    # Users with a failed operation waiting when the cycle began: linked now, they are retries,
    # not objects that came into scope.
    users_failed_before: frozenset[str] = frozenset()
    probe_error: ErrorInfo | None = None  # the test-connection probe's failure
    quarantine_reason: str | None = None
    quarantine_error: ErrorInfo | None = None

    @classmethod
    def begin(cls, inputs: CycleInputs, *, on_demand: bool = False) -> CycleContext:
        """A new cycle's context: its start time and id, the mappings, the PATCH dialect."""
        began = inputs.now()
        cycle_id = inputs.ids.guid()
        initial = not inputs.runtime.watermarks.initialized
        kind = "initial" if initial else "incremental"
        if on_demand:
            # Provision on demand reads its objects one by one: never a delta round.
            initial, kind = False, "onDemand"
        schema = inputs.schema
        user_mapping = rules.user_mapping(schema)
        group_mapping = rules.group_mapping(schema)
        base_address = inputs.secrets.get("BaseAddress", "")
        return cls(
            inputs=inputs,
            cycle_id=cycle_id,
            began=began,
            initial=initial,
            summary=CycleSummary(inputs.job_id, cycle_id, kind, began),
            execution=TaskExecution(cycle_id, began),
            user_mapping=user_mapping,
            group_mapping=group_mapping,
            exact_users=rules.case_exact(schema, user_mapping),
            exact_groups=rules.case_exact(schema, group_mapping),
            # The aadOptscim062020 flag "doesn't work with on-demand provisioning"
            # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility).
            dialect="default"
            if on_demand
            else inputs.settings.patch_dialect or rules.dialect_of(base_address),
            base_address=base_address,
            app_name=inputs.settings.target_display_name or "Miro",
            service_principal={"id": inputs.service_principal_id, "displayName": "", "appId": ""},
            escrows_before=len(inputs.runtime.escrows),
            users_failed_before=frozenset(
                source_id for kind, source_id in inputs.runtime.escrows if kind == "User"
            ),
        )

    @property
    def on_demand(self) -> bool:
        return self.summary.kind == "onDemand"

    @property
    def runtime(self) -> JobRuntime:
        """What the job remembers between cycles (links, mirror, escrows, watermarks)."""
        return self.inputs.runtime

    @property
    def settings(self) -> EngineSettings:
        return self.inputs.settings

    def sync_all(self) -> bool:
        """The scope mode. Switching "Sync all" to "Sync assigned" takes effect only after a
        restart (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues),
        so the mode is fixed at each initial cycle (either direction: our inference)."""
        runtime = self.runtime
        if self.initial or runtime.sync_all is None:
            secret = self.inputs.secrets.get("SyncAll", "false")
            runtime.sync_all = str(secret).strip().lower() == "true"
        return bool(runtime.sync_all)

    def skips_out_of_scope_deletions(self) -> bool:
        return str(self.inputs.secrets.get("SkipOutOfScopeDeletions", "")).lower() == "true"
