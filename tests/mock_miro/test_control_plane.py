"""The /_fake/ control plane, exactly as docs/control-plane.md's contract names it."""

from __future__ import annotations

import json
import time
from typing import Any

from flask.testing import FlaskClient

from mock_miro import DEFAULT_TOKEN, MiroBackend, create_app
from tests.support.miro import Scim, added_users, assert_scim_error


def fake(scim: Scim) -> FlaskClient:
    return scim.client


def test_default_token_is_documented() -> None:
    assert DEFAULT_TOKEN == "miro-scim-token"


def test_seed_creates_named_teams_and_users_deterministically() -> None:
    answers = []
    for _ in range(2):
        client = create_app().test_client()
        response = client.post(
            "/_fake/seed", json={"seed": 7, "users": 5, "teams": ["Design", "Sales"]}
        )
        assert response.status_code == 200
        answers.append(response.get_json())
    assert answers[0] == answers[1]
    seeded = answers[0]
    assert [t["displayName"] for t in seeded["teams"]] == ["Design", "Sales"]
    assert len(seeded["users"]) == 5 and all(u["id"].isdigit() for u in seeded["users"])
    assert all(u["userName"].endswith("@example.com") for u in seeded["users"])
    other = create_app().test_client().post("/_fake/seed", json={"seed": 8, "users": 5}).get_json()
    assert other["users"] != seeded["users"]


def test_seeded_teams_are_empty_and_users_are_in_the_default_team(scim: Scim) -> None:
    seeded = (
        fake(scim).post("/_fake/seed", json={"seed": 1, "users": 2, "teams": ["Design"]}).get_json()
    )
    design = scim.get(f"/Groups/{seeded['teams'][0]['id']}").get_json()
    assert design["members"] == []
    default = scim.get(f"/Groups/{seeded['default_team']['id']}").get_json()
    owner = scim.get("/Users", filter='userName eq "scim.admin@miro-org.example"').get_json()
    assert [m["value"] for m in default["members"]] == [
        owner["Resources"][0]["id"],
        *(u["id"] for u in seeded["users"]),
    ]


def test_seed_rejects_bad_input(scim: Scim, backend: MiroBackend) -> None:
    before = backend.dump()
    for body in ({"seed": "x"}, {"users": -1}, {"teams": "Design"}, {"bogus": 1}, [1]):
        response = fake(scim).post("/_fake/seed", json=body)
        assert response.status_code == 400 and "error" in response.get_json()
    assert backend.dump() == before


def test_reset_empties_and_restores_settings(scim: Scim, backend: MiroBackend) -> None:
    fake(scim).post("/_fake/seed", json={"seed": 1, "users": 3})
    fake(scim).put("/_fake/settings", json={"model": "user_groups"})
    assert fake(scim).post("/_fake/reset").status_code == 200
    assert added_users(backend) == {} and backend.settings.model == "teams"
    # A reset organisation is a fresh one: the token's owner, an admin, in the Default team.
    (owner,) = scim.get("/Users").get_json()["Resources"]
    assert owner["userName"] == "scim.admin@miro-org.example"
    assert owner["roles"][0]["value"] == "ORGANIZATION_INTERNAL_ADMIN"
    assert [g["display"] for g in owner["groups"]] == ["Default team"]


def test_state_round_trip(scim: Scim, backend: MiroBackend) -> None:
    fake(scim).post("/_fake/seed", json={"seed": 3, "users": 4, "teams": ["Design"]})
    uid = scim.create_user(
        "x@y.com",
        roles=[{"value": "ORGANIZATION_INTERNAL_ADMIN", "type": "organization_user_role"}],
    )["id"]
    scim.delete(f"/Users/{backend.seed(9, users=1)['users'][0]['id']}")
    dump = fake(scim).get("/_fake/state").get_json()
    listing = scim.get("/Users").get_json()
    other = Scim(create_app())
    loaded = other.client.put("/_fake/state", json=dump)
    assert loaded.status_code == 200 and loaded.get_json()["users"] == 6  # owner, 4, x
    assert other.get("/Users").get_json() == listing
    assert other.client.get("/_fake/state").get_json() == dump
    # The org-admin index is rebuilt: once x is deactivated, the token's owner is the only
    # admin left and cannot be deactivated.
    deactivate = {"op": "replace", "path": "active", "value": False}
    assert other.patch(f"/Users/{uid}", deactivate).status_code == 200
    owner = listing["Resources"][0]
    assert owner["userName"] == "scim.admin@miro-org.example"
    assert_scim_error(other.patch(f"/Users/{owner['id']}", deactivate), 409)
    # Ids continue after the loaded counter.
    assert int(other.create_user("new@y.com")["id"]) > max(int(u["id"]) for u in dump["users"])


