"""Kept so that tests written against earlier releases (``from harness.scenario import Driver``)
still import: every name :mod:`harness.testing` exports (the driver, its readers and
comparisons), which is where they live."""

from harness.testing import *  # noqa: F403
from harness.testing import __all__ as __all__
