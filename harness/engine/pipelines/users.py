"""The user pipeline: scope, matching, create, update, disable and delete of one user.

Sources: "How application provisioning works" (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works) and
Microsoft's SCIM guide (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
"""

from __future__ import annotations

from typing import Any

from harness.engine import rules, scim_requests
from harness.engine.changes import (
    ADD,
    DELETE,
    MANAGER_KEY,
    UPDATE,
    source_details,
    why_out,
)
from harness.engine.context import CycleContext
from harness.engine.errors import ErrorInfo, TargetError
from harness.engine.failures import FailureHandling
from harness.engine.logs.entries import EntryBuilder, modified_properties
from harness.engine.pipelines.steps import SharedSteps
from harness.engine.recorder import EntryRecorder
from harness.engine.rules.log_values import log_value
from harness.engine.scope import (
    DISABLED,
    FILTERED,
    LEAVING_SCOPE,
    NOT_ENTITLED,
    SOFT_DELETED,
    UNASSIGNED,
    Verdict,
    effective_assignments,
    entitled,
    explain,
    role_values,
)
from harness.engine.state import Assignment, Link
from harness.engine.target import ScimTarget


class UserPipeline:
    def __init__(
        self,
        context: CycleContext,
        steps: SharedSteps,
        failures: FailureHandling,
        recorder: EntryRecorder,
    ) -> None:
        self.context = context
        self.steps = steps
        self.failures = failures
        self.recorder = recorder

    def verdict(self, user_id: str, attrs: dict[str, Any]) -> Verdict:
        """Whether the user is in scope, and why not."""
        context = self.context
        mirror = context.runtime.mirror
        assignments = effective_assignments(mirror, user_id, "User")
        sync_all = context.sync_all()
        active = attrs.get("accountEnabled") is not False
        soft_deleted = user_id in mirror.soft_deleted
        assigned = sync_all or bool(assignments)
        has_role = sync_all or entitled(
            assignments, context.settings.skip_default_access, context.default_roles
        )
        source = self._source(user_id, attrs, assignments, soft_deleted=True)
        result = rules.evaluate_scope(rules.scope_of(context.user_mapping), source)
        details = {
            "Active in the source system": active and not soft_deleted,
            "Assigned to the application": assigned,
            "User has the required role": has_role,
            "Scoping filter evaluation passed": result.in_scope,
            "ScopeEvaluationResult": "{}" if result.in_scope else str(result.reason),
        }
        # Soft delete first (Graph hides a deleted user's assignments, but this is a deletion,
        # not an unassignment); then leaving scope; a blocked sign-in matters only to a user
        # still in scope otherwise: an unassigned user who is also disabled stays "out of
        # scope" (so SkipOutOfScopeDeletions still holds).
        reason = None
        if soft_deleted:
            reason = SOFT_DELETED
        elif not assigned:
            reason = UNASSIGNED
        elif not has_role:
            reason = NOT_ENTITLED
        elif not result.in_scope:
            reason = FILTERED
        elif not active:
            reason = DISABLED
        why = explain(
            mirror,
            user_id,
            "User",
            reason,
            assignments,
            context.app_roles,
            sync_all=sync_all,
            filter_reason=str(result.reason),
        )
        details["Reason"] = why
        return Verdict(reason is None, reason, details, assignments, str(result.reason), why)

    def _source(
        self,
        user_id: str,
        attrs: dict[str, Any],
        assignments: list[Assignment],
        *,
        soft_deleted: bool,
    ) -> dict[str, Any]:
        """The user as the mappings read it (the source attributes Entra adds included)."""
        return scim_requests.user_source(
            attrs,
            user_id,
            soft_deleted=soft_deleted,
            manager_target=self._manager_target(user_id, attrs.get(MANAGER_KEY)),
            app_role_values=role_values(assignments, self.context.app_roles),
        )

    def process(self, target: ScimTarget, user_id: str, change: str) -> None:
        """One user, from its import step to its entry in the logs."""
        context = self.context
        runtime = context.runtime
        hard = user_id in context.hard_deleted_users
        attrs = context.hard_deleted_users[user_id] if hard else runtime.mirror.users.get(user_id)
        if attrs is None:
            attrs = {"id": user_id}
        link = runtime.links.get(user_id)
        live_link = link if link is not None and not link.deleted else None
        display = str(attrs.get("userPrincipalName") or attrs.get("displayName") or user_id)
        entry = self.recorder.open("User", user_id, display, context.user_mapping)
        if live_link is not None:
            entry.target_id = live_link.target_id
        entry.imported(change, source_details(attrs), retry=user_id in context.retrying)
        flows = rules.flow_types(context.user_mapping)

        if hard:
            self._hard_delete(target, entry, live_link, flows)
            return
        verdict = self.verdict(user_id, attrs)
        entry.scoped(verdict.in_scope, verdict.details)
        context.in_scope_users[user_id] = verdict.in_scope
        if verdict.in_scope:
            context.execution.count_entitled += 1
            context.execution.count_entitled_for_provisioning += 1
            runtime.entered_scope["User"].add(user_id)
            self._provision(target, entry, user_id, attrs, verdict, live_link, flows)
        else:
            self._deprovision(target, entry, user_id, attrs, verdict, live_link, flows)

    def _hard_delete(
        self, target: ScimTarget, entry: EntryBuilder, link: Link | None, flows: set[str]
    ) -> None:
        context = self.context
        steps = self.steps
        if link is None:
            if context.settings.log_out_of_scope_changes and not context.initial:
                steps.skip(entry, "NotEffectivelyEntitled", steps.not_managed_text(entry))
            return
        if not link.managed:
            steps.skip(entry, "UnmanagedObject", steps.not_managed_text(entry))
            return
        if DELETE not in flows:
            steps.skip(
                entry,
                "TargetObjectActionDisabled",
                f"The {entry.object_type} '{entry.source_display}' will not be deleted in "
                f"{context.app_name} because the Delete target object action is not enabled.",
                action="delete",
            )
            return
        entry.step(
            "EntrySynchronizationDelete",
            "processing",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be deleted in {context.app_name} "
            f"({entry.object_type} was deleted in Azure Active Directory)",
        )
        self.failures.hold_or_run_deletion(
            entry, "delete", steps.delete_export(target, entry, "Users", link), hard=True
        )

    def _deprovision(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        user_id: str,
        attrs: dict[str, Any],
        verdict: Verdict,
        link: Link | None,
        flows: set[str],
    ) -> None:
        context = self.context
        steps = self.steps
        recorder = self.recorder
        if link is None:
            if context.initial or context.settings.log_out_of_scope_changes:
                steps.skip(entry, "NotEffectivelyEntitled", steps.skip_text(entry, verdict))
            return
        if not link.managed:
            steps.skip(entry, "UnmanagedObject", steps.not_managed_text(entry))
            return
        if context.on_demand and (
            attrs.get("accountEnabled") is False or verdict.reason in (DISABLED, SOFT_DELETED)
        ):
            # On demand "doesn't support disabling or deleting users that have been disabled or
            # deleted from Microsoft Entra ID" (unassigned users are disabled)
            # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/provision-on-demand).
            steps.skip(
                entry,
                "NotSupportedOnDemand",
                f"The {entry.object_type} '{entry.source_display}' is disabled in Azure Active "
                "Directory; on-demand provisioning doesn't disable or delete such users. The next "
                "provisioning cycle will.",
            )
            return
        if verdict.reason in LEAVING_SCOPE and context.skips_out_of_scope_deletions():
            steps.skip(
                entry,
                "SkipOutOfScopeDeletions",
                f"The {entry.object_type} '{entry.source_display}' went out of scope; it is not "
                "disabled because SkipOutOfScopeDeletions is set on the job.",
                step_type="scoping",
            )
            return
        mapped = rules.map_object(
            context.user_mapping,
            self._source(user_id, attrs, verdict.assignments, soft_deleted=True),
            is_create=False,
        )
        active_attr = rules.active_attribute(context.user_mapping)
        if active_attr is None:
            # Without an IsSoftDeleted/active mapping nothing is done (Microsoft documents it).
            steps.skip(entry, "RedundantExport", steps.redundant_text(entry))
            return
        current = steps.retrieve(target, entry, "Users", link, "disable")
        if current is None:
            return
        entry.target_display = str(current.get("userName") or "")
        disable = scim_requests.user_disable(
            mapped, active_attr, current, context.dialect, context.exact_users
        )
        if disable.body is None:
            steps.skip(entry, "RedundantExport", steps.redundant_text(entry))
            self._release(link, verdict)
            return
        if UPDATE not in flows:
            steps.skip_flow_off(entry, UPDATE, action="disable")
            return
        entry.step(
            "EntrySynchronizationUpdate",
            "processing",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be disabled in "
            f"{context.app_name} ({why_out(verdict)})",
        )

        disable_body = disable.body

        def export() -> None:
            try:
                target.patch("Users", link.target_id, disable_body)
            except TargetError as exc:
                self.failures.export_failed(entry, "disable", exc.info, "update")
                return
            recorder.exported()
            steps.export_step(entry, "EntryExportUpdate", "disabled")
            recorder.emit(
                entry,
                "disable",
                "success",
                modified=[
                    {
                        "displayName": active_attr,
                        "oldValue": log_value(current.get(active_attr)),
                        "newValue": "False",
                    }
                ],
            )
            self._release(link, verdict)

        self.failures.hold_or_run_deletion(entry, "disable", export, hard=False)

    def _release(self, link: Link, verdict: Verdict) -> None:
        # After an unassign-disable the user is no longer managed (Microsoft documents it).
        if verdict.reason in LEAVING_SCOPE and self.context.settings.unassign_releases_management:
            link.managed = False

    def _provision(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        user_id: str,
        attrs: dict[str, Any],
        verdict: Verdict,
        link: Link | None,
        flows: set[str],
    ) -> None:
        context = self.context
        steps = self.steps
        recorder = self.recorder
        source = self._source(user_id, attrs, verdict.assignments, soft_deleted=False)
        current: dict[str, Any] | None = None
        if link is not None:
            current = steps.retrieve(target, entry, "Users", link, "update")
            if current is None:
                return
        else:
            pairs = rules.matching_values(context.user_mapping, source)
            if not pairs:
                entry.skipped(
                    "ImportSkipped",
                    f"The {entry.object_type} '{entry.source_display}' has no value for any "
                    "matching attribute and cannot be provisioned.",
                    step_type="matching",
                )
                recorder.emit(
                    entry,
                    "other",
                    "skipped",
                    error=ErrorInfo(
                        "ImportSkipped",
                        "The source object lacks a value for the matching attribute(s).",
                    ),
                )
                return
            matched, current = steps.match(target, entry, "Users", pairs)
            if not matched:
                return
            if current is not None and steps.claimed(entry, current, "create"):
                return
            if current is not None:
                link = steps.link(user_id, "User", str(current["id"]))
                context.newly_linked.add(user_id)  # its groups may now add it as a member
                entry.target_id = link.target_id
                entry.retrieved(current)
        if current is None:
            self._create(target, entry, user_id, attrs, source, flows)
            return
        link = context.runtime.links[user_id]
        link.managed = True
        entry.target_display = str(current.get("userName") or "")
        self._note_manager(user_id, attrs, source)
        update = scim_requests.user_update(
            context.user_mapping,
            source,
            current,
            context.dialect,
            context.exact_users,
            manager_removed=MANAGER_KEY in attrs and attrs[MANAGER_KEY] is None,
            without_roles=context.on_demand,
            base_address=context.base_address,
        )
        changes, removals = update.changes, update.removals
        if update.body is None:
            steps.skip(entry, "RedundantExport", steps.redundant_text(entry))
            return
        if UPDATE not in flows:
            steps.skip_flow_off(entry, UPDATE, action="update")
            return
        entry.step(
            "EntrySynchronizationUpdate",
            "processing",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be updated in {context.app_name} "
            f"({entry.object_type} is active and assigned in Azure Active Directory, and a "
            f"matching {entry.object_type} was found in {context.app_name})",
        )
        try:
            target.patch("Users", link.target_id, update.body)
        except TargetError as exc:
            # A PATCH that only changed the manager is a reference failure.
            references = set(rules.manager_targets(context.user_mapping))
            only_references = set(changes) | set(removals) <= references
            self.failures.export_failed(
                entry, "update", exc.info, "update", reference=only_references
            )
            return
        recorder.exported()
        steps.export_step(entry, "EntryExportUpdate", "updated")
        modified = rules.modified(changes, current) + [
            {"displayName": key, "oldValue": rules.reference_value(current, key), "newValue": None}
            for key in removals
        ]
        recorder.emit(entry, "update", "success", modified=modified)

    def _manager_target(self, user_id: str, manager_id: Any) -> str | None:
        """The manager flows as its target id, only if it is provisioned; a manager that was
        out of scope when the user was exported waits for a restart (both are known issues:
        https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues)."""
        if not manager_id:
            return None
        context = self.context
        user_link = context.runtime.links.get(user_id)
        if (
            context.settings.late_references_wait_for_restart
            and not context.initial
            and user_link is not None
            and user_link.pending_manager == str(manager_id)
        ):
            return None
        link = context.runtime.links.get(str(manager_id))
        if link is None or link.deleted or not link.managed:
            return None
        return link.target_id

    def _note_manager(self, user_id: str, attrs: dict[str, Any], source: dict[str, Any]) -> None:
        """Remember a manager that could not be referenced because it was out of scope: it is
        not linked when it comes into scope, until a restart (a known issue)."""
        context = self.context
        link = context.runtime.links.get(user_id)
        if link is None:
            return
        manager_id = attrs.get(MANAGER_KEY)
        targets = rules.manager_targets(context.user_mapping)
        if not manager_id or not targets or source.get("manager") is not None:
            link.pending_manager = None
            return
        if link.pending_manager == str(manager_id):
            return
        manager = context.runtime.mirror.users.get(str(manager_id))
        in_scope = context.in_scope_users.get(str(manager_id))
        if in_scope is None:
            in_scope = manager is not None and self.verdict(str(manager_id), manager).in_scope
        link.pending_manager = None if in_scope else str(manager_id)

    def _create(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        user_id: str,
        attrs: dict[str, Any],
        source: dict[str, Any],
        flows: set[str],
    ) -> None:
        context = self.context
        steps = self.steps
        if ADD not in flows:
            steps.skip_flow_off(entry, ADD, step_type="matching", action="create")
            return
        mapped, body = scim_requests.user_create(
            context.user_mapping, source, without_roles=context.on_demand
        )
        steps.will_create_step(entry)
        try:
            created = target.create("Users", body)
        except TargetError as exc:
            self.failures.export_failed(entry, "create", exc.info, "create")
            return
        link = steps.link(user_id, "User", str(created["id"]))
        context.newly_linked.add(user_id)
        self._note_manager(user_id, attrs, source)
        entry.target_id = link.target_id
        entry.target_display = str(created.get("userName") or mapped.get("userName") or "")
        self.recorder.exported()
        steps.export_step(entry, "EntryExportAdd", "created")
        self.recorder.emit(entry, "create", "success", modified=modified_properties(mapped))
