"""What the Users and Groups routes share: ``attributes``/``excludedAttributes`` and the SCIM
ListResponse envelope."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..listing import AttrSpec, parse_attr_list
from ..schemas import LIST_SCHEMA
from ..wire import scim_response


def projection(
    core_urn: str, ext_urns: tuple[str, ...] = ()
) -> tuple[list[AttrSpec], list[AttrSpec]]:
    """The attributes a request asks for, and those it asks to leave out."""
    if not request.environ.get("QUERY_STRING"):  # most requests: no need to parse a query
        return [], []
    include = parse_attr_list(request.args.get("attributes"), core_urn, ext_urns)
    exclude = parse_attr_list(request.args.get("excludedAttributes"), core_urn, ext_urns)
    return include, exclude


def list_response(total: int, start: int, resources: list[dict[str, Any]]) -> Response:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": len(resources),
            "startIndex": start,
            "Resources": resources,
        }
    )
