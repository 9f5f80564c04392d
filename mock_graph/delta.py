"""Delta queries over HTTP: token handling around ``GraphBackend.delta`` (which does the O(changes)
work). Used by ``/users/delta``, ``/groups/delta`` and the fake-only
``/servicePrincipals/{id}/appRoleAssignedTo/delta``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, request

from mock_graph.exceptions import GraphError, bad_request, unsupported_query
from mock_graph.models import iso, parse_iso
from mock_graph.odata import parse_select
from mock_graph.responses import backend, context_url, decode_token, encode_token, json_response
from mock_graph.schema import EntityType

_NOT_IN_DELTA = ("$expand", "$top", "$orderby", "$search", "$filter", "$count", "$skip")


def delta_response(channel: str, etype: EntityType, fragment: str, *, resource: str | None = None, extra: tuple[str, ...] = ()) -> Response:
    b = backend()
    args = request.args
    if "$deltatoken" in args and "$skiptoken" in args:
        raise bad_request("Use either $deltatoken or $skiptoken, not both.", code="BadRequest")
    select: list[str] | None
    if "$deltatoken" in args:
        raw = args["$deltatoken"]
        if raw == "latest":
            select = parse_select(args.get("$select"), etype, extra)
            return _page(channel, fragment, [], None, {"s": b.seq}, select, resource)
        token = _checked(decode_token(raw, "$deltatoken"), channel, resource)
        max_age = b.settings.delta_token_max_age_days
        if max_age is not None and b.now() - parse_iso(str(token.get("t"))) > timedelta(days=max_age):
            raise GraphError(
                400,
                "syncStateNotFound",
                "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            )
        select = token.get("sel")
        state: dict[str, Any] = {"s": token.get("s"), "res": resource}
    elif "$skiptoken" in args:
        token = _checked(decode_token(args["$skiptoken"]), channel, resource)
        select = token.get("sel")
        state = token.get("st")
        if not isinstance(state, dict):
            raise bad_request("The $skiptoken value is malformed.", code="BadRequest")
        state["res"] = resource
    else:
        for name in _NOT_IN_DELTA:
            if name in args:
                raise unsupported_query(f"The query option '{name}' is not supported with delta queries.")
        for name in args:
            if name.startswith("$") and name != "$select":
                raise bad_request(f"Query option '{name}' is not supported.", code="BadRequest")
        select = parse_select(args.get("$select"), etype, extra)
        state = {"init": True, "to": b.seq, "res": resource}
    if select is not None and (not isinstance(select, list) or not all(isinstance(s, str) for s in select)):
        raise bad_request("The token is malformed.", code="BadRequest")
    try:
        items, nxt, final = b.delta(channel, state, select)
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_request("The token is malformed.", code="BadRequest") from exc
    return _page(channel, fragment, items, nxt, final, select, resource)


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
) -> Response:
    body: dict[str, Any] = {"@odata.context": context_url(fragment)}
    if nxt is not None:
        nxt = {k: v for k, v in nxt.items() if k != "res"}
        token = encode_token({"k": channel, "res": resource, "sel": select, "st": nxt})
        body["@odata.nextLink"] = f"{request.base_url}?$skiptoken={token}"
    else:
        assert final is not None
        token = encode_token({"k": channel, "res": resource, "sel": select, "s": final["s"], "t": iso(backend().now())})
        body["@odata.deltaLink"] = f"{request.base_url}?$deltatoken={token}"
    body["value"] = items
    return json_response(body)
