"""RemoteLab: the Lab's HTTP surface over a served harness, built from its ready information."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.lab.local import Lab
from harness.lab.remote import ReadyInfoError, RemoteLab
from harness.serve.served import ServeConfig, ServedHarness
from harness.testing.lab_steps import add_user, assign, miro_user


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ServedHarness]:
    served = ServedHarness(ServeConfig(empty=True, seed=11, ready_file=tmp_path / "ready.json"))
    served.start()
    try:
        yield served
    finally:
        served.close(save=False)


def test_a_remote_lab_is_built_from_the_ready_file(harness: ServedHarness, tmp_path: Path) -> None:
    with RemoteLab.from_ready_file(tmp_path / "ready.json") as remote, Lab(11) as local:
        assert remote.graph_url == harness.graph_listener.url
        assert remote.scim_url == harness.miro_listener.url + "/api/v1/scim"
        # Same seed, same ids as an in-process lab.
        assert remote.service_principal_id == local.service_principal_id
        assert remote.job_id == local.job_id
        assert remote.app_roles == local.app_roles


def test_the_same_steps_give_the_same_results_remotely_and_in_process(
    harness: ServedHarness,
) -> None:
    with RemoteLab.from_url(harness.graph_listener.url) as remote, Lab(11) as local:
        results = []
        for lab in (remote, local):
            greta = add_user(lab, "greta")
            assign(lab, greta)
            assert lab.job()["schedule"]["state"] == "Disabled"
            lab.start()
            cycles = lab.advance("0")
            user = miro_user(lab, "greta@contoso.com")
            assert user is not None
            logs = lab.provisioning_logs("action eq 'Create'")
            results.append(
                (cycles, lab.job()["status"]["code"], user["userName"], [e["id"] for e in logs])
            )
        assert results[0] == results[1]


def test_reset_gives_a_fresh_lab_behind_the_same_urls(harness: ServedHarness) -> None:
    with RemoteLab.from_url(harness.graph_listener.url) as remote:
        add_user(remote, "hans")
        url = remote.graph_url
        remote.reset(5, settings={"skip_default_access": False}, miro_settings={"token": "t2"})
        assert remote.graph_url == url
        assert remote.graph_client.get("/v1.0/users").json()["value"] == []
        with Lab(5) as local:
            assert remote.service_principal_id == local.service_principal_id
        settings = remote.graph_client.get("/_fake/engine/settings").json()
        assert settings["skip_default_access"] is False
        assert remote.miro_client.get("/api/v1/scim/Users").status_code == 200  # new token adopted
        assert remote.graph_client.get("/_fake/clock").json()["now"] == "2026-01-05T09:00:00Z"


def test_state_moves_between_served_harnesses(harness: ServedHarness, tmp_path: Path) -> None:
    other = ServedHarness(ServeConfig(empty=True)).start()
    try:
        with (
            RemoteLab.from_url(harness.graph_listener.url) as source,
            RemoteLab.from_url(other.graph_listener.url) as target,
        ):
            assign(source, add_user(source, "ida"))
            source.start()
            source.advance("0")
            target.load_state(source.state())
            assert target.service_principal_id == source.service_principal_id
            moved, original = (
                miro_user(target, "ida@contoso.com"),
                miro_user(source, "ida@contoso.com"),
            )
            assert moved is not None and original is not None
            assert (moved["id"], moved["externalId"]) == (original["id"], original["externalId"])
            # Resource URLs name the server that answers (its own port).
            assert moved["meta"]["location"].startswith(target.scim_url)
            assert target.advance("40m")[0]["state"] == "Succeeded"
    finally:
        other.close(save=False)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({}, "lacks graph_url, miro_url"),
        (
            {
                "graph_url": "http://h/v2",
                "miro_url": "http://m/api/v1/scim",
                "miro_token": "t",
                "tenant_id": "t",
                "service_principal_id": "s",
                "job_id": "j",
                "clock_url": "c",
            },
            "graph_url must end with /v1.0",
        ),
    ],
)
def test_bad_ready_information_is_refused(info: dict[str, str], message: str) -> None:
    with pytest.raises(ReadyInfoError, match=message):
        RemoteLab(info)


def test_an_unreadable_ready_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ReadyInfoError, match="does not hold a JSON object"):
        RemoteLab.from_ready_file(tmp_path / "r.json")
    with pytest.raises(ReadyInfoError, match="cannot read ready file"):
        RemoteLab.from_ready_file(tmp_path / "missing.json")
