"""Renderers handed to the state's listing methods (they run under the state's lock)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_graph.models import GraphBackend
from mock_graph.serialize import DirObject, project

MAX_EXPAND = 20


def renderer(
    b: GraphBackend,
    select: list[str] | None,
    *,
    with_type: bool = False,
    expand: str | None = None,
    expand_select: list[str] | None = None,
) -> Callable[[DirObject], dict[str, Any]]:
    def render(obj: DirObject) -> dict[str, Any]:
        item = project(obj.kind, obj.data, select, with_type=with_type)
        if expand == "manager" and obj.kind == "user":
            mid = b._manager_id(obj.id)
            if mid is not None:
                mgr = b._objects[mid]
                item["manager"] = project(mgr.kind, mgr.data, expand_select, with_type=True)
        elif expand == "members" and obj.kind == "group":
            members = []
            for member in b._visible_members(obj.id):
                if len(members) == MAX_EXPAND:
                    break
                members.append(project(member.kind, member.data, expand_select, with_type=True))
            item["members"] = members
        return item

    return render
