"""User PATCH, rule by rule: paths, multi-valued attributes, filtered paths, the enterprise
extension, path-less operations, and what each refusal says.

Sources: RFC 7644 section 3.5.2 (https://datatracker.ietf.org/doc/html/rfc7644#section-3.5.2):
add (3.5.2.1), remove (3.5.2.2), replace (3.5.2.3), and the error types of section 3.12
(https://datatracker.ietf.org/doc/html/rfc7644#section-3.12); RFC 7643 section 2.4
(https://datatracker.ietf.org/doc/html/rfc7643#section-2.4): at most one ``primary`` value of a
multi-valued attribute; Miro's PatchUser reference (https://developers.miro.com/reference/patchuser)
and Miro's error body, whose ``detail`` explains a 400 (https://developers.miro.com/docs/errors).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mock_miro.exceptions import ScimError
from mock_miro.patch import UserPatcher, parse_patch_body
from mock_miro.schemas import EXTENSIONS, USER_TABLE
from tests.support.miro import ENTERPRISE, PATCH_SCHEMA

ENT = ENTERPRISE
WORK = {"value": "w@x.com", "type": "work", "primary": True}
HOME = {"value": "h@x.com", "type": "home"}
USER_ROLE = {
    "value": "ORGANIZATION_INTERNAL_USER",
    "type": "organization_user_role",
    "primary": True,
}
ADMIN_ROLE = {"value": "Content Admin", "type": "organization_admin_role", "primary": False}


def patched(
    data: dict[str, Any],
    *ops: dict[str, Any],
    strict: bool = False,
    pathless: bool = True,
) -> dict[str, Any]:
    work = copy.deepcopy(data)
    body = {"schemas": [PATCH_SCHEMA], "Operations": list(ops)}
    UserPatcher(USER_TABLE, EXTENSIONS, strict, pathless).apply(
        work, parse_patch_body(body, strict)
    )
    return work


def refused(
    data: dict[str, Any], *ops: dict[str, Any], strict: bool = False, pathless: bool = True
) -> tuple[int, str | None, str]:
    with pytest.raises(ScimError) as caught:
        patched(data, *ops, strict=strict, pathless=pathless)
    return caught.value.status, caught.value.scim_type, caught.value.detail


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("DISPLAYNAME", "B", {"displayName": "B"}),
        ("urn:ietf:params:scim:schemas:core:2.0:User:displayName", "B", {"displayName": "B"}),
        ("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:displayName", "B", {"displayName": "B"}),
        ("NAME.GIVENNAME", "Ann", {"name": {"givenName": "Ann"}}),
        (f"{ENT}:department", "IT", {ENT: {"department": "IT"}}),
        (f"{ENT.lower()}:DEPARTMENT", "IT", {ENT: {"department": "IT"}}),
        (f"{ENT}:manager.value", "42", {ENT: {"manager": {"value": "42"}}}),
        # Entra's generic sample sends manager and other enterprise attributes unprefixed.
        ("manager", [{"$ref": None, "value": "42"}], {ENT: {"manager": {"value": "42"}}}),
        ("Department", "IT", {ENT: {"department": "IT"}}),
        (ENT.lower(), {"division": "D"}, {ENT: {"division": "D"}}),
    ],
)
def test_paths_name_attributes_in_any_case_with_or_without_their_schema(
    path: str, value: Any, expected: dict[str, Any]
) -> None:
    """RFC 7644 section 3.10: an attribute path may carry its schema URN, names are
    case-insensitive (RFC 7643 section 2.1); the extension's attributes live under its URN
    (Miro's PatchUser: ``urn:...:enterprise:2.0:User:department``)."""
    assert patched({}, {"op": "replace", "path": path, "value": value}) == expected


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("nickName", "x"),
        ("urn:example:params:scim:schemas:extension:Other:costCenter", "x"),
        ("name.middleName", "x"),
        ('name.givenName[value eq "x"]', "x"),
        ('emails[type eq "work"].nope', "x"),
        ("groups", [{"value": "1"}]),
        ("id", "1"),
        ("meta.created", "2026-01-01T00:00:00Z"),
    ],
)
def test_lenient_patch_ignores_unknown_and_read_only_paths(path: str, value: Any) -> None:
    """The ``patch_strict: false`` setting (docs/miro-fake.md): attributes Miro does not know,
    and read-only ones, are ignored."""
    before = {"displayName": "A", "emails": [dict(WORK)]}
    assert patched(before, {"op": "replace", "path": path, "value": value}) == before


