"""What every route shares: query-option parsing, paging tokens, absolute links built from the
request's own host, and Graph's collection and entity envelopes."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, g, request

from mock_graph.exceptions import GraphError, bad_request, unsupported_query
from mock_graph.models import GraphBackend, Page
from mock_graph.odata import (
    FilterPlan,
    OrderBy,
    check_orderby,
    check_usages,
    parse_filter,
    parse_orderby,
    parse_search,
    parse_select,
    parse_top,
    sort_records,
)
from mock_graph.render import renderer
from mock_graph.schema import APP_ROLE_ASSIGNMENT, TYPES, EntityType, cast_kind

JSON = "application/json"
# What Graph puts in Content-Type; msgraph-sdk also accepts plain application/json.
GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
KNOWN_OPTIONS = {
    "$filter",
    "$select",
    "$top",
    "$orderby",
    "$search",
    "$count",
    "$expand",
    "$skiptoken",
    "$skip",
    "$format",
    "$deltatoken",
}


def backend() -> GraphBackend:
    return current_app.extensions["mock_graph"]  # type: ignore[no-any-return]


def base_url() -> str:
    return request.host_url.rstrip("/")


def context_url(fragment: str) -> str:
    return f"{base_url()}/v1.0/$metadata#{fragment}"


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(text: str, what: str = "$skiptoken") -> dict[str, Any]:
    try:
        padded = text + "=" * (-len(text) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise bad_request(f"The {what} value '{text[:80]}' is malformed.", code="BadRequest")
    return data


# The body of an injected fault that names none: what Graph sends for that status.
DEFAULT_FAULT_BODIES = {
    429: ("TooManyRequests", "Please retry again later."),
    500: ("generalException", "An unspecified error has occurred."),
    502: ("badGateway", "Bad gateway."),
    503: (
        "serviceNotAvailable",
        "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay.",
    ),
    504: (
        "gatewayTimeout",
        "The server, while acting as a proxy, did not receive a timely response from the upstream server.",
    ),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: (
        "Request_ResourceNotFound",
        "Resource does not exist or one of its queried reference-property objects are not present.",
    ),
    400: ("Request_BadRequest", "Bad request."),
}


def error_response(err: GraphError) -> Response:
    """Graph's ``{"error": {code, message, innerError}}`` envelope for ``err``."""
    inner = {
        "date": backend().now().strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": g.get("request_id", ""),
        "client-request-id": g.get("client_request_id", ""),
    }
    return json_response(err.body(inner), err.status, err.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=None, content_type=GRAPH_JSON
    )
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def no_content() -> Response:
    return Response(status=204)


def text_response(text: str) -> Response:
    return Response(text, status=200, content_type="text/plain;charset=utf-8")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or Graph's 400 for anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise bad_request("Empty Payload. JSON content expected.", code="BadRequest")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format.",
            code="BadRequest",
        ) from exc
    if not isinstance(data, dict):
        raise bad_request(
            "Unable to read JSON request payload: expected a JSON object.", code="BadRequest"
        )
    try:  # "\ud800" parses but can never be written back as UTF-8: refuse it now, not later
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_request(
            "Unable to read JSON request payload: it contains an unpaired surrogate.",
            code="BadRequest",
        ) from exc
    return data


def is_eventual() -> bool:
    return request.headers.get("ConsistencyLevel", "").strip().lower() == "eventual"


@dataclass
class Query:
    """The OData options of one listing, restored from ``$skiptoken`` on later pages."""

    etype: EntityType
    raw: dict[str, str]
    advanced: bool
    plan: FilterPlan | None = None
    select: list[str] | None = None
    top: int = 100
    order: list[OrderBy] = field(default_factory=list)
    search: Callable[[dict[str, Any]], bool] | None = None
    count: bool = False
    expand: str | None = None
    expand_select: list[str] | None = None
    cursor: dict[str, Any] | None = None
    first_page: bool = True

    def predicate(self) -> Callable[[dict[str, Any]], bool] | None:
        preds = [
            p for p in (self.plan.predicate if self.plan else None, self.search) if p is not None
        ]
        if not preds:
            return None
        if len(preds) == 1:
            return preds[0]
        a, b = preds
        return lambda d: a(d) and b(d)

    def sorter(self) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None:
        if not self.order:
            return None
        order = self.order
        return lambda records: sort_records(records, order)


