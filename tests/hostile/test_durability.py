"""``harness serve --state``: periodic saves, ``POST /_fake/lab/save``, always atomic, leftover
temporary files removed at start, and what a kill -9 loses (what changed since the last save)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from harness.lab.state_files import read_state_file
from harness.serve.served import ServeConfig, ServedHarness
from tests.support.hostile import Prober

NEW_USER = {
    "accountEnabled": True,
    "displayName": "Saved",
    "mailNickname": "saved",
    "userPrincipalName": "saved@contoso.onmicrosoft.com",
    "passwordProfile": {"password": "x-Y-1-z!"},
}


def _holds_saved_user(path: Path) -> bool:
    if not path.exists():
        return False
    state = read_state_file(path)
    return any(
        o["data"].get("userPrincipalName") == NEW_USER["userPrincipalName"]
        for o in state["graph"]["objects"]
    )


def _wait_for(condition: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_saves_on_request_and_periodically_and_removes_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    leftover = tmp_path / ".state.json.k1ll3d.tmp"
    leftover.write_text('{"half": ')
    unrelated = tmp_path / ".other.json.x.tmp"
    unrelated.write_text("{}")
    harness = ServedHarness(ServeConfig(empty=True, state_file=path, save_every=0.2)).start()
    probe = Prober(harness)
    try:
        assert not leftover.exists() and unrelated.exists()
        created = probe.send(
            "graph", "POST", "/v1.0/users", headers={"Authorization": "Bearer x"}, json=NEW_USER
        )
        assert created.status_code == 201
        assert _wait_for(lambda: _holds_saved_user(path))  # a periodic save
        saved = probe.send("graph", "POST", "/_fake/lab/save", check_state=False)
        assert saved.status_code == 200
        assert saved.json()["bytes"] == path.stat().st_size
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [unrelated.name]
        probe.check()
    finally:
        probe.close()
        harness.close(save=False)


def test_save_without_a_state_file_is_a_400_in_graph_format(
    served: ServedHarness, prober: Prober
) -> None:
    answer = prober.send("graph", "POST", "/_fake/lab/save", headers=prober.control)
    assert answer.status_code == 400 and "--state" in answer.json()["error"]["message"]
    prober.check()


def _serve(
    tmp_path: Path, state: Path, name: str
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ready = tmp_path / f"{name}.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.serve",
            "--empty",
            "--state",
            str(state),
            "--save-every",
            "0.3",
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("wb"),
    )
    if not _wait_for(ready.exists, 60):
        process.kill()
        raise AssertionError((tmp_path / f"{name}.log").read_text())
    return process, json.loads(ready.read_text())


def test_a_kill_9_loses_only_what_changed_since_the_last_save(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first, info = _serve(tmp_path, state, "first")
    try:
        created = httpx.post(
            info["graph_url"] + "/users", json=NEW_USER, headers={"Authorization": "Bearer x"}
        )
        assert created.status_code == 201
        assert _wait_for(lambda: _holds_saved_user(state))
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    second, info = _serve(tmp_path, state, "second")
    try:
        users = httpx.get(
            info["graph_url"] + "/users", headers={"Authorization": "Bearer x"}
        ).json()["value"]
        assert NEW_USER["userPrincipalName"] in {u["userPrincipalName"] for u in users}
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    finally:
        second.kill()
        second.wait(10)