@pytest.mark.parametrize(
    ("path", "value", "scim_type", "detail"),
    [
        ("nickName", "x", "invalidPath", "Unsupported attribute path 'nickName'"),
        (
            "urn:example:params:scim:schemas:extension:Other:costCenter",
            "x",
            "invalidPath",
            "Unsupported attribute path 'urn:example:params:scim:schemas:extension:Other:costCenter'",
        ),
        ("manager", "1", "invalidPath", "Unsupported attribute path 'manager'"),
        ("name.middleName", "x", "invalidPath", "Unsupported attribute path 'name.middleName'"),
        (
            'emails[type eq "work"].nope',
            "x",
            "invalidPath",
            "Unsupported attribute path 'emails[type eq \"work\"].nope'",
        ),
        ("id", "1", "mutability", "Attribute 'id' is read-only"),
        ("groups", [{"value": "1"}], "mutability", "Attribute 'groups' is read-only"),
        ("meta.created", "x", "mutability", "Attribute 'meta.created' is read-only"),
    ],
)
def test_strict_patch_refuses_unknown_and_read_only_paths(
    path: str, value: Any, scim_type: str, detail: str
) -> None:
    """Miro's PatchUser reference lists the paths it takes; RFC 7644 section 3.12: an
    unsupported path is invalidPath, a read-only attribute (``id``, ``groups``, ``meta``; RFC
    7643 sections 3.1 and 4.1.2) is mutability."""
    assert refused({}, {"op": "replace", "path": path, "value": value}, strict=True) == (
        400,
        scim_type,
        detail,
    )


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ('emails[type eq "work"', "Invalid path 'emails[type eq \"work\"'"),
        ("emails]", "Invalid path 'emails]'"),
        (f'{ENT}[value eq "x"]', f"Invalid path '{ENT}[value eq \"x\"]'"),
        ('name[givenName eq "x"]', "'name' is not multi-valued: 'name[givenName eq \"x\"]'"),
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_a_malformed_path_is_invalid_path_in_either_mode(
    path: str, detail: str, strict: bool
) -> None:
    """RFC 7644 section 3.12: "The path attribute was invalid or malformed" is invalidPath; a
    value filter only applies to a multi-valued attribute (section 3.5.2)."""
    assert refused({}, {"op": "replace", "path": path, "value": "x"}, strict=strict) == (
        400,
        "invalidPath",
        detail,
    )


def test_a_path_less_key_over_1000_characters_is_named_by_its_start() -> None:
    """Strict PATCH names an unsupported path (invalidPath); a key too long to be a path is
    named by its first 40 characters, a 1000-character one in full."""
    long_key = "k" * 1001
    assert refused({}, {"op": "replace", "value": {long_key: "x"}}, strict=True) == (
        400,
        "invalidPath",
        "Unsupported attribute path '" + "k" * 40 + "...'",
    )
    assert refused({}, {"op": "replace", "value": {"k" * 1000: "x"}}, strict=True) == (
        400,
        "invalidPath",
        "Unsupported attribute path '" + "k" * 1000 + "'",
    )


# ---------------------------------------------------------------- path-less operations


def test_strict_patch_needs_a_path_on_every_operation_before_applying_any() -> None:
    """Miro's PatchUser reference marks ``path`` required: noTarget (RFC 7644 section 3.12)."""
    assert refused(
        {},
        {"op": "replace", "path": "displayName", "value": "B"},
        {"op": "replace", "value": {"displayName": "C"}},
        strict=True,
        pathless=False,
    ) == (400, "noTarget", "Miro requires a 'path' on every operation")
    # Lenient PATCH takes Entra's path-less form whatever the setting says.
    assert patched(
        {}, {"op": "replace", "value": {"displayName": "C"}}, strict=False, pathless=False
    ) == {"displayName": "C"}


