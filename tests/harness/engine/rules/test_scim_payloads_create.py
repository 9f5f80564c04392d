"""SCIM create bodies and attribute paths. The expected bodies are copied by hand from the documented examples
in Microsoft's SCIM guide
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
and SCIM compatibility page
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility),
not produced by the code under test."""

from __future__ import annotations

import pytest

from harness.engine.rules.apply import map_object
from harness.engine.rules.expressions import parse_expression
from harness.engine.rules.schema import load_schema, miro_template
from harness.engine.rules.scim_payloads import (
    PayloadError,
    create_user_body,
    get_path,
    parse_path,
)

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_create_body_matches_the_documented_example():
    target = {
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "active": "True",
        'emails[type eq "work"].value': "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
        "name.formatted": "givenName familyName",
        "name.familyName": "familyName",
        "name.givenName": "givenName",
        "roles": [],
    }
    assert create_user_body(target, enterprise_schema=True) == {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "active": True,
        "emails": [
            {
                "primary": True,
                "type": "work",
                "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
            }
        ],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
    }


def test_create_body_with_single_app_role_assignment():
    role = parse_expression("SingleAppRoleAssignment([appRoleAssignments])").evaluate(
        {
            "appRoleAssignments": [
                {"appRoleId": "r1", "appRoleValue": "Admin", "displayName": "Admin"}
            ]
        }
    )
    target = {
        "externalId": "alias",
        "userName": "alias@contoso.OnMicrosoft.com",
        "active": "True",
        "displayName": "First Name Last Name",
        'roles[primary eq "True"].value': role,
    }
    assert create_user_body(target) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": "alias",
        "userName": "alias@contoso.OnMicrosoft.com",
        "active": True,
        "displayName": "First Name Last Name",
        "meta": {"resourceType": "User"},
        "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}],
    }


def test_create_body_with_app_role_assignments_complex():
    roles = parse_expression("AppRoleAssignmentsComplex([appRoleAssignments])").evaluate(
        {
            "appRoleAssignments": [
                {"appRoleId": "r1", "appRoleValue": "Admin", "displayName": "Admin"}
            ]
        }
    )
    body = create_user_body({"userName": "a@b.c", "roles": roles})
    assert body["roles"] == [
        {
            "primary": False,
            "type": "WindowsAzureActiveDirectoryRole",
            "displayName": "Admin",
            "value": "Admin",
        }
    ]


def test_create_body_of_the_miro_template():
    users = load_schema(miro_template()).user_mapping
    source = {
        "userPrincipalName": "ann@contoso.com",
        "displayName": "Ann Lee",
        "mail": "ann.lee@contoso.com",
        "givenName": "Ann",
        "surname": "Lee",
        "mailNickname": "ann",
        "department": "Sales",
        "employeeId": "1001",
        "IsSoftDeleted": False,
    }
    assert create_user_body(map_object(users, source, is_create=True)) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "userName": "ann@contoso.com",
        "active": True,
        "displayName": "Ann Lee",
        "emails": [{"primary": True, "type": "work", "value": "ann.lee@contoso.com"}],
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "externalId": "ann",
        ENT: {"department": "Sales", "employeeNumber": "1001"},
        "meta": {"resourceType": "User"},
    }


def test_create_body_without_enterprise_attributes_lists_only_core():
    assert create_user_body({"userName": "a@b.c"})["schemas"] == [
        "urn:ietf:params:scim:schemas:core:2.0:User"
    ]
    assert create_user_body(
        {"userName": "a@b.c", f"{ENT}:department": "IT"}, enterprise_schema=False
    )["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]


def test_create_body_custom_extension_is_not_listed_in_schemas():
    custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
    body = create_user_body({"userName": "a@b.c", f"{custom}:CustomAttribute": "x"})
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert body[custom] == {"CustomAttribute": "x"}


def test_create_body_more_shapes():
    body = create_user_body(
        {
            'phoneNumbers[type eq "mobile"].value': "+1 555",
            'addresses[type eq "work"].locality': "Paris",
            'addresses[type eq "work"].country': "FR",
            f"{ENT}:manager": "42",
            "active": "False",
            "nickName": None,
        }
    )
    assert body["phoneNumbers"] == [{"type": "mobile", "value": "+1 555"}]
    assert body["addresses"] == [{"type": "work", "locality": "Paris", "country": "FR"}]
    assert body[ENT] == {"manager": {"value": "42"}}
    assert body["active"] is False
    assert "nickName" not in body


def test_parse_path():
    p = parse_path('emails[type eq "work"].value')
    assert (p.schema, p.attr, p.filter_attr, p.filter_value, p.sub) == (
        None,
        "emails",
        "type",
        "work",
        "value",
    )
    p = parse_path('roles[primary eq "True"].value')
    assert p.filter_value is True
    p = parse_path(f"{ENT}:employeeNumber")
    assert (p.schema, p.attr) == (ENT, "employeeNumber")
    assert parse_path("name.givenName").sub == "givenName"
    with pytest.raises(PayloadError):
        parse_path("urn:nothing")
    with pytest.raises(PayloadError):
        parse_path("bad path!")


def test_get_path():
    user = {
        "userName": "a@b.c",
        "name": {"givenName": "A"},
        "emails": [
            {"value": "home@b.c", "type": "home"},
            {"value": "w@b.c", "type": "Work", "primary": True},
        ],
        ENT: {"department": "IT", "manager": {"value": "9"}},
        "roles": [{"primary": True, "value": "ORGANIZATION_INTERNAL_USER"}],
    }
    assert get_path(user, "USERNAME") == "a@b.c"
    assert get_path(user, "name.givenName") == "A"
    assert get_path(user, "name.familyName") is None
    assert get_path(user, 'emails[type eq "work"].value') == "w@b.c"
    assert get_path(user, "emails.value") == "w@b.c"
    assert get_path(user, f"{ENT}:department") == "IT"
    assert get_path(user, 'roles[primary eq "True"].value') == "ORGANIZATION_INTERNAL_USER"
    assert get_path(user, 'phoneNumbers[type eq "mobile"].value') is None


def test_conflicting_target_paths_are_a_payload_error():
    with pytest.raises(PayloadError, match="conflicts"):
        create_user_body({"emails.value": "a@b.c", 'emails[type eq "work"].value': "a@b.c"})
    with pytest.raises(PayloadError, match="conflicts"):
        create_user_body({"name": "x", "name.givenName": "y"})


def test_a_null_value_is_left_out_and_the_rest_still_written():
    body = create_user_body({"displayName": None, "userName": "ann@contoso.com"})
    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ann@contoso.com",
        "meta": {"resourceType": "User"},
    }
