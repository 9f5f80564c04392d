"""Comparing mapped values with the target's resource (what needs a PATCH)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.expressions import parse_expression
from harness.engine.rules.scim_payloads import (
    absent_attributes,
    create_user_body,
    diff,
)
from tests.support.examples import examples

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


CURRENT = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "3074457365265951581",
    "userName": "ann@contoso.com",
    "active": True,
    "displayName": "Ann Lee",
    "name": {"givenName": "Ann", "familyName": "Lee"},
    "emails": [{"value": "ann.lee@contoso.com", "primary": True}],
    ENT: {"department": "Sales"},
}


def test_diff_nothing_changed():
    target = {
        "userName": "ann@contoso.com",
        "active": "True",
        "displayName": "Ann Lee",
        "name.givenName": "Ann",
    }
    assert diff(target, CURRENT) == {}


def test_diff_booleans_against_strings():
    assert diff({"active": "False"}, CURRENT) == {"active": "False"}
    assert diff({"active": "true"}, CURRENT) == {}
    assert diff({"active": True}, {"active": "True"}) == {}


def test_diff_missing_attribute_counts_as_change():
    assert diff({"externalId": "ann"}, CURRENT) == {"externalId": "ann"}
    assert diff({f"{ENT}:employeeNumber": "1001"}, CURRENT) == {f"{ENT}:employeeNumber": "1001"}
    # Miro's e-mails carry no type: a typed work e-mail is not there.
    assert diff({'emails[type eq "work"].value': "ann.lee@contoso.com"}, CURRENT) == {
        'emails[type eq "work"].value': "ann.lee@contoso.com"
    }


def test_diff_is_case_sensitive_by_default():
    assert diff({"displayName": "ann lee"}, CURRENT) == {"displayName": "ann lee"}


def test_diff_follows_case_exact_when_given():
    target = {"displayName": "ann lee", "userName": "ANN@contoso.com"}
    assert diff(target, CURRENT, case_exact={"userName"}) == {"userName": "ANN@contoso.com"}
    assert diff(target, CURRENT, case_exact=set()) == {}


def test_diff_keeps_target_order_and_ignores_nulls():
    target = {"name.familyName": "Li", "displayName": "Ann Li", "title": None}
    assert list(diff(target, CURRENT)) == ["name.familyName", "displayName"]


def test_diff_reference_and_roles():
    current = {ENT: {"manager": {"value": "42"}}, "roles": [{"value": "Admin", "primary": False}]}
    assert diff({f"{ENT}:manager": "42"}, current) == {}
    assert diff({f"{ENT}:manager": "43"}, current) == {f"{ENT}:manager": "43"}
    assignments = {
        "appRoleAssignments": [{"appRoleId": "r1", "appRoleValue": "Admin", "displayName": "Admin"}]
    }
    roles = parse_expression("AppRoleAssignmentsComplex([appRoleAssignments])").evaluate(
        assignments
    )
    assert diff({"roles": roles}, current) == {}
    more = {
        "appRoleAssignments": assignments["appRoleAssignments"]
        + [{"appRoleId": "r2", "appRoleValue": "User"}]
    }
    roles2 = parse_expression("AppRoleAssignmentsComplex([appRoleAssignments])").evaluate(more)
    assert diff({"roles": roles2}, current) == {"roles": roles2}
    single = parse_expression("SingleAppRoleAssignment([appRoleAssignments])").evaluate(assignments)
    assert diff({'roles[primary eq "True"].value': single}, current) == {
        'roles[primary eq "True"].value': single
    }


def test_diff_multivalued():
    assert diff({"groups": ["a", "b"]}, {"groups": [{"value": "b"}, {"value": "a"}]}) == {}
    assert diff({"groups": ["a"]}, {"groups": [{"value": "b"}]}) == {"groups": ["a"]}


def test_absent_attributes():
    assert absent_attributes(["displayName", "nickName", "name.formatted"], CURRENT) == {
        "nickName",
        "name.formatted",
    }


_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=12
)


_targets = st.fixed_dictionaries(
    {"userName": _text},
    optional={
        "active": st.sampled_from(["True", "False", True, False]),
        "displayName": _text,
        'emails[type eq "work"].value': _text,
        "name.givenName": _text,
        "name.familyName": _text,
        "externalId": _text,
        f"{ENT}:department": _text,
        f"{ENT}:employeeNumber": _text,
        'roles[primary eq "True"].value': _text,
    },
)


@settings(max_examples=examples(200), deadline=None)
@given(_targets)
def test_a_created_resource_has_no_differences(target):
    # What POST sends, read back unchanged, must compare equal: no PATCH after a create.
    assert diff(target, create_user_body(target)) == {}


def test_diff_scalar_against_a_list_and_plain_role_strings():
    assert diff({"groups": ["a"]}, {"groups": "a"}) == {}
    single = parse_expression("SingleAppRoleAssignment([r])").evaluate(
        {"r": [{"appRoleId": "1", "appRoleValue": "A"}]}
    )
    assert (
        diff(
            {'roles[primary eq "True"].value': single}, {"roles": [{"primary": True, "value": "A"}]}
        )
        == {}
    )
    roles = parse_expression("AppRoleAssignmentsComplex([r])").evaluate(
        {"r": [{"appRoleId": "1", "appRoleValue": "A"}]}
    )
    assert diff({"roles": roles}, {"roles": ["A"]}) == {}


def test_an_empty_string_or_list_counts_as_absent():
    # What the target returns as "" or [] has no value: the change goes as an Add.
    current = {"displayName": "", "emails": [], "title": "Dev"}
    assert absent_attributes(["displayName", "emails", "title"], current) == {
        "displayName",
        "emails",
    }
