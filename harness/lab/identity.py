"""The identities a lab's tenant holds when its Graph fake checks them (``harness serve --tls``
or ``--strict-auth``): the Microsoft Graph service principal with its application permissions,
and an application that administers the Miro app (the ready file's ``client_id`` and
``client_secret``), granted the permissions that takes, as an administrator grants them
(https://learn.microsoft.com/en-us/graph/permissions-grant-via-msgraph).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from mock_graph.models import GraphBackend
from mock_graph.models.credentials import ClientCheck
from mock_graph.permissions import (
    ADMIN_PERMISSIONS,
    GRAPH_APPLICATION_PERMISSIONS,
    MICROSOFT_GRAPH_APP_ID,
    MICROSOFT_GRAPH_NAME,
    MICROSOFT_TENANT_ID,
    graph_app_roles,
)

# Fixed, so a reset or a reloaded state keeps the client id the ready file names.
ADMIN_CLIENT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "harness:miro-automation-client"))
ADMIN_CLIENT_NAME = "Miro provisioning automation"


@dataclass(frozen=True)
class ClientCredentials:
    """A client id and secret of an application in the tenant (client-credentials flow)."""

    client_id: str = ADMIN_CLIENT_ID
    # A fresh secret per run: it is a secret, not a seeded value.
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(30), repr=False)


def register_admin_client(graph: GraphBackend, client: ClientCredentials) -> None:
    """Make sure the tenant holds Microsoft Graph's service principal and ``client``'s
    application, service principal, secret and permission grants (idempotent: a loaded state
    that has some of them keeps them)."""
    resource = graph.add_first_party_service_principal(
        MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_NAME, graph_app_roles(), MICROSOFT_TENANT_ID
    )
    found = graph.get_by_app_id("application", client.client_id)
    if found is None:
        found = graph.create_application(
            {"displayName": ADMIN_CLIENT_NAME, "signInAudience": "AzureADMyOrg"},
            app_id=client.client_id,
        )
    if graph.get_by_app_id("servicePrincipal", client.client_id) is None:
        graph.create_service_principal({"appId": client.client_id})
    if graph.check_client(client.client_id, client.client_secret) is not ClientCheck.OK:
        graph.add_password(
            str(found["id"]),
            {"passwordCredential": {"displayName": "harness serve"}},
            secret_text=client.client_secret,
        )
    principal = graph.get_by_app_id("servicePrincipal", client.client_id)
    assert principal is not None
    granted = graph.granted_roles(client.client_id, MICROSOFT_GRAPH_APP_ID)
    for permission in ADMIN_PERMISSIONS:
        if permission not in granted:
            role_id = GRAPH_APPLICATION_PERMISSIONS[permission][0]
            graph.assign_app_role(str(principal["id"]), str(resource["id"]), role_id)
