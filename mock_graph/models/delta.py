"""Delta queries over the directory's change log: the initial round walks the objects in id
order, later rounds read only the changes since the token's sequence number (O(changes)).
Run under the backend's lock."""

from __future__ import annotations

import bisect
from typing import Any

from mock_graph.exceptions import GraphError
from mock_graph.models.directory import Directory
from mock_graph.models.objects import project


def delta(
    d: Directory,
    channel: str,
    state: dict[str, Any],
    select: list[str] | None,
    only: list[str] | None,
    *,
    page_size: int,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any] | None]:
    """One page of a delta round. ``state`` is what the token carried:
    ``{"init": True, "to": seq, "after"/"off": ...}`` for the initial round,
    ``{"from": seq, "to": seq, "pos": i}`` for a round of changes, or ``{"s": seq}`` from a
    deltaLink. ``only`` restricts the round to those object ids (``$filter=id eq …``).
    Returns (items, next page state or None, deltaLink state or None)."""
    wanted = {i.lower() for i in only} if only is not None else None
    resource = state.get("res")
    kind = channel if channel in ("user", "group") else "assignment"
    if kind == "assignment":
        d.require(str(resource), "servicePrincipal")
        channel = f"assign:{resource}"
    size = page_size
    if "s" in state:
        since = int(state["s"])
        if since > d.changes.seq:
            raise GraphError(
                400,
                "syncStateNotFound",
                "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            )
        log = d.changes.channels.get(channel, [])
        pos = bisect.bisect_right(log, since, key=lambda e: e[0])
        state = {"from": since, "to": d.changes.seq, "pos": pos, "res": resource}
    base = {"res": resource} if resource else {}
    if state.get("init"):
        to = int(state["to"])
        items: list[dict[str, Any]] = []
        ids = (
            d.resource_sorted.get(str(resource), []) if kind == "assignment" else d.sorted_ids[kind]
        )
        if wanted is not None:
            ids = sorted(i for i in wanted if i in d.objects and d.objects[i].kind == kind)
        start = bisect.bisect_right(ids, str(state.get("after", ""))) if state.get("after") else 0
        pos, last = start, None
        while pos < len(ids) and len(items) < size:
            oid = ids[pos]
            pos += 1
            last = oid
            if kind == "assignment":
                a = d.assignments[oid]
                if d.visible(a):
                    items.append(d.render_assignment(a, select))
            else:
                items.append(_delta_item(d, kind, oid, select, None))
        if pos < len(ids):
            return items, {**base, "init": True, "to": to, "after": last}, None
        return items, None, {**base, "s": to}
    # a round of changes
    log = d.changes.channels.get(channel, [])
    to = int(state["to"])
    pos = int(state.get("pos", 0))
    touched: dict[str, list[str | None]] = {}
    while pos < len(log) and log[pos][0] <= to:
        _seq, oid, extra = log[pos]
        if wanted is not None and oid not in wanted:
            pos += 1
            continue
        if oid not in touched and len(touched) == size:
            break
        touched.setdefault(oid, []).append(extra)
        pos += 1
    items = [_delta_item(d, kind, oid, select, extras) for oid, extras in touched.items()]
    if pos < len(log) and log[pos][0] <= to:
        return items, {**base, "from": state.get("from"), "to": to, "pos": pos}, None
    return items, None, {**base, "s": to}


def _delta_item(
    d: Directory, kind: str, oid: str, select: list[str] | None, extras: list[str | None] | None
) -> dict[str, Any]:
    if kind == "assignment":
        a = d.assignments.get(oid)
        if a is not None and d.visible(a):
            return d.render_assignment(a, select)
        principal = next((e for e in extras or [] if e), None)
        return {"id": oid, "principalId": principal, "@removed": {"reason": "deleted"}}
    obj = d.objects.get(oid)
    if obj is None or obj.kind != kind:
        reason = "changed" if oid in d.deleted else "deleted"
        return {"id": oid, "@removed": {"reason": reason}}
    props = [p for p in select if p not in ("manager", "members")] if select is not None else None
    item = project(kind, obj.data, props)
    if kind == "user" and select is not None and "manager" in select:
        mid = d.manager_id(oid)
        mgr: list[dict[str, Any]] = (
            [{"@odata.type": "#microsoft.graph.user", "id": mid}] if mid else []
        )
        for old in {e for e in extras or [] if e and e != mid}:
            mgr.append(
                {
                    "@odata.type": "#microsoft.graph.user",
                    "id": old,
                    "@removed": {"reason": "deleted"},
                }
            )
        if extras is None or mgr:
            item["manager@delta"] = mgr
    if kind == "group" and (select is None or "members" in select):
        members = d.members.get(oid, {})
        if extras is None:
            item["members@delta"] = [
                {"@odata.type": m.odata_type, "id": m.id} for m in d.visible_members(oid)
            ]
        else:
            changes: list[dict[str, Any]] = []
            for mid in dict.fromkeys(e for e in extras if e):
                member = d.objects.get(mid) or d.deleted.get(mid)
                otype = member.odata_type if member else "#microsoft.graph.directoryObject"
                if mid in members and mid in d.objects:
                    changes.append({"@odata.type": otype, "id": mid})
                else:
                    changes.append(
                        {"@odata.type": otype, "id": mid, "@removed": {"reason": "deleted"}}
                    )
            if changes:
                item["members@delta"] = changes
    return item
