"""Helpers for tests of the Graph fake: a settable clock, the bearer headers, a test client that
sends them, and a user body Graph accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
AUTH = {"Authorization": "Bearer test-token"}
EVENTUAL = {**AUTH, "ConsistencyLevel": "eventual"}


class Clock:
    """A tiny settable clock (mock_graph never imports the harness, and neither do its tests)."""

    def __init__(self, start: datetime = T0) -> None:
        self.now_value = start

    def now(self) -> datetime:
        return self.now_value

    def advance(self, **kw: Any) -> None:
        self.now_value += timedelta(**kw)


class GraphClient:
    """Flask's test client with the bearer header on every call."""

    def __init__(self, client: FlaskClient) -> None:
        self.raw = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.raw, name)

        def call(path: str, **kw: Any) -> Any:
            headers = {**AUTH, **kw.pop("headers", {})}
            return method(path, headers=headers, **kw)

        return call


def user_body(upn: str, **extra: Any) -> dict[str, Any]:
    body = {
        "accountEnabled": True,
        "displayName": upn.split("@")[0].title(),
        "mailNickname": upn.split("@")[0].replace(".", ""),
        "userPrincipalName": upn,
        "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d", "forceChangePasswordNextSignIn": True},
    }
    body.update(extra)
    return body
