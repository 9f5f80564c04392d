"""Plain-HTTP tests of /v1.0/groups: CRUD, members by $ref, casts, $count, transitive members."""

from __future__ import annotations

from typing import Any

from mock_graph import GraphBackend
from tests.support.graph import EVENTUAL, GraphClient

SECURITY = {
    "displayName": "Design",
    "mailEnabled": False,
    "mailNickname": "design",
    "securityEnabled": True,
}


def new_group(client: GraphClient, **extra: Any) -> dict[str, Any]:
    resp = client.post("/v1.0/groups", json={**SECURITY, **extra})
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


def test_create_get_patch_delete(client: GraphClient) -> None:
    group = new_group(client)
    assert group["securityEnabled"] is True and group["groupTypes"] == [] and group["mail"] is None
    got = client.get(f"/v1.0/groups/{group['id']}")
    assert got.status_code == 200 and got.json["displayName"] == "Design"
    assert (
        client.patch(f"/v1.0/groups/{group['id']}", json={"description": "Designers"}).status_code
        == 204
    )
    assert (
        client.get(f"/v1.0/groups/{group['id']}?$select=description").json["description"]
        == "Designers"
    )
    assert client.delete(f"/v1.0/groups/{group['id']}").status_code == 204
    assert client.get(f"/v1.0/groups/{group['id']}").status_code == 404


def test_security_group_delete_is_permanent_m365_is_soft(
    client: GraphClient, backend: GraphBackend
) -> None:
    sec = new_group(client)
    m365 = new_group(
        client, displayName="Team", mailNickname="team", mailEnabled=True, groupTypes=["Unified"]
    )
    assert m365["mail"] == "team@contoso.onmicrosoft.com"
    client.delete(f"/v1.0/groups/{sec['id']}")
    client.delete(f"/v1.0/groups/{m365['id']}")
    assert backend.get_deleted(sec["id"]) is None
    assert backend.get_deleted(m365["id"]) is not None


def test_create_validation(client: GraphClient) -> None:
    for missing in ("displayName", "mailEnabled", "mailNickname", "securityEnabled"):
        body = dict(SECURITY)
        del body[missing]
        resp = client.post("/v1.0/groups", json=body)
        assert resp.status_code == 400 and missing in resp.json["error"]["message"], missing
    # The group page's set: ASCII only, none of @ () \ [] " ; : <> , and space; no longer the dot
    # (https://learn.microsoft.com/en-us/graph/api/resources/group).
    for bad in ("has space", *'@()\\[]";:<>,', "caf\u00e9", "x" * 65):
        nick = bad if len(bad) > 1 else f"a{bad}b"
        bad_nick = client.post("/v1.0/groups", json={**SECURITY, "mailNickname": nick})
        assert bad_nick.status_code == 400, nick
    dotted = client.post("/v1.0/groups", json={**SECURITY, "mailNickname": "sales.emea"})
    assert dotted.status_code == 201, dotted.json
    mail_security = client.post("/v1.0/groups", json={**SECURITY, "mailEnabled": True})
    assert mail_security.status_code == 400


def test_members_ref_add_list_remove(client: GraphClient, seeded: dict[str, Any]) -> None:
    group = new_group(client)
    uids = [u["id"] for u in seeded["users"][:3]]
    for uid in uids:
        resp = client.post(
            f"/v1.0/groups/{group['id']}/members/$ref",
            json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{uid}"},
        )
        assert resp.status_code == 204
    again = client.post(
        f"/v1.0/groups/{group['id']}/members/$ref",
        json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{uids[0]}"},
    )
    assert again.status_code == 400
    assert (
        again.json["error"]["message"]
        == "One or more added object references already exist for the following modified properties: 'members'."
    )
    members = client.get(f"/v1.0/groups/{group['id']}/members")
    assert [m["id"] for m in members.json["value"]] == uids
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in members.json["value"])
    assert client.delete(f"/v1.0/groups/{group['id']}/members/{uids[0]}/$ref").status_code == 204
    assert client.delete(f"/v1.0/groups/{group['id']}/members/{uids[0]}/$ref").status_code == 404
    count = client.get(f"/v1.0/groups/{group['id']}/members/$count", headers=EVENTUAL)
    assert count.data == b"2"


def test_member_ref_errors(client: GraphClient) -> None:
    group = new_group(client)
    missing = client.post(
        f"/v1.0/groups/{group['id']}/members/$ref",
        json={
            "@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/22222222-2222-4222-8222-222222222222"
        },
    )
    assert (
        missing.status_code == 404 and missing.json["error"]["code"] == "Request_ResourceNotFound"
    )
    bad = client.post(f"/v1.0/groups/{group['id']}/members/$ref", json={"@odata.id": "nonsense"})
    assert bad.status_code == 400
    no_group = client.post(
        "/v1.0/groups/33333333-3333-4333-8333-333333333333/members/$ref", json={"@odata.id": "x"}
    )
    assert no_group.status_code == 404


