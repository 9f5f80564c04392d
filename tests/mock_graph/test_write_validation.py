"""What the Graph fake accepts in a create (POST) or update (PATCH) body, table by table, on the
validation functions: each property against its type, the rules Graph adds for users, groups and
app roles, and the exact error (status, code, message, target) each mistake gets.

Sources: https://learn.microsoft.com/en-us/graph/api/resources/user (types, required
properties, mailNickname and userPrincipalName limits, usageLocation, userType),
https://learn.microsoft.com/en-us/graph/api/user-update (PATCH), https://learn.microsoft.com/en-us/graph/api/user-post-users,
https://learn.microsoft.com/en-us/graph/api/resources/group (mailNickname characters,
groupTypes, visibility), https://learn.microsoft.com/en-us/graph/api/resources/approle
(app roles: id, allowedMemberTypes, disable before delete)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_graph.exceptions import GraphError
from mock_graph.models.validation import (
    check_enabled_roles_kept,
    check_stored,
    clean_app_roles,
    validate,
)

DOMAINS = ["contoso.com", "Fabrikam.onmicrosoft.com"]
ROLE_ID = "18D14569-C3BD-439B-9A66-3A2AEE01D14F"
OTHER_ROLE = "b9632174-c057-4f7e-951b-be3adc52bfe6"


def error_of(call: Callable[[], Any]) -> tuple[int, str, str, str | None]:
    with pytest.raises(GraphError) as info:
        call()
    err = info.value
    return err.status, err.code, err.message, err.target


def invalid(prop: str, resource: str) -> tuple[int, str, str, str | None]:
    """Graph's answer to a value it refuses: 400 Request_BadRequest, naming the property."""
    return (
        400,
        "Request_BadRequest",
        f"Invalid value specified for property '{prop}' of resource '{resource}'.",
        prop,
    )


def new_user(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "accountEnabled": True,
        "displayName": "Ada Lovelace",
        "mailNickname": "ada.lovelace",
        "userPrincipalName": "ada@contoso.com",
        "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d", "forceChangePasswordNextSignIn": True},
    }
    body.update(extra)
    return body


def new_group(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": "Miro users",
        "mailEnabled": False,
        "mailNickname": "miro-users",
        "securityEnabled": True,
    }
    body.update(extra)
    return body


def create(kind: str, body: Any) -> dict[str, Any]:
    return validate(kind, body, creating=True, verified_domains=DOMAINS)


def patch(kind: str, body: Any, domains: list[str] = DOMAINS) -> dict[str, Any]:
    return validate(kind, body, creating=False, verified_domains=domains)


# ---------------------------------------------------------------- what is kept


def test_a_create_keeps_writable_properties_and_drops_annotations_and_read_only_ones() -> None:
    """Annotations (``@odata.type``, ``members@odata.bind``) are not properties; read-only
    properties such as id and createdDateTime are ignored in a write."""
    body = new_user(
        **{
            "@odata.type": "#microsoft.graph.user",
            "manager@odata.bind": "https://graph.microsoft.com/v1.0/users/x",
            "id": "chosen-by-client",
            "createdDateTime": "2020-01-01T00:00:00Z",
            "externalUserState": "Accepted",
            "department": None,
            "businessPhones": ["+1 555 0100"],
            "employeeHireDate": "2026-01-05T00:00:00Z",
            "employeeOrgData": {"division": "R&D", "costCenter": None},
        }
    )
    assert create("user", body) == {
        "accountEnabled": True,
        "displayName": "Ada Lovelace",
        "mailNickname": "ada.lovelace",
        "userPrincipalName": "ada@contoso.com",
        "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d", "forceChangePasswordNextSignIn": True},
        "department": None,
        "businessPhones": ["+1 555 0100"],
        "employeeHireDate": "2026-01-05T00:00:00Z",
        "employeeOrgData": {"division": "R&D", "costCenter": None},
    }


