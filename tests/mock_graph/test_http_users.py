"""Plain-HTTP tests of /v1.0/users and its relationships: every route and status."""

from __future__ import annotations

from typing import Any

from mock_graph import GraphBackend
from tests.support.graph import EVENTUAL, GraphClient, user_body

DOMAIN = "contoso.onmicrosoft.com"


def make_user(client: GraphClient, local: str, **extra: Any) -> dict[str, Any]:
    resp = client.post("/v1.0/users", json=user_body(f"{local}@{DOMAIN}", **extra))
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


def test_create_returns_201_with_default_properties_and_no_password(client: GraphClient) -> None:
    resp = client.post("/v1.0/users", json=user_body(f"ada@{DOMAIN}", department="R&D"))
    assert resp.status_code == 201
    body = resp.json
    assert body["@odata.context"].endswith("/v1.0/$metadata#users/$entity")
    assert body["userPrincipalName"] == f"ada@{DOMAIN}"
    assert body["jobTitle"] is None and body["businessPhones"] == []
    assert "passwordProfile" not in body and "department" not in body  # not a default property
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["request-id"]


def test_get_by_id_and_by_upn_case_insensitive(client: GraphClient) -> None:
    user = make_user(client, "grace")
    by_id = client.get(f"/v1.0/users/{user['id']}")
    by_upn = client.get(f"/v1.0/users/GRACE@{DOMAIN.upper()}")
    assert by_id.status_code == by_upn.status_code == 200
    assert by_id.json["id"] == by_upn.json["id"] == user["id"]


def test_get_with_select_returns_only_selected_plus_id(client: GraphClient) -> None:
    user = make_user(client, "linus", department="Kernel", employeeId="42")
    resp = client.get(
        f"/v1.0/users/{user['id']}?$select=department,employeeId,accountEnabled,createdDateTime"
    )
    assert resp.status_code == 200
    body = {k: v for k, v in resp.json.items() if not k.startswith("@")}
    assert body == {
        "id": user["id"],
        "department": "Kernel",
        "employeeId": "42",
        "accountEnabled": True,
        "createdDateTime": "2026-01-05T09:00:00Z",
    }


def test_unknown_user_is_404_resource_not_found(client: GraphClient) -> None:
    resp = client.get("/v1.0/users/7c7e5a6a-0000-4000-8000-000000000000")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "Request_ResourceNotFound"
    assert set(resp.json["error"]["innerError"]) == {"date", "request-id", "client-request-id"}


def test_patch_is_204_and_changes(client: GraphClient) -> None:
    user = make_user(client, "alan")
    resp = client.patch(
        f"/v1.0/users/{user['id']}", json={"jobTitle": "Cryptanalyst", "accountEnabled": False}
    )
    assert resp.status_code == 204 and resp.data == b""
    got = client.get(f"/v1.0/users/{user['id']}?$select=jobTitle,accountEnabled").json
    assert got["jobTitle"] == "Cryptanalyst" and got["accountEnabled"] is False


def test_patch_by_upn_and_rename(client: GraphClient, backend: GraphBackend) -> None:
    make_user(client, "old")
    resp = client.patch(f"/v1.0/users/old@{DOMAIN}", json={"userPrincipalName": f"new@{DOMAIN}"})
    assert resp.status_code == 204
    assert (
        backend.user_by_upn(f"new@{DOMAIN}") is not None
        and backend.user_by_upn(f"old@{DOMAIN}") is None
    )


def test_duplicate_upn_is_400_and_case_insensitive(client: GraphClient) -> None:
    make_user(client, "dup")
    resp = client.post("/v1.0/users", json=user_body(f"DUP@{DOMAIN}"))
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "Request_BadRequest"
    assert (
        resp.json["error"]["message"]
        == "Another object with the same value for property userPrincipalName already exists."
    )


def test_missing_required_property_is_400(client: GraphClient) -> None:
    for prop in (
        "accountEnabled",
        "displayName",
        "mailNickname",
        "passwordProfile",
        "userPrincipalName",
    ):
        body = user_body(f"x@{DOMAIN}")
        del body[prop]
        resp = client.post("/v1.0/users", json=body)
        assert resp.status_code == 400, prop
        assert (
            resp.json["error"]["message"]
            == f"Invalid value specified for property '{prop}' of resource 'User'."
        )


