"""The /_fake/ control plane (docs/control-plane.md), auth, faults, the journal, and the app-level
hooks applying to blueprints registered after create_app (as the harness does)."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Flask, jsonify

from mock_graph import GraphError, create_app
from tests.support.graph import AUTH, Clock, GraphClient, user_body


def test_seed_reset_state_roundtrip(app: Flask, client: GraphClient) -> None:
    seeded = client.post("/_fake/seed", json={"seed": 1, "users": 25, "groups": 3, "tricky": False})
    assert seeded.status_code == 200
    assert (
        len(seeded.json["users"]) == 25
        and len(seeded.json["groups"]) == 3
        and seeded.json["tricky"] == []
    )
    assert {"id", "userPrincipalName", "displayName"} <= set(seeded.json["users"][0])
    dump = client.get("/_fake/state").json
    assert client.post("/_fake/reset").status_code == 200
    assert client.get("/v1.0/users").json["value"] == []
    loaded = client.put("/_fake/state", json=dump)
    assert loaded.status_code == 200 and loaded.json["counts"]["user"] == 25
    assert client.get("/_fake/state").json == dump
    assert len(client.get("/v1.0/users?$top=999").json["value"]) == 25


def test_bad_control_requests_change_nothing(client: GraphClient) -> None:
    client.post("/_fake/seed", json={"seed": 2, "users": 3, "groups": 1})
    before = client.get("/_fake/state").json
    for path, body in [
        ("/_fake/seed", {"seed": "x"}),
        ("/_fake/seed", {"users": -1}),
        ("/_fake/seed", {"bogus": 1}),
        ("/_fake/faults", {"path": "(", "status": 500}),
        ("/_fake/faults", {"path": ".*", "status": 429, "times": 1, "probability": 0.5}),
        ("/_fake/faults", {"path": ".*"}),
    ]:
        resp = client.post(path, json=body)
        assert resp.status_code == 400 and "error" in resp.json, (path, body)
    assert (
        client.put("/_fake/state", json={"version": 1, "objects": [{"kind": "user"}]}).status_code
        == 400
    )
    assert client.put("/_fake/state", json={"nope": True}).status_code == 400
    assert client.get("/_fake/state").json == before
    assert client.get("/_fake/faults").json["faults"] == []


def test_journal_records_requests_in_order(client: GraphClient) -> None:
    client.post("/v1.0/users", json=user_body("j@contoso.onmicrosoft.com"))
    client.get("/v1.0/users?$select=id&$top=5")
    entries = client.get("/_fake/journal").json["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1.0/users", 201),
        ("GET", "/v1.0/users", 200),
    ]
    assert entries[0]["body"]["userPrincipalName"] == "j@contoso.onmicrosoft.com"
    assert entries[1]["query"] == {"$select": "id", "$top": "5"}
    assert entries[1]["response"]["value"][0]["id"] == entries[0]["response"]["id"]
    assert entries[0]["headers"]["Authorization"] == "Bearer test-token"
    assert client.delete("/_fake/journal").status_code == 200
    assert client.get("/_fake/journal").json["requests"] == []


def test_fault_429_with_integer_retry_after_for_n_times(client: GraphClient) -> None:
    fault = client.post(
        "/_fake/faults",
        json={
            "method": "GET",
            "path": "^/v1.0/users$",
            "status": 429,
            "retry_after": 2,
            "times": 2,
        },
    )
    assert fault.status_code == 201 and fault.json["id"]
    for _ in range(2):
        resp = client.get("/v1.0/users")
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
        assert resp.json["error"]["code"] == "TooManyRequests"
    assert client.get("/v1.0/users").status_code == 200
    assert (
        client.post("/v1.0/users", json=user_body("p@contoso.onmicrosoft.com")).status_code == 201
    )
    assert client.get("/_fake/faults").json["faults"][0]["hits"] == 2


def test_fault_body_latency_probability_and_delete(client: GraphClient) -> None:
    client.post(
        "/_fake/faults",
        json={
            "path": "^/v1.0/groups",
            "status": 503,
            "body": {"error": {"code": "serviceNotAvailable", "message": "down"}},
        },
    )
    resp = client.get("/v1.0/groups")
    assert resp.status_code == 503 and resp.json["error"]["message"] == "down"
    assert client.delete("/_fake/faults").status_code == 200
    assert client.get("/v1.0/groups").status_code == 200
    client.post("/_fake/faults", json={"path": "^/v1.0/users$", "latency_ms": 120})
    start = time.monotonic()
    assert client.get("/v1.0/users").status_code == 200
    assert time.monotonic() - start >= 0.1
    client.delete("/_fake/faults")
    client.post("/_fake/faults", json={"path": "^/v1.0/users$", "status": 500, "probability": 0.5})
    statuses = [client.get("/v1.0/users").status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and set(statuses) == {200, 500}
    fid = client.get("/_fake/faults").json["faults"][0]["id"]
    assert client.delete(f"/_fake/faults/{fid}").status_code == 200
    assert client.delete(f"/_fake/faults/{fid}").status_code == 404


def test_settings_get_put(client: GraphClient) -> None:
    settings = client.get("/_fake/settings").json
    assert settings["strict_queries"] is True and settings["retention_days"] == 30
    assert (
        client.put("/_fake/settings", json={"strict_queries": False}).json["strict_queries"]
        is False
    )
    assert client.put("/_fake/settings", json={"strict_queries": "no"}).status_code == 400
    assert client.put("/_fake/settings", json={"colour": 1}).status_code == 400


def test_apps_shortcut_and_purge(client: GraphClient, clock: Clock) -> None:
    created = client.post("/_fake/apps", json={"displayName": "Miro"})
    assert (
        created.status_code == 201
        and created.json["servicePrincipal"]["appRoleAssignmentRequired"] is True
    )
    user = client.post("/v1.0/users", json=user_body("gone@contoso.onmicrosoft.com")).json
    client.delete(f"/v1.0/users/{user['id']}")
    clock.advance(days=30)
    assert client.post("/_fake/purge").json == {"purged": [user["id"]]}


def test_default_auth_needs_some_bearer_token(app: Flask) -> None:
    raw = app.test_client()
    resp = raw.get("/v1.0/users")
    assert resp.status_code == 401 and resp.json["error"] == {
        "code": "InvalidAuthenticationToken",
        "message": "Access token is empty.",
        "innerError": resp.json["error"]["innerError"],
    }
    assert raw.get("/v1.0/users", headers={"Authorization": "Basic abc"}).status_code == 401
    assert raw.get("/v1.0/users", headers={"Authorization": "Bearer anything"}).status_code == 200
    assert raw.get("/_fake/state").status_code == 200  # the control plane needs no token


def test_strict_auth_accepts_only_issued_unexpired_tokens() -> None:
    clock = Clock()
    app = create_app(clock=clock.now, strict_auth=True, tenant_id="contoso-tenant")
    raw = app.test_client()
    assert raw.get("/v1.0/users", headers={"Authorization": "Bearer made-up"}).status_code == 401
    form = {
        "client_id": "abc",
        "client_secret": "s3cret",
        "scope": "https://graph.microsoft.com/.default",
        "grant_type": "client_credentials",
    }
    issued = raw.post("/contoso-tenant/oauth2/v2.0/token", data=form)
    assert (
        issued.status_code == 200
        and issued.json["token_type"] == "Bearer"
        and issued.json["expires_in"] == 3599
    )
    bearer = {"Authorization": f"Bearer {issued.json['access_token']}"}
    assert raw.get("/v1.0/users", headers=bearer).status_code == 200
    raw.post("/_fake/reset")  # resetting the tenant does not sign clients out
    assert raw.get("/v1.0/users", headers=bearer).status_code == 200
    clock.advance(seconds=3600)
    expired = raw.get("/v1.0/users", headers=bearer)
    assert (
        expired.status_code == 401
        and expired.json["error"]["message"] == "Access token has expired or is not yet valid."
    )
    assert raw.post("/other-tenant/oauth2/v2.0/token", data=form).status_code == 400
    assert (
        raw.post("/contoso-tenant/oauth2/v2.0/token", data={**form, "grant_type": "password"}).json[
            "error"
        ]
        == "unsupported_grant_type"
    )
    assert (
        raw.post(
            "/contoso-tenant/oauth2/v2.0/token",
            data={k: v for k, v in form.items() if k != "scope"},
        ).status_code
        == 400
    )


def test_unknown_routes_and_methods_are_graph_envelopes(client: GraphClient) -> None:
    unknown = client.get("/v1.0/usres")
    assert (
        unknown.status_code == 400
        and unknown.json["error"]["message"] == "Resource not found for the segment 'usres'."
    )
    method = client.put("/v1.0/users")
    assert method.status_code == 405 and method.json["error"]["code"] == "Request_BadRequest"
    outside = client.get("/nowhere")
    assert outside.status_code == 404 and outside.headers["Content-Type"].startswith(
        "application/json"
    )


def test_hooks_apply_to_blueprints_registered_later() -> None:
    """The harness mounts its own routes after create_app: auth, journal, faults and the error
    envelope must cover them, and mock_graph's routes must not shadow them."""
    app = create_app()
    bp = Blueprint("late", __name__)

    @bp.get("/v1.0/servicePrincipals/<sp>/synchronization/jobs")
    def jobs(sp: str) -> Any:
        return jsonify({"value": [], "sp": sp})

    @bp.get("/v1.0/auditLogs/provisioning")
    def logs() -> Any:
        raise GraphError(400, "Request_UnsupportedQuery", "no such filter")

    app.register_blueprint(bp)
    raw = app.test_client()
    assert raw.get("/v1.0/servicePrincipals/abc/synchronization/jobs").status_code == 401
    ok = raw.get("/v1.0/servicePrincipals/abc/synchronization/jobs", headers=AUTH)
    assert ok.status_code == 200 and ok.json == {"value": [], "sp": "abc"}
    err = raw.get("/v1.0/auditLogs/provisioning", headers=AUTH)
    assert err.status_code == 400 and err.json["error"]["code"] == "Request_UnsupportedQuery"
    assert err.json["error"]["innerError"]["request-id"] == err.headers["request-id"]
    raw.post("/_fake/faults", json={"path": "synchronization", "status": 429, "times": 1})
    throttled = raw.get("/v1.0/servicePrincipals/abc/synchronization/jobs", headers=AUTH)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    paths = [e["path"] for e in raw.get("/_fake/journal").json["requests"]]
    assert paths[-1] == "/v1.0/servicePrincipals/abc/synchronization/jobs"


