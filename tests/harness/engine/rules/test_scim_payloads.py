"""SCIM request bodies. The expected bodies are copied by hand from the documented examples in
the reference (entra-provisioning.md §3.1, §3.3, §3.4, §3.7, §3.9, §3.10), not produced by
the code under test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.apply import map_object
from harness.engine.rules.expressions import parse_expression
from harness.engine.rules.schema import load_schema, miro_template
from harness.engine.rules.scim_payloads import (
    PayloadError,
    absent_attributes,
    create_user_body,
    dialect_from_base_address,
    diff,
    disable_patch_body,
    enable_patch_body,
    get_path,
    group_create_body,
    group_member_patch,
    group_rename_patch,
    parse_path,
    strip_dialect_flags,
    user_patch_body,
)

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]


# --- create (§3.1, §3.9) -------------------------------------------------------------------------


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


# --- paths ------------------------------------------------------------------------------------


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


# --- diff -----------------------------------------------------------------------------------------

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


# --- user PATCH (§3.3, §3.10) -------------------------------------------------------------------


def test_default_patch_matches_the_documented_update():
    current = {
        "emails": [{"type": "work", "value": "old@microsoft.com"}],
        "name": {"familyName": "old"},
    }
    changes = {
        'emails[type eq "work"].value': "updatedEmail@microsoft.com",
        "name.familyName": "updatedFamilyName",
    }
    assert user_patch_body(changes, "default", current=current) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ],
    }


def test_default_patch_matches_the_documented_username_change():
    assert user_patch_body({"userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Replace",
                "path": "userName",
                "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            }
        ],
    }


def test_adding_an_absent_attribute_uses_add():
    current = {"userName": "b@x.com"}
    assert user_patch_body({"nickName": "Babs"}, "default", current=current)["Operations"] == [
        {"op": "Add", "path": "nickName", "value": "Babs"}
    ]
    assert user_patch_body({"nickName": "Babs"}, "aadOptscim062020", current=current)[
        "Operations"
    ] == [{"op": "add", "path": "nickName", "value": "Babs"}]


def test_flag_patch_matches_the_documented_multi_attribute_replace():
    current = {
        "displayName": "old",
        "name": {"givenName": "old", "familyName": "old"},
        "emails": [{"type": "work", "value": "old@test.microsoft.com"}],
        ENT: {"employeeNumber": "old"},
    }
    changes = {
        'emails[type eq "work"].value': "TestMhvaes@test.microsoft.com",
        "displayName": "Bjfe",
        "name.givenName": "Kkom",
        "name.familyName": "Unua",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
    }
    assert user_patch_body(changes, "aadOptscim062020", current=current) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestMhvaes@test.microsoft.com",
            },
            {
                "op": "replace",
                "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
                },
            },
        ],
    }


def test_default_patch_of_the_same_changes_is_one_op_per_attribute():
    changes = {"displayName": "Bjfe", "name.givenName": "Kkom"}
    assert user_patch_body(changes, "default")["Operations"] == [
        {"op": "Replace", "path": "displayName", "value": "Bjfe"},
        {"op": "Replace", "path": "name.givenName", "value": "Kkom"},
    ]


def test_booleans_in_each_dialect():
    assert user_patch_body({"active": "False", "displayName": "X"}, "default")["Operations"] == [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "displayName", "value": "X"},
    ]
    assert user_patch_body({"active": "False", "displayName": "X"}, "aadOptscim062020")[
        "Operations"
    ] == [
        {"op": "replace", "value": {"active": False, "displayName": "X"}},
    ]
    assert user_patch_body({"active": True}, "default")["Operations"] == [
        {"op": "Replace", "path": "active", "value": "True"}
    ]


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


def test_patch_errors():
    with pytest.raises(PayloadError, match="no changes"):
        user_patch_body({}, "default")
    with pytest.raises(PayloadError, match="unknown PATCH dialect"):
        user_patch_body({"a": "b"}, "scim2")
    with pytest.raises(PayloadError, match="unknown PATCH dialect"):
        disable_patch_body("AADOPT")


# --- disable / enable (§3.4) ------------------------------------------------------------------


def test_disable_without_flag():
    assert disable_patch_body("default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }


def test_disable_with_flag():
    assert disable_patch_body("aadOptscim062020") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }


def test_enable_is_the_inverse():
    assert enable_patch_body() == {
        "schemas": PATCH,
        "Operations": [{"op": "Replace", "path": "active", "value": "True"}],
    }
    assert enable_patch_body("aadOptscim062020") == {
        "schemas": PATCH,
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }


# --- groups (§3.7, §3.10) -------------------------------------------------------------------------


def test_group_create_body_matches_the_documented_example():
    assert group_create_body("displayName", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159") == {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }
    assert "externalId" not in group_create_body("Design")


def test_add_members_matches_the_documented_example():
    assert group_member_patch(["f648f8d5ea4e4cd38e9c"], [], "default") == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}],
                }
            ],
        }
    ]


def test_remove_members_without_flag_matches_the_documented_example():
    assert group_member_patch([], ["f648f8d5ea4e4cd38e9c"], "default") == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "Remove",
                    "path": "members",
                    "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}],
                }
            ],
        }
    ]


def test_remove_members_with_flag_matches_the_documented_example():
    assert group_member_patch([], ["7f4bc1a3-285e-48ae-8202-5accb43efb0e"], "aadOptscim062020") == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "remove", "path": 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]'}
            ],
        }
    ]


def test_member_changes_share_one_patch_adds_first():
    assert group_member_patch(["u1", "u2", "u1"], ["u3", "u4"], "aadOptscim062020") == [
        {
            "schemas": PATCH,
            "Operations": [
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}],
                },
                {"op": "remove", "path": 'members[value eq "u3"]'},
                {"op": "remove", "path": 'members[value eq "u4"]'},
            ],
        }
    ]


def test_member_patches_can_be_capped():
    bodies = group_member_patch(["u1", "u2", "u3"], ["u4"], "default", max_members=2)
    assert [b["Operations"] for b in bodies] == [
        [
            {
                "op": "Add",
                "path": "members",
                "value": [{"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}],
            }
        ],
        [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u3"}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "u4"}]},
        ],
    ]
    assert group_member_patch([], [], "default") == []
    with pytest.raises(PayloadError):
        group_member_patch(["u1"], [], "default", max_members=0)


def test_group_rename():
    assert group_rename_patch("design_unit2_product") == {
        "schemas": PATCH,
        "Operations": [{"op": "Replace", "path": "displayName", "value": "design_unit2_product"}],
    }
    assert group_rename_patch("x", "aadOptscim062020")["Operations"] == [
        {"op": "replace", "path": "displayName", "value": "x"}
    ]


# --- dialect from the tenant URL (§3.10) --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("https://miro.com/api/v1/scim", "default"),
        ("https://api.contoso.com/scim?aadOptscim062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?AADOPTSCIM062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?x=1&aadOptscim062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?flags=aadOptscim062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?aadOptscim062020&AzureAdScimPatch2017", "default"),
        ("https://api.contoso.com/aadOptscim062020/scim", "default"),
        ("", "default"),
        (None, "default"),
    ],
)
def test_dialect_from_base_address(url, dialect):
    assert dialect_from_base_address(url) == dialect


def test_strip_dialect_flags():
    assert (
        strip_dialect_flags("https://api.contoso.com/scim?aadOptscim062020")
        == "https://api.contoso.com/scim"
    )
    assert strip_dialect_flags("https://h/scim?x=1&aadOptscim062020") == "https://h/scim?x=1"
    assert strip_dialect_flags("https://h/scim") == "https://h/scim"


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


@settings(max_examples=200, deadline=None)
@given(_targets)
def test_a_created_resource_has_no_differences(target):
    # What POST sends, read back unchanged, must compare equal: no PATCH after a create.
    assert diff(target, create_user_body(target)) == {}


@settings(max_examples=200, deadline=None)
@given(_targets, st.sampled_from(["default", "aadOptscim062020"]))
def test_every_change_appears_in_the_patch(target, dialect):
    body = user_patch_body(target, dialect)
    mentioned: set[str] = set()
    for op in body["Operations"]:
        assert op["op"] in (("Add", "Replace") if dialect == "default" else ("add", "replace"))
        if "path" in op:
            mentioned.add(op["path"])
        else:
            mentioned.update(op["value"])
    assert mentioned == set(target)


def test_manager_patch_and_role_errors():
    assert user_patch_body({f"{ENT}:manager": "42"})["Operations"] == [
        {"op": "Replace", "path": f"{ENT}:manager", "value": {"value": "42"}}
    ]
    with pytest.raises(PayloadError, match="roles need a role value"):
        from harness.engine.rules.scim_payloads import _role_entries

        _role_entries("plain", None)


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


def test_conflicting_target_paths_are_a_payload_error():
    with pytest.raises(PayloadError, match="conflicts"):
        create_user_body({"emails.value": "a@b.c", 'emails[type eq "work"].value': "a@b.c"})
    with pytest.raises(PayloadError, match="conflicts"):
        create_user_body({"name": "x", "name.givenName": "y"})


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


def test_remove_member_without_ref_as_the_compatibility_page_shows():
    assert group_member_patch([], ["u1091"], "default", null_ref=False) == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1091"}]}],
        }
    ]


def test_default_multi_attribute_replace_matches_the_compatibility_page():
    changes = {
        "displayName": "Pvlo",
        'emails[type eq "work"].value': "TestBcwqnm@test.microsoft.com",
        "name.givenName": "Gtfd",
        "name.familyName": "Pkqf",
        "externalId": "Eqpj",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Eqpj",
    }
    assert user_patch_body(changes, "default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestBcwqnm@test.microsoft.com",
            },
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {
                "op": "Replace",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value": "Eqpj",
            },
        ],
    }