def test_a_path_less_value_sets_each_attribute_it_names() -> None:
    """RFC 7644 section 3.5.2.3: without a path, the value's attributes replace the resource's;
    ``schemas``, ``id`` and ``meta`` are not attributes a client sets (RFC 7643 section 3.1), so
    even strict PATCH passes over them; a null value changes nothing."""
    before = {"displayName": "A", "title": "T", ENT: {"department": "IT", "division": "D"}}
    after = patched(
        before,
        {
            "op": "replace",
            "value": {
                "Schemas": [PATCH_SCHEMA],
                "ID": "9",
                "META": {"created": "x"},
                "displayName": None,
                "name.givenName": "Zed",
                ENT.upper(): {"department": "Sales", "division": None},
            },
        },
        strict=True,
        pathless=True,
    )
    assert after == {
        "displayName": "A",
        "title": "T",
        "name": {"givenName": "Zed"},
        ENT: {"department": "Sales", "division": "D"},
    }


@pytest.mark.parametrize(
    ("value", "scim_type", "detail"),
    [
        ("x", "invalidSyntax", "A path-less operation needs an object 'value'"),
        ({"active": "maybe"}, "invalidValue", "Attribute 'active' must be a boolean, got 'maybe'"),
        (
            {ENT: {"manager": "1"}},
            "invalidValue",
            "Attribute 'manager' must be an object, got '1'",
        ),
        ({ENT: "x"}, "invalidValue", f"'{ENT}' needs an object value"),
    ],
)
def test_a_bad_path_less_value_names_the_attribute(value: Any, scim_type: str, detail: str) -> None:
    """RFC 7644 section 3.5.2: a path-less operation's value is an object of attributes; a value
    of the wrong type is invalidValue (section 3.12), with a detail naming the attribute."""
    assert refused({}, {"op": "replace", "value": value}) == (400, scim_type, detail)


# ---------------------------------------------------------------- single-valued and complex


@pytest.mark.parametrize(
    ("before", "op", "after"),
    [
        ({"displayName": "A"}, {"op": "remove", "path": "displayName"}, {}),
        (
            {"displayName": "A"},
            {"op": "replace", "path": "displayName", "value": 5},
            {"displayName": "5"},
        ),
        # A complex value whose sub-attributes are all unknown leaves nothing to store.
        ({"name": {"givenName": "A"}}, {"op": "replace", "path": "name", "value": {"x": 1}}, {}),
        (
            {},
            {"op": "add", "path": "name", "value": {"givenName": "A"}},
            {"name": {"givenName": "A"}},
        ),
        # Entra sends the manager as a one-item list; add merges into the existing manager.
        (
            {ENT: {"manager": {"value": "1", "displayName": "Boss"}}},
            {"op": "add", "path": f"{ENT}:manager", "value": [{"value": "2"}]},
            {ENT: {"manager": {"value": "2", "displayName": "Boss"}}},
        ),
        (
            {ENT: {"manager": {"value": "1", "displayName": "Boss"}}},
            {"op": "replace", "path": f"{ENT}:manager", "value": [{"value": "2"}]},
            {ENT: {"manager": {"value": "2"}}},
        ),
        # Removing the extension's last attribute removes the extension; others keep it.
        ({ENT: {"department": "IT"}}, {"op": "remove", "path": f"{ENT}:department"}, {}),
        (
            {ENT: {"department": "IT", "division": "D"}},
            {"op": "remove", "path": f"{ENT}:department"},
            {ENT: {"division": "D"}},
        ),
        ({"title": "T"}, {"op": "remove", "path": f"{ENT}:department"}, {"title": "T"}),
    ],
)
def test_single_valued_and_complex_attributes(
    before: dict[str, Any], op: dict[str, Any], after: dict[str, Any]
) -> None:
    """RFC 7644 section 3.5.2.1: add to a complex attribute sets the given sub-attributes;
    replace sets the attribute (3.5.2.3); remove takes it away (3.5.2.2). Miro's PatchUser:
    ``Replace`` of ``urn:...:enterprise:2.0:User:manager``."""
    assert patched(before, op) == after


