"""Test values from the mappings (with Microsoft's value generators), and the mapping
restricted to what the endpoint's /Schemas declares."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.engine import rules
from harness.validate.discovery import declared_attributes, restrict, supports
from harness.validate.runner import Report
from harness.validate.values import ValueFactory, ValuesError, load_values, render
from tests.harness.validate.conftest import by_id


def test_generators_give_letters_and_alphanumerics_of_the_length_asked() -> None:
    rng = random.Random(1)
    assert re.fullmatch(
        r"[A-Za-z]{6}@contoso\.com", render("{%generateRandomString 6%}@contoso.com", rng)
    )
    assert re.fullmatch(r"x-[A-Za-z0-9]{7}", render("x-{%generateAlphaNumeric 7%}", rng))
    with pytest.raises(ValuesError, match="unknown value generator"):
        render("{%generateGuid 3%}", rng)


def test_a_values_file_keys_source_or_target_attributes(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        "User:\n"
        "  userName: 'v-{%generateAlphaNumeric 5%}@fabrikam.com'\n"
        "  department: Research\n"
        "Group:\n"
        "  displayName: 'team-{%generateRandomString 4%}'\n",
        encoding="utf-8",
    )
    values = load_values(path)
    schema = rules.load(rules.template.miro_template())
    factory = ValueFactory(schema, seed=2, overrides=values)
    user = factory.user()
    # userName is mapped from [userPrincipalName]: the value lands on the source attribute.
    assert re.fullmatch(r"v-[A-Za-z0-9]{5}@fabrikam\.com", user["userPrincipalName"])
    assert user["department"] == "Research"
    assert factory.user()["userPrincipalName"] != user["userPrincipalName"]
    assert factory.group()["displayName"].startswith("team-")


def test_a_values_file_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("Device:\n  name: x\n", encoding="utf-8")
    with pytest.raises(ValuesError, match="unknown section 'Device'"):
        load_values(path)
    path.write_text("User:\n  objectId: x\n", encoding="utf-8")
    with pytest.raises(ValuesError, match="computed by Entra"):
        load_values(path)
    path.write_text("User:\n  active: 'False'\n", encoding="utf-8")
    schema = rules.load(rules.template.miro_template())
    with pytest.raises(ValuesError, match="mapped by an expression"):
        ValueFactory(schema, overrides=load_values(path))


def test_schemas_flatten_into_attribute_paths() -> None:
    body = {
        "Resources": [
            {
                "id": "urn:ietf:params:scim:schemas:core:2.0:User",
                "attributes": [
                    {"name": "userName"},
                    {"name": "emails", "subAttributes": [{"name": "value"}, {"name": "type"}]},
                ],
            }
        ]
    }
    names = declared_attributes(body)
    assert names is not None
    assert supports(names, "User", 'emails[type eq "work"].value')
    assert supports(names, "User", "externalId")  # a common attribute, in no schema
    assert not supports(names, "User", "name.givenName")
    assert not supports(
        names, "User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
    )
    assert declared_attributes({"Resources": []}) is None


def test_the_template_is_restricted_to_what_schemas_declares() -> None:
    names = {
        "urn:ietf:params:scim:schemas:core:2.0:user:" + n
        for n in ("username", "active", "displayname", "emails", "emails.value", "emails.type")
    }
    restricted, dropped = restrict(rules.template.miro_template(), names)
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert set(dropped) == {
        "User.name.givenName",
        "User.name.familyName",
        f"User.{enterprise}:department",
        f"User.{enterprise}:employeeNumber",
        "Group.members",
    }  # Group.displayName stays (it matches), externalId too (common to all resources)
    user = rules.user_mapping(rules.load(restricted))
    assert [a.target for a in user.attribute_mappings][:2] == ["userName", "active"]


def test_a_run_without_a_schema_uses_the_template_and_discovery(
    validate_broken: Callable[..., Report],
) -> None:
    report = validate_broken(schema=None)
    assert report.schema_source.endswith("restricted to what /Schemas declares")
    assert report.dropped == []  # the broken app declares every attribute the template maps
    no_schemas = validate_broken("no_schemas", schema=None)
    assert no_schemas.schema_source.endswith("(the endpoint declares no /Schemas)")
    create = by_id(report)["users.create"]
    post = next(e for e in create.exchanges if e.method == "POST")
    assert "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in post.request_body
