"""OpenID Connect metadata on the Graph fake
(https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

import mock_graph

DOMAIN = "fabrikam.example"


@pytest.fixture
def client() -> FlaskClient:
    app = mock_graph.create_app()
    app.extensions["mock_graph"].update_settings({"verified_domains": [DOMAIN]})
    return app.test_client()


def tenant_id(client: FlaskClient) -> str:
    assert client.application is not None
    return str(client.application.extensions["mock_graph"].tenant_id)


@pytest.mark.parametrize("segment", ["id", "domain", "default-domain"])
def test_v2_metadata_by_tenant_id_or_domain(client: FlaskClient, segment: str) -> None:
    tid = tenant_id(client)
    name = {"id": tid, "domain": DOMAIN, "default-domain": "contoso.onmicrosoft.com"}[segment]
    answer = client.get(f"/{name}/v2.0/.well-known/openid-configuration")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json  # type: ignore[assignment]
    root = "http://localhost"
    assert body["token_endpoint"] == f"{root}/{tid}/oauth2/v2.0/token"
    assert body["authorization_endpoint"] == f"{root}/{tid}/oauth2/v2.0/authorize"
    assert body["jwks_uri"] == f"{root}/{tid}/discovery/v2.0/keys"
    assert body["issuer"] == f"{root}/{tid}/v2.0"
    assert client.get(f"/{tid}/discovery/v2.0/keys").json == {"keys": []}


@pytest.mark.parametrize("tenant", ["common", "organizations"])
def test_multi_tenant_metadata(client: FlaskClient, tenant: str) -> None:
    body = client.get(f"/{tenant}/v2.0/.well-known/openid-configuration").json
    assert body is not None
    assert body["token_endpoint"] == f"http://localhost/{tenant}/oauth2/v2.0/token"
    assert body["issuer"] == "http://localhost/{tenantid}/v2.0"


def test_v1_metadata(client: FlaskClient) -> None:
    tid = tenant_id(client)
    body = client.get(f"/{tid}/.well-known/openid-configuration").json
    assert body is not None
    assert body["token_endpoint"] == f"http://localhost/{tid}/oauth2/token"
    assert body["authorization_endpoint"] == f"http://localhost/{tid}/oauth2/authorize"
    assert body["issuer"] == f"https://sts.windows.net/{tid}/"
    assert body["jwks_uri"] == "http://localhost/common/discovery/keys"


@pytest.mark.parametrize("version", ["v2.0/", ""])
def test_an_unknown_tenant_is_aadsts90002(client: FlaskClient, version: str) -> None:
    answer = client.get(f"/nowhere.example/{version}.well-known/openid-configuration")
    assert answer.status_code == 400
    body = answer.json
    assert body is not None
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nowhere.example' not found.")
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= set(body)
