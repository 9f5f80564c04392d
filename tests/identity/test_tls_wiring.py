"""``--tls`` / ``--strict-auth`` everywhere a lab is served: ``harness serve`` (its ready file,
its flags, a saved state), the pytest plugin's labs and the container backend."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from harness.lab import backends
from harness.lab.backends import ContainerPlan, container_lab, open_lab
from harness.serve.served import ServeConfig, ServedHarness
from tests.support.container import ServedContainer

pytest_plugins = ("pytester",)


def test_the_ready_file_names_the_identity_and_the_ca(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    harness = ServedHarness(
        ServeConfig(seed=1, empty=True, tls=True, ready_file=ready, tls_dir=tmp_path / "tls")
    ).start()
    try:
        info = json.loads(ready.read_text())
        assert info["graph_url"].startswith("https://127.0.0.1:")
        assert info["miro_url"].startswith("https://127.0.0.1:")
        assert info["authority"] == info["graph_url"].removesuffix("/v1.0")
        assert info["ca_bundle"] == str(tmp_path / "tls" / "ca.pem")
        assert info["strict_auth"] is False
        assert ready.stat().st_mode & 0o777 == 0o600  # it holds the client secret
        trust = ssl.create_default_context(cafile=info["ca_bundle"])
        # Without the CA a client refuses the fake; with it, the health answers.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(info["health_url"])
        assert httpx.get(info["health_url"], verify=trust).status_code == 200
        miro = httpx.get(
            f"{info['miro_url']}/Users",
            headers={"Authorization": f"Bearer {info['miro_token']}"},
            verify=trust,
        )
        assert miro.status_code == 200
        # Lenient (no --strict-auth): any bearer token passes, the client still gets a token.
        assert (
            httpx.get(
                f"{info['graph_url']}/users", headers={"Authorization": "Bearer x"}, verify=trust
            ).status_code
            == 200
        )
    finally:
        harness.close(save=False)


def test_without_tls_the_ready_file_is_as_before() -> None:
    harness = ServedHarness(ServeConfig(empty=True)).start()
    try:
        info = harness.ready_info()
        assert info["graph_url"].startswith("http://")
        assert not {"authority", "ca_bundle", "client_id", "client_secret"} & set(info)
    finally:
        harness.close(save=False)


def test_a_saved_strict_state_loads_with_this_runs_secret(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = ServedHarness(
        ServeConfig(seed=2, tls=True, strict_auth=True, state_file=state, save_every=0)
    ).start()
    client_id = first.ready_info()["client_id"]
    first.close()
    second = ServedHarness(
        ServeConfig(seed=2, tls=True, strict_auth=True, state_file=state, save_every=0)
    ).start()
    try:
        info = second.ready_info()
        assert info["client_id"] == client_id
        trust = ssl.create_default_context(cafile=info["ca_bundle"])
        answer = httpx.post(
            f"{info['authority']}/{info['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "scope": "https://graph.microsoft.com/.default",
            },
            verify=trust,
        )
        assert answer.status_code == 200, answer.text
        # The engine signs in too: a cycle runs against the strict Graph fake.
        lab = second.current()
        lab.start()
        (cycle,) = lab.advance("0")
        assert cycle["state"] == "Succeeded" and cycle["counts"]["create"] > 0
    finally:
        second.close(save=False)


def test_serve_refuses_tls_flags_it_cannot_honour() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "harness.serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    result = run("--tls", "--server", "waitress")
    assert result.returncode == 2 and "waitress serves no TLS" in result.stderr
    result = run("--tls-dir", "/tmp/x")
    assert result.returncode == 2 and "--tls-dir needs --tls" in result.stderr


def test_a_thread_lab_over_tls_with_strict_auth_provisions() -> None:
    with open_lab("thread", 4, tls=True, strict_auth=True) as lab:
        assert lab.graph_url.startswith("https://") and lab.scim_url.startswith("https://")
        user = lab.graph_client.post(
            "/v1.0/users",
            json={
                "accountEnabled": True,
                "displayName": "Tls",
                "mailNickname": "tls",
                "userPrincipalName": "tls@contoso.com",
                "passwordProfile": {"password": "Passw0rd!Passw0rd"},
            },
        )
        assert user.status_code == 201, user.text
        assigned = lab.graph_client.post(
            f"/v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo",
            json={
                "principalId": user.json()["id"],
                "resourceId": lab.service_principal_id,
                "appRoleId": lab.app_roles["User"],
            },
        )
        assert assigned.status_code == 201, assigned.text
        lab.start()
        lab.advance("0")
        found = lab.miro_client.get(
            "/api/v1/scim/Users", params={"filter": 'userName eq "tls@contoso.com"'}
        )
        assert found.json()["totalResults"] == 1


def test_the_plugin_options_reach_the_labs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_tls="""
        def test_served(served_lab, harness_identity):
            assert harness_identity == {"tls": True, "strict_auth": True}
            assert served_lab.graph_url.startswith("https://127.0.0.1:")
            bare = served_lab.graph_client.get(
                "/v1.0/users", headers={"Authorization": "Bearer made-up"})
            assert bare.status_code == 401
            assert served_lab.graph_client.get("/v1.0/users").status_code == 200
    """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n0", "--harness-tls", "--harness-strict-auth"
    )
    result.assert_outcomes(passed=1)


class TlsStandIn(ServedContainer):
    """``harness serve --tls --strict-auth``, whose CA ``exec`` reads as the backend would
    from the container."""

    config = ServeConfig(empty=True, tls=True, strict_auth=True)
    instances: ClassVar[list[ServedContainer]] = []

    def start(self) -> ServedContainer:
        assert "--tls" in self.command and "--strict-auth" in self.command
        return super().start()


def test_the_container_backend_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "docker_unavailable_reason", lambda: None)
    monkeypatch.setenv(backends.IMAGE_ENV, "prebuilt:tag")
    plan = ContainerPlan(tls=True, strict_auth=True)
    assert plan.command[-4:] == ["--tls", "--tls-dir", "/tmp/harness-tls", "--strict-auth"]
    assert type(plan.wait_strategy()).__name__ == "LogMessageWaitStrategy"
    try:
        remote = container_lab(plan, container_class=TlsStandIn)
        assert remote.graph_url.startswith("https://localhost:")
        copy = Path(remote.info["ca_bundle"])
        assert copy.is_file() and str(copy) != "/tmp/harness-tls/ca.pem"  # a copy on this side
        here = {key: remote.info[key] for key in ("graph_url", "miro_url", "ca_bundle")}
        remote.reset(3)
        assert remote.graph_client.get("/v1.0/users").status_code == 200  # a real token
        # The server answers the reset with its own addresses; this side's stay.
        assert {key: remote.info[key] for key in here} == here
    finally:
        backends.stop_containers()
    assert not copy.parent.exists()  # the copy does not outlive its container


def test_a_strict_labs_client_signs_in_again_when_its_token_expires() -> None:
    with open_lab("thread", 5, tls=True, strict_auth=True) as lab:
        stale = lab.graph_client.headers["Authorization"]
        lab.advance("2h")  # past the token's 3599 seconds
        assert lab.graph_client.get("/v1.0/users").status_code == 200
        assert lab.graph_client.headers["Authorization"] != stale
        # A request that brings its own (expired) token gets the fake's answer unchanged.
        own = lab.graph_client.get("/v1.0/users", headers={"Authorization": stale})
        assert own.status_code == 401
        assert own.json()["error"]["message"] == "Access token has expired or is not yet valid."