@pytest.mark.parametrize(
    ("path", "value", "detail"),
    [
        ("displayName", {}, "Attribute 'displayName' must be a string, got {}"),
        ("name", "Ann", "Attribute 'name' must be an object, got 'Ann'"),
        ("name.givenName", [], "Attribute 'name.givenName' must be a string, got []"),
        ("emails", "a@x.com", "Attribute 'emails' must be an object, got 'a@x.com'"),
        ("emails.primary", "maybe", "Attribute 'emails.primary' must be a boolean, got 'maybe'"),
        (
            'emails[type eq "work"].primary',
            "maybe",
            "Attribute 'emails[type eq \"work\"].primary' must be a boolean, got 'maybe'",
        ),
        (
            'emails[type eq "work"]',
            "x",
            "Attribute 'emails[type eq \"work\"]' must be an object, got 'x'",
        ),
        (
            f"{ENT}:employeeNumber",
            {},
            f"Attribute '{ENT}:employeeNumber' must be a string, got {{}}",
        ),
    ],
)
@pytest.mark.parametrize("op", ["add", "replace"])
def test_a_value_of_the_wrong_type_names_the_path(
    path: str, value: Any, detail: str, op: str
) -> None:
    """RFC 7644 section 3.12: invalidValue; Miro: "400 ... unexpected attribute value", the
    ``detail`` explains (https://developers.miro.com/docs/errors)."""
    data = {"emails": [dict(WORK)]}
    assert refused(data, {"op": op, "path": path, "value": value}) == (400, "invalidValue", detail)


# ---------------------------------------------------------------- the whole extension


def test_add_and_replace_of_the_whole_enterprise_extension() -> None:
    """RFC 7644 section 3.5.2.1: add sets the attributes it names and leaves the others;
    section 3.5.2.3: replace replaces the target, so attributes it does not name go; each named
    attribute is replaced (the manager as a whole); a null is no value and the extension may
    name its own ``schemas``."""
    before = {
        "title": "T",
        ENT: {"department": "IT", "division": "D", "manager": {"value": "1", "displayName": "B"}},
    }
    value = {"schemas": [ENT], "department": "Sales", "manager": {"value": "2"}, "division": None}
    assert patched(before, {"op": "add", "path": ENT, "value": value}, strict=True) == {
        "title": "T",
        ENT: {"department": "Sales", "division": "D", "manager": {"value": "2"}},
    }
    assert patched(before, {"op": "replace", "path": ENT, "value": value}, strict=True) == {
        "title": "T",
        ENT: {"department": "Sales", "manager": {"value": "2"}},
    }
    assert patched(before, {"op": "replace", "path": ENT, "value": {"division": None}}) == {
        "title": "T"
    }
    assert patched(before, {"op": "remove", "path": ENT.lower()}) == {"title": "T"}


def test_the_whole_extension_needs_an_object() -> None:
    assert refused({}, {"op": "add", "path": ENT, "value": "IT"}) == (
        400,
        "invalidValue",
        f"'{ENT}' needs an object value",
    )


# ---------------------------------------------------------------- multi-valued


