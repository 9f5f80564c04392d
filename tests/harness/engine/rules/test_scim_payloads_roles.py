"""App roles in create and PATCH bodies (Microsoft's role examples:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes).
The expected bodies are copied by hand from the documented examples in Microsoft's SCIM guide
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
and SCIM compatibility page
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility),
not produced by the code under test."""

from __future__ import annotations

import pytest

from harness.engine.rules.expressions import AppRoleValue, RoleList, parse_expression
from harness.engine.rules.scim_payloads import (
    PayloadError,
    create_user_body,
    diff,
    role_entries,
    user_patch_body,
)


def test_single_app_role_patch_in_the_default_dialect():
    role = parse_expression("SingleAppRoleAssignment([appRoleAssignments])").evaluate(
        {
            "appRoleAssignments": [
                {
                    "appRoleId": "06b07648-ecfe-589f-9d2f-6325724a46ee",
                    "appRoleValue": "25",
                    "displayName": "Role1234",
                }
            ]
        }
    )
    assert user_patch_body({'roles[primary eq "True"].value': role}, "default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Add",
                "path": "roles",
                "value": [
                    {
                        "value": '{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"25","displayName":"Role1234"}'
                    }
                ],
            }
        ],
    }


def test_single_app_role_patch_with_the_flag_uses_the_post_format():
    role = parse_expression("SingleAppRoleAssignment([appRoleAssignments])").evaluate(
        {
            "appRoleAssignments": [
                {"appRoleId": "r1", "appRoleValue": "Admin", "displayName": "Admin"}
            ]
        }
    )
    assert user_patch_body({'roles[primary eq "True"].value': role}, "aadOptscim062020")[
        "Operations"
    ] == [
        {
            "op": "add",
            "path": "roles",
            "value": [
                {"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}
            ],
        }
    ]


def test_complex_and_assertive_role_patches():
    assignments = {
        "appRoleAssignments": [
            {"appRoleId": "id1", "appRoleValue": "Admin", "displayName": "Admin"}
        ]
    }
    roles = parse_expression("AppRoleAssignmentsComplex([appRoleAssignments])").evaluate(
        assignments
    )
    assert user_patch_body({"roles": roles}, "default")["Operations"] == [
        {
            "op": "Add",
            "path": "roles",
            "value": [{"value": '{"id":"id1","value":"Admin","displayName":"Admin"}'}],
        }
    ]
    assertive = parse_expression(
        "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])"
    ).evaluate(assignments)
    assert user_patch_body({"roles": assertive}, "default")["Operations"] == [
        {
            "op": "replace",
            "path": "roles",
            "value": [
                {
                    "primary": False,
                    "type": "WindowsAzureActiveDirectoryRole",
                    "display": "Admin",
                    "value": "Admin",
                }
            ],
        }
    ]


# Microsoft's role guide ("Provisioning a role to a SCIM app"), current revision.
TWO_ROLES = {
    "appRoleAssignments": [
        {
            "appRoleId": "06b07648-ecfe-589f-9d2f-6325724a46ee",
            "appRoleValue": "Admin",
            "displayName": "Admin",
        },
        {
            "appRoleId": "06b07648-ecfe-599f-9d2f-6325724a46ee",
            "appRoleValue": "User",
            "displayName": "User",
        },
    ]
}


def test_app_role_assignments_complex_matches_the_role_guide():
    roles = parse_expression("AppRoleAssignmentsComplex([appRoleAssignments])").evaluate(TWO_ROLES)
    target = {
        "externalId": "alias",
        "userName": "alias@contoso.OnMicrosoft.com",
        "active": "True",
        "displayName": "First Name Last Name",
        "roles": roles,
    }
    assert create_user_body(target) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": "alias",
        "userName": "alias@contoso.OnMicrosoft.com",
        "active": True,
        "displayName": "First Name Last Name",
        "meta": {"resourceType": "User"},
        "roles": [
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "displayName": "Admin",
                "value": "Admin",
            },
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "displayName": "User",
                "value": "User",
            },
        ],
    }
    assert user_patch_body({"roles": roles}, "default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Add",
                "path": "roles",
                "value": [
                    {
                        "value": '{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"Admin","displayName":"Admin"}'
                    },
                    {
                        "value": '{"id":"06b07648-ecfe-599f-9d2f-6325724a46ee","value":"User","displayName":"User"}'
                    },
                ],
            }
        ],
    }


def test_assertive_app_role_assignments_complex_matches_the_role_guide():
    source = {
        "appRoleAssignments": [
            {"appRoleId": "a", "appRoleValue": "User", "displayName": "User"},
            {"appRoleId": "b", "appRoleValue": "Test", "displayName": "Test"},
        ]
    }
    roles = parse_expression("AssertiveAppRoleAssignmentsComplex([appRoleAssignments])").evaluate(
        source
    )
    body = create_user_body(
        {
            "externalId": "contoso",
            "userName": "contoso@alias.onmicrosoft.com",
            "active": "True",
            "roles": roles,
        }
    )
    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": "contoso",
        "userName": "contoso@alias.onmicrosoft.com",
        "active": True,
        "roles": [
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "display": "User",
                "value": "User",
            },
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "display": "Test",
                "value": "Test",
            },
        ],
        "meta": {"resourceType": "User"},
    }
    assert user_patch_body({"roles": roles}, "default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "replace",
                "path": "roles",
                "value": [
                    {
                        "primary": False,
                        "type": "WindowsAzureActiveDirectoryRole",
                        "display": "User",
                        "value": "User",
                    },
                    {
                        "primary": False,
                        "type": "WindowsAzureActiveDirectoryRole",
                        "display": "Test",
                        "value": "Test",
                    },
                ],
            }
        ],
    }
    # Assertive roles replace: a role the target has but Entra does not is a difference.
    assert diff(
        {"roles": roles}, {"roles": [{"value": "User"}, {"value": "Test"}, {"value": "Old"}]}
    ) == {"roles": roles}


