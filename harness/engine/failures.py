"""What a cycle does when things fail (reference §1.7-§1.10, §4): escrows and retries,
throttling, quarantine, accidental-deletion prevention and notification e-mails. A mixin of
:class:`harness.engine.cycle.Cycle`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from harness.clock import parse_duration
from harness.engine.changes import (
    DELETE,
    UPDATE,
    HeldDeletion,
    Touch,
)
from harness.engine.errors import ErrorInfo
from harness.engine.logs.entries import EntryBuilder
from harness.engine.settings import EngineSettings
from harness.engine.state import Escrow
from harness.engine.status import Quarantine, iso


def escrow_threshold_reason(
    failures: int, reference_failures: int, succeeded: int, settings: EngineSettings
) -> str | None:
    """The quarantine reason the escrow thresholds give, or None (§1.8 [D][QUAR]).

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


class FailureHandling:
    """Methods of :class:`Cycle`; they use its state (``self.rt``, ``self.i``, ...)."""

    def _on_throttle(self, retry_after: float | None, retries: int) -> bool:
        """§4.2: a 429 either waits ``Retry-After`` (on the lab's clock) and retries within the
        cycle, or is left to the escrow and a later cycle, per the ``throttle_policy`` setting."""
        if (
            self.settings.throttle_policy != "honour"
            or retries >= self.settings.throttle_max_retries
        ):
            return False
        wait = (
            retry_after
            if retry_after is not None
            else parse_duration(self.settings.throttle_default_wait).total_seconds()
        )
        self.i.sleep(wait)
        self.summary.counts["throttled"] += 1
        return True

    def _object_failed(self, info: ErrorInfo) -> None:
        entry = self._current
        if entry is None:
            return
        self._current = None
        entry.step("EntrySynchronizationError", "processing", "failure", info.reason)
        info = self._escrow(entry, "update", info)
        self._emit(entry, "other", "failure", error=info)

    def _add_due_retries(self) -> None:
        """Escrowed objects whose retry is due are processed again, changed or not (§1.7)."""
        now = self.i.now()
        # In quarantine, each attempt on the back-off schedule is the retry of every escrow
        # (§1.8 [D][QUAR] "Retry duration"): an attempt that retried nothing must not pass
        # for a successful one and lift the quarantine.
        quarantined = self.i.status.quarantine is not None
        for (object_type, source_id), escrow in list(self.rt.escrows.items()):
            if not quarantined and escrow.next_retry is not None and escrow.next_retry > now:
                continue
            if object_type == "User":
                if source_id in self.rt.mirror.users and source_id not in self.user_changes:
                    self.user_changes[source_id] = UPDATE
                    self.retrying.add(source_id)
                elif source_id not in self.rt.mirror.users:
                    del self.rt.escrows[(object_type, source_id)]  # gone from the directory
            elif source_id in self.rt.mirror.groups:
                if source_id not in self.group_touches:
                    self.group_touches[source_id] = Touch(UPDATE, full_member_sync=True)
                    self.retrying.add(source_id)
            else:
                del self.rt.escrows[(object_type, source_id)]

    def _delete_threshold(self) -> int | None:
        """The threshold when "Prevent accidental deletions" is on, else None."""
        raw = self.i.secrets.get("SyncNotificationSettings") or ""
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
            return int(self.i.job_settings.get("QuarantineTooManyDeletesThreshold", "500"))
        except ValueError:
            return 500

    def _deletion(
        self, entry: EntryBuilder, action: str, export: Callable[[], None], *, hard: bool
    ) -> None:
        """Run a disable or delete now, or hold it until the cycle's count is known."""
        if self._delete_threshold() is None or self.rt.force_deletes:
            export()
            return
        self._current = None  # settled at the end of the cycle
        attrs = (
            (
                self.hard_deleted_users.get(entry.source_id)
                or self.deleted_groups.get(entry.source_id)
                or {}
            )
            if hard
            else {}
        )
        self.deferred.append(HeldDeletion(entry, action, export, hard, attrs))

    def _settle_deletions(self) -> None:
        threshold = self._delete_threshold()
        deferred, self.deferred = self.deferred, []
        # Every held object was evaluated again this cycle (``_add_staged``): what is still to
        # be deleted is in ``deferred``; the rest came back into scope.
        self.rt.staged.clear()
        if threshold is None or len(deferred) <= threshold:
            for item in deferred:
                self._current = item.entry
                self.rt.staged.pop((item.entry.object_type, item.entry.source_id), None)
                item.export()
            return
        # §1.9 [D][ACCDEL]: over the threshold, nothing is deleted or disabled; the objects are
        # logged as StagedDelete and the job is quarantined with TooManyDeletes.
        for item in deferred:
            entry = item.entry
            self.rt.staged[(entry.object_type, entry.source_id)] = {
                "hard": item.hard,
                "attrs": item.attrs,
                "action": item.action,
            }
            entry.step(
                "EntrySynchronizationStagedDelete",
                "processing",
                "skipped",
                f"The {entry.object_type} '{entry.source_display}' was not "
                f"{'disabled' if item.action == 'disable' else 'deleted'} in {self.app_name}: this "
                f"cycle would delete or disable {len(deferred)} objects, more than the accidental "
                f"deletions threshold of {threshold}.",
                {"SkipReason": "StagedDelete"},
            )
            self._emit(entry, "stageddelete", "skipped")
        self.summary.counts["staged"] = len(deferred)
        self.quarantine_error = ErrorInfo(
            "TooManyDeletes",
            f"Provisioning has been quarantined: {len(deferred)} deletions in one cycle exceed the "
            f"accidental deletions threshold of {threshold}. Allow the deletes (restart with "
            "ForceDeletes) or fix the source and restart.",
        )
        self.quarantine_reason = "TooManyDeletes"

    def _add_staged(self) -> None:
        """Held deletions are evaluated again in every cycle until they are let through
        (``restart`` with ``ForceDeletes``) or the source is fixed (§1.9 [D][ACCDEL]): a
        quarantine attempt with nothing else to do must not drop them and lift the quarantine."""
        for (object_type, source_id), held in list(self.rt.staged.items()):
            if object_type == "User":
                if held["hard"]:
                    self.hard_deleted_users.setdefault(
                        source_id, held["attrs"] or {"id": source_id}
                    )
                    self.user_changes[source_id] = DELETE
                elif source_id in self.rt.mirror.users:
                    self.user_changes.setdefault(source_id, UPDATE)
            else:
                if held["hard"]:
                    self.deleted_groups.setdefault(source_id, held["attrs"] or {"id": source_id})
                self.group_touches.setdefault(source_id, Touch(DELETE if held["hard"] else UPDATE))

    def _export_failed(
        self,
        entry: EntryBuilder,
        action: str,
        info: ErrorInfo,
        operation: str,
        *,
        modified: list[dict[str, Any]] | None = None,
    ) -> None:
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
            f"Failed to {verb[action]} {entry.object_type} '{entry.source_display}' in "
            f"{self.app_name}"
            if step_type == "export"
            else f"Failed to retrieve '{entry.source_display}' from {self.app_name}",
            {"ReportableIdentifier": entry.source_display},
        )
        info = self._escrow(entry, action, info)
        self._emit(entry, action, "failure", error=info, modified=modified)

    def _escrow(self, entry: EntryBuilder, action: str, info: ErrorInfo) -> ErrorInfo:
        """Keep a retryable failure for later cycles (§1.7) and say so in the reason, as real
        logs do ("This operation was retried N times. It will be retried again after...")."""
        self.execution.count_escrowed_raw += 1
        if info.quarantine:
            self.quarantine_error = info
        if not info.retryable:
            return info
        now = self.i.now()
        key = (entry.object_type, entry.source_id)
        escrow = self.rt.escrows.get(key)
        if escrow is None:
            escrow = Escrow(entry.source_id, entry.object_type, action, info.code, now, attempts=0)
            self.rt.escrows[key] = escrow
        escrow.operation = action
        escrow.error_code = info.code
        escrow.reference = action == "update" and entry.object_type == "Group"
        retried = escrow.attempts
        escrow.attempts += 1
        # From the cycle's start, not from now: Retry-After waits within this cycle must not
        # push the retry past the next cycle (retried "in 40 minutes" = next cycle [D][ANALYZE]).
        escrow.next_retry = self.began + self.settings.escrow_wait(escrow.attempts)
        when = escrow.next_retry.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        said = info.reason.rstrip()
        said += "" if said.endswith((".", "!", "?")) else "."  # the target's detail may lack one
        return replace(
            info,
            reason=f"{said} This operation was retried {retried} times. It will be retried "
            f"again after this date: {when} UTC",
        )

    def _notification_recipients(self) -> list[str]:
        """Recipients when "Send an email notification when a failure occurs" is on."""
        raw = self.i.secrets.get("SyncNotificationSettings") or ""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            return []
        if not isinstance(parsed, dict) or str(parsed.get("Enabled", "")).lower() != "true":
            return []
        listed = str(parsed.get("Recipients") or self.i.secrets.get("NotificationEmail") or "")
        return [r.strip() for r in listed.replace(",", ";").split(";") if r.strip()]

    def _notify_failures(self) -> None:
        """ "Send an email notification when a failure occurs": one message when objects start
        failing (escrows appear where there were none), not one per cycle."""
        if self.escrows_before or not self.rt.escrows or self.i.status.quarantine is not None:
            return
        failed = sorted({e.error_code for e in self.rt.escrows.values()})
        self._notify_quarantine(
            "ObjectFailures",
            ErrorInfo(
                ", ".join(failed),
                f"{len(self.rt.escrows)} object operations failed in the last cycle and will be "
                "retried.",
            ),
        )

    def _notify_quarantine(self, reason: str, cause: ErrorInfo) -> None:
        recipients = self._notification_recipients()
        if not recipients:
            return
        app = self.app_name
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
        body = (
            f"{what}\n\nApplication: {app}\nService principal: {self.sp['id']}\n"
            f"Job: {self.i.job_id}\nReason: {reason}\nError: {cause.code}\n{cause.reason}\n\n"
            "See the provisioning logs and the quarantine details in the Microsoft Entra admin "
            "center for more information."
        )
        self.i.notify(
            {
                "id": self.i.ids.guid(),
                "sentDateTime": iso(self.i.now()),
                "from": "azure-noreply@microsoft.com",
                "to": recipients,
                "subject": subject,
                "body": body,
                "jobId": self.i.job_id,
                "servicePrincipalId": self.sp["id"],
                "reason": reason,
            }
        )

    def _judge_quarantine(self, cause: ErrorInfo | None, *, failed_cycle: bool) -> None:
        """Enter, extend or lift quarantine at the end of a cycle (§1.8)."""
        now = self.i.now()
        status = self.i.status
        settings = self.settings
        reason = None
        if cause is not None:
            reason = self.quarantine_reason or "EncounteredQuarantineException"
        else:
            escrows = list(self.rt.escrows.values())
            failures = sum(1 for e in escrows if not e.reference)
            succeeded = 0
            if failures and failures >= settings.escrow_min_failures:
                # Counted only when it can matter: a quiet cycle stays O(changes).
                succeeded = sum(
                    1 for link in self.rt.links.values() if link.managed and not link.deleted
                )
            reason = escrow_threshold_reason(failures, len(escrows) - failures, succeeded, settings)
            if reason:
                last = next(iter(reversed(escrows)))
                cause = ErrorInfo(last.error_code, f"{failures} object operations are failing.")
                if self.initial and not failed_cycle:
                    # §1.7 [D][G-STATUS]: in an initial cycle the escrows are pruned instead,
                    # the cycle runs to its end, and the job pauses for the admin to clean up.
                    self.rt.escrows.clear()
                    status.escrows_pruned = True
                    self.summary.pause = True
                    self.summary.quarantine = None
                    return
        if reason is None or cause is None:
            if status.quarantine is not None and not failed_cycle:
                status.quarantine = None  # §1.8: a successful retry lifts quarantine
                status.code = "Active"
            self.summary.quarantine = None
            return
        error = {"code": cause.code, "message": cause.reason, "tenantActionable": True}
        quarantine = status.quarantine
        if quarantine is None or quarantine.reason != reason:
            # §1.8 [D][QUAR]: one e-mail when quarantined, a new one if the reason changes;
            # the audit log records a "Quarantine" activity.
            self._notify_quarantine(reason, cause)
            self.i.audit("Quarantine", self.sp, self.i.job_id)
        if quarantine is None:
            quarantine = Quarantine(reason, now, now, now + settings.quarantine_wait(1), 1, error)
            status.quarantine = quarantine
        else:
            quarantine.series_count += 1
            quarantine.current_began = now
            quarantine.reason = reason
            quarantine.error = error
            # §1.8 [D][QUAR]: retries go on "for 28 days after the first failure": the last
            # attempt falls on that day exactly, and a failure there disables the job.
            last = quarantine.series_began + parse_duration(settings.quarantine_disable_after)
            quarantine.next_attempt = min(
                now + settings.quarantine_wait(quarantine.series_count), max(last, now)
            )
        status.code = "Quarantine"
        self.summary.quarantine = reason
