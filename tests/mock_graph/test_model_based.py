"""Model-based test of the Graph fake: random sequences of user, group, membership (nested),
app-role-assignment, soft-delete, restore and purge calls over HTTP, checked after every step
against a small reference model of plain dicts written from Microsoft's documentation, not from
the fake's classes:

- a deleted user goes to deleted items and comes back with its group memberships and app role
  assignments (https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-restore,
  https://learn.microsoft.com/en-us/entra/fundamentals/users-restore); a purged one is gone;
- a security group is deleted for good (only Microsoft 365 groups go to deleted items:
  https://learn.microsoft.com/en-us/graph/api/group-delete);
- ``transitiveMembers`` is the closure of ``members`` over nested groups
  (https://learn.microsoft.com/en-us/graph/api/group-list-transitivemembers);
- ``$filter``, ``$top`` paging (``@odata.nextLink``) and ``delta`` return what the model holds
  (https://learn.microsoft.com/en-us/graph/filter-query-parameter,
  https://learn.microsoft.com/en-us/graph/paging, https://learn.microsoft.com/en-us/graph/delta-query-users);
- a refused request (a duplicate userPrincipalName, a member added twice, an assignment that
  exists) changes nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mock_graph import create_app
from tests.support.graph import AUTH, EVENTUAL, Clock, user_body
from tests.support.state_machines import count_step, machine_settings, report_steps

NICKS = [f"u{n}" for n in range(6)]  # few names, so that UPNs collide and restores conflict
DOMAIN = "contoso.onmicrosoft.com"
ZERO = "00000000-0000-0000-0000-000000000000"
FILTERS: dict[str, Any] = {
    "accountEnabled eq true": lambda u: u["accountEnabled"] is True,
    "accountEnabled eq false": lambda u: u["accountEnabled"] is False,
    "startswith(displayName,'A')": lambda u: u["displayName"].lower().startswith("a"),
    "displayName eq 'Bob'": lambda u: u["displayName"].lower() == "bob",
    "startswith(userPrincipalName,'u1')": lambda u: u["upn"].lower().startswith("u1"),
    "displayName eq 'Ann' or accountEnabled eq false": lambda u: (
        u["displayName"].lower() == "ann" or u["accountEnabled"] is False
    ),
    "displayName eq 'Ann' and accountEnabled eq true": lambda u: (
        u["displayName"].lower() == "ann" and u["accountEnabled"] is True
    ),
}
# Advanced queries: only with $count=true and ConsistencyLevel: eventual
# (https://learn.microsoft.com/en-us/graph/aad-advanced-queries).
ADVANCED_FILTERS: dict[str, Any] = {
    "not(accountEnabled eq true)": lambda u: u["accountEnabled"] is not True,
    "endswith(userPrincipalName,'u2@contoso.onmicrosoft.com')": lambda u: (
        u["upn"] == "u2@" + DOMAIN
    ),
}


class GraphDirectory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = create_app(clock=Clock().now)
        self.client = self.app.test_client()
        backend = self.app.extensions["mock_graph"]
        _application, sp = backend.create_enterprise_app("Miro")
        self.sp = sp["id"]
        self.role = next(r["id"] for r in sp["appRoles"] if r["displayName"] == "User")
        # The reference model.
        self.users: dict[str, dict[str, Any]] = {}  # live: id -> upn, displayName, accountEnabled
        self.deleted: dict[str, dict[str, Any]] = {}  # soft-deleted users
        self.groups: dict[str, str] = {}  # id -> displayName
        self.members: dict[str, set[str]] = {}  # group -> direct member ids (deleted kept)
        self.grants: dict[str, tuple[str, str]] = {}  # assignment id -> (principal, role)
        self.delta_users: dict[str, str] = {}  # a client's replica, fed by users/delta
        self.delta_link = self._drain_delta("/v1.0/users/delta?$select=displayName")
        self.group_count = 0

    # ---------------------------------------------------------------- helpers

    def _call(self, method: str, path: str, body: Any = None, *, advanced: bool = False) -> Any:
        headers = EVENTUAL if advanced else AUTH
        return self.client.open(path, method=method, json=body, headers=headers)

    def _ids(self) -> list[str]:
        return sorted(self.users)

    def _snapshot(self) -> Any:
        return self.app.extensions["mock_graph"].dump()

    def _refused(self, method: str, path: str, body: Any, status: int) -> None:
        before = self._snapshot()
        response = self._call(method, path, body)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"]
        assert self._snapshot() == before

    def _drain_delta(self, url: str) -> str:
        while True:
            body = self._call("GET", url).get_json()
            for item in body["value"]:
                if "@removed" in item:
                    self.delta_users.pop(item["id"], None)
                else:
                    self.delta_users[item["id"]] = item["displayName"]
            if "@odata.deltaLink" in body:
                return str(body["@odata.deltaLink"])
            url = body["@odata.nextLink"]

    def _pages(self, url: str, *, advanced: bool = False) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while url:
            response = self._call("GET", url, advanced=advanced)
            assert response.status_code == 200, response.get_data(as_text=True)
            body = response.get_json()
            items += body["value"]
            url = body.get("@odata.nextLink", "")
        return items

    def _upn_taken(self, upn: str) -> bool:
        return any(u["upn"].lower() == upn.lower() for u in self.users.values())

    def _live_members(self, gid: str) -> set[str]:
        return {m for m in self.members[gid] if m in self.users or m in self.groups}

    def _transitive(self, gid: str) -> set[str]:
        seen: set[str] = set()
        todo = [gid]
        while todo:
            for m in self._live_members(todo.pop()):
                if m not in seen:
                    seen.add(m)
                    if m in self.groups:
                        todo.append(m)
        seen.discard(gid)
        return seen

    # ---------------------------------------------------------------- users

    @rule(nick=st.sampled_from(NICKS), name=st.sampled_from(["Ann", "Bob", "al", "Zoe"]))
    def create_user(self, nick: str, name: str) -> None:
        upn = f"{nick}@{DOMAIN}"
        body = user_body(upn, displayName=name)
        if self._upn_taken(upn):
            self._refused("POST", "/v1.0/users", body, 400)
            return
        response = self._call("POST", "/v1.0/users", body)
        assert response.status_code == 201, response.get_data(as_text=True)
        uid = response.get_json()["id"]
        assert uid not in self.users and uid not in self.deleted
        self.users[uid] = {"upn": upn, "displayName": name, "accountEnabled": True}

    @precondition(lambda self: self.users)
    @rule(pick=st.integers(0, 99), name=st.sampled_from(["Ann", "Bob", "amy"]), on=st.booleans())
    def update_user(self, pick: int, name: str, on: bool) -> None:
        uid = self._ids()[pick % len(self.users)]
        body = {"displayName": name, "accountEnabled": on}
        assert self._call("PATCH", f"/v1.0/users/{uid}", body).status_code == 204
        self.users[uid].update(displayName=name, accountEnabled=on)

    @precondition(lambda self: self.users)
    @rule(pick=st.integers(0, 99))
    def clear_display_name(self, pick: int) -> None:
        uid = self._ids()[pick % len(self.users)]
        self._refused("PATCH", f"/v1.0/users/{uid}", {"displayName": None}, 400)

    @precondition(lambda self: self.users)
    @rule(pick=st.integers(0, 99))
    def delete_user(self, pick: int) -> None:
        uid = self._ids()[pick % len(self.users)]
        assert self._call("DELETE", f"/v1.0/users/{uid}").status_code == 204
        self.deleted[uid] = self.users.pop(uid)

    @precondition(lambda self: self.deleted)
    @rule(pick=st.integers(0, 99))
    def restore_user(self, pick: int) -> None:
        uid = sorted(self.deleted)[pick % len(self.deleted)]
        path = f"/v1.0/directory/deletedItems/{uid}/restore"
        if self._upn_taken(self.deleted[uid]["upn"]):
            self._refused("POST", path, None, 400)
            return
        response = self._call("POST", path)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["id"] == uid
        self.users[uid] = self.deleted.pop(uid)

    @precondition(lambda self: self.deleted)
    @rule(pick=st.integers(0, 99))
    def purge_user(self, pick: int) -> None:
        uid = sorted(self.deleted)[pick % len(self.deleted)]
        assert self._call("DELETE", f"/v1.0/directory/deletedItems/{uid}").status_code == 204
        del self.deleted[uid]
        for members in self.members.values():
            members.discard(uid)
        self.grants = {a: g for a, g in self.grants.items() if g[0] != uid}

    # ---------------------------------------------------------------- groups

    @rule()
    def create_group(self) -> None:
        self.group_count += 1
        name = f"G{self.group_count}"
        body = {
            "displayName": name,
            "mailEnabled": False,
            "mailNickname": name.lower(),
            "securityEnabled": True,
        }
        response = self._call("POST", "/v1.0/groups", body)
        assert response.status_code == 201, response.get_data(as_text=True)
        gid = response.get_json()["id"]
        self.groups[gid] = name
        self.members[gid] = set()

    @precondition(lambda self: self.groups)
    @rule(pick=st.integers(0, 99))
    def delete_group(self, pick: int) -> None:
        gid = sorted(self.groups)[pick % len(self.groups)]
        assert self._call("DELETE", f"/v1.0/groups/{gid}").status_code == 204
        del self.groups[gid], self.members[gid]
        for members in self.members.values():
            members.discard(gid)

    @precondition(lambda self: self.groups)
    @rule(group=st.integers(0, 99), member=st.integers(0, 99), nested=st.booleans())
    def add_member(self, group: int, member: int, nested: bool) -> None:
        gid = sorted(self.groups)[group % len(self.groups)]
        pool = sorted(self.groups) if nested else self._ids()
        if not pool:
            return
        mid = pool[member % len(pool)]
        path = f"/v1.0/groups/{gid}/members/$ref"
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{mid}"}
        if mid == gid or mid in self.members[gid]:
            self._refused("POST", path, ref, 400)
            return
        assert self._call("POST", path, ref).status_code == 204
        self.members[gid].add(mid)

    @precondition(lambda self: self.groups)
    @rule(group=st.integers(0, 99), member=st.integers(0, 99))
    def remove_member(self, group: int, member: int) -> None:
        gid = sorted(self.groups)[group % len(self.groups)]
        pool = self._ids() + sorted(self.groups)
        mid = pool[member % len(pool)]
        path = f"/v1.0/groups/{gid}/members/{mid}/$ref"
        if mid not in self.members[gid]:
            self._refused("DELETE", path, None, 404)
            return
        assert self._call("DELETE", path).status_code == 204
        self.members[gid].discard(mid)

    # ---------------------------------------------------------------- app role assignments

    @precondition(lambda self: self.users)
    @rule(pick=st.integers(0, 99), default_access=st.booleans())
    def assign(self, pick: int, default_access: bool) -> None:
        uid = self._ids()[pick % len(self.users)]
        role = ZERO if default_access else self.role
        path = f"/v1.0/servicePrincipals/{self.sp}/appRoleAssignedTo"
        body = {"principalId": uid, "resourceId": self.sp, "appRoleId": role}
        if (uid, role) in self.grants.values():
            self._refused("POST", path, body, 400)
            return
        response = self._call("POST", path, body)
        assert response.status_code == 201, response.get_data(as_text=True)
        self.grants[response.get_json()["id"]] = (uid, role)

    @precondition(lambda self: self.grants)
    @rule(pick=st.integers(0, 99))
    def unassign(self, pick: int) -> None:
        aid = sorted(self.grants)[pick % len(self.grants)]
        path = f"/v1.0/servicePrincipals/{self.sp}/appRoleAssignedTo/{aid}"
        if self.grants[aid][0] not in self.users:  # hidden while its principal is deleted
            self._refused("DELETE", path, None, 404)
            return
        assert self._call("DELETE", path).status_code == 204
        del self.grants[aid]

    # ---------------------------------------------------------------- what every client sees

    @invariant()
    def users_listing_pages_and_filters_agree(self) -> None:
        count_step("graph")
        listed = self._pages("/v1.0/users?$top=2&$select=id,displayName,accountEnabled")
        assert len(listed) == len({u["id"] for u in listed})
        assert {u["id"]: (u["displayName"], u["accountEnabled"]) for u in listed} == {
            uid: (u["displayName"], u["accountEnabled"]) for uid, u in self.users.items()
        }
        for text, matches in FILTERS.items():
            found = self._pages(f"/v1.0/users?$filter={text}&$select=id&$top=3")
            assert {u["id"] for u in found} == {
                uid for uid, u in self.users.items() if matches(u)
            }, text
        for text, matches in ADVANCED_FILTERS.items():
            url = f"/v1.0/users?$filter={text}&$select=id&$top=3&$count=true"
            found = self._pages(url, advanced=True)
            assert {u["id"] for u in found} == {
                uid for uid, u in self.users.items() if matches(u)
            }, text

    @invariant()
    def deleted_items_agree(self) -> None:
        listed = self._pages("/v1.0/directory/deletedItems/microsoft.graph.user?$top=2")
        assert {u["id"] for u in listed} == set(self.deleted)

    @invariant()
    def memberships_agree(self) -> None:
        for gid in self.groups:
            direct = self._pages(f"/v1.0/groups/{gid}/members?$select=id")
            assert {m["id"] for m in direct} == self._live_members(gid)
            nested = self._pages(f"/v1.0/groups/{gid}/transitiveMembers?$select=id")
            assert {m["id"] for m in nested} == self._transitive(gid)

    @invariant()
    def assignments_agree(self) -> None:
        listed = self._pages(f"/v1.0/servicePrincipals/{self.sp}/appRoleAssignedTo?$top=2")
        assert {a["id"]: (a["principalId"], a["appRoleId"]) for a in listed} == {
            aid: grant for aid, grant in self.grants.items() if grant[0] in self.users
        }

    @invariant()
    def delta_replica_agrees(self) -> None:
        self.delta_link = self._drain_delta(self.delta_link)
        assert self.delta_users == {uid: u["displayName"] for uid, u in self.users.items()}

    def teardown(self) -> None:
        report_steps("graph")


GraphDirectory.TestCase.settings = machine_settings(examples=6, steps=30)
TestGraphDirectory = GraphDirectory.TestCase
