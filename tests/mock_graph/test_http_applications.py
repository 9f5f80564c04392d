"""Plain-HTTP tests of applications, service principals, app roles and appRoleAssignedTo."""

from __future__ import annotations

from typing import Any

from mock_graph import GraphBackend
from mock_graph.schemas import ZERO_GUID
from tests.support.graph import EVENTUAL, GraphClient

ROLE_ID = "6a5d2f5e-3b1c-4f37-9a53-2f1b8f0e7c11"
ROLES = [
    {
        "id": ROLE_ID,
        "allowedMemberTypes": ["User"],
        "displayName": "Admin",
        "description": "Admins",
        "value": "admin",
        "isEnabled": True,
    }
]


def make_app(client: GraphClient) -> tuple[dict[str, Any], dict[str, Any]]:
    app = client.post("/v1.0/applications", json={"displayName": "Miro", "appRoles": ROLES})
    assert app.status_code == 201, app.json
    sp = client.post("/v1.0/servicePrincipals", json={"appId": app.json["appId"]})
    assert sp.status_code == 201, sp.json
    return app.json, sp.json


def test_application_and_service_principal_crud(client: GraphClient) -> None:
    app, sp = make_app(client)
    assert sp["appRoles"][0]["id"] == ROLE_ID and sp["appRoles"][0]["origin"] == "Application"
    assert sp["appRoleAssignmentRequired"] is False and sp["appOwnerOrganizationId"]
    for path in (f"/v1.0/applications/{app['id']}", f"/v1.0/applications(appId='{app['appId']}')"):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.json["id"] == app["id"], path
    for path in (
        f"/v1.0/servicePrincipals/{sp['id']}",
        f"/v1.0/servicePrincipals(appId='{app['appId']}')",
    ):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.json["id"] == sp["id"], path
    assert (
        client.patch(
            f"/v1.0/servicePrincipals(appId='{app['appId']}')",
            json={"appRoleAssignmentRequired": True},
        ).status_code
        == 204
    )
    assert (
        client.get(f"/v1.0/servicePrincipals/{sp['id']}").json["appRoleAssignmentRequired"] is True
    )
    listed = client.get(f"/v1.0/servicePrincipals?$filter=appId eq '{app['appId']}'")
    assert [s["id"] for s in listed.json["value"]] == [sp["id"]]
    assert client.get("/v1.0/applications").json["value"][0]["appId"] == app["appId"]
    assert client.get("/v1.0/servicePrincipals/$count", headers=EVENTUAL).data == b"1"
    assert client.get("/v1.0/applications/$count", headers=EVENTUAL).data == b"1"


def test_app_role_changes_flow_to_service_principal(client: GraphClient) -> None:
    app, sp = make_app(client)
    roles = [
        *ROLES,
        {
            "id": "0d0a3c1e-8b5e-4d8f-9a44-7f3b1c2d3e4f",
            "allowedMemberTypes": ["User"],
            "displayName": "Viewer",
            "value": "viewer",
        },
    ]
    assert (
        client.patch(f"/v1.0/applications/{app['id']}", json={"appRoles": roles}).status_code == 204
    )
    assert len(client.get(f"/v1.0/servicePrincipals/{sp['id']}").json["appRoles"]) == 2


def test_bad_app_roles_and_unknown_app_id(client: GraphClient) -> None:
    bad = client.post(
        "/v1.0/applications",
        json={
            "displayName": "X",
            "appRoles": [{"id": "not-a-guid", "allowedMemberTypes": ["User"]}],
        },
    )
    assert bad.status_code == 400
    orphan = client.post(
        "/v1.0/servicePrincipals", json={"appId": "44444444-4444-4444-8444-444444444444"}
    )
    assert orphan.status_code == 400
    assert (
        client.get(
            "/v1.0/servicePrincipals(appId='44444444-4444-4444-8444-444444444444')"
        ).status_code
        == 404
    )
    app, _sp = make_app(client)
    twice = client.post("/v1.0/servicePrincipals", json={"appId": app["appId"]})
    assert twice.status_code == 400