def test_members_bind_on_create_and_patch(client: GraphClient, seeded: dict[str, Any]) -> None:
    uids = [u["id"] for u in seeded["users"][:3]]
    group = new_group(
        client, **{"members@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{uids[0]}"]}
    )
    resp = client.patch(
        f"/v1.0/groups/{group['id']}",
        json={
            "members@odata.bind": [
                f"https://graph.microsoft.com/v1.0/directoryObjects/{u}" for u in uids[1:]
            ]
        },
    )
    assert resp.status_code == 204
    members = client.get(f"/v1.0/groups/{group['id']}/members?$select=id").json["value"]
    assert [m["id"] for m in members] == uids


def test_cast_segments_both_spellings_and_nested(
    client: GraphClient, seeded: dict[str, Any], backend: GraphBackend
) -> None:
    outer = new_group(client)
    inner = new_group(client, displayName="Inner", mailNickname="inner")
    backend.add_member(outer["id"], seeded["users"][0]["id"])
    backend.add_member(outer["id"], inner["id"])
    backend.add_member(inner["id"], seeded["users"][1]["id"])
    for cast in ("graph.user", "microsoft.graph.user"):
        users = client.get(f"/v1.0/groups/{outer['id']}/members/{cast}")
        assert [u["id"] for u in users.json["value"]] == [seeded["users"][0]["id"]]
    groups = client.get(f"/v1.0/groups/{outer['id']}/members/graph.group")
    assert [g["id"] for g in groups.json["value"]] == [inner["id"]]
    transitive = client.get(f"/v1.0/groups/{outer['id']}/transitiveMembers")
    assert {m["id"] for m in transitive.json["value"]} == {
        seeded["users"][0]["id"],
        inner["id"],
        seeded["users"][1]["id"],
    }
    tr_users = client.get(f"/v1.0/groups/{outer['id']}/transitiveMembers/microsoft.graph.user")
    assert {m["id"] for m in tr_users.json["value"]} == {
        seeded["users"][0]["id"],
        seeded["users"][1]["id"],
    }
    bad_cast = client.get(f"/v1.0/groups/{outer['id']}/members/graph.banana")
    assert bad_cast.status_code == 400
    cast_count = client.get(
        f"/v1.0/groups/{outer['id']}/members/graph.user/$count", headers=EVENTUAL
    )
    assert cast_count.data == b"1"
    member_of = client.get(f"/v1.0/groups/{inner['id']}/memberOf")
    assert [g["id"] for g in member_of.json["value"]] == [outer["id"]]


def test_group_list_filters_and_expand(client: GraphClient, seeded: dict[str, Any]) -> None:
    new_group(client, displayName="Zeta", mailNickname="zeta")
    names = client.get("/v1.0/groups?$orderby=displayName").json["value"]
    assert [g["displayName"] for g in names] == sorted(g["displayName"] for g in names)
    starts = client.get("/v1.0/groups?$filter=startsWith(displayName,'Ze')")
    assert [g["displayName"] for g in starts.json["value"]] == ["Zeta"]
    unified = client.get("/v1.0/groups?$filter=groupTypes/any(c:c eq 'Unified')")
    assert unified.json["value"] == []
    expanded = client.get(f"/v1.0/groups/{seeded['groups'][0]['id']}?$expand=members")
    assert len(expanded.json["members"]) == min(20, seeded["groups"][0]["members"])
    count = client.get("/v1.0/groups/$count", headers=EVENTUAL)
    assert count.data == b"4"


def test_group_app_role_assignments(client: GraphClient, backend: GraphBackend) -> None:
    group = new_group(client)
    _app, sp = backend.create_enterprise_app("Miro")
    resp = client.post(
        f"/v1.0/groups/{group['id']}/appRoleAssignments",
        json={
            "principalId": group["id"],
            "resourceId": sp["id"],
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert resp.status_code == 201 and resp.json["principalType"] == "Group"
    listed = client.get(f"/v1.0/groups/{group['id']}/appRoleAssignments")
    assert [a["id"] for a in listed.json["value"]] == [resp.json["id"]]
    assert (
        client.delete(
            f"/v1.0/groups/{group['id']}/appRoleAssignments/{resp.json['id']}"
        ).status_code
        == 204
    )
    assert client.get(f"/v1.0/groups/{group['id']}/appRoleAssignments").json["value"] == []


def test_malformed_object_id_is_400_unknown_guid_404(client: GraphClient) -> None:
    bad = client.get("/v1.0/groups/not-a-guid")
    assert (
        bad.status_code == 400
        and bad.json["error"]["message"] == "Invalid object identifier 'not-a-guid'."
    )
    assert client.get("/v1.0/groups/12345678-1234-4234-8234-123456789abc").status_code == 404
    assert client.get("/v1.0/directoryObjects/nope").status_code == 400
    assert client.post("/v1.0/directory/deletedItems/nope/restore").status_code == 400
    # a user key that is not a GUID is a userPrincipalName: not found, 404
    assert client.get("/v1.0/users/not-a-guid").status_code == 404
