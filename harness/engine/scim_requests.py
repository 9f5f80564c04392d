"""The SCIM requests the pipelines send for one object, as functions of the source object, its
mapping and the target object as read back.

One place the user and group pipelines and ``harness validate`` share, so the validator sends
exactly what the engine sends (Microsoft's SCIM guide shows each request:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.engine import rules
from harness.engine.changes import MANAGER_KEY, guest_upn

__all__ = [
    "Update",
    "group_create",
    "group_source",
    "group_update",
    "manager_removals",
    "user_create",
    "user_disable",
    "user_source",
    "user_update",
]


@dataclass(frozen=True)
class Update:
    """What an update sends: the changed target attributes, the reference attributes to remove,
    and the PATCH body (None when source and target already match: no request)."""

    changes: dict[str, Any]
    removals: list[str]
    body: dict[str, Any] | None


def user_source(
    attrs: Mapping[str, Any],
    object_id: str,
    *,
    soft_deleted: bool,
    manager_target: str | None,
    app_role_values: Any,
) -> dict[str, Any]:
    """The user as the mappings read it: its directory attributes plus the ones Entra adds
    (``objectId``, ``IsSoftDeleted``, ``appRoleAssignments``, ``originalUserPrincipalName``,
    the manager as its target id), a guest's UPN rewritten."""
    source = dict(attrs)
    source.pop(MANAGER_KEY, None)
    source["manager"] = manager_target
    source["objectId"] = object_id
    source["IsSoftDeleted"] = soft_deleted
    source["appRoleAssignments"] = app_role_values
    upn = source.get("userPrincipalName")
    source["originalUserPrincipalName"] = upn
    if isinstance(upn, str) and "#EXT#" in upn:
        source["userPrincipalName"] = guest_upn(upn)
    return source


def group_source(attrs: Mapping[str, Any], object_id: str, *, deleted: bool) -> dict[str, Any]:
    """The group as the mappings read it."""
    source = dict(attrs)
    source["objectId"] = object_id
    source["IsSoftDeleted"] = deleted
    return source


def user_create(
    mapping: rules.ObjectMapping, source: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(mapped values, POST /Users body)``."""
    mapped = rules.map_object(mapping, source, is_create=True)
    return mapped, rules.create_user_body(mapped)


def manager_removals(
    mapping: rules.ObjectMapping, mapped: Mapping[str, Any], current: Mapping[str, Any]
) -> list[str]:
    """The manager attributes to remove when the source user has no manager any more: those the
    target still holds (Microsoft's validation template expects an empty new value; other nulls
    are never flowed, as Microsoft Entra ID cannot provision null attributes)."""
    return [
        key
        for key in rules.manager_targets(mapping)
        if key not in mapped and rules.reference_value(current, key) is not None
    ]


def user_update(
    mapping: rules.ObjectMapping,
    source: Mapping[str, Any],
    current: Mapping[str, Any],
    dialect: str,
    exact: set[str] | None,
    *,
    manager_removed: bool = False,
) -> Update:
    """The PATCH of a matched or linked user: only the attributes that differ (``Add`` for
    those the target lacks), plus the removal of a manager removed in the directory."""
    mapped = rules.map_object(mapping, source, is_create=False)
    changes = rules.diff(mapped, current, exact)
    removals = manager_removals(mapping, mapped, current) if manager_removed else []
    if not changes and not removals:
        return Update(changes, removals, None)
    body = rules.patch_body(changes, dialect, current) if changes else rules.empty_patch()
    body["Operations"].extend(rules.remove_operation(key, dialect) for key in removals)
    return Update(changes, removals, body)


def user_disable(
    mapped: Mapping[str, Any],
    active_attribute: str,
    current: Mapping[str, Any],
    dialect: str,
    exact: set[str] | None,
) -> Update:
    """The PATCH that disables a user (``mapped`` is the user mapped as soft-deleted); no
    request when the target already shows it disabled."""
    desired = {active_attribute: mapped.get(active_attribute, "False")}
    changes = rules.diff(desired, current, exact)
    return Update(changes, [], rules.disable_body(dialect) if changes else None)


def group_create(
    mapping: rules.ObjectMapping, source: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(mapped values, POST /Groups body)``; members are added afterwards by PATCH."""
    mapped = rules.map_object(mapping, source, is_create=True)
    mapped.pop("members", None)
    return mapped, rules.create_group_body(mapped)


def group_update(
    mapping: rules.ObjectMapping,
    source: Mapping[str, Any],
    current: Mapping[str, Any],
    dialect: str,
    exact: set[str] | None,
) -> Update:
    """The PATCH of a group's own attributes (members have their own PATCHes:
    ``rules.member_patches``)."""
    mapped = rules.map_object(mapping, source, is_create=False)
    mapped.pop("members", None)
    changes = rules.diff(mapped, current, exact)
    return Update(changes, [], rules.patch_body(changes, dialect, current) if changes else None)
