"""Stateful property test: any sequence of SCIM calls keeps the indexes consistent."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mock_miro import MiroBackend, Settings, create_app
from mock_miro.rules import is_org_admin
from tests.support.miro import Scim

NAMES = st.sampled_from(["a@x.com", "B@x.com", "b@x.com", "c@y.com", "d@x.com"])
ADMIN = [
    {"value": "ORGANIZATION_INTERNAL_ADMIN", "type": "organization_user_role", "primary": True}
]


def check_indexes(backend: MiroBackend) -> None:
    with backend.lock:
        assert {k: v for k, v in backend.org.by_username.items() if v in backend.users} == {
            u.username_key: uid for uid, u in backend.users.items()
        }
        assert set(backend.org.by_username.values()) <= set(backend.users) | set(backend.org.guests)
        for ext_id, ids in backend.org.by_external.items():
            assert all(backend.users[i].data.get("externalId") == ext_id for i in ids)
        assert backend.org.org_admins == {
            uid for uid, u in backend.users.items() if u.active and is_org_admin(u.data)
        }
        for gid, group in backend.groups.items():
            assert gid in backend.org.group_names[(group.kind, group.display_name.lower())]
            for uid in group.members:
                assert uid in backend.users and gid in backend.org.memberships[uid]
            assert group.admins <= set(group.members)
        for uid, gids in backend.org.memberships.items():
            for gid in gids:
                assert uid in backend.groups[gid].members
        assert not set(backend.users) & set(backend.org.deleted)


class Organisation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Rate limits off: the machine fires calls in bursts on the real clock, and a 429 (which
        # test_rate_limits.py covers) would hide the rules this checks.
        self.backend = MiroBackend(Settings(rate_limits=False))
        self.scim = Scim(create_app(self.backend))
        self.team = self.backend.create_team("T")["id"]

    def ids(self) -> list[str]:
        return sorted(self.backend.users) + sorted(self.backend.org.deleted) + ["404"]

    @rule(name=NAMES, admin=st.booleans(), ext=st.sampled_from([None, "e1", "e2"]))
    def create(self, name: str, admin: bool, ext: str | None) -> None:
        body: dict[str, Any] = {"userName": name}
        if admin:
            body["roles"] = ADMIN
        if ext:
            body["externalId"] = ext
        assert self.scim.post("/Users", body).status_code in (201, 400, 409)

    @rule(pick=st.integers(0, 20), value=st.sampled_from([True, False, "False", "True"]))
    def set_active(self, pick: int, value: Any) -> None:
        ids = self.ids()
        status = self.scim.patch(
            f"/Users/{ids[pick % len(ids)]}", {"op": "Replace", "path": "active", "value": value}
        ).status_code
        assert status in (200, 404, 409)

    @rule(pick=st.integers(0, 20), name=NAMES)
    def rename(self, pick: int, name: str) -> None:
        ids = self.ids()
        status = self.scim.patch(
            f"/Users/{ids[pick % len(ids)]}",
            {"op": "replace", "path": "userName", "value": name},
            {"op": "replace", "path": "externalId", "value": name},
        ).status_code
        assert status in (200, 400, 404, 409)

    @rule(pick=st.integers(0, 20))
    def delete(self, pick: int) -> None:
        ids = self.ids()
        assert self.scim.delete(f"/Users/{ids[pick % len(ids)]}").status_code in (204, 404, 409)

    @rule(
        picks=st.lists(st.integers(0, 20), max_size=3),
        op=st.sampled_from(["add", "remove", "replace"]),
    )
    def members(self, picks: list[int], op: str) -> None:
        ids = self.ids()
        value = [{"value": ids[p % len(ids)]} for p in picks]
        status = self.scim.patch(
            f"/Groups/{self.team}", {"op": op, "path": "members", "value": value}
        ).status_code
        assert status in (200, 400, 404, 409)

    @rule(pick=st.integers(0, 20))
    def make_team_admin(self, pick: int) -> None:
        users = sorted(self.backend.users)
        if users:
            self.backend.add_team_member(self.team, users[pick % len(users)], admin=True)

    @invariant()
    def consistent(self) -> None:
        check_indexes(self.backend)


Organisation.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestOrganisation = Organisation.TestCase
