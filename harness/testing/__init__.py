"""What tests use: the scenario ``Driver`` and the readers of logs, journals and steps. The pytest
plugin that hands them out as fixtures is :mod:`harness.pytest_plugin`."""

from harness.testing.driver import ENTERPRISE, Driver, lines

__all__ = ["ENTERPRISE", "Driver", "lines"]
