"""Opens each object's provisioning log entry and records how it ended.

One entry per object per cycle. Recording an outcome counts it (the cycle summary and the
task execution), clears the object's escrow when it did not fail, and sends the entry to the
logs. The entry being processed is kept so a fault that ends the object's pipeline can still
be logged against it.
"""

from __future__ import annotations

from typing import Any

from harness.engine import rules
from harness.engine.changes import stable_guid
from harness.engine.context import CycleContext
from harness.engine.errors import ErrorInfo
from harness.engine.logs.entries import EntryBuilder, LogContext


class EntryRecorder:
    def __init__(self, context: CycleContext) -> None:
        self.context = context
        self._current: EntryBuilder | None = None
        self._redactions: dict[int, frozenset[str]] = {}  # per object mapping, worked out once

    def _redacted(self, mapping: rules.ObjectMapping | None) -> frozenset[str]:
        key = id(mapping)
        if key not in self._redactions:
            self._redactions[key] = rules.redacted_names(mapping)
        return self._redactions[key]

    def open(
        self,
        object_type: str,
        source_id: str,
        display: str,
        mapping: rules.ObjectMapping | None,
    ) -> EntryBuilder:
        """A new entry for one object; it is the current entry until it is emitted."""
        context = self.context
        inputs = context.inputs
        log_context = LogContext(
            ids=inputs.ids,
            tenant_id=inputs.tenant_id,
            job_id=inputs.job_id,
            cycle_id=context.cycle_id,
            service_principal=context.service_principal,
            app_name=context.app_name,
            source_system_id=stable_guid("source", inputs.tenant_id),
            target_system_id=stable_guid("target", context.service_principal["id"]),
            now=inputs.now(),
            on_demand=context.summary.kind == "onDemand",
        )
        entry = EntryBuilder(
            log_context,
            object_type,
            source_id,
            display,
            rules.target_object(mapping),
            redacted=self._redacted(mapping),
        )
        self._current = entry
        return entry

    # -- the current entry ----------------------------------------------------------------

    def take_current(self) -> EntryBuilder | None:
        """The entry being processed (None when it was emitted or set aside); it stops being
        current."""
        entry, self._current = self._current, None
        return entry

    def set_aside(self) -> None:
        """No entry is current: the next fault is not logged against the last one (a new
        object begins, or its outcome is settled later)."""
        self._current = None

    def resume(self, entry: EntryBuilder) -> None:
        """``entry`` is current again (a held deletion settled at the end of the cycle)."""
        self._current = entry

    # -- outcomes -------------------------------------------------------------------------

    def exported(self) -> None:
        """Count one change the target took."""
        context = self.context
        context.summary.counts["exports"] += 1
        context.execution.count_exports += 1
        context.execution.count_exported += 1

    def emit(
        self,
        entry: EntryBuilder,
        action: str,
        status: str,
        *,
        error: ErrorInfo | None = None,
        modified: list[dict[str, Any]] | None = None,
    ) -> None:
        """Count the entry's outcome and send it to the logs."""
        self._current = None
        context = self.context
        if status != "failure":
            context.runtime.escrows.pop((entry.object_type, entry.source_id), None)
        counts = context.summary.counts
        if status == "failure":
            counts["failed"] += 1
        elif status == "skipped":
            counts["skipped"] += 1
        else:
            counts[action] = counts.get(action, 0) + 1
        context.inputs.emit(entry.build(action, status, error=error, modified=modified))
