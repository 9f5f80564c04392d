"""Every route, from the apps' own URL maps, times credential variants: API routes (Graph
``/v1.0`` and ``/beta``, Miro's ``/api/v1/scim``) answer 401 without valid credentials and
change nothing; the control plane (``/_fake/``) answers 401 without the control token when the
harness has one, and no answer to a client without it carries the Miro token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.lab.surface import CONTROL_TOKEN_HEADER
from harness.serve.control import HEALTH_PATH
from harness.serve.served import ServeConfig, ServedHarness, control_token_for
from harness.testing.lab_steps import add_user, assign
from tests.support.hostile import Prober
from tests.support.hostile_routes import enumerate_routes

# A credential variant: its name and the Authorization header it sends (None: no header).
NO_CREDENTIALS = (
    ("no header", None),
    ("basic", "Basic dXNlcjpwYXNz"),
    ("bearer without a token", "Bearer"),
    ("bearer with a space", "Bearer a b"),
)
WRONG_MIRO_TOKEN = ("wrong token", "Bearer not-the-miro-token")


@pytest.fixture(scope="module")
def linked(served: ServedHarness) -> str:
    """A user the job has provisioned: a link for the beta objectConnections routes."""
    lab = served.current()
    user = add_user(lab, "linked")
    assign(lab, user, "User")
    lab.advance("40m")
    return user


def test_every_api_route_needs_credentials(
    served: ServedHarness, linked: str, prober: Prober
) -> None:
    routes = [r for r in enumerate_routes(served) if r.api]
    assert len(routes) > 100  # the URL maps were read, not a hand-written list
    for route in routes:
        variants = list(NO_CREDENTIALS)
        if route.listener == "miro":
            variants.append(WRONG_MIRO_TOKEN)
        for name, authorization in variants:
            headers = {} if authorization is None else {"Authorization": authorization}
            response = prober.send(
                route.listener,
                route.method,
                route.path.replace("<object_id>", linked),
                headers=headers,
                content=b"{}" if route.method in ("POST", "PUT", "PATCH") else None,
            )
            if response.status_code != 401:
                prober.note(
                    "unauthenticated",
                    f"{route.method} {route.rule} with {name}: {response.status_code}",
                )
    prober.check()


def test_the_beta_object_connection_is_kept_without_a_token(
    served: ServedHarness, linked: str, prober: Prober
) -> None:
    lab = served.current()
    path = (
        f"/beta/servicePrincipals/{lab.service_principal_id}/synchronization/jobs/"
        f"{lab.job_id}/objectConnections('{linked}')"
    )
    assert prober.send("graph", "DELETE", path).status_code == 401
    assert prober.send("graph", "GET", path).status_code == 401
    signed_in = {"Authorization": "Bearer any"}
    assert prober.send("graph", "GET", path, headers=signed_in).status_code == 200
    prober.check()


def test_the_control_plane_needs_the_control_token(served: ServedHarness, prober: Prober) -> None:
    routes = [r for r in enumerate_routes(served) if r.control]
    assert len(routes) > 30
    token = str(served.current().miro.settings.token)
    wrong = {CONTROL_TOKEN_HEADER: "not-the-control-token"}
    for route in routes:
        for headers in ({}, wrong):
            response = prober.send(
                route.listener,
                route.method,
                route.path,
                headers={"Authorization": f"Bearer {token}", **headers},
                content=b"{}" if route.method in ("POST", "PUT", "PATCH") else None,
            )
            if response.status_code != 401:
                prober.note("unauthenticated", f"control {route.method} {route.rule}")
            if token in response.text:
                prober.note("unauthenticated", f"the Miro token in {route.method} {route.rule}")
    for listener in ("graph", "miro"):
        assert prober.send(listener, "GET", HEALTH_PATH).status_code == 200
    with_token = prober.send("graph", "GET", "/_fake/lab", headers=prober.control)
    assert with_token.status_code == 200 and with_token.json()["miro_token"] == token
    settings = prober.send("miro", "GET", "/_fake/settings", headers=prober.control)
    assert settings.status_code == 200 and settings.json()["token"] == token
    prober.check()


def test_the_ready_file_with_a_token_is_private(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    config = ServeConfig(empty=True, control_token="a-control-token-0123", ready_file=ready)
    harness = ServedHarness(config).start()
    try:
        assert json.loads(ready.read_text())["control_token"] == "a-control-token-0123"
        assert ready.stat().st_mode & 0o077 == 0
    finally:
        harness.close(save=False)


def test_on_loopback_without_a_token_the_control_plane_stays_open() -> None:
    harness = ServedHarness(ServeConfig(empty=True)).start()
    probe = Prober(harness)
    try:
        assert harness.control_token is None
        info = probe.send("graph", "GET", "/_fake/lab")
        assert info.status_code == 200 and info.json()["control_token"] is None
        probe.check()
    finally:
        probe.close()
        harness.close(save=False)


@pytest.mark.parametrize(
    ("host", "given", "insecure", "expected"),
    [
        ("127.0.0.1", None, False, None),
        ("::1", None, False, None),
        ("localhost", None, False, None),
        ("0.0.0.0", None, False, "generated"),
        ("192.0.2.7", None, False, "generated"),
        ("0.0.0.0", None, True, None),
        ("0.0.0.0", "given-token-0123456789", False, "given-token-0123456789"),
        ("127.0.0.1", "given-token-0123456789", False, "given-token-0123456789"),
    ],
)
def test_the_control_token_is_required_beyond_loopback(
    host: str, given: str | None, insecure: bool, expected: str | None
) -> None:
    config = ServeConfig(host=host, control_token=given, insecure_control_plane=insecure)
    token = control_token_for(config)
    if expected == "generated":
        assert token is not None and len(token) >= 32 and token != control_token_for(config)
    else:
        assert token == expected
