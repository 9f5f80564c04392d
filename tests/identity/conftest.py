"""``harness serve --tls --strict-auth`` as a separate process, and what its clients need."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

BIN = Path(sys.executable).parent  # harness, installed beside this Python
STARTUP = 60.0


def start_serve(folder: Path, *flags: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """``harness serve --ready-file ready.json FLAGS`` in ``folder``, once its ready file is
    written: the process and the ready-file object."""
    ready = folder / "ready.json"
    process = subprocess.Popen(
        [str(BIN / "harness"), "serve", "--ready-file", str(ready), *flags],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "serve.log").open("wb"),
    )
    deadline = time.monotonic() + STARTUP
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError((folder / "serve.log").read_text()[-3000:])
        time.sleep(0.1)
    return process, json.loads(ready.read_text())


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def strict_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A strict, TLS ``harness serve`` with an empty tenant, cycles on the wall clock."""
    folder = tmp_path_factory.mktemp("strict-serve")
    process, info = start_serve(folder, "--tls", "--strict-auth", "--empty", "--realtime")
    info["folder"] = str(folder)
    try:
        yield info
    finally:
        stop(process)


def trust(info: dict[str, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=info["ca_bundle"])


def client_token(info: dict[str, Any], client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{info['authority']}/{info['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=trust(info),
    )


def admin_graph(info: dict[str, Any]) -> httpx.Client:
    """An httpx client on the Graph fake, signed in as the ready file's client."""
    answer = client_token(info, info["client_id"], info["client_secret"])
    assert answer.status_code == 200, answer.text
    return httpx.Client(
        base_url=info["graph_url"],
        headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
        verify=trust(info),
        timeout=30,
    )


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}