def parse_query(
    etype: EntityType,
    *,
    expandable: tuple[str, ...] = (),
    allow_search: bool = True,
    allow_orderby: bool = True,
    skip_supported: bool = False,
    count_segment: bool = False,
) -> Query:
    args = request.args
    token = args.get("$skiptoken")
    if token is not None:
        saved = decode_token(token)
        raw, cursor = saved.get("q"), saved.get("c")
        if not (
            isinstance(raw, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())
            and isinstance(cursor, dict)
            and _valid_cursor(cursor)
        ):
            raise bad_request(
                f"The $skiptoken value '{token[:80]}' is malformed.", code="BadRequest"
            )
        query = _build(etype, raw, bool(saved.get("adv")), expandable, allow_search, allow_orderby)
        query.cursor = saved["c"]
        query.first_page = False
        return query
    for name in args:
        if name.startswith("$") and name not in KNOWN_OPTIONS:
            raise bad_request(f"Query option '{name}' is not supported.", code="BadRequest")
    if "$skip" in args and not skip_supported:
        raise bad_request("'$skip' is not supported by the service.", code="Request_BadRequest")
    raw = {
        k: args[k]
        for k in ("$filter", "$select", "$top", "$orderby", "$search", "$count", "$expand")
        if k in args
    }
    count_flag = raw.get("$count", "").lower()
    if "$count" in raw and count_flag not in ("true", "false"):
        raise bad_request(
            f"Invalid value '{raw['$count']}' for $count: use true or false.", code="BadRequest"
        )
    # the /$count segment is itself an advanced query: the header alone is enough
    advanced = is_eventual() and (count_flag == "true" or count_segment)
    return _build(
        etype, raw, advanced, expandable, allow_search, allow_orderby, eventual=is_eventual()
    )


def _valid_cursor(cursor: dict[str, Any]) -> bool:
    after, off = cursor.get("after"), cursor.get("off")
    if set(cursor) - {"after", "off"}:
        return False
    if after is not None and not isinstance(after, str):
        return False
    return off is None or (isinstance(off, int) and not isinstance(off, bool) and 0 <= off <= 10**9)


def _build(
    etype: EntityType,
    raw: dict[str, str],
    advanced: bool,
    expandable: tuple[str, ...],
    allow_search: bool,
    allow_orderby: bool,
    *,
    eventual: bool = True,
) -> Query:
    strict = backend().settings.strict_queries
    q = Query(etype, raw, advanced)
    q.top = parse_top(raw.get("$top"), backend().settings.default_page_size)
    q.select = parse_select(raw.get("$select"), etype)
    if "$filter" in raw:
        if not raw["$filter"].strip():
            raise bad_request("Invalid filter clause: empty expression.", code="BadRequest")
        q.plan = parse_filter(raw["$filter"], etype)
        check_usages(q.plan, etype, advanced, strict)
    if "$orderby" in raw:
        if not allow_orderby:
            raise unsupported_query("$orderby is not supported on this collection.")
        q.order = parse_orderby(raw["$orderby"], etype)
        check_orderby(q.order, etype, "$filter" in raw, advanced, strict)
    if "$search" in raw:
        if not allow_search:
            raise unsupported_query("$search is not supported on this collection.")
        if strict and not eventual:
            raise unsupported_query(
                "Request with $search query parameter only works through MSGraph with a special "
                "request header: 'ConsistencyLevel: eventual'"
            )
        q.search = parse_search(raw["$search"], etype)
    if "$expand" in raw:
        text = raw["$expand"].strip()
        target, _, inner = text.partition("(")
        target = target.strip()
        if target not in expandable:
            raise bad_request(
                f"Could not find a property named '{target}' on type 'microsoft.graph.{etype.name}'.",
                code="BadRequest",
            )
        if advanced and strict:
            raise unsupported_query(
                "$expand is not supported with advanced queries (ConsistencyLevel: eventual)."
            )
        q.expand = target
        if inner:
            # members($select=id,displayName): only $select is honoured inside
            m = re.fullmatch(r"\s*\$select=([^()]*)\)\s*", inner)
            if not m:
                raise bad_request(f"Invalid $expand clause '{text}'.", code="BadRequest")
            q.expand_select = parse_select(m.group(1), TYPES["user"], extra=TYPES["group"].props)
    q.count = raw.get("$count", "").lower() == "true" and (advanced or not strict)
    return q


def collection(fragment: str, query: Query, page: Page) -> Response:
    body: dict[str, Any] = {"@odata.context": context_url(fragment)}
    if query.count and query.first_page and page.count is not None:
        body["@odata.count"] = page.count
    if page.cursor is not None:
        token = encode_token({"q": query.raw, "adv": query.advanced, "c": page.cursor})
        body["@odata.nextLink"] = f"{request.base_url}?$skiptoken={token}"
    body["value"] = page.items
    return json_response(body)


def entity(fragment: str, item: dict[str, Any], status: int = 200) -> Response:
    body = {"@odata.context": context_url(f"{fragment}/$entity")}
    body.update(item)
    return json_response(body, status)


def require_count_header() -> None:
    """The ``/$count`` segment needs ConsistencyLevel: eventual (reference §3.2)."""
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
        body.get("principalId"),
        body.get("resourceId"),
        body.get("appRoleId"),  # type: ignore[arg-type]
        expected_principal=expected_principal,
    )


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
        render=renderer(b, q.select, with_type=True),
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
