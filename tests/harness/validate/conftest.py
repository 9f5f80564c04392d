"""Fixtures of harness validate's tests: the three targets, served in-process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.engine import rules
from harness.http import RoutingTransport
from harness.validate.runner import Report, run
from harness.validate.session import Options
from tests.harness.validate import broken_app

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def manager_schema() -> dict[str, Any]:
    """The Miro gallery template with the manager mapped (Entra's default for custom apps),
    so the manager checks run."""
    template = rules.template.miro_template()
    for rule in template["schema"]["synchronizationRules"]:
        for mapping in rule["objectMappings"]:
            if mapping["sourceObjectName"] == "User":
                mapping["attributeMappings"].append(
                    {
                        "defaultValue": None,
                        "exportMissingReferences": False,
                        "flowBehavior": "FlowWhenChanged",
                        "flowType": "Always",
                        "matchingPriority": 0,
                        "source": {
                            "expression": "[manager]",
                            "name": "manager",
                            "parameters": [],
                            "type": "Attribute",
                        },
                        "targetAttributeName": f"{ENTERPRISE}:manager",
                    }
                )
    return template


def failed(report: Report) -> set[str]:
    return {r.check.id for r in report.results if r.status == "failed"}


def by_id(report: Report) -> dict[str, Any]:
    return {r.check.id: r for r in report.results}


@pytest.fixture
def validate_broken() -> Callable[..., Report]:
    """Run the validator against the broken app with the given flaws (and options)."""

    def go(*flaws: str, flag: str = "", **options: Any) -> Report:
        transport = RoutingTransport()
        transport.bind("broken.local", broken_app.create_app(*flaws))
        options.setdefault("schema", manager_schema())
        return run(
            Options(
                url=f"http://broken.local/scim{flag}", token=broken_app.TOKEN, seed=7, **options
            ),
            transport,
        )

    return go