def test_a_patch_needs_no_required_property_and_may_clear_optional_ones() -> None:
    """PATCH changes only what it names (https://learn.microsoft.com/en-us/graph/api/user-update);
    null clears an optional property."""
    assert patch("user", {}) == {}
    assert patch(
        "user", {"jobTitle": None, "mail": None, "usageLocation": None, "userType": None}
    ) == {
        "jobTitle": None,
        "mail": None,
        "usageLocation": None,
        "userType": None,
    }
    assert patch("group", {"description": None, "visibility": None, "groupTypes": None}) == {
        "description": None,
        "visibility": None,
        "groupTypes": None,
    }


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        ("user", "not an object", (400, "BadRequest", "Empty or invalid payload.", None)),
        ("user", ["a"], (400, "BadRequest", "Empty or invalid payload.", None)),
        ("user", None, (400, "BadRequest", "Empty or invalid payload.", None)),
        (
            "user",
            {"shoeSize": 42},
            (
                400,
                "BadRequest",
                "The property 'shoeSize' does not exist on type 'microsoft.graph.user'. Make sure "
                "to only use property names that are defined by the type or mark the type as open "
                "type.",
                None,
            ),
        ),
        (
            "group",
            {"displayName": "x", "members": []},
            (
                400,
                "BadRequest",
                "The property 'members' does not exist on type 'microsoft.graph.group'. Make sure "
                "to only use property names that are defined by the type or mark the type as open "
                "type.",
                None,
            ),
        ),
    ],
)
def test_a_body_that_is_not_an_object_of_known_properties(
    kind: str, body: Any, expected: tuple[int, str, str, str | None]
) -> None:
    """An unknown property: 400 BadRequest 'The property ... does not exist on type ...'."""
    assert error_of(lambda: patch(kind, body)) == expected


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("accountEnabled", "true"),
        ("accountEnabled", 1),
        ("displayName", 5),
        ("businessPhones", "+1 555"),
        ("businessPhones", ["+1", 2]),
        ("employeeOrgData", "R&D"),
        ("employeeOrgData", {"division": {"nested": 1}}),
        ("employeeOrgData", {"division": ["R&D"]}),
        ("employeeHireDate", "yesterday"),
        ("employeeHireDate", 20260105),
        ("passwordProfile", "secret"),
    ],
)
def test_each_property_takes_its_json_type(prop: str, value: Any) -> None:
    """Property types of https://learn.microsoft.com/en-us/graph/api/resources/user: Boolean,
    String, String collection, complex types of scalars, DateTimeOffset."""
    assert error_of(lambda: patch("user", {prop: value})) == invalid(prop, "User")


@pytest.mark.parametrize("value", [{"a": None}, {"a": "x", "b": True, "c": 1, "d": 1.5}, {}])
def test_complex_values_of_scalars_are_accepted(value: dict[str, Any]) -> None:
    assert patch("user", {"employeeOrgData": value}) == {"employeeOrgData": value}


def test_app_roles_take_flat_records_with_string_lists() -> None:
    """An appRole is a flat record whose allowedMemberTypes is a string collection
    (https://learn.microsoft.com/en-us/graph/api/resources/approle)."""
    for bad in ("roles", [["x"]], [{"id": ROLE_ID, "allowedMemberTypes": [1]}], [{"x": {"y": 1}}]):
        assert error_of(lambda bad=bad: patch("application", {"appRoles": bad})) == invalid(
            "appRoles", "Application"
        )


# ---------------------------------------------------------------- required on create


@pytest.mark.parametrize(
    "missing",
    ["accountEnabled", "displayName", "mailNickname", "passwordProfile", "userPrincipalName"],
)
def test_a_user_create_needs_the_five_required_properties(missing: str) -> None:
    """Required when a user is created: accountEnabled, displayName, mailNickname,
    passwordProfile, userPrincipalName (https://learn.microsoft.com/en-us/graph/api/user-post-users)."""
    body = new_user()
    del body[missing]
    assert error_of(lambda: create("user", body)) == invalid(missing, "User")
    assert error_of(lambda: create("user", new_user(**{missing: None}))) == invalid(missing, "User")