@pytest.mark.parametrize(
    ("before", "op", "after"),
    [
        # add: a new value joins; the same value and type replaces the old item (no duplicate).
        (
            {"emails": [dict(WORK), dict(HOME)]},
            {"op": "add", "path": "emails", "value": [{"value": "w@x.com", "type": "work"}]},
            {"emails": [dict(HOME), {"value": "w@x.com", "type": "work"}]},
        ),
        (
            {"emails": [dict(WORK)]},
            {"op": "add", "path": "emails", "value": {"value": "w@x.com", "type": "other"}},
            {"emails": [dict(WORK), {"value": "w@x.com", "type": "other"}]},
        ),
        # Items without a value are never taken for duplicates.
        (
            {"emails": [{"type": "work"}]},
            {"op": "add", "path": "emails", "value": [{"type": "work"}]},
            {"emails": [{"type": "work"}, {"type": "work"}]},
        ),
        # A new primary value takes primary from the others (RFC 7643 section 2.4).
        (
            {"emails": [dict(WORK), {"value": "o@x.com", "primary": False}]},
            {"op": "add", "path": "emails", "value": [{"value": "n@x.com", "primary": True}]},
            {
                "emails": [
                    dict(WORK, primary=False),
                    {"value": "o@x.com", "primary": False},
                    {"value": "n@x.com", "primary": True},
                ]
            },
        ),
        (
            {"emails": [dict(WORK)]},
            {"op": "add", "path": "emails", "value": [{"value": "n@x.com", "primary": False}]},
            {"emails": [dict(WORK), {"value": "n@x.com", "primary": False}]},
        ),
        # replace: the list is the new one, with the last primary value the only primary.
        (
            {"emails": [dict(WORK)]},
            {
                "op": "replace",
                "path": "emails",
                "value": [
                    {"value": "a@x.com", "primary": True},
                    {"value": "b@x.com", "primary": True},
                    {"value": "c@x.com"},
                ],
            },
            {
                "emails": [
                    {"value": "a@x.com", "primary": False},
                    {"value": "b@x.com", "primary": True},
                    {"value": "c@x.com"},
                ]
            },
        ),
        ({"emails": [dict(WORK)]}, {"op": "replace", "path": "emails", "value": []}, {}),
        # remove: all values, or the values listed (Entra's form), compared as text.
        ({"emails": [dict(WORK), dict(HOME)]}, {"op": "remove", "path": "emails"}, {}),
        (
            {"emails": [dict(WORK), dict(HOME)]},
            {"op": "remove", "path": "emails", "value": {"value": "h@x.com"}},
            {"emails": [dict(WORK)]},
        ),
        (
            {"phoneish": 1, "emails": [{"value": "5"}, dict(HOME)]},
            {"op": "remove", "path": "emails", "value": [{"value": 5}, {"type": "home"}, "x"]},
            {"phoneish": 1, "emails": [dict(HOME)]},
        ),
        (
            {"emails": [dict(WORK)]},
            {"op": "remove", "path": "emails", "value": [{"value": "w@x.com"}]},
            {},
        ),
    ],
)
def test_multi_valued_add_replace_remove(
    before: dict[str, Any], op: dict[str, Any], after: dict[str, Any]
) -> None:
    """RFC 7644 section 3.5.2.1: add to a multi-valued attribute adds values (a value already
    there is not added twice); 3.5.2.3: replace replaces all values; 3.5.2.2: remove without a
    filter removes all values, Entra's remove with a value list removes those (Microsoft's SCIM
    guide, https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
    RFC 7643 section 2.4: the primary attribute is true for at most one value."""
    assert patched(before, op) == after


@pytest.mark.parametrize(
    ("added", "roles"),
    [
        # A new organisation role replaces the old one: exactly one (Miro's PatchUser).
        (
            {
                "value": "ORGANIZATION_INTERNAL_ADMIN",
                "type": "organization_user_role",
                "primary": True,
            },
            [
                dict(ADMIN_ROLE),
                {
                    "value": "ORGANIZATION_INTERNAL_ADMIN",
                    "type": "organization_user_role",
                    "primary": True,
                },
            ],
        ),
        # So does one given without a type but with an organisation-role value.
        (
            {"value": "ORGANIZATION_INTERNAL_ADMIN"},
            [dict(ADMIN_ROLE), {"value": "ORGANIZATION_INTERNAL_ADMIN"}],
        ),
        # An admin role joins the others.
        (
            {"value": "User Admin", "type": "organization_admin_role", "primary": False},
            [
                dict(USER_ROLE),
                dict(ADMIN_ROLE),
                {"value": "User Admin", "type": "organization_admin_role", "primary": False},
            ],
        ),
        # An untyped value that is not an organisation role is not one.
        ({"value": "Custom"}, [dict(USER_ROLE), dict(ADMIN_ROLE), {"value": "Custom"}]),
    ],
)
def test_adding_roles_keeps_exactly_one_organisation_role(
    added: dict[str, Any], roles: list[dict[str, Any]]
) -> None:
    """Miro's PatchUser: ``roles`` holds exactly one ``organization_user_role``
    (ORGANIZATION_INTERNAL_ADMIN or ORGANIZATION_INTERNAL_USER) and any ``organization_admin_role``."""
    before = {"roles": [dict(USER_ROLE), dict(ADMIN_ROLE)]}
    assert patched(before, {"op": "add", "path": "roles", "value": [added]}) == {"roles": roles}


