"""The in-process Lab: cheap to build, wired as documented, and the same engine over TCP."""

from __future__ import annotations

import statistics
import time

import httpx

import mock_miro
from harness.lab.local import Lab
from harness.testing.lab_steps import add_user, assign, miro_user, ok


def test_a_lab_is_cheap_to_build() -> None:
    Lab(seed=0).close()  # warm: static documents are parsed once per process
    timings = []
    for seed in range(15):
        # CPU time of this process: on a shared 2-core runner wall time mostly measures the
        # neighbours. The median keeps one slow sample from deciding.
        began = time.process_time()
        lab = Lab(seed=seed)
        timings.append(time.process_time() - began)
        lab.close()
    assert statistics.median(timings) < 0.020, timings


def test_a_lab_is_wired_as_documented() -> None:
    with Lab(seed=4) as lab:
        assert lab.graph_url == "http://graph.local" and lab.miro_url == "http://miro.local"
        assert lab.graph is lab.graph_app.extensions["mock_graph"]
        assert lab.miro is lab.miro_app.extensions["mock_miro"]
        sp = ok(lab.graph_client.get(f"/v1.0/servicePrincipals/{lab.service_principal_id}")).json()
        roles = {r["displayName"]: r["id"] for r in sp["appRoles"]}
        assert roles["Default Access"] == "00000000-0000-0000-0000-000000000000"
        assert "User" in roles
        job = lab.job()
        assert job["id"] == lab.job_id and job["schedule"]["state"] == "Disabled"
        secrets = {
            p["key"]: p["value"]
            for p in ok(lab.graph_client.get(f"{lab.sync_path}/secrets")).json()["value"]
        }
        assert secrets["BaseAddress"] == "http://miro.local/api/v1/scim"
        assert (
            lab.store.get_secrets(lab.service_principal_id)["SecretToken"]
            == mock_miro.DEFAULT_TOKEN
        )
        clock = ok(lab.graph_client.get("/_fake/clock")).json()
        assert clock["now"] == "2026-01-05T09:00:00Z"
        assert lab.advance("40m") == []  # not started: nothing runs
        assert lab.clock.now().isoformat() == "2026-01-05T09:40:00+00:00"


def test_labs_with_the_same_seed_get_the_same_ids() -> None:
    with Lab(seed=9) as first, Lab(seed=9) as second:
        assert first.service_principal_id == second.service_principal_id
        assert first.job_id == second.job_id


def test_engine_settings_given_to_the_lab() -> None:
    with Lab(seed=1, skip_default_access=False) as lab:
        assert (
            ok(lab.graph_client.get("/_fake/engine/settings")).json()["skip_default_access"]
            is False
        )


def test_a_served_lab_runs_the_same_engine_over_tcp() -> None:
    with Lab.served(seed=5) as lab:
        assert lab.graph_url.startswith("http://127.0.0.1:")
        assert lab.scim_url.startswith("http://127.0.0.1:")
        assert lab.transport.bound_hosts() == []  # nothing in-process
        yan = add_user(lab, "yan")
        assign(lab, yan)
        lab.start()
        (cycle,) = lab.advance("0")
        assert cycle["state"] == "Succeeded" and cycle["counts"]["create"] == 1
        assert miro_user(lab, "yan@contoso.com")["active"] is True


def test_engine_state_round_trips_with_the_fakes_state() -> None:
    from harness.testing.lab_steps import update_user

    with Lab(seed=6) as first:
        zed = add_user(first, "zed")
        assign(first, zed)
        first.start()
        first.advance("0")
        graph_state = ok(first.graph_client.get("/_fake/state")).json()
        miro_state = ok(first.miro_client.get("/_fake/state")).json()
        engine_state = ok(first.graph_client.get("/_fake/engine/state")).json()
        clock = first.clock.now()
        update_user(first, zed, surname="Next")
        expected = first.advance("40m")

    with Lab(seed=6) as second:
        second.clock.set(clock)
        ok(second.graph_client.put("/_fake/state", json=graph_state))
        ok(second.miro_client.put("/_fake/state", json=miro_state))
        ok(second.graph_client.put("/_fake/engine/state", json=engine_state))
        assert ok(second.graph_client.get("/_fake/engine/state")).json() == engine_state
        update_user(second, zed, surname="Next")
        replayed = second.advance("40m")
        assert replayed == expected  # same cycle id, same counts: the link was restored
        assert miro_user(second, "zed@contoso.com")["name"]["familyName"] == "Next"
        bad = second.graph_client.put("/_fake/engine/state", json={"format": "nope"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "BadRequest"


def test_a_strict_auth_graph_fake_gets_a_token_from_the_engine() -> None:
    with Lab(seed=8, strict_graph_auth=True) as lab:
        anonymous = lab.graph_client.get("/v1.0/users", headers={"Authorization": "Bearer made-up"})
        assert anonymous.status_code == 401
        ada = add_user(lab, "ada")
        assign(lab, ada)
        lab.start()
        (cycle,) = lab.advance("0")
        assert cycle["state"] == "Succeeded", cycle
        assert miro_user(lab, "ada@contoso.com") is not None


def test_the_fakes_journals_are_bounded_and_the_bound_is_a_lab_setting() -> None:
    with Lab(1, journal_limit=2) as lab:
        for _ in range(3):
            ok(lab.miro_client.get("/api/v1/scim/Users"))
            ok(lab.graph_client.get("/v1.0/users"))
        assert len(ok(lab.miro_client.get("/_fake/journal")).json()["requests"]) == 2
        assert len(ok(lab.graph_client.get("/_fake/journal")).json()["requests"]) == 2
    with Lab(1, journal_limit=2, miro_settings={"journal_limit": 3}) as lab:
        assert lab.miro.settings.journal_limit == 3
    with Lab(1) as lab:
        assert lab.miro.settings.journal_limit == 10_000
        assert lab.graph_app.extensions["mock_graph.journal"].limit == 10_000


def test_a_served_lab_runs_on_cheroot_unless_told_otherwise() -> None:
    with Lab.served(seed=5) as lab:
        assert [s.server for s in lab.servers] == ["cheroot", "cheroot"]
    with Lab.served(seed=5, server="werkzeug") as lab:
        assert [s.server for s in lab.servers] == ["werkzeug", "werkzeug"]
        yan = add_user(lab, "yan")
        assign(lab, yan)
        lab.start()
        (cycle,) = lab.advance("0")
        assert cycle["state"] == "Succeeded" and cycle["counts"]["create"] == 1


def test_advance_waits_for_cycles_longer_than_the_clients_read_timeout() -> None:
    with Lab.served(seed=5) as lab:
        lab.graph_client.timeout = httpx.Timeout(0.2)
        ok(
            lab.graph_client.post(
                "/_fake/faults", json={"path": "/v1.0/users/delta", "latency_ms": 500, "times": 1}
            )
        )
        lab.start()
        (cycle,) = lab.advance("0")
        assert cycle["state"] == "Succeeded"
