"""What a cycle does when things fail: escrows and retries, throttling, quarantine,
accidental-deletion prevention and notification e-mails.

Sources (Microsoft Learn):
- "How application provisioning works": https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works
- "Application provisioning in quarantine status": https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status
- "Enable accidental deletions prevention": https://learn.microsoft.com/en-us/entra/identity/app-provisioning/accidental-deletions
- the error codes of "Understand how provisioning logs work": https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from harness.clock import parse_duration
from harness.engine.changes import (
    DELETE,
    UPDATE,
    HeldDeletion,
    Touch,
)
from harness.engine.context import CycleContext
from harness.engine.errors import ErrorInfo
from harness.engine.logs.entries import EntryBuilder
from harness.engine.recorder import EntryRecorder
from harness.engine.settings import EngineSettings
from harness.engine.state import Escrow
from harness.engine.status import Quarantine, iso


def retry_sentence(when: datetime) -> str:
    """The sentence real logs end a retried failure with: one source for the text and the date
    the engine acts on."""
    return f"It will be retried again after this date: {when.strftime('%Y-%m-%dT%H:%M:%S.0000000Z')} UTC"


def escrow_threshold_reason(
    failures: int, reference_failures: int, succeeded: int, settings: EngineSettings
) -> str | None:
    """The quarantine reason the escrow thresholds give, or None (the thresholds the quarantine
    page documents).

    ``failures`` are non-reference escrows; reference failures (manager, group members) count
    only toward the absolute rule. ``succeeded`` is the number of objects provisioned fine.
    """
    if failures + reference_failures > settings.escrow_absolute_failures:
        return "EncounteredBaseEscrowThreshold"
    if failures > settings.escrow_total_failures:
        return "EncounteredTotalEscrowThreshold"
    proportion = failures / (failures + succeeded) if failures else 0.0
    if failures >= settings.escrow_min_failures and proportion > settings.escrow_failure_ratio:
        return "EncounteredEscrowProportionThreshold"
    return None


def with_sentence(info: ErrorInfo, sentence: str) -> ErrorInfo:
    """``info`` with ``sentence`` after its reason (the target's detail may lack a full stop)."""
    said = info.reason.rstrip()
    said += "" if said.endswith((".", "!", "?")) else "."
    return replace(info, reason=f"{said} {sentence}")


class FailureHandling:
    """Escrows and retries, throttling, held deletions, quarantine and notifications of one
    cycle. Outcomes are logged through ``recorder``."""

    def __init__(self, context: CycleContext, recorder: EntryRecorder) -> None:
        self.context = context
        self.recorder = recorder

    # -- throttling and per-object failures ----------------------------------------------

    def on_throttle(self, retry_after: float | None, retries: int) -> bool:
        """A 429 either waits ``Retry-After`` (on the lab's clock) and retries within the
        cycle, or is left to the escrow and a later cycle, per the ``throttle_policy`` setting."""
        settings = self.context.settings
        if settings.throttle_policy != "honour" or retries >= settings.throttle_max_retries:
            return False
        # Without Retry-After (Miro documents none on SCIM) the wait doubles per retry, the
        # usual backoff for throttled calls
        # (https://learn.microsoft.com/en-us/azure/architecture/best-practices/retry-service-specific):
        # 1 + 2 + 4 + 8 + 16 s outlasts Miro's 30-second window within five retries, where
        # a fixed 1 s wait would give up inside it.
        wait = (
            retry_after
            if retry_after is not None
            else parse_duration(settings.throttle_default_wait).total_seconds() * 2**retries
        )
        self.context.inputs.sleep(wait)
        self.context.summary.counts["throttled"] += 1
        return True

    def object_failed(self, info: ErrorInfo) -> None:
        """A fault ended the current object's pipeline: log it as failed (and escrow it)."""
        entry = self.recorder.take_current()
        if entry is None:
            return
        entry.step("EntrySynchronizationError", "processing", "failure", info.reason)
        info = self._escrow(entry, "update", info)
        self.recorder.emit(entry, "other", "failure", error=info)

    def export_failed(
        self,
        entry: EntryBuilder,
        action: str,
        info: ErrorInfo,
        operation: str,
        *,
        modified: list[dict[str, Any]] | None = None,
        reference: bool = False,
    ) -> None:
        """A target request failed: log the failed step and the entry (and escrow it).
        ``reference``: the request only updated references (a manager, group members), which
        the 40 % and 40,000 quarantine rules leave out."""
        app_name = self.context.app_name
        verb = {"create": "create", "update": "update", "disable": "disable", "delete": "delete"}
        step_name = {
            "create": "EntryExportAdd",
            "update": "EntryExportUpdate",
            "disable": "EntryExportUpdate",
            "delete": "EntryExportDelete",
        }[action]
        step_type = "matching" if operation in ("query", "match", "get") else "export"
        entry.step(
            step_name if step_type == "export" else "EntryImport",
            step_type,
            "failure",
            f"Failed to {verb[action]} {entry.object_type} '{entry.source_display}' in {app_name}"
            if step_type == "export"
            else f"Failed to retrieve '{entry.source_display}' from {app_name}",
            {"ReportableIdentifier": entry.source_display},
        )
        info = self._escrow(entry, action, info, reference=reference)
        self.recorder.emit(entry, action, "failure", error=info, modified=modified)

    def _escrow(
        self, entry: EntryBuilder, action: str, info: ErrorInfo, *, reference: bool = False
    ) -> ErrorInfo:
        """Keep a retryable failure for later cycles and say so in the reason, as real
        logs do ("This operation was retried N times. It will be retried again after...")."""
        context = self.context
        context.execution.count_escrowed_raw += 1
        if info.quarantine:
            context.quarantine_error = info
        if not info.retryable:
            return info
        now = context.inputs.now()
        key = (entry.object_type, entry.source_id)
        escrows = context.runtime.escrows
        escrow = escrows.get(key)
        if escrow is None:
            escrow = Escrow(entry.source_id, entry.object_type, action, info.code, now, attempts=0)
            escrows[key] = escrow
        escrow.operation = action
        escrow.error_code = info.code
        escrow.reference = reference
        retried = escrow.attempts
        escrow.attempts += 1
        # From the cycle's start, not from now: Retry-After waits within this cycle must not
        # push the retry past the next cycle (documented: retried "in 40 minutes", the next cycle).
        escrow.next_retry = context.began + context.settings.escrow_wait(escrow.attempts)
        return with_sentence(
            info, f"This operation was retried {retried} times. {retry_sentence(escrow.next_retry)}"
        )

    def add_due_retries(self) -> None:
        """Escrowed objects whose retry is due are processed again, changed or not."""
        context = self.context
        runtime = context.runtime
        now = context.inputs.now()
        # In quarantine, each attempt on the back-off schedule is the retry of every escrow
        # (the quarantine page's "Retry duration"): an attempt that retried nothing must not pass
        # for a successful one and lift the quarantine.
        quarantined = context.inputs.status.quarantine is not None
        for (object_type, source_id), escrow in list(runtime.escrows.items()):
            if not quarantined and escrow.next_retry is not None and escrow.next_retry > now:
                continue
            if object_type == "User":
                if source_id in runtime.mirror.users and source_id not in context.user_changes:
                    context.user_changes[source_id] = UPDATE
                    context.retrying.add(source_id)
                elif source_id not in runtime.mirror.users:
                    del runtime.escrows[(object_type, source_id)]  # gone from the directory
            elif source_id in runtime.mirror.groups:
                if source_id not in context.group_touches:
                    context.group_touches[source_id] = Touch(UPDATE, full_member_sync=True)
                    context.retrying.add(source_id)
            else:
                del runtime.escrows[(object_type, source_id)]

    # -- accidental-deletion prevention ---------------------------------------------------

    def _delete_threshold(self) -> int | None:
        """The threshold when "Prevent accidental deletions" is on, else None."""
        inputs = self.context.inputs
        raw = inputs.secrets.get("SyncNotificationSettings") or ""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        if (
            not isinstance(parsed, dict)
            or str(parsed.get("DeleteThresholdEnabled", "")).lower() != "true"
        ):
            return None
        try:
            return int(inputs.job_settings.get("QuarantineTooManyDeletesThreshold", "500"))
        except ValueError:
            return 500

    def hold_or_run_deletion(
        self, entry: EntryBuilder, action: str, export: Callable[[], None], *, hard: bool
    ) -> None:
        """Run a disable or delete now, or hold it until the cycle's count is known."""
        context = self.context
        if self._delete_threshold() is None or context.runtime.force_deletes:
            export()
            return
        self.recorder.set_aside()  # settled at the end of the cycle
        attrs = (
            (
                context.hard_deleted_users.get(entry.source_id)
                or context.deleted_groups.get(entry.source_id)
                or {}
            )
            if hard
            else {}
        )
        context.deferred.append(HeldDeletion(entry, action, export, hard, attrs))

    def settle_deletions(self) -> None:
        """Run the held deletions, or, over the threshold, stage them all and quarantine."""
        context = self.context
        staged = context.runtime.staged
        threshold = self._delete_threshold()
        deferred, context.deferred = context.deferred, []
        # Every held object was evaluated again this cycle (``add_staged``): what is still to
        # be deleted is in ``deferred``; the rest came back into scope.
        staged.clear()
        if threshold is None or len(deferred) <= threshold:
            for item in deferred:
                self.recorder.resume(item.entry)
                staged.pop((item.entry.object_type, item.entry.source_id), None)
                item.export()
            return
        # Over the threshold, nothing is deleted or disabled; the objects are
        # logged as StagedDelete and the job is quarantined with TooManyDeletes.
        for item in deferred:
            entry = item.entry
            staged[(entry.object_type, entry.source_id)] = {
                "hard": item.hard,
                "attrs": item.attrs,
                "action": item.action,
            }
            entry.step(
                "EntrySynchronizationStagedDelete",
                "processing",
                "skipped",
                f"The {entry.object_type} '{entry.source_display}' was not "
                f"{'disabled' if item.action == 'disable' else 'deleted'} in {context.app_name}: "
                f"this cycle would delete or disable {len(deferred)} objects, more than the "
                f"accidental deletions threshold of {threshold}.",
                {"SkipReason": "StagedDelete"},
            )
            self.recorder.emit(entry, "stageddelete", "skipped")
        context.summary.counts["staged"] = len(deferred)
        context.quarantine_error = ErrorInfo(
            "TooManyDeletes",
            f"Provisioning has been quarantined: {len(deferred)} deletions in one cycle exceed the "
            f"accidental deletions threshold of {threshold}. Allow the deletes (restart with "
            "ForceDeletes) or fix the source and restart.",
        )
        context.quarantine_reason = "TooManyDeletes"

    def add_staged(self) -> None:
        """Held deletions are evaluated again in every cycle until they are let through
        (``restart`` with ``ForceDeletes``) or the source is fixed (as documented): a
        quarantine attempt with nothing else to do must not drop them and lift the quarantine."""
        context = self.context
        for (object_type, source_id), held in list(context.runtime.staged.items()):
            if object_type == "User":
                if held["hard"]:
                    context.hard_deleted_users.setdefault(
                        source_id, held["attrs"] or {"id": source_id}
                    )
                    context.user_changes[source_id] = DELETE
                elif source_id in context.runtime.mirror.users:
                    context.user_changes.setdefault(source_id, UPDATE)
            else:
                if held["hard"]:
                    context.deleted_groups.setdefault(source_id, held["attrs"] or {"id": source_id})
                context.group_touches.setdefault(
                    source_id, Touch(DELETE if held["hard"] else UPDATE)
                )

    # -- notifications --------------------------------------------------------------------

    def _notification_recipients(self) -> list[str]:
        """Recipients when "Send an email notification when a failure occurs" is on."""
        secrets = self.context.inputs.secrets
        raw = secrets.get("SyncNotificationSettings") or ""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            return []
        if not isinstance(parsed, dict) or str(parsed.get("Enabled", "")).lower() != "true":
            return []
        listed = str(parsed.get("Recipients") or secrets.get("NotificationEmail") or "")
        return [r.strip() for r in listed.replace(",", ";").split(";") if r.strip()]

    def notify_failures(self) -> None:
        """ "Send an email notification when a failure occurs": one message when objects start
        failing (escrows appear where there were none), not one per cycle."""
        context = self.context
        escrows = context.runtime.escrows
        if context.escrows_before or not escrows or context.inputs.status.quarantine is not None:
            return
        failed = sorted({e.error_code for e in escrows.values()})
        self._notify_quarantine(
            "ObjectFailures",
            ErrorInfo(
                ", ".join(failed),
                f"{len(escrows)} object operations failed in the last cycle and will be retried.",
            ),
        )

    def _notify_quarantine(self, reason: str, cause: ErrorInfo) -> None:
        recipients = self._notification_recipients()
        if not recipients:
            return
        context = self.context
        inputs = context.inputs
        app = context.app_name
        if reason == "ObjectFailures":
            subject = f"Provisioning errors for {app}"
            what = "The provisioning service could not provision some objects."
        elif reason == "TooManyDeletes":
            subject = f"[Action required] Accidental deletions prevented for {app}"
            what = (
                "The provisioning service found more deletions in one cycle than the "
                "accidental deletions threshold allows, and has held them back."
            )
        else:
            subject = f"[Action required] Provisioning for {app} has been quarantined"
            what = "The provisioning service has put the job in quarantine."
        sp_id = context.service_principal["id"]
        body = (
            f"{what}\n\nApplication: {app}\nService principal: {sp_id}\n"
            f"Job: {inputs.job_id}\nReason: {reason}\nError: {cause.code}\n{cause.reason}\n\n"
            "See the provisioning logs and the quarantine details in the Microsoft Entra admin "
            "center for more information."
        )
        inputs.notify(
            {
                "id": inputs.ids.guid(),
                "sentDateTime": iso(inputs.now()),
                "from": "azure-noreply@microsoft.com",
                "to": recipients,
                "subject": subject,
                "body": body,
                "jobId": inputs.job_id,
                "servicePrincipalId": sp_id,
                "reason": reason,
            }
        )

    # -- quarantine -----------------------------------------------------------------------

    def judge_quarantine(self, cause: ErrorInfo | None, *, failed_cycle: bool) -> None:
        """Enter, extend or lift quarantine at the end of a cycle."""
        context = self.context
        inputs = context.inputs
        runtime = context.runtime
        now = inputs.now()
        status = inputs.status
        settings = context.settings
        summary = context.summary
        reason = None
        if cause is not None:
            reason = context.quarantine_reason or "EncounteredQuarantineException"
        else:
            escrows = list(runtime.escrows.values())
            failures = sum(1 for e in escrows if not e.reference)
            succeeded = 0
            if failures and failures >= settings.escrow_min_failures:
                # Counted only when it can matter: a quiet cycle stays O(changes).
                succeeded = sum(
                    1 for link in runtime.links.values() if link.managed and not link.deleted
                )
            reason = escrow_threshold_reason(failures, len(escrows) - failures, succeeded, settings)
            if reason:
                last_escrow = next(iter(reversed(escrows)))
                cause = ErrorInfo(
                    last_escrow.error_code, f"{failures} object operations are failing."
                )
                if context.initial and not failed_cycle:
                    # In an initial cycle the escrows are pruned instead
                    # (https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationstatus),
                    # the cycle runs to its end, and the job pauses for the admin to clean up.
                    runtime.escrows.clear()
                    status.escrows_pruned = True
                    summary.pause = True
                    summary.quarantine = None
                    return
        if reason is None or cause is None:
            if status.quarantine is not None and not failed_cycle:
                status.quarantine = None  # a successful retry lifts quarantine
                status.code = "Active"
            summary.quarantine = None
            return
        error = {"code": cause.code, "message": cause.reason, "tenantActionable": True}
        quarantine = status.quarantine
        if quarantine is None or quarantine.reason != reason:
            # One e-mail when quarantined, a new one if the reason changes;
            # the audit log records a "Quarantine" activity.
            self._notify_quarantine(reason, cause)
            inputs.audit("Quarantine", context.service_principal, inputs.job_id)
        if quarantine is None:
            quarantine = Quarantine(reason, now, now, settings.next_quarantine_attempt(now, now, 1))
            status.quarantine = quarantine
        else:
            quarantine.series_count += 1
            quarantine.current_began = now
            quarantine.reason = reason
            # Retries go on "for 28 days after the first failure": the last attempt falls on
            # that day exactly, and a failure there disables the job.
            quarantine.next_attempt = settings.next_quarantine_attempt(
                quarantine.series_began, now, quarantine.series_count
            )
        quarantine.error = error
        status.code = "Quarantine"
        summary.quarantine = reason
        summary.quarantine_since = quarantine.series_began
