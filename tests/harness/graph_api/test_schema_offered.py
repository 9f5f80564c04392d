"""``PUT .../jobs/{id}/schema`` refuses what the product does not offer, in Graph's error
envelope, and keeps the stored schema: scoping filters on appRoleAssignments, userType,
manager or date-type attributes, and userType as a source attribute
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.lab.local import Lab
from harness.testing.lab_steps import get_schema, mapping, ok, put_schema


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=43) as lab:
        yield lab


def scoped_on(attribute: str, operator: str = "IS NOT NULL") -> dict[str, Any]:
    clause: dict[str, Any] = {"operatorName": operator, "sourceOperandName": attribute}
    if operator == "EQUALS":
        clause["targetOperand"] = {"values": ["x"]}
    return {"groups": [{"name": "only some", "clauses": [clause]}]}


@pytest.mark.parametrize(
    "attribute",
    ["appRoleAssignments", "userType", "manager", "employeeHireDate", "createdDateTime"],
)
def test_an_unsupported_scoping_attribute_is_refused(lab: Lab, attribute: str) -> None:
    before = get_schema(lab)
    schema = get_schema(lab)
    mapping(schema, "User")["scope"] = scoped_on(attribute)
    response = put_schema(lab, schema)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "InvalidSchema"
    assert f"'{attribute}' cannot be used in a scoping filter" in error["message"]
    assert "scope.groups[0].clauses[0]" in error["message"]
    assert get_schema(lab) == before  # nothing stored


def test_an_attribute_the_schema_declares_as_a_date_is_refused(lab: Lab) -> None:
    schema = get_schema(lab)
    (entra,) = (d for d in schema["directories"] if d["name"] == "Azure Active Directory")
    user = next(o for o in entra["objects"] if o["name"] == "User")
    user["attributes"].append({"name": "extension_abc_contractEnd", "type": "DateTime"})
    mapping(schema, "User")["scope"] = scoped_on("extension_abc_contractEnd")
    error = put_schema(lab, schema).json()["error"]
    assert "a date-type attribute" in error["message"]


def test_user_type_is_not_available_as_a_source_attribute(lab: Lab) -> None:
    schema = get_schema(lab)
    for attr in mapping(schema, "User")["attributeMappings"]:
        if attr["targetAttributeName"] == "displayName":
            attr["source"] = {
                "expression": 'Join(" ", [displayName], [userType])',
                "type": "Function",
            }
    response = put_schema(lab, schema)
    assert response.status_code == 400
    assert (
        "'userType' is not available as a source attribute" in response.json()["error"]["message"]
    )


def test_supported_scoping_attributes_are_saved(lab: Lab) -> None:
    schema = get_schema(lab)
    mapping(schema, "User")["scope"] = scoped_on("department", "EQUALS")
    ok(put_schema(lab, schema), 204)
    assert mapping(get_schema(lab), "User")["scope"] == scoped_on("department", "EQUALS")
