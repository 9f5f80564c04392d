"""Discovery (``/ServiceProviderConfig``, ``/ResourceTypes``, ``/Schemas``) and the endpoints
Miro does not offer (``/.search``, ``/Bulk``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g

from ..exceptions import method_not_allowed, not_found, not_implemented
from ..schemas import LIST_SCHEMA, RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG
from ..wire import base_url, media_type

bp = Blueprint("discovery", __name__)

# Built once per base URL (locations are absolute), then served from here.
_DISCOVERY_CACHE: dict[tuple[str, str], tuple[str, Any]] = {}


def _cached(key: str, build: Callable[[str], Any]) -> Response:
    base = base_url()
    cached = _DISCOVERY_CACHE.get((base, key))
    if cached is None:
        document = build(base)
        cached = _DISCOVERY_CACHE[(base, key)] = (json.dumps(document), document)
    g.journal_response = cached[1]
    return Response(cached[0], status=200, mimetype=media_type())


def _with_meta(doc: dict[str, Any], resource_type: str, location: str) -> dict[str, Any]:
    return {**doc, "meta": {"resourceType": resource_type, "location": location}}


def _list(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    }


def _resource_type(base: str, rid: str) -> dict[str, Any]:
    return _with_meta(RESOURCE_TYPES[rid], "ResourceType", f"{base}/ResourceTypes/{rid}")


def _schema(base: str, urn: str) -> dict[str, Any]:
    return _with_meta(SCHEMAS[urn], "Schema", f"{base}/Schemas/{urn}")


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    return _cached(
        "spc",
        lambda base: _with_meta(
            SERVICE_PROVIDER_CONFIG, "ServiceProviderConfig", f"{base}/ServiceProviderConfig"
        ),
    )


@bp.get("/ResourceTypes")
def resource_types() -> Response:
    return _cached("rts", lambda base: _list([_resource_type(base, r) for r in RESOURCE_TYPES]))


@bp.get("/ResourceTypes/<rid>")
def resource_type(rid: str) -> Response:
    found = next((r for r in RESOURCE_TYPES if r.lower() == rid.lower()), None)
    if found is None:
        raise not_found(f"Resource type {rid} not found")
    return _cached(f"rt:{found}", lambda base: _resource_type(base, found))


@bp.get("/Schemas")
def schemas() -> Response:
    return _cached("schemas", lambda base: _list([_schema(base, s) for s in SCHEMAS]))


@bp.get("/Schemas/<path:urn>")
def schema(urn: str) -> Response:
    found = next((s for s in SCHEMAS if s.lower() == urn.lower()), None)
    if found is None:
        raise not_found(f"Schema {urn} not found")
    return _cached(f"schema:{found}", lambda base: _schema(base, found))


@bp.post("/.search")
def search() -> Response:
    # The same answer as POST /Users/.search and /Groups/.search: Miro documents no search
    # endpoint, and 405 is its status for a method it does not support
    # (https://developers.miro.com/docs/errors).
    raise method_not_allowed()


@bp.post("/Bulk")
def bulk() -> Response:
    raise not_implemented(
        "Bulk operations aren't supported. Each request must target a single resource."
    )
