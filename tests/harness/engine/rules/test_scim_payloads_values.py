"""Reading values at attribute paths, writing booleans and filtered paths into create bodies, and
comparing read-back values: the edge cases of RFC 7644's attribute paths
(https://www.rfc-editor.org/rfc/rfc7644#section-3.10) and RFC 7643's attribute types
(https://www.rfc-editor.org/rfc/rfc7643#section-2.3), in the bodies Microsoft's SCIM guide shows
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
The expected values are written by hand from those sources, not produced by the code under test."""

from __future__ import annotations

from typing import Any

import pytest

from harness.engine.rules.expressions import AppRoleValue, parse_expression
from harness.engine.rules.scim_payloads import (
    PayloadError,
    create_user_body,
    diff,
    get_path,
    user_patch_body,
)

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ROLE_TYPE = "WindowsAzureActiveDirectoryRole"

WORK = {"type": "work", "value": "ann@work.example"}
HOME = {"type": "home", "value": "ann@home.example"}


# --------------------------------------------------------------------------------------------
# get_path: RFC 7644 section 3.10 paths against a resource read back from the target
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "path", "expected"),
    [
        # A value filter with no sub-attribute selects the whole entry.
        ({"emails": [HOME, WORK]}, 'emails[type eq "work"]', WORK),
        # An entry that is not a complex value has no "type": the filter skips it.
        ({"emails": ["ann@plain.example", WORK]}, 'emails[type eq "work"].value', WORK["value"]),
        ({"emails": ["ann@plain.example", WORK]}, 'emails[type eq "work"]', WORK),
        # An entry without the filtered sub-attribute never matches, whatever the wanted value.
        ({"emails": [{"value": "a@x.example"}]}, 'emails[type eq "work"].value', None),
        ({"emails": [{"value": "a@x.example"}]}, 'emails[type eq "XXXX"].value', None),
        ({"emails": [{"value": "a@x.example"}]}, 'emails[type eq "xxxx"].value', None),
        # "emails.value" on a multi-valued attribute: the primary entry ...
        (
            {"emails": [HOME, {**WORK, "primary": True}]},
            "emails.value",
            WORK["value"],
        ),
        # ... else the first one (RFC 7643 section 2.4: at most one is primary, none need be) ...
        ({"emails": [HOME, WORK]}, "emails.value", HOME["value"]),
        ({"emails": [{"value": "only@x.example"}]}, "emails.value", "only@x.example"),
        # ... and nothing from an empty list.
        ({"emails": []}, "emails.value", None),
    ],
)
def test_get_path_reads_filtered_and_multi_valued_attributes(resource, path, expected):
    assert get_path(resource, path) == expected


# --------------------------------------------------------------------------------------------
# Booleans in create bodies: RFC 7643 types "active" and emails' "primary" as boolean
# (sections 4.1.1 and 4.1.2); Microsoft's create example sends them as JSON booleans.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("active", "True", {"active": True}),
        ("active", "false", {"active": False}),
        # A boolean sub-attribute of a filtered path is a boolean too.
        (
            'emails[type eq "work"].primary',
            "True",
            {"emails": [{"primary": True, "type": "work"}]},
        ),
        (
            'emails[type eq "work"].primary',
            "False",
            {"emails": [{"primary": False, "type": "work"}]},
        ),
        # A string attribute keeps a value that only looks like a boolean.
        ("displayName", "True", {"displayName": "True"}),
        ("displayName", "false", {"displayName": "false"}),
        ("name.givenName", "True", {"name": {"givenName": "True"}}),
        # A real boolean mapped to any attribute stays a boolean.
        ("isContractor", True, {"isContractor": True}),
    ],
)
def test_create_body_writes_booleans_only_for_boolean_attributes(key, value, expected):
    body = create_user_body({key: value})
    body.pop("schemas")
    body.pop("meta")
    assert body == expected


def test_boolean_attributes_named_by_full_path():
    # boolean_attributes names full target paths too (a schema's boolean attributes).
    key = f"{ENT}:isManager"
    body = create_user_body({key: "true"}, boolean_attributes={key})
    assert body[ENT] == {"isManager": True}


# --------------------------------------------------------------------------------------------
# Filtered and enterprise paths in create bodies
# --------------------------------------------------------------------------------------------


