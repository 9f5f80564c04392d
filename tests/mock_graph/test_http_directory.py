"""Deleted items: typed listing, get, restore, permanent delete, the 30-day purge by the app's
clock, and what happens to memberships and assignments on the way."""

from __future__ import annotations

from typing import Any

from mock_graph import GraphBackend
from tests.support.graph import EVENTUAL, Clock, GraphClient, user_body


def setup_user_with_relations(backend: GraphBackend) -> tuple[str, str, str, str]:
    user = backend.create_user(user_body("kim@contoso.onmicrosoft.com"))
    group = backend.create_group(
        {"displayName": "G", "mailEnabled": False, "mailNickname": "g", "securityEnabled": True}
    )
    backend.add_member(group["id"], user["id"])
    _app, sp = backend.create_enterprise_app("Miro")
    assignment = backend.assign_app_role(user["id"], sp["id"])
    return user["id"], group["id"], sp["id"], assignment["id"]


def test_soft_delete_lists_and_gets_with_type(client: GraphClient, backend: GraphBackend) -> None:
    uid, *_ = setup_user_with_relations(backend)
    client.delete(f"/v1.0/users/{uid}")
    for cast in ("graph.user", "microsoft.graph.user"):
        listed = client.get(f"/v1.0/directory/deletedItems/{cast}")
        assert listed.status_code == 200
        assert [(u["id"], u["@odata.type"]) for u in listed.json["value"]] == [
            (uid, "#microsoft.graph.user")
        ]
    one = client.get(
        f"/v1.0/directory/deletedItems/{uid}?$select=deletedDateTime,userPrincipalName"
    )
    assert one.status_code == 200 and one.json["deletedDateTime"] == "2026-01-05T09:00:00Z"
    assert (
        client.get("/v1.0/directory/deletedItems/graph.user/$count", headers=EVENTUAL).data == b"1"
    )
    assert client.get("/v1.0/directory/deletedItems").status_code == 400
    assert client.get("/v1.0/directory/deletedItems/graph.banana").status_code == 400
    assert (
        client.get("/v1.0/directory/deletedItems/77777777-7777-4777-8777-777777777777").status_code
        == 404
    )


def test_relations_hidden_while_deleted_and_back_on_restore(
    client: GraphClient, backend: GraphBackend
) -> None:
    uid, gid, spid, aid = setup_user_with_relations(backend)
    client.delete(f"/v1.0/users/{uid}")
    assert client.get(f"/v1.0/groups/{gid}/members").json["value"] == []
    assert client.get(f"/v1.0/servicePrincipals/{spid}/appRoleAssignedTo").json["value"] == []
    restored = client.post(f"/v1.0/directory/deletedItems/{uid}/restore")
    assert restored.status_code == 200 and restored.json["@odata.type"] == "#microsoft.graph.user"
    assert restored.json["id"] == uid
    assert [m["id"] for m in client.get(f"/v1.0/groups/{gid}/members").json["value"]] == [uid]
    assert [
        a["id"]
        for a in client.get(f"/v1.0/servicePrincipals/{spid}/appRoleAssignedTo").json["value"]
    ] == [aid]
    assert client.get(f"/v1.0/users/{uid}?$select=deletedDateTime").json["deletedDateTime"] is None


def test_restore_conflicting_upn_is_400(client: GraphClient, backend: GraphBackend) -> None:
    uid, *_ = setup_user_with_relations(backend)
    client.delete(f"/v1.0/users/{uid}")
    assert (
        client.post("/v1.0/users", json=user_body("kim@contoso.onmicrosoft.com")).status_code == 201
    )
    resp = client.post(f"/v1.0/directory/deletedItems/{uid}/restore")
    assert resp.status_code == 400 and "userPrincipalName" in resp.json["error"]["message"]
    assert backend.get_deleted(uid) is not None  # nothing changed


def test_permanent_delete_drops_relations(client: GraphClient, backend: GraphBackend) -> None:
    uid, gid, spid, aid = setup_user_with_relations(backend)
    client.delete(f"/v1.0/users/{uid}")
    assert client.delete(f"/v1.0/directory/deletedItems/{uid}").status_code == 204
    assert client.delete(f"/v1.0/directory/deletedItems/{uid}").status_code == 404
    assert client.post(f"/v1.0/directory/deletedItems/{uid}/restore").status_code == 404
    assert backend.get_assignment(aid) is None
    assert uid not in backend.dump()["members"][gid]
    assert spid


def test_purge_after_30_days_follows_the_clock(
    client: GraphClient, backend: GraphBackend, clock: Clock
) -> None:
    uid, _gid, _spid, aid = setup_user_with_relations(backend)
    client.delete(f"/v1.0/users/{uid}")
    clock.advance(days=29, hours=23)
    assert client.get(f"/v1.0/directory/deletedItems/{uid}").status_code == 200
    clock.advance(hours=1)
    assert client.get(f"/v1.0/directory/deletedItems/{uid}").status_code == 404  # purged lazily
    assert backend.get_assignment(aid) is None


def test_explicit_purge_expired(backend: GraphBackend, clock: Clock) -> None:
    uid, *_ = setup_user_with_relations(backend)
    backend.delete_user(uid)
    clock.advance(days=31)
    assert backend.purge_expired() == [uid]
    assert backend.purge_expired() == []


def test_directory_objects_get_and_get_by_ids(client: GraphClient, backend: GraphBackend) -> None:
    uid, gid, spid, _aid = setup_user_with_relations(backend)
    one = client.get(f"/v1.0/directoryObjects/{gid}")
    assert one.status_code == 200 and one.json["@odata.type"] == "#microsoft.graph.group"
    many = client.post(
        "/v1.0/directoryObjects/getByIds", json={"ids": [uid, gid, spid], "types": ["user"]}
    )
    assert many.status_code == 200 and [o["id"] for o in many.json["value"]] == [uid]
    assert client.post("/v1.0/directoryObjects/getByIds", json={"ids": "x"}).status_code == 400


def _ids(resp: Any) -> list[str]:
    return [x["id"] for x in resp.json["value"]]
