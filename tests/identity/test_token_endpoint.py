"""The token endpoint of ``harness serve --tls --strict-auth``: Entra's documented answer to a
wrong secret, an unknown client and an expired secret, and the roles a token carries
(https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.serve.served import ServeConfig, ServedHarness
from mock_graph.permissions import ADMIN_PERMISSIONS
from tests.identity.conftest import client_token, trust


@pytest.fixture(scope="module")
def served() -> Iterator[ServedHarness]:
    harness = ServedHarness(ServeConfig(seed=3, empty=True, tls=True, strict_auth=True)).start()
    try:
        yield harness
    finally:
        harness.close(save=False)


@pytest.fixture
def info(served: ServedHarness) -> dict[str, Any]:
    return served.ready_info()


def claims(access_token: str) -> dict[str, Any]:
    payload = access_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def graph(info: dict[str, Any], access_token: str | None = None) -> httpx.Client:
    if access_token is None:
        answer = client_token(info, info["client_id"], info["client_secret"])
        assert answer.status_code == 200, answer.text
        access_token = answer.json()["access_token"]
    return httpx.Client(
        base_url=info["graph_url"],
        headers={"Authorization": f"Bearer {access_token}"},
        verify=trust(info),
    )


def new_app(info: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with graph(info) as admin:
        app = admin.post("/applications", json={"displayName": name})
        assert app.status_code == 201, app.text
        sp = admin.post("/servicePrincipals", json={"appId": app.json()["appId"]})
        assert sp.status_code == 201, sp.text
        return app.json(), sp.json()


def add_password(info: dict[str, Any], app_id: str, **spec: Any) -> httpx.Response:
    with graph(info) as admin:
        return admin.post(f"/applications/{app_id}/addPassword", json={"passwordCredential": spec})


def assert_aad_error(answer: httpx.Response, status: int, error: str, code: int) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")


def test_the_ready_files_client_gets_a_token_with_its_roles(info: dict[str, Any]) -> None:
    answer = client_token(info, info["client_id"], info["client_secret"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert sorted(claims(body["access_token"])["roles"]) == sorted(ADMIN_PERMISSIONS)
    assert claims(body["access_token"])["tid"] == info["tenant_id"]


def test_a_wrong_secret_is_invalid_client_7000215(info: dict[str, Any]) -> None:
    answer = client_token(info, info["client_id"], info["client_secret"] + "x")
    assert_aad_error(answer, 401, "invalid_client", 7000215)
    assert "Invalid client secret provided" in answer.json()["error_description"]


def test_an_unknown_client_is_unauthorized_client_700016(info: dict[str, Any]) -> None:
    answer = client_token(info, "11111111-2222-3333-4444-555555555555", info["client_secret"])
    assert_aad_error(answer, 400, "unauthorized_client", 700016)
    assert "was not found in the directory" in answer.json()["error_description"]


def test_an_expired_secret_is_7000222(info: dict[str, Any]) -> None:
    app, _ = new_app(info, "Expiring")
    made = add_password(
        info,
        app["id"],
        displayName="short",
        startDateTime="2020-01-01T00:00:00Z",
        endDateTime="2020-06-01T00:00:00Z",
    )
    assert made.status_code == 200, made.text
    answer = client_token(info, app["appId"], made.json()["secretText"])
    assert_aad_error(answer, 401, "invalid_client", 7000222)
    assert "are expired" in answer.json()["error_description"]


def test_a_secret_of_another_app_is_a_wrong_secret(info: dict[str, Any]) -> None:
    app, _ = new_app(info, "Other")
    answer = client_token(info, app["appId"], info["client_secret"])
    assert_aad_error(answer, 401, "invalid_client", 7000215)


def test_add_password_answers_the_secret_once(info: dict[str, Any]) -> None:
    app, _ = new_app(info, "Secrets")
    made = add_password(info, app["id"], displayName="ci")
    assert made.status_code == 200, made.text
    credential = {k: v for k, v in made.json().items() if not k.startswith("@odata")}
    secret = credential["secretText"]
    assert len(secret) == 40 and credential["hint"] == secret[:3]
    assert (
        credential["displayName"] == "ci"
        and credential["endDateTime"] > credential["startDateTime"]
    )
    with graph(info) as admin:
        stored = admin.get(f"/applications/{app['id']}").json()["passwordCredentials"]
    assert stored == [{**credential, "secretText": None}]
    fresh = client_token(info, app["appId"], secret)
    assert fresh.status_code == 200, fresh.text
    assert "roles" not in claims(fresh.json()["access_token"])  # nothing granted yet
    # Removed, the secret no longer signs in.
    with graph(info) as admin:
        removed = admin.post(
            f"/applications/{app['id']}/removePassword", json={"keyId": credential["keyId"]}
        )
        assert removed.status_code == 204
        assert admin.get(f"/applications/{app['id']}").json()["passwordCredentials"] == []
        again = admin.post(
            f"/applications/{app['id']}/removePassword", json={"keyId": credential["keyId"]}
        )
        assert again.status_code == 400
    assert_aad_error(client_token(info, app["appId"], secret), 401, "invalid_client", 7000215)


def test_add_password_refuses_what_graph_chooses(info: dict[str, Any]) -> None:
    app, _ = new_app(info, "Refused")
    refused = add_password(info, app["id"], secretText="mine")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "Request_BadRequest"
    with graph(info) as admin:
        assert admin.get(f"/applications/{app['id']}").json()["passwordCredentials"] == []


def test_a_token_lists_only_roles_granted_when_it_was_issued(info: dict[str, Any]) -> None:
    app, sp = new_app(info, "Reader")
    secret = add_password(info, app["id"]).json()["secretText"]
    with graph(info) as admin:
        (resource,) = admin.get(
            "/servicePrincipals",
            params={"$filter": "appId eq '00000003-0000-0000-c000-000000000000'"},
        ).json()["value"]
        role = next(r for r in resource["appRoles"] if r["value"] == "User.Read.All")
        assert role["id"] == "df021288-bdef-4463-88db-98f22de89214"
        before = client_token(info, app["appId"], secret).json()["access_token"]
        granted = admin.post(
            f"/servicePrincipals/{sp['id']}/appRoleAssignments",
            json={"principalId": sp["id"], "resourceId": resource["id"], "appRoleId": role["id"]},
        )
        assert granted.status_code == 201, granted.text
    after = client_token(info, app["appId"], secret).json()["access_token"]
    assert "roles" not in claims(before) and claims(after)["roles"] == ["User.Read.All"]
    with graph(info, before) as old, graph(info, after) as new:
        assert old.get("/users").status_code == 403
        assert new.get("/users").status_code == 200
        refused = new.post("/groups", json={"displayName": "x"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "Authorization_RequestDenied"
    assert (
        refused.json()["error"]["message"] == "Insufficient privileges to complete the operation."
    )


def test_a_missing_permission_is_403_authorization_request_denied(info: dict[str, Any]) -> None:
    app, _ = new_app(info, "Nothing granted")
    secret = add_password(info, app["id"]).json()["secretText"]
    access = client_token(info, app["appId"], secret).json()["access_token"]
    with graph(info, access) as client:
        answer = client.get("/users")
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users"),
        ("GET", "/groups"),
        ("GET", "/applicationTemplates"),
        ("GET", "/auditLogs/provisioning"),
        ("POST", "/applications"),
    ],
)
def test_no_graph_route_answers_without_a_valid_token(
    info: dict[str, Any], method: str, path: str
) -> None:
    verify = trust(info)
    bare = httpx.request(method, info["graph_url"] + path, json={}, verify=verify)
    assert bare.status_code == 401
    assert bare.json()["error"]["code"] == "InvalidAuthenticationToken"
    forged = httpx.request(
        method,
        info["graph_url"] + path,
        json={},
        headers={"Authorization": "Bearer made-up"},
        verify=verify,
    )
    assert forged.status_code == 401


def test_a_wrong_tenant_is_90002(info: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{info['authority']}/not-a-tenant.example/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=trust(info),
    )
    assert_aad_error(answer, 400, "invalid_request", 90002)


def test_each_batch_request_is_checked_on_its_own(info: dict[str, Any]) -> None:
    app, sp = new_app(info, "Batch reader")
    secret = add_password(info, app["id"]).json()["secretText"]
    with graph(info) as admin:
        (resource,) = admin.get(
            "/servicePrincipals",
            params={"$filter": "appId eq '00000003-0000-0000-c000-000000000000'"},
        ).json()["value"]
        granted = admin.post(
            f"/servicePrincipals/{resource['id']}/appRoleAssignedTo",
            json={
                "principalId": sp["id"],
                "resourceId": resource["id"],
                "appRoleId": "df021288-bdef-4463-88db-98f22de89214",  # User.Read.All
            },
        )
        assert granted.status_code == 201, granted.text
    access = client_token(info, app["appId"], secret).json()["access_token"]
    with graph(info, access) as client:
        answer = client.post(
            "/$batch",
            json={
                "requests": [
                    {"id": "1", "method": "GET", "url": "/users"},
                    {"id": "2", "method": "GET", "url": "/groups"},
                ]
            },
        )
    assert answer.status_code == 200
    statuses = {r["id"]: r["status"] for r in answer.json()["responses"]}
    assert statuses == {"1": 200, "2": 403}


def test_a_scope_without_default_is_invalid_scope_1002012(info: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{info['authority']}/{info['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "scope": "https://graph.microsoft.com/User.Read.All",
        },
        verify=trust(info),
    )
    assert_aad_error(answer, 400, "invalid_scope", 1002012)