def test_single_role_value_and_display_share_one_role():
    role = parse_expression("SingleAppRoleAssignment([appRoleAssignments])").evaluate(
        {"appRoleAssignments": TWO_ROLES["appRoleAssignments"][:1]}
    )
    target = {
        "userName": "a@b.c",
        'roles[primary eq "True"].value': role,
        'roles[primary eq "True"].display': role,
    }
    assert create_user_body(target)["roles"] == [
        {
            "primary": True,
            "type": "WindowsAzureActiveDirectoryRole",
            "value": "Admin",
            "display": "Admin",
        }
    ]
    ops = user_patch_body({k: v for k, v in target.items() if k != "userName"}, "default")[
        "Operations"
    ]
    assert len(ops) == 1 and ops[0]["path"] == "roles"


# --- what the mutation run found unpinned (docs/testing.md, "Mutation testing") --------------


def test_a_single_role_is_primary_unless_its_path_says_otherwise():
    # The role guide maps SingleAppRoleAssignment to roles[primary eq "True"].value; the entry
    # follows the path's primary filter, and is primary when the path has none.
    role = AppRoleValue("Admin", role_id="r1", display_name="Admin")
    assert role_entries(role, None) == [
        {"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}
    ]
    assert role_entries(role, False)[0]["primary"] is False
    flagged = user_patch_body({'roles[primary eq "False"].value': role}, "aadOptscim062020")
    assert flagged["Operations"] == [
        {
            "op": "add",
            "path": "roles",
            "value": [
                {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}
            ],
        }
    ]
    # Only a primary filter sets it: another filter leaves the role primary.
    typed = user_patch_body(
        {'roles[type eq "WindowsAzureActiveDirectoryRole"].value': role}, "aadOptscim062020"
    )
    assert typed["Operations"][0]["value"][0]["primary"] is True
    with pytest.raises(
        PayloadError,
        match=r"^roles need a role value \(SingleAppRoleAssignment or AppRoleAssignmentsComplex\)$",
    ):
        role_entries(["Admin"], None)


def test_assertive_roles_fill_what_a_role_object_leaves_out():
    # A role list built by hand (not by the expression functions) may omit primary, type and
    # display: the replace operation still carries all four members of the role guide's shape.
    sparse = RoleList([{"value": "Admin", "displayName": "Administrator"}], assertive=True)
    full = RoleList(
        [{"primary": True, "type": "custom", "display": "Boss", "value": "Owner"}],
        assertive=True,
    )
    assert user_patch_body({"roles": sparse})["Operations"] == [
        {
            "op": "replace",
            "path": "roles",
            "value": [
                {
                    "primary": False,
                    "type": "WindowsAzureActiveDirectoryRole",
                    "display": "Administrator",
                    "value": "Admin",
                }
            ],
        }
    ]
    assert user_patch_body({"roles": full})["Operations"][0]["value"] == [
        {"primary": True, "type": "custom", "display": "Boss", "value": "Owner"}
    ]


def test_a_role_without_a_known_id_is_sent_with_a_null_id():
    roles = RoleList([{"value": "A", "displayName": "A"}, {"value": "B", "displayName": "B"}])
    roles.role_ids.append("id-a")
    assert user_patch_body({"roles": roles})["Operations"] == [
        {
            "op": "Add",
            "path": "roles",
            "value": [
                {"value": '{"id":"id-a","value":"A","displayName":"A"}'},
                {"value": '{"id":null,"value":"B","displayName":"B"}'},
            ],
        }
    ]


def test_roles_read_back_as_one_object_or_one_string_compare_by_value():
    wanted = RoleList([{"value": "Admin"}])
    assert diff({"roles": wanted}, {"roles": {"value": "Admin"}}) == {}
    assert diff({"roles": wanted}, {"roles": "Admin"}) == {}
    assert diff({"roles": wanted}, {"roles": "User"}) == {"roles": wanted}


def test_a_single_role_mapped_to_plain_roles_compares_with_the_primary_role():
    # SingleAppRoleAssignment sends one primary role (role guide above); mapped to plain "roles"
    # it is created as that primary role, so reading it back must show no change (no PATCH every
    # cycle), and a different primary role is a change.
    role = AppRoleValue("Admin", "r1", "Admin")
    current = {
        "roles": [
            {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "value": "User"},
            {"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"},
        ]
    }
    assert diff({"roles": role}, current) == {}
    assert diff({"roles": role}, create_user_body({"roles": role})) == {}
    other = AppRoleValue("User", "r2", "User")
    assert diff({"roles": other}, current) == {"roles": other}
