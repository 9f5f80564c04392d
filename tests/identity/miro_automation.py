"""Set up Miro provisioning in an Entra tenant, as a team automates it: instantiate Miro from the
application gallery, create its provisioning job, test and save the Miro SCIM token, assign a
group, start the job, then wait for the provisioning logs.

Written the way production code is written (azure-identity + msgraph-sdk, configuration from the
environment, no knowledge of any fake). Against Microsoft's cloud it needs only AZURE_TENANT_ID,
AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, MIRO_SCIM_URL, MIRO_TOKEN and MIRO_GROUP. Against
``harness serve --tls --strict-auth`` three more are set, and nothing else changes:
AZURE_AUTHORITY (the ready file's ``authority``), GRAPH_BASE_URL (``graph_url``) and
CA_BUNDLE (``ca_bundle``).

Prints one JSON object: the application's ids, the job, and the provisioning log entries.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.application_templates.application_templates_request_builder import (
    ApplicationTemplatesRequestBuilder,
)
from msgraph.generated.application_templates.item.instantiate.instantiate_post_request_body import (
    InstantiatePostRequestBody,
)
from msgraph.generated.audit_logs.provisioning.provisioning_request_builder import (
    ProvisioningRequestBuilder,
)
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.app_role_assignment import AppRoleAssignment
from msgraph.generated.models.synchronization_job import SynchronizationJob
from msgraph.generated.models.synchronization_secret import SynchronizationSecret
from msgraph.generated.models.synchronization_secret_key_string_value_pair import (
    SynchronizationSecretKeyStringValuePair,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.validate_credentials.validate_credentials_post_request_body import (
    ValidateCredentialsPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.secrets.secrets_put_request_body import (
    SecretsPutRequestBody,
)
from msgraph_core import GraphClientFactory

SCOPES = ["https://graph.microsoft.com/.default"]
LOG_WAIT_SECONDS = 60


def graph_client() -> tuple[GraphServiceClient, ClientSecretCredential]:
    authority = os.environ.get("AZURE_AUTHORITY")  # unset: login.microsoftonline.com
    base_url = os.environ.get("GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0")
    ca_bundle = os.environ.get("CA_BUNDLE")  # unset: the system's trust store
    extra: dict[str, Any] = {}
    if authority:
        extra["authority"] = authority
    if ca_bundle:
        extra["connection_verify"] = ca_bundle
    credential = ClientSecretCredential(
        os.environ["AZURE_TENANT_ID"],
        os.environ["AZURE_CLIENT_ID"],
        os.environ["AZURE_CLIENT_SECRET"],
        **extra,
    )
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=SCOPES, allowed_hosts=[urlsplit(base_url).hostname or ""]
    )
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            timeout=60,
        )
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter), credential


def pair(key: SynchronizationSecret, value: str) -> SynchronizationSecretKeyStringValuePair:
    return SynchronizationSecretKeyStringValuePair(key=key, value=value)


async def set_up_miro(graph: GraphServiceClient, name: str) -> dict[str, Any]:
    miro_url, miro_token = os.environ["MIRO_SCIM_URL"], os.environ["MIRO_TOKEN"]
    # The group to provision.
    groups = await graph.groups.get(
        RequestConfiguration(
            query_parameters=GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
                filter=f"displayName eq '{os.environ['MIRO_GROUP']}'"
            )
        )
    )
    assert groups is not None and groups.value, "no such group"
    group_id = groups.value[0].id
    # Miro from the gallery.
    templates = await graph.application_templates.get(
        RequestConfiguration(
            query_parameters=ApplicationTemplatesRequestBuilder.ApplicationTemplatesRequestBuilderGetQueryParameters(
                filter="displayName eq 'Miro'"
            )
        )
    )
    assert templates is not None and templates.value, "Miro is not in the gallery"
    template_id = templates.value[0].id
    assert template_id is not None
    made = await graph.application_templates.by_application_template_id(
        template_id
    ).instantiate.post(InstantiatePostRequestBody(display_name=name))
    assert made is not None and made.service_principal is not None
    sp = made.service_principal
    assert sp.id is not None and sp.app_roles
    synchronization = graph.service_principals.by_service_principal_id(sp.id).synchronization
    # The provisioning job, from the connector's template.
    sync_templates = await synchronization.templates.get()
    assert sync_templates is not None and sync_templates.value
    job = await synchronization.jobs.post(
        SynchronizationJob(template_id=sync_templates.value[0].id)
    )
    assert job is not None and job.id is not None
    jobs = synchronization.jobs.by_synchronization_job_id(job.id)
    # Test the Miro token, then save it.
    credentials = [
        pair(SynchronizationSecret.BaseAddress, miro_url),
        pair(SynchronizationSecret.SecretToken, miro_token),
    ]
    await jobs.validate_credentials.post(
        ValidateCredentialsPostRequestBody(credentials=credentials)
    )
    await synchronization.secrets.put(SecretsPutRequestBody(value=credentials))
    # Assign the group, start the job.
    role = next(r.id for r in sp.app_roles if r.display_name == "User")
    await graph.service_principals.by_service_principal_id(sp.id).app_role_assigned_to.post(
        AppRoleAssignment(principal_id=group_id, resource_id=sp.id, app_role_id=role)
    )
    await jobs.start.post()
    # The initial cycle's provisioning logs.
    entries: list[dict[str, Any]] = []
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    query = ProvisioningRequestBuilder.ProvisioningRequestBuilderGetQueryParameters(
        filter=f"jobId eq '{job.id}'"
    )
    while not entries and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        logs = await graph.audit_logs.provisioning.get(RequestConfiguration(query_parameters=query))
        entries = [
            {
                "user": e.source_identity.display_name if e.source_identity else None,
                "action": e.provisioning_action.value if e.provisioning_action else None,
                "status": e.provisioning_status_info.status.value
                if e.provisioning_status_info and e.provisioning_status_info.status
                else None,
            }
            for e in (logs.value if logs and logs.value else [])
        ]
    return {"servicePrincipalId": sp.id, "jobId": job.id, "logs": entries}


async def main() -> None:
    graph, credential = graph_client()
    try:
        result = await set_up_miro(graph, sys.argv[1] if len(sys.argv) > 1 else "Miro")
    finally:
        await credential.close()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
