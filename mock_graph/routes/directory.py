"""``/v1.0/directory/deletedItems`` (typed listing, get, restore, permanent delete) and
``/v1.0/directoryObjects`` (get by id, getByIds)."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_graph.exceptions import bad_request, not_found
from mock_graph.models import check_object_id, project
from mock_graph.query import collection, parse_query
from mock_graph.routes.shared import graph_error_for_segment, require_count_header
from mock_graph.schemas import TYPES, cast_kind, is_cast
from mock_graph.wire import (
    backend,
    context_url,
    entity,
    json_body,
    json_response,
    no_content,
    text_response,
)

bp = Blueprint("graph_directory", __name__, url_prefix="/v1.0")

DELETABLE = ("user", "group", "application", "servicePrincipal")


@bp.get("/directory/deletedItems")
def deleted_items_untyped() -> Response:
    raise bad_request(
        "A type cast segment is required to list deleted items, e.g. "
        "/directory/deletedItems/microsoft.graph.user.",
        code="Request_BadRequest",
    )


def _deleted_kind(cast: str) -> str:
    kind = cast_kind(cast)
    if kind not in DELETABLE:
        raise graph_error_for_segment(cast)
    return kind


@bp.get("/directory/deletedItems/<segment>")
def deleted_item_or_listing(segment: str) -> Response:
    b = backend()
    if is_cast(segment):
        kind = _deleted_kind(segment)
        q = parse_query(TYPES[kind])
        page = b.list_deleted(
            kind,
            predicate=q.predicate(),
            order=q.sorter(),
            top=q.top,
            cursor=q.cursor,
            count=q.count and q.first_page,
            render=b.renderer(q.select, with_type=True),
        )
        return collection(f"directory/deletedItems/microsoft.graph.{kind}", q, page)
    obj = b.get_deleted(segment.lower())
    if obj is None:
        check_object_id(segment)
        raise not_found(segment)
    q = parse_query(TYPES[obj.kind])
    return entity("directory/deletedItems", project(obj.kind, obj.data, q.select, with_type=True))


@bp.get("/directory/deletedItems/<cast>/$count")
def deleted_count(cast: str) -> Response:
    require_count_header()
    kind = _deleted_kind(cast)
    page = backend().list_deleted(kind, top=1, count=True, render=lambda o: {})
    return text_response(str(page.count or 0))


@bp.post("/directory/deletedItems/<oid>/restore")
def restore(oid: str) -> Response:
    item = backend().restore(oid.lower())
    return entity("directoryObjects", item)


@bp.delete("/directory/deletedItems/<oid>")
def permanently_delete(oid: str) -> Response:
    backend().permanently_delete(oid.lower())
    return no_content()


@bp.get("/directoryObjects/<oid>")
def directory_object(oid: str) -> Response:
    b = backend()
    return entity("directoryObjects", b.render(oid.lower(), None, with_type=True))


@bp.post("/directoryObjects/getByIds")
def get_by_ids() -> Response:
    body = json_body()
    ids = body.get("ids")
    types = body.get("types")
    if (
        not isinstance(ids, list)
        or not all(isinstance(i, str) for i in ids)
        or not 1 <= len(ids) <= 1000
    ):
        raise bad_request("Invalid value specified for property 'ids': an array of 1 to 1000 ids.")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise bad_request("Invalid value specified for property 'types'.")
    wanted = [t.rsplit(".", 1)[-1] for t in types] if types else None
    objs = backend().objects_by_ids([i.lower() for i in ids], wanted)
    return json_response(
        {
            "@odata.context": context_url("directoryObjects"),
            "value": [project(o.kind, o.data, None, with_type=True) for o in objs],
        }
    )
