"""The SCIM routes: parse the request, call the state, serialise (Flask blueprint)."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from .exceptions import (
    ScimError,
    invalid_syntax,
    method_not_allowed,
    not_found,
    not_implemented,
    scim_disabled,
    too_large,
    too_many_requests,
    unauthorized,
    unsupported_media_type,
)
from .listing import excludes, parse_attr_list, parse_page, parse_sort, project
from .models import SENT_BODY, MiroBackend
from .schemas import (
    ENTERPRISE_SCHEMA,
    GROUP_SCHEMA,
    LIST_SCHEMA,
    RESOURCE_TYPES,
    SCHEMAS,
    SERVICE_PROVIDER_CONFIG,
    USER_SCHEMA,
)

PREFIX = "/api/v1/scim"
SCIM_MEDIA = "application/scim+json"
ACCEPTED_MEDIA = frozenset({SCIM_MEDIA, "application/json"})
GROUP_PATCH_LARGE_BYTES = 500  # DOC-RL: 5 per 30 s above, 100 below

bp = Blueprint("scim", __name__, url_prefix=PREFIX)


def backend() -> MiroBackend:
    found: MiroBackend = current_app.extensions["mock_miro"]
    return found


def base_url() -> str:
    return request.host_url.rstrip("/") + PREFIX


def _media_type() -> str:
    accept = request.headers.get("Accept", "")
    if "application/json" in accept and SCIM_MEDIA not in accept and "*/*" not in accept:
        return "application/json"
    return SCIM_MEDIA


def scim_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    g.journal_response = SENT_BODY  # the journal keeps the bytes below and decodes them on read
    body = json.dumps(obj, ensure_ascii=False)
    response = Response(body, status=status, mimetype=_media_type())
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(error: ScimError) -> Response:
    return scim_response(error.body(), error.status, error.headers)


def json_body() -> Any:
    raw = request.get_data(cache=True)
    if not raw:
        raise invalid_syntax("The request body is empty")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise invalid_syntax(f"The request body is not valid JSON: {str(exc)[:120]}") from exc


# ---------------------------------------------------------------- request guards

_RATE_KEYS = {
    ("GET", "scim.users"): "GET /Users",
    ("POST", "scim.users"): "POST /Users",
    ("GET", "scim.user"): "GET /Users/{id}",
    ("PUT", "scim.user"): "PUT /Users/{id}",
    ("PATCH", "scim.user"): "PATCH /Users/{id}",
    ("DELETE", "scim.user"): "DELETE /Users/{id}",
    ("GET", "scim.groups"): "GET /Groups",
    ("GET", "scim.group"): "GET /Groups/{id}",
}


def _fault_response() -> Response | None:
    fault = backend().faults.match(request.method, request.path)
    if fault is None:
        return None
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.status is None:
        return None
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    body = fault.body
    if body is None:
        if fault.status == 429:
            body = too_many_requests(fault.retry_after or 1).body()
        else:
            body = ScimError(fault.status, f"Injected fault {fault.id}").body()
    if fault.status == 204:
        g.journal_response = None
        return Response(status=204, headers=headers)
    return scim_response(body, fault.status, headers)


@bp.before_request
def guard() -> Response | None:
    g.started = time.monotonic()
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup, not twenty
    state = backend()
    # Bounds reads of bodies without a Content-Length: a read stops one byte past the limit,
    # which the size check below turns into 413.
    req.max_content_length = state.settings.max_payload_bytes + 1
    if state.faults:  # an empty fault book needs no lock
        fault = _fault_response()
        if fault is not None:
            return fault
    settings = state.settings
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() != settings.token:
        raise unauthorized()
    if not settings.scim_enabled:
        raise scim_disabled()
    method = req.method
    if settings.rate_limits:
        endpoint = req.endpoint or ""
        key = _RATE_KEYS.get((method, endpoint))
        if method == "PATCH" and endpoint == "scim.group":
            size = req.content_length or len(req.get_data(cache=True))
            key = "PATCH /Groups/{id} " + ("large" if size > GROUP_PATCH_LARGE_BYTES else "small")
        if key is not None:
            with state.lock:
                retry = state.rate_limiter.hit(key, state.now())
            if retry is not None:
                raise too_many_requests(retry)
    limit = settings.max_payload_bytes
    length = req.content_length
    if length is not None and length > limit:
        raise too_large(f"Request payload exceeds {limit} bytes")
    if method in ("POST", "PUT", "PATCH"):
        raw = req.get_data(cache=True)
        if len(raw) > limit:
            raise too_large(f"Request payload exceeds {limit} bytes")
        if (req.content_type or raw) and req.mimetype not in ACCEPTED_MEDIA:
            raise unsupported_media_type(
                f"Unsupported media type '{req.content_type or ''}': use {SCIM_MEDIA} or application/json"
            )
    return None


# ---------------------------------------------------------------- discovery

# Built once per base URL (locations are absolute), then served from here.
_DISCOVERY_CACHE: dict[tuple[str, str], tuple[str, Any]] = {}


def _cached(key: str, build: Any) -> Response:
    base = base_url()
    cached = _DISCOVERY_CACHE.get((base, key))
    if cached is None:
        document = build(base)
        cached = _DISCOVERY_CACHE[(base, key)] = (json.dumps(document), document)
    g.journal_response = cached[1]
    return Response(cached[0], status=200, mimetype=_media_type())


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


@bp.route("/ServiceProviderConfig", methods=["GET"])
def service_provider_config() -> Response:
    return _cached(
        "spc",
        lambda base: _with_meta(
            SERVICE_PROVIDER_CONFIG, "ServiceProviderConfig", f"{base}/ServiceProviderConfig"
        ),
    )


def _resource_type(base: str, rid: str) -> dict[str, Any]:
    return _with_meta(RESOURCE_TYPES[rid], "ResourceType", f"{base}/ResourceTypes/{rid}")


def _schema(base: str, urn: str) -> dict[str, Any]:
    return _with_meta(SCHEMAS[urn], "Schema", f"{base}/Schemas/{urn}")


@bp.route("/ResourceTypes", methods=["GET"])
def resource_types() -> Response:
    return _cached("rts", lambda base: _list([_resource_type(base, r) for r in RESOURCE_TYPES]))


@bp.route("/ResourceTypes/<rid>", methods=["GET"])
def resource_type(rid: str) -> Response:
    found = next((r for r in RESOURCE_TYPES if r.lower() == rid.lower()), None)
    if found is None:
        raise not_found(f"Resource type {rid} not found")
    return _cached(f"rt:{found}", lambda base: _resource_type(base, found))


@bp.route("/Schemas", methods=["GET"])
def schemas() -> Response:
    return _cached("schemas", lambda base: _list([_schema(base, s) for s in SCHEMAS]))


@bp.route("/Schemas/<path:urn>", methods=["GET"])
def schema(urn: str) -> Response:
    found = next((s for s in SCHEMAS if s.lower() == urn.lower()), None)
    if found is None:
        raise not_found(f"Schema {urn} not found")
    return _cached(f"schema:{found}", lambda base: _schema(base, found))


@bp.route("/.search", methods=["POST"])
def search() -> Response:
    raise not_implemented("Miro does not support searching with POST /.search")


@bp.route("/Bulk", methods=["POST"])
def bulk() -> Response:
    raise not_implemented(
        "Bulk operations aren't supported. Each request must target a single resource."
    )


# ---------------------------------------------------------------- listing helpers


def _projection(core_urn: str, ext_urns: tuple[str, ...] = ()) -> tuple[list[Any], list[Any]]:
    include = parse_attr_list(request.args.get("attributes"), core_urn, ext_urns)
    exclude = parse_attr_list(request.args.get("excludedAttributes"), core_urn, ext_urns)
    return include, exclude


def _list_response(total: int, start: int, resources: list[dict[str, Any]]) -> Response:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": len(resources),
            "startIndex": start,
            "Resources": resources,
        }
    )


_USER_EXT = (ENTERPRISE_SCHEMA.lower(),)


# ---------------------------------------------------------------- users


@bp.route("/Users", methods=["GET", "POST"])
def users() -> Response:
    include, exclude = _projection(USER_SCHEMA, _USER_EXT)
    if request.method == "POST":
        created = backend().create_user(json_body(), base_url())
        return scim_response(
            project(created, include, exclude), 201, {"Location": created["meta"]["location"]}
        )
    page = parse_page(request.args)
    sort = parse_sort(request.args, USER_SCHEMA)
    total, found = backend().list_users(request.args.get("filter"), sort, page, base_url())
    return _list_response(total, page.start_index, [project(r, include, exclude) for r in found])


@bp.route("/Users/<uid>", methods=["GET", "PUT", "PATCH", "DELETE"])
def user(uid: str) -> Response:
    state = backend()
    include, exclude = _projection(USER_SCHEMA, _USER_EXT)
    if request.method == "DELETE":
        state.delete_user(uid)
        g.journal_response = None
        return Response(status=204)
    if request.method == "GET":
        found = state.get_user(uid, base_url())
    elif request.method == "PUT":
        found = state.replace_user(uid, json_body(), base_url())
    else:
        found = state.patch_user(uid, json_body(), base_url())
    return scim_response(project(found, include, exclude))


# ---------------------------------------------------------------- groups


def _teams_model() -> bool:
    return backend().settings.model == "teams"


@bp.route("/Groups", methods=["GET", "POST"])
def groups() -> Response:
    include, exclude = _projection(GROUP_SCHEMA)
    if request.method == "POST":
        if _teams_model():
            raise method_not_allowed(
                "Miro doesn't support the requested method: teams cannot be created via SCIM"
            )
        created = backend().create_group(json_body(), base_url())
        return scim_response(
            project(created, include, exclude), 201, {"Location": created["meta"]["location"]}
        )
    page = parse_page(request.args)
    sort = parse_sort(request.args, GROUP_SCHEMA)
    with_members = not excludes(exclude, "members")
    total, found = backend().list_groups(
        request.args.get("filter"), sort, page, base_url(), with_members
    )
    return _list_response(total, page.start_index, [project(r, include, exclude) for r in found])


@bp.route("/Groups/<gid>", methods=["GET", "PUT", "PATCH", "DELETE"])
def group(gid: str) -> Response:
    state = backend()
    include, exclude = _projection(GROUP_SCHEMA)
    with_members = not excludes(exclude, "members")
    if request.method == "GET":
        return scim_response(
            project(state.get_group(gid, base_url(), with_members), include, exclude)
        )
    if request.method == "PATCH":
        found = state.patch_group(gid, json_body(), base_url(), with_members)
        return scim_response(project(found, include, exclude))
    if _teams_model():
        raise method_not_allowed(
            "Miro doesn't support the requested method: teams cannot be replaced or deleted via SCIM"
        )
    if request.method == "PUT":
        return scim_response(
            project(state.replace_group(gid, json_body(), base_url()), include, exclude)
        )
    state.delete_group(gid)
    g.journal_response = None
    return Response(status=204)
