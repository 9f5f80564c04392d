"""``/v1.0/users``: CRUD by id or userPrincipalName, manager, memberOf, appRoleAssignments,
``$count`` and delta."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_graph.exceptions import not_found
from mock_graph.models import project, ref_id
from mock_graph.query import collection, parse_query
from mock_graph.routes.delta import delta_response
from mock_graph.routes.shared import (
    create_principal_assignment,
    principal_assignments,
    reference_url,
    related_collection,
    require_count_header,
)
from mock_graph.schemas import GROUP, USER
from mock_graph.wire import (
    backend,
    base_url,
    context_url,
    entity,
    json_body,
    json_response,
    no_content,
    text_response,
)

bp = Blueprint("graph_users", __name__, url_prefix="/v1.0")


@bp.get("/users")
def list_users() -> Response:
    b = backend()
    q = parse_query(USER, expandable=("manager",))
    page = b.list_objects(
        "user",
        predicate=q.predicate(),
        order=q.sorter(),
        top=q.top,
        cursor=q.cursor,
        count=q.count and q.first_page,
        index_key=q.plan.index_key if q.plan and not q.search else None,
        render=b.renderer(q.select, expand=q.expand, expand_select=q.expand_select),
    )
    return collection("users" + (f"({','.join(q.select)})" if q.select else ""), q, page)


@bp.post("/users")
def create_user() -> Response:
    b = backend()
    user = b.create_user(json_body())
    return entity("users", project("user", user, None), 201)


@bp.get("/users/$count")
def count_users() -> Response:
    require_count_header()
    q = parse_query(USER, count_segment=True)
    page = backend().list_objects(
        "user", predicate=q.predicate(), top=1, count=True, render=lambda o: {}
    )
    return text_response(str(page.count or 0))


@bp.get("/users/delta")
@bp.get("/users/delta()")
def users_delta() -> Response:
    return delta_response("user", USER, "users", extra=("manager",))


@bp.get("/users/<key>")
def get_user(key: str) -> Response:
    b = backend()
    q = parse_query(USER, expandable=("manager",))
    uid = b.resolve("user", key)
    item = b.list_objects(
        "user",
        index_key=("id", [uid]),
        render=b.renderer(q.select, expand=q.expand, expand_select=q.expand_select),
    ).items
    if not item:
        raise not_found(key)
    return entity("users", item[0])


@bp.patch("/users/<key>")
def update_user(key: str) -> Response:
    backend().update_user(key, json_body())
    return no_content()


@bp.delete("/users/<key>")
def delete_user(key: str) -> Response:
    backend().delete_user(key)
    return no_content()


@bp.get("/users/<key>/manager")
def get_manager(key: str) -> Response:
    b = backend()
    q = parse_query(USER)
    mgr = b.manager_of(key)
    if mgr is None:
        raise not_found("manager")
    return entity("directoryObjects", project("user", mgr, q.select, with_type=True))


@bp.get("/users/<key>/manager/$ref")
def get_manager_ref(key: str) -> Response:
    b = backend()
    mgr = b.manager_of(key)
    if mgr is None:
        raise not_found("manager")
    return json_response(
        {
            "@odata.context": context_url("$ref"),
            "@odata.id": f"{base_url()}/v1.0/directoryObjects/{mgr['id']}",
        }
    )


@bp.put("/users/<key>/manager/$ref")
def set_manager(key: str) -> Response:
    backend().set_manager(key, ref_id(reference_url()))
    return no_content()


@bp.delete("/users/<key>/manager/$ref")
def remove_manager(key: str) -> Response:
    backend().remove_manager(key)
    return no_content()


@bp.get("/users/<key>/directReports")
def direct_reports(key: str) -> Response:
    return related_collection(
        "user", key, "directReports", None, USER, counted=False, allow_search=False
    )


def _membership(key: str, relation: str, cast: str | None) -> Response:
    return related_collection("user", key, relation, cast, GROUP)


@bp.get("/users/<key>/memberOf")
def member_of(key: str) -> Response:
    return _membership(key, "memberOf", None)


@bp.get("/users/<key>/memberOf/<cast>")
def member_of_cast(key: str, cast: str) -> Response:
    return _membership(key, "memberOf", cast)


@bp.get("/users/<key>/transitiveMemberOf")
def transitive_member_of(key: str) -> Response:
    return _membership(key, "transitiveMemberOf", None)


@bp.get("/users/<key>/transitiveMemberOf/<cast>")
def transitive_member_of_cast(key: str, cast: str) -> Response:
    return _membership(key, "transitiveMemberOf", cast)


@bp.get("/users/<key>/memberOf/$count")
def member_of_count(key: str) -> Response:
    require_count_header()
    b = backend()
    return text_response(str(b.count_related("memberOf", b.resolve("user", key))))


@bp.get("/users/<key>/appRoleAssignments")
def list_user_assignments(key: str) -> Response:
    return principal_assignments("users", key, include_group_grants=True)


@bp.post("/users/<key>/appRoleAssignments")
def create_user_assignment(key: str) -> Response:
    return create_principal_assignment("users", key)


@bp.get("/users/<key>/appRoleAssignments/<aid>")
def get_user_assignment(key: str, aid: str) -> Response:
    b = backend()
    uid = b.resolve("user", key)
    item = b.get_assignment(aid)
    if item is None or item["principalId"] != uid:
        raise not_found(aid)
    return entity(f"users('{uid}')/appRoleAssignments", item)


@bp.delete("/users/<key>/appRoleAssignments/<aid>")
def delete_user_assignment(key: str, aid: str) -> Response:
    b = backend()
    b.remove_app_role_assignment(aid, principal_id=b.resolve("user", key))
    return no_content()
