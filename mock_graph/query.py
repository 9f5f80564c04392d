"""The OData query options of one listing request (``$filter``, ``$select``, ``$top``,
``$orderby``, ``$search``, ``$count``, ``$expand``), checked against Graph's rules and restored
from ``$skiptoken`` on later pages; and the collection envelope a page is answered in."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request

from mock_graph.exceptions import bad_request, unsupported_query
from mock_graph.models import Page
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
from mock_graph.schemas import TYPES, EntityType
from mock_graph.wire import (
    backend,
    context_url,
    decode_token,
    encode_token,
    is_eventual,
    json_response,
)

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
