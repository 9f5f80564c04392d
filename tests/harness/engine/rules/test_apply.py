"""Applying object mappings: null skip, IgnoreFlowIfNullOrEmpty, defaultValue on create only,
ObjectAddOnly, matching precedence."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from harness.engine.rules.apply import (
    MappingError,
    map_object,
    matching_values,
    redacted_names,
    redacted_targets,
)
from harness.engine.rules.expressions import EvaluationContext, SourceView
from harness.engine.rules.schema import load_schema, miro_template

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def attr(
    target: str, expression: str | None, *, priority: int = 0, flow: str = "Always", default=None
) -> dict:
    source = (
        None
        if expression is None
        else {"expression": expression, "name": "", "parameters": [], "type": "Function"}
    )
    return {
        "targetAttributeName": target,
        "source": source,
        "matchingPriority": priority,
        "flowType": flow,
        "flowBehavior": "FlowWhenChanged",
        "defaultValue": default,
        "exportMissingReferences": False,
    }


def mapping(*attrs: dict) -> dict:
    return {
        "name": "users",
        "sourceObjectName": "User",
        "flowTypes": "Add, Update, Delete",
        "attributeMappings": list(attrs),
    }


ANN = {
    "userPrincipalName": "ann@contoso.com",
    "displayName": "Ann Lee",
    "mail": "ann.lee@contoso.com",
    "givenName": "Ann",
    "surname": "Lee",
    "mailNickname": "ann",
    "department": "Sales",
    "employeeId": "1001",
    "IsSoftDeleted": False,
    "objectId": "8f0c1a2b-0000-4000-8000-000000000001",
}


def test_miro_template_maps_a_user_on_create():
    users = load_schema(miro_template()).user_mapping
    assert map_object(users, ANN, is_create=True) == {
        "userName": "ann@contoso.com",
        "active": "True",
        "displayName": "Ann Lee",
        'emails[type eq "work"].value': "ann.lee@contoso.com",
        "name.givenName": "Ann",
        "name.familyName": "Lee",
        "externalId": "ann",
        f"{ENTERPRISE}:department": "Sales",
        f"{ENTERPRISE}:employeeNumber": "1001",
    }


def test_soft_deleted_user_maps_active_false():
    users = load_schema(miro_template()).user_mapping
    assert map_object(users, {**ANN, "IsSoftDeleted": True}, is_create=False)["active"] == "False"


def test_null_results_are_skipped():
    users = load_schema(miro_template()).user_mapping
    sparse = {"userPrincipalName": "bob@contoso.com", "IsSoftDeleted": False}
    assert map_object(users, sparse, is_create=True) == {
        "userName": "bob@contoso.com",
        "active": "True",
    }


def test_source_lookup_is_case_insensitive_and_accepts_a_view():
    users = load_schema(miro_template()).user_mapping
    view = SourceView({"USERPRINCIPALNAME": "c@x.com", "isSoftDeleted": False})
    assert map_object(users, view, is_create=True) == {"userName": "c@x.com", "active": "True"}


def test_ignore_flow_drops_the_attribute():
    m = mapping(attr("title", "IgnoreFlowIfNullOrEmpty([jobTitle])"), attr("userName", "[upn]"))
    assert map_object(m, {"upn": "a", "jobTitle": ""}, is_create=True) == {"userName": "a"}
    assert map_object(m, {"upn": "a", "jobTitle": "Dev"}, is_create=True) == {
        "title": "Dev",
        "userName": "a",
    }


def test_empty_string_flows_when_not_ignored():
    m = mapping(attr("title", "[jobTitle]"))
    assert map_object(m, {"jobTitle": ""}, is_create=False) == {"title": ""}


def test_default_value_applies_on_create_only():
    m = mapping(attr("userType", "[employeeType]", default="Member"))
    assert map_object(m, {}, is_create=True) == {"userType": "Member"}
    assert map_object(m, {}, is_create=False) == {}
    # A real value wins over the default.
    assert map_object(m, {"employeeType": "Guest"}, is_create=True) == {"userType": "Guest"}


def test_object_add_only_flows_on_create_only():
    m = mapping(
        attr("userName", "[upn]"),
        attr("password", "RandomString(12,2,2,2,2)", flow="ObjectAddOnly"),
    )
    created = map_object(
        m, {"upn": "a"}, is_create=True, context=EvaluationContext(rng=random.Random(3))
    )
    assert set(created) == {"userName", "password"} and len(created["password"]) == 12
    assert map_object(m, {"upn": "a"}, is_create=False) == {"userName": "a"}


def test_unmapped_target_gets_its_default_on_create():
    m = mapping(attr("userType", None, default="Full"))
    assert map_object(m, {}, is_create=True) == {"userType": "Full"}
    assert map_object(m, {}, is_create=False) == {}


def test_graph_tree_without_expression_string():
    m = mapping(
        {
            "targetAttributeName": "active",
            "matchingPriority": 0,
            "flowType": "Always",
            "source": {
                "name": "Not",
                "type": "Function",
                "parameters": [
                    {"key": "source", "value": {"name": "IsSoftDeleted", "type": "Attribute"}}
                ],
            },
        }
    )
    assert map_object(m, {"IsSoftDeleted": False}, is_create=True) == {"active": True}


def test_context_feeds_now():
    m = mapping(attr("hireNote", 'FormatDateTime(Now(), , "M/d/yyyy h:mm:ss tt", "yyyy-MM-dd")'))
    ctx = EvaluationContext(now=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    assert map_object(m, {}, is_create=True, context=ctx) == {"hireNote": "2026-01-05"}


def test_evaluation_error_names_the_target():
    m = mapping(attr("startDate", "CDate([hireDate])"))
    with pytest.raises(MappingError) as info:
        map_object(m, {"hireDate": "someday"}, is_create=True)
    assert info.value.target == "startDate"
    assert "someday" in info.value.message


def test_invalid_expression_is_a_mapping_error():
    m = mapping(attr("x", "Append([a]"))
    with pytest.raises(MappingError, match="not closed"):
        map_object(m, {"a": "1"}, is_create=True)


def test_matching_values_in_priority_order_skipping_nulls():
    m = mapping(
        attr("displayName", "[displayName]"),
        attr('emails[type eq "work"].value', "[mail]", priority=2),
        attr("externalId", "[mailNickname]", priority=3),
        attr("userName", "[userPrincipalName]", priority=1),
    )
    assert matching_values(m, ANN) == [
        ("userName", "ann@contoso.com"),
        ('emails[type eq "work"].value', "ann.lee@contoso.com"),
        ("externalId", "ann"),
    ]
    no_upn = {k: v for k, v in ANN.items() if k != "userPrincipalName"}
    assert matching_values(m, no_upn)[0] == ('emails[type eq "work"].value', "ann.lee@contoso.com")
    assert matching_values(m, {"mail": ""}) == []


def test_matching_values_of_the_template():
    schema = load_schema(miro_template())
    assert matching_values(schema.user_mapping, ANN) == [("userName", "ann@contoso.com")]
    assert matching_values(schema.group_mapping, {"displayName": "Design", "objectId": "g1"}) == [
        ("displayName", "Design")
    ]


def test_group_mapping_of_the_template():
    groups = load_schema(miro_template()).group_mapping
    assert map_object(
        groups, {"displayName": "Design", "objectId": "g1", "members": ["u1"]}, is_create=True
    ) == {
        "displayName": "Design",
        "externalId": "g1",
        "members": ["u1"],
    }


def test_redacted_targets():
    m = mapping(attr("userName", "[upn]"), attr("password", "Redact(RandomString(8,1,1,1,1))"))
    assert redacted_targets(m) == {"password"}


def test_raw_dict_or_object_mapping_give_the_same_result():
    schema = load_schema(miro_template())
    raw = miro_template()["schema"]["synchronizationRules"][0]["objectMappings"][0]
    assert map_object(raw, ANN, is_create=True) == map_object(
        schema.user_mapping, ANN, is_create=True
    )


def test_bad_mapping_type():
    with pytest.raises(
        TypeError, match=r"^mapping must be an ObjectMapping or an objectMapping JSON object$"
    ):
        map_object("users", ANN, is_create=True)  # type: ignore[arg-type]


# Matching attributes ("Customize attribute mappings": each matching attribute is tried in
# matching precedence order until one yields a match,
# https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes).


def test_matching_skips_a_matching_attribute_without_source_and_tries_the_next():
    m = mapping(
        attr("externalId", None, priority=1),
        attr("userName", "[userPrincipalName]", priority=2),
    )
    assert matching_values(m, ANN) == [("userName", "ann@contoso.com")]


def test_matching_values_evaluate_with_the_context():
    m = mapping(
        attr("externalId", 'FormatDateTime(Now(), , "M/d/yyyy h:mm:ss tt", "yyyy")', priority=1)
    )
    ctx = EvaluationContext(now=lambda: datetime(2031, 1, 5, 9, 0, tzinfo=UTC))
    assert matching_values(m, {}, context=ctx) == [("externalId", "2031")]


# Redact "removes the value from the provisioning logs"
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data#redact).


def test_redacted_targets_look_past_a_mapping_that_does_not_parse():
    m = mapping(attr("nickName", "Append([a]"), attr("password", "Redact(RandomString(8,1,1,1,1))"))
    assert redacted_targets(m) == {"password"}


def test_redacted_names_are_the_targets_and_the_attributes_read_inside_redact_casefolded():
    m = mapping(
        attr("userName", "Redact([userPrincipalName])"),
        attr("nickName", "Append([a]"),
        attr("displayName", "[displayName]"),
        attr("title", "Redact([jobTitle])"),
        attr("locale", None),
    )
    assert redacted_names(m) == frozenset({"username", "userprincipalname", "title", "jobtitle"})
    raw = load_schema(miro_template()).user_mapping
    assert redacted_names(raw) == frozenset()


def test_a_skipped_attribute_does_not_stop_the_ones_after_it():
    # Null results are skipped ("can't provision null attributes"), ObjectAddOnly flows "Only
    # during object creation" and a mapping without a target is ignored: each skips only itself.
    m = mapping(
        attr("", "[upn]"),
        attr("title", "[jobTitle]"),
        attr("password", "Redact([upn])", flow="ObjectAddOnly"),
        attr("userName", "[upn]"),
    )
    assert map_object(m, {"upn": "a"}, is_create=False) == {"userName": "a"}
    assert map_object(m, {"upn": "a", "jobTitle": "Dev"}, is_create=True) == {
        "title": "Dev",
        "password": "a",
        "userName": "a",
    }
