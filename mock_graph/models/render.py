"""Renderers handed to the listings: an object as Graph returns it, with ``$select`` and an
expanded ``manager`` or ``members``. They run under the backend's lock."""

from __future__ import annotations

from typing import Any

from mock_graph.models.directory import Directory
from mock_graph.models.objects import DirObject, project
from mock_graph.models.paging import Render

MAX_EXPAND = 20


def renderer(
    d: Directory,
    select: list[str] | None,
    *,
    with_type: bool = False,
    expand: str | None = None,
    expand_select: list[str] | None = None,
) -> Render:
    def render(obj: DirObject) -> dict[str, Any]:
        item = project(obj.kind, obj.data, select, with_type=with_type)
        if expand == "manager" and obj.kind == "user":
            mid = d.manager_id(obj.id)
            if mid is not None:
                mgr = d.objects[mid]
                item["manager"] = project(mgr.kind, mgr.data, expand_select, with_type=True)
        elif expand == "members" and obj.kind == "group":
            members: list[dict[str, Any]] = []
            for member in d.visible_members(obj.id):
                if len(members) == MAX_EXPAND:
                    break
                members.append(project(member.kind, member.data, expand_select, with_type=True))
            item["members"] = members
        return item

    return render
