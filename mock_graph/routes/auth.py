"""Bearer tokens. By default any non-empty bearer token is accepted; in strict mode only tokens
issued by the fake's own client-credentials endpoint ``POST /{tenant}/oauth2/v2.0/token``, and
only until they expire (by the app's clock)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request

from mock_graph.exceptions import invalid_auth
from mock_graph.models import GraphBackend

TOKEN_LIFETIME = 3599
bp = Blueprint("graph_auth", __name__)


def _b64(data: dict[str, Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _aad_error(status: int, error: str, code: int, description: str) -> Response:
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
    }
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


@bp.post("/<tenant>/oauth2/v2.0/token")
def token(tenant: str) -> Response:
    b: GraphBackend = current_app.extensions["mock_graph"]
    expected = current_app.config.get("MOCK_GRAPH_TENANT_ID")
    if (
        expected
        and tenant.lower() not in (str(expected).lower(), b.tenant_id.lower())
        and not _is_domain_of(b, tenant)
    ):
        return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
    form = request.form
    grant = form.get("grant_type")
    if grant is None:
        return _aad_error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        )
    if grant != "client_credentials":
        return _aad_error(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant}'.",
        )
    for name in ("client_id", "scope"):
        if not form.get(name):
            return _aad_error(
                400,
                "invalid_request",
                900144,
                f"The request body must contain the following parameter: '{name}'.",
            )
    if not form.get("client_secret") and not form.get("client_assertion"):
        return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
    if not form["scope"].endswith("/.default"):
        return _aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form['scope']} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        )
    now = b.now()
    expiry = now + timedelta(seconds=TOKEN_LIFETIME)
    payload = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{b.tenant_id}/",
        "tid": b.tenant_id,
        "appid": form["client_id"],
        "iat": int(now.timestamp()),
        "exp": int(expiry.timestamp()),
        "jti": b.new_id(),
    }
    access = f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(payload)}.fake"
    b.issue_token(access, expiry)
    body = {
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "ext_expires_in": TOKEN_LIFETIME,
        "access_token": access,
    }
    return Response(json.dumps(body), status=200, content_type="application/json; charset=utf-8")


def _is_domain_of(b: GraphBackend, tenant: str) -> bool:
    return tenant.lower() in [d.lower() for d in b.settings.verified_domains]


def check_bearer(b: GraphBackend, strict: bool) -> None:
    """Raise Graph's 401 unless the request carries an acceptable bearer token."""
    header = request.headers.get("Authorization", "")
    match = re.fullmatch(r"\s*Bearer\s+(\S+)\s*", header, re.IGNORECASE)
    if not match:
        raise invalid_auth("Access token is empty.")
    if not strict:
        return
    expiry = b.token_expiry(match.group(1))
    if expiry is None:
        raise invalid_auth("CompactToken parsing failed with error code: 80049217")
    if b.now() >= expiry:
        raise invalid_auth("Access token has expired or is not yet valid.")
