"""What tests use: the pytest plugin (fixtures ``lab``, ``served_lab``, ``driver``), the scenario
``Driver`` and the readers of logs, journals and steps."""

from harness.testing.driver import ENTERPRISE, Driver, lines

__all__ = ["ENTERPRISE", "Driver", "lines"]