@pytest.mark.parametrize(
    ("before", "op", "after"),
    [
        (
            {"emails": [dict(WORK), dict(HOME)]},
            {"op": "replace", "path": "emails.display", "value": "E"},
            {"emails": [dict(WORK, display="E"), dict(HOME, display="E")]},
        ),
        (
            {"emails": [dict(WORK, display="E"), dict(HOME, display="E")]},
            {"op": "remove", "path": "emails.display"},
            {"emails": [dict(WORK), dict(HOME)]},
        ),
        ({}, {"op": "add", "path": "emails.display", "value": "E"}, {}),
        ({"name": {"givenName": "A"}}, {"op": "remove", "path": "name.givenName"}, {}),
        (
            {"name": {"givenName": "A", "familyName": "B"}},
            {"op": "remove", "path": "name.givenName"},
            {"name": {"familyName": "B"}},
        ),
        ({}, {"op": "remove", "path": "name.givenName"}, {}),
        (
            {"name": {"givenName": "A"}},
            {"op": "add", "path": "name.familyName", "value": "B"},
            {"name": {"givenName": "A", "familyName": "B"}},
        ),
    ],
)
def test_sub_attribute_paths(
    before: dict[str, Any], op: dict[str, Any], after: dict[str, Any]
) -> None:
    """RFC 7644 section 3.10: ``attr.sub`` names a sub-attribute; on a multi-valued attribute
    it names that sub-attribute of every value. Removing a complex attribute's last
    sub-attribute leaves the attribute unassigned (RFC 7644 section 3.5.2.2)."""
    assert patched(before, op) == after


# ---------------------------------------------------------------- filtered paths


@pytest.mark.parametrize(
    ("before", "op", "after"),
    [
        # replace on the matching values; the others are untouched.
        (
            {"emails": [dict(WORK), dict(HOME)]},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "n@x.com"},
            {"emails": [dict(WORK, value="n@x.com"), dict(HOME)]},
        ),
        (
            {"emails": [dict(WORK), dict(HOME)]},
            {"op": "replace", "path": 'emails[type eq "home"]', "value": [{"display": "H"}]},
            {"emails": [dict(WORK), dict(HOME, display="H")]},
        ),
        # No match: Entra's replace creates the value from the filter's equality terms.
        (
            {"emails": [dict(HOME)]},
            {"op": "replace", "path": 'emails[TYPE eq "work"].value', "value": "w@x.com"},
            {"emails": [dict(HOME), {"type": "work", "value": "w@x.com"}]},
        ),
        (
            {"emails": [dict(HOME)]},
            {"op": "add", "path": 'emails[type eq "work"]', "value": {"value": "w@x.com"}},
            {"emails": [dict(HOME), {"type": "work", "value": "w@x.com"}]},
        ),
        (
            {"emails": [dict(HOME, primary=True)]},
            {
                "op": "replace",
                "path": 'emails[type eq "work" and primary eq "True"].value',
                "value": "w@x.com",
            },
            {
                "emails": [
                    dict(HOME, primary=False),
                    {"type": "work", "primary": True, "value": "w@x.com"},
                ]
            },
        ),
        (
            {"emails": [dict(HOME, primary=True)]},
            {
                "op": "replace",
                "path": 'emails[type eq "work" and primary eq false].value',
                "value": "w@x.com",
            },
            {
                "emails": [
                    dict(HOME, primary=True),
                    {"type": "work", "primary": False, "value": "w@x.com"},
                ]
            },
        ),
        # remove: the matching values, or one sub-attribute of them.
        (
            {"emails": [dict(WORK), dict(HOME), dict(WORK)]},
            {"op": "remove", "path": 'emails[type eq "work"]'},
            {"emails": [dict(HOME)]},
        ),
        (
            {"emails": [dict(WORK, display="W"), dict(HOME, display="H")]},
            {"op": "remove", "path": 'emails[type eq "work"].display'},
            {"emails": [dict(WORK), dict(HOME, display="H")]},
        ),
        (
            {"emails": [{"value": "w@x.com"}, dict(HOME)]},
            {"op": "remove", "path": 'emails[value eq "w@x.com"].value'},
            {"emails": [dict(HOME)]},
        ),
        ({"emails": [dict(WORK)]}, {"op": "remove", "path": 'emails[type eq "work"]'}, {}),
        (
            {"emails": [dict(HOME)]},
            {"op": "remove", "path": 'emails[type eq "work"]'},
            {"emails": [dict(HOME)]},
        ),
    ],
)
def test_filtered_paths(before: dict[str, Any], op: dict[str, Any], after: dict[str, Any]) -> None:
    """RFC 7644 section 3.5.2.3: with a value filter, the matching values are replaced, and with
    a sub-attribute (``emails[type eq "work"].value``) that sub-attribute of each; section
    3.5.2.2: remove takes the matching values (or their sub-attribute). Entra's mapping writes
    ``emails[type eq "work"].value`` for users who have no work e-mail yet (Microsoft's SCIM
    guide), so the fake creates the value from the filter (docs/miro-fake.md); a new primary
    value leaves no other primary (RFC 7643 section 2.4)."""
    assert patched(before, op) == after


