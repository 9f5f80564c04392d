"""Issue 19's findings, each sent as the hostile request it was, over HTTP to a served harness:
the status, the format of the answer, and the state (unchanged after a refusal; for the team
PATCH, the end state of a run without it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.lab.state_files import StateFileError, dump_lab_state
from harness.serve.served import ServeConfig, ServedHarness
from tests.support.hostile import Prober, snapshot

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
DEEP = b"[" * 10_000 + b"]" * 10_000


def _miro(prober: Prober) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {prober.lab.miro.settings.token}",
        "Content-Type": "application/scim+json",
    }


def _patch(*operations: dict[str, Any]) -> bytes:
    return json.dumps({"schemas": [PATCH_SCHEMA], "Operations": list(operations)}).encode()


# 1 ----------------------------------------------------------------------------------------


def test_1_a_team_patch_reactivates_only_the_users_it_adds(
    served: ServedHarness, prober: Prober
) -> None:
    headers = _miro(prober)
    scim = "/api/v1/scim"
    created = prober.send(
        "miro", "POST", f"{scim}/Users", headers=headers, content=b'{"userName": "a@example.com"}'
    )
    uid = created.json()["id"]
    team = prober.lab.miro.create_team("Reactivation")["id"]
    add = {"op": "add", "path": "members", "value": [{"value": uid}]}
    prober.send("miro", "PATCH", f"{scim}/Groups/{team}", headers=headers, content=_patch(add))
    deactivate = _patch({"op": "replace", "path": "active", "value": False})
    prober.send("miro", "PATCH", f"{scim}/Users/{uid}", headers=headers, content=deactivate)
    without_rename = prober.lab.miro.get_user(uid)
    rename = _patch({"op": "add", "path": "externalId", "value": "x"})
    answer = prober.send("miro", "PATCH", f"{scim}/Groups/{team}", headers=headers, content=rename)
    assert answer.status_code == 200 and answer.json()["externalId"] == "x"
    assert prober.lab.miro.get_user(uid) == without_rename  # still inactive
    assert without_rename["active"] is False
    # Adding the user is what reactivates (https://developers.miro.com/reference/patchgroup).
    prober.send("miro", "PATCH", f"{scim}/Groups/{team}", headers=headers, content=_patch(add))
    assert prober.lab.miro.get_user(uid)["active"] is True
    prober.check()


# 2 ----------------------------------------------------------------------------------------


def test_2_a_lone_surrogate_is_refused_and_reads_keep_working(
    served: ServedHarness, prober: Prober
) -> None:
    headers = _miro(prober)
    body = b'{"userName": "a\\ud800@example.com", "displayName": "\\udfff"}'
    answer = prober.send("miro", "POST", "/api/v1/scim/Users", headers=headers, content=body)
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidSyntax"
    uid = prober.lab.miro.dump()["users"][0]["id"]
    patch = _patch({"op": "replace", "path": "displayName", "value": "a\ud800"})
    answer = prober.send(
        "miro", "PATCH", f"/api/v1/scim/Users/{uid}", headers=headers, content=patch
    )
    assert answer.status_code == 400
    assert prober.send("miro", "GET", "/api/v1/scim/Users", headers=headers).status_code == 200
    assert (
        prober.send("miro", "GET", f"/api/v1/scim/Users/{uid}", headers=headers).status_code == 200
    )
    prober.check()


# 3 is in test_auth.py (the beta objectConnections routes need a token).

# 4 ----------------------------------------------------------------------------------------


def test_4_json_nested_10000_deep_is_a_400_everywhere(
    served: ServedHarness, prober: Prober
) -> None:
    lab = prober.lab
    job = f"/v1.0/servicePrincipals/{lab.service_principal_id}/synchronization/jobs/{lab.job_id}"
    graph = {"Authorization": "Bearer any", "Content-Type": "application/json", **prober.control}
    miro = {**_miro(prober), **prober.control}
    for listener, method, path in (
        (
            "graph",
            "POST",
            f"/v1.0/servicePrincipals/{lab.service_principal_id}/synchronization/jobs",
        ),
        ("graph", "PATCH", job),
        ("graph", "PUT", job + "/schema"),
        ("graph", "POST", job + "/provisionOnDemand"),
        ("graph", "POST", job + "/restart"),
        ("graph", "POST", job + "/validateCredentials"),
        ("graph", "POST", "/_fake/clock"),
        ("graph", "PUT", "/_fake/engine/settings"),
        ("graph", "PUT", "/_fake/engine/state"),
        ("graph", "POST", "/_fake/lab/reset"),
        ("graph", "PUT", "/_fake/lab/state"),
        ("miro", "PUT", "/_fake/state"),
        ("miro", "PUT", "/_fake/settings"),
        ("miro", "POST", "/_fake/faults"),
        ("miro", "POST", "/api/v1/scim/Users"),
    ):
        headers = miro if listener == "miro" else graph
        answer = prober.send(listener, method, path, headers=headers, content=DEEP)
        assert answer.status_code == 400, (method, path, answer.text[:200])
    prober.check()


def test_4_a_state_file_nested_that_deep_stops_the_start_with_one_line(tmp_path: Path) -> None:
    state = tmp_path / "deep.json"
    state.write_bytes(DEEP)
    with pytest.raises(StateFileError) as caught:
        ServedHarness(ServeConfig(empty=True, state_file=state)).start()
    assert "\n" not in str(caught.value) and "nested more than 100 levels" in str(caught.value)


# 5 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listener", "path", "body"),
    [
        ("graph", "/_fake/settings", b'{"delta_token_max_age_days": 1e20}'),
        ("graph", "/_fake/settings", b'{"retention_days": 100000000000000000000}'),
        ("graph", "/_fake/settings", b'{"retention_days": 1e20}'),
        ("miro", "/_fake/settings", b'{"journal_limit": 1e20}'),
        ("miro", "/_fake/settings", b'{"journal_limit": 100000000000000000000}'),
        ("miro", "/_fake/settings", b'{"token": "two words"}'),
        ("miro", "/_fake/state", b'{"displayName": "x"}'),
        ("miro", "/_fake/state", b'{"version": 1, "next_id": NaN}'),
        ("miro", "/_fake/state", b"{}"),
        ("graph", "/_fake/engine/settings", b'{"throttle_max_retries": 1000000000000000000}'),
        ("graph", "/_fake/engine/settings", b'{"escrow_min_failures": 1e20}'),
    ],
)
def test_5_control_plane_values_no_code_can_hold_are_refused(
    served: ServedHarness, prober: Prober, listener: str, path: str, body: bytes
) -> None:
    headers = {"Content-Type": "application/json", **prober.control}
    answer = prober.send(listener, "PUT", path, headers=headers, content=body)
    assert answer.status_code == 400
    assert prober.lab.miro.settings.token == "miro-scim-token"
    delta = prober.send(
        "graph", "GET", "/v1.0/users/delta", headers={"Authorization": "Bearer any"}
    )
    assert delta.status_code == 200
    prober.check()


def test_5_a_20_mb_miro_state_is_refused_and_the_organisation_kept(
    served: ServedHarness, prober: Prober
) -> None:
    headers = {"Content-Type": "application/json", **prober.control}
    body = json.dumps({"displayName": "x", "pad": "p" * 20_000_000}).encode()
    answer = prober.send("miro", "PUT", "/_fake/state", headers=headers, content=body)
    assert answer.status_code == 400 and answer.json()["error"] == "version: is required"
    prober.check()


def _state(served: ServedHarness) -> dict[str, Any]:
    return json.loads(json.dumps(dump_lab_state(served.current())))


@pytest.mark.parametrize(
    ("break_it", "field"),
    [
        (lambda s: s.__setitem__("seed", "seven"), "seed"),
        (lambda s: s["miro"].__setitem__("next_id", int("9" * 400)), "next_id"),
        (
            lambda s: s["miro"].update(users=[], deleted_users=[], groups=[], default_team_id=None),
            "targetId",
        ),
    ],
)
def test_5_a_bad_state_file_does_not_start_the_server(
    served: ServedHarness, tmp_path: Path, break_it: Any, field: str
) -> None:
    state = _state(served)
    break_it(state)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    with pytest.raises(StateFileError) as caught:
        ServedHarness(ServeConfig(empty=True, state_file=path)).start()
    message = str(caught.value)
    assert "\n" not in message and field in message, message


def test_5_a_bad_lab_state_over_http_changes_nothing(served: ServedHarness, prober: Prober) -> None:
    state = _state(served)
    state["seed"] = "seven"
    headers = {"Content-Type": "application/json", **prober.control}
    answer = prober.send("graph", "PUT", "/_fake/lab/state", headers=headers, json=state)
    assert answer.status_code == 400 and "seed" in answer.json()["error"]["message"]
    prober.check()


# 6 ----------------------------------------------------------------------------------------


def test_6_a_start_index_past_any_integer_is_an_empty_page(
    served: ServedHarness, prober: Prober
) -> None:
    answer = prober.send(
        "miro",
        "GET",
        "/api/v1/scim/Users?startIndex=99999999999999999999",
        headers=_miro(prober),
        check_state=False,
    )
    assert answer.status_code == 200 and answer.json()["Resources"] == []
    prober.check()


def test_6_a_refused_provision_on_demand_leaves_the_id_generators(
    served: ServedHarness, prober: Prober
) -> None:
    lab = prober.lab
    before = snapshot(lab)["engine"]["ids"]
    path = (
        f"/v1.0/servicePrincipals/{lab.service_principal_id}/synchronization/jobs/"
        f"{lab.job_id}/provisionOnDemand"
    )
    body = {
        "parameters": [
            {
                "ruleId": "x",
                "subjects": [
                    {
                        "objectId": "00000000-0000-0000-0000-00000000dead",
                        "objectTypeName": "User",
                    }
                ],
            }
        ]
    }
    answer = prober.send("graph", "POST", path, headers={"Authorization": "Bearer any"}, json=body)
    assert answer.status_code == 404
    assert snapshot(lab)["engine"]["ids"] == before
    prober.check()
