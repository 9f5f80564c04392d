"""Miro's stateless user rules: input typing, display-name derivation, limits, licences, roles.

The rules that need the whole organisation (uniqueness, the allow-list, the last admin) live in
models.py beside the indexes they read.
"""

from __future__ import annotations

import re
from typing import Any

from .coercion import coerce
from .exceptions import bad_request, conflict, invalid_syntax
from .schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSIONS,
    LICENSES,
    ORG_ADMIN_ROLE,
    ORG_ROLE_VALUES,
    ORG_USER_ROLE,
    USER_TABLE,
)

ADMIN_VALUE = "ORGANIZATION_INTERNAL_ADMIN"
USER_VALUE = "ORGANIZATION_INTERNAL_USER"
GUEST_ROLES = ("ORGANIZATION_EXTERNAL_USER", "ORGANIZATION_TEAM_GUEST_USER")
EMAIL = re.compile(
    r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_NUMERIC = re.compile(r"^\d{1,19}$")
_ENTERPRISE_LIMITS = {
    "employeeNumber": 20,
    "costCenter": 120,
    "organization": 120,
    "division": 120,
    "department": 120,
}


def is_email(text: Any) -> bool:
    return isinstance(text, str) and len(text) <= 254 and bool(EMAIL.match(text))


def is_org_admin(data: dict[str, Any]) -> bool:
    for role in data.get("roles") or ():
        kind = role.get("type")
        if role.get("value") == ADMIN_VALUE and kind in (ORG_USER_ROLE, None):
            return True
    return False


def input_user(body: Any) -> dict[str, Any]:
    """The attributes a POST/PUT body sets, typed; unknown and read-only ones are ignored."""
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object")
    schemas = body.get("schemas")
    if schemas is not None and (
        not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas)
    ):
        raise invalid_syntax("'schemas' must be a list of schema URNs")
    data: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(key, str) or value is None:
            continue
        low = key.lower()
        if low in EXTENSIONS:
            if not isinstance(value, dict):
                raise bad_request(f"'{key}' must be an object")
            ext: dict[str, Any] = {}
            for sub_key, sub_value in value.items():
                info = EXTENSIONS[low].get(sub_key.lower()) if isinstance(sub_key, str) else None
                if info is not None and sub_value is not None:
                    coerced = coerce(info, sub_value, f"{ENTERPRISE_SCHEMA}:{info.name}")
                    if coerced not in (None, {}, []):
                        ext[info.name] = coerced
            if ext:
                data[ENTERPRISE_SCHEMA] = ext
            continue
        info = USER_TABLE.get(low)
        if info is None or info.mutability == "readOnly" or low == "id":
            continue
        coerced = coerce(info, value, info.name)
        if coerced not in (None, {}, []):
            data[info.name] = coerced
    return data


def derive_display_name(data: dict[str, Any]) -> None:
    """displayName precedence, as https://developers.miro.com/docs/users documents it:
    displayName > name.formatted > given + family > userName."""
    if str(data.get("displayName", "")).strip():
        return
    name = data.get("name") or {}
    derived = (
        name.get("formatted")
        or " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
        or str(data.get("userName", ""))
    )
    if derived:
        data["displayName"] = derived[:60]


def check_lengths(data: dict[str, Any]) -> None:
    if len(str(data.get("displayName", ""))) > 60:
        raise bad_request("Attribute 'displayName' must be at most 60 characters")
    name = data.get("name") or {}
    if len(str(name.get("formatted", ""))) > 60:
        raise bad_request("Attribute 'name.formatted' must be at most 60 characters")
    full = " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
    if len(full) > 60:
        raise bad_request(
            "'name.givenName' and 'name.familyName' together must be at most 60 characters"
        )
    ext = data.get(ENTERPRISE_SCHEMA)
    if ext:
        for key, limit in _ENTERPRISE_LIMITS.items():
            if len(str(ext.get(key, ""))) > limit:
                raise bad_request(
                    f"Attribute '{ENTERPRISE_SCHEMA}:{key}' must be at most {limit} characters"
                )
        manager = ext.get("manager")
        if isinstance(manager, dict):
            if len(str(manager.get("displayName", ""))) > 60:
                raise bad_request("Attribute 'manager.displayName' must be at most 60 characters")
            if "value" in manager and not _NUMERIC.match(str(manager["value"])):
                del manager["value"]  # Miro stores a Long: other values are silently ignored
            if not manager:
                del ext["manager"]
        if not ext:
            del data[ENTERPRISE_SCHEMA]


def check_license(
    data: dict[str, Any], old: dict[str, Any] | None, old_active: bool = True
) -> None:
    user_type = data.get("userType")
    if user_type is None:
        return
    if user_type not in LICENSES:
        raise bad_request(
            f"Unsupported userType '{user_type}'; expected one of {', '.join(LICENSES)}"
        )
    if old is None:
        return
    previous = old.get("userType")
    if user_type != previous:
        if not old_active and data.get("active") is False:
            raise conflict("Cannot update userType of a deactivated user")
        if user_type != "Full":
            raise bad_request(
                f"userType cannot be changed from '{previous}' to '{user_type}': "
                "only an upgrade to 'Full' is allowed"
            )


def check_roles(data: dict[str, Any], old: dict[str, Any] | None, old_active: bool = True) -> None:
    roles = data.get("roles") or []
    user_roles = 0
    for role in roles:
        value, kind = role.get("value"), role.get("type")
        if not value:
            raise bad_request("Each role needs a 'value'")
        if kind not in (None, ORG_USER_ROLE, ORG_ADMIN_ROLE):
            raise bad_request(
                f"Unsupported role type '{kind}'; expected {ORG_USER_ROLE} or {ORG_ADMIN_ROLE}"
            )
        if kind == ORG_USER_ROLE or (kind is None and value in ORG_ROLE_VALUES):
            user_roles += 1
            if value not in ORG_ROLE_VALUES:
                raise bad_request(
                    f"Unsupported organization role '{value}'; guest roles are not supported"
                )
    if user_roles > 1:
        raise bad_request("A user has exactly one role of type organization_user_role")
    if old is not None and not old_active and data.get("active") is False:
        before = sorted(str(r.get("value")) for r in old.get("roles") or [])
        after = sorted(str(r.get("value")) for r in roles)
        if before != after:
            raise conflict("Cannot update roles of a deactivated user")


def input_group(body: Any) -> tuple[str, tuple[str, ...], str | None]:
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object")
    lowered = {k.lower(): v for k, v in body.items() if isinstance(k, str)}
    name = lowered.get("displayname")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Attribute 'displayName' is required")
    raw_members = lowered.get("members") or []
    if not isinstance(raw_members, list):
        raise bad_request("'members' must be a list")
    ids: list[str] = []
    for item in raw_members:
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise bad_request("'members' items need a string 'value' (the user id)")
        ids.append(value)
    external_id = lowered.get("externalid")
    if external_id is not None and not isinstance(external_id, str):
        raise bad_request("'externalId' must be a string")
    return name, tuple(ids), external_id
