"""The group pipeline: scope, matching by displayName, create, rename, members and delete of
one group.

Sources: Microsoft's SCIM guide (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
and, for Miro's teams, the Miro tutorial (https://learn.microsoft.com/en-us/entra/identity/saas-apps/miro-provisioning-tutorial).
"""

from __future__ import annotations

from typing import Any

from harness.engine import rules, scim_requests
from harness.engine.changes import (
    ADD,
    DELETE,
    UPDATE,
    Touch,
    group_modified,
    source_details,
    why_out,
)
from harness.engine.context import CycleContext
from harness.engine.errors import TargetError
from harness.engine.failures import FailureHandling
from harness.engine.logs.entries import EntryBuilder, modified_properties
from harness.engine.pipelines.steps import SharedSteps
from harness.engine.pipelines.users import UserPipeline
from harness.engine.recorder import EntryRecorder
from harness.engine.scope import (
    FILTERED,
    HARD_DELETED,
    LEAVING_SCOPE,
    NOT_ENTITLED,
    UNASSIGNED,
    Verdict,
    effective_assignments,
    entitled,
    explain,
)
from harness.engine.state import Link
from harness.engine.target import ScimTarget


class GroupPipeline:
    """Groups and their members. ``users`` judges whether a member is in scope (members are
    exported only if they are), so users are processed first."""

    def __init__(
        self,
        context: CycleContext,
        steps: SharedSteps,
        failures: FailureHandling,
        recorder: EntryRecorder,
        users: UserPipeline,
    ) -> None:
        self.context = context
        self.steps = steps
        self.failures = failures
        self.recorder = recorder
        self.users = users

    def touch_groups_of_new_links(self) -> None:
        """Users linked in this cycle may now be added to the groups they belong to: one whose
        earlier attempt failed, or (with ``late_references_wait_for_restart`` off) one that came into scope. A
        member that comes back into scope "won't immediately" be detected; a restart (an
        initial cycle) adds it (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues)."""
        context = self.context
        runtime = context.runtime
        lag = context.settings.late_references_wait_for_restart and not context.initial
        for user_id in sorted(context.newly_linked):
            if lag and user_id not in context.users_failed_before:
                continue
            for group_id in sorted(runtime.mirror.member_of.get(user_id, ())):
                link = runtime.links.get(group_id)
                if link is None and group_id not in context.group_touches:
                    continue
                touch = context.group_touches.setdefault(group_id, Touch(UPDATE))
                touch.added.add(user_id)

    def _verdict(self, group_id: str, attrs: dict[str, Any]) -> Verdict:
        context = self.context
        assignments = effective_assignments(context.runtime.mirror, group_id, "Group")
        sync_all = context.sync_all()
        assigned = sync_all or bool(assignments)
        has_role = sync_all or entitled(
            assignments, context.settings.skip_default_access, context.default_roles
        )
        source = self._source(group_id, attrs)
        result = rules.evaluate_scope(rules.scope_of(context.group_mapping), source)
        details = {
            "Assigned to the application": assigned,
            "Group has the required role": has_role,
            "Scoping filter evaluation passed": result.in_scope,
            "ScopeEvaluationResult": "{}" if result.in_scope else str(result.reason),
        }
        reason = None
        if group_id in context.deleted_groups:
            reason = HARD_DELETED
        elif not assigned:
            reason = UNASSIGNED
        elif not has_role:
            reason = NOT_ENTITLED
        elif not result.in_scope:
            reason = FILTERED
        why = explain(
            context.runtime.mirror,
            group_id,
            "Group",
            reason,
            assignments,
            context.app_roles,
            sync_all=sync_all,
            filter_reason=str(result.reason),
        )
        details["Reason"] = why
        return Verdict(reason is None, reason, details, assignments, str(result.reason), why)

    def _source(self, group_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
        return scim_requests.group_source(
            attrs, group_id, deleted=group_id in self.context.deleted_groups
        )

    def process(self, target: ScimTarget, group_id: str, touch: Touch) -> None:
        """One group, from its import step to its entry in the logs."""
        context = self.context
        steps = self.steps
        recorder = self.recorder
        group_mapping = context.group_mapping
        runtime = context.runtime
        attrs = (
            context.deleted_groups.get(group_id)
            or runtime.mirror.groups.get(group_id)
            or {"id": group_id}
        )
        link = runtime.links.get(group_id)
        live = link if link is not None and not link.deleted else None
        display = str(attrs.get("displayName") or group_id)
        entry = recorder.open("Group", group_id, display, group_mapping)
        if live is not None:
            entry.target_id = live.target_id
        entry.imported(touch.change, source_details(attrs), retry=group_id in context.retrying)
        assert group_mapping is not None  # the cycle processes groups only when it is mapped
        flows = rules.flow_types(group_mapping)
        verdict = self._verdict(group_id, attrs)
        entry.scoped(verdict.in_scope, verdict.details)
        if not verdict.in_scope:
            self._deprovision(target, entry, verdict, live, flows)
            return
        context.execution.count_entitled += 1
        context.execution.count_entitled_for_provisioning += 1
        runtime.entered_scope["Group"].add(group_id)
        source = self._source(group_id, attrs)
        created = False
        current: dict[str, Any] | None = None
        modified: list[dict[str, Any]] = []
        if live is not None:
            current = steps.retrieve(target, entry, "Groups", live, "update", exclude_members=True)
            if current is None:
                return
        else:
            pairs = rules.matching_values(group_mapping, source)
            if not pairs:
                steps.skip(
                    entry,
                    "ImportSkipped",
                    f"The Group '{display}' has no value for its matching attribute and is not "
                    "provisioned.",
                    step_type="matching",
                )
                return
            matched, current = steps.match(target, entry, "Groups", pairs, exclude_members=True)
            if not matched:
                return
            if current is not None and steps.claimed(entry, current, "create"):
                return
            if current is None:
                if ADD not in flows:
                    steps.skip_flow_off(entry, ADD, step_type="matching")
                    return
                mapped, create_body = scim_requests.group_create(group_mapping, source)
                steps.will_create_step(entry)
                try:
                    body = target.create("Groups", create_body)
                except TargetError as exc:
                    self.failures.export_failed(
                        entry, "create", exc.info, "create", modified=group_modified(source)
                    )
                    return
                recorder.exported()
                created = True
                current = body
                steps.export_step(entry, "EntryExportAdd", "created")
                modified.extend(modified_properties(mapped))
            live = steps.link(group_id, "Group", str(current["id"]))
            live.members = set() if created or link is None else live.members
            touch.full_member_sync = True
            entry.target_id = live.target_id
            if not created:
                entry.retrieved(current)
        live.managed = True
        entry.target_display = str(current.get("displayName") or "")
        patched = False
        if not created:
            update = scim_requests.group_update(
                group_mapping, source, current, context.dialect, context.exact_groups
            )
            changes = update.changes
            if update.body is not None:
                if UPDATE not in flows:
                    steps.skip_flow_off(entry, UPDATE, action="update")
                    return
                try:
                    target.patch("Groups", live.target_id, update.body)
                except TargetError as exc:
                    self.failures.export_failed(entry, "update", exc.info, "update")
                    return
                recorder.exported()
                patched = True
                modified.extend(rules.modified(changes, current))
        add, remove = self._member_changes(group_id, live, touch)
        if add or remove:
            if UPDATE not in flows:
                steps.skip_flow_off(entry, UPDATE, action="create" if created else "update")
                return
            links = runtime.links
            bodies = rules.member_patches(
                [links[u].target_id for u in add],
                [links[u].target_id for u in remove],
                context.dialect,
            )
            try:
                for body in bodies:
                    target.patch("Groups", live.target_id, body)
            except TargetError as exc:
                # Group members are references: their failures are left out of the 40 % and
                # 40,000 quarantine rules (the quarantine page).
                self.failures.export_failed(
                    entry, "update", exc.info, "update", modified=modified, reference=True
                )
                return
            if not patched:
                recorder.exported()
            patched = True
            live.members |= set(add)
            live.members -= set(remove)
            modified.extend(
                {"displayName": "members", "oldValue": None, "newValue": u} for u in add
            )
            modified.extend(
                {"displayName": "members", "oldValue": u, "newValue": None} for u in remove
            )
        if created:
            recorder.emit(entry, "create", "success", modified=modified)
        elif patched:
            steps.export_step(entry, "EntryExportUpdate", "updated")
            recorder.emit(entry, "update", "success", modified=modified)
        else:
            steps.skip(entry, "RedundantExport", steps.redundant_text(entry))

    def _member_changes(
        self, group_id: str, link: Link, touch: Touch
    ) -> tuple[list[str], list[str]]:
        context = self.context
        runtime = context.runtime
        mirror = runtime.mirror
        members = mirror.members.get(group_id, set())

        def exportable(user_id: str) -> bool:
            user_link = runtime.links.get(user_id)
            if user_link is None or user_link.deleted or not user_link.managed:
                return False
            in_scope = context.in_scope_users.get(user_id)
            if in_scope is None:
                attrs = mirror.users.get(user_id)
                in_scope = attrs is not None and self.users.verdict(user_id, attrs).in_scope
            return in_scope

        if touch.full_member_sync:
            candidates_add = members - link.members
            candidates_remove = link.members - members
        else:
            candidates_add = (touch.added & members) - link.members
            candidates_remove = (touch.removed & link.members) - members
        add = sorted(u for u in candidates_add if exportable(u))
        remove = sorted(
            u for u in candidates_remove if u in runtime.links and not runtime.links[u].deleted
        )
        # Deleted users left the group in the target with their deletion.
        link.members -= {u for u in candidates_remove if u not in remove}
        return add, remove

    def _deprovision(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        verdict: Verdict,
        link: Link | None,
        flows: set[str],
    ) -> None:
        context = self.context
        steps = self.steps
        if link is None or not link.managed:
            if context.initial or context.settings.log_out_of_scope_changes:
                steps.skip(entry, "NotEffectivelyEntitled", steps.skip_text(entry, verdict))
            return
        if verdict.reason in LEAVING_SCOPE and context.skips_out_of_scope_deletions():
            steps.skip(
                entry,
                "SkipOutOfScopeDeletions",
                f"The Group '{entry.source_display}' went out of scope; it is not "
                "deleted because SkipOutOfScopeDeletions is set on the job.",
                step_type="scoping",
            )
            return
        if DELETE not in flows:
            steps.skip_flow_off(entry, DELETE, action="delete")
            return
        entry.step(
            "EntrySynchronizationDelete",
            "processing",
            "success",
            f"Group '{entry.source_display}' will be deleted in {context.app_name} "
            f"({why_out(verdict)})",
        )
        self.failures.hold_or_run_deletion(
            entry,
            "delete",
            steps.delete_export(target, entry, "Groups", link),
            hard=entry.source_id in context.deleted_groups,
        )
