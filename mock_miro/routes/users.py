"""``/Users``: list (filter, sort, pages), create, and get, replace, patch, delete by id."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..listing import parse_page, parse_sort, project
from ..schemas import ENTERPRISE_SCHEMA, USER_SCHEMA
from ..wire import backend, base_url, json_body, no_content, scim_response
from .shared import list_response, projection

bp = Blueprint("users", __name__)

_USER_EXT = (ENTERPRISE_SCHEMA.lower(),)


@bp.get("/Users")
def list_users() -> Response:
    include, exclude = projection(USER_SCHEMA, _USER_EXT)
    page = parse_page(request.args, backend().settings.max_results)
    sort = parse_sort(request.args, USER_SCHEMA)
    total, found = backend().list_users(request.args.get("filter"), sort, page, base_url())
    return list_response(total, page.start_index, [project(r, include, exclude) for r in found])


@bp.post("/Users")
def create_user() -> Response:
    include, exclude = projection(USER_SCHEMA, _USER_EXT)
    created = backend().create_user(json_body(), base_url())
    return scim_response(
        project(created, include, exclude), 201, {"Location": created["meta"]["location"]}
    )


@bp.get("/Users/<uid>")
def get_user(uid: str) -> Response:
    include, exclude = projection(USER_SCHEMA, _USER_EXT)
    return scim_response(project(backend().get_user(uid, base_url()), include, exclude))


@bp.put("/Users/<uid>")
def replace_user(uid: str) -> Response:
    include, exclude = projection(USER_SCHEMA, _USER_EXT)
    found = backend().replace_user(uid, json_body(), base_url())
    return scim_response(project(found, include, exclude))


@bp.patch("/Users/<uid>")
def patch_user(uid: str) -> Response:
    include, exclude = projection(USER_SCHEMA, _USER_EXT)
    found = backend().patch_user(uid, json_body(), base_url())
    return scim_response(project(found, include, exclude))


@bp.delete("/Users/<uid>")
def delete_user(uid: str) -> Response:
    projection(USER_SCHEMA, _USER_EXT)  # a bad attributes parameter is refused on any method
    backend().delete_user(uid)
    return no_content()
