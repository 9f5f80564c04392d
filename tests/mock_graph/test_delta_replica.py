"""Property-based: a client that applies every delta round to a replica ends up with the fake's
current directory (users, group memberships, assignments), whatever happened in between."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_graph import GraphError, create_app
from tests.support.examples import examples
from tests.support.graph import AUTH, Clock, user_body

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "create",
                "rename",
                "delete",
                "restore",
                "purge",
                "add",
                "remove",
                "assign",
                "unassign",
                "group",
                "ungroup",
            ]
        ),
        st.integers(0, 1000),
        st.integers(0, 1000),
    ),
    max_size=60,
)


def drain(client: Any, url: str) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        body = client.get(url, headers=AUTH).json
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]


def apply_op(backend: Any, op: str, a: int, b: int, counter: list[int], sp: str) -> None:
    live = sorted(backend.list_objects("user", top=999, render=lambda o: o.data["id"]).items)
    groups = sorted(backend.list_objects("group", top=999, render=lambda o: o.data["id"]).items)
    deleted = sorted(o.data["id"] for o in backend.directory.deleted.values() if o.kind == "user")
    pick = lambda seq, n: seq[n % len(seq)] if seq else None  # noqa: E731
    try:
        if op == "create":
            counter[0] += 1
            backend.create_user(user_body(f"u{counter[0]}@contoso.onmicrosoft.com"))
        elif op == "rename" and live:
            backend.update_user(pick(live, a), {"displayName": f"Name {b}"})
        elif op == "delete" and live:
            backend.delete_user(pick(live, a))
        elif op == "restore" and deleted:
            backend.restore(pick(deleted, a))
        elif op == "purge" and deleted:
            backend.permanently_delete(pick(deleted, a))
        elif op == "add" and live and groups:
            backend.add_member(pick(groups, b), pick(live, a))
        elif op == "remove" and live and groups:
            backend.remove_member(pick(groups, b), pick(live, a))
        elif op == "assign" and live:
            backend.assign_app_role(pick(live, a), sp)
        elif op == "unassign":
            held = sorted(backend.directory.by_resource.get(sp, {}))
            if held:
                backend.remove_app_role_assignment(pick(held, a))
        elif op == "group":
            counter[0] += 1
            backend.create_group(
                {
                    "displayName": f"G{counter[0]}",
                    "mailEnabled": False,
                    "mailNickname": f"g{counter[0]}",
                    "securityEnabled": True,
                }
            )
        elif op == "ungroup" and groups:
            backend.delete_group(pick(groups, a))
    except GraphError:
        pass  # e.g. already a member, not a member, already assigned: rejected, nothing changed


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(rounds=st.lists(OPS, min_size=1, max_size=4))
def test_replica_converges(rounds: list[list[tuple[str, int, int]]]) -> None:
    app = create_app(clock=Clock().now)
    backend = app.extensions["mock_graph"]
    backend.settings.delta_page_size = 3
    backend.seed(1, users=6, groups=2)
    _app, sp = backend.create_enterprise_app("Miro")
    client = app.test_client()
    users: dict[str, str] = {}
    groups: dict[str, set[str]] = {}
    grants: dict[str, str] = {}
    links = {
        "u": "/v1.0/users/delta?$select=displayName",
        "g": "/v1.0/groups/delta?$select=displayName,members",
        "a": f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/delta",
    }
    counter = [0]
    for ops in [[], *rounds]:
        for op, a, b in ops:
            apply_op(backend, op, a, b, counter, sp["id"])
        items, links["u"] = drain(client, links["u"])
        for item in items:
            if "@removed" in item:
                users.pop(item["id"], None)
            else:
                users[item["id"]] = item["displayName"]
        items, links["g"] = drain(client, links["g"])
        for item in items:
            if "@removed" in item:
                groups.pop(item["id"], None)
                continue
            members = groups.setdefault(item["id"], set())
            for m in item.get("members@delta", []):
                (members.discard if "@removed" in m else members.add)(m["id"])
        items, links["a"] = drain(client, links["a"])
        for item in items:
            if "@removed" in item:
                grants.pop(item["id"], None)
            else:
                grants[item["id"]] = item["principalId"]

        truth_users = {
            u["id"]: u["displayName"]
            for u in backend.list_objects("user", top=999, render=lambda o: o.data).items
        }
        assert users == truth_users
        truth_groups = {
            g: set(backend.member_ids(g))
            for g in backend.list_objects("group", top=999, render=lambda o: o.data["id"]).items
        }
        assert groups == truth_groups
        visible = {
            x["id"]: x["principalId"]
            for x in backend.list_assignments(resource_id=sp["id"], top=999).items
        }
        assert set(visible.items()) <= set(grants.items())
        # what the replica holds beyond the listing belongs to soft-deleted principals (kept for a restore)
        assert all(
            backend.get_deleted(grants[aid]) is not None for aid in set(grants) - set(visible)
        )
