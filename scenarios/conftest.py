"""Scenario suite: the ``lab``, ``served_lab`` and ``driver`` fixtures come from the harness's
pytest plugin (``harness.pytest_plugin``, registered through the ``pytest11`` entry point).

Small story helpers shared by the scenario files live here.
"""

from __future__ import annotations

import pytest

from harness.testing import Driver


@pytest.fixture
def d(driver: Driver) -> Driver:
    """The driver under a short name: scenarios read as ``d.assign("alice")``."""
    return driver


@pytest.fixture
def miro_tutorial(d: Driver) -> Driver:
    """The job set up as Miro's tutorial says: group Target Object Actions = Update only."""
    d.set_flows("Group", "Update")
    return d