@pytest.mark.parametrize(
    "path",
    [
        'emails[value co "w"].value',
        'emails[type ne "work"].value',
        'emails[type eq "work" or type eq "home"].value',
        'emails[type eq "work" and value co "w"].value',
        'emails[value co "w" and type eq "work"].value',
        'emails[nope eq "x"].value',
        'emails[primary eq "maybe"].value',
        'emails[name.x eq "x"].value',
        'emails[urn:x:type eq "work"].value',
    ],
)
def test_a_filter_that_matches_nothing_and_cannot_seed_a_value_is_no_target(path: str) -> None:
    """RFC 7644 section 3.5.2.3: "If the target location is a multi-valued attribute for which
    a value selection filter ("valuePath") has been supplied and no record match was made, the
    service provider SHALL indicate failure by returning HTTP status code 400 and a "scimType"
    error code of "noTarget"" (unless, as for Entra, equality terms describe the new value)."""
    assert refused({}, {"op": "replace", "path": path, "value": "w@x.com"}) == (
        400,
        "noTarget",
        f"No value matches the filter in '{path}'",
    )


# ---------------------------------------------------------------- more of the same rules


def test_a_path_less_add_merges_complex_values_and_keeps_going_after_the_extension() -> None:
    """RFC 7644 section 3.5.2.1: a path-less add adds each attribute of its value as an add
    with that attribute's path would: a complex attribute (``name``, the enterprise
    ``manager``) gets the given sub-attributes and keeps the others. Every key is applied, in
    any order."""
    before = {
        "name": {"givenName": "Ann", "familyName": "Lee"},
        ENT: {"manager": {"value": "1", "displayName": "Boss"}},
    }
    after = patched(
        before,
        {
            "op": "add",
            "value": {
                ENT: {"manager": {"value": "2"}},
                "name": {"formatted": "Ann Lee"},
                "displayName": "Ann",
            },
        },
    )
    assert after == {
        "name": {"givenName": "Ann", "familyName": "Lee", "formatted": "Ann Lee"},
        ENT: {"manager": {"value": "2", "displayName": "Boss"}},
        "displayName": "Ann",
    }
    replaced = patched(before, {"op": "replace", "value": {"name": {"formatted": "F"}}})
    assert replaced["name"] == {"formatted": "F"}


@pytest.mark.parametrize(
    ("before", "op"),
    [
        ({"title": "T"}, {"op": "remove", "path": ENT}),
        ({"title": "T"}, {"op": "remove", "path": "emails"}),
        ({"title": "T"}, {"op": "remove", "path": "name.givenName"}),
        ({"title": "T"}, {"op": "remove", "path": "displayName"}),
        ({"title": "T"}, {"op": "remove", "path": f"{ENT}:department"}),
        ({"title": "T"}, {"op": "replace", "path": "name", "value": {"nope": "x"}}),
    ],
)
def test_removing_what_is_not_there_changes_nothing(
    before: dict[str, Any], op: dict[str, Any]
) -> None:
    """RFC 7644 section 3.5.2.2: remove makes the target unassigned; an attribute that has no
    value is already so (no error)."""
    assert patched(before, op) == before


def test_removing_a_sub_attribute_some_values_lack() -> None:
    """RFC 7644 section 3.5.2.2 on ``emails.display`` and ``name.givenName``: the values that
    have it lose it, the others stay as they are."""
    before = {
        "name": {"familyName": "Lee"},
        "emails": [dict(WORK, display="W"), dict(HOME)],
    }
    assert patched(before, {"op": "remove", "path": "emails.display"}) == {
        "name": {"familyName": "Lee"},
        "emails": [dict(WORK), dict(HOME)],
    }
    assert patched(before, {"op": "remove", "path": "name.givenName"}) == before


