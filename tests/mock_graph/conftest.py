"""Fixtures for the Graph fake: an app on a virtual clock, a test client with a bearer token,
and a served instance for msgraph-sdk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_graph import GraphBackend, create_app

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


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Flask:
    return create_app(clock=clock.now)


@pytest.fixture
def backend(app: Flask) -> GraphBackend:
    return app.extensions["mock_graph"]  # type: ignore[no-any-return]


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


@pytest.fixture
def client(app: Flask) -> GraphClient:
    return GraphClient(app.test_client())


@pytest.fixture
def seeded(backend: GraphBackend) -> Iterator[dict[str, Any]]:
    yield backend.seed(7, users=30, groups=3, tricky=True)


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
