"""``POST /v1.0/$batch``: up to 20 requests run through the app itself, so auth, faults and the
journal apply to each item. Accepts both the documented form (relative URLs, ``dependsOn``) and
the one msgraph-sdk sends (absolute URLs, ``depends_on``; observed in its requests). Microsoft
documents batching in https://learn.microsoft.com/en-us/graph/json-batching."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.test import EnvironBuilder, run_wsgi_app

from mock_graph.exceptions import bad_request
from mock_graph.wire import backend, json_body, json_response

bp = Blueprint("graph_batch", __name__, url_prefix="/v1.0")

MAX_REQUESTS = 20
METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}


def _invalid(message: str = "Invalid batch payload format.") -> Exception:
    return bad_request(message, code="BadRequest")


def _relative(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if not backend().settings.batch_accept_absolute_urls:
            raise _invalid()
        path = parts.path
    else:
        path = parts.path
    if not path.startswith("/"):
        path = "/" + path
    for version in ("/v1.0/", "/beta/"):
        if path.startswith(version):
            path = path[len(version) - 1 :]
    return "/v1.0" + path + (f"?{parts.query}" if parts.query else "")


def _validate(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("requests")
    if not isinstance(items, list) or not items:
        raise _invalid()
    if len(items) > MAX_REQUESTS:
        raise _invalid(f"The number of batch requests exceeds the limit of {MAX_REQUESTS}.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            raise _invalid()
        rid, method, url = item.get("id"), item.get("method"), item.get("url")
        if (
            not isinstance(rid, str)
            or not rid
            or not isinstance(method, str)
            or not isinstance(url, str)
            or not url
        ):
            raise _invalid()
        if method.upper() not in METHODS:
            raise _invalid(f"Invalid method '{method}' in batch request '{rid}'.")
        if rid.casefold() in seen:
            raise _invalid(f"Batch request ids must be unique: '{rid}' is repeated.")
        deps = item.get("dependsOn", item.get("depends_on")) or []
        if not isinstance(deps, list) or not all(
            isinstance(d, str) and d.casefold() in seen for d in deps
        ):
            raise _invalid(
                f"Batch request '{rid}' depends on a request that does not come before it."
            )
        headers = item.get("headers")
        if headers is not None and (
            not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
        ):
            raise _invalid()
        if item.get("body") is not None and not isinstance(item["body"], dict | list | str):
            raise _invalid()
        _relative(url)
        seen.add(rid.casefold())
    return items


def _body_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid("A batch request body string must be base64.") from exc
    return json.dumps(body).encode()


@bp.post("/$batch")
def batch() -> Response:
    items = _validate(json_body())
    statuses: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    outer_auth = request.headers.get("Authorization")
    for item in items:
        rid = item["id"]
        deps = item.get("dependsOn", item.get("depends_on")) or []
        if any(statuses.get(d.casefold(), 0) >= 400 for d in deps):
            statuses[rid.casefold()] = 424
            out.append(
                {
                    "id": rid,
                    "status": 424,
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "error": {
                            "code": "FailedDependency",
                            "message": "The request could not be completed because a request it depends on failed.",
                        }
                    },
                }
            )
            continue
        out.append(_dispatch(item, outer_auth))
        statuses[rid.casefold()] = out[-1]["status"]
    return json_response({"responses": out})


def _dispatch(item: dict[str, Any], outer_auth: str | None) -> dict[str, Any]:
    url = _relative(item["url"])
    path, _, query = url.partition("?")
    headers = {k: v for k, v in (item.get("headers") or {}).items()}
    if outer_auth and not any(k.lower() == "authorization" for k in headers):
        headers["Authorization"] = outer_auth
    data = _body_bytes(item.get("body"))
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    builder = EnvironBuilder(
        path=path,
        base_url=request.host_url,
        query_string=query,
        method=item["method"].upper(),
        headers=headers,
        data=data,
    )
    environ = builder.get_environ()
    environ["mock_graph.batch_item"] = item["id"]
    app_iter, status, resp_headers = run_wsgi_app(current_app.wsgi_app, environ, buffered=True)
    try:
        raw = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close:
            close()
    code = int(status.split(" ", 1)[0])
    kept = {
        k: v
        for k, v in resp_headers.items()
        if k.lower() in ("content-type", "retry-after", "location", "odata-version")
    }
    result: dict[str, Any] = {"id": item["id"], "status": code, "headers": kept}
    if raw:
        ctype = resp_headers.get("Content-Type", "")
        if "json" in ctype:
            result["body"] = json.loads(raw)
        else:
            result["body"] = raw.decode("utf-8", "replace")
    return result
