"""Big tenants for the benchmark, seeded through the fakes' Python APIs (fast), and the changes
an incremental cycle is measured on. The engine under measurement still speaks HTTP.

The shape is the one docs/benchmarks.md describes: ``users`` directly assigned users plus one group of 50 members per 100
users (100 groups at 10,000 users), each group assigned to the app and its Miro team already
existing, so the engine matches teams and only adds members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.bench.progress import Progress
from harness.lab.local import Lab

GROUP_SIZE = 50
USERS_PER_GROUP = 100
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Support", "Design")


def group_count(users: int) -> int:
    return max(1, users // USERS_PER_GROUP)


def user_body(i: int, department: str | None = None) -> dict[str, Any]:
    nick = f"benchuser{i:06d}"
    return {
        "accountEnabled": True,
        "displayName": f"Bench User {i:06d}",
        "givenName": "Bench",
        "surname": f"User{i:06d}",
        "mailNickname": nick,
        "userPrincipalName": f"{nick}@contoso.com",
        "mail": f"{nick}@contoso.com",
        "department": department or DEPARTMENTS[i % len(DEPARTMENTS)],
        "jobTitle": "Engineer",
        "employeeId": f"E{i:06d}",
        "passwordProfile": {"password": "Passw0rd!Passw0rd"},
    }


@dataclass
class Tenant:
    """What was seeded: ids in creation order, for picking changes deterministically."""

    lab: Lab
    user_ids: list[str] = field(default_factory=list)
    group_ids: list[str] = field(default_factory=list)
    next_index: int = 0
    changes_made: int = 0

    @property
    def users(self) -> int:
        return len(self.user_ids)

    def add_user(self, *, assign: bool = True) -> str:
        graph, lab = self.lab.graph, self.lab
        user = graph.create_user(user_body(self.next_index))
        self.next_index += 1
        self.user_ids.append(user["id"])
        if assign:
            graph.assign_app_role(user["id"], lab.service_principal_id, lab.app_roles["User"])
        return str(user["id"])

    def change(self, count: int) -> dict[str, int]:
        """``count`` directory changes: 70 % attribute updates, 20 % new assigned users, 10 %
        group membership additions (of users already provisioned). Returns the mix."""
        graph = self.lab.graph
        adds = count * 2 // 10
        joins = count // 10 if self.group_ids else 0
        updates = count - adds - joins
        step = max(1, self.users // max(updates, 1))
        round_no = self.changes_made
        for k in range(updates):
            uid = self.user_ids[(k * step + round_no) % self.users]
            graph.update_user(uid, {"jobTitle": f"Engineer (change {round_no}.{k})"})
        for _ in range(adds):
            self.add_user()
        for k in range(joins):
            group = self.group_ids[(round_no + k) % len(self.group_ids)]
            member_ids = set(graph.member_ids(group))
            # The first provisioned user not yet in this group.
            for offset in range(self.users):
                candidate = self.user_ids[(k * 7919 + offset) % self.users]
                if candidate not in member_ids:
                    graph.add_member(group, candidate)
                    break
        self.changes_made += count
        return {"updates": updates, "new_users": adds, "memberships": joins}


def seed(lab: Lab, users: int, progress: Progress | None = None) -> Tenant:
    """``users`` assigned users, ``group_count(users)`` assigned groups of 50 with Miro teams."""
    tenant = Tenant(lab)
    progress = progress or Progress(False)
    progress.begin(f"seeding {users:,} users", total=users)
    for _ in range(users):
        tenant.add_user()
        progress.add()
    progress.end()
    graph, miro = lab.graph, lab.miro
    role = lab.app_roles["User"]
    for k in range(group_count(users)):
        name = f"Bench Team {k:04d}"
        group = graph.create_group(
            {
                "displayName": name,
                "mailEnabled": False,
                "mailNickname": f"benchteam{k:04d}",
                "securityEnabled": True,
            }
        )
        for j in range(min(GROUP_SIZE, users)):
            graph.add_member(group["id"], tenant.user_ids[(k * GROUP_SIZE + j) % users])
        graph.assign_app_role(group["id"], lab.service_principal_id, role)
        miro.create_team(name)
        tenant.group_ids.append(str(group["id"]))
    return tenant
