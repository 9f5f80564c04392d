"""Delta queries: users, groups (members@delta) and the fake-only appRoleAssignedTo feed."""

from __future__ import annotations

from typing import Any

from mock_graph import GraphBackend
from tests.support.graph import GraphClient, user_body


def full_round(client: GraphClient, url: str) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        resp = client.get(url)
        assert resp.status_code == 200, resp.json
        body = resp.json
        items += body["value"]
        assert not ("@odata.nextLink" in body and "@odata.deltaLink" in body)
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]


def test_users_delta_both_spellings_initial_then_changes(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    backend.settings.delta_page_size = 10
    total = len(seeded["users"]) + len(seeded["tricky"])
    for path in ("/v1.0/users/delta", "/v1.0/users/delta()"):
        items, link = full_round(client, path + "?$select=displayName,accountEnabled")
        assert len(items) == total and len({i["id"] for i in items}) == total
        assert link.startswith(f"http://localhost{path}?$deltatoken=")
        assert set(items[0]) == {"id", "displayName", "accountEnabled"}
    # nothing changed: empty round
    again, link = full_round(client, link)
    assert again == []
    u0, u1 = seeded["users"][0]["id"], seeded["users"][1]["id"]
    backend.update_user(u0, {"accountEnabled": False})
    backend.delete_user(u1)
    created = backend.create_user(user_body("new@contoso.onmicrosoft.com"))
    changes, link = full_round(client, link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[u0] == {
        "id": u0,
        "displayName": seeded["users"][0]["displayName"],
        "accountEnabled": False,
    }
    assert by_id[u1] == {"id": u1, "@removed": {"reason": "changed"}}
    assert by_id[created["id"]]["displayName"] == "New"
    reports = {r for r, m in backend.dump()["managers"].items() if m == u1}
    backend.permanently_delete(u1)
    gone, _ = full_round(client, link)
    assert {"id": u1, "@removed": {"reason": "deleted"}} in gone
    # users who reported to the purged user lost their manager: they changed too
    assert {g["id"] for g in gone} - {u1} == reports


def test_delta_cost_is_changes_not_tenant(client: GraphClient, backend: GraphBackend) -> None:
    backend.seed(11, users=3000, groups=0)
    _items, link = full_round(client, "/v1.0/users/delta?$select=id")
    one = backend.list_objects("user", top=1, render=lambda o: o.data).items[0]
    backend.update_user(one["id"], {"jobTitle": "Changed"})
    changes, _ = full_round(client, link)
    assert [c["id"] for c in changes] == [one["id"]]


def test_restored_user_reappears(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    _items, link = full_round(client, "/v1.0/users/delta")
    uid = seeded["users"][2]["id"]
    backend.delete_user(uid)
    _c, link = full_round(client, link)
    backend.restore(uid)
    changes, _ = full_round(client, link)
    assert [c["id"] for c in changes] == [uid] and "@removed" not in changes[0]


def test_deltatoken_latest_and_bad_tokens(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    latest = client.get("/v1.0/users/delta?$deltatoken=latest")
    assert (
        latest.status_code == 200
        and latest.json["value"] == []
        and "@odata.deltaLink" in latest.json
    )
    backend.update_user(seeded["users"][0]["id"], {"jobTitle": "x"})
    changes, _ = full_round(client, latest.json["@odata.deltaLink"])
    assert [c["id"] for c in changes] == [seeded["users"][0]["id"]]
    bad = client.get("/v1.0/users/delta?$deltatoken=garbage!!")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "BadRequest"
    groups_link = client.get("/v1.0/groups/delta?$deltatoken=latest").json["@odata.deltaLink"]
    token = groups_link.split("$deltatoken=")[1]
    crossed = client.get(f"/v1.0/users/delta?$deltatoken={token}")
    assert crossed.status_code == 400
    assert client.get("/v1.0/users/delta?$top=5").status_code == 400


def test_expired_token_when_lifetime_enabled(
    client: GraphClient, backend: GraphBackend, clock: Any
) -> None:
    backend.settings.delta_token_max_age_days = 7
    link = client.get("/v1.0/users/delta").json["@odata.deltaLink"]
    clock.advance(days=8)
    resp = client.get(link)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "syncStateNotFound"


def test_groups_delta_members(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    items, link = full_round(client, "/v1.0/groups/delta")
    group = seeded["groups"][0]
    first = next(i for i in items if i["id"] == group["id"])
    assert len(first["members@delta"]) == group["members"]
    member = first["members@delta"][0]["id"]
    outsider = next(
        u["id"] for u in seeded["users"] if u["id"] not in {m["id"] for m in first["members@delta"]}
    )
    backend.remove_member(group["id"], member)
    backend.add_member(group["id"], outsider)
    changes, link = full_round(client, link)
    assert [c["id"] for c in changes] == [group["id"]]
    deltas = {m["id"]: m for m in changes[0]["members@delta"]}
    assert deltas[member]["@removed"] == {"reason": "deleted"}
    assert deltas[outsider] == {"@odata.type": "#microsoft.graph.user", "id": outsider}
    # soft-deleting a member shows as a member removal; restoring brings it back
    backend.delete_user(outsider)
    changes, link = full_round(client, link)
    assert changes[0]["members@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": outsider, "@removed": {"reason": "deleted"}}
    ]
    backend.restore(outsider)
    changes, link = full_round(client, link)
    assert changes[0]["members@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": outsider}]
    with_select = client.get("/v1.0/groups/delta?$select=displayName").json["value"][0]
    assert "members@delta" not in with_select


def test_assignment_feed_extension(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    backend.settings.delta_page_size = 3
    _app, sp = backend.create_enterprise_app("Miro")
    uids = [u["id"] for u in seeded["users"][:5]]
    assignments = [backend.assign_app_role(uid, sp["id"]) for uid in uids]
    for path in ("appRoleAssignedTo/delta", "appRoleAssignedTo/delta()"):
        items, link = full_round(client, f"/v1.0/servicePrincipals/{sp['id']}/{path}")
        assert sorted(i["id"] for i in items) == sorted(a["id"] for a in assignments)
    added = backend.assign_app_role(seeded["users"][6]["id"], sp["id"])
    backend.remove_app_role_assignment(assignments[0]["id"])
    changes, link = full_round(client, link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[added["id"]]["principalId"] == seeded["users"][6]["id"]
    assert by_id[assignments[0]["id"]] == {
        "id": assignments[0]["id"],
        "principalId": uids[0],
        "@removed": {"reason": "deleted"},
    }
    # soft delete: nothing in the feed (the engine learns it from users delta); restore re-adds
    backend.delete_user(uids[1])
    quiet, link = full_round(client, link)
    assert quiet == []
    backend.restore(uids[1])
    back, link = full_round(client, link)
    assert [c["id"] for c in back] == [assignments[1]["id"]] and "@removed" not in back[0]
    # purge after a soft delete: the assignment is removed for good
    backend.delete_user(uids[2])
    backend.permanently_delete(uids[2])
    gone, _ = full_round(client, link)
    assert gone == [
        {"id": assignments[2]["id"], "principalId": uids[2], "@removed": {"reason": "deleted"}}
    ]
    assert (
        client.get(
            "/v1.0/servicePrincipals/88888888-8888-4888-8888-888888888888/appRoleAssignedTo/delta"
        ).status_code
        == 404
    )


def test_users_delta_manager_select(client: GraphClient, backend: GraphBackend) -> None:
    boss = backend.create_user(user_body("boss@contoso.onmicrosoft.com"))
    other = backend.create_user(user_body("other@contoso.onmicrosoft.com"))
    worker = backend.create_user(user_body("worker@contoso.onmicrosoft.com"))
    backend.set_manager(worker["id"], boss["id"])
    items, link = full_round(client, "/v1.0/users/delta?$select=displayName,manager")
    by_id = {i["id"]: i for i in items}
    assert by_id[worker["id"]]["manager@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": boss["id"]}
    ]
    assert by_id[boss["id"]]["manager@delta"] == []
    backend.set_manager(worker["id"], other["id"])
    changes, _ = full_round(client, link)
    assert changes == [
        {
            "id": worker["id"],
            "displayName": "Worker",
            "manager@delta": [
                {"@odata.type": "#microsoft.graph.user", "id": other["id"]},
                {
                    "@odata.type": "#microsoft.graph.user",
                    "id": boss["id"],
                    "@removed": {"reason": "deleted"},
                },
            ],
        }
    ]


def test_initial_assignment_round_survives_removals_between_pages(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    backend.settings.delta_page_size = 4
    _app, sp = backend.create_enterprise_app("Miro")
    assignments = [backend.assign_app_role(u["id"], sp["id"]) for u in seeded["users"][:12]]
    first = client.get(f"/v1.0/servicePrincipals/{sp['id'].upper()}/appRoleAssignedTo/delta").json
    seen = [a["id"] for a in first["value"]]
    for a in first["value"]:  # remove what was already delivered: later pages must not skip any
        backend.remove_app_role_assignment(a["id"])
    rest, link = full_round(client, first["@odata.nextLink"])
    seen += [a["id"] for a in rest]
    assert sorted(seen) == sorted(a["id"] for a in assignments)
    changes, _ = full_round(client, link)
    assert sorted(c["id"] for c in changes) == sorted(
        first_item["id"] for first_item in first["value"]
    )
    assert all(c["@removed"] == {"reason": "deleted"} for c in changes)


def test_delta_filter_by_ids(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    a, b, c = (u["id"] for u in seeded["users"][:3])
    items, link = full_round(
        client, f"/v1.0/users/delta?$filter=id eq '{a}' or id eq '{b}'&$select=jobTitle"
    )
    assert sorted(i["id"] for i in items) == sorted([a, b])
    for uid in (a, c):
        backend.update_user(uid, {"jobTitle": "Changed"})
    changes, _ = full_round(client, link)
    assert changes == [{"id": a, "jobTitle": "Changed"}]
    bad = client.get("/v1.0/users/delta?$filter=displayName eq 'x'")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "Request_UnsupportedQuery"
