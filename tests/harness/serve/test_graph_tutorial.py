"""Microsoft's "Configure provisioning using Microsoft Graph APIs" tutorial, step by step, against
`harness serve`, once with raw HTTP and once with msgraph-sdk
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-configuration-api).

The tutorial's calls go to Graph beta; it says similar APIs are in v1.0, which the fake serves.
Its one addition: the virtual clock is advanced after `start` (a served harness runs cycles only
when asked, unless it runs with --realtime). Then two Miro instances in one tenant, each with its
own job, secrets and logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.serve.served import ServeConfig, ServedHarness

NEVER_RUN_SCHEDULE = {
    "expiration": None,
    "interval": "P10675199DT2H48M5.4775807S",
    "state": "Disabled",
}


@pytest.fixture(scope="module")
def info() -> Iterator[dict[str, Any]]:
    served = ServedHarness(ServeConfig(seed=5, empty=True)).start()
    try:
        yield served.ready_info()
    finally:
        served.close(save=False)


@pytest.fixture
def graph(info: dict[str, Any]) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer tutorial"}
    with httpx.Client(base_url=info["graph_url"], headers=headers, timeout=30) as client:
        yield client


def advance(info: dict[str, Any], by: str = "0") -> list[dict[str, Any]]:
    response = httpx.post(info["clock_url"], json={"advance": by}, timeout=60)
    response.raise_for_status()
    return list(response.json()["cycles"])


def add_user(graph: httpx.Client, nick: str) -> str:
    body = {
        "accountEnabled": True,
        "displayName": nick.capitalize(),
        "mailNickname": nick,
        "userPrincipalName": f"{nick}@contoso.com",
        "passwordProfile": {"password": "Passw0rd!Passw0rd"},
    }
    response = graph.post("/users", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def miro_user(info: dict[str, Any], user_name: str) -> dict[str, Any] | None:
    response = httpx.get(
        f"{info['miro_url']}/Users",
        params={"filter": f'userName eq "{user_name}"'},
        headers={"Authorization": f"Bearer {info['miro_token']}"},
    )
    found = response.json()["Resources"]
    return found[0] if found else None


def configure_with_http(
    graph: httpx.Client, info: dict[str, Any], name: str, token: str
) -> dict[str, str]:
    """Steps 1 to 4 with raw HTTP; answers the service principal's and the job's ids."""
    # Step 1: retrieve the gallery application template, create the gallery application.
    listed = graph.get("/applicationTemplates", params={"$filter": "displayName eq 'Miro'"})
    assert listed.status_code == 200
    (template,) = listed.json()["value"]
    assert template["displayName"] == "Miro" and "sync" in template["supportedProvisioningTypes"]
    one = graph.get(f"/applicationTemplates/{template['id']}")
    assert one.status_code == 200 and one.json()["id"] == template["id"]
    created = graph.post(
        f"/applicationTemplates/{template['id']}/instantiate", json={"displayName": name}
    )
    assert created.status_code == 201
    application, sp = created.json()["application"], created.json()["servicePrincipal"]
    assert application["displayName"] == sp["displayName"] == name
    assert application["applicationTemplateId"] == sp["applicationTemplateId"] == template["id"]
    assert sp["appId"] == application["appId"]
    assert {r["displayName"] for r in sp["appRoles"]} == {"User", "Default Access"}
    sync = f"/servicePrincipals/{sp['id']}/synchronization"

    # Step 2: retrieve the provisioning connector's template, create the job from it.
    (sync_template,) = graph.get(f"{sync}/templates").json()["value"]
    assert sync_template["id"] == "miro" and sync_template["factoryTag"] == "miro"
    job = graph.post(f"{sync}/jobs", json={"templateId": sync_template["id"]})
    assert job.status_code == 201
    assert job.json()["schedule"] == NEVER_RUN_SCHEDULE
    assert job.json()["status"]["code"] == "NotConfigured"
    assert job.json()["status"]["lastExecution"] is None
    job_id = job.json()["id"]

    # Step 3: test the connection (a wrong token fails), save the credentials.
    credentials = [
        {"key": "BaseAddress", "value": info["miro_url"]},
        {"key": "SecretToken", "value": "not-the-token"},
    ]
    wrong = graph.post(
        f"{sync}/jobs/{job_id}/validateCredentials", json={"credentials": credentials}
    )
    assert wrong.status_code == 400 and "401" in wrong.json()["error"]["message"]
    credentials[1]["value"] = token
    right = graph.post(
        f"{sync}/jobs/{job_id}/validateCredentials", json={"credentials": credentials}
    )
    assert right.status_code == 204, right.text
    assert graph.put(f"{sync}/secrets", json={"value": credentials}).status_code == 204
    return {"sp": sp["id"], "job": job_id, "user_role": _role(sp, "User")}


def _role(sp: dict[str, Any], name: str) -> str:
    return next(str(r["id"]) for r in sp["appRoles"] if r["displayName"] == name)


def assign(graph: httpx.Client, sp_id: str, user_id: str, role_id: str) -> None:
    body = {"principalId": user_id, "resourceId": sp_id, "appRoleId": role_id}
    response = graph.post(f"/servicePrincipals/{sp_id}/appRoleAssignedTo", json=body)
    assert response.status_code == 201, response.text


def test_the_tutorial_with_raw_http(graph: httpx.Client, info: dict[str, Any]) -> None:
    ids = configure_with_http(graph, info, "Miro Contoso", info["miro_token"])
    sync = f"/servicePrincipals/{ids['sp']}/synchronization"
    assign(graph, ids["sp"], add_user(graph, "tina"), ids["user_role"])

    # Step 4: start the job.
    assert graph.post(f"{sync}/jobs/{ids['job']}/start").status_code == 204
    advance(info)

    # Step 5: monitor the job, read the provisioning logs.
    (job,) = [j for j in graph.get(f"{sync}/jobs").json()["value"] if j["id"] == ids["job"]]
    assert job["status"]["code"] == "Active"
    assert job["status"]["lastExecution"]["state"] == "Succeeded"
    assert job["schedule"]["state"] == "Active" and job["schedule"]["interval"] == "PT40M"
    logs = graph.get("/auditLogs/provisioning", params={"$filter": f"jobId eq '{ids['job']}'"})
    assert logs.status_code == 200
    entries = logs.json()["value"]
    assert [(e["sourceIdentity"]["displayName"], e["provisioningAction"]) for e in entries] == [
        ("tina@contoso.com", "create")
    ]
    assert entries[0]["servicePrincipal"] == {"id": ids["sp"], "displayName": "Miro Contoso"}
    assert miro_user(info, "tina@contoso.com") is not None


def test_the_tutorial_with_msgraph_sdk(info: dict[str, Any]) -> None:
    from kiota_abstractions.api_error import APIError
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from kiota_abstractions.base_request_configuration import RequestConfiguration
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
    from msgraph.generated.models.app_role_assignment import AppRoleAssignment
    from msgraph.generated.models.password_profile import PasswordProfile
    from msgraph.generated.models.synchronization_job import SynchronizationJob
    from msgraph.generated.models.synchronization_secret import SynchronizationSecret
    from msgraph.generated.models.synchronization_secret_key_string_value_pair import (
        SynchronizationSecretKeyStringValuePair,
    )
    from msgraph.generated.models.user import User
    from msgraph.generated.service_principals.item.synchronization.jobs.item.validate_credentials.validate_credentials_post_request_body import (
        ValidateCredentialsPostRequestBody,
    )
    from msgraph.generated.service_principals.item.synchronization.secrets.secrets_put_request_body import (
        SecretsPutRequestBody,
    )

    class StaticTokenProvider(AccessTokenProvider):
        async def get_authorization_token(
            self, uri: str, additional_authentication_context: Any = None
        ) -> str:
            return "tutorial-sdk"

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return AllowedHostsValidator([])

    def pair(key: SynchronizationSecret, value: str) -> SynchronizationSecretKeyStringValuePair:
        return SynchronizationSecretKeyStringValuePair(key=key, value=value)

    async def tutorial() -> dict[str, Any]:
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticTokenProvider()))
        adapter.base_url = info["graph_url"]
        client = GraphServiceClient(request_adapter=adapter)
        # Step 1
        query = (
            ApplicationTemplatesRequestBuilder.ApplicationTemplatesRequestBuilderGetQueryParameters(
                filter="displayName eq 'Miro'"
            )
        )
        listed = await client.application_templates.get(
            RequestConfiguration(query_parameters=query)
        )
        assert listed is not None and listed.value is not None
        (template,) = listed.value
        assert template.id is not None and template.display_name == "Miro"
        got = await client.application_templates.by_application_template_id(template.id).get()
        assert got is not None and got.id == template.id
        made = await client.application_templates.by_application_template_id(
            template.id
        ).instantiate.post(InstantiatePostRequestBody(display_name="Miro Fabrikam"))
        assert made is not None and made.service_principal is not None and made.application
        sp = made.service_principal
        assert sp.id is not None and sp.app_roles
        assert made.application.application_template_id == template.id
        synchronization = client.service_principals.by_service_principal_id(sp.id).synchronization
        # Step 2
        templates = await synchronization.templates.get()
        assert templates is not None and templates.value
        template_id = templates.value[0].id
        assert template_id == "miro"
        job = await synchronization.jobs.post(SynchronizationJob(template_id=template_id))
        assert job is not None and job.id is not None and job.status is not None
        assert job.status.code is not None and job.status.code.value == "NotConfigured"
        assert job.schedule is not None and job.schedule.state is not None
        assert job.schedule.state.value == "Disabled"
        job_builder = synchronization.jobs.by_synchronization_job_id(job.id)
        # Step 3
        wrong = ValidateCredentialsPostRequestBody(
            credentials=[
                pair(SynchronizationSecret.BaseAddress, info["miro_url"]),
                pair(SynchronizationSecret.SecretToken, "not-the-token"),
            ]
        )
        try:
            await job_builder.validate_credentials.post(wrong)
        except APIError as exc:
            assert exc.response_status_code == 400
        else:
            raise AssertionError("validateCredentials accepted a wrong token")
        credentials = [
            pair(SynchronizationSecret.BaseAddress, info["miro_url"]),
            pair(SynchronizationSecret.SecretToken, info["miro_token"]),
        ]
        await job_builder.validate_credentials.post(
            ValidateCredentialsPostRequestBody(credentials=credentials)
        )
        await synchronization.secrets.put(SecretsPutRequestBody(value=credentials))
        # Assign a user.
        user = await client.users.post(
            User(
                account_enabled=True,
                display_name="Uma",
                mail_nickname="uma",
                user_principal_name="uma@contoso.com",
                password_profile=PasswordProfile(password="Passw0rd!Passw0rd"),
            )
        )
        assert user is not None and user.id is not None
        role = next(r.id for r in sp.app_roles if r.display_name == "User")
        await client.service_principals.by_service_principal_id(sp.id).app_role_assigned_to.post(
            AppRoleAssignment(principal_id=user.id, resource_id=sp.id, app_role_id=role)
        )
        # Step 4
        await job_builder.start.post()
        advance(info)
        # Step 5
        jobs = await synchronization.jobs.get()
        assert jobs is not None and jobs.value
        (mine,) = [j for j in jobs.value if j.id == job.id]
        logs_query = ProvisioningRequestBuilder.ProvisioningRequestBuilderGetQueryParameters(
            filter=f"jobId eq '{job.id}'"
        )
        logs = await client.audit_logs.provisioning.get(
            RequestConfiguration(query_parameters=logs_query)
        )
        assert logs is not None and logs.value is not None
        return {
            "code": mine.status.code.value if mine.status and mine.status.code else None,
            "entries": [
                (
                    e.source_identity.display_name if e.source_identity else None,
                    str(e.provisioning_action.value if e.provisioning_action else None),
                )
                for e in logs.value
            ],
        }

    result = asyncio.run(tutorial())
    assert result["code"] == "Active"
    assert result["entries"] == [("uma@contoso.com", "create")]
    assert miro_user(info, "uma@contoso.com") is not None


def test_two_miro_instances_work_independently(graph: httpx.Client, info: dict[str, Any]) -> None:
    """Each instance has its own job, secrets and logs: one with a wrong token is quarantined
    while the other provisions."""
    good = configure_with_http(graph, info, "Miro Sales", info["miro_token"])
    bad = configure_with_http(graph, info, "Miro Labs", info["miro_token"])
    assert good["sp"] != bad["sp"] and good["job"] != bad["job"]
    bad_sync = f"/servicePrincipals/{bad['sp']}/synchronization"
    # Only the second instance's token changes (GET, change the token, PUT all back).
    secrets = graph.get(f"{bad_sync}/secrets").json()["value"]
    for item in secrets:
        if item["key"] == "SecretToken":
            item["value"] = "revoked"
    assert graph.put(f"{bad_sync}/secrets", json={"value": secrets}).status_code == 204
    assign(graph, good["sp"], add_user(graph, "vic"), good["user_role"])
    assign(graph, bad["sp"], add_user(graph, "wes"), bad["user_role"])
    for ids in (good, bad):
        sync = f"/servicePrincipals/{ids['sp']}/synchronization"
        assert graph.post(f"{sync}/jobs/{ids['job']}/start").status_code == 204
    advance(info)

    def job(ids: dict[str, str]) -> dict[str, Any]:
        sync = f"/servicePrincipals/{ids['sp']}/synchronization"
        return dict(graph.get(f"{sync}/jobs/{ids['job']}").json())

    def logged(ids: dict[str, str]) -> list[str]:
        params = {"$filter": f"jobId eq '{ids['job']}'"}
        entries = graph.get("/auditLogs/provisioning", params=params).json()["value"]
        return [e["sourceIdentity"]["displayName"] for e in entries]

    assert job(good)["status"]["code"] == "Active"
    assert job(bad)["status"]["code"] == "Quarantine"
    assert logged(good) == ["vic@contoso.com"] and logged(bad) == []
    assert miro_user(info, "vic@contoso.com") is not None
    assert miro_user(info, "wes@contoso.com") is None
    # The good instance's secrets were not touched by the other's PUT.
    good_secrets = graph.get(f"/servicePrincipals/{good['sp']}/synchronization/secrets").json()
    assert {p["key"] for p in good_secrets["value"]} == {"BaseAddress", "SecretToken"}
    assert (
        len(graph.get(f"/servicePrincipals/{good['sp']}/synchronization/jobs").json()["value"]) == 1
    )
