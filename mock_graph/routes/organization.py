"""``/v1.0/organization``: the tenant itself (id, name, verified domains), which clients read to
learn the tenant id and its domains."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from mock_graph.exceptions import not_found
from mock_graph.wire import backend, context_url, entity, json_response

bp = Blueprint("graph_organization", __name__, url_prefix="/v1.0")


def _organization() -> dict[str, Any]:
    b = backend()
    domains = b.settings.verified_domains or [b.default_domain()]
    return {
        "id": b.tenant_id,
        "displayName": b.settings.organization_name,
        "tenantType": "AAD",
        "countryLetterCode": "US",
        "verifiedDomains": [
            {
                "name": d,
                "isDefault": i == 0,
                "isInitial": d.endswith(".onmicrosoft.com"),
                "type": "Managed",
                "capabilities": "Email, OfficeCommunicationsOnline",
            }
            for i, d in enumerate(domains)
        ],
    }


@bp.get("/organization")
def organization() -> Response:
    return json_response(
        {"@odata.context": context_url("organization"), "value": [_organization()]}
    )


@bp.get("/organization/<oid>")
def organization_by_id(oid: str) -> Response:
    org = _organization()
    if oid.lower() != org["id"].lower():
        raise not_found(oid)
    return entity("organization", org)