def test_journal_limit_keeps_the_latest() -> None:
    app = create_app(journal_limit=2)
    raw = app.test_client()
    for path in ("/v1.0/users", "/v1.0/groups", "/v1.0/applications"):
        raw.get(path, headers=AUTH)
    assert [e["path"] for e in raw.get("/_fake/journal").json["requests"]] == [
        "/v1.0/groups",
        "/v1.0/applications",
    ]


def test_hand_edited_state_with_wrong_types_is_refused(client: GraphClient) -> None:
    client.post("/_fake/seed", json={"seed": 4, "users": 3, "groups": 1})
    good = client.get("/_fake/state").json
    for mutate in (
        lambda d: d["objects"][0]["data"].__setitem__("displayName", 5),
        lambda d: d["objects"][0]["data"].__setitem__("shoeSize", 44),
        lambda d: d["objects"][0]["data"].__setitem__("businessPhones", "555"),
        lambda d: d["objects"].append(dict(d["objects"][0])),
        lambda d: d["members"].__setitem__("x", 5),
        lambda d: d.__setitem__("seq", "many"),
    ):
        bad = json.loads(json.dumps(good))
        mutate(bad)
        resp = client.put("/_fake/state", json=bad)
        assert resp.status_code == 400 and resp.json["error"]["message"].startswith("Invalid state")
    assert client.get("/_fake/state").json == good