@pytest.mark.parametrize(
    "missing", ["displayName", "mailEnabled", "mailNickname", "securityEnabled"]
)
def test_a_group_create_needs_the_four_required_properties(missing: str) -> None:
    """https://learn.microsoft.com/en-us/graph/api/group-post-groups."""
    body = new_group()
    del body[missing]
    assert error_of(lambda: create("group", body)) == invalid(missing, "Group")


def test_application_and_service_principal_creates_need_their_required_property() -> None:
    assert error_of(lambda: create("application", {})) == invalid("displayName", "Application")
    assert error_of(lambda: create("servicePrincipal", {"displayName": "x"})) == invalid(
        "appId", "ServicePrincipal"
    )
    assert create("servicePrincipal", {"appId": "a"}) == {"appId": "a"}
    assert error_of(lambda: create("servicePrincipal", {"appId": None})) == invalid(
        "appId", "ServicePrincipal"
    )


# ---------------------------------------------------------------- displayName


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("A", True),
        ("x" * 256, True),
        ("x" * 257, False),
        ("", False),
        ("   ", False),
        (None, False),
    ],
)
def test_display_name_is_1_to_256_characters_and_cannot_be_cleared(value: Any, ok: bool) -> None:
    """displayName: required, at most 256 characters; it cannot be cleared by an update
    (https://learn.microsoft.com/en-us/graph/api/resources/user,
    https://learn.microsoft.com/en-us/graph/api/user-update)."""
    for kind, resource in (("user", "User"), ("group", "Group"), ("application", "Application")):
        if ok:
            assert patch(kind, {"displayName": value}) == {"displayName": value}
        else:
            assert error_of(lambda kind=kind: patch(kind, {"displayName": value})) == invalid(
                "displayName", resource
            )


# ---------------------------------------------------------------- user rules


@pytest.mark.parametrize(
    ("upn", "ok"),
    [
        ("ada@contoso.com", True),
        ("ADA@CONTOSO.COM", True),
        ("ada.lovelace+x@fabrikam.onmicrosoft.com", True),
        ("a@" + "b" * 100 + ".contoso.com", False),
        ("ada", False),
        ("ada@", False),
        ("@contoso.com", False),
        ("ada@contoso", False),
        ("ada@contoso.c", False),
        ("ada@@contoso.com", False),
        ("a da@contoso.com", False),
        ("ada@-contoso.com", False),
        ("ada@contoso.c0m", False),
        ("", False),
        (None, False),
    ],
)
def test_user_principal_name_is_alias_at_domain(upn: Any, ok: bool) -> None:
    """userPrincipalName is alias@domain, at most 113 characters
    (https://learn.microsoft.com/en-us/graph/api/resources/user)."""
    if ok:
        assert patch("user", {"userPrincipalName": upn}, domains=[]) == {"userPrincipalName": upn}
    else:
        assert error_of(lambda: patch("user", {"userPrincipalName": upn}, domains=[])) == invalid(
            "userPrincipalName", "User"
        )


def test_user_principal_name_length_limit_is_113() -> None:
    domain = "@contoso.com"
    longest = "a" * (113 - len(domain)) + domain
    assert patch("user", {"userPrincipalName": longest}) == {"userPrincipalName": longest}
    too_long = "a" + longest
    assert error_of(lambda: patch("user", {"userPrincipalName": too_long})) == invalid(
        "userPrincipalName", "User"
    )


