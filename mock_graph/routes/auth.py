"""The identity platform's side of the fake: OpenID Connect metadata, the client-credentials
token endpoint ``POST /{tenant}/oauth2/v2.0/token`` and the bearer check of Graph's routes.

By default any non-empty bearer token is accepted and any client secret gets a token. With
``strict_auth`` only tokens issued here pass, until they expire (by the app's clock). With
``check_credentials`` (``harness serve --strict-auth``) the token endpoint also accepts only an
application of the tenant and a secret made for it by ``addPassword``, the token's ``roles``
claim lists the Microsoft Graph application permissions granted to the client's service
principal, and each Graph route asks for its permission (:mod:`mock_graph.permissions`)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from mock_graph.exceptions import GraphError, invalid_auth
from mock_graph.models import GraphBackend
from mock_graph.models.backend import DEFAULT_DOMAIN
from mock_graph.models.credentials import ClientCheck
from mock_graph.permissions import MICROSOFT_GRAPH_APP_ID, permitted

TOKEN_LIFETIME = 3599
bp = Blueprint("graph_auth", __name__)


def _b64(data: dict[str, Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _aad_error(status: int, error: str, code: int, description: str) -> Response:
    """The identity platform's error JSON
    (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes)."""
    b: GraphBackend = current_app.extensions["mock_graph"]
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
        "timestamp": b.now().strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": g.get("request_id", ""),
        "correlation_id": g.get("client_request_id", ""),
        "error_uri": f"{request.host_url.rstrip('/')}/error?code={code}",
    }
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


# Tenant names every tenant answers to besides its id and domains (the multi-tenant endpoints).
MULTI_TENANT = ("common", "organizations")
_TENANT_NOT_FOUND = (
    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
    "signing into the correct cloud. Check with your subscription administrator, this may "
    "happen if there are no active subscriptions for the tenant."
)


def _is_this_tenant(b: GraphBackend, tenant: str) -> bool:
    expected = current_app.config.get("MOCK_GRAPH_TENANT_ID")
    # The initial onmicrosoft.com domain always names the tenant, besides its verified ones.
    names = {b.tenant_id.lower(), b.default_domain().lower(), DEFAULT_DOMAIN}
    if expected:
        names.add(str(expected).lower())
    return tenant.lower() in names or _is_domain_of(b, tenant)


def _metadata(tenant: str, version: str) -> Response:
    """OpenID Connect discovery (https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc):
    MSAL and azure-identity read it first, to find the token endpoint."""
    b: GraphBackend = current_app.extensions["mock_graph"]
    multi = tenant.lower() in MULTI_TENANT
    if not multi and not _is_this_tenant(b, tenant):
        return _aad_error(400, "invalid_tenant", 90002, _TENANT_NOT_FOUND.format(tenant=tenant))
    root = request.host_url.rstrip("/")
    segment = tenant.lower() if multi else b.tenant_id
    issuer_tenant = "{tenantid}" if multi else b.tenant_id
    if version == "v2.0":
        oauth, keys, issuer = (
            f"{root}/{segment}/oauth2/v2.0",
            f"{root}/{segment}/discovery/v2.0/keys",
            f"{root}/{issuer_tenant}/v2.0",
        )
    else:
        oauth, keys, issuer = (
            f"{root}/{segment}/oauth2",
            f"{root}/common/discovery/keys",
            f"https://sts.windows.net/{issuer_tenant}/",
        )
    body = {
        "token_endpoint": f"{oauth}/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": keys,
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{oauth}/authorize",
        "device_authorization_endpoint": f"{oauth}/devicecode",
        "end_session_endpoint": f"{oauth}/logout",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "tenant_region_scope": None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }
    return Response(json.dumps(body), status=200, content_type="application/json; charset=utf-8")


@bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
def openid_configuration_v2(tenant: str) -> Response:
    return _metadata(tenant, "v2.0")


@bp.get("/<tenant>/.well-known/openid-configuration")
def openid_configuration_v1(tenant: str) -> Response:
    return _metadata(tenant, "v1")


@bp.get("/<tenant>/discovery/v2.0/keys")
@bp.get("/<tenant>/discovery/keys")
def signing_keys(tenant: str) -> Response:
    """The fake signs nothing (its tokens are unsigned): an empty key set."""
    return Response(
        json.dumps({"keys": []}), status=200, content_type="application/json; charset=utf-8"
    )


@bp.post("/<tenant>/oauth2/v2.0/token")
def token(tenant: str) -> Response:
    b: GraphBackend = current_app.extensions["mock_graph"]
    checking = bool(current_app.config.get("MOCK_GRAPH_CHECK_CREDENTIALS"))
    if (checking or current_app.config.get("MOCK_GRAPH_TENANT_ID")) and not _is_this_tenant(
        b, tenant
    ):
        return _aad_error(400, "invalid_request", 90002, _TENANT_NOT_FOUND.format(tenant=tenant))
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
    roles: frozenset[str] = frozenset()
    if checking:
        refusal = _refuse_client(b, tenant, form["client_id"], form.get("client_secret") or "")
        if refusal is not None:
            return refusal
        roles = b.granted_roles(form["client_id"], MICROSOFT_GRAPH_APP_ID)
    now = b.now()
    expiry = now + timedelta(seconds=TOKEN_LIFETIME)
    payload: dict[str, Any] = {
        "aud": "https://graph.microsoft.com",
        "iss": f"https://sts.windows.net/{b.tenant_id}/",
        "tid": b.tenant_id,
        "appid": form["client_id"],
        "idtyp": "app",
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(expiry.timestamp()),
        "jti": b.new_id(),
    }
    if roles:  # the claim is absent when nothing is granted
        payload["roles"] = sorted(roles)
    access = f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(payload)}.fake"
    b.issue_token(access, expiry, roles)
    body = {
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "ext_expires_in": TOKEN_LIFETIME,
        "access_token": access,
    }
    return Response(json.dumps(body), status=200, content_type="application/json; charset=utf-8")


def _refuse_client(b: GraphBackend, tenant: str, client_id: str, secret: str) -> Response | None:
    """Entra's answer to an unknown client, a wrong secret or an expired one; None if valid.
    Wording from https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes."""
    if not secret:  # a client assertion: the fake checks secrets only
        return _aad_error(401, "invalid_client", 7000215, _invalid_secret(client_id))
    check = b.check_client(client_id, secret)
    if check is ClientCheck.UNKNOWN_CLIENT:
        return _aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may "
            "have sent your authentication request to the wrong tenant.",
        )
    if check is ClientCheck.INVALID_SECRET:
        return _aad_error(401, "invalid_client", 7000215, _invalid_secret(client_id))
    if check is ClientCheck.EXPIRED_SECRET:
        return _aad_error(
            401,
            "invalid_client",
            7000222,
            f"The provided client secret keys for app '{client_id}' are expired. Visit the "
            "Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or "
            "consider using certificate credentials for added security: "
            "https://aka.ms/certCreds.",
        )
    return None


def _invalid_secret(client_id: str) -> str:
    return (
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        f"client secret value, not the client secret ID, for a secret added to app '{client_id}'."
    )


def _is_domain_of(b: GraphBackend, tenant: str) -> bool:
    return tenant.lower() in [d.lower() for d in b.settings.verified_domains]


def check_bearer(b: GraphBackend, strict: bool) -> str:
    """Raise Graph's 401 unless the request carries an acceptable bearer token; the token."""
    header = request.headers.get("Authorization", "")
    match = re.fullmatch(r"\s*Bearer\s+(\S+)\s*", header, re.IGNORECASE)
    if not match:
        raise invalid_auth("Access token is empty.")
    token = match.group(1)
    if not strict:
        return token
    expiry = b.token_expiry(token)
    if expiry is None:
        raise invalid_auth("CompactToken parsing failed with error code: 80049217")
    if b.now() >= expiry:
        raise invalid_auth("Access token has expired or is not yet valid.")
    return token


def check_permission(b: GraphBackend, token: str, method: str, path: str) -> None:
    """Graph's 403 unless the token's roles hold the permission the route asks for
    (https://learn.microsoft.com/en-us/graph/resolve-auth-errors)."""
    if not permitted(b.roles_of_token(token), method, path):
        raise GraphError(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