def test_journal_decodes_bodies_when_read() -> None:
    app = create_app(journal_limit=3)
    raw = app.test_client()
    raw.post("/v1.0/users", headers=AUTH, json=user_body("jd@contoso.com"))
    raw.post("/v1.0/users", headers={**AUTH, "Content-Type": "text/plain"}, data="not json")
    entries = raw.get("/_fake/journal").json["requests"]
    assert entries[0]["body"]["mailNickname"] == "jd"
    assert (
        entries[0]["response"]["id"]
        and entries[0]["response"]["userPrincipalName"] == "jd@contoso.com"
    )
    assert entries[1]["body"] == "not json"
    for path in ("/v1.0/users", "/v1.0/groups", "/v1.0/applications"):
        raw.get(path, headers=AUTH)
    assert [e["path"] for e in raw.get("/_fake/journal").json["requests"]] == [
        "/v1.0/users",
        "/v1.0/groups",
        "/v1.0/applications",
    ]


def test_journal_keeps_large_bodies_compressed_and_answers_them_whole() -> None:
    app = create_app()
    raw = app.test_client()
    for n in range(40):
        raw.post("/v1.0/users", headers=AUTH, json=user_body(f"big{n}@contoso.com"))
    listed = raw.get("/v1.0/users", headers=AUTH)
    assert len(listed.data) > 4096
    stored = app.extensions["mock_graph.journal"].stored()[-1]["response"]
    assert stored.compressed and len(stored.data) < len(listed.data)
    assert raw.get("/_fake/journal").json["requests"][-1]["response"] == listed.json


def test_the_control_plane_answers_in_the_shape_both_fakes_share(client: GraphClient) -> None:
    assert client.post("/_fake/reset").json == {"reset": True, "status": "reset"}
    added = client.post(
        "/_fake/faults", json={"method": "*", "path": "^/v1.0/groups$", "status": 500}
    )
    assert added.status_code == 201
    assert added.json["id"] == added.json["fault"]["id"] == "fault-1"
    assert added.json["method"] == added.json["fault"]["method"] == "*"
    assert client.post("/_fake/faults", json={"method": None, "status": 500}).status_code == 201
    assert client.delete("/_fake/faults").json == {"cleared": True, "status": "cleared"}
    client.get("/v1.0/users")
    assert client.delete("/_fake/journal").json == {"cleared": True, "count": 1}
    dump = client.get("/_fake/state").json
    loaded = client.put("/_fake/state", json=dump).json
    assert loaded["loaded"] is True and loaded["status"] == "loaded"
    assert loaded["users"] == loaded["counts"]["user"] == 0
    assert client.post("/_fake/reset").status_code == 200
    assert client.post("/_fake/faults", json={"status": 500}).json["id"] == "fault-1"
