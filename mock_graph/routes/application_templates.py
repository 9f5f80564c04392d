"""``/v1.0/applicationTemplates``: the application gallery, and ``instantiate``, which adds an
application and its service principal to the tenant
(https://learn.microsoft.com/en-us/graph/api/resources/applicationtemplate,
https://learn.microsoft.com/en-us/graph/api/applicationtemplate-instantiate)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from mock_graph.exceptions import GraphError, bad_request
from mock_graph.models import Page, project
from mock_graph.query import collection, parse_query
from mock_graph.schemas import APPLICATION_TEMPLATE
from mock_graph.wire import backend, context_url, entity, json_body, json_response

bp = Blueprint("graph_application_templates", __name__, url_prefix="/v1.0")


def _not_found(template_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{template_id}' does not exist or one of its "
        "queried reference-property objects are not present.",
    )


def _selected(template: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if not select:
        return template
    return {k: v for k, v in template.items() if k == "id" or k in select}


@bp.get("/applicationTemplates")
def list_templates() -> Response:
    q = parse_query(APPLICATION_TEMPLATE, allow_search=False)
    found = backend().gallery.templates()
    predicate = q.predicate()
    if predicate is not None:
        found = [t for t in found if predicate(t)]
    sorter = q.sorter()
    if sorter is not None:
        found = sorter(found)
    offset = int((q.cursor or {}).get("off", 0))
    window = found[offset : offset + q.top]
    more = offset + q.top < len(found)
    page = Page(
        [_selected(t, q.select) for t in window],
        {"off": offset + q.top} if more else None,
        len(found) if q.count and q.first_page else None,
    )
    return collection("applicationTemplates", q, page)


@bp.get("/applicationTemplates/<template_id>")
def get_template(template_id: str) -> Response:
    q = parse_query(APPLICATION_TEMPLATE, allow_search=False, allow_orderby=False)
    entry = backend().gallery.get(template_id)
    if entry is None:
        raise _not_found(template_id)
    return entity("applicationTemplates", _selected(dict(entry.template), q.select))


@bp.post("/applicationTemplates/<template_id>/instantiate")
def instantiate(template_id: str) -> Response:
    b = backend()
    entry = b.gallery.get(template_id)
    if entry is None:
        raise _not_found(template_id)
    body = json_body()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request(
            "Invalid value specified for property 'displayName' of resource 'Application'.",
            target="displayName",
        )
    app, sp = b.create_enterprise_app(
        name, app_roles=entry.app_roles, template_id=str(entry.template["id"])
    )
    answer = {
        "@odata.context": context_url("microsoft.graph.applicationServicePrincipal"),
        "application": project("application", app, None),
        "servicePrincipal": project("servicePrincipal", sp, None),
    }
    return json_response(answer, 201)
