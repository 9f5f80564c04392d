"""A production-style script on azure-identity + msgraph-sdk (tests/identity/miro_automation.py)
runs against ``harness serve --tls --strict-auth`` with only its authority, Graph base URL and
CA bundle changed: it instantiates Miro from the gallery, assigns a group, saves the Miro token,
starts the job and reads the provisioning logs; the Miro fake then holds the group's members."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from mock_miro.settings import DEFAULT_TOKEN_OWNER
from tests.identity.conftest import admin_graph, subprocess_env

SCRIPT = Path(__file__).with_name("miro_automation.py")


def script_env(info: dict[str, Any], **extra: str) -> dict[str, str]:
    """The script's configuration; authority and Graph base URL (with CA_BUNDLE, the third
    setting) are what point production code at the fakes."""
    return subprocess_env(
        AZURE_TENANT_ID=info["tenant_id"],
        AZURE_CLIENT_ID=info["client_id"],
        AZURE_CLIENT_SECRET=info["client_secret"],
        MIRO_SCIM_URL=info["miro_url"],
        MIRO_TOKEN=info["miro_token"],
        MIRO_GROUP="Miro Users",
        AZURE_AUTHORITY=info["authority"],
        GRAPH_BASE_URL=info["graph_url"],
        **extra,
    )


def add_group_with_members(graph: httpx.Client, name: str, nicks: list[str]) -> None:
    group = graph.post(
        "/groups",
        json={
            "displayName": name,
            "mailEnabled": False,
            "mailNickname": name.lower().replace(" ", ""),
            "securityEnabled": True,
        },
    )
    assert group.status_code == 201, group.text
    for nick in nicks:
        user = graph.post(
            "/users",
            json={
                "accountEnabled": True,
                "displayName": nick.capitalize(),
                "mailNickname": nick,
                "userPrincipalName": f"{nick}@contoso.com",
                "passwordProfile": {"password": "Passw0rd!Passw0rd"},
            },
        )
        assert user.status_code == 201, user.text
        ref = {"@odata.id": f"{graph.base_url}/directoryObjects/{user.json()['id']}"}
        added = graph.post(f"/groups/{group.json()['id']}/members/$ref", json=ref)
        assert added.status_code == 204, added.text


def test_the_production_script_provisions_a_group(strict_serve: dict[str, Any]) -> None:
    info = strict_serve
    with admin_graph(info) as graph:
        add_group_with_members(graph, "Miro Users", ["ana", "ben", "cy"])
    env = script_env(info, CA_BUNDLE=info["ca_bundle"])
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "Miro Contoso"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    users_logged = [e for e in result["logs"] if "@" in str(e["user"])]
    assert sorted((e["user"], e["action"], e["status"]) for e in users_logged) == [
        ("ana@contoso.com", "create", "success"),
        ("ben@contoso.com", "create", "success"),
        ("cy@contoso.com", "create", "success"),
    ]
    users = httpx.get(
        f"{info['miro_url']}/Users",
        headers={"Authorization": f"Bearer {info['miro_token']}"},
        verify=ssl.create_default_context(cafile=info["ca_bundle"]),
    )
    assert users.status_code == 200
    # Miro's organisation also holds the admin who generated the SCIM token, untouched.
    assert sorted(u["userName"] for u in users.json()["Resources"]) == [
        "ana@contoso.com",
        "ben@contoso.com",
        "cy@contoso.com",
        DEFAULT_TOKEN_OWNER,
    ]


def test_the_script_fails_without_the_ca(strict_serve: dict[str, Any]) -> None:
    """Certificate verification is on: without CA_BUNDLE the script cannot reach the fake."""
    info = strict_serve
    env = script_env(info)
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in run.stderr
