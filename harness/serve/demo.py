"""The demo tenant ``harness serve`` starts with (unless ``--empty``)."""

from __future__ import annotations

from typing import Any

from harness.lab.local import Lab

DEMO_USERS = 12
DEMO_GROUPS = 3


def seed_demo(lab: Lab, users: int, groups: int) -> dict[str, Any]:
    """A small tenant a newcomer can watch at once: Faker users and groups, two users in three
    and every group assigned to Miro with the ``User`` role, and a Miro team named like each
    group (so the first cycle matches them instead of creating them)."""
    created = lab.graph.seed(seed=lab.seed, users=users, groups=groups)
    role = lab.app_roles.get("User")
    assigned_users = [u["id"] for i, u in enumerate(created["users"]) if i % 3 != 2]
    assigned_groups = [g["id"] for g in created["groups"]]
    for principal in (*assigned_users, *assigned_groups):
        lab.graph.assign_app_role(principal, lab.service_principal_id, role)
    team_names = [g["displayName"] for g in created["groups"]]
    if team_names:
        lab.miro.seed(lab.seed, 0, team_names)
    return {
        "users": len(created["users"]),
        "assignedUsers": len(assigned_users),
        "groups": len(assigned_groups),
        "teams": team_names,
    }
