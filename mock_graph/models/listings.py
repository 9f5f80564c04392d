"""Listings over the directory: one kind of object, the objects related to one (members,
memberOf, directReports and their transitive forms), app role assignments and deleted items.
Each renders only the page it returns. Run under the backend's lock."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from typing import Any

from mock_graph.exceptions import bad_request
from mock_graph.models.directory import Directory
from mock_graph.models.objects import DirObject
from mock_graph.models.paging import Order, Page, Predicate, Render, ordered, page_by_offset


def candidates(
    d: Directory, kind: str, index_key: tuple[str, list[str]] | None
) -> list[DirObject] | None:
    """The objects an indexed ``$filter`` names (``id eq``/``in``, a user's UPN), or None."""
    if index_key is None:
        return None
    prop, values = index_key
    out: list[DirObject] = []
    seen: set[str] = set()
    for value in values:
        obj = (
            d.live(value, kind)
            if prop == "id"
            else (d.user_by_key(value) if kind == "user" and "@" in value else None)
        )
        if obj is not None and obj.id not in seen:
            seen.add(obj.id)
            out.append(obj)
    return out


def list_objects(
    d: Directory,
    kind: str,
    *,
    predicate: Predicate | None = None,
    order: Order | None = None,
    top: int = 100,
    cursor: dict[str, Any] | None = None,
    count: bool = False,
    index_key: tuple[str, list[str]] | None = None,
    render: Render,
) -> Page:
    """A page of live objects of one kind, in id order (O(page) without a filter)."""
    match = predicate or (lambda _d: True)
    chosen = candidates(d, kind, index_key)
    if chosen is not None:
        return page_by_offset((o for o in chosen if match(o.data)), cursor, top, count, render)
    if order is not None:
        matching = [d.objects[i] for i in d.sorted_ids[kind] if match(d.objects[i].data)]
        return page_by_offset(iter(ordered(matching, order)), cursor, top, count, render)
    ids = d.sorted_ids[kind]
    start = 0 if not cursor else bisect.bisect_right(ids, str(cursor.get("after", "")))
    items: list[dict[str, Any]] = []
    nxt: dict[str, Any] | None = None
    last = None
    for pos in range(start, len(ids)):
        obj = d.objects[ids[pos]]
        if not match(obj.data):
            continue
        if len(items) == top:
            nxt = {"after": last}
            break
        items.append(render(obj))
        last = obj.id
    total = None
    if count:
        total = sum(1 for i in ids if match(d.objects[i].data))
    return Page(items, nxt, total)


def list_related(
    d: Directory,
    relation: str,
    owner_id: str,
    *,
    predicate: Predicate | None = None,
    kind_filter: str | None = None,
    top: int = 100,
    cursor: dict[str, Any] | None = None,
    count: bool = False,
    render: Render,
) -> Page:
    """members / transitiveMembers / memberOf / transitiveMemberOf / directReports."""
    source: Iterable[DirObject]
    if relation == "members":
        d.require(owner_id, "group")
        source = d.visible_members(owner_id)
    elif relation == "transitiveMembers":
        d.require(owner_id, "group")
        source = d.transitive_members(owner_id)
    elif relation in ("memberOf", "transitiveMemberOf"):
        d.require(owner_id)
        source = d.groups_of(owner_id, relation == "transitiveMemberOf")
    elif relation == "directReports":
        d.require(owner_id, "user")
        source = (d.objects[r] for r in d.reports.get(owner_id, {}) if r in d.objects)
    else:
        raise bad_request(f"Unknown relation '{relation}'.")
    match = predicate or (lambda _d: True)
    filtered = (
        o for o in source if (kind_filter is None or o.kind == kind_filter) and match(o.data)
    )
    return page_by_offset(filtered, cursor, top, count, render)


def count_related(
    d: Directory,
    relation: str,
    owner_id: str,
    kind_filter: str | None = None,
    predicate: Predicate | None = None,
) -> int:
    page = list_related(
        d,
        relation,
        owner_id,
        kind_filter=kind_filter,
        predicate=predicate,
        top=1,
        count=True,
        render=lambda o: {},
    )
    return page.count or 0


def list_assignments(
    d: Directory,
    *,
    resource_id: str | None = None,
    principal_id: str | None = None,
    include_group_grants: bool = False,
    predicate: Predicate | None = None,
    select: list[str] | None = None,
    top: int = 100,
    cursor: dict[str, Any] | None = None,
    count: bool = False,
    index_key: tuple[str, list[str]] | None = None,
) -> Page:
    """Assignments to a resource SP, or held by a principal (for a user, also those granted
    to groups it is a direct member of, as Graph does)."""
    if resource_id is not None:
        d.require(resource_id, "servicePrincipal")
        aids: Iterable[str] = d.by_resource.get(resource_id, {})
        if index_key is not None and index_key[0] == "principalId":
            # principalId eq <guid>: walk that principal's few assignments, not the resource's
            held = d.by_principal.get(index_key[1][0], {})
            aids = [a for a in held if d.assignments[a].resource_id == resource_id]
    else:
        assert principal_id is not None
        principal = d.require(principal_id)
        owners = [principal.id]
        if include_group_grants and principal.kind == "user":
            owners += [g for g in d.member_of.get(principal.id, {}) if g in d.objects]
        aids = itertools.chain.from_iterable(d.by_principal.get(o, {}) for o in owners)
    match = predicate or (lambda _d: True)
    visible = (
        a
        for a in (d.assignments[i] for i in aids)
        if d.visible(a) and match(d.render_assignment(a, None))
    )
    source = (DirObject("appRoleAssignment", {"id": a.id, "_a": a}) for a in visible)

    def render(obj: DirObject) -> dict[str, Any]:
        return d.render_assignment(obj.data["_a"], select)

    return page_by_offset(source, cursor, top, count, render)


def list_deleted(
    d: Directory,
    kind: str,
    *,
    predicate: Predicate | None = None,
    order: Order | None = None,
    top: int = 100,
    cursor: dict[str, Any] | None = None,
    count: bool = False,
    render: Render,
) -> Page:
    match = predicate or (lambda _d: True)
    objs = [o for o in d.deleted.values() if o.kind == kind and match(o.data)]
    if order is not None:
        objs = ordered(objs, order)
    return page_by_offset(iter(objs), cursor, top, count, render)


def objects_by_ids(d: Directory, ids: list[str], types: list[str] | None) -> list[DirObject]:
    out = []
    for oid in ids:
        obj = d.objects.get(oid)
        if obj is not None and (not types or obj.kind in types):
            out.append(obj)
    return out
