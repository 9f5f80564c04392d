"""Helpers for tests of the Miro fake: a hand-moved clock, a SCIM test client with Miro's token
and media type, and an assertion on SCIM error bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from mock_miro import DEFAULT_TOKEN, MiroBackend

PREFIX = "/api/v1/scim"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class StepClock:
    """A hand-moved clock for rate-limit windows."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Scim:
    """Calls the fake with Miro's bearer token and SCIM media type."""

    def __init__(self, app: Flask, token: str = DEFAULT_TOKEN) -> None:
        self.app = app
        self.client = app.test_client()
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> TestResponse:
        sent = {"Authorization": f"Bearer {self.token}"}
        data: bytes | str | None = raw
        if body is not None:
            data = json.dumps(body)
        if data is not None:
            sent["Content-Type"] = "application/scim+json"
        sent.update(headers or {})
        return self.client.open(
            PREFIX + path, method=method, data=data, headers=sent, query_string=query
        )

    def get(self, path: str, **query: Any) -> TestResponse:
        return self.call("GET", path, query=query or None)

    def post(self, path: str, body: Any) -> TestResponse:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any) -> TestResponse:
        return self.call("PUT", path, body)

    def patch(self, path: str, *ops: dict[str, Any]) -> TestResponse:
        return self.call("PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": list(ops)})

    def delete(self, path: str) -> TestResponse:
        return self.call("DELETE", path)

    def create_user(self, user_name: str, **attrs: Any) -> dict[str, Any]:
        response = self.post(
            "/Users",
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
                **attrs,
            },
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        created: dict[str, Any] = response.get_json()
        return created


def assert_scim_error(
    response: TestResponse, status: int, scim_type: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    body: dict[str, Any] = response.get_json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type
    return body


def added_users(backend: MiroBackend) -> dict[str, Any]:
    """The organisation's users apart from the SCIM token's owner, whom every fresh
    organisation holds (the ``token_owner`` setting)."""
    owner = (backend.settings.token_owner or "").lower()
    return {
        uid: user
        for uid, user in backend.users.items()
        if str(user.data.get("userName", "")).lower() != owner
    }
