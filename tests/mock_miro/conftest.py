"""Fixtures for the Miro fake: a backend on a hand-moved clock, its app, and a SCIM test client.
Helpers live in tests/support/miro.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from mock_miro import MiroBackend, create_app
from tests.support.miro import Scim, StepClock


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def backend(clock: StepClock) -> MiroBackend:
    return MiroBackend(clock=clock)


@pytest.fixture
def app(backend: MiroBackend) -> Flask:
    return create_app(backend)


@pytest.fixture
def scim(app: Flask) -> Scim:
    return Scim(app)


@pytest.fixture
def make_scim() -> Callable[..., Scim]:
    def build(**settings: Any) -> Scim:
        return Scim(create_app(MiroBackend(clock=StepClock()), settings=settings))

    return build