def test_user_principal_name_domain_must_be_verified() -> None:
    """'The domain portion of the userPrincipalName property is invalid. You must use one of the
    verified domain names in your organization.' (https://learn.microsoft.com/en-us/graph/api/resources/user:
    the domain must be one of the tenant's verified domains); compared case-insensitively."""
    assert patch("user", {"userPrincipalName": "ada@FABRIKAM.onmicrosoft.com"}) == {
        "userPrincipalName": "ada@FABRIKAM.onmicrosoft.com"
    }
    assert error_of(lambda: patch("user", {"userPrincipalName": "ada@contoso.com.evil.org"})) == (
        400,
        "Request_BadRequest",
        "The domain portion of the userPrincipalName property is invalid. You must use one of the "
        "verified domain names in your organization.",
        "userPrincipalName",
    )
    # the domain is what follows the last @, the whole of it
    assert error_of(lambda: patch("user", {"userPrincipalName": "ada@sub.contoso.com"}))[
        2
    ].startswith("The domain portion")
    # a tenant with no verified domain list accepts any well-formed domain
    assert patch("user", {"userPrincipalName": "ada@anything.org"}, domains=[]) == {
        "userPrincipalName": "ada@anything.org"
    }


@pytest.mark.parametrize(
    ("nick", "ok"),
    [
        ("ada", True),
        ("ada.lovelace", True),
        ("ada_l-2", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        (None, False),
        ("ada lovelace", False),
        ("ada@contoso", False),
        ("ada(1)", False),
        ("a\\b", False),
        ("a[b]", False),
        ('a"b', False),
        ("a;b", False),
        ("a:b", False),
        ("a<b>", False),
        ("a,b", False),
        ("adé", False),
        ("a\tb", False),
        ("a\x7fb", False),
    ],
)
def test_mail_nickname_is_at_most_64_ascii_characters_without_specials(nick: Any, ok: bool) -> None:
    """mailNickname: at most 64 characters, ASCII 0-127 except @ () \\ [] " ; : <> , SPACE
    (https://learn.microsoft.com/en-us/graph/api/resources/group; the user resource gives the
    64-character limit, the fake applies the same characters)."""
    for kind, resource in (("user", "User"), ("group", "Group")):
        if ok:
            assert patch(kind, {"mailNickname": nick}) == {"mailNickname": nick}
        else:
            assert error_of(lambda kind=kind: patch(kind, {"mailNickname": nick})) == invalid(
                "mailNickname", resource
            )


@pytest.mark.parametrize(
    ("prop", "value", "ok"),
    [
        ("mail", "ada@contoso.com", True),
        ("mail", "ada.l@mail.contoso.co.uk", True),
        ("mail", "ada", False),
        ("mail", "ada@contoso", False),
        ("mail", "ada@@contoso.com", False),
        ("mail", "ada @contoso.com", False),
        ("mail", "@contoso.com", False),
        ("usageLocation", "US", True),
        ("usageLocation", "gb", True),
        ("usageLocation", "USA", False),
        ("usageLocation", "U", False),
        ("usageLocation", "U1", False),
        ("userType", "Member", True),
        ("userType", "Guest", True),
        ("userType", "member", False),
        ("userType", "Admin", False),
        ("passwordProfile", {"password": "p"}, True),
        ("passwordProfile", {"password": ""}, False),
        ("passwordProfile", {"forceChangePasswordNextSignIn": True}, False),
        ("passwordProfile", {"password": None}, False),
        ("passwordProfile", None, False),
        ("accountEnabled", False, True),
        ("accountEnabled", None, False),
    ],
)
def test_user_property_rules(prop: str, value: Any, ok: bool) -> None:
    """mail is an address; usageLocation a two-letter country code (ISO 3166); userType Member
    or Guest; passwordProfile carries a password; accountEnabled cannot be cleared
    (https://learn.microsoft.com/en-us/graph/api/resources/user,
    https://learn.microsoft.com/en-us/graph/api/resources/passwordprofile)."""
    if ok:
        assert patch("user", {prop: value}) == {prop: value}
    else:
        assert error_of(lambda: patch("user", {prop: value})) == invalid(prop, "User")


def test_user_rules_apply_only_to_users() -> None:
    """A group has no userType rule, and an application's displayName is checked only for length."""
    assert error_of(lambda: patch("group", {"userType": "Admin"}))[1] == "BadRequest"
    assert patch("application", {"displayName": "x", "notes": "n"}) == {
        "displayName": "x",
        "notes": "n",
    }


# ---------------------------------------------------------------- group rules


@pytest.mark.parametrize(
    ("prop", "value", "ok"),
    [
        ("groupTypes", [], True),
        ("groupTypes", ["Unified"], True),
        ("groupTypes", ["Unified", "DynamicMembership"], True),
        ("groupTypes", ["unified"], False),
        ("groupTypes", ["Unified", "Other"], False),
        ("mailEnabled", True, True),
        ("mailEnabled", None, False),
        ("securityEnabled", False, True),
        ("securityEnabled", None, False),
        ("visibility", "Public", True),
        ("visibility", "Private", True),
        ("visibility", "HiddenMembership", True),
        ("visibility", "public", False),
        ("visibility", "Secret", False),
    ],
)
def test_group_property_rules(prop: str, value: Any, ok: bool) -> None:
    """groupTypes holds Unified and DynamicMembership; mailEnabled and securityEnabled are required
    Booleans; visibility is Public, Private or HiddenMembership
    (https://learn.microsoft.com/en-us/graph/api/resources/group)."""
    if ok:
        assert patch("group", {prop: value}) == {prop: value}
    else:
        assert error_of(lambda: patch("group", {prop: value})) == invalid(prop, "Group")


def test_group_create_keeps_its_body() -> None:
    body = new_group(groupTypes=["Unified"], visibility="Private", description="d")
    assert create("group", body) == body


# ---------------------------------------------------------------- app roles


def role(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": ROLE_ID, "allowedMemberTypes": ["User"]}
    body.update(extra)
    return body


def test_app_roles_are_normalised() -> None:
    """An appRole: id (GUID), allowedMemberTypes (User, Application), displayName, description,
    value, isEnabled (true unless said otherwise), origin (Application)
    (https://learn.microsoft.com/en-us/graph/api/resources/approle)."""
    given = [
        role(),
        {
            "id": OTHER_ROLE,
            "allowedMemberTypes": ["User", "Application"],
            "displayName": "Admin",
            "description": "Admins",
            "value": "admin",
            "isEnabled": False,
            "origin": "ServicePrincipal",
        },
    ]
    assert clean_app_roles(given, "Application") == [
        {
            "id": ROLE_ID.lower(),
            "allowedMemberTypes": ["User"],
            "displayName": None,
            "description": None,
            "value": None,
            "isEnabled": True,
            "origin": "Application",
        },
        {
            "id": OTHER_ROLE,
            "allowedMemberTypes": ["User", "Application"],
            "displayName": "Admin",
            "description": "Admins",
            "value": "admin",
            "isEnabled": False,
            "origin": "ServicePrincipal",
        },
    ]
    assert clean_app_roles([role(isEnabled=0, origin="")], "X")[0]["isEnabled"] is False
    assert clean_app_roles([role(origin="")], "X")[0]["origin"] == "Application"
    assert patch("servicePrincipal", {"appRoles": [role()]})["appRoles"][0]["id"] == ROLE_ID.lower()
    assert error_of(
        lambda: patch("application", {"appRoles": [role(allowedMemberTypes=[])]})
    ) == invalid("appRoles", "Application")


@pytest.mark.parametrize(
    "roles",
    [
        ["not a role"],
        [role(id="not-a-guid")],
        [role(id=None)],
        [role(allowedMemberTypes="User")],
        [role(allowedMemberTypes=[])],
        [role(allowedMemberTypes=["User", "Device"])],
        [role(allowedMemberTypes=None)],
        [role(value=5)],
    ],
)
def test_bad_app_roles_are_invalid_values(roles: list[Any]) -> None:
    assert error_of(lambda: clean_app_roles(roles, "ServicePrincipal")) == invalid(
        "appRoles", "ServicePrincipal"
    )


def test_app_role_ids_must_be_unique() -> None:
    """Two roles with the same id, in any case: 400 'Request contains a property with duplicate
    values.'"""
    assert error_of(lambda: clean_app_roles([role(), role(id=ROLE_ID.lower())], "Application")) == (
        400,
        "Request_BadRequest",
        "Request contains a property with duplicate values.",
        None,
    )


def test_an_enabled_app_role_cannot_be_removed() -> None:
    """'Permission (scope or role) cannot be deleted or updated unless disabled first.'
    (https://learn.microsoft.com/en-us/graph/api/resources/approle: set isEnabled to false
    before removing a role)."""
    expected = (
        400,
        "CannotDeleteOrUpdateEnabledEntitlement",
        "Permission (scope or role) cannot be deleted or updated unless disabled first.",
        None,
    )
    enabled = {"id": ROLE_ID, "isEnabled": True}
    implicit = {"id": OTHER_ROLE}
    disabled = {"id": OTHER_ROLE, "isEnabled": False}
    assert error_of(lambda: check_enabled_roles_kept([enabled], [])) == expected
    assert error_of(lambda: check_enabled_roles_kept([implicit], [{"id": ROLE_ID}])) == expected
    assert error_of(lambda: check_enabled_roles_kept([disabled, enabled], [disabled])) == expected
    check_enabled_roles_kept([disabled], [])
    check_enabled_roles_kept([enabled, disabled], [{"id": ROLE_ID.lower()}])
    check_enabled_roles_kept([{"id": ROLE_ID.lower()}], [{"id": ROLE_ID}])
    check_enabled_roles_kept([], [])


# ---------------------------------------------------------------- loaded state


def test_a_stored_object_is_checked_like_a_write() -> None:
    check_stored(
        "user", {"id": "u1", "userPrincipalName": "a@b.c", "displayName": "A", "mail": None}
    )
    check_stored("group", {"id": "g1", "displayName": "G", "groupTypes": ["Unified"]})
    check_stored("application", {"id": "a1", "appId": "x", "displayName": "A"})
    check_stored("servicePrincipal", {"id": "s1", "appId": "x", "displayName": "S"})


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("user", ["u1"], "a user needs a string id"),
        ("user", {"displayName": "A"}, "a user needs a string id"),
        ("group", {"id": 5}, "a group needs a string id"),
        ("user", {"id": "u1", "shoeSize": 4}, "unknown user property 'shoeSize'"),
        (
            "user",
            {"id": "u1", "userPrincipalName": "a@b.c", "displayName": "A", "accountEnabled": "yes"},
            "user u1: bad value for 'accountEnabled'",
        ),
        ("user", {"id": "u1", "displayName": "A"}, "user u1: 'userPrincipalName' must be a string"),
        (
            "user",
            {"id": "u1", "userPrincipalName": "a@b.c"},
            "user u1: 'displayName' must be a string",
        ),
        ("group", {"id": "g1"}, "group g1: 'displayName' must be a string"),
        ("group", {"id": "g1", "displayName": None}, "group g1: 'displayName' must be a string"),
        (
            "application",
            {"id": "a1", "displayName": "A"},
            "application a1: 'appId' must be a string",
        ),
        (
            "application",
            {"id": "a1", "appId": "x"},
            "application a1: 'displayName' must be a string",
        ),
        (
            "servicePrincipal",
            {"id": "s1", "displayName": "S"},
            "servicePrincipal s1: 'appId' must be a string",
        ),
        (
            "servicePrincipal",
            {"id": "s1", "appId": "x"},
            "servicePrincipal s1: 'displayName' must be a string",
        ),
    ],
)
def test_a_stored_object_that_the_fake_would_not_write_is_refused(
    kind: str, data: Any, message: str
) -> None:
    with pytest.raises(ValueError) as info:
        check_stored(kind, data)
    assert str(info.value) == message
