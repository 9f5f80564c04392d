"""$batch in the documented form and in the form msgraph-sdk sends."""

from __future__ import annotations

from typing import Any

from flask import Flask

from mock_graph import GraphBackend
from tests.support.graph import GraphClient, user_body


def by_id(resp: Any) -> dict[str, dict[str, Any]]:
    assert resp.status_code == 200, resp.json
    return {r["id"]: r for r in resp.json["responses"]}


def test_documented_form_with_depends_on(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    uid = seeded["users"][0]["id"]
    group = backend.create_group(
        {"displayName": "B", "mailEnabled": False, "mailNickname": "b", "securityEnabled": True}
    )
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/users/{uid}?$select=id,displayName"},
            {
                "id": "2",
                "method": "POST",
                "url": f"groups/{group['id']}/members/$ref",
                "headers": {"Content-Type": "application/json"},
                "body": {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{uid}"},
            },
            {
                "id": "3",
                "dependsOn": ["2"],
                "method": "GET",
                "url": "/users?$count=true&$top=1",
                "headers": {"ConsistencyLevel": "eventual"},
            },
        ]
    }
    out = by_id(client.post("/v1.0/$batch", json=body))
    assert (
        out["1"]["status"] == 200
        and out["1"]["body"]["displayName"] == seeded["users"][0]["displayName"]
    )
    assert out["2"]["status"] == 204 and "body" not in out["2"]
    assert out["3"]["status"] == 200 and out["3"]["body"]["@odata.count"] == 30 + len(
        seeded["tricky"]
    )
    assert backend.member_ids(group["id"]) == [uid]


def test_sdk_form_absolute_urls_and_depends_on_snake_case(
    client: GraphClient, seeded: dict[str, Any]
) -> None:
    body = {
        "requests": [
            {
                "id": "a",
                "method": "GET",
                "url": "http://graph.local/v1.0/users/99999999-9999-4999-8999-999999999999",
                "depends_on": [],
                "headers": {"accept": "application/json"},
            },
            {
                "id": "b",
                "method": "GET",
                "url": f"http://graph.local/v1.0/users/{seeded['users'][1]['id']}",
                "depends_on": ["a"],
            },
        ]
    }
    out = by_id(client.post("/v1.0/$batch", json=body))
    assert (
        out["a"]["status"] == 404
        and out["a"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    )
    assert out["b"]["status"] == 424


def test_absolute_urls_rejected_when_strict(client: GraphClient, backend: GraphBackend) -> None:
    backend.settings.batch_accept_absolute_urls = False
    resp = client.post(
        "/v1.0/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users"}
            ]
        },
    )
    assert (
        resp.status_code == 400 and resp.json["error"]["message"] == "Invalid batch payload format."
    )


def test_base64_body_and_post_201(client: GraphClient) -> None:
    import base64
    import json

    raw = base64.b64encode(json.dumps(user_body("b64@contoso.onmicrosoft.com")).encode()).decode()
    out = by_id(
        client.post(
            "/v1.0/$batch",
            json={
                "requests": [
                    {
                        "id": "1",
                        "method": "POST",
                        "url": "/users",
                        "headers": {"Content-Type": "application/json"},
                        "body": raw,
                    }
                ]
            },
        )
    )
    assert (
        out["1"]["status"] == 201
        and out["1"]["body"]["userPrincipalName"] == "b64@contoso.onmicrosoft.com"
    )


def test_malformed_batches_are_400(client: GraphClient, backend: GraphBackend) -> None:
    bad = [
        {},
        {"requests": []},
        {"requests": [{"id": "1", "method": "GET"}]},
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users"},
                {"id": "1", "method": "GET", "url": "/users"},
            ]
        },
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
                {"id": "2", "method": "GET", "url": "/users"},
            ]
        },
        {"requests": [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]},
        {"requests": [{"id": "1", "method": "BREW", "url": "/users"}]},
    ]
    before = backend.dump()
    for body in bad:
        resp = client.post("/v1.0/$batch", json=body)
        assert resp.status_code == 400, body
        assert resp.json["error"]["code"] == "BadRequest"
    assert backend.dump() == before


def test_batch_items_are_journaled_and_need_auth(app: Flask, client: GraphClient) -> None:
    out = by_id(
        client.post(
            "/v1.0/$batch", json={"requests": [{"id": "x", "method": "GET", "url": "/users"}]}
        )
    )
    assert out["x"]["status"] == 200
    journal = app.extensions["mock_graph.journal"].entries()
    assert [e.get("batch_item") for e in journal] == ["x", None]
    anonymous = app.test_client().post(
        "/v1.0/$batch", json={"requests": [{"id": "x", "method": "GET", "url": "/users"}]}
    )
    assert anonymous.status_code == 401
