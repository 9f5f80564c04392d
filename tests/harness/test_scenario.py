"""harness.scenario stays a compatibility alias of harness.testing: tests written against
earlier releases import the driver and its helpers from it."""

from __future__ import annotations

import harness.scenario
import harness.testing
from harness.scenario import Driver, lines

# Every public name the old harness/scenario.py (later harness/testing/driver.py) defined.
EARLIER_NAMES = {
    "ALIASES",
    "DEFAULT_ACCESS",
    "DEFAULT_DOMAIN",
    "ENTERPRISE",
    "SCIM_PREFIX",
    "Driver",
    "HarnessHTTPError",
    "LabLike",
    "MiroRequest",
    "compact",
    "describe_entry",
    "differences",
    "entry_error",
    "entry_modified",
    "entry_skip_reason",
    "entry_status",
    "entry_steps",
    "from_engine",
    "is_probe",
    "lines",
    "log_mismatches",
    "lookup",
    "ok",
}


def test_the_alias_exports_what_harness_testing_exports() -> None:
    assert set(harness.scenario.__all__) == set(harness.testing.__all__)
    for name in harness.testing.__all__:
        assert getattr(harness.scenario, name) is getattr(harness.testing, name)


def test_every_earlier_name_still_imports() -> None:
    assert not EARLIER_NAMES - set(harness.scenario.__all__)
    assert Driver is harness.testing.Driver and lines is harness.testing.lines
