"""Who is in scope: assignments, roles, the Default Access rule, account state, scoping filters
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works). Reads only the engine's mirror of the directory, so it costs O(1) per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.engine.state import Assignment, Mirror

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
