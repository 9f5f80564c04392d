"""``/Groups``: teams (the default model, which SCIM can read and patch but not create, replace
or delete) or user groups (full CRUD), by the ``model`` setting."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..exceptions import method_not_allowed
from ..listing import excludes, parse_page, parse_sort, project
from ..schemas import GROUP_SCHEMA
from ..wire import backend, base_url, json_body, no_content, scim_response
from .shared import list_response, projection

bp = Blueprint("groups", __name__)


def _teams_model() -> bool:
    return backend().settings.model == "teams"


def _refuse_in_teams_model(what: str) -> None:
    if _teams_model():
        raise method_not_allowed(
            f"Miro doesn't support the requested method: teams {what} via SCIM"
        )


@bp.get("/Groups")
def list_groups() -> Response:
    include, exclude = projection(GROUP_SCHEMA)
    page = parse_page(request.args, backend().settings.max_results)
    sort = parse_sort(request.args, GROUP_SCHEMA)
    with_members = not excludes(exclude, "members")
    total, found = backend().list_groups(
        request.args.get("filter"), sort, page, base_url(), with_members
    )
    return list_response(total, page.start_index, [project(r, include, exclude) for r in found])


@bp.post("/Groups")
def create_group() -> Response:
    include, exclude = projection(GROUP_SCHEMA)
    _refuse_in_teams_model("cannot be created")
    created = backend().create_group(json_body(), base_url())
    return scim_response(
        project(created, include, exclude), 201, {"Location": created["meta"]["location"]}
    )


@bp.get("/Groups/<gid>")
def get_group(gid: str) -> Response:
    include, exclude = projection(GROUP_SCHEMA)
    with_members = not excludes(exclude, "members")
    return scim_response(
        project(backend().get_group(gid, base_url(), with_members), include, exclude)
    )


@bp.patch("/Groups/<gid>")
def patch_group(gid: str) -> Response:
    include, exclude = projection(GROUP_SCHEMA)
    with_members = not excludes(exclude, "members")
    found = backend().patch_group(gid, json_body(), base_url(), with_members)
    return scim_response(project(found, include, exclude))


@bp.put("/Groups/<gid>")
def replace_group(gid: str) -> Response:
    include, exclude = projection(GROUP_SCHEMA)
    _refuse_in_teams_model("cannot be replaced or deleted")
    return scim_response(
        project(backend().replace_group(gid, json_body(), base_url()), include, exclude)
    )


@bp.delete("/Groups/<gid>")
def delete_group(gid: str) -> Response:
    projection(GROUP_SCHEMA)  # a bad attributes parameter is refused on any method
    _refuse_in_teams_model("cannot be replaced or deleted")
    backend().delete_group(gid)
    return no_content()
