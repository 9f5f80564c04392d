"""``GET /v1.0/auditLogs/provisioning`` and ``/v1.0/auditLogs/directoryAudits`` (the provisioning
configuration activities, same query options) over the engine's log stores: ``$filter``, ``$top``,
``$orderby=activityDateTime [asc|desc]`` and paging by an absolute ``@odata.nextLink``."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from flask import Blueprint, current_app, request

from harness.engine.logs.store import DEFAULT_PAGE, LogQueryError, LogStore, Predicate, parse_filter
from harness.graph_api.exceptions import GraphError

MAX_PAGE = 1000


def _encode_token(pos: int, query: dict[str, str]) -> str:
    raw = json.dumps({"after": pos, **query}, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or not isinstance(data.get("after"), int):
            raise ValueError
        return data
    except ValueError as exc:
        raise LogQueryError("Invalid $skiptoken") from exc


# (collection under /v1.0/auditLogs, app.extensions key, what an entry is called in errors)
COLLECTIONS = (
    ("provisioning", "harness_logs", "Provisioning log entry"),
    ("directoryAudits", "harness_audits", "Directory audit entry"),
)
# Top-level properties a $filter may name
# (https://learn.microsoft.com/en-us/graph/api/resources/provisioningobjectsummary, with the beta
# names; directoryAudit).
PROPERTIES = {
    "provisioning": frozenset(
        {
            "id",
            "activityDateTime",
            "tenantId",
            "jobId",
            "cycleId",
            "changeId",
            "durationInMilliseconds",
            "initiatedBy",
            "provisioningAction",
            "provisioningStatusInfo",
            "provisioningSteps",
            "modifiedProperties",
            "servicePrincipal",
            "sourceIdentity",
            "targetIdentity",
            "sourceSystem",
            "targetSystem",
            "action",
            "statusInfo",
        }
    ),
    "directoryAudits": frozenset(
        {
            "id",
            "category",
            "correlationId",
            "result",
            "resultReason",
            "activityDisplayName",
            "activityDateTime",
            "loggedByService",
            "operationType",
            "initiatedBy",
            "targetResources",
            "additionalDetails",
        }
    ),
}


def create_blueprint() -> Blueprint:
    """``/v1.0/auditLogs/provisioning`` and ``/v1.0/auditLogs/directoryAudits`` (the
    provisioning configuration activities); errors are raised as Graph errors."""
    bp = Blueprint("harness_provisioning_logs", __name__)
    for name, key, noun in COLLECTIONS:
        bp.add_url_rule(f"/v1.0/auditLogs/{name}", f"list_{name}", _lister(name, key))
        bp.add_url_rule(f"/v1.0/auditLogs/{name}/<entry_id>", f"get_{name}", _getter(key, noun))
    return bp


def _lister(name: str, key: str) -> Any:
    def list_entries() -> Any:
        store: LogStore = current_app.extensions[key]
        args = request.args
        try:
            if "$skiptoken" in args:
                state = _decode_token(args["$skiptoken"])
                after: int | None = state["after"]
                query = {k: v for k, v in state.items() if k != "after"}
            else:
                after = None
                query = {k: args[k] for k in ("$filter", "$top", "$orderby") if k in args}
            top = _parse_top(query.get("$top"))
            descending = _parse_orderby(query.get("$orderby"))
            raw_filter = query.get("$filter")
            if raw_filter is not None and not raw_filter.strip():
                raise LogQueryError("Invalid filter clause: the $filter is empty")
            predicate = parse_filter(raw_filter, PROPERTIES[name]) if raw_filter else None
        except LogQueryError as exc:
            raise GraphError(400, "BadRequest", str(exc)) from exc
        page, more = store.query(predicate, descending=descending, after=after, limit=top)
        root = request.host_url.rstrip("/")
        body: dict[str, Any] = {
            "@odata.context": f"{root}/v1.0/$metadata#auditLogs/{name}",
            "value": [entry for _, entry in page],
        }
        if more and page:
            token = _encode_token(page[-1][0], query)
            body["@odata.nextLink"] = f"{root}/v1.0/auditLogs/{name}?$skiptoken={token}"
        return body

    return list_entries


def _getter(key: str, noun: str) -> Any:
    def get_entry(entry_id: str) -> Any:
        store: LogStore = current_app.extensions[key]
        page, _ = store.query(Predicate("cmp", op="eq", path="id", value=entry_id), limit=1)
        if not page:
            raise GraphError(
                404, "Request_ResourceNotFound", f"{noun} '{entry_id}' does not exist."
            )
        return page[0][1]

    return get_entry


def _parse_top(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not re.fullmatch(r"\d+", raw.strip()) or not 1 <= int(raw) <= MAX_PAGE:
        raise LogQueryError(f"Invalid $top value '{raw}': use an integer from 1 to {MAX_PAGE}")
    return int(raw)


def _parse_orderby(raw: str | None) -> bool:
    if raw is None:
        return True
    parts = raw.split()
    if (
        not parts
        or parts[0] != "activityDateTime"
        or len(parts) > 2
        or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc"))
    ):
        raise LogQueryError(
            f"Invalid $orderby '{raw}': only activityDateTime asc|desc is supported"
        )
    return len(parts) == 1 or parts[1].lower() == "desc"
