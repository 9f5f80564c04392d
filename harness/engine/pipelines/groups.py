"""The group half of a cycle: scope, matching by displayName, create, rename, members and
delete of one group (reference §3.7, §3.8). A mixin of :class:`harness.engine.cycle.Cycle`."""

from __future__ import annotations

from typing import Any

from harness.engine import rules
from harness.engine.changes import (
    ADD,
    DELETE,
    UPDATE,
    Touch,
    group_modified,
    source_details,
    why_out,
)
from harness.engine.errors import TargetError
from harness.engine.logs.entries import EntryBuilder, modified_properties
from harness.engine.scope import (
    FILTERED,
    HARD_DELETED,
    LEAVING_SCOPE,
    NOT_ENTITLED,
    UNASSIGNED,
    Verdict,
    effective_assignments,
    entitled,
)
from harness.engine.state import Link
from harness.engine.target import ScimTarget


class GroupPipeline:
    """Methods of :class:`Cycle`; they use its state (``self.rt``, ``self.i``, ...)."""

    def _touch_groups_of_new_links(self) -> None:
        for user_id in sorted(self.newly_linked):
            for group_id in sorted(self.rt.mirror.member_of.get(user_id, ())):
                link = self.rt.links.get(group_id)
                if link is None and group_id not in self.group_touches:
                    continue
                touch = self.group_touches.setdefault(group_id, Touch(UPDATE))
                touch.added.add(user_id)

    def _group_verdict(self, group_id: str, attrs: dict[str, Any]) -> Verdict:
        mirror = self.rt.mirror
        assignments = effective_assignments(mirror, group_id, "Group")
        sync_all = self._sync_all()
        assigned = sync_all or bool(assignments)
        has_role = sync_all or entitled(
            assignments, self.settings.skip_default_access, self.default_roles
        )
        source = self._group_source(group_id, attrs)
        result = rules.evaluate_scope(rules.scope_of(self.group_mapping), source)
        details = {
            "Assigned to the application": assigned,
            "Group has the required role": has_role,
            "Scoping filter evaluation passed": result.in_scope,
            "ScopeEvaluationResult": "{}" if result.in_scope else str(result.reason),
        }
        reason = None
        if group_id in self.deleted_groups:
            reason = HARD_DELETED
        elif not assigned:
            reason = UNASSIGNED
        elif not has_role:
            reason = NOT_ENTITLED
        elif not result.in_scope:
            reason = FILTERED
        return Verdict(reason is None, reason, details, assignments, str(result.reason))

    def _group_source(self, group_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
        source = dict(attrs)
        source["objectId"] = group_id
        source["IsSoftDeleted"] = group_id in self.deleted_groups
        return source

    def _process_group(self, target: ScimTarget, group_id: str, touch: Touch) -> None:
        mirror = self.rt.mirror
        attrs = self.deleted_groups.get(group_id) or mirror.groups.get(group_id) or {"id": group_id}
        link = self.rt.links.get(group_id)
        live = link if link is not None and not link.deleted else None
        display = str(attrs.get("displayName") or group_id)
        entry = self._entry("Group", group_id, display, self.group_mapping)
        if live is not None:
            entry.target_id = live.target_id
        entry.imported(touch.change, source_details(attrs), retry=group_id in self.retrying)
        flows = rules.flow_types(self.group_mapping)
        verdict = self._group_verdict(group_id, attrs)
        entry.scoped(verdict.in_scope, verdict.details)
        if not verdict.in_scope:
            self._deprovision_group(target, entry, verdict, live, flows)
            return
        self.execution.count_entitled += 1
        self.execution.count_entitled_for_provisioning += 1
        self.rt.entered_scope["Group"].add(group_id)
        source = self._group_source(group_id, attrs)
        created = False
        current: dict[str, Any] | None = None
        modified: list[dict[str, Any]] = []
        if live is not None:
            current = self._retrieve(target, entry, "Groups", live, "update", exclude_members=True)
            if current is None:
                return
        else:
            pairs = rules.matching_values(self.group_mapping, source)
            if not pairs:
                self._skip(
                    entry,
                    "ImportSkipped",
                    f"The Group '{display}' has no value for its matching attribute and is not "
                    "provisioned.",
                    step_type="matching",
                )
                return
            matched, current = self._match(target, entry, "Groups", pairs, exclude_members=True)
            if not matched:
                return
            if current is not None and self._claimed(entry, current, "create"):
                return
            if current is None:
                if ADD not in flows:
                    self._skip_flow_off(entry, ADD, step_type="matching")
                    return
                mapped = rules.map_object(self.group_mapping, source, is_create=True)
                mapped.pop("members", None)
                self._will_create_step(entry)
                try:
                    body = target.create("Groups", rules.create_group_body(mapped))
                except TargetError as exc:
                    self._export_failed(
                        entry, "create", exc.info, "create", modified=group_modified(source)
                    )
                    return
                self._exported()
                created = True
                current = body
                self._export_step(entry, "EntryExportAdd", "created")
                modified.extend(modified_properties(mapped))
            live = self._link(group_id, "Group", str(current["id"]))
            live.members = set() if created or link is None else live.members
            touch.full_member_sync = True
            entry.target_id = live.target_id
            if not created:
                entry.retrieved(current)
        live.managed = True
        entry.target_display = str(current.get("displayName") or "")
        patched = False
        if not created:
            mapped = rules.map_object(self.group_mapping, source, is_create=False)
            mapped.pop("members", None)
            changes = rules.diff(mapped, current, self.exact_groups)
            if changes:
                if UPDATE not in flows:
                    self._skip_flow_off(entry, UPDATE, action="update")
                    return
                try:
                    target.patch(
                        "Groups", live.target_id, rules.patch_body(changes, self.dialect, current)
                    )
                except TargetError as exc:
                    self._export_failed(entry, "update", exc.info, "update")
                    return
                self._exported()
                patched = True
                modified.extend(rules.modified(changes, current))
        add, remove = self._member_changes(group_id, live, touch)
        if add or remove:
            if UPDATE not in flows:
                self._skip_flow_off(entry, UPDATE, action="create" if created else "update")
                return
            links = self.rt.links
            bodies = rules.member_patches(
                [links[u].target_id for u in add],
                [links[u].target_id for u in remove],
                self.dialect,
            )
            try:
                for body in bodies:
                    target.patch("Groups", live.target_id, body)
            except TargetError as exc:
                self._export_failed(entry, "update", exc.info, "update", modified=modified)
                return
            if not patched:
                self._exported()
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
            self._emit(entry, "create", "success", modified=modified)
        elif patched:
            self._export_step(entry, "EntryExportUpdate", "updated")
            self._emit(entry, "update", "success", modified=modified)
        else:
            self._skip(entry, "RedundantExport", self._redundant_text(entry))

    def _member_changes(
        self, group_id: str, link: Link, touch: Touch
    ) -> tuple[list[str], list[str]]:
        mirror = self.rt.mirror
        members = mirror.members.get(group_id, set())

        def exportable(user_id: str) -> bool:
            user_link = self.rt.links.get(user_id)
            if user_link is None or user_link.deleted or not user_link.managed:
                return False
            in_scope = self.in_scope_users.get(user_id)
            if in_scope is None:
                attrs = mirror.users.get(user_id)
                in_scope = attrs is not None and self._user_verdict(user_id, attrs).in_scope
            return in_scope

        if touch.full_member_sync:
            candidates_add = members - link.members
            candidates_remove = link.members - members
        else:
            candidates_add = (touch.added & members) - link.members
            candidates_remove = (touch.removed & link.members) - members
        add = sorted(u for u in candidates_add if exportable(u))
        remove = sorted(
            u for u in candidates_remove if u in self.rt.links and not self.rt.links[u].deleted
        )
        # Deleted users left the group in the target with their deletion.
        link.members -= {u for u in candidates_remove if u not in remove}
        return add, remove

    def _deprovision_group(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        verdict: Verdict,
        link: Link | None,
        flows: set[str],
    ) -> None:
        if link is None or not link.managed:
            if self.initial or self.settings.log_out_of_scope_changes:
                self._skip(entry, "NotEffectivelyEntitled", self._skip_text(entry, verdict))
            return
        if verdict.reason in LEAVING_SCOPE and self._skips_out_of_scope_deletions():
            self._skip(
                entry,
                "SkipOutOfScopeDeletions",
                f"The Group '{entry.source_display}' went out of scope; it is not "
                "deleted because SkipOutOfScopeDeletions is set on the job.",
                step_type="scoping",
            )
            return
        if DELETE not in flows:
            self._skip_flow_off(entry, DELETE, action="delete")
            return
        entry.step(
            "EntrySynchronizationDelete",
            "processing",
            "success",
            f"Group '{entry.source_display}' will be deleted in {self.app_name} ({why_out(verdict)})",
        )
        self._deletion(
            entry,
            "delete",
            self._delete_export(target, entry, "Groups", link),
            hard=entry.source_id in self.deleted_groups,
        )
