"""Kept so that tests written against earlier releases (``from harness.scenario import Driver``)
still import; the driver lives in :mod:`harness.testing`."""

from harness.testing.driver import *  # noqa: F403
from harness.testing.driver import ENTERPRISE, Driver, lines

__all__ = ["ENTERPRISE", "Driver", "lines"]
