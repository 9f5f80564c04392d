"""The remaining routes and statuses: alternate keys for PATCH/DELETE, mismatched bodies, casts
on memberOf, transitive counts, and the envelope for unexpected errors and text faults."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from mock_graph import create_app
from tests.support.graph import AUTH, EVENTUAL, GraphClient


def test_alternate_keys_for_patch_and_delete(client: GraphClient) -> None:
    app = client.post("/v1.0/applications", json={"displayName": "One"}).json
    sp = client.post("/v1.0/servicePrincipals", json={"appId": app["appId"]}).json
    assert (
        client.patch(
            f"/v1.0/applications(appId='{app['appId']}')", json={"description": "d"}
        ).status_code
        == 204
    )
    assert client.get(f"/v1.0/applications/{app['id']}").json["description"] == "d"
    assert (
        client.patch(f"/v1.0/servicePrincipals/{sp['id']}", json={"notes": "n"}).status_code == 204
    )
    assert client.get(f"/v1.0/servicePrincipals/{sp['id']}").json["notes"] == "n"
    assert (
        client.patch(f"/v1.0/servicePrincipals/{sp['id']}", json={"appId": "x"}).status_code == 400
    )
    assert client.delete(f"/v1.0/servicePrincipals(appId='{app['appId']}')").status_code == 204
    assert client.delete(f"/v1.0/applications/{app['id']}").status_code == 204
    assert client.get(f"/v1.0/applications/{app['id']}").status_code == 404
    listed = client.get("/v1.0/directory/deletedItems/graph.servicePrincipal").json["value"]
    assert [x["id"] for x in listed] == [sp["id"]]


def test_assignment_body_must_match_url(
    client: GraphClient, seeded: dict[str, Any], backend: Any
) -> None:
    _a1, sp1 = backend.create_enterprise_app("A")
    _a2, sp2 = backend.create_enterprise_app("B")
    uid = seeded["users"][0]["id"]
    wrong = client.post(
        f"/v1.0/servicePrincipals/{sp1['id']}/appRoleAssignedTo",
        json={
            "principalId": uid,
            "resourceId": sp2["id"],
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert wrong.status_code == 400
    other_user = seeded["users"][1]["id"]
    mismatch = client.post(
        f"/v1.0/users/{uid}/appRoleAssignments",
        json={
            "principalId": other_user,
            "resourceId": sp1["id"],
            "appRoleId": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert mismatch.status_code == 400
    a = backend.assign_app_role(uid, sp1["id"])
    assert (
        client.get(f"/v1.0/servicePrincipals/{sp2['id']}/appRoleAssignedTo/{a['id']}").status_code
        == 404
    )
    assert (
        client.delete(
            f"/v1.0/servicePrincipals/{sp2['id']}/appRoleAssignedTo/{a['id']}"
        ).status_code
        == 404
    )
    assert backend.get_assignment(a["id"]) is not None


def test_member_of_casts_and_transitive_counts(
    client: GraphClient, seeded: dict[str, Any], backend: Any
) -> None:
    uid = seeded["users"][0]["id"]
    outer = backend.create_group(
        {"displayName": "Outer", "mailEnabled": False, "mailNickname": "o", "securityEnabled": True}
    )
    inner = backend.create_group(
        {"displayName": "Inner", "mailEnabled": False, "mailNickname": "i", "securityEnabled": True}
    )
    backend.add_member(outer["id"], inner["id"])
    backend.add_member(inner["id"], uid)
    assert client.get(f"/v1.0/users/{uid}/memberOf/graph.banana").status_code == 400
    transitive = client.get(f"/v1.0/users/{uid}/transitiveMemberOf")
    assert {g["id"] for g in transitive.json["value"]} >= {outer["id"], inner["id"]}
    assert (
        client.get(f"/v1.0/groups/{outer['id']}/transitiveMembers/$count", headers=EVENTUAL).data
        == b"2"
    )
    assert (
        client.get(
            f"/v1.0/groups/{outer['id']}/members/graph.banana/$count", headers=EVENTUAL
        ).status_code
        == 400
    )
    missing = client.post(f"/v1.0/groups/{outer['id']}/members/$ref", json={"id": uid})
    assert missing.status_code == 400 and "@odata.id" in missing.json["error"]["message"]


def test_unexpected_errors_and_text_faults_keep_the_envelope_rules() -> None:
    app = create_app()
    bp = Blueprint("boom", __name__)

    @bp.get("/v1.0/boom")
    def boom() -> Any:
        raise RuntimeError("bug in a route")

    app.register_blueprint(bp)
    raw = app.test_client()
    resp = raw.get("/v1.0/boom", headers=AUTH)
    assert resp.status_code == 500 and resp.json["error"]["code"] == "generalException"
    assert "Traceback" not in resp.get_data(as_text=True)
    raw.post(
        "/_fake/faults",
        json={"path": "^/v1.0/users$", "status": 502, "body": "upstream died", "times": 1},
    )
    text = raw.get("/v1.0/users", headers=AUTH)
    assert text.status_code == 502 and text.get_data(as_text=True) == "upstream died"
    raw.post(
        "/_fake/faults",
        json={"path": "^/v1.0/groups$", "status": 503, "retry_after": 7, "times": 1},
    )
    default = raw.get("/v1.0/groups", headers=AUTH)
    assert default.status_code == 503 and default.headers["Retry-After"] == "7"
    assert default.json["error"]["code"] == "serviceNotAvailable"


def test_organization(client: GraphClient, backend: Any) -> None:
    orgs = client.get("/v1.0/organization")
    assert orgs.status_code == 200
    org = orgs.json["value"][0]
    assert org["id"] == backend.tenant_id and org["verifiedDomains"][0]["isDefault"] is True
    assert client.get(f"/v1.0/organization/{backend.tenant_id}").json["displayName"] == "Contoso"
    assert client.get("/v1.0/organization/00000000-0000-4000-8000-000000000000").status_code == 404


def test_expand_with_nested_select(client: GraphClient, seeded: dict[str, Any]) -> None:
    gid = seeded["groups"][0]["id"]
    resp = client.get(f"/v1.0/groups/{gid}?$expand=members($select=id,displayName)")
    assert resp.status_code == 200
    assert all(set(m) == {"@odata.type", "id", "displayName"} for m in resp.json["members"])
    worker = seeded["users"][5]["id"]
    mgr = client.get(f"/v1.0/users/{worker}?$expand=manager($select=id,mail)").json["manager"]
    assert set(mgr) == {"@odata.type", "id", "mail"}
    assert client.get(f"/v1.0/groups/{gid}?$expand=members($top=5)").status_code == 400
    assert client.get(f"/v1.0/groups/{gid}?$expand=owners").status_code == 400


def test_expand_is_refused_with_an_advanced_query(
    client: GraphClient, seeded: dict[str, Any]
) -> None:
    """$expand is not supported with advanced queries
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    plain = client.get("/v1.0/users?$expand=manager")
    assert plain.status_code == 200
    advanced = client.get("/v1.0/users?$expand=manager&$count=true", headers=EVENTUAL)
    assert advanced.status_code == 400
    assert advanced.json["error"]["code"] == "Request_UnsupportedQuery"
    assert "$expand" in advanced.json["error"]["message"]