def test_bad_state_changes_nothing(scim: Scim, backend: MiroBackend) -> None:
    scim.create_user("keep@y.com")
    before = backend.dump_json()
    for bad in (
        [1],
        {"users": [{"id": "1"}]},
        {
            "users": [
                {"id": "1", "data": {"userName": "a@b.c"}},
                {"id": "2", "data": {"userName": "A@b.c"}},
            ]
        },
        {"groups": [{"id": "9", "displayName": "G", "members": ["404"]}]},
        {"settings": {"model": "x"}},
    ):
        response = fake(scim).put("/_fake/state", json=bad)
        assert response.status_code == 400, bad
    assert fake(scim).put("/_fake/state", data="{").status_code == 400
    assert backend.dump_json() == before


def test_journal_records_requests_in_order_and_clears(scim: Scim) -> None:
    scim.create_user("j@y.com")
    scim.get("/Users", filter='userName eq "j@y.com"')
    scim.client.get("/api/v1/scim/Users")  # unauthenticated: recorded too
    entries = fake(scim).get("/_fake/journal").get_json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/api/v1/scim/Users", 201),
        ("GET", "/api/v1/scim/Users", 200),
        ("GET", "/api/v1/scim/Users", 401),
    ]
    first = entries[0]
    assert set(first) >= {"method", "path", "query", "headers", "body", "status", "response"}
    assert first["body"]["userName"] == "j@y.com" and first["response"]["userName"] == "j@y.com"
    assert entries[1]["query"].startswith("filter=")
    assert fake(scim).delete("/_fake/journal").status_code == 200
    assert fake(scim).get("/_fake/journal").get_json() == {"requests": []}


def test_fault_with_times_status_body_and_retry_after(scim: Scim, backend: MiroBackend) -> None:
    spec = {
        "method": "POST",
        "path": "^/api/v1/scim/Users$",
        "status": 429,
        "retry_after": 2,
        "times": 2,
    }
    added = fake(scim).post("/_fake/faults", json=spec)
    assert added.status_code == 201 and added.get_json()["id"]
    for _ in range(2):
        hit = scim.post("/Users", {"userName": "f@y.com"})
        assert_scim_error(hit, 429, "tooManyRequests")
        assert hit.headers["Retry-After"] == "2"
    assert added_users(backend) == {}
    assert scim.post("/Users", {"userName": "f@y.com"}).status_code == 201
    assert scim.get("/Users").status_code == 200  # other methods never matched


def test_fault_with_custom_body_and_clear(scim: Scim) -> None:
    fake(scim).post(
        "/_fake/faults", json={"path": "/Groups", "status": 500, "body": {"oops": True}}
    )
    response = scim.get("/Groups")
    assert response.status_code == 500 and response.get_json() == {"oops": True}
    assert len(fake(scim).get("/_fake/faults").get_json()["faults"]) == 1
    assert fake(scim).delete("/_fake/faults").status_code == 200
    assert scim.get("/Groups").status_code == 200


def test_fault_probability_is_deterministic_and_latency_waits() -> None:
    outcomes: list[list[int]] = []
    for _ in range(2):
        scim = Scim(create_app())
        fake(scim).post("/_fake/faults", json={"path": "Users", "status": 503, "probability": 0.5})
        outcomes.append([scim.get("/Users").status_code for _ in range(20)])
    assert outcomes[0] == outcomes[1] and {200, 503} == set(outcomes[0])
    scim = Scim(create_app())
    fake(scim).post("/_fake/faults", json={"path": "Users", "latency_ms": 120})
    started = time.monotonic()
    assert scim.get("/Users").status_code == 200
    assert time.monotonic() - started >= 0.1


def test_bad_faults_are_400(scim: Scim) -> None:
    for bad in (
        {"path": "("},
        {"status": 99},
        {"status": 500, "times": 1, "probability": 0.1},
        {"method": "FETCH", "status": 500},
        {},
        {"status": 500, "extra": 1},
    ):
        assert fake(scim).post("/_fake/faults", json=bad).status_code == 400, bad
    assert fake(scim).get("/_fake/faults").get_json() == {"faults": []}


DOCUMENTED_DEFAULTS = {
    "rate_limits": True,
    "rate_limit_retry_after": None,
    "duplicate_user_error": 400,
    "patch_strict": True,
    "patch_pathless_replace": False,
    "token_owner": "scim.admin@miro-org.example",
    "multi_org_refuses": "details",
    "max_results": 200,
}


def test_a_new_token_owner_replaces_the_owner_of_a_fresh_organisation(scim: Scim) -> None:
    fake(scim).put("/_fake/settings", json={"token_owner": "owner@contoso.com"})
    (owner,) = scim.get("/Users").get_json()["Resources"]
    assert owner["userName"] == "owner@contoso.com"
    fake(scim).put("/_fake/settings", json={"token_owner": None})
    assert scim.get("/Users").get_json()["totalResults"] == 0
    assert scim.get("/Groups").get_json()["totalResults"] == 0


