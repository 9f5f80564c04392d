"""What a provisioning job remembers between cycles.

- watermarks: the Graph delta links of the users, groups and assignments rounds;
- the connector data store: links ``entra object id -> target id`` with a managed flag and, for
  groups, the members the engine exported;
- a mirror of the directory as the engine last read it (users, groups, direct memberships,
  assignments), so an incremental cycle evaluates scope from changes only;
- escrows: failed object operations kept for retry.

Plain data, no HTTP and no Flask. A job's runtime is touched only by the cycle running it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Link:
    """An object connection: source anchor to target anchor
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/manage-object-connections)."""

    source_id: str
    object_type: str  # "User" | "Group"
    target_id: str
    managed: bool = True
    deleted: bool = False
    # Groups: source ids of the users the engine has added as members.
    members: set[str] = field(default_factory=set)
    # Users: the manager (source id) that was out of scope when the user was exported. Until a
    # restart the reference is not updated when that manager comes into scope (a known issue).
    pending_manager: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sourceAnchor": self.source_id,
            "targetAnchor": self.target_id,
            "objectTypeName": self.object_type,
            "managed": self.managed,
            "deleted": self.deleted,
        }
        if self.object_type == "Group":
            out["members"] = sorted(self.members)
        if self.pending_manager is not None:
            out["pendingManager"] = self.pending_manager
        return out


@dataclass
class Watermarks:
    users: str | None = None
    groups: str | None = None
    assignments: str | None = None

    @property
    def initialized(self) -> bool:
        return self.users is not None

    def clear(self) -> None:
        self.users = self.groups = self.assignments = None


@dataclass
class Assignment:
    id: str
    principal_id: str
    principal_type: str
    app_role_id: str


@dataclass
class Mirror:
    """The directory as last read through Graph, indexed for O(1) scope evaluation."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    soft_deleted: set[str] = field(default_factory=set)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    member_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    assignments: dict[str, Assignment] = field(default_factory=dict)
    by_principal: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # Groups that are members of groups: kept only to say why their members are out of scope
    # (nested groups are not expanded), never used to decide scope.
    nested: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    nested_in: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add_member(self, group_id: str, user_id: str) -> None:
        self.members[group_id].add(user_id)
        self.member_of[user_id].add(group_id)

    def remove_member(self, group_id: str, user_id: str) -> None:
        self.members.get(group_id, set()).discard(user_id)
        self.member_of.get(user_id, set()).discard(group_id)

    def add_nested(self, group_id: str, member_group_id: str) -> None:
        self.nested[group_id].add(member_group_id)
        self.nested_in[member_group_id].add(group_id)

    def remove_nested(self, group_id: str, member_group_id: str) -> bool:
        """Forget a group-in-group membership; False when it was not known."""
        if member_group_id not in self.nested.get(group_id, ()):
            return False
        self.nested[group_id].discard(member_group_id)
        self.nested_in.get(member_group_id, set()).discard(group_id)
        return True

    def add_assignment(self, assignment: Assignment) -> None:
        self.assignments[assignment.id] = assignment
        self.by_principal[assignment.principal_id].add(assignment.id)

    def remove_assignment(self, assignment_id: str) -> Assignment | None:
        assignment = self.assignments.pop(assignment_id, None)
        if assignment is not None:
            self.by_principal.get(assignment.principal_id, set()).discard(assignment_id)
        return assignment

    def assignments_of(self, principal_id: str) -> list[Assignment]:
        return [self.assignments[a] for a in self.by_principal.get(principal_id, ())]

    def drop_user(self, user_id: str) -> None:
        self.users.pop(user_id, None)
        self.soft_deleted.discard(user_id)
        for group_id in self.member_of.pop(user_id, set()):
            self.members.get(group_id, set()).discard(user_id)

    def drop_group(self, group_id: str) -> None:
        self.groups.pop(group_id, None)
        for user_id in self.members.pop(group_id, set()):
            self.member_of.get(user_id, set()).discard(group_id)
        for inner in self.nested.pop(group_id, set()):
            self.nested_in.get(inner, set()).discard(group_id)
        for outer in self.nested_in.pop(group_id, set()):
            self.nested.get(outer, set()).discard(group_id)


@dataclass
class Escrow:
    """A failed object operation, retried on later cycles."""

    source_id: str
    object_type: str
    operation: str
    error_code: str
    first_failed: datetime
    attempts: int = 1
    next_retry: datetime | None = None
    reference: bool = False


@dataclass
class JobRuntime:
    watermarks: Watermarks = field(default_factory=Watermarks)
    links: dict[str, Link] = field(default_factory=dict)
    mirror: Mirror = field(default_factory=Mirror)
    escrows: dict[tuple[str, str], Escrow] = field(default_factory=dict)
    cycles_run: int = 0
    # Disables and deletes held back by the accidental-deletions threshold
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/accidental-deletions).
    staged: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    force_deletes: bool = False
    # The scope mode (SyncAll) in force since the last initial cycle.
    sync_all: bool | None = None
    _by_target: dict[tuple[str, str], str] | None = field(default=None, repr=False)
    # Objects that entered scope over the job's life (portal counters do not go down).
    entered_scope: dict[str, set[str]] = field(
        default_factory=lambda: {"User": set(), "Group": set()}
    )

    def owner_of(self, object_type: str, target_id: str) -> str | None:
        """The source object already linked to a target object (a reverse index, built once)."""
        if self._by_target is None:
            self._by_target = {
                (link.object_type, link.target_id): source
                for source, link in self.links.items()
                if not link.deleted
            }
        return self._by_target.get((object_type, target_id))

    def add_link(self, link: Link) -> None:
        old = self.links.get(link.source_id)
        self.links[link.source_id] = link
        if self._by_target is not None:
            if old is not None:
                self._by_target.pop((old.object_type, old.target_id), None)
            self._by_target[(link.object_type, link.target_id)] = link.source_id

    def remove_link(self, source_id: str) -> None:
        link = self.links.pop(source_id, None)
        if link is not None and self._by_target is not None:
            self._by_target.pop((link.object_type, link.target_id), None)

    def reset(self, scope: set[str]) -> None:
        """Apply ``restart`` reset scopes (``Watermark``, ``Escrows``, ``ConnectorDataStore``...)."""
        if "Watermark" in scope:
            self.watermarks.clear()
        if "Escrows" in scope:
            self.escrows.clear()
        if "ForceDeletes" in scope:
            self.force_deletes = True
        if "ConnectorDataStore" in scope:
            self.links.clear()
            self._by_target = None
            self.entered_scope = {"User": set(), "Group": set()}
