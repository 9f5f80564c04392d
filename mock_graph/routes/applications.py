"""``/v1.0/applications`` and ``/v1.0/servicePrincipals`` (also by ``(appId='…')``), app roles,
``appRoleAssignedTo`` and the fake-only ``appRoleAssignedTo/delta`` feed."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_graph.exceptions import bad_request, not_found
from mock_graph.models import project
from mock_graph.query import collection, parse_query
from mock_graph.routes.delta import delta_response
from mock_graph.routes.shared import (
    create_principal_assignment,
    principal_assignments,
    require_count_header,
    text_field,
)
from mock_graph.schemas import APP_ROLE_ASSIGNMENT, TYPES
from mock_graph.wire import (
    backend,
    context_url,
    entity,
    json_body,
    json_response,
    no_content,
    text_response,
)

bp = Blueprint("graph_applications", __name__, url_prefix="/v1.0")

_PLURAL = {"application": "applications", "servicePrincipal": "servicePrincipals"}


def _list(kind: str) -> Response:
    b = backend()
    q = parse_query(TYPES[kind])
    page = b.list_objects(
        kind,
        predicate=q.predicate(),
        order=q.sorter(),
        top=q.top,
        cursor=q.cursor,
        count=q.count and q.first_page,
        render=b.renderer(q.select),
    )
    return collection(_PLURAL[kind], q, page)


def _get(kind: str, oid: str) -> Response:
    b = backend()
    q = parse_query(TYPES[kind])
    return entity(_PLURAL[kind], b.render(oid, q.select, kind=kind))


def _count(kind: str) -> Response:
    require_count_header()
    q = parse_query(TYPES[kind], count_segment=True)
    page = backend().list_objects(
        kind, predicate=q.predicate(), top=1, count=True, render=lambda o: {}
    )
    return text_response(str(page.count or 0))


def _patch(kind: str, oid: str) -> Response:
    b = backend()
    body = json_body()
    if kind == "application":
        b.update_application(oid, body)
    else:
        b.update_service_principal(oid, body)
    return no_content()


def _delete(kind: str, oid: str) -> Response:
    backend().delete_object(kind, oid)
    return no_content()


# applications ---------------------------------------------------------------


@bp.get("/applications")
def list_applications() -> Response:
    return _list("application")


@bp.post("/applications")
def create_application() -> Response:
    app = backend().create_application(json_body())
    return entity("applications", project("application", app, None), 201)


@bp.get("/applications/$count")
def count_applications() -> Response:
    return _count("application")


@bp.get("/applications/<oid>")
def get_application(oid: str) -> Response:
    return _get("application", oid)


@bp.get("/applications(appId='<app_id>')")
def get_application_by_app_id(app_id: str) -> Response:
    return _get("application", backend().resolve_app_id("application", app_id))


@bp.patch("/applications/<oid>")
def patch_application(oid: str) -> Response:
    return _patch("application", oid)


@bp.patch("/applications(appId='<app_id>')")
def patch_application_by_app_id(app_id: str) -> Response:
    return _patch("application", backend().resolve_app_id("application", app_id))


@bp.delete("/applications/<oid>")
def delete_application(oid: str) -> Response:
    return _delete("application", oid)


@bp.delete("/applications(appId='<app_id>')")
def delete_application_by_app_id(app_id: str) -> Response:
    return _delete("application", backend().resolve_app_id("application", app_id))


@bp.post("/applications/<oid>/addPassword")
def add_password(oid: str) -> Response:
    """https://learn.microsoft.com/en-us/graph/api/application-addpassword: 200 with the new
    passwordCredential, ``secretText`` included this once."""
    credential = backend().add_password(oid, json_body())
    body = {"@odata.context": context_url("microsoft.graph.passwordCredential"), **credential}
    return json_response(body, 200)


@bp.post("/applications(appId='<app_id>')/addPassword")
def add_password_by_app_id(app_id: str) -> Response:
    return add_password(backend().resolve_app_id("application", app_id))


@bp.post("/applications/<oid>/removePassword")
def remove_password(oid: str) -> Response:
    """https://learn.microsoft.com/en-us/graph/api/application-removepassword: 204."""
    backend().remove_password(oid, json_body())
    return no_content()


@bp.post("/applications(appId='<app_id>')/removePassword")
def remove_password_by_app_id(app_id: str) -> Response:
    return remove_password(backend().resolve_app_id("application", app_id))


# service principals -----------------------------------------------------------


@bp.get("/servicePrincipals")
def list_service_principals() -> Response:
    return _list("servicePrincipal")


