"""Model-based test of the Miro fake: random sequences of user creates, replaces, PATCHes,
deactivations and deletes and of team member adds, removes, replaces and renames, over HTTP,
checked after every step against a small reference model of plain dicts written from Miro's
documentation, not from the fake's classes:

- a new user is active and joins the default team (https://developers.miro.com/reference/createuser);
- a deactivated user becomes active again only when a team PATCH adds it ("added team members"
  are reactivated, and deleted ones recreated: https://developers.miro.com/reference/patchgroup)
  or by an explicit ``active: true`` (https://developers.miro.com/reference/patchuser); a PATCH
  that renames a team, or replaces its members, reactivates nobody it does not add;
- a deleted user leaves its teams (https://developers.miro.com/reference/deleteuser);
- userName is unique, case-insensitively (https://developers.miro.com/docs/errors), and cannot
  change while the user stays deactivated
  (https://help.miro.com/hc/en-us/articles/360025025894-Deactivated-users);
- listings page with startIndex and count, and filters select what the model selects
  (https://developers.miro.com/reference/listusers, RFC 7644 §3.4.2);
- a refused request changes nothing: the whole state, the id counter included, is as before;
- an id is never given to another user.

The organisation a fresh fake starts with (a default team, the token owner) is taken as it is
found, and the settings this test relies on are set explicitly."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mock_miro import MiroBackend, create_app
from tests.support.miro import Scim, StepClock
from tests.support.state_machines import count_step, machine_settings, report_steps

SETTINGS = {
    "model": "teams",
    "rate_limits": False,
    "duplicate_user_error": 409,
    "patch_strict": False,
    "default_team_name": "Default team",
}
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
NAMES = ["ann@x.com", "Bob@x.com", "bob@x.com", "cyd@y.com", "dee@x.com"]
DISPLAY = ["Ann", "Bob Ray", "Zed"]
FILTERS: dict[str, Any] = {
    'userName eq "bob@x.com"': lambda u: u["userName"].lower() == "bob@x.com",
    'userName sw "b"': lambda u: u["userName"].lower().startswith("b"),
    'displayName eq "Zed"': lambda u: (u.get("displayName") or "").lower() == "zed",
    "active eq false": lambda u: u["active"] is False,
    'active eq true and userName ew "x.com"': lambda u: (
        u["active"] is True and u["userName"].lower().endswith("x.com")
    ),
    'displayName eq "Ann" or not (active eq true)': lambda u: (
        (u.get("displayName") or "").lower() == "ann" or u["active"] is not True
    ),
}


class MiroOrganisation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.backend = MiroBackend(clock=StepClock())
        self.scim = Scim(create_app(self.backend, settings=SETTINGS))
        self.backend.create_team("Team A")
        self.backend.create_team("Team B")
        # The model, from what a client of the fresh organisation sees.
        self.users: dict[str, dict[str, Any]] = {}  # live: id -> userName, displayName, active
        for u in self._pages("/Users"):
            self.users[u["id"]] = {k: u.get(k) for k in ("userName", "displayName", "active")}
        self.untouchable = set(self.users)  # the organisation's own users: never changed here
        self.deleted: dict[str, dict[str, Any]] = {}
        self.teams: dict[str, dict[str, Any]] = {}  # id -> name, members (ordered ids)
        for g in self._pages("/Groups"):
            members = [
                m["value"]
                for m in self.scim.get(f"/Groups/{g['id']}").get_json().get("members", [])
            ]
            self.teams[g["id"]] = {"name": g["displayName"], "members": members}
        self.issued = set(self.users) | set(self.teams)
        self.default_team: str | None = None  # every id the fake has handed out

    # ---------------------------------------------------------------- helpers

    def _pages(self, path: str, filter_text: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start = 1
        while True:
            query: dict[str, Any] = {"startIndex": start, "count": 2}
            if filter_text:
                query["filter"] = filter_text
            response = self.scim.get(path, **query)
            assert response.status_code == 200, response.get_data(as_text=True)
            body = response.get_json()
            found += body["Resources"]
            start += len(body["Resources"])
            if not body["Resources"] or start > body["totalResults"]:
                assert len(found) == body["totalResults"]
                return found

    def _mine(self, n: int) -> str | None:
        ids = sorted(set(self.users) - self.untouchable)
        return ids[n % len(ids)] if ids else None

    def _taken(self, user_name: str, besides: str | None = None) -> bool:
        return any(
            u["userName"].lower() == user_name.lower()
            for uid, u in self.users.items()
            if uid != besides
        )

    def _default_team(self) -> str:
        if self.default_team is None:
            found = [
                gid for gid, t in self.teams.items() if t["name"] == SETTINGS["default_team_name"]
            ]
            assert len(found) == 1, self.teams
            self.default_team = found[0]
        return self.default_team

    def _join(self, gid: str, uid: str) -> None:
        if uid not in self.teams[gid]["members"]:
            self.teams[gid]["members"].append(uid)

    def _refused(self, response: Any, before: dict[str, Any], *statuses: int) -> None:
        assert response.status_code in statuses, response.get_data(as_text=True)
        assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert self.backend.dump() == before

    def _new_user(self, response: Any, record: dict[str, Any]) -> None:
        assert response.status_code == 201, response.get_data(as_text=True)
        uid = response.get_json()["id"]
        assert uid not in self.issued, f"id {uid} handed out twice"
        self.issued.add(uid)
        self.users[uid] = record
        if self.default_team is None and not any(
            t["name"] == SETTINGS["default_team_name"] for t in self.teams.values()
        ):
            found = [g for g in self._pages("/Groups") if g["id"] not in self.teams]
            assert [g["displayName"] for g in found] == [SETTINGS["default_team_name"]]
            assert found[0]["id"] not in self.issued
            self.issued.add(found[0]["id"])
            self.teams[found[0]["id"]] = {"name": found[0]["displayName"], "members": []}
        self._join(self._default_team(), uid)

    # ---------------------------------------------------------------- users

    @rule(name=st.sampled_from(NAMES), display=st.sampled_from(DISPLAY))
    def create_user(self, name: str, display: str) -> None:
        body = {"schemas": [USER_SCHEMA], "userName": name, "displayName": display}
        before = self.backend.dump()
        response = self.scim.post("/Users", body)
        if self._taken(name):
            self._refused(response, before, 409)
            return
        self._new_user(response, {"userName": name, "displayName": display, "active": True})

    @rule(
        n=st.integers(0, 99),
        name=st.sampled_from(NAMES),
        display=st.sampled_from(DISPLAY),
        active=st.sampled_from([None, True, False]),
    )
    def replace_user(self, n: int, name: str, display: str, active: bool | None) -> None:
        uid = self._mine(n)
        if uid is None:
            return
        body: dict[str, Any] = {"schemas": [USER_SCHEMA], "userName": name, "displayName": display}
        if active is not None:
            body["active"] = active
        before = self.backend.dump()
        response = self.scim.put(f"/Users/{uid}", body)
        stays_inactive = not self.users[uid]["active"] and active is not True
        renamed = name != self.users[uid]["userName"]
        if self._taken(name, besides=uid) or (stays_inactive and renamed):
            self._refused(response, before, 409)
            return
        assert response.status_code == 200, response.get_data(as_text=True)
        user = self.users[uid]
        user.update(userName=name, displayName=display)
        if active is not None:
            user["active"] = active

    @rule(
        n=st.integers(0, 99), display=st.sampled_from(DISPLAY), name=st.sampled_from([None, *NAMES])
    )
    def patch_user(self, n: int, display: str, name: str | None) -> None:
        """A PATCH of other attributes leaves ``active`` as it was."""
        uid = self._mine(n)
        if uid is None:
            return
        ops: list[dict[str, Any]] = [{"op": "replace", "path": "displayName", "value": display}]
        if name is not None:
            ops.append({"op": "replace", "path": "userName", "value": name})
        before = self.backend.dump()
        response = self.scim.patch(f"/Users/{uid}", *ops)
        renamed = name is not None and name != self.users[uid]["userName"]
        if name is not None and (
            self._taken(name, besides=uid) or (renamed and not self.users[uid]["active"])
        ):
            self._refused(response, before, 409)
            return
        assert response.status_code == 200, response.get_data(as_text=True)
        self.users[uid]["displayName"] = display
        if name is not None:
            self.users[uid]["userName"] = name

    @rule(n=st.integers(0, 99), active=st.booleans())
    def set_active(self, n: int, active: bool) -> None:
        uid = self._mine(n)
        if uid is None:
            return
        response = self.scim.patch(
            f"/Users/{uid}", {"op": "replace", "path": "active", "value": active}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        self.users[uid]["active"] = active

    @rule(n=st.integers(0, 99))
    def delete_user(self, n: int) -> None:
        uid = self._mine(n)
        if uid is None:
            return
        assert self.scim.delete(f"/Users/{uid}").status_code == 204
        self.deleted[uid] = self.users.pop(uid)
        for team in self.teams.values():
            if uid in team["members"]:
                team["members"].remove(uid)

    @rule()
    def unknown_user(self) -> None:
        before = self.backend.dump()
        self._refused(self.scim.get("/Users/999999999"), before, 404)
        self._refused(self.scim.delete("/Users/999999999"), before, 404)

    # ---------------------------------------------------------------- teams

    def _team(self, n: int) -> str:
        ids = sorted(self.teams)
        return ids[n % len(ids)]

    @rule(
        team=st.integers(0, 99),
        picks=st.lists(st.integers(0, 99), min_size=1, max_size=3),
        from_deleted=st.booleans(),
        bogus=st.booleans(),
    )
    def add_members(self, team: int, picks: list[int], from_deleted: bool, bogus: bool) -> None:
        gid = self._team(team)
        pool = (
            sorted(self.deleted)
            if from_deleted and self.deleted
            else sorted(set(self.users) - self.untouchable)
        )
        if not pool:
            return
        ids = list(dict.fromkeys(pool[p % len(pool)] for p in picks))
        value = [{"value": uid} for uid in ids] + ([{"value": "999999999"}] if bogus else [])
        before = self.backend.dump()
        response = self.scim.patch(
            f"/Groups/{gid}", {"op": "add", "path": "members", "value": value}
        )
        recreated = [uid for uid in ids if uid in self.deleted]
        live = {u["userName"].lower() for u in self.users.values()}
        if bogus or any(self.deleted[uid]["userName"].lower() in live for uid in recreated):
            self._refused(response, before, 400, 404, 409)
            return
        assert response.status_code == 200, response.get_data(as_text=True)
        for uid in ids:
            if uid in self.deleted:  # recreated, in the default team too
                self.users[uid] = self.deleted.pop(uid)
                self._join(self._default_team(), uid)
            self.users[uid]["active"] = True
            self._join(gid, uid)

    @rule(team=st.integers(0, 99), picks=st.lists(st.integers(0, 99), min_size=1, max_size=2))
    def remove_members(self, team: int, picks: list[int]) -> None:
        gid = self._team(team)
        members = [m for m in self.teams[gid]["members"] if m not in self.untouchable]
        if not members:
            return
        ids = list(dict.fromkeys(members[p % len(members)] for p in picks))
        ops = [{"op": "remove", "path": f'members[value eq "{uid}"]'} for uid in ids]
        response = self.scim.patch(f"/Groups/{gid}", *ops)
        assert response.status_code == 200, response.get_data(as_text=True)
        for uid in ids:
            self.teams[gid]["members"].remove(uid)

    @rule(team=st.integers(0, 99), picks=st.lists(st.integers(0, 99), max_size=3))
    def replace_members(self, team: int, picks: list[int]) -> None:
        """Only the newcomers are added, so only they are reactivated."""
        gid = self._team(team)
        kept = [m for m in self.teams[gid]["members"] if m in self.untouchable]
        pool = sorted(set(self.users) - self.untouchable)
        ids = list(dict.fromkeys(kept + [pool[p % len(pool)] for p in picks if pool]))
        response = self.scim.patch(
            f"/Groups/{gid}",
            {"op": "replace", "path": "members", "value": [{"value": u} for u in ids]},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        for uid in ids:
            if uid not in self.teams[gid]["members"]:
                self.users[uid]["active"] = True
        self.teams[gid]["members"] = ids

    @rule(team=st.integers(0, 99), name=st.sampled_from(["Team A", "Team C", "Design"]))
    def rename_team(self, team: int, name: str) -> None:
        """A PATCH that adds nobody reactivates nobody."""
        gid = self._team(team)
        if self.teams[gid]["name"] == SETTINGS["default_team_name"]:
            self._default_team()  # known by its id from now on
        response = self.scim.patch(
            f"/Groups/{gid}", {"op": "replace", "path": "displayName", "value": name}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        self.teams[gid]["name"] = name

    # ---------------------------------------------------------------- what every client sees

    @invariant()
    def users_agree(self) -> None:
        count_step("miro")
        listed = self._pages("/Users")
        assert {
            u["id"]: {k: u.get(k) for k in ("userName", "displayName", "active")} for u in listed
        } == self.users
        for uid in self.deleted:
            assert self.scim.get(f"/Users/{uid}").status_code == 404
        for text, matches in FILTERS.items():
            found = {u["id"] for u in self._pages("/Users", text)}
            assert found == {uid for uid, u in self.users.items() if matches(u)}, text

    @invariant()
    def teams_agree(self) -> None:
        listed = {g["id"]: g["displayName"] for g in self._pages("/Groups")}
        assert listed == {gid: t["name"] for gid, t in self.teams.items()}
        for gid, team in self.teams.items():
            body = self.scim.get(f"/Groups/{gid}").get_json()
            assert sorted(m["value"] for m in body.get("members", [])) == sorted(team["members"])

    def teardown(self) -> None:
        report_steps("miro")


MiroOrganisation.TestCase.settings = machine_settings(examples=12, steps=50)
TestMiroOrganisation = MiroOrganisation.TestCase
