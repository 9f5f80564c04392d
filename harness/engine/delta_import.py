"""The import phase of a cycle: read the directory's changes through Graph delta queries,
bring the job's mirror of the directory up to date, and work out which users and groups the
cycle looks at
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).

Initial cycles start new delta rounds (a full enumeration); incremental cycles follow the
stored delta links, so they cost O(changes).
"""

from __future__ import annotations

from typing import Any

from harness.engine.changes import ADD, DELETE, MANAGER_KEY, UPDATE, Touch
from harness.engine.context import CycleContext
from harness.engine.directory import DeltaRound, GraphDirectory, ResyncRequired
from harness.engine.scope import HARD_DELETED, effective_assignments
from harness.engine.state import Assignment, Mirror


class DeltaImport:
    def __init__(self, context: CycleContext) -> None:
        self.context = context

    def read(self, directory: GraphDirectory) -> tuple[DeltaRound, DeltaRound, DeltaRound]:
        """The users, groups and assignments rounds: changes since the stored delta links,
        or everything (a new round) in an initial cycle or when a delta token expired."""
        context = self.context
        watermarks = context.runtime.watermarks
        sp_id = context.inputs.service_principal_id
        try:
            return (
                directory.users_delta(watermarks.users),
                directory.groups_delta(watermarks.groups),
                directory.assignments_delta(sp_id, watermarks.assignments),
            )
        except ResyncRequired:
            # An expired token means a new full round, as Graph asks
            # (https://learn.microsoft.com/en-us/graph/delta-query-overview).
            watermarks.clear()
            context.initial = True
            context.summary.kind = "initial"
            return (
                directory.users_delta(None),
                directory.groups_delta(None),
                directory.assignments_delta(sp_id, None),
            )

    def apply(
        self, users_round: DeltaRound, groups_round: DeltaRound, assignments_round: DeltaRound
    ) -> None:
        """Bring the mirror up to date and list the users and groups this cycle looks at."""
        context = self.context
        runtime = context.runtime
        if context.initial:
            runtime.mirror = Mirror()
        mirror = runtime.mirror
        deltas = len(users_round.items) + len(groups_round.items) + len(assignments_round.items)
        context.summary.counts["deltas"] = deltas
        context.execution.count_imported_deltas = deltas
        touched_users: dict[str, str] = {}

        def touch_user(user_id: str, change: str) -> None:
            # The users round decides the change type; scope changes only add an Update.
            if change == UPDATE and user_id in touched_users:
                return
            touched_users[user_id] = change

        for item in users_round.items:
            user_id = str(item.get("id", ""))
            if not user_id:
                continue
            removed = item.get("@removed")
            if isinstance(removed, dict):
                if removed.get("reason") == "deleted":
                    context.hard_deleted_users[user_id] = mirror.users.get(user_id, {"id": user_id})
                    touch_user(user_id, HARD_DELETED)
                else:
                    mirror.soft_deleted.add(user_id)
                    touch_user(user_id, DELETE)
                continue
            known = user_id in mirror.users
            mirror.soft_deleted.discard(user_id)
            data = {k: v for k, v in item.items() if not k.startswith("@") and "@" not in k}
            manager = _manager_change(item.get("manager@delta"))
            if manager is not _UNCHANGED:
                data[MANAGER_KEY] = manager
            old = mirror.users.get(user_id)
            mirror.users[user_id] = (
                data if old is None else {**old, **data}
            )  # no copy for a new user
            change = ADD if context.initial or not (known or user_id in runtime.links) else UPDATE
            touch_user(user_id, change)

        group_changes: dict[str, Touch] = {}
        for item in groups_round.items:
            group_id = str(item.get("id", ""))
            if not group_id:
                continue
            touch = group_changes.setdefault(group_id, Touch(ADD if context.initial else UPDATE))
            if isinstance(item.get("@removed"), dict):
                context.deleted_groups[group_id] = mirror.groups.get(group_id, {"id": group_id})
                touch.change = DELETE
                continue
            known = group_id in mirror.groups
            data = {k: v for k, v in item.items() if not k.startswith("@") and "@" not in k}
            data.pop("members", None)
            mirror.groups[group_id] = {**mirror.groups.get(group_id, {}), **data}
            if not known and not context.initial and group_id not in runtime.links:
                touch.change = ADD
            for member in item.get("members@delta", []) or []:
                if not isinstance(member, dict) or not member.get("id"):
                    continue
                odata_type = str(member.get("@odata.type", "#microsoft.graph.user")).lower()
                member_id = str(member["id"])
                if isinstance(member.get("@removed"), dict):
                    if mirror.remove_nested(group_id, member_id):
                        continue
                    if member_id not in mirror.members.get(group_id, ()):
                        continue
                    mirror.remove_member(group_id, member_id)
                    touch.removed.add(member_id)
                    touch.added.discard(member_id)
                elif odata_type.endswith(".user"):
                    mirror.add_member(group_id, member_id)
                    touch.added.add(member_id)
                    touch.removed.discard(member_id)
                elif odata_type.endswith(".group"):
                    # Nested groups are not expanded (Microsoft documents it): the membership is
                    # kept only so a member's log can say why it is out of scope.
                    mirror.add_nested(group_id, member_id)

        assignment_changed: set[str] = set()
        for item in assignments_round.items:
            assignment_id = str(item.get("id", ""))
            if not assignment_id:
                continue
            if isinstance(item.get("@removed"), dict):
                removed_assignment = mirror.remove_assignment(assignment_id)
                if removed_assignment is not None:
                    assignment_changed.add(removed_assignment.principal_id)
                continue
            principal = str(item.get("principalId", ""))
            if not principal or str(item.get("principalType", "User")) not in ("User", "Group"):
                continue  # service principals are not provisioned
            mirror.add_assignment(
                Assignment(
                    assignment_id,
                    principal,
                    str(item.get("principalType", "User")),
                    str(item.get("appRoleId") or "00000000-0000-0000-0000-000000000000"),
                )
            )
            assignment_changed.add(principal)

        sync_all = context.sync_all()
        # Users whose scope may have changed through assignments or memberships.
        for principal in assignment_changed:
            if principal in mirror.groups or principal in group_changes:
                touch = group_changes.setdefault(principal, Touch(UPDATE))
                touch.full_member_sync = True
                for member_id in sorted(mirror.members.get(principal, ())):
                    touch_user(member_id, UPDATE)
            else:
                touch_user(principal, UPDATE)
        for group_id, touch in group_changes.items():
            if sync_all or mirror.assignments_of(group_id):
                for member_id in sorted(touch.added | touch.removed):
                    touch_user(member_id, UPDATE)

        if context.initial:
            # The initial cycle evaluates every object; in "sync assigned" only the assigned ones
            # (and linked ones, which may have left scope while nobody looked) are logged.
            candidates: dict[str, str] = {}
            for user_id, change in touched_users.items():
                if (
                    sync_all
                    or user_id in runtime.links
                    or effective_assignments(mirror, user_id, "User")
                ):
                    candidates[user_id] = change
            touched_users = candidates
            group_candidates: dict[str, Touch] = {}
            for group_id, touch in group_changes.items():
                if sync_all or group_id in runtime.links or mirror.assignments_of(group_id):
                    touch.full_member_sync = True
                    group_candidates[group_id] = touch
            group_changes = group_candidates
        context.user_changes = {
            uid: (DELETE if change == HARD_DELETED else change)
            for uid, change in touched_users.items()
            # An assignment to an object the directory rounds never showed is not a user.
            if uid in mirror.users or uid in context.hard_deleted_users or uid in runtime.links
        }
        context.group_touches = group_changes


_UNCHANGED = object()


def _manager_change(entries: Any) -> Any:
    """The manager from a ``manager@delta`` list: its id, None when removed, or _UNCHANGED."""
    if not isinstance(entries, list):
        return _UNCHANGED
    current = [e for e in entries if isinstance(e, dict) and e.get("id") and "@removed" not in e]
    if current:
        return str(current[0]["id"])
    return None
