"""Delta queries over HTTP: token handling around ``GraphBackend.delta`` (which does the O(changes)
work). Used by ``/users/delta``, ``/groups/delta`` and the fake-only
``/servicePrincipals/{id}/appRoleAssignedTo/delta``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Response, request

from mock_graph.exceptions import GraphError, bad_request, unsupported_query
from mock_graph.models import iso, parse_iso
from mock_graph.odata import parse_select
from mock_graph.schemas import EntityType
from mock_graph.wire import backend, context_url, decode_token, encode_token, json_response

_NOT_IN_DELTA = ("$expand", "$top", "$orderby", "$search", "$count", "$skip")
_ID_CLAUSE = re.compile(r"\s*id\s+eq\s+'([^']+)'\s*", re.IGNORECASE)
MAX_DELTA_IDS = 50


def parse_id_filter(text: str) -> list[str]:
    """``id eq 'a' or id eq 'b'`` (up to 50): the only $filter delta takes on users and groups."""
    clauses = re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE)
    ids = []
    for clause in clauses:
        m = _ID_CLAUSE.fullmatch(clause)
        if not m:
            raise unsupported_query(
                "Delta supports $filter only as id eq '…' clauses joined by or."
            )
        ids.append(m.group(1))
    if len(ids) > MAX_DELTA_IDS:
        raise unsupported_query(f"Delta $filter supports at most {MAX_DELTA_IDS} ids.")
    return ids


def delta_response(
    channel: str,
    etype: EntityType,
    fragment: str,
    *,
    resource: str | None = None,
    extra: tuple[str, ...] = (),
) -> Response:
    b = backend()
    args = request.args
    if "$deltatoken" in args and "$skiptoken" in args:
        raise bad_request("Use either $deltatoken or $skiptoken, not both.", code="BadRequest")
    select: list[str] | None
    if "$deltatoken" in args:
        raw = args["$deltatoken"]
        if raw == "latest":
            select = parse_select(args.get("$select"), etype, extra)
            return _page(channel, fragment, [], None, {"s": b.seq}, select, resource, None)
        token = _checked(decode_token(raw, "$deltatoken"), channel, resource)
        max_age = b.settings.delta_token_max_age_days
        if max_age is not None and b.now() - parse_iso(str(token.get("t"))) > timedelta(
            days=max_age
        ):
            raise GraphError(
                400,
                "syncStateNotFound",
                "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            )
        select = token.get("sel")
        only = token.get("ids")
        state: dict[str, Any] = {"s": token.get("s"), "res": resource}
    elif "$skiptoken" in args:
        token = _checked(decode_token(args["$skiptoken"]), channel, resource)
        select = token.get("sel")
        only = token.get("ids")
        saved = token.get("st")
        if not isinstance(saved, dict):
            raise bad_request("The $skiptoken value is malformed.", code="BadRequest")
        state = saved
        state["res"] = resource
    else:
        for name in _NOT_IN_DELTA:
            if name in args:
                raise unsupported_query(
                    f"The query option '{name}' is not supported with delta queries."
                )
        for name in args:
            if name.startswith("$") and name not in ("$select", "$filter"):
                raise bad_request(f"Query option '{name}' is not supported.", code="BadRequest")
        select = parse_select(args.get("$select"), etype, extra)
        only = None
        if "$filter" in args:
            if channel == "assignment":
                raise unsupported_query(
                    "The query option '$filter' is not supported with this delta query."
                )
            only = parse_id_filter(args["$filter"])
        state = {"init": True, "to": b.seq, "res": resource}
    if select is not None and (
        not isinstance(select, list) or not all(isinstance(s, str) for s in select)
    ):
        raise bad_request("The token is malformed.", code="BadRequest")
    numbers = [state.get(k) for k in ("s", "to", "from", "pos") if state.get(k) is not None]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        raise bad_request("The token is malformed.", code="BadRequest")
    if select is not None:
        try:
            parse_select(",".join(select), etype, extra)
        except GraphError as exc:
            raise bad_request("The token is malformed.", code="BadRequest") from exc
    if only is not None and (
        not isinstance(only, list) or not all(isinstance(i, str) for i in only)
    ):
        raise bad_request("The token is malformed.", code="BadRequest")
    try:
        items, nxt, final = b.delta(channel, state, select, only)
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request("The token is malformed.", code="BadRequest") from exc
    return _page(channel, fragment, items, nxt, final, select, resource, only)


def _checked(token: dict[str, Any], channel: str, resource: str | None) -> dict[str, Any]:
    if token.get("k") != channel or token.get("res") != resource:
        raise bad_request("The token does not belong to this delta query.", code="BadRequest")
    return token


def _page(
    channel: str,
    fragment: str,
    items: list[dict[str, Any]],
    nxt: dict[str, Any] | None,
    final: dict[str, Any] | None,
    select: list[str] | None,
    resource: str | None,
    only: list[str] | None,
) -> Response:
    body: dict[str, Any] = {"@odata.context": context_url(fragment)}
    if nxt is not None:
        nxt = {k: v for k, v in nxt.items() if k != "res"}
        token = encode_token({"k": channel, "res": resource, "sel": select, "ids": only, "st": nxt})
        body["@odata.nextLink"] = f"{request.base_url}?$skiptoken={token}"
    else:
        assert final is not None
        token = encode_token(
            {
                "k": channel,
                "res": resource,
                "sel": select,
                "ids": only,
                "s": final["s"],
                "t": iso(backend().now()),
            }
        )
        body["@odata.deltaLink"] = f"{request.base_url}?$deltatoken={token}"
    body["value"] = items
    return json_response(body)