def test_unknown_property_and_wrong_type_are_400(client: GraphClient) -> None:
    resp = client.post("/v1.0/users", json=user_body(f"x@{DOMAIN}", favouriteColour="blue"))
    assert resp.status_code == 400 and resp.json["error"]["code"] == "BadRequest"
    assert "favouriteColour" in resp.json["error"]["message"]
    resp = client.post("/v1.0/users", json=user_body(f"x@{DOMAIN}", accountEnabled="yes"))
    assert resp.status_code == 400 and "accountEnabled" in resp.json["error"]["message"]


def test_bad_json_is_400_envelope(client: GraphClient) -> None:
    resp = client.post(
        "/v1.0/users", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json["error"]["code"] == "BadRequest"


def test_delete_is_204_then_404(client: GraphClient) -> None:
    user = make_user(client, "bye")
    assert client.delete(f"/v1.0/users/{user['id']}").status_code == 204
    assert client.get(f"/v1.0/users/{user['id']}").status_code == 404
    assert client.delete(f"/v1.0/users/{user['id']}").status_code == 404


def test_manager_put_get_ref_delete(client: GraphClient) -> None:
    boss = make_user(client, "boss")
    worker = make_user(client, "worker")
    resp = client.put(
        f"/v1.0/users/{worker['id']}/manager/$ref",
        json={"@odata.id": f"https://graph.microsoft.com/v1.0/users/{boss['id']}"},
    )
    assert resp.status_code == 204
    got = client.get(f"/v1.0/users/{worker['id']}/manager")
    assert (
        got.status_code == 200
        and got.json["id"] == boss["id"]
        and got.json["@odata.type"] == "#microsoft.graph.user"
    )
    ref = client.get(f"/v1.0/users/{worker['id']}/manager/$ref")
    assert ref.json["@odata.id"].endswith(f"/directoryObjects/{boss['id']}")
    expanded = client.get(f"/v1.0/users/{worker['id']}?$expand=manager")
    assert expanded.json["manager"]["id"] == boss["id"]
    reports = client.get(f"/v1.0/users/{boss['id']}/directReports")
    assert [r["id"] for r in reports.json["value"]] == [worker["id"]]
    assert client.delete(f"/v1.0/users/{worker['id']}/manager/$ref").status_code == 204
    assert client.get(f"/v1.0/users/{worker['id']}/manager").status_code == 404
    assert client.delete(f"/v1.0/users/{worker['id']}/manager/$ref").status_code == 404


def test_manager_ref_errors(client: GraphClient) -> None:
    worker = make_user(client, "worker")
    assert client.put(f"/v1.0/users/{worker['id']}/manager/$ref", json={}).status_code == 400
    bad = client.put(
        f"/v1.0/users/{worker['id']}/manager/$ref",
        json={"@odata.id": "https://graph.microsoft.com/v1.0/users/not-a-guid"},
    )
    assert bad.status_code == 400 and "Invalid object identifier" in bad.json["error"]["message"]
    missing = client.put(
        f"/v1.0/users/{worker['id']}/manager/$ref",
        json={
            "@odata.id": "https://graph.microsoft.com/v1.0/users/11111111-1111-4111-8111-111111111111"
        },
    )
    assert missing.status_code == 404


def test_member_of_and_transitive_member_of(client: GraphClient, backend: GraphBackend) -> None:
    user = make_user(client, "member")
    inner = backend.create_group(
        {
            "displayName": "Inner",
            "mailEnabled": False,
            "mailNickname": "inner",
            "securityEnabled": True,
        }
    )
    outer = backend.create_group(
        {
            "displayName": "Outer",
            "mailEnabled": False,
            "mailNickname": "outer",
            "securityEnabled": True,
        }
    )
    backend.add_member(inner["id"], user["id"])
    backend.add_member(outer["id"], inner["id"])
    direct = client.get(f"/v1.0/users/{user['id']}/memberOf")
    assert direct.status_code == 200
    assert [(g["@odata.type"], g["displayName"]) for g in direct.json["value"]] == [
        ("#microsoft.graph.group", "Inner")
    ]
    transitive = client.get(f"/v1.0/users/{user['id']}/transitiveMemberOf/microsoft.graph.group")
    assert {g["displayName"] for g in transitive.json["value"]} == {"Inner", "Outer"}
    count = client.get(f"/v1.0/users/{user['id']}/memberOf/$count", headers=EVENTUAL)
    assert (
        count.status_code == 200
        and count.data == b"1"
        and count.headers["Content-Type"].startswith("text/plain")
    )


def test_user_app_role_assignments_include_group_grants(
    client: GraphClient, backend: GraphBackend
) -> None:
    user = make_user(client, "assignee")
    _app, sp = backend.create_enterprise_app("Miro")
    group = backend.create_group(
        {
            "displayName": "Miro Users",
            "mailEnabled": False,
            "mailNickname": "miro",
            "securityEnabled": True,
        }
    )
    backend.add_member(group["id"], user["id"])
    via_group = backend.assign_app_role(group["id"], sp["id"])
    resp = client.post(
        f"/v1.0/users/{user['id']}/appRoleAssignments",
        json={
            "principalId": user["id"],
            "resourceId": sp["id"],
            "appRoleId": sp["appRoles"][0]["id"],
        },
    )
    assert resp.status_code == 201 and resp.json["principalType"] == "User"
    listed = client.get(f"/v1.0/users/{user['id']}/appRoleAssignments")
    assert {a["id"] for a in listed.json["value"]} == {resp.json["id"], via_group["id"]}
    filtered = client.get(
        f"/v1.0/users/{user['id']}/appRoleAssignments?$filter=resourceId eq {sp['id']}"
    )
    assert len(filtered.json["value"]) == 2
    one = client.get(f"/v1.0/users/{user['id']}/appRoleAssignments/{resp.json['id']}")
    assert one.status_code == 200 and one.json["resourceDisplayName"] == "Miro"
    assert (
        client.delete(f"/v1.0/users/{user['id']}/appRoleAssignments/{resp.json['id']}").status_code
        == 204
    )
    assert (
        client.get(f"/v1.0/users/{user['id']}/appRoleAssignments/{resp.json['id']}").status_code
        == 404
    )


def test_users_count_segment_needs_consistency_level(
    client: GraphClient, seeded: dict[str, Any]
) -> None:
    without = client.get("/v1.0/users/$count")
    assert (
        without.status_code == 400
        and without.json["error"]["message"] == "$count is not currently supported."
    )
    with_header = client.get("/v1.0/users/$count", headers=EVENTUAL)
    assert with_header.status_code == 200 and with_header.data.decode() == str(
        len(seeded["users"]) + len(seeded["tricky"])
    )


def test_paging_covers_everything_once(client: GraphClient, seeded: dict[str, Any]) -> None:
    seen: list[str] = []
    url: str | None = "/v1.0/users?$top=7&$select=id"
    pages = 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        seen += [u["id"] for u in resp.json["value"]]
        url = resp.json.get("@odata.nextLink")
        if url:
            assert url.startswith("http://localhost/v1.0/users?$skiptoken=")
        pages += 1
    expected = {u["id"] for u in seeded["users"]} | {u["id"] for u in seeded["tricky"]}
    assert len(seen) == len(set(seen)) == len(expected) and set(seen) == expected
    assert pages == -(-len(expected) // 7)


def test_top_out_of_range_and_skip(client: GraphClient) -> None:
    resp = client.get("/v1.0/users?$top=1000")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "Request_UnsupportedQuery"
    assert (
        resp.json["error"]["message"]
        == "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    )
    assert client.get("/v1.0/users?$skip=2").status_code == 400


def test_a_mail_nickname_with_a_dot_is_accepted_and_its_limits_hold(client: GraphClient) -> None:
    # The user resource documents only "maximum length is 64 characters"; first.last aliases
    # are the common form (https://learn.microsoft.com/en-us/graph/api/resources/user).
    user = make_user(client, "first.last", mailNickname="first.last")
    got = client.get(f"/v1.0/users/{user['id']}?$select=mailNickname")
    assert got.json["mailNickname"] == "first.last"
    for bad in ("x" * 65, "has space", "a@b", ""):
        resp = client.post("/v1.0/users", json=user_body(f"n{len(bad)}@{DOMAIN}", mailNickname=bad))
        assert resp.status_code == 400, bad
        assert resp.json["error"]["message"] == (
            "Invalid value specified for property 'mailNickname' of resource 'User'."
        )


def test_display_name_cannot_be_cleared(client: GraphClient) -> None:
    """displayName is required on a user (https://learn.microsoft.com/en-us/graph/api/user-update);
    an update that clears it is refused and changes nothing."""
    user = make_user(client, "dana")
    for cleared in (None, ""):
        resp = client.patch(f"/v1.0/users/{user['id']}", json={"displayName": cleared})
        assert resp.status_code == 400, cleared
        assert "displayName" in resp.json["error"]["message"]
    assert client.get(f"/v1.0/users/{user['id']}").json["displayName"] == user["displayName"]