def test_settings_get_and_partial_put(scim: Scim, backend: MiroBackend) -> None:
    settings: dict[str, Any] = fake(scim).get("/_fake/settings").get_json()
    assert {
        "model",
        "duplicate_user_error",
        "allowed_domains",
        "rate_limits",
        "scim_enabled",
        "token",
        "patch_strict",
    } <= set(settings)
    assert settings["model"] == "teams" and settings["token"] == DEFAULT_TOKEN
    # Miro's documented behaviour by default (issue 13).
    assert {k: settings[k] for k in DOCUMENTED_DEFAULTS} == DOCUMENTED_DEFAULTS
    changed = fake(scim).put(
        "/_fake/settings", json={"allowed_domains": ["Contoso.com"], "rate_limits": True}
    )
    assert changed.status_code == 200 and changed.get_json()["allowed_domains"] == ["contoso.com"]
    for bad in (
        {"model": "nope"},
        {"duplicate_user_error": 401},
        {"rate_limits": "yes"},
        {"rate_limit_retry_after": -1},
        {"rate_limit_retry_after": "soon"},
        {"token_owner": "not-an-email"},
        {"multi_org_refuses": "everything"},
        {"max_results": 0},
        {"patch_pathless_replace": "yes"},
        {"unknown": 1},
        {"token": ""},
        [1],
    ):
        assert fake(scim).put("/_fake/settings", data=json.dumps(bad)).status_code == 400, bad
    assert backend.settings.model == "teams" and backend.settings.rate_limits is True


def test_create_app_settings_and_python_api() -> None:
    app = create_app(settings={"model": "user_groups"})
    backend: MiroBackend = app.extensions["mock_miro"]
    assert backend.settings.model == "user_groups"
    team = backend.create_team("Python", kind="user_group")
    assert (
        team["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"] and team["members"] == []
    )
    backend.seed(2, users=2)
    dump = backend.dump()
    dump["users"][0]["data"]["userName"] = "changed@example.com"  # a copy, not the live state
    assert backend.get_user_by_username("changed@example.com") is None
    assert len(backend.journal) == 0


def test_seeded_guests_survive_a_state_round_trip(scim: Scim, backend: MiroBackend) -> None:
    seeded = fake(scim).post("/_fake/seed", json={"seed": 2, "users": 1, "guests": 2}).get_json()
    assert len(seeded["guests"]) == 2
    assert scim.get("/Users").get_json()["totalResults"] == 2  # the token's owner and one user
    dump = fake(scim).get("/_fake/state").get_json()
    other = Scim(create_app())
    assert other.client.put("/_fake/state", json=dump).status_code == 200
    assert other.get("/Users").get_json()["totalResults"] == 2
    taken = other.post("/Users", {"userName": seeded["guests"][0]["userName"]})
    assert_scim_error(taken, 400, "invalidValue")  # Miro's published duplicate answer


def test_journal_keeps_bodies_as_sent(scim: Scim) -> None:
    # Bodies are stored as bytes and decoded when read: JSON as JSON, other text as text.
    scim.create_user("k@y.com")
    scim.call("POST", "/Users", raw=b"{not json")
    entries = fake(scim).get("/_fake/journal").get_json()["requests"]
    assert entries[0]["body"]["userName"] == "k@y.com" and entries[0]["response"]["id"]
    assert entries[1]["body"] == "{not json"
    assert entries[1]["response"]["status"] == "400"


def test_the_control_plane_answers_in_the_shape_both_fakes_share(scim: Scim) -> None:
    client = fake(scim)
    assert client.post("/_fake/reset").get_json() == {"reset": True, "status": "reset"}
    added = client.post("/_fake/faults", json={"path": "^/api/v1/scim/Groups$", "status": 500})
    assert added.status_code == 201
    body = added.get_json()
    assert body["id"] == body["fault"]["id"] == "fault-1" and body["method"] == "*"
    assert client.post("/_fake/faults", json={"method": None, "status": 500}).status_code == 201
    assert client.delete("/_fake/faults/fault-2").get_json() == {"removed": "fault-2"}
    assert client.delete("/_fake/faults").get_json() == {"cleared": True, "status": "cleared"}
    scim.get("/Users")
    assert client.delete("/_fake/journal").get_json() == {"cleared": True, "count": 1}
    dump = client.get("/_fake/state").get_json()
    loaded = client.put("/_fake/state", json=dump).get_json()
    assert loaded["loaded"] is True and loaded["status"] == "loaded"
    # A reset organisation holds the token's owner and the Default team.
    assert loaded["users"] == loaded["counts"]["users"] == 1
    assert loaded["groups"] == loaded["counts"]["groups"] == 1
