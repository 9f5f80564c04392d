"""The real, unmodified msgraph-sdk against the fake served on a socket (see docs/serve.md)."""

from __future__ import annotations

import asyncio
import uuid
import warnings
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

# msgraph-sdk's generated request builders warn about their own deprecated classes on import.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
    from msgraph.generated.models.app_role_assignment import AppRoleAssignment
    from msgraph.generated.models.group import Group
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.password_profile import PasswordProfile
    from msgraph.generated.models.reference_create import ReferenceCreate
    from msgraph.generated.models.user import User
    from msgraph.generated.users.count.count_request_builder import CountRequestBuilder
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder
    from msgraph_core.requests.batch_request_content import BatchRequestContent
    from msgraph_core.requests.batch_request_item import BatchRequestItem
    from msgraph_core.tasks.page_iterator import PageIterator

from harness.servers import ServerThread
from mock_graph import GraphBackend, create_app
from mock_graph.schemas import ZERO_GUID
from tests.support.graph import Clock
from tests.support.graph_sdk import fake_graph_client

T = TypeVar("T")
# msgraph-sdk's own request builders warn about their deprecated configuration classes.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Served:
    def __init__(self, backend: GraphBackend, url: str, clock: Clock, journal: Any) -> None:
        self.backend = backend
        self.journal = journal
        self.base = url + "/v1.0"
        self.clock = clock

    def client(self) -> Any:
        return fake_graph_client(self.base)


@pytest.fixture
def served() -> Iterator[Served]:
    clock = Clock()
    app = create_app(clock=clock.now)
    backend = app.extensions["mock_graph"]
    with ServerThread(app, name="mock-graph-sdk") as server:
        yield Served(backend, server.url, clock, app.extensions["mock_graph.journal"])


def test_list_filter_select_top_and_page_iterator(served: Served) -> None:
    served.backend.seed(3, users=57, groups=0)
    expected = {
        u["id"]
        for u in served.backend.list_objects("user", top=999, render=lambda o: o.data).items
        if u["accountEnabled"]
    }

    async def scenario() -> tuple[list[User], int]:
        client = served.client()
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter="accountEnabled eq true",
            select=["id", "displayName", "userPrincipalName"],
            top=10,
        )
        first = await client.users.get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        assert (
            first is not None
            and len(first.value) == 10
            and first.odata_next_link.startswith("http://127.0.0.1")
        )
        seen: list[User] = []

        def collect(user: User) -> bool:
            seen.append(user)
            return True

        await PageIterator(first, client.request_adapter).iterate(collect)
        return seen, len(first.value)

    seen, _ = run(scenario())
    assert {u.id for u in seen} == expected
    assert all(u.user_principal_name and u.display_name for u in seen)
    assert all(u.job_title is None for u in seen)  # not selected


def test_create_update_delete_user(served: Served) -> None:
    async def scenario() -> tuple[User, User | None]:
        client = served.client()
        created = await client.users.post(
            User(
                account_enabled=True,
                display_name="Ada Lovelace",
                mail_nickname="ada",
                user_principal_name="ada@contoso.onmicrosoft.com",
                password_profile=PasswordProfile(
                    password="Secr3t!pass", force_change_password_next_sign_in=True
                ),
            )
        )
        assert created is not None and created.id
        result = await client.users.by_user_id(created.id).patch(
            User(job_title="Analyst", department="Maths")
        )
        assert result is None  # 204
        fetched = await client.users.by_user_id("ADA@contoso.onmicrosoft.com").get()
        await client.users.by_user_id(created.id).delete()
        return created, fetched

    created, fetched = run(scenario())
    assert fetched is not None and fetched.id == created.id and fetched.job_title == "Analyst"
    assert served.backend.get(created.id) is None
    assert served.backend.get_deleted(created.id) is not None


