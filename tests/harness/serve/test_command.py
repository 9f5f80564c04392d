"""``harness serve`` as a real process: ready file, tokens, a cycle over HTTP, signals, state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.testing.lab_steps import add_user, assign, miro_user, ok

READY_KEYS = {
    "graph_url",
    "miro_url",
    "miro_token",
    "tenant_id",
    "service_principal_id",
    "job_id",
    "clock_url",
}
START_TIMEOUT = 60.0


@contextmanager
def served(
    tmp_path: Path, *args: str, name: str = "ready.json"
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """``python -m harness.serve --ready-file ... *args`` on free ports, killed at the end."""
    ready = tmp_path / name
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.serve", "--ready-file", str(ready), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if process.poll() is not None:
                pytest.fail(
                    f"harness serve exited with {process.returncode}:\n{_log(tmp_path, name)}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no ready file after {START_TIMEOUT}s:\n{_log(tmp_path, name)}")
            time.sleep(0.05)
        yield process, json.loads(ready.read_text())
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        log.close()


def _log(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text()[-3000:]


def stop(process: subprocess.Popen[str], signum: int) -> int:
    process.send_signal(signum)
    return process.wait(20)


class Remote:
    """Just enough of the Lab's HTTP surface for the step helpers, built from a ready file."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.graph_root = info["graph_url"].removesuffix("/v1.0")
        self.service_principal_id = info["service_principal_id"]
        self.job_id = info["job_id"]
        self.graph_client = httpx.Client(
            base_url=self.graph_root, timeout=30, headers={"Authorization": "Bearer test"}
        )
        self.miro_client = httpx.Client(
            base_url=info["miro_url"].removesuffix("/api/v1/scim"),
            timeout=30,
            headers={"Authorization": f"Bearer {info['miro_token']}"},
        )
        sp = ok(
            self.graph_client.get(f"/v1.0/servicePrincipals/{self.service_principal_id}")
        ).json()
        self.app_roles = {r["displayName"]: r["id"] for r in sp["appRoles"]}

    def close(self) -> None:
        self.graph_client.close()
        self.miro_client.close()


def without_urls(state: dict[str, Any]) -> dict[str, Any]:
    """A lab state with the served ports taken out (a restart gets new free ports)."""
    text = json.dumps(state)
    for key in ("graphUrl", "scimUrl"):
        text = text.replace(state[key].removesuffix("/api/v1/scim"), "<url>")
    return json.loads(text)


@pytest.mark.slow
def test_serve_answers_provisions_over_http_and_round_trips_its_state(tmp_path: Path) -> None:
    state_file = tmp_path / "case.json"
    with served(
        tmp_path, "--empty", "--seed", "7", "--miro-token", "s3cret", "--state", str(state_file)
    ) as (process, info):
        assert set(info) >= READY_KEYS
        assert info["graph_url"].endswith("/v1.0") and info["miro_url"].endswith("/api/v1/scim")
        assert info["miro_token"] == "s3cret"
        assert info["clock_url"] == info["graph_url"].removesuffix("/v1.0") + "/_fake/clock"
        remote = Remote(info)
        try:
            # Both fakes answer; the Miro token is the one given, and no other.
            assert ok(remote.graph_client.get("/v1.0/users")).json()["value"] == []
            # An empty tenant's Miro holds only the SCIM token's owner (a fresh organisation).
            assert ok(remote.miro_client.get("/api/v1/scim/Users")).json()["totalResults"] == 1
            assert (
                httpx.get(
                    info["miro_url"] + "/Users", headers={"Authorization": "Bearer wrong"}
                ).status_code
                == 401
            )
            assert (
                httpx.get(info["graph_url"].removesuffix("/v1.0") + "/_fake/health").json()[
                    "status"
                ]
                == "ok"
            )
            assert (
                httpx.get(
                    info["miro_url"].removesuffix("/api/v1/scim") + "/_fake/health"
                ).status_code
                == 200
            )
            org = ok(remote.graph_client.get("/v1.0/organization")).json()["value"]
            assert org[0]["id"] == info["tenant_id"]

            # A cycle driven over HTTP: set up, start through the sync API, advance the clock.
            erin = add_user(remote, "erin")
            assign(remote, erin)
            add_user(remote, "frank")  # not assigned: stays out of Miro
            job_path = f"/v1.0/servicePrincipals/{info['service_principal_id']}/synchronization/jobs/{info['job_id']}"
            ok(remote.graph_client.post(f"{job_path}/start"), 204)
            cycles = ok(httpx.post(info["clock_url"], json={"advance": "0"})).json()["cycles"]
            assert [c["type"] for c in cycles] == ["initial"]
            assert miro_user(remote, "erin@contoso.com") is not None
            assert miro_user(remote, "frank@contoso.com") is None
            before = without_urls(ok(remote.graph_client.get("/_fake/lab/state")).json())
        finally:
            remote.close()
        assert stop(process, signal.SIGINT) == 0
    saved = json.loads(state_file.read_text())
    assert saved["format"] == "harness-lab-state"
    assert without_urls(saved) == before

    # Another person starts it from the file: same state, and the job goes on from there.
    with served(tmp_path, "--state", str(state_file), name="again.json") as (process, info):
        remote = Remote(info)
        try:
            after = without_urls(ok(remote.graph_client.get("/_fake/lab/state")).json())
            assert after == before
            assert info["miro_token"] == "s3cret"
            cycles = ok(httpx.post(info["clock_url"], json={"advance": "40m"})).json()["cycles"]
            assert [(c["type"], c["state"]) for c in cycles] == [("incremental", "Succeeded")]
        finally:
            remote.close()
        assert stop(process, signal.SIGTERM) == 0
    assert json.loads(state_file.read_text())["clock"] == "2026-01-05T09:40:00+00:00"
    assert not (tmp_path / "again.json").exists()  # a stopped harness leaves no stale ready file


