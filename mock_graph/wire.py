"""Graph on the wire: JSON bodies in and out, Graph's error envelope, paging tokens and the
absolute links built from the request's own host. Every route module uses these."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Response, current_app, g, request

from fakekit.validation import JsonInputError, parse_json
from mock_graph.exceptions import GraphError, bad_request
from mock_graph.models import GraphBackend

JSON = "application/json"
# What Graph puts in Content-Type; msgraph-sdk also accepts plain application/json.
GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


def backend() -> GraphBackend:
    found: GraphBackend = current_app.extensions["mock_graph"]
    return found


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
    """The request's JSON object, checked by the shared validation layer (depth, lone
    surrogates, numbers no property can hold), or Graph's 400 for anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise bad_request("Empty Payload. JSON content expected.", code="BadRequest")
    try:
        data = parse_json(raw)
    except JsonInputError as exc:
        raise bad_request(
            f"Unable to read JSON request payload: {exc}. Please ensure Content-Type header is "
            "set and payload is of valid JSON format.",
            code="BadRequest",
        ) from exc
    if not isinstance(data, dict):
        raise bad_request(
            "Unable to read JSON request payload: expected a JSON object.", code="BadRequest"
        )
    return data


def is_eventual() -> bool:
    return request.headers.get("ConsistencyLevel", "").strip().lower() == "eventual"


def entity(fragment: str, item: dict[str, Any], status: int = 200) -> Response:
    body = {"@odata.context": context_url(f"{fragment}/$entity")}
    body.update(item)
    return json_response(body, status)
