"""The job's ``status`` as Graph shows it
(https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationstatus,
https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationtaskexecution)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

NEVER = "0001-01-01T00:00:00Z"


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TaskExecution:
    """One cycle's counters: a ``synchronizationTaskExecution``."""

    activity_identifier: str
    time_began: datetime
    time_ended: datetime | None = None
    state: str = "Succeeded"  # Succeeded | Failed | EntryLevelErrors
    count_entitled: int = 0
    count_entitled_for_provisioning: int = 0
    count_escrowed: int = 0
    count_escrowed_raw: int = 0
    count_exported: int = 0
    count_exports: int = 0
    count_imported: int = 0
    count_imported_deltas: int = 0
    count_imported_reference_deltas: int = 0
    error: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "activityIdentifier": self.activity_identifier,
            "countEntitled": self.count_entitled,
            "countEntitledForProvisioning": self.count_entitled_for_provisioning,
            "countEscrowed": self.count_escrowed,
            "countEscrowedRaw": self.count_escrowed_raw,
            "countExported": self.count_exported,
            "countExports": self.count_exports,
            "countImported": self.count_imported,
            "countImportedDeltas": self.count_imported_deltas,
            "countImportedReferenceDeltas": self.count_imported_reference_deltas,
            "error": self.error,
            "state": self.state,
            "timeBegan": iso(self.time_began),
            "timeEnded": iso(self.time_ended),
        }


@dataclass
class Quarantine:
    reason: str
    current_began: datetime
    series_began: datetime
    next_attempt: datetime
    series_count: int = 1
    error: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "currentBegan": iso(self.current_began),
            "nextAttempt": iso(self.next_attempt),
            "reason": self.reason,
            "seriesBegan": iso(self.series_began),
            "seriesCount": self.series_count,
            "error": self.error,
        }


@dataclass
class JobStatus:
    # NotConfigured | NotRun | Active | Paused | Quarantine. A new job is NotConfigured ("never
    # run"), as the create-job response shows in "Configure provisioning using Microsoft Graph
    # APIs" (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-configuration-api);
    # the same page's later GET sample shows a never-run job as Paused.
    code: str = "NotConfigured"
    count_successive_complete_failures: int = 0
    escrows_pruned: bool = False
    last_execution: TaskExecution | None = None
    last_successful_execution: TaskExecution | None = None
    last_successful_execution_with_exports: TaskExecution | None = None
    steady_state_first_achieved: datetime | None = None
    steady_state_last_achieved: datetime | None = None
    progress: list[dict[str, Any]] = field(default_factory=list)
    quarantine: Quarantine | None = None
    synchronized_entry_count_by_type: dict[str, int] = field(default_factory=dict)

    def next_cycle(self, began: datetime, interval: timedelta) -> datetime:
        """When the job runs again after a cycle that began at ``began``: the next quarantine
        attempt, else one interval later."""
        if self.quarantine is not None:
            return self.quarantine.next_attempt
        return began + interval

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "countSuccessiveCompleteFailures": self.count_successive_complete_failures,
            "escrowsPruned": self.escrows_pruned,
            "lastExecution": self.last_execution.to_json() if self.last_execution else None,
            "lastSuccessfulExecution": (
                self.last_successful_execution.to_json() if self.last_successful_execution else None
            ),
            "lastSuccessfulExecutionWithExports": (
                self.last_successful_execution_with_exports.to_json()
                if self.last_successful_execution_with_exports
                else None
            ),
            "progress": list(self.progress),
            "quarantine": self.quarantine.to_json() if self.quarantine else None,
            "steadyStateFirstAchievedTime": iso(self.steady_state_first_achieved) or NEVER,
            "steadyStateLastAchievedTime": iso(self.steady_state_last_achieved) or NEVER,
            "synchronizedEntryCountByType": [
                {"key": key, "value": value}
                for key, value in sorted(self.synchronized_entry_count_by_type.items())
            ],
            "troubleshootingUrl": None,
        }