@pytest.mark.slow
def test_serve_seeds_a_demo_tenant_and_starts_the_job(tmp_path: Path) -> None:
    with served(tmp_path, "--seed", "3", "--users", "6", "--groups", "2", "--start") as (
        process,
        info,
    ):
        graph = info["graph_url"]
        users = httpx.get(graph + "/users", headers={"Authorization": "Bearer x"}).json()["value"]
        assert len(users) == 6
        miro = httpx.get(
            info["miro_url"] + "/Groups", headers={"Authorization": f"Bearer {info['miro_token']}"}
        ).json()
        # A team per group, before any cycle, and the organisation's Default team.
        assert miro["totalResults"] == 3
        cycles = httpx.post(info["clock_url"], json={"advance": "0"}).json()["cycles"]
        counts = cycles[0]["counts"]
        # Two users in three (4 of 6) are assigned, plus both groups, whose teams are matched.
        assert counts["create"] == 4 and counts["update"] == 2, counts
        assert stop(process, signal.SIGTERM) == 0
    log = _log(tmp_path, "ready.json")
    assert 'miro 127.0.0.1 "POST /api/v1/scim/Users" 201' in log
    assert 'graph 127.0.0.1 "POST /_fake/clock" 200' in log


def test_serve_refuses_bad_flags_clearly(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "harness.serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    result = run("--speed", "10")
    assert result.returncode == 2 and "--speed needs --realtime" in result.stderr
    result = run("--graph-port", "8123", "--miro-port", "8123")
    assert result.returncode == 2 and "different ports" in result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    result = run("--state", str(bad), "--ready-file", str(tmp_path / "r.json"))
    assert result.returncode == 1 and "not a harness state file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.json").exists()
    assert bad.read_text() == '{"format": "something else"}'  # never overwritten on a failed start


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_a_busy_port_is_reported_not_a_traceback(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "harness.serve", "--graph-port", str(port), "--empty"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"could not bind 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_offers_exactly_the_documented_flags() -> None:
    import click

    from harness.serve.command import serve

    assert isinstance(serve, click.Command) and serve.name == "serve"
    flags = {opt for param in serve.params for opt in param.opts}
    assert flags >= {
        "--graph-port",
        "--miro-port",
        "--host",
        "--start",
        "--empty",
        "--seed",
        "--users",
        "--groups",
        "--miro-token",
        "--ready-file",
        "--state",
        "--realtime",
        "--speed",
    }
    defaults = {param.name: param.default for param in serve.params}
    assert defaults["host"] == "127.0.0.1"
    assert defaults["graph_port"] == 0 and defaults["miro_port"] == 0