@bp.post("/servicePrincipals")
def create_service_principal() -> Response:
    sp = backend().create_service_principal(json_body())
    return entity("servicePrincipals", project("servicePrincipal", sp, None), 201)


@bp.get("/servicePrincipals/$count")
def count_service_principals() -> Response:
    return _count("servicePrincipal")


@bp.get("/servicePrincipals/<oid>")
def get_service_principal(oid: str) -> Response:
    return _get("servicePrincipal", oid)


@bp.get("/servicePrincipals(appId='<app_id>')")
def get_service_principal_by_app_id(app_id: str) -> Response:
    return _get("servicePrincipal", backend().resolve_app_id("servicePrincipal", app_id))


@bp.patch("/servicePrincipals/<oid>")
def patch_service_principal(oid: str) -> Response:
    return _patch("servicePrincipal", oid)


@bp.patch("/servicePrincipals(appId='<app_id>')")
def patch_service_principal_by_app_id(app_id: str) -> Response:
    return _patch("servicePrincipal", backend().resolve_app_id("servicePrincipal", app_id))


@bp.delete("/servicePrincipals/<oid>")
def delete_service_principal(oid: str) -> Response:
    return _delete("servicePrincipal", oid)


@bp.delete("/servicePrincipals(appId='<app_id>')")
def delete_service_principal_by_app_id(app_id: str) -> Response:
    return _delete("servicePrincipal", backend().resolve_app_id("servicePrincipal", app_id))


# assignments to a resource ----------------------------------------------------------


@bp.get("/servicePrincipals/<oid>/appRoleAssignedTo")
def list_assigned_to(oid: str) -> Response:
    b = backend()
    oid = b.resolve("servicePrincipal", oid)
    q = parse_query(APP_ROLE_ASSIGNMENT, allow_orderby=False, allow_search=False)
    page = b.list_assignments(
        resource_id=oid,
        predicate=q.predicate(),
        select=q.select,
        top=q.top,
        cursor=q.cursor,
        count=q.count and q.first_page,
        index_key=q.plan.index_key if q.plan else None,
    )
    return collection(f"servicePrincipals('{oid}')/appRoleAssignedTo", q, page)


@bp.post("/servicePrincipals/<oid>/appRoleAssignedTo")
def create_assigned_to(oid: str) -> Response:
    b = backend()
    b.resolve("servicePrincipal", oid)
    body = json_body()
    resource = body.get("resourceId")
    if isinstance(resource, str) and resource.lower() != oid.lower():
        raise bad_request(
            "The resourceId in the request body must match the service principal in the URL."
        )
    item = b.assign_app_role(
        text_field(body, "principalId"),
        text_field(body, "resourceId"),
        text_field(body, "appRoleId"),
    )
    return entity(f"servicePrincipals('{oid}')/appRoleAssignedTo", item, 201)


@bp.get("/servicePrincipals/<oid>/appRoleAssignedTo/delta")
@bp.get("/servicePrincipals/<oid>/appRoleAssignedTo/delta()")
def assigned_to_delta(oid: str) -> Response:
    """Fake-only: the assignment feed the real provisioning engine reads internally."""
    b = backend()
    oid = b.resolve("servicePrincipal", oid)
    return delta_response(
        "assignment",
        APP_ROLE_ASSIGNMENT,
        f"servicePrincipals('{oid}')/appRoleAssignedTo",
        resource=oid,
    )


@bp.get("/servicePrincipals/<oid>/appRoleAssignedTo/<aid>")
def get_assigned_to(oid: str, aid: str) -> Response:
    b = backend()
    b.resolve("servicePrincipal", oid)
    item = b.get_assignment(aid)
    if item is None or item["resourceId"] != oid:
        raise not_found(aid)
    return entity(f"servicePrincipals('{oid}')/appRoleAssignedTo", item)


@bp.delete("/servicePrincipals/<oid>/appRoleAssignedTo/<aid>")
def delete_assigned_to(oid: str, aid: str) -> Response:
    b = backend()
    b.resolve("servicePrincipal", oid)
    b.remove_app_role_assignment(aid, resource_id=oid)
    return no_content()


@bp.get("/servicePrincipals/<oid>/appRoleAssignments")
def list_sp_assignments(oid: str) -> Response:
    return principal_assignments("servicePrincipals", oid)


@bp.post("/servicePrincipals/<oid>/appRoleAssignments")
def create_sp_assignment(oid: str) -> Response:
    return create_principal_assignment("servicePrincipals", oid)
