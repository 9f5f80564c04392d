"""Fixtures of the hostile-input suite: a harness served on loopback ports (cheroot, the
production server) whose control plane requires a token, as it does beyond loopback, and a
prober that judges every answer. The job has run its first cycle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.serve.served import ServeConfig, ServedHarness
from tests.support.hostile import Prober

CONTROL_TOKEN = "hostile-suite-control-token"


@pytest.fixture(scope="module")
def served() -> Iterator[ServedHarness]:
    harness = ServedHarness(
        ServeConfig(
            seed=7, users=12, groups=3, server="cheroot", control_token=CONTROL_TOKEN, start=True
        )
    ).start()
    harness.current().advance("0")  # the first cycle: Miro holds the provisioned users
    try:
        yield harness
    finally:
        harness.close(save=False)


@pytest.fixture
def prober(served: ServedHarness) -> Iterator[Prober]:
    probe = Prober(served)
    try:
        yield probe
    finally:
        probe.close()
