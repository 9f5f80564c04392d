"""Fixtures for the Graph fake: an app on a virtual clock, its backend, a test client with a
bearer token, and a seeded tenant. Helpers live in tests/support/graph.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from mock_graph import GraphBackend, create_app
from tests.support.graph import Clock, GraphClient


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Flask:
    return create_app(clock=clock.now)


@pytest.fixture
def backend(app: Flask) -> GraphBackend:
    found: GraphBackend = app.extensions["mock_graph"]
    return found


@pytest.fixture
def client(app: Flask) -> GraphClient:
    return GraphClient(app.test_client())


@pytest.fixture
def seeded(backend: GraphBackend) -> Iterator[dict[str, Any]]:
    yield backend.seed(7, users=30, groups=3, tricky=True)
