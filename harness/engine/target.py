"""The SCIM target as the engine sees it: a handful of requests over the client layer.

Requests are shaped like Entra's
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups):
``Authorization: Bearer <SecretToken>``,
``application/scim+json``, filters with ``eq`` only (spaces sent as ``+``, quotes as ``%22``).
Every failure raises :class:`TargetError` carrying its classification.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from harness.engine.errors import (
    TargetError,
    classify_response,
    classify_transport,
    incompatible,
    multiple_entries,
)
from harness.http import BorrowedTransport, make_client

SCIM_JSON = "application/scim+json"


def split_base_address(base_address: str) -> tuple[str, str]:
    """``https://x/scim?aadOptscim062020`` -> (``https://x/scim``, ``aadOptscim062020``)."""
    parts = urlsplit(base_address.strip())
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return base, parts.query


def filter_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class TargetCall:
    """One request and its answer, for tests and log details."""

    method: str
    path: str
    status: int


class ScimTarget:
    def __init__(
        self,
        transport: httpx.BaseTransport,
        base_address: str,
        token: str | None,
        app_name: str,
        timeout: float = 30.0,
        on_throttle: Callable[[float | None, int], bool] | None = None,
    ) -> None:
        self.base, self.flags = split_base_address(base_address)
        parts = urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"BaseAddress is not an http(s) URL: {base_address!r}")
        self.app_name = app_name
        headers = {"Accept": SCIM_JSON}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = make_client(
            transport=BorrowedTransport(transport),
            headers=headers,
            timeout=timeout,
        )
        self.calls: list[TargetCall] = []
        # Asked on a 429 with (Retry-After seconds, retries so far): wait and retry, or give up.
        self.on_throttle = on_throttle
        self.throttled = 0

    def close(self) -> None:
        self.client.close()

    # -- the requests ---------------------------------------------------------------------

    def query(
        self, resource: str, attribute: str, value: Any, *, exclude_members: bool = False
    ) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = []
        if exclude_members:
            params.append(("excludedAttributes", "members"))
        params.append(("filter", f"{attribute} eq {filter_value(value)}"))
        body = self._send(
            "GET", f"/{resource}", params=params, operation="query", filter_query=True
        )
        if not isinstance(body, dict) or not isinstance(body.get("Resources", []), list):
            raise TargetError(incompatible(self.app_name, "a query did not answer a ListResponse"))
        resources = body.get("Resources") or []
        if not all(isinstance(r, dict) for r in resources):
            raise TargetError(incompatible(self.app_name, "ListResponse Resources are not objects"))
        if exclude_members and any(r.get("members") for r in resources):
            # Members despite excludedAttributes=members is an error
            # (https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs).
            raise TargetError(
                multiple_entries(
                    self.app_name,
                    f"the {resource} query returned members although they were excluded",
                )
            )
        return resources

    def get(
        self, resource: str, target_id: str, *, exclude_members: bool = False
    ) -> dict[str, Any]:
        params = [("excludedAttributes", "members")] if exclude_members else []
        body = self._send("GET", f"/{resource}/{target_id}", params=params, operation="get")
        if not isinstance(body, dict):
            raise TargetError(
                incompatible(self.app_name, f"GET /{resource}/{target_id} had no body")
            )
        if isinstance(body.get("Resources"), list):  # a list where one resource was expected
            if len(body["Resources"]) != 1 or not isinstance(body["Resources"][0], dict):
                raise TargetError(
                    multiple_entries(
                        self.app_name,
                        f"GET /{resource}/{target_id} answered {len(body['Resources'])} resources",
                    )
                )
            return dict(body["Resources"][0])
        if exclude_members and body.get("members"):
            raise TargetError(
                multiple_entries(
                    self.app_name,
                    f"GET /{resource}/{target_id} returned members although they were excluded",
                )
            )
        return body

    def create(self, resource: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = self._send("POST", f"/{resource}", json_body=payload, operation="create")
        if not isinstance(body, dict) or not isinstance(body.get("id"), str | int):
            raise TargetError(
                incompatible(self.app_name, f"POST /{resource} answered without an 'id'")
            )
        return body

    def patch(self, resource: str, target_id: str, payload: dict[str, Any]) -> Any:
        return self._send(
            "PATCH", f"/{resource}/{target_id}", json_body=payload, operation="update"
        )

    def delete(self, resource: str, target_id: str) -> None:
        self._send("DELETE", f"/{resource}/{target_id}", operation="delete")

    # -- plumbing -------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json_body: Any = None,
        operation: str,
        filter_query: bool = False,
    ) -> Any:
        url = self.base + path
        content = None
        headers = {}
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers["Content-Type"] = SCIM_JSON
        retries = 0
        while True:
            try:
                response = self.client.request(
                    method,
                    url,
                    params=tuple(params) if params else None,
                    content=content,
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                self.calls.append(TargetCall(method, path, 0))
                raise TargetError(
                    classify_transport(self.app_name, exc), f"{method} {path}"
                ) from exc
            self.calls.append(TargetCall(method, path, response.status_code))
            if response.status_code != 429 or self.on_throttle is None:
                break
            if not self.on_throttle(_retry_after(response), retries):
                break
            retries += 1
            self.throttled += 1
        body = _json_or_text(response)
        if response.status_code >= 400:
            raise TargetError(
                classify_response(
                    self.app_name,
                    response.status_code,
                    body,
                    operation=operation,
                    filter_query=filter_query,
                    retry_after=_retry_after(response),
                ),
                f"{method} {path}",
            )
        if response.status_code in (204, 205) or not response.content:
            return None
        if isinstance(body, str):
            raise TargetError(
                incompatible(
                    self.app_name,
                    f"{method} {path} answered a body that is not JSON",
                    response.status_code,
                )
            )
        return body


def _json_or_text(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