def test_group_members_by_ref(served: Served) -> None:
    seeded = served.backend.seed(1, users=3, groups=0)
    uids = [u["id"] for u in seeded["users"]]

    async def scenario() -> tuple[list[str], list[str], str | None]:
        client = served.client()
        group = await client.groups.post(
            Group(
                display_name="Miro Users",
                mail_enabled=False,
                mail_nickname="miro-users",
                security_enabled=True,
            )
        )
        assert group is not None and group.id
        for uid in uids:
            await client.groups.by_group_id(group.id).members.ref.post(
                ReferenceCreate(odata_id=f"{served.base}/directoryObjects/{uid}")
            )
        await (
            client.groups.by_group_id(group.id).members.by_directory_object_id(uids[0]).ref.delete()
        )
        members = await client.groups.by_group_id(group.id).members.get()
        users_only = await client.groups.by_group_id(group.id).members.graph_user.get()
        member_of = await client.users.by_user_id(uids[1]).member_of.get()
        assert members is not None and users_only is not None and member_of is not None
        typed = [type(m).__name__ for m in members.value]
        assert typed == ["User", "User"]
        return (
            [m.id for m in members.value],
            [u.id for u in users_only.value],
            member_of.value[0].display_name,
        )

    members, users_only, group_name = run(scenario())
    assert set(members) == set(uids[1:]) == set(users_only)
    assert group_name == "Miro Users"


def test_app_roles_and_assignments(served: Served) -> None:
    b = served.backend
    app, sp = b.create_enterprise_app("Miro")
    seeded = b.seed(2, users=2, groups=0)
    uid = seeded["users"][0]["id"]

    async def scenario() -> tuple[list[Any], list[Any], str, list[Any]]:
        client = served.client()
        by_app_id = await client.service_principals_with_app_id(app["appId"]).get()
        assert by_app_id is not None and by_app_id.id == sp["id"]
        roles = by_app_id.app_roles
        user_role = next(r for r in roles if r.display_name == "User")
        created = await client.service_principals.by_service_principal_id(
            sp["id"]
        ).app_role_assigned_to.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(uid),
                resource_id=uuid.UUID(sp["id"]),
                app_role_id=user_role.id,
            )
        )
        default = await client.service_principals.by_service_principal_id(
            sp["id"]
        ).app_role_assigned_to.post(
            AppRoleAssignment(
                principal_id=uuid.UUID(seeded["users"][1]["id"]),
                resource_id=uuid.UUID(sp["id"]),
                app_role_id=uuid.UUID(ZERO_GUID),
            )
        )
        assert created is not None and default is not None
        listed = await client.service_principals.by_service_principal_id(
            sp["id"]
        ).app_role_assigned_to.get()
        mine = await client.users.by_user_id(uid).app_role_assignments.get()
        await (
            client.service_principals.by_service_principal_id(sp["id"])
            .app_role_assigned_to.by_app_role_assignment_id(created.id)
            .delete()
        )
        after = await client.service_principals.by_service_principal_id(
            sp["id"]
        ).app_role_assigned_to.get()
        assert [a.id for a in mine.value] == [created.id]
        return roles, listed.value, created.principal_type, after.value

    roles, listed, principal_type, after = run(scenario())
    assert {r.display_name for r in roles} == {"User", "msiam_access"}
    assert all(isinstance(r.id, uuid.UUID) for r in roles)
    assert len(listed) == 2 and principal_type == "User"
    assert all(a.resource_display_name == "Miro" for a in listed)
    assert [str(a.app_role_id) for a in after] == [ZERO_GUID]


