"""Who is in scope: assignments, roles, the Default Access rule, account state, scoping filters
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works). Reads only the engine's mirror of the directory, so it costs O(1) per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.engine.state import Assignment, JobRuntime, Mirror

DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"

# Why an object is out of scope. The first three are "leaving scope" in the sense of
# SkipOutOfScopeDeletions
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/skip-out-of-scope-deletions);
# disabled and soft-deleted accounts are disabled regardless.
UNASSIGNED = "unassigned"
NOT_ENTITLED = "notEntitled"
FILTERED = "filtered"
DISABLED = "disabled"
SOFT_DELETED = "softDeleted"
HARD_DELETED = "hardDeleted"
LEAVING_SCOPE = frozenset({UNASSIGNED, NOT_ENTITLED, FILTERED})


@dataclass
class Verdict:
    in_scope: bool
    reason: str | None  # one of the constants above when out of scope
    details: dict[str, Any]
    assignments: list[Assignment]
    filter_reason: str = ""
    # The decision in one plain line, written into the scoping step's details ("Reason").
    why: str = ""


def effective_assignments(mirror: Mirror, object_id: str, object_type: str) -> list[Assignment]:
    """Direct assignments, plus (for users) those of groups the user is a direct member of."""
    found = list(mirror.assignments_of(object_id))
    if object_type == "User":
        for group_id in sorted(mirror.member_of.get(object_id, ())):
            found.extend(mirror.assignments_of(group_id))
    return found


def default_access_roles(app_roles: dict[str, dict[str, Any]]) -> set[str]:
    """The all-zero role, plus a manifest role shown as Default Access (``msiam_access``)."""
    found = {DEFAULT_ACCESS_ROLE}
    for role_id, role in app_roles.items():
        if role.get("value") == "msiam_access" or role.get("displayName") == "Default Access":
            found.add(role_id)
    return found


def entitled(
    assignments: list[Assignment], skip_default_access: bool, default_roles: set[str]
) -> bool:
    if not skip_default_access:
        return bool(assignments)
    return any(a.app_role_id not in default_roles for a in assignments)


def role_values(
    assignments: list[Assignment], app_roles: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``appRoleAssignments`` source attribute: one entry per distinct role."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for assignment in assignments:
        if assignment.app_role_id in seen:
            continue
        seen.add(assignment.app_role_id)
        role = app_roles.get(assignment.app_role_id, {})
        out.append(
            {
                "id": assignment.id,
                "appRoleId": assignment.app_role_id,
                "appRoleValue": role.get("value"),
                "displayName": role.get("displayName")
                or ("Default Access" if assignment.app_role_id == DEFAULT_ACCESS_ROLE else None),
            }
        )
    return out


# -- the decision in words ---------------------------------------------------------------------


def role_name(app_role_id: str, app_roles: dict[str, dict[str, Any]]) -> str:
    role = app_roles.get(app_role_id) or {}
    if role.get("displayName"):
        return str(role["displayName"])
    return "Default Access" if app_role_id == DEFAULT_ACCESS_ROLE else app_role_id


def _group_name(mirror: Mirror, group_id: str) -> str:
    """A group's name as log texts quote names: 'Engineering'."""
    return "'" + str((mirror.groups.get(group_id) or {}).get("displayName") or group_id) + "'"


def assigned_how(
    mirror: Mirror, object_id: str, assignments: list[Assignment], app_roles: dict[str, Any]
) -> str:
    """How an object is assigned, in words: directly, or through a group it is a member of."""
    parts = []
    for assignment in assignments:
        role = role_name(assignment.app_role_id, app_roles)
        if assignment.principal_id == object_id:
            parts.append(f"assigned directly with role {role}")
        else:
            name = _group_name(mirror, assignment.principal_id)
            parts.append(f"member of {name}, which is assigned with role {role}")
    return "; ".join(dict.fromkeys(parts))


def unassigned_why(mirror: Mirror, user_id: str) -> str:
    """Why a user has no assignment: none at all, or only through a nested group (nested groups
    are not expanded:
    https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works)."""
    for group_id in sorted(mirror.member_of.get(user_id, ()), key=lambda g: _group_name(mirror, g)):
        seen = {group_id}
        frontier = [group_id]
        while frontier:
            outer_groups = sorted(
                {o for g in frontier for o in mirror.nested_in.get(g, ())} - seen,
                key=lambda g: _group_name(mirror, g),
            )
            for outer in outer_groups:
                if mirror.assignments_of(outer):
                    return (
                        f"member of {_group_name(mirror, group_id)}, which is nested in the "
                        f"assigned group {_group_name(mirror, outer)}: nested groups are not "
                        "expanded"
                    )
            seen.update(outer_groups)
            frontier = outer_groups
    return "not assigned to the application, directly or through a group it is a member of"


def explain(
    mirror: Mirror,
    object_id: str,
    object_type: str,
    reason: str | None,
    assignments: list[Assignment],
    app_roles: dict[str, Any],
    *,
    sync_all: bool,
    filter_reason: str = "",
) -> str:
    """The scope decision in one plain line, as the engine made it."""
    if reason is None:
        if sync_all:
            return "in scope: Sync all users and groups is on"
        return "in scope: " + assigned_how(mirror, object_id, assignments, app_roles)
    if reason == UNASSIGNED:
        if object_type == "User":
            return unassigned_why(mirror, object_id)
        return "not assigned to the application"
    if reason == NOT_ENTITLED:
        return (
            "only Default Access: excluded from provisioning (skip_default_access, as for "
            "configurations created before 2020-04-16)"
        )
    if reason == FILTERED:
        return f"scoped out by the scoping filters: {filter_reason}"
    if reason == DISABLED:
        return "disabled in Entra ID (accountEnabled is false)"
    if reason == SOFT_DELETED:
        return "deleted in Entra ID (in the recycle bin)"
    return "deleted in Entra ID"


def directory_view(runtime: JobRuntime) -> dict[str, Any]:
    """The directory as the engine last read it: users and groups with their direct
    memberships, the group-in-group memberships it does not expand, the assignments each
    object gets (directly or through a group), and, for a user with none, why."""
    mirror = runtime.mirror

    def assignments(object_id: str, object_type: str) -> list[dict[str, Any]]:
        return [
            {
                "principalId": a.principal_id,
                "principalType": a.principal_type,
                "appRoleId": a.app_role_id,
            }
            for a in effective_assignments(mirror, object_id, object_type)
        ]

    users = []
    for user_id, attrs in mirror.users.items():
        effective = assignments(user_id, "User")
        users.append(
            {
                "id": user_id,
                "userPrincipalName": attrs.get("userPrincipalName"),
                "displayName": attrs.get("displayName"),
                "accountEnabled": attrs.get("accountEnabled") is not False,
                "softDeleted": user_id in mirror.soft_deleted,
                "memberOf": sorted(mirror.member_of.get(user_id, ())),
                "assignments": effective,
                "unassignedReason": None if effective else unassigned_why(mirror, user_id),
            }
        )
    groups = [
        {
            "id": group_id,
            "displayName": attrs.get("displayName"),
            "members": sorted(mirror.members.get(group_id, ())),
            "nestedGroups": sorted(mirror.nested.get(group_id, ())),
            "assignments": assignments(group_id, "Group"),
        }
        for group_id, attrs in mirror.groups.items()
    ]
    return {"syncAll": runtime.sync_all, "users": users, "groups": groups}
