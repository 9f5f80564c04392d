"""``/v1.0/groups``: CRUD, members (with casts, ``$count``, ``$ref`` add/remove),
transitiveMembers, memberOf, appRoleAssignments, ``$count`` and delta."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_graph.models import project, ref_id
from mock_graph.query import collection, parse_query
from mock_graph.routes.delta import delta_response
from mock_graph.routes.shared import (
    cast_segment_kind,
    create_principal_assignment,
    principal_assignments,
    reference_url,
    related_collection,
    require_count_header,
)
from mock_graph.schemas import GROUP, TYPES, USER
from mock_graph.wire import backend, entity, json_body, no_content, text_response

bp = Blueprint("graph_groups", __name__, url_prefix="/v1.0")


@bp.get("/groups")
def list_groups() -> Response:
    b = backend()
    q = parse_query(GROUP, expandable=("members",))
    page = b.list_objects(
        "group",
        predicate=q.predicate(),
        order=q.sorter(),
        top=q.top,
        cursor=q.cursor,
        count=q.count and q.first_page,
        index_key=q.plan.index_key if q.plan and not q.search else None,
        render=b.renderer(q.select, expand=q.expand, expand_select=q.expand_select),
    )
    return collection("groups", q, page)


@bp.post("/groups")
def create_group() -> Response:
    group = backend().create_group(json_body())
    return entity("groups", project("group", group, None), 201)


@bp.get("/groups/$count")
def count_groups() -> Response:
    require_count_header()
    q = parse_query(GROUP, count_segment=True)
    page = backend().list_objects(
        "group", predicate=q.predicate(), top=1, count=True, render=lambda o: {}
    )
    return text_response(str(page.count or 0))


@bp.get("/groups/delta")
@bp.get("/groups/delta()")
def groups_delta() -> Response:
    return delta_response("group", GROUP, "groups", extra=("members",))


@bp.get("/groups/<gid>")
def get_group(gid: str) -> Response:
    b = backend()
    q = parse_query(GROUP, expandable=("members",))
    b.resolve("group", gid)
    page = b.list_objects(
        "group",
        index_key=("id", [gid]),
        render=b.renderer(q.select, expand=q.expand, expand_select=q.expand_select),
    )
    return entity("groups", page.items[0])


@bp.patch("/groups/<gid>")
def update_group(gid: str) -> Response:
    backend().update_group(gid, json_body())
    return no_content()


@bp.delete("/groups/<gid>")
def delete_group(gid: str) -> Response:
    backend().delete_group(gid)
    return no_content()


def _related(gid: str, relation: str, cast: str | None) -> Response:
    return related_collection("group", gid, relation, cast, USER)


def _related_count(gid: str, relation: str, cast: str | None) -> Response:
    require_count_header()
    b = backend()
    b.resolve("group", gid)
    kind = None
    if cast is not None:
        kind = cast_segment_kind(cast)
    q = parse_query(TYPES[kind] if kind else USER, allow_orderby=False, count_segment=True)
    return text_response(str(b.count_related(relation, gid, kind, q.predicate())))


@bp.get("/groups/<gid>/members")
def members(gid: str) -> Response:
    return _related(gid, "members", None)


@bp.get("/groups/<gid>/members/$count")
def members_count(gid: str) -> Response:
    return _related_count(gid, "members", None)


@bp.get("/groups/<gid>/members/<cast>")
def members_cast(gid: str, cast: str) -> Response:
    return _related(gid, "members", cast)


@bp.get("/groups/<gid>/members/<cast>/$count")
def members_cast_count(gid: str, cast: str) -> Response:
    return _related_count(gid, "members", cast)


@bp.get("/groups/<gid>/transitiveMembers")
def transitive_members(gid: str) -> Response:
    return _related(gid, "transitiveMembers", None)


@bp.get("/groups/<gid>/transitiveMembers/$count")
def transitive_members_count(gid: str) -> Response:
    return _related_count(gid, "transitiveMembers", None)


@bp.get("/groups/<gid>/transitiveMembers/<cast>")
def transitive_members_cast(gid: str, cast: str) -> Response:
    return _related(gid, "transitiveMembers", cast)


@bp.get("/groups/<gid>/memberOf")
def group_member_of(gid: str) -> Response:
    return related_collection("group", gid, "memberOf", None, GROUP, counted=False)


@bp.post("/groups/<gid>/members/$ref")
def add_member(gid: str) -> Response:
    url = reference_url()
    b = backend()
    b.resolve("group", gid)
    b.add_member(gid, ref_id(url))
    return no_content()


@bp.delete("/groups/<gid>/members/<mid>/$ref")
def remove_member(gid: str, mid: str) -> Response:
    backend().remove_member(gid, mid.lower())
    return no_content()


@bp.get("/groups/<gid>/appRoleAssignments")
def list_group_assignments(gid: str) -> Response:
    return principal_assignments("groups", gid)


@bp.post("/groups/<gid>/appRoleAssignments")
def create_group_assignment(gid: str) -> Response:
    return create_principal_assignment("groups", gid)


@bp.delete("/groups/<gid>/appRoleAssignments/<aid>")
def delete_group_assignment(gid: str, aid: str) -> Response:
    b = backend()
    b.resolve("group", gid)
    b.remove_app_role_assignment(aid, principal_id=gid)
    return no_content()
