"""Checking what clients write: each property against its schema type, then the rules Graph
adds for users, groups and app roles. A loaded state dump is checked the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mock_graph.exceptions import bad_request, invalid_value, unknown_property
from mock_graph.models.values import is_datetime, is_guid
from mock_graph.schemas import REQUIRED_ON_CREATE, TYPES

# The characters the group resource refuses in mailNickname: ASCII 0-127 except
# @ () \ [] " ; : <> , SPACE (https://learn.microsoft.com/en-us/graph/api/resources/group).
# The page no longer lists the dot, and first.last aliases are everywhere; the user resource
# documents only the 64-character limit, so users get the same (inferred) rule.
_NICKNAME_BAD = re.compile(r"[@()\\\[\]\";:<>, \x00-\x1f\x7f-\U0010ffff]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UPN = re.compile(r"^[^@\s]+@[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}$")


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


# The JSON shape each schema type accepts (None is handled by the callers).
TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    # Graph's complex types here are flat records of scalars
    "complex": lambda v: isinstance(v, dict) and all(_is_scalar(x) for x in v.values()),
    "guid": is_guid,
    "datetime": is_datetime,
    "approles": lambda v: (
        isinstance(v, list)
        and all(
            isinstance(r, dict)
            and all(
                _is_scalar(x) or (isinstance(x, list) and all(isinstance(y, str) for y in x))
                for x in r.values()
            )
            for r in v
        )
    ),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    # a list of flat records (an application's passwordCredentials)
    "records": lambda v: (
        isinstance(v, list)
        and all(isinstance(r, dict) and all(_is_scalar(x) for x in r.values()) for r in v)
    ),
}


def check_stored(kind: str, data: Any) -> None:
    """A loaded object must look like one the fake would have stored itself."""
    etype = TYPES[kind]
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError(f"a {kind} needs a string id")
    for key, value in data.items():
        prop = etype.props.get(key)
        if prop is None:
            raise ValueError(f"unknown {kind} property {key!r}")
        if value is not None and not TYPE_CHECKS[prop.type](value):
            raise ValueError(f"{kind} {data['id']}: bad value for {key!r}")
    for key in {
        "user": ("userPrincipalName", "displayName"),
        "group": ("displayName",),
        "application": ("appId", "displayName"),
        "servicePrincipal": ("appId", "displayName"),
    }[kind]:
        if not isinstance(data.get(key), str):
            raise ValueError(f"{kind} {data['id']}: {key!r} must be a string")


def validate(
    kind: str, body: dict[str, Any], *, creating: bool, verified_domains: list[str]
) -> dict[str, Any]:
    """Checked, writable properties of ``body``; annotations (``@odata.type`` etc.) dropped."""
    if not isinstance(body, dict):
        raise bad_request("Empty or invalid payload.", code="BadRequest")
    etype = TYPES[kind]
    clean: dict[str, Any] = {}
    for key, value in body.items():
        if "@" in key:
            continue
        prop = etype.props.get(key)
        if prop is None:
            raise unknown_property(key, etype.name)
        if not prop.writable:
            continue  # Graph ignores read-only properties in a write
        if value is None:
            if creating and key in REQUIRED_ON_CREATE.get(kind, ()):
                raise invalid_value(key, etype.resource)
            clean[key] = None
            continue
        ok = TYPE_CHECKS[prop.type](value)
        if not ok:
            raise invalid_value(key, etype.resource)
        clean[key] = value
    if creating:
        for key in REQUIRED_ON_CREATE.get(kind, ()):
            if key not in clean:
                raise invalid_value(key, etype.resource)
    if "displayName" in clean and (
        not isinstance(clean["displayName"], str)
        or not clean["displayName"].strip()
        or len(clean["displayName"]) > 256
    ):
        raise invalid_value("displayName", etype.resource)
    if kind == "user":
        _validate_user(clean, verified_domains)
    elif kind == "group":
        _validate_group(clean)
    if "appRoles" in clean:
        clean["appRoles"] = clean_app_roles(clean["appRoles"], etype.resource)
    return clean


def _validate_user(clean: dict[str, Any], verified_domains: list[str]) -> None:
    upn = clean.get("userPrincipalName", "")
    if "userPrincipalName" in clean:
        if not isinstance(upn, str) or not _UPN.match(upn) or len(upn) > 113:
            raise invalid_value("userPrincipalName", "User")
        domain = upn.rsplit("@", 1)[1].casefold()
        verified = [d.casefold() for d in verified_domains]
        if verified and domain not in verified:
            raise bad_request(
                "The domain portion of the userPrincipalName property is invalid. You must use "
                "one of the verified domain names in your organization.",
                target="userPrincipalName",
            )
    if "mailNickname" in clean and (
        clean["mailNickname"] is None
        or not clean["mailNickname"]
        or len(clean["mailNickname"]) > 64
        or _NICKNAME_BAD.search(clean["mailNickname"])
    ):
        raise invalid_value("mailNickname", "User")
    if clean.get("mail") is not None and not _EMAIL.match(clean["mail"]):
        raise invalid_value("mail", "User")
    if clean.get("usageLocation") is not None and not re.fullmatch(
        r"[A-Za-z]{2}", clean["usageLocation"]
    ):
        raise invalid_value("usageLocation", "User")
    if "passwordProfile" in clean:
        pp = clean["passwordProfile"]
        if (
            not isinstance(pp, dict)
            or not isinstance(pp.get("password"), str)
            or not pp["password"]
        ):
            raise invalid_value("passwordProfile", "User")
    if "accountEnabled" in clean and clean["accountEnabled"] is None:
        raise invalid_value("accountEnabled", "User")
    if clean.get("userType") is not None and clean["userType"] not in ("Member", "Guest"):
        raise invalid_value("userType", "User")


def _validate_group(clean: dict[str, Any]) -> None:
    nick = clean.get("mailNickname")
    if "mailNickname" in clean and (not nick or len(nick) > 64 or _NICKNAME_BAD.search(nick)):
        raise invalid_value("mailNickname", "Group")
    types = clean.get("groupTypes")
    if types is not None and not set(types) <= {"Unified", "DynamicMembership"}:
        raise invalid_value("groupTypes", "Group")
    for key in ("mailEnabled", "securityEnabled"):
        if key in clean and clean[key] is None:
            raise invalid_value(key, "Group")
    if clean.get("visibility") is not None and clean["visibility"] not in (
        "Public",
        "Private",
        "HiddenMembership",
    ):
        raise invalid_value("visibility", "Group")


def clean_app_roles(roles: list[Any], resource: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for role in roles:
        if not isinstance(role, dict) or not is_guid(role.get("id")):
            raise invalid_value("appRoles", resource)
        types = role.get("allowedMemberTypes")
        if not isinstance(types, list) or not types or not set(types) <= {"User", "Application"}:
            raise invalid_value("appRoles", resource)
        rid = role["id"].lower()
        if rid in seen:
            raise bad_request("Request contains a property with duplicate values.")
        seen.add(rid)
        value = role.get("value")
        if value is not None and not isinstance(value, str):
            raise invalid_value("appRoles", resource)
        out.append(
            {
                "id": rid,
                "allowedMemberTypes": list(types),
                "displayName": role.get("displayName"),
                "description": role.get("description"),
                "value": value,
                "isEnabled": bool(role.get("isEnabled", True)),
                "origin": role.get("origin") or "Application",
            }
        )
    return out


def check_enabled_roles_kept(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """An app role must be disabled (``isEnabled`` false) before it is removed
    (https://learn.microsoft.com/en-us/graph/api/resources/approle); the error as field reports
    quote it."""
    kept = {str(role.get("id")).lower() for role in new}
    for role in old:
        if role.get("isEnabled", True) and str(role.get("id")).lower() not in kept:
            raise bad_request(
                "Permission (scope or role) cannot be deleted or updated unless disabled first.",
                code="CannotDeleteOrUpdateEnabledEntitlement",
            )
