"""One provisioning cycle, as Microsoft describes it in "How application provisioning works"
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).

import -> scoping -> matching -> processing -> export, per object, users first, then groups and
their memberships (members are target ids, so users must be resolved first).

:class:`Cycle` composes the parts that do the work, all sharing one :class:`CycleContext`:
:class:`DeltaImport` (read the directory), :class:`UserPipeline` and :class:`GroupPipeline`
(one object each), :class:`SharedSteps`, :class:`FailureHandling` and the
:class:`EntryRecorder` that logs each object's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from harness.engine import rules
from harness.engine.changes import MANAGER_KEY, directory_error
from harness.engine.context import CycleContext, CycleInputs, CycleSummary
from harness.engine.delta_import import DeltaImport
from harness.engine.directory import DirectoryError, GraphDirectory
from harness.engine.errors import ErrorInfo, TargetError
from harness.engine.failures import FailureHandling, retry_sentence, with_sentence
from harness.engine.pipelines.groups import GroupPipeline
from harness.engine.pipelines.steps import SharedSteps
from harness.engine.pipelines.users import UserPipeline
from harness.engine.recorder import EntryRecorder
from harness.engine.scope import default_access_roles
from harness.engine.status import iso
from harness.engine.target import ScimTarget

__all__ = ["Cycle", "CycleInputs", "CycleSummary"]

log = logging.getLogger(__name__)

Change = TypeVar("Change")


class Cycle:
    """One cycle of one job. ``on_demand``: the run provisions objects a caller names (see
    :mod:`harness.engine.on_demand`) instead of importing the directory's changes."""

    def __init__(self, inputs: CycleInputs, *, on_demand: bool = False) -> None:
        self.context = CycleContext.begin(inputs, on_demand=on_demand)
        self.recorder = EntryRecorder(self.context)
        self.failures = FailureHandling(self.context, self.recorder)
        steps = SharedSteps(self.context, self.recorder, self.failures)
        self.users = UserPipeline(self.context, steps, self.failures, self.recorder)
        self.groups = GroupPipeline(self.context, steps, self.failures, self.recorder, self.users)
        self.delta_import = DeltaImport(self.context)

    # ------------------------------------------------------------------------------------
    # The cycle
    # ------------------------------------------------------------------------------------

    def run(self) -> CycleSummary:
        """A scheduled cycle: import the directory's changes, process them, finish."""
        return self.connected(self._import_and_process)

    def connected(self, work: Callable[[GraphDirectory, ScimTarget], CycleSummary]) -> CycleSummary:
        """Open the directory and the target, do ``work`` with them, close them. A target that
        cannot be reached or a fault in ``work`` fails the cycle (never the caller)."""
        context = self.context
        inputs = context.inputs
        settings = context.settings
        directory = GraphDirectory(
            inputs.transport,
            inputs.graph_base_url,
            token=inputs.graph_token(None) or "",
            refresh_token=inputs.graph_token,
            max_pages=settings.max_graph_pages,
        )
        try:
            target = ScimTarget(
                inputs.transport,
                context.base_address,
                inputs.secrets.get("SecretToken"),
                context.app_name,
                timeout=settings.target_timeout_seconds,
                on_throttle=self.failures.on_throttle,
            )
        except ValueError as exc:
            directory.close()
            return self._fail(
                ErrorInfo(
                    "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                    f"Message: {exc}",
                    category="failure",
                    quarantine=True,
                )
            )
        try:
            return work(directory, target)
        except Exception as exc:  # a bug must fail the cycle, not the clock request
            log.exception("provisioning cycle %s failed", context.cycle_id)
            return self._fail(
                ErrorInfo(
                    "InternalError",
                    f"Message: The provisioning service failed while running the cycle: "
                    f"{type(exc).__name__}: {exc}.",
                    category="failure",
                    retryable=True,
                )
            )
        finally:
            context.summary.counts["requests"] = len(target.calls) + directory.requests
            target.close()
            directory.close()

    def _import_and_process(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary:
        context = self.context
        failed = self.start(directory, target)
        if failed is not None:
            return failed
        try:
            rounds = self.delta_import.read(directory)
        except DirectoryError as exc:
            return self._fail(directory_error(exc))
        self.delta_import.apply(*rounds)
        self.failures.add_due_retries()
        self.failures.add_staged()
        counts = context.summary.counts
        counts["imported"] = len(context.user_changes) + len(context.group_touches)
        context.execution.count_imported = counts["imported"]
        for applied in rounds:  # the mirror holds the items now: free the pages before processing
            applied.items.clear()
        self.process_all(target)

        users_link, groups_link, assignments_link = (r.delta_link for r in rounds)
        watermarks = context.runtime.watermarks
        watermarks.users = users_link
        watermarks.groups = groups_link
        watermarks.assignments = assignments_link
        pages = sum(r.pages for r in rounds)
        return self._finish(pages)

    def start(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary | None:
        """Read the service principal (its name is the target's name in every log text), then
        send the test-connection probe. A summary if the cycle cannot go on, else None."""
        context = self.context
        inputs = context.inputs
        try:
            principal = directory.service_principal(inputs.service_principal_id)
        except DirectoryError as exc:
            return self._fail(directory_error(exc))
        context.service_principal = {
            "id": str(principal.get("id", inputs.service_principal_id)),
            "displayName": str(principal.get("displayName") or "Miro"),
            "appId": str(principal.get("appId") or ""),
        }
        if not context.settings.target_display_name:
            context.app_name = context.service_principal["displayName"]
            target.app_name = context.app_name
        context.app_roles = {
            str(r.get("id")): r for r in principal.get("appRoles", []) or [] if isinstance(r, dict)
        }
        context.default_roles = default_access_roles(context.app_roles)
        # Every activity starts by querying a user that cannot exist (the test connection,
        # https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
        probe_attribute = rules.probe_attribute(context.user_mapping)
        try:
            target.query("Users", probe_attribute, inputs.ids.guid())
        except TargetError as exc:
            # Failing start-up test calls quarantine the job whatever the count: Microsoft
            # documents it
            # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status)
            # and a Microsoft engineer confirms it
            # (https://learn.microsoft.com/en-us/answers/questions/1319983/azure-ad-scim-provisioning-application-quarantine).
            # A transient failure (5xx, timeout, connection) is retried on the next cycle and
            # quarantines only when it goes on (``quarantine_after_failed_cycles``).
            context.probe_error = exc.info
            return self._fail(replace(exc.info, quarantine=not exc.info.transient))
        return None

    def process_all(self, target: ScimTarget) -> None:
        """Every user to look at (managers first), then every group, then held deletions."""
        context = self.context
        runtime = context.runtime
        for user_id in self._managers_first(list(context.user_changes)):
            self._guarded(self.users.process, target, user_id, context.user_changes[user_id])
        if context.group_mapping is not None and rules.enabled(context.group_mapping):
            self.groups.touch_groups_of_new_links()
            for group_id, touch in list(context.group_touches.items()):
                self._guarded(self.groups.process, target, group_id, touch)
        self.failures.settle_deletions()
        runtime.force_deletes = False
        for user_id in context.hard_deleted_users:
            runtime.mirror.drop_user(user_id)
        for group_id in context.deleted_groups:
            runtime.mirror.drop_group(group_id)

    def _managers_first(self, user_ids: list[str]) -> list[str]:
        """A manager before the users who report to it (when both are in this cycle), so the
        reference resolves to the manager's target id in the same cycle (reference attributes are
        updated after the objects they point to)."""
        users = self.context.runtime.mirror.users
        wanted = set(user_ids)
        ordered: list[str] = []
        placed: set[str] = set()
        for user_id in user_ids:
            chain = []
            current: str | None = user_id
            while current is not None and current in wanted and current not in placed:
                placed.add(current)
                chain.append(current)
                manager = users.get(current, {}).get(MANAGER_KEY)
                current = str(manager) if manager else None
            ordered.extend(reversed(chain))
        return ordered

    def _guarded(
        self,
        process: Callable[[ScimTarget, str, Change], None],
        target: ScimTarget,
        object_id: str,
        change: Change,
    ) -> None:
        """Run one object's pipeline; a mapping that cannot be evaluated for this object (or any
        other per-object fault) becomes a failed log entry instead of ending the cycle."""
        self.recorder.set_aside()
        try:
            process(target, object_id, change)
        except rules.MappingError as exc:
            self.failures.object_failed(
                ErrorInfo(
                    "AttributeMappingEvaluationFailed",
                    f"Message: The attribute mapping for '{exc.target}' could not be evaluated for "
                    f"this object: {exc.message}",
                    category="nonServiceFailure",
                )
            )
        except Exception as exc:
            log.exception("provisioning %s failed", object_id)
            self.failures.object_failed(
                ErrorInfo(
                    "InternalError",
                    f"Message: The provisioning service failed on this object: {type(exc).__name__}: "
                    f"{exc}.",
                    category="failure",
                    retryable=True,
                )
            )

    # ------------------------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------------------------

    def _fail(self, info: ErrorInfo) -> CycleSummary:
        context = self.context
        summary = context.summary
        execution = context.execution
        now = context.inputs.now()
        summary.state = "Failed"
        summary.ended = now
        execution.state = "Failed"
        execution.time_ended = now
        status = context.inputs.status
        status.last_execution = execution
        status.count_successive_complete_failures += 1
        context.runtime.cycles_run += 1
        settings = context.settings
        # "Most, or all, of the calls ... consistently fail": in a row, or again while
        # quarantined (each attempt on the schedule that fails extends the series).
        consistent = (
            status.count_successive_complete_failures >= settings.quarantine_after_failed_cycles
            or status.quarantine is not None
        )
        self.failures.judge_quarantine(
            info if info.quarantine or consistent else None, failed_cycle=True
        )
        retry = status.next_cycle(context.began, settings.interval)
        said = with_sentence(info, retry_sentence(retry)).reason
        summary.error = {**info.to_json(), "reason": said}
        execution.error = {"code": info.code, "message": said, "tenantActionable": info.quarantine}
        return summary

    def _finish(self, pages: int) -> CycleSummary:
        context = self.context
        summary = context.summary
        execution = context.execution
        runtime = context.runtime
        now = context.inputs.now()
        counts = summary.counts
        summary.ended = now
        execution.time_ended = now
        if counts["failed"]:
            execution.state = "EntryLevelErrors"
            summary.state = "EntryLevelErrors"
        status = context.inputs.status
        status.last_execution = execution
        status.count_successive_complete_failures = 0
        status.progress = [
            {
                "completedUnits": pages,
                "totalUnits": pages,
                "units": "Pages",
                "progressObservationDateTime": iso(now),
            }
        ]
        if not counts["failed"]:
            status.last_successful_execution = execution
            if counts["exports"]:
                status.last_successful_execution_with_exports = execution
            elif not context.initial:
                # Nothing left to change: the job has reached steady state.
                if status.steady_state_first_achieved is None:
                    status.steady_state_first_achieved = now
                status.steady_state_last_achieved = now
        if status.code in ("NotRun", "NotConfigured"):
            status.code = "Active"
        status.synchronized_entry_count_by_type = {
            "User": len(runtime.entered_scope["User"]),
            "Group": len(runtime.entered_scope["Group"]),
        }
        execution.count_escrowed = len(runtime.escrows)
        runtime.cycles_run += 1
        self.failures.judge_quarantine(context.quarantine_error, failed_cycle=False)
        self.failures.notify_failures()
        return summary