def test_delta_round_trip(served: Served) -> None:
    b = served.backend
    b.settings.delta_page_size = 7
    seeded = b.seed(5, users=20, groups=0)

    async def scenario() -> tuple[int, list[Any]]:
        client = served.client()
        page = await client.users.delta.get()
        total = len(page.value)
        while page.odata_next_link:
            page = await client.users.delta.with_url(page.odata_next_link).get()
            total += len(page.value)
        assert page.odata_delta_link and page.odata_delta_link.startswith("http://127.0.0.1")
        await client.users.by_user_id(seeded["users"][0]["id"]).patch(
            User(job_title="Chief Tester")
        )
        await client.users.by_user_id(seeded["users"][1]["id"]).delete()
        changes = await client.users.delta.with_url(page.odata_delta_link).get()
        assert changes.odata_delta_link and not changes.odata_next_link
        return total, changes.value

    total, changes = run(scenario())
    assert total == 20
    by_id = {c.id: c for c in changes}
    assert by_id[seeded["users"][0]["id"]].job_title == "Chief Tester"
    assert by_id[seeded["users"][1]["id"]].additional_data["@removed"] == {"reason": "changed"}


def test_groups_delta_reports_member_changes(served: Served) -> None:
    b = served.backend
    seeded = b.seed(4, users=3, groups=0)
    group = b.create_group(
        {"displayName": "G", "mailEnabled": False, "mailNickname": "g", "securityEnabled": True}
    )
    b.add_member(group["id"], seeded["users"][0]["id"])

    async def scenario() -> list[Any]:
        client = served.client()
        page = await client.groups.delta.get()
        assert (
            str(page.value[0].additional_data["members@delta"][0]["id"]) == seeded["users"][0]["id"]
        )
        b.remove_member(group["id"], seeded["users"][0]["id"])
        b.add_member(group["id"], seeded["users"][1]["id"])
        changes = await client.groups.delta.with_url(page.odata_delta_link).get()
        return changes.value[0].additional_data["members@delta"]

    members = [{k: str(v) if k == "id" else v for k, v in m.items()} for m in run(scenario())]
    assert {"@odata.type": "#microsoft.graph.user", "id": seeded["users"][1]["id"]} in members
    removed = [m for m in members if "@removed" in m]
    assert [m["id"] for m in removed] == [seeded["users"][0]["id"]]


def test_restore_deleted_user(served: Served) -> None:
    b = served.backend
    seeded = b.seed(6, users=2, groups=0)
    uid = seeded["users"][0]["id"]
    b.delete_user(uid)

    async def scenario() -> tuple[list[str], Any]:
        client = served.client()
        deleted = await client.directory.deleted_items.graph_user.get()
        restored = await client.directory.deleted_items.by_directory_object_id(uid).restore.post()
        return [d.id for d in deleted.value], restored

    deleted_ids, restored = run(scenario())
    assert deleted_ids == [uid]
    assert type(restored).__name__ == "User" and restored.id == uid
    assert b.get(uid) is not None


def test_batch_with_sdk(served: Served) -> None:
    b = served.backend
    seeded = b.seed(8, users=2, groups=0)

    async def scenario() -> Any:
        client = served.client()
        content = BatchRequestContent()
        first = BatchRequestItem(
            client.users.by_user_id(seeded["users"][0]["id"]).to_get_request_information()
        )
        missing = BatchRequestItem(
            client.users.by_user_id(
                "00000000-0000-0000-0000-00000000beef"
            ).to_get_request_information()
        )
        content.add_request(None, first)
        content.add_request(None, missing)
        response = await client.batch.post(batch_request_content=content)
        return first.id, missing.id, response

    first_id, missing_id, response = run(scenario())
    codes = response.get_response_status_codes()
    assert codes == {first_id: 200, missing_id: 404}
    # msgraph-core 1.5 drops JSON-object item bodies (get_bytes_value), as it would with real
    # Graph; the journal shows what the fake answered for each item.
    items = {e["batch_item"]: e for e in served.journal.entries() if "batch_item" in e}
    assert (
        items[first_id]["response"]["userPrincipalName"] == seeded["users"][0]["userPrincipalName"]
    )
    assert items[missing_id]["response"]["error"]["code"] == "Request_ResourceNotFound"