def test_a_bad_value_in_the_whole_extension_names_its_attribute() -> None:
    """Miro's error ``detail`` explains a 400 (https://developers.miro.com/docs/errors)."""
    assert refused({}, {"op": "add", "path": ENT, "value": {"employeeNumber": {}}}) == (
        400,
        "invalidValue",
        "Attribute 'employeeNumber' must be a string, got {}",
    )


@pytest.mark.parametrize(
    ("added", "kept_user_role"),
    [
        ({"value": "Custom", "type": "organization_user_role"}, False),
        ({"value": "ORGANIZATION_INTERNAL_ADMIN", "type": "organization_admin_role"}, True),
    ],
)
def test_the_role_type_decides_what_an_organisation_role_is(
    added: dict[str, Any], kept_user_role: bool
) -> None:
    """Miro's PatchUser: the organisation role is the value of type
    ``organization_user_role``; a value of type ``organization_admin_role`` is an admin role,
    whatever it is called."""
    after = patched({"roles": [dict(USER_ROLE)]}, {"op": "add", "path": "roles", "value": [added]})
    assert after["roles"] == ([dict(USER_ROLE)] if kept_user_role else []) + [added]


def test_filtered_removal_where_values_or_sub_attributes_are_missing() -> None:
    """RFC 7644 section 3.5.2.2: a filtered remove takes what matches; a value without the
    named sub-attribute keeps what it has, and a user without the attribute is unchanged."""
    before = {"emails": [dict(WORK), dict(HOME, display="H")]}
    assert patched(before, {"op": "remove", "path": 'emails[type eq "work"].display'}) == before
    assert patched({"title": "T"}, {"op": "remove", "path": 'emails[type eq "work"]'}) == {
        "title": "T"
    }


def test_a_bad_value_for_a_new_filtered_value_names_the_path() -> None:
    """Miro's error ``detail`` explains a 400 (https://developers.miro.com/docs/errors), also
    when the filtered path creates the value."""
    path = 'emails[type eq "work"].primary'
    assert refused({}, {"op": "replace", "path": path, "value": "maybe"}) == (
        400,
        "invalidValue",
        f"Attribute '{path}' must be a boolean, got 'maybe'",
    )


def test_a_bad_value_for_a_new_filtered_item_names_the_path() -> None:
    path = 'emails[type eq "work"]'
    assert refused({}, {"op": "add", "path": path, "value": "x"}) == (
        400,
        "invalidValue",
        f"Attribute '{path}' must be an object, got 'x'",
    )


def test_a_remove_with_a_value_still_removes_a_single_valued_attribute() -> None:
    """RFC 7644 section 3.5.2.2: remove takes the target away; a value beside a path to a
    single-valued or complex attribute selects nothing more."""
    before = {"displayName": "A", "name": {"givenName": "Ann"}, "title": "T"}
    assert patched(
        before,
        {"op": "remove", "path": "displayName", "value": "B"},
        {"op": "remove", "path": "name", "value": {"givenName": "Bob"}},
    ) == {"title": "T"}


@pytest.mark.parametrize(
    ("path", "value", "detail"),
    [
        ("displayName", ["A"], "Attribute 'displayName' must be a string, got ['A']"),
        ("name", "x", "Attribute 'name' must be an object, got 'x'"),
    ],
)
def test_a_bad_value_is_named_when_the_attribute_has_a_value_already(
    path: str, value: Any, detail: str
) -> None:
    """Only Entra's manager comes as a one-item list (Microsoft's SCIM guide); a list for a
    string attribute is refused, and an add onto an existing complex value still checks the
    type (https://developers.miro.com/docs/errors: the ``detail`` explains)."""
    before = {"displayName": "A", "name": {"givenName": "Ann"}}
    assert refused(before, {"op": "add", "path": path, "value": value}) == (
        400,
        "invalidValue",
        detail,
    )


def test_the_patcher_takes_path_less_operations_unless_told_otherwise() -> None:
    """Entra's aadOptscim062020 dialect sends a path-less replace (Microsoft's known issues,
    https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility);
    the ``patch_pathless_replace`` setting turns it off for Miro's strict PATCH."""
    work: dict[str, Any] = {}
    ops = parse_patch_body(
        {
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "replace", "value": {"displayName": "T"}}],
        },
        True,
    )
    UserPatcher(USER_TABLE, EXTENSIONS, True).apply(work, ops)
    assert work == {"displayName": "T"}
