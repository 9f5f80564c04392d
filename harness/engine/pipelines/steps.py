"""Steps the user and group pipelines share: matching a target object, reading a linked one,
linking, skipping with the product's texts, and the export steps of the logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.engine.changes import ADD, DELETE, UPDATE
from harness.engine.context import CycleContext
from harness.engine.errors import ErrorInfo, TargetError
from harness.engine.failures import FailureHandling
from harness.engine.logs.entries import EntryBuilder
from harness.engine.recorder import EntryRecorder
from harness.engine.scope import DISABLED, FILTERED, SOFT_DELETED, Verdict
from harness.engine.state import Link
from harness.engine.target import ScimTarget


class SharedSteps:
    def __init__(
        self, context: CycleContext, recorder: EntryRecorder, failures: FailureHandling
    ) -> None:
        self.context = context
        self.recorder = recorder
        self.failures = failures

    # -- links and target objects ---------------------------------------------------------

    def link(self, source_id: str, object_type: str, target_id: str) -> Link:
        """Connect a source object to a target object (keeping a group's exported members
        when the target object is the same)."""
        runtime = self.context.runtime
        link = Link(source_id, object_type, target_id)
        old = runtime.links.get(source_id)
        if old is not None and old.target_id == target_id:
            link.members = old.members
        runtime.add_link(link)
        return link

    def claimed(self, entry: EntryBuilder, found: dict[str, Any], action: str) -> bool:
        """A target object already linked to another source object means
        several source objects match it: ``DuplicateSourceEntries``, nothing is changed
        (https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs)."""
        owner = self.context.runtime.owner_of(entry.object_type, str(found.get("id")))
        if owner is None or owner == entry.source_id:
            return False
        self.failures.export_failed(
            entry,
            action,
            ErrorInfo(
                "DuplicateSourceEntries",
                f"The {entry.object_type} in {self.context.app_name} with id '{found.get('id')}' "
                f"already belongs to the source object '{owner}'; more than one source object "
                "matches it.",
            ),
            "match",
        )
        return True

    def match(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        resource: str,
        pairs: list[tuple[str, Any]],
        *,
        exclude_members: bool = False,
    ) -> tuple[bool, dict[str, Any] | None]:
        """The first target object matching one of the pairs, in order: ``(True, found or
        None)``; ``(False, None)`` when a query failed or matched several, or a value cannot be
        queried (the entry failed)."""
        special = self.context.settings.filter_special_characters
        for attribute, value in pairs:
            found_special = list(dict.fromkeys(c for c in str(value) if c in special))
            if found_special:
                self.failures.export_failed(
                    entry,
                    "create",
                    ErrorInfo(
                        "UnsupportedFilterValue",
                        f"The value of {attribute} ('{value}') contains the special character(s) "
                        f"{' '.join(found_special)}: Microsoft Entra ID can't perform filter "
                        f"queries on values containing special characters, so the "
                        f"{entry.object_type} can't be matched in {self.context.app_name}.",
                        category="nonServiceFailure",
                    ),
                    "match",
                )
                return False, None
            try:
                found = target.query(resource, attribute, value, exclude_members=exclude_members)
            except TargetError as exc:
                self.failures.export_failed(entry, "create", exc.info, "query")
                return False, None
            if len(found) > 1:
                self.failures.export_failed(
                    entry,
                    "create",
                    ErrorInfo(
                        "DuplicateTargetEntries",
                        f"More than one {entry.object_type} in {self.context.app_name} matched "
                        f"{attribute} eq '{value}'.",
                    ),
                    "match",
                )
                return False, None
            if found:
                return True, found[0]
        return True, None

    def retrieve(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        resource: str,
        link: Link,
        action: str,
        *,
        exclude_members: bool = False,
    ) -> dict[str, Any] | None:
        """The linked target object, logged as retrieved; None when the read failed (the
        entry failed for ``action``)."""
        try:
            current = target.get(resource, link.target_id, exclude_members=exclude_members)
        except TargetError as exc:
            self.failures.export_failed(entry, action, exc.info, "get")
            return None
        entry.retrieved(current)
        return current

    def delete_export(
        self, target: ScimTarget, entry: EntryBuilder, resource: str, link: Link
    ) -> Callable[[], None]:
        """The export of a deletion: delete the linked target object and log it."""

        def export() -> None:
            try:
                target.delete(resource, link.target_id)
            except TargetError as exc:
                self.failures.export_failed(entry, "delete", exc.info, "delete")
                return
            link.deleted = True
            self.recorder.exported()
            self.export_step(entry, "EntryExportDelete", "deleted")
            self.recorder.emit(entry, "delete", "success")

        return export

    # -- log steps ------------------------------------------------------------------------

    def will_create_step(self, entry: EntryBuilder) -> None:
        """The matching step of an object that found no match: it will be created."""
        kind = entry.object_type
        app_name = self.context.app_name
        entry.step(
            "EntrySynchronizationAdd",
            "matching",
            "success",
            f"{kind} '{entry.source_display}' will be created in {app_name} ({kind} is "
            f"active and assigned in Azure Active Directory, but no matching {kind} was found in "
            f"{app_name})",
        )

    def export_step(self, entry: EntryBuilder, name: str, verb: str) -> None:
        """The export step of a change the target took: "<Type> '<name>' was <verb> in <app>"."""
        entry.step(
            name,
            "export",
            "success",
            f"{entry.object_type} '{entry.source_display}' was {verb} in {self.context.app_name}",
            {"ReportableIdentifier": entry.source_display},
        )

    def skip(
        self,
        entry: EntryBuilder,
        reason: str,
        text: str,
        *,
        action: str = "other",
        step_type: str = "processing",
    ) -> None:
        """Log the skip step and emit the entry as skipped."""
        entry.skipped(reason, text, step_type)
        self.recorder.emit(entry, action, "skipped")

    def skip_flow_off(
        self,
        entry: EntryBuilder,
        flow: str,
        *,
        action: str = "other",
        step_type: str = "processing",
    ) -> None:
        """Skip an entry whose flow (add, update, delete) is not enabled on the mapping."""
        self.skip(
            entry,
            "TargetObjectActionDisabled",
            self._flow_off_text(entry, flow),
            action=action,
            step_type=step_type,
        )

    # -- the product's texts --------------------------------------------------------------

    def skip_text(self, entry: EntryBuilder, verdict: Verdict) -> str:
        kind = entry.object_type
        if verdict.reason in (DISABLED, SOFT_DELETED):
            why = "1) This object is not active in the source system (it is disabled or deleted)."
        elif verdict.reason == FILTERED:
            why = (
                f"1) This object is not in scope of the scoping filters ({verdict.filter_reason})."
            )
        else:
            why = (
                "1) This object does not have required entitlement for provisioning. If you did "
                "not expect the object to be skipped, update provisioning scope to 'Sync all "
                "users and groups' or assign the object to the application with entitlement of "
                "provisioning category"
            )
        return f"The {kind} '{entry.source_display}' will be skipped due to the following reasons: {why}"

    def not_managed_text(self, entry: EntryBuilder) -> str:
        return (
            f"The {entry.object_type} '{entry.source_display}' is not managed by the "
            f"provisioning service in {self.context.app_name}; no change is made."
        )

    def redundant_text(self, entry: EntryBuilder) -> str:
        return (
            f"The state of the {entry.object_type.lower()} in both the source and target "
            "systems already match."
        )

    def _flow_off_text(self, entry: EntryBuilder, flow: str) -> str:
        action = {ADD: "Create", UPDATE: "Update", DELETE: "Delete"}[flow]
        return (
            f"The {entry.object_type} '{entry.source_display}' is skipped because the {action} "
            f"target object action is not enabled for this object mapping."
        )