def test_count_segment_and_advanced_query(served: Served) -> None:
    served.backend.seed(9, users=12, groups=0)

    async def scenario() -> tuple[int, int]:
        client = served.client()
        config = RequestConfiguration(
            query_parameters=CountRequestBuilder.CountRequestBuilderGetQueryParameters()
        )
        config.headers.add("ConsistencyLevel", "eventual")
        count = await client.users.count.get(request_configuration=config)
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            filter="endsWith(mail,'onmicrosoft.com')", count=True, top=5
        )
        adv = RequestConfiguration(query_parameters=query)
        adv.headers.add("ConsistencyLevel", "eventual")
        page = await client.users.get(request_configuration=adv)
        return count, page.odata_count

    count, odata_count = run(scenario())
    assert count == 12 and odata_count == 12


def test_errors_surface_as_odata_error(served: Served) -> None:
    async def scenario() -> tuple[ODataError, ODataError, ODataError]:
        client = served.client()
        with pytest.raises(ODataError) as missing:
            await client.users.by_user_id("nobody@contoso.onmicrosoft.com").get()
        with pytest.raises(ODataError) as unsupported:
            query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
                filter="endsWith(displayName,'x')"
            )
            await client.groups.get(
                request_configuration=RequestConfiguration(query_parameters=query)
            )
        await client.users.post(
            User(
                account_enabled=True,
                display_name="Dup",
                mail_nickname="dup",
                user_principal_name="dup@contoso.com",
                password_profile=PasswordProfile(password="Xx12345678!"),
            )
        )
        with pytest.raises(ODataError) as duplicate:
            await client.users.post(
                User(
                    account_enabled=True,
                    display_name="Dup",
                    mail_nickname="dup",
                    user_principal_name="DUP@contoso.com",
                    password_profile=PasswordProfile(password="Xx12345678!"),
                )
            )
        return missing.value, unsupported.value, duplicate.value

    missing, unsupported, duplicate = run(scenario())
    assert missing.response_status_code == 404 and missing.error.code == "Request_ResourceNotFound"
    assert missing.error.inner_error.request_id
    assert (
        unsupported.response_status_code == 400
        and unsupported.error.code == "Request_UnsupportedQuery"
    )
    assert duplicate.response_status_code == 400 and duplicate.error.code == "Request_BadRequest"
    assert "userPrincipalName" in duplicate.error.message


def test_retry_after_from_injected_429(served: Served) -> None:
    """A 429 fault with an integer Retry-After surfaces as ODataError when retries are off."""
    import httpx

    httpx.post(
        served.base.replace("/v1.0", "") + "/_fake/faults",
        json={
            "method": "GET",
            "path": "^/v1.0/users$",
            "status": 429,
            "retry_after": 2,
            "times": 1,
        },
    )

    async def scenario() -> ODataError:
        client = served.client()
        with pytest.raises(ODataError) as throttled:
            await client.users.get()
        return throttled.value

    err = run(scenario())
    assert err.response_status_code == 429 and err.error.code == "TooManyRequests"


def test_strict_auth_with_token_from_fake_endpoint() -> None:
    """A plain-HTTP client-credentials call to the fake's token endpoint, then msgraph-sdk with
    that token: accepted; the SDK with a made-up token: ODataError 401."""
    import httpx

    app = create_app(strict_auth=True, tenant_id="11111111-2222-4333-8444-555555555555")
    with ServerThread(app, name="mock-graph-strict") as server:
        form = {
            "client_id": "app",
            "client_secret": "s",
            "scope": "https://graph.microsoft.com/.default",
            "grant_type": "client_credentials",
        }
        token = httpx.post(
            f"{server.url}/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token", data=form
        ).json()["access_token"]

        async def scenario() -> tuple[int, ODataError]:
            good = fake_graph_client(server.url + "/v1.0", token=token)
            page = await good.users.get()
            bad = fake_graph_client(server.url + "/v1.0")
            with pytest.raises(ODataError) as denied:
                await bad.users.get()
            return len(page.value), denied.value

        count, denied = run(scenario())
    assert count == 0
    assert denied.response_status_code == 401 and denied.error.code == "InvalidAuthenticationToken"
