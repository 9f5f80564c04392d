"""What several route modules share: ``$count`` segments, type-cast segments, ``$ref``
bodies, related-object collections and a principal's app role assignments."""

from __future__ import annotations

from typing import Any

from flask import Response

from mock_graph.exceptions import GraphError, bad_request
from mock_graph.query import collection, parse_query
from mock_graph.schemas import APP_ROLE_ASSIGNMENT, TYPES, EntityType, cast_kind
from mock_graph.wire import backend, entity, is_eventual, json_body


def require_count_header() -> None:
    """The ``/$count`` segment needs ConsistencyLevel: eventual
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    if backend().settings.strict_queries and not is_eventual():
        raise bad_request("$count is not currently supported.")


def graph_error_for_segment(segment: str) -> GraphError:
    return bad_request(f"Resource not found for the segment '{segment}'.", code="BadRequest")


def cast_segment_kind(segment: str) -> str:
    """The object kind a type-cast segment names, or Graph's 400 for an unknown segment."""
    kind = cast_kind(segment)
    if kind is None:
        raise graph_error_for_segment(segment)
    return kind


def assign_from_body(expected_principal: str) -> dict[str, Any]:
    """The app role assignment a ``POST .../appRoleAssignments`` body asks for, created."""
    body = json_body()
    return backend().assign_app_role(
        text_field(body, "principalId"),
        text_field(body, "resourceId"),
        text_field(body, "appRoleId"),
        expected_principal=expected_principal,
    )


def text_field(body: dict[str, Any], name: str) -> str:
    """A string property of a request body; "" when it is missing or not a string (the
    backend then refuses it as it refuses any other value that is not a GUID)."""
    value = body.get(name)
    return value if isinstance(value, str) else ""


def reference_url() -> Any:
    """The ``@odata.id`` of a ``$ref`` request body (required)."""
    body = json_body()
    if "@odata.id" not in body:
        raise bad_request("The required property '@odata.id' is missing.", code="BadRequest")
    return body["@odata.id"]


def related_collection(
    owner_kind: str,
    key: str,
    relation: str,
    cast: str | None,
    default_type: EntityType,
    *,
    counted: bool = True,
    allow_search: bool = True,
) -> Response:
    """A directoryObject collection related to one object (members, memberOf, directReports,
    their transitive forms), optionally narrowed by a cast segment (``/graph.user``)."""
    b = backend()
    owner_id = b.resolve(owner_kind, key)
    kind = cast_segment_kind(cast) if cast is not None else None
    q = parse_query(
        TYPES[kind] if kind else default_type, allow_orderby=False, allow_search=allow_search
    )
    page = b.list_related(
        relation,
        owner_id,
        predicate=q.predicate(),
        kind_filter=kind,
        top=q.top,
        cursor=q.cursor,
        count=counted and q.count and q.first_page,
        render=b.renderer(q.select, with_type=True),
    )
    return collection("directoryObjects", q, page)


# The appRoleAssignments of a principal, by entity set: users, groups or servicePrincipals.
_PRINCIPAL_KINDS = {"users": "user", "groups": "group", "servicePrincipals": "servicePrincipal"}


def principal_assignments(
    entity_set: str, key: str, *, include_group_grants: bool = False
) -> Response:
    """``GET /{entity_set}/{key}/appRoleAssignments``."""
    b = backend()
    principal_id = b.resolve(_PRINCIPAL_KINDS[entity_set], key)
    q = parse_query(APP_ROLE_ASSIGNMENT, allow_orderby=False, allow_search=False)
    page = b.list_assignments(
        principal_id=principal_id,
        include_group_grants=include_group_grants,
        predicate=q.predicate(),
        select=q.select,
        top=q.top,
        cursor=q.cursor,
        count=q.count and q.first_page,
    )
    return collection(f"{entity_set}('{principal_id}')/appRoleAssignments", q, page)


def create_principal_assignment(entity_set: str, key: str) -> Response:
    """``POST /{entity_set}/{key}/appRoleAssignments``: 201 with the new assignment."""
    principal_id = backend().resolve(_PRINCIPAL_KINDS[entity_set], key)
    item = assign_from_body(principal_id)
    return entity(f"{entity_set}('{principal_id}')/appRoleAssignments", item, 201)