def test_app_role_assigned_to_lifecycle(client: GraphClient, seeded: dict[str, Any]) -> None:
    _app, sp = make_app(client)
    uid = seeded["users"][0]["id"]
    body = {"principalId": uid, "resourceId": sp["id"], "appRoleId": ROLE_ID}
    created = client.post(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=body)
    assert created.status_code == 201
    a = created.json
    assert (
        a["principalType"] == "User"
        and a["principalDisplayName"] == seeded["users"][0]["displayName"]
    )
    assert a["resourceDisplayName"] == "Miro" and a["appRoleId"] == ROLE_ID
    duplicate = client.post(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo", json=body)
    assert duplicate.status_code == 400 and "already exists" in duplicate.json["error"]["message"]
    default = client.post(
        f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo",
        json={**body, "appRoleId": ZERO_GUID},
    )
    assert default.status_code == 201
    listed = client.get(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo")
    assert {x["id"] for x in listed.json["value"]} == {a["id"], default.json["id"]}
    assert (
        client.get(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/{a['id']}").status_code
        == 200
    )
    assert (
        client.delete(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/{a['id']}").status_code
        == 204
    )
    assert (
        client.delete(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo/{a['id']}").status_code
        == 404
    )


def test_assignment_validation(client: GraphClient, seeded: dict[str, Any]) -> None:
    _app, sp = make_app(client)
    uid = seeded["users"][0]["id"]
    url = f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo"
    unknown_role = client.post(
        url,
        json={
            "principalId": uid,
            "resourceId": sp["id"],
            "appRoleId": "55555555-5555-4555-8555-555555555555",
        },
    )
    assert (
        unknown_role.status_code == 400
        and "was not found on application" in unknown_role.json["error"]["message"]
    )
    bad_guid = client.post(
        url, json={"principalId": "nope", "resourceId": sp["id"], "appRoleId": ROLE_ID}
    )
    assert bad_guid.status_code == 400 and "principalId" in bad_guid.json["error"]["message"]
    missing_principal = client.post(
        url,
        json={
            "principalId": "66666666-6666-4666-8666-666666666666",
            "resourceId": sp["id"],
            "appRoleId": ROLE_ID,
        },
    )
    assert missing_principal.status_code == 404
    no_body = client.post(url, json={})
    assert no_body.status_code == 400
    assert client.get(f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo").json["value"] == []


def test_service_principal_held_assignments(client: GraphClient, backend: GraphBackend) -> None:
    roles = [
        {
            "id": ROLE_ID,
            "allowedMemberTypes": ["Application"],
            "displayName": "Read",
            "value": "read",
        }
    ]
    _app, resource = backend.create_enterprise_app("API", roles)
    _capp, caller = backend.create_enterprise_app("Daemon")
    resp = client.post(
        f"/v1.0/servicePrincipals/{caller['id']}/appRoleAssignments",
        json={"principalId": caller["id"], "resourceId": resource["id"], "appRoleId": ROLE_ID},
    )
    assert resp.status_code == 201 and resp.json["principalType"] == "ServicePrincipal"
    assert [
        a["id"]
        for a in client.get(f"/v1.0/servicePrincipals/{caller['id']}/appRoleAssignments").json[
            "value"
        ]
    ] == [resp.json["id"]]


def test_delete_and_restore_application(client: GraphClient, backend: GraphBackend) -> None:
    app, sp = make_app(client)
    assert client.delete(f"/v1.0/servicePrincipals/{sp['id']}").status_code == 204
    assert client.delete(f"/v1.0/applications(appId='{app['appId']}')").status_code == 204
    listed = client.get("/v1.0/directory/deletedItems/microsoft.graph.application")
    assert [a["id"] for a in listed.json["value"]] == [app["id"]]
    assert client.post(f"/v1.0/directory/deletedItems/{app['id']}/restore").status_code == 200
    assert client.get(f"/v1.0/applications/{app['id']}").status_code == 200
    assert (
        client.get(f"/v1.0/servicePrincipals/{sp['id']}").status_code == 404
    )  # restored separately


def test_assigned_to_filter_by_principal(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    _app, sp = backend.create_enterprise_app("Miro")
    _other, sp2 = backend.create_enterprise_app("Other")
    uid = seeded["users"][3]["id"]
    mine = backend.assign_app_role(uid, sp["id"])
    backend.assign_app_role(uid, sp2["id"])
    for u in seeded["users"][4:9]:
        backend.assign_app_role(u["id"], sp["id"])
    resp = client.get(
        f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo?$filter=principalId eq {uid}"
    )
    assert [a["id"] for a in resp.json["value"]] == [mine["id"]]
    quoted = client.get(
        f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignedTo?$filter=principalId eq '{uid}'"
    )
    assert quoted.status_code == 400  # GUID properties take unquoted GUIDs


def test_an_enabled_app_role_must_be_disabled_before_it_is_removed(client: GraphClient) -> None:
    """The appRole resource: isEnabled "must be set to false before the app role can be removed"
    (https://learn.microsoft.com/en-us/graph/api/resources/approle)."""
    app, sp = make_app(client)
    removed = client.patch(f"/v1.0/applications/{app['id']}", json={"appRoles": []})
    assert removed.status_code == 400
    assert removed.json["error"]["code"] == "CannotDeleteOrUpdateEnabledEntitlement"
    kept = client.get(f"/v1.0/servicePrincipals/{sp['id']}").json["appRoles"]
    assert [r["id"] for r in kept] == [ROLE_ID]  # nothing changed
    disabled = [{**ROLES[0], "isEnabled": False}]
    assert (
        client.patch(f"/v1.0/applications/{app['id']}", json={"appRoles": disabled}).status_code
        == 204
    )
    assert client.patch(f"/v1.0/applications/{app['id']}", json={"appRoles": []}).status_code == 204
    assert client.get(f"/v1.0/servicePrincipals/{sp['id']}").json["appRoles"] == []
