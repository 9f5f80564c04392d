"""The directory's objects and relationships, with the indexes that keep every lookup cheap, and
the change log delta queries read. No validation and no lock here: :class:`GraphBackend` checks
what clients ask and holds the lock; this module keeps the indexes consistent.

Soft delete (Microsoft Graph's "deleted items",
https://learn.microsoft.com/en-us/graph/api/resources/directory): a deleted user, Microsoft 365
group, application or service principal moves to deleted items with ``deletedDateTime``; its
relationships (group memberships, manager links, app role assignments) are kept but hidden while
it is deleted, come back when it is restored, and are dropped when it is purged."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from mock_graph.exceptions import conflict_property, not_found
from mock_graph.models.objects import Assignment, DirObject, project
from mock_graph.models.validation import check_stored
from mock_graph.models.values import check_object_id, copy_json, iso, parse_iso

KINDS = ("user", "group", "application", "servicePrincipal")
Change = tuple[int, str, str | None]


class ChangeLog:
    """A monotonic sequence of changes per channel (``user``, ``group``, ``assign:<sp id>``):
    the object changed and, for links, the other end. Delta reads it in O(changes)."""

    def __init__(self) -> None:
        self.seq = 0
        self.channels: dict[str, list[Change]] = {"user": [], "group": []}

    def record(self, channel: str, obj_id: str, other: str | None = None) -> None:
        self.seq += 1
        self.channels.setdefault(channel, []).append((self.seq, obj_id, other))

    def channel(self, name: str) -> list[Change]:
        return self.channels.get(name, [])

    def dump(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "logs": {k: [list(e) for e in v] for k, v in self.channels.items()},
        }

    @classmethod
    def from_dump(cls, state: dict[str, Any]) -> ChangeLog:
        log = cls()
        log.seq = int(state.get("seq", 0))
        log.channels = {
            k: [(int(s), str(o), m) for s, o, m in v] for k, v in state.get("logs", {}).items()
        }
        log.channels.setdefault("user", [])
        log.channels.setdefault("group", [])
        return log


class Directory:
    """Users, groups, applications and service principals (one id space), deleted items,
    memberships, managers, app role assignments and the change log."""

    def __init__(self) -> None:
        self.objects: dict[str, DirObject] = {}
        self.deleted: dict[str, DirObject] = {}
        self.sorted_ids: dict[str, list[str]] = {k: [] for k in KINDS}
        self.upn: dict[str, str] = {}  # casefolded userPrincipalName -> user id
        self.app_ids: dict[str, str] = {}  # appId -> application object id
        self.sp_app_ids: dict[str, str] = {}  # appId -> servicePrincipal id
        self.members: dict[str, dict[str, None]] = {}  # group -> ordered members
        self.member_of: dict[str, dict[str, None]] = {}  # object -> groups
        self.managers: dict[str, str] = {}
        self.reports: dict[str, dict[str, None]] = {}
        self.assignments: dict[str, Assignment] = {}
        self.by_resource: dict[str, dict[str, None]] = {}
        # per resource, assignment ids in sorted order: a stable cursor for the delta feed
        self.resource_sorted: dict[str, list[str]] = {}
        self.by_principal: dict[str, dict[str, None]] = {}
        self.changes = ChangeLog()
        self.purge_heap: list[tuple[datetime, str]] = []

    def log(self, channel: str, obj_id: str, other: str | None = None) -> None:
        self.changes.record(channel, obj_id, other)

    def changed(self, obj: DirObject) -> None:
        if obj.kind in ("user", "group"):
            self.log(obj.kind, obj.id)

    # ------------------------------------------------------------------ lookups

    def live(self, object_id: str, kind: str | None = None) -> DirObject | None:
        obj = self.objects.get(object_id)
        if obj is None and isinstance(object_id, str) and object_id != object_id.lower():
            obj = self.objects.get(object_id.lower())  # GUIDs are case-insensitive
        if obj is None or (kind is not None and obj.kind != kind):
            return None
        return obj

    def require(self, object_id: str, kind: str | None = None) -> DirObject:
        obj = self.live(object_id, kind)
        if obj is None:
            check_object_id(object_id)
            raise not_found(object_id)
        return obj

    def user_by_key(self, key: str) -> DirObject | None:
        """A live user by id, or by userPrincipalName."""
        obj = self.live(key, "user")
        if obj is None and "@" in key:
            uid = self.upn.get(key.casefold())
            obj = self.objects.get(uid) if uid else None
        return obj

    def require_user(self, key: str) -> DirObject:
        obj = self.user_by_key(key)
        if obj is None:  # a key that is not a GUID is taken as a userPrincipalName: 404
            raise not_found(key)
        return obj

    def resolve(self, kind: str, key: str) -> str:
        if kind == "user":
            return self.require_user(key).id
        return self.require(key, kind).id

    def check_upn_free(self, upn: str, own_id: str | None) -> None:
        holder = self.upn.get(upn.casefold())
        if holder is not None and holder != own_id:
            raise conflict_property("userPrincipalName")

    def manager_id(self, uid: str) -> str | None:
        """The user's manager, if the manager is live."""
        mid = self.managers.get(uid)
        return mid if mid and mid in self.objects else None

    def visible_members(self, group_id: str) -> Iterator[DirObject]:
        for mid in self.members.get(group_id, {}):
            obj = self.objects.get(mid)
            if obj is not None:
                yield obj

    def transitive_members(self, group_id: str) -> Iterator[DirObject]:
        seen: set[str] = {group_id}
        queue = [group_id]
        while queue:
            gid = queue.pop(0)
            for obj in self.visible_members(gid):
                if obj.id in seen:
                    continue
                seen.add(obj.id)
                yield obj
                if obj.kind == "group":
                    queue.append(obj.id)

    def groups_of(self, object_id: str, transitive: bool) -> Iterator[DirObject]:
        seen: set[str] = {object_id}
        queue = [object_id]
        while queue:
            oid = queue.pop(0)
            for gid in self.member_of.get(oid, {}):
                group = self.objects.get(gid)
                if group is None or gid in seen:
                    continue
                seen.add(gid)
                yield group
                if transitive:
                    queue.append(gid)

    # ------------------------------------------------------------------ objects

    def insert(self, kind: str, data: dict[str, Any], *, keep_sorted: bool = True) -> DirObject:
        """Index a new live object. ``keep_sorted=False`` appends for bulk loads: call
        :meth:`sort` once at the end."""
        obj = DirObject(kind, data)
        self.objects[obj.id] = obj
        if keep_sorted:
            bisect.insort(self.sorted_ids[kind], obj.id)
        else:
            self.sorted_ids[kind].append(obj.id)
        if kind == "user":
            self.upn[data["userPrincipalName"].casefold()] = obj.id
        elif kind == "application":
            self.app_ids[data["appId"]] = obj.id
        elif kind == "servicePrincipal":
            self.sp_app_ids[data["appId"]] = obj.id
        return obj

    def sort(self) -> None:
        for ids in self.sorted_ids.values():
            ids.sort()

    def unindex(self, obj: DirObject) -> None:
        self.objects.pop(obj.id, None)
        ids = self.sorted_ids[obj.kind]
        pos = bisect.bisect_left(ids, obj.id)
        if pos < len(ids) and ids[pos] == obj.id:
            del ids[pos]
        if obj.kind == "user":
            upn = obj.data["userPrincipalName"].casefold()
            if self.upn.get(upn) == obj.id:
                del self.upn[upn]
        elif obj.kind == "application":
            self.app_ids.pop(obj.data["appId"], None)
        elif obj.kind == "servicePrincipal":
            self.sp_app_ids.pop(obj.data["appId"], None)

    # ------------------------------------------------------------------ links

    def link_member(self, group_id: str, member_id: str) -> None:
        """Add a member (no checks: the caller made them) and log it on the group."""
        self.members.setdefault(group_id, {})[member_id] = None
        self.member_of.setdefault(member_id, {})[group_id] = None
        self.log("group", group_id, member_id)

    def unlink_member(self, group_id: str, member_id: str) -> None:
        self.members.get(group_id, {}).pop(member_id, None)
        self.member_of.get(member_id, {}).pop(group_id, None)
        self.log("group", group_id, member_id)

    def link_manager(self, user_id: str, manager_id: str) -> None:
        """Set a manager without logging it (the caller logs when a client changed it)."""
        old = self.managers.get(user_id)
        if old is not None:
            self.reports.get(old, {}).pop(user_id, None)
        self.managers[user_id] = manager_id
        self.reports.setdefault(manager_id, {})[user_id] = None

    def add_assignment(self, a: Assignment, *, keep_sorted: bool = True) -> None:
        self.assignments[a.id] = a
        self.by_resource.setdefault(a.resource_id, {})[a.id] = None
        self.by_principal.setdefault(a.principal_id, {})[a.id] = None
        ordered = self.resource_sorted.setdefault(a.resource_id, [])
        if keep_sorted:
            bisect.insort(ordered, a.id)
        else:
            ordered.append(a.id)

    def drop_assignment(self, a: Assignment, *, log: bool = True) -> None:
        self.assignments.pop(a.id, None)
        self.by_resource.get(a.resource_id, {}).pop(a.id, None)
        self.by_principal.get(a.principal_id, {}).pop(a.id, None)
        ordered = self.resource_sorted.get(a.resource_id, [])
        pos = bisect.bisect_left(ordered, a.id)
        if pos < len(ordered) and ordered[pos] == a.id:
            del ordered[pos]
        if log:
            self.log(f"assign:{a.resource_id}", a.id, a.principal_id)

    def visible(self, a: Assignment) -> bool:
        """Both ends of the assignment are live (not deleted)."""
        return a.principal_id in self.objects and a.resource_id in self.objects

    def render_assignment(
        self, a: Assignment, select: list[str] | None, *, with_type: bool = False
    ) -> dict[str, Any]:
        data = a.data()
        principal = self.objects.get(a.principal_id)
        resource = self.objects.get(a.resource_id)
        if principal is not None:
            data["principalDisplayName"] = principal.data.get("displayName")
        if resource is not None:
            data["resourceDisplayName"] = resource.data.get("displayName")
        return project("appRoleAssignment", data, select, with_type=with_type)

    # ------------------------------------------------------------------ delete / restore / purge

    def soft_delete(self, obj: DirObject, now: datetime, retention_days: int) -> None:
        self.unindex(obj)
        obj.data["deletedDateTime"] = iso(now)
        self.deleted[obj.id] = obj
        heapq.heappush(self.purge_heap, (now + timedelta(days=retention_days), obj.id))
        self.changed(obj)
        # Memberships are kept but hidden; group delta reports them as removed.
        for gid in self.member_of.get(obj.id, {}):
            if gid in self.objects:
                self.log("group", gid, obj.id)

    def restore(self, obj: DirObject) -> None:
        """Bring a deleted object back with its kept relationships (the caller checked it)."""
        del self.deleted[obj.id]
        obj.data["deletedDateTime"] = None
        self.insert(obj.kind, obj.data)
        self.changed(obj)
        for gid in self.member_of.get(obj.id, {}):
            if gid in self.objects:
                self.log("group", gid, obj.id)
        if obj.kind == "group":
            for mid in self.members.get(obj.id, {}):
                self.log("group", obj.id, mid)
        for aid in self.by_principal.get(obj.id, {}):
            a = self.assignments[aid]
            if self.visible(a):
                self.log(f"assign:{a.resource_id}", a.id, a.principal_id)
        for aid in self.by_resource.get(obj.id, {}):
            a = self.assignments[aid]
            if self.visible(a):
                self.log(f"assign:{a.resource_id}", a.id, a.principal_id)

    def hard_delete(self, obj: DirObject) -> None:
        for gid in self.member_of.get(obj.id, {}):
            if gid in self.objects:
                self.log("group", gid, obj.id)
        self.unindex(obj)
        self.forget(obj)

    def forget(self, obj: DirObject) -> None:
        """Drop every trace of an object that is gone for good."""
        self.changed(obj)
        for gid in self.member_of.pop(obj.id, {}):
            self.members.get(gid, {}).pop(obj.id, None)
        for mid in self.members.pop(obj.id, {}):
            self.member_of.get(mid, {}).pop(obj.id, None)
        mgr = self.managers.pop(obj.id, None)
        if mgr is not None:
            self.reports.get(mgr, {}).pop(obj.id, None)
        for report in self.reports.pop(obj.id, {}):
            if self.managers.get(report) == obj.id:
                del self.managers[report]
                if report in self.objects:
                    self.log("user", report, obj.id)
        for aid in list(self.by_principal.get(obj.id, {})) + list(self.by_resource.get(obj.id, {})):
            a = self.assignments.get(aid)
            if a is not None:
                self.drop_assignment(a)
        self.by_principal.pop(obj.id, None)
        self.by_resource.pop(obj.id, None)
        self.resource_sorted.pop(obj.id, None)

    def purge_due(self, now: datetime, retention_days: int) -> list[str]:
        """Permanently delete what has been in deleted items for ``retention_days``; the ids.
        A heap peek when nothing is due."""
        if not self.purge_heap:
            return []
        purged: list[str] = []
        while self.purge_heap and self.purge_heap[0][0] <= now:
            _due, oid = heapq.heappop(self.purge_heap)
            obj = self.deleted.get(oid)
            if obj is None or obj.data.get("deletedDateTime") is None:
                continue
            expected = parse_iso(obj.data["deletedDateTime"]) + timedelta(days=retention_days)
            if expected > now:
                heapq.heappush(self.purge_heap, (expected, oid))
                continue
            del self.deleted[oid]
            self.forget(obj)
            purged.append(oid)
        return purged

    # ------------------------------------------------------------------ dump / load

    def dump(self) -> dict[str, Any]:
        return {
            "objects": [{"kind": o.kind, "data": copy_json(o.data)} for o in self.objects.values()],
            "deleted": [{"kind": o.kind, "data": copy_json(o.data)} for o in self.deleted.values()],
            "members": {g: list(m) for g, m in self.members.items()},
            "managers": dict(self.managers),
            "assignments": [asdict(a) for a in self.assignments.values()],
            **self.changes.dump(),
        }

    @classmethod
    def from_dump(cls, state: dict[str, Any], retention_days: int) -> Directory:
        """A directory rebuilt from :meth:`dump`'s keys; raises KeyError, TypeError or
        ValueError on malformed input."""
        d = cls()
        for entry in state.get("objects", []):
            if entry["kind"] not in d.sorted_ids:
                raise ValueError(f"bad object {entry!r:.80}")
            check_stored(entry["kind"], entry["data"])
            if entry["data"]["id"] in d.objects:
                raise ValueError(f"duplicate id {entry['data']['id']}")
            d.insert(entry["kind"], copy_json(entry["data"]), keep_sorted=False)
        d.sort()
        for entry in state.get("deleted", []):
            if entry["kind"] not in d.sorted_ids:
                raise ValueError(f"bad object {entry!r:.80}")
            check_stored(entry["kind"], entry["data"])
            obj = DirObject(entry["kind"], copy_json(entry["data"]))
            d.deleted[obj.id] = obj
            deleted_at = parse_iso(obj.data["deletedDateTime"])
            heapq.heappush(d.purge_heap, (deleted_at + timedelta(days=retention_days), obj.id))
        for gid, mids in state.get("members", {}).items():
            d.members[gid] = dict.fromkeys(mids)
            for mid in mids:
                d.member_of.setdefault(mid, {})[gid] = None
        for gid in d.sorted_ids["group"]:
            d.members.setdefault(gid, {})
        for uid, mid in state.get("managers", {}).items():
            d.managers[uid] = mid
            d.reports.setdefault(mid, {})[uid] = None
        for raw in state.get("assignments", []):
            d.add_assignment(Assignment(**raw), keep_sorted=False)
        for ordered in d.resource_sorted.values():
            ordered.sort()
        d.changes = ChangeLog.from_dump(state)
        return d
