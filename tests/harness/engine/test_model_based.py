"""Model-based test of the engine: a random directory and a random sequence of changes (users
created, renamed, disabled, deleted and restored, assigned directly or through a group, a group's
members changed), with provisioning cycles in between and, in some runs, transient faults on
both fakes (Miro 500, 429 and 503; Graph 503). Whatever the order, once the faults stop and
the retries have run, Miro holds what an initial cycle on the final directory gives a fresh
organisation: "the provisioning service maintains the state of the target" by comparing each
in-scope object with it every cycle, and retries what failed
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).

The reference here is the directory itself, kept as plain dicts as the steps change it, and
rebuilt from scratch in a second lab for the initial cycle; users who left scope may remain in
the first organisation only deactivated (Miro's deprovisioning is a deactivation,
https://learn.microsoft.com/en-us/entra/identity/saas-apps/miro-provisioning-tutorial)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from harness.lab.local import Lab
from harness.testing.lab_steps import (
    add_group,
    add_member,
    add_user,
    assign,
    delete_user,
    ok,
    remove_member,
    restore_user,
    unassign,
    update_user,
)
from tests.support.state_machines import count_step, machine_settings, report_steps

NICKS = ["ann", "bob", "cyd", "dee", "eve", "fay"]
NAMES = ["Ann Lee", "Bob Ray", "Zed Ox"]
MIRO_SETTINGS = {"rate_limits": False}  # the cycles' pace is not what this test is about
FAULTS = {
    "miro": [
        {"path": "^/api/v1/scim/", "status": 500, "probability": 0.2},
        {"path": "^/api/v1/scim/", "status": 429, "retry_after": 1, "probability": 0.1},
        {"path": "^/api/v1/scim/Groups", "status": 503, "probability": 0.2},
    ],
    "graph": [
        {"method": "GET", "path": "^/v1.0/(users|groups)", "status": 503, "probability": 0.1}
    ],
}


def _faults(lab: Lab, on: bool) -> None:
    for fake, client in (("miro", lab.miro_client), ("graph", lab.graph_client)):
        if on:
            for fault in FAULTS[fake]:
                ok(client.post("/_fake/faults", json=fault))
        else:
            ok(client.delete("/_fake/faults"))


def _organisation(lab: Lab) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]]]:
    """Miro's users by userName (without ids and meta) and its teams' members by userName."""
    miro = lab.miro.dump()
    names = {u["id"]: u["data"]["userName"] for u in miro["users"]}
    users = {
        u["data"]["userName"]: {
            k: v for k, v in u["data"].items() if k not in ("id", "meta", "groups")
        }
        for u in miro["users"]
    }
    teams = {
        g["displayName"]: {names[m] for m in g["members"] if m in names} for g in miro["groups"]
    }
    return users, teams


class EngineConvergence(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.lab = Lab(3, miro_settings=MIRO_SETTINGS)
        self.group = add_group(self.lab, "Design")
        assign(self.lab, self.group)
        # The directory as the steps left it: nick -> id, displayName, enabled, deleted,
        # the direct assignment's id (or None), member of the assigned group.
        self.users: dict[str, dict[str, Any]] = {}
        self.faulty = False
        self.lab.start()
        self.lab.advance("0")

    def _pick(self, n: int, **where: Any) -> str | None:
        found = [
            k for k, u in sorted(self.users.items()) if all(u[a] == v for a, v in where.items())
        ]
        return found[n % len(found)] if found else None

    @rule(nick=st.sampled_from(NICKS), direct=st.booleans(), member=st.booleans())
    def create_user(self, nick: str, direct: bool, member: bool) -> None:
        if nick in self.users:
            return
        uid = add_user(self.lab, nick)
        user = {"id": uid, "name": nick.capitalize() + " Tester", "enabled": True}
        user.update(deleted=False, assignment=None, member=member)
        if direct:
            user["assignment"] = assign(self.lab, uid)
        if member:
            add_member(self.lab, self.group, uid)
        self.users[nick] = user

    @rule(n=st.integers(0, 9), name=st.sampled_from(NAMES), enabled=st.booleans())
    def change_user(self, n: int, name: str, enabled: bool) -> None:
        nick = self._pick(n, deleted=False)
        if nick:
            update_user(self.lab, self.users[nick]["id"], displayName=name, accountEnabled=enabled)
            self.users[nick].update(name=name, enabled=enabled)

    @rule(n=st.integers(0, 9))
    def toggle_assignment(self, n: int) -> None:
        nick = self._pick(n, deleted=False)
        if nick:
            user = self.users[nick]
            if user["assignment"]:
                unassign(self.lab, user["assignment"])
                user["assignment"] = None
            else:
                user["assignment"] = assign(self.lab, user["id"])

    @rule(n=st.integers(0, 9))
    def toggle_membership(self, n: int) -> None:
        nick = self._pick(n, deleted=False)
        if nick:
            user = self.users[nick]
            (remove_member if user["member"] else add_member)(self.lab, self.group, user["id"])
            user["member"] = not user["member"]

    @rule(n=st.integers(0, 9))
    def delete_user(self, n: int) -> None:
        nick = self._pick(n, deleted=False)
        if nick:
            delete_user(self.lab, self.users[nick]["id"])
            self.users[nick]["deleted"] = True

    @rule(n=st.integers(0, 9))
    def restore_user(self, n: int) -> None:
        nick = self._pick(n, deleted=True)
        if nick:
            restore_user(self.lab, self.users[nick]["id"])
            self.users[nick]["deleted"] = False

    @rule(interval=st.sampled_from(["40m", "2h"]))
    def cycle(self, interval: str) -> None:
        self.lab.advance(interval)

    @invariant()
    def counted(self) -> None:
        count_step("engine")  # every step, as the other machines count

    @precondition(lambda self: not self.faulty)
    @rule()
    def faults_on(self) -> None:
        _faults(self.lab, True)
        self.faulty = True

    @precondition(lambda self: self.faulty)
    @rule()
    def faults_off(self) -> None:
        _faults(self.lab, False)
        self.faulty = False

    def _fresh(self) -> Lab:
        """A second lab holding the final directory, after its initial cycle."""
        lab = Lab(4, miro_settings=MIRO_SETTINGS)
        group = add_group(lab, "Design")
        assign(lab, group)
        for nick, user in sorted(self.users.items()):
            if user["deleted"]:
                continue
            uid = add_user(lab, nick, displayName=user["name"], accountEnabled=user["enabled"])
            if user["assignment"]:
                assign(lab, uid)
            if user["member"]:
                add_member(lab, group, uid)
        lab.start()
        lab.advance("0")
        return lab

    def teardown(self) -> None:
        try:
            _faults(self.lab, False)
            self.lab.advance("40m")
            self.lab.advance("2d")  # escrowed changes are retried, backing off up to a day
            users, teams = _organisation(self.lab)
            with self._fresh() as fresh:
                want_users, want_teams = _organisation(fresh)
            for name, data in want_users.items():
                assert users.get(name) == data, (name, users.get(name), data)
            for name, data in users.items():
                if name not in want_users:  # left scope: only deactivated, never deleted
                    assert data["active"] is False, (name, data)
            # Teams compared by their active members: a team left with deactivated members only
            # (Miro's default team, say) is the same as none.
            active = {n for n, d in users.items() if d["active"]}
            assert {t: m & active for t, m in teams.items() if m & active} == {
                t: m & active for t, m in want_teams.items() if m & active
            }, (teams, want_teams)
        finally:
            self.lab.close()
            report_steps("engine")


EngineConvergence.TestCase.settings = machine_settings(examples=6, steps=25)
TestEngineConvergence = EngineConvergence.TestCase
