"""Real clients against a served harness, connected as docs/serve.md tells users to: msgraph-sdk
(a static access-token provider and the request adapter's base URL set to the Graph fake) and
scim2-client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.serve.served import ServeConfig, ServedHarness
from tests.support.scim_client import HttpxSCIMClient


@pytest.fixture(scope="module")
def info() -> Iterator[dict[str, Any]]:
    served = ServedHarness(ServeConfig(seed=4, users=6, groups=2, start=True)).start()
    try:
        ready = served.ready_info()
        httpx.post(ready["clock_url"], json={"advance": "0"}).raise_for_status()
        yield ready
    finally:
        served.close(save=False)


def test_msgraph_sdk_reads_the_directory_and_the_job(info: dict[str, Any]) -> None:
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient

    class StaticTokenProvider(AccessTokenProvider):
        async def get_authorization_token(
            self, uri: str, additional_authentication_context: Any = None
        ) -> str:
            return "fake-token"

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return AllowedHostsValidator([])

    async def read() -> tuple[int, str | None, Any]:
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticTokenProvider()))
        adapter.base_url = info["graph_url"]  # from the ready file: ends in /v1.0, no slash
        client = GraphServiceClient(request_adapter=adapter)
        users = await client.users.get()
        sp = client.service_principals.by_service_principal_id(info["service_principal_id"])
        jobs = await sp.synchronization.jobs.get()
        assert users is not None and users.value is not None
        assert jobs is not None and jobs.value
        return len(users.value), jobs.value[0].id, jobs.value[0].status.code

    count, job_id, code = asyncio.run(read())
    assert count == 6
    assert job_id == info["job_id"]
    assert str(code.value) == "Active"


def test_scim2_client_reads_what_the_engine_provisioned(info: dict[str, Any]) -> None:
    from scim2_models import Group, User

    headers = {"Authorization": f"Bearer {info['miro_token']}"}
    with httpx.Client(base_url=info["miro_url"], headers=headers, timeout=10) as http:
        client = HttpxSCIMClient(http)
        client.discover()
        users = client.query(User)
        teams = client.query(Group)
    assert users.total_results == 5  # two users in three are assigned, and the token's owner
    assert all(u.user_name and u.active for u in users.resources)
    names = {g.display_name for g in teams.resources}
    assert len(names - {"Default team"}) == 2  # a matched team per demo group