def test_a_filtered_path_without_sub_attribute_writes_the_entry_value():
    # RFC 7644 section 3.10: emails[type eq "work"] selects the entry; its value is "value".
    body = create_user_body({'emails[type eq "work"]': "ann@work.example"})
    assert body["emails"] == [{"primary": True, "type": "work", "value": "ann@work.example"}]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # RFC 7643 section 4.3: manager is complex (value, $ref, displayName).
        (f"{ENT}:manager.displayName", "Bo Li", {"manager": {"displayName": "Bo Li"}}),
        (f"{ENT}:manager.value", "42", {"manager": {"value": "42"}}),
        (f"{ENT}:manager", "42", {"manager": {"value": "42"}}),
        # The enterprise URN in other letter case (RFC 7643 section 2.1: names are
        # case-insensitive) lands in the one enterprise object, its path kept whole.
        (
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:User:manager.displayName",
            "Bo Li",
            {"manager": {"displayName": "Bo Li"}},
        ),
        (
            f'{ENT.upper()[:-4]}User:phones[type eq "desk"].value',
            "+1 555",
            {"phones": [{"type": "desk", "value": "+1 555"}]},
        ),
    ],
)
def test_enterprise_paths_keep_their_sub_attribute_and_filter(key, value, expected):
    body = create_user_body({key: value})
    assert body[ENT] == expected
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User", ENT]


def test_a_conflicting_enterprise_mapping_names_its_path():
    key = f"{ENT}:department.code"
    with pytest.raises(PayloadError, match=r"department\.code' conflicts with another mapping"):
        create_user_body({f"{ENT}:department": "Sales", key: "S1"})


# --------------------------------------------------------------------------------------------
# Single roles in create bodies (Microsoft's role guide:
# https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes)
# --------------------------------------------------------------------------------------------


def _role(value: str) -> AppRoleValue:
    return AppRoleValue(value, f"id-{value}", value)


@pytest.mark.parametrize(
    ("target", "expected_roles"),
    [
        # SingleAppRoleAssignment is the primary role, however its target is written.
        ({"roles": _role("Admin")}, [{"primary": True, "type": ROLE_TYPE, "value": "Admin"}]),
        (
            {'roles[primary eq "True"]': _role("Admin")},
            [{"primary": True, "type": ROLE_TYPE, "value": "Admin"}],
        ),
        (
            {'roles[type eq "WindowsAzureActiveDirectoryRole"].value': _role("Admin")},
            [{"primary": True, "type": ROLE_TYPE, "value": "Admin"}],
        ),
        # A role the mapping marks non-primary is its own entry.
        (
            {'roles[primary eq "False"].value': _role("User")},
            [{"primary": False, "type": ROLE_TYPE, "value": "User"}],
        ),
        (
            {
                'roles[primary eq "True"].value': _role("Admin"),
                'roles[primary eq "False"].value': _role("User"),
            },
            [
                {"primary": True, "type": ROLE_TYPE, "value": "Admin"},
                {"primary": False, "type": ROLE_TYPE, "value": "User"},
            ],
        ),
        # .value and .display of the one primary role fill one entry.
        (
            {
                'roles[primary eq "True"].value': _role("Admin"),
                'roles[primary eq "True"].display': _role("Admin"),
            },
            [{"primary": True, "type": ROLE_TYPE, "value": "Admin", "display": "Admin"}],
        ),
    ],
)
def test_single_roles_in_create_bodies(target, expected_roles):
    assert create_user_body(target)["roles"] == expected_roles


def test_complex_roles_in_a_create_body_are_a_new_json_list():
    # The body is plain JSON of its own: writing it does not change the mapped role list.
    roles = parse_expression("AppRoleAssignmentsComplex([r])").evaluate(
        {"r": [{"appRoleId": "1", "appRoleValue": "Admin", "displayName": "Admin"}]}
    )
    body = create_user_body({"roles": roles})
    assert type(body["roles"]) is list
    assert body["roles"] == [
        {"primary": False, "type": ROLE_TYPE, "displayName": "Admin", "value": "Admin"}
    ]
    body["roles"].append({"value": "Other"})
    assert [r["value"] for r in roles] == ["Admin"]


def test_a_single_role_is_patched_once_and_the_other_changes_still_go():
    # .value and .display of SingleAppRoleAssignment are one role: one operation, and the
    # attributes after them in the change set are still sent.
    role = _role("Admin")
    changes: dict[str, Any] = {
        'roles[primary eq "True"].value': role,
        'roles[primary eq "True"].display': role,
        "displayName": "Ann Lee",
        "title": "Dev",
    }
    ops = user_patch_body(changes, "default")["Operations"]
    assert [(op["op"], op["path"]) for op in ops] == [
        ("Add", "roles"),
        ("Replace", "displayName"),
        ("Replace", "title"),
    ]


# --------------------------------------------------------------------------------------------
# diff: comparing mapped values with what the target returns
# --------------------------------------------------------------------------------------------


def _complex(*values: str, assertive: bool = False) -> Any:
    name = "AssertiveAppRoleAssignmentsComplex" if assertive else "AppRoleAssignmentsComplex"
    return parse_expression(f"{name}([r])").evaluate(
        {"r": [{"appRoleId": v, "appRoleValue": v} for v in values]}
    )


ROLES_AU = [{"primary": False, "value": "Admin"}, {"primary": False, "value": "User"}]


@pytest.mark.parametrize(
    ("wanted", "current_roles", "changed"),
    [
        # AppRoleAssignmentsComplex only adds roles: extra target roles are no change ...
        (_complex("Admin"), ROLES_AU, False),
        (_complex("Admin", "User"), ROLES_AU, False),
        (_complex("Admin", "Owner"), ROLES_AU, True),
        # ... AssertiveAppRoleAssignmentsComplex replaces them: extra roles are a change.
        (_complex("Admin", assertive=True), ROLES_AU, True),
        (_complex("Admin", "User", assertive=True), ROLES_AU, False),
    ],
)
def test_diff_of_role_lists_follows_add_only_or_replace(wanted, current_roles, changed):
    assert (diff({"roles": wanted}, {"roles": current_roles}) != {}) is changed


@pytest.mark.parametrize(
    ("target", "current", "changed"),
    [
        # A role mapped as plain text to a filtered path compares with that entry only.
        (
            {'roles[primary eq "True"].value': "Admin"},
            {"roles": [{"primary": False, "value": "User"}, {"primary": True, "value": "Admin"}]},
            False,
        ),
        (
            {'roles[primary eq "True"].value': "User"},
            {"roles": [{"primary": False, "value": "User"}, {"primary": True, "value": "Admin"}]},
            True,
        ),
        # A null mapped value is skipped, and the attributes after it are still compared.
        ({"title": None, "displayName": "Ann Li"}, {"displayName": "Ann Lee"}, True),
        # A manager read back as the SCIM guide sends it, [{"$ref", "value"}], compares by id.
        (
            {f"{ENT}:manager": "42"},
            {ENT: {"manager": [{"$ref": "https://t.example/scim/Users/42", "value": "42"}]}},
            False,
        ),
        (
            {f"{ENT}:manager": "43"},
            {ENT: {"manager": [{"$ref": "https://t.example/scim/Users/42", "value": "42"}]}},
            True,
        ),
        # Plain text that contains "value" is text, not a reference.
        ({"title": "value engineer"}, {"title": "value engineer"}, False),
        ({"title": "value engineer"}, {"title": "Value Engineer"}, True),
        # A number read back compares by its text.
        ({"employeeNumber": "7"}, {"employeeNumber": 7}, False),
        # An empty value differs from any text, and text from an empty value.
        ({"title": ""}, {"title": "Dev"}, True),
        ({"title": ""}, {"title": "XXXX"}, True),
        ({"title": "XXXX"}, {"title": ""}, True),
        ({"title": ""}, {"title": ""}, False),
    ],
)
def test_diff_compares_read_back_values(target, current, changed):
    assert (diff(target, current) != {}) is changed


@pytest.mark.parametrize(
    ("wanted", "actual", "case_exact", "changed"),
    [
        # Multi-valued text compares case-sensitively by default ...
        (["Sales"], [{"value": "sales"}], None, True),
        (["Sales"], [{"value": "Sales"}], None, False),
        # ... and ignores case for attributes the schema does not mark caseExact.
        (["Sales"], [{"value": "sales"}], set(), False),
        (["Sales"], [{"value": "sales"}], {"groups"}, True),
        # An entry without a value is not any wanted value.
        (["Sales"], [{"display": "Sales"}], None, True),
        (["XXXX"], [{"display": "XXXX"}], None, True),
        (["xxxx"], [{"display": "xxxx"}], set(), True),
        # An empty wanted entry is not any value either.
        ([""], [{"value": "XXXX"}], None, True),
    ],
)
def test_diff_compares_multi_valued_attributes(wanted, actual, case_exact, changed):
    result = diff({"groups": wanted}, {"groups": actual}, case_exact=case_exact)
    assert (result != {}) is changed


ROLES_PRIMARY_ADMIN = {
    "roles": [
        {"primary": True, "type": ROLE_TYPE, "value": "Admin"},
        {"primary": False, "type": ROLE_TYPE, "value": "User"},
    ]
}


@pytest.mark.parametrize(
    ("key", "role", "changed"),
    [
        # A single role compares with the entry its path selects: the primary one ...
        ('roles[primary eq "True"].value', "Admin", False),
        ('roles[primary eq "True"].value', "User", True),
        ("roles", "Admin", False),
        ("roles", "User", True),
        # ... or the non-primary one a mapping names.
        ('roles[primary eq "False"].value', "User", False),
        ('roles[primary eq "False"].value', "Admin", True),
    ],
)
def test_diff_of_a_single_role_reads_the_entry_its_path_selects(key, role, changed):
    assert (diff({key: _role(role)}, ROLES_PRIMARY_ADMIN) != {}) is changed
