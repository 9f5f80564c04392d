"""OData query options on /users and /groups, and the advanced-query rules Graph enforces."""

from __future__ import annotations

from typing import Any

import pytest

from mock_graph import GraphBackend
from tests.support.graph import EVENTUAL, GraphClient


def ids(resp: Any) -> set[str]:
    assert resp.status_code == 200, resp.json
    return {u["id"] for u in resp.json["value"]}


def all_users(backend: GraphBackend) -> list[dict[str, Any]]:
    return backend.list_objects("user", top=999, render=lambda o: o.data).items


@pytest.mark.parametrize(
    ("query", "pick"),
    [
        ("accountEnabled eq false", lambda u: u["accountEnabled"] is False),
        ("startsWith(displayName,'A')", lambda u: u["displayName"].lower().startswith("a")),
        (
            "startswith(userPrincipalName,'alex')",
            lambda u: u["userPrincipalName"].startswith("alex"),
        ),
        (
            "department eq 'Sales' or department eq 'Legal'",
            lambda u: u.get("department") in ("Sales", "Legal"),
        ),
        (
            "department in ('Sales','Legal') and accountEnabled eq true",
            lambda u: u.get("department") in ("Sales", "Legal") and u["accountEnabled"],
        ),
        ("displayName eq 'Siobhán O''Connor'", lambda u: u["displayName"] == "Siobhán O'Connor"),
        ("createdDateTime ge 2026-01-01T00:00:00Z", lambda u: True),
        ("createdDateTime le 2025-01-01T00:00:00Z", lambda u: False),
        ("userType eq 'Guest'", lambda u: u.get("userType") == "Guest"),
        (
            "businessPhones/any(p:startsWith(p,'%2B1'))",
            lambda u: any(p.startswith("+1") for p in u.get("businessPhones") or []),
        ),
        (
            "(department eq 'IT' or department eq 'Design') and startsWith(givenName,'J')",
            lambda u: (
                u.get("department") in ("IT", "Design")
                and (u.get("givenName") or "").startswith("J")
            ),
        ),
    ],
)
def test_default_filters(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any], query: str, pick: Any
) -> None:
    expected = {u["id"] for u in all_users(backend) if pick(u)}
    assert ids(client.get(f"/v1.0/users?$top=999&$filter={query}")) == expected


def test_filter_by_upn_and_id_use_index_and_are_case_insensitive(
    client: GraphClient, seeded: dict[str, Any]
) -> None:
    user = seeded["tricky"][0]
    upn = user["userPrincipalName"].upper().replace("'", "''")
    assert ids(client.get(f"/v1.0/users?$filter=userPrincipalName eq '{upn}'")) == {user["id"]}
    two = [seeded["users"][0]["id"], seeded["users"][1]["id"]]
    assert ids(client.get(f"/v1.0/users?$filter=id in ('{two[0]}','{two[1]}')")) == set(two)


@pytest.mark.parametrize(
    "query",
    [
        "endsWith(mail,'contoso.com')",
        "department ne 'Sales'",
        "not(accountEnabled eq true)",
        "companyName eq 'Contoso'",
        "jobTitle eq null",
    ],
)
def test_advanced_only_filters_fail_without_consistency_level(
    client: GraphClient, seeded: dict[str, Any], backend: GraphBackend, query: str
) -> None:
    plain = client.get(f"/v1.0/users?$filter={query}")
    assert plain.status_code == 400 and plain.json["error"]["code"] == "Request_UnsupportedQuery"
    header_only = client.get(f"/v1.0/users?$filter={query}", headers=EVENTUAL)
    assert header_only.status_code == 400
    advanced = client.get(f"/v1.0/users?$filter={query}&$count=true&$top=999", headers=EVENTUAL)
    assert advanced.status_code == 200 and advanced.json["@odata.count"] == len(
        advanced.json["value"]
    )
    backend.settings.strict_queries = False
    assert client.get(f"/v1.0/users?$filter={query}").status_code == 200


def test_advanced_filter_results(
    client: GraphClient, backend: GraphBackend, seeded: dict[str, Any]
) -> None:
    ends = client.get(
        "/v1.0/users?$filter=endsWith(mail,'@contoso.com')&$count=true", headers=EVENTUAL
    )
    assert {u["mail"] for u in ends.json["value"]} == {"jonathan.smith@contoso.com"}
    no_mail = client.get("/v1.0/users?$filter=mail eq null&$count=true", headers=EVENTUAL)
    assert [u["displayName"] for u in no_mail.json["value"]] == ["Nomail Person"]
    not_enabled = client.get(
        "/v1.0/users?$filter=not(accountEnabled eq true)&$count=true&$top=999", headers=EVENTUAL
    )
    assert ids(not_enabled) == {u["id"] for u in all_users(backend) if not u["accountEnabled"]}


def test_count_param_is_ignored_without_header(client: GraphClient, seeded: dict[str, Any]) -> None:
    resp = client.get("/v1.0/users?$count=true")
    assert resp.status_code == 200 and "@odata.count" not in resp.json


def test_count_only_on_first_page(client: GraphClient, seeded: dict[str, Any]) -> None:
    first = client.get("/v1.0/users?$count=true&$top=5", headers=EVENTUAL)
    assert first.json["@odata.count"] == len(seeded["users"]) + len(seeded["tricky"])
    second = client.get(first.json["@odata.nextLink"])  # no header needed on later pages
    assert second.status_code == 200 and "@odata.count" not in second.json


def test_filter_errors(client: GraphClient, seeded: dict[str, Any]) -> None:
    unknown = client.get("/v1.0/users?$filter=shoeSize eq 4")
    assert (
        unknown.status_code == 400
        and unknown.json["error"]["message"]
        == "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."
    )
    syntax = client.get("/v1.0/users?$filter=displayName eq")
    assert syntax.status_code == 400 and syntax.json["error"]["code"] == "BadRequest"
    quoted_guid = client.get(
        "/v1.0/servicePrincipals?$filter=appOwnerOrganizationId eq '11111111-1111-4111-8111-111111111111'"
    )
    assert (
        quoted_guid.status_code == 400
        and "incompatible types" in quoted_guid.json["error"]["message"]
    )
    unsupported = client.get("/v1.0/users?$filter=passwordProfile eq 'x'")
    assert unsupported.status_code == 400
    all_lambda = client.get("/v1.0/users?$filter=businessPhones/all(p:p eq '1')")
    assert (
        all_lambda.status_code == 400
        and all_lambda.json["error"]["code"] == "Request_UnsupportedQuery"
    )


def test_select_unknown_property_is_400(client: GraphClient) -> None:
    resp = client.get("/v1.0/users?$select=id,shoeSize")
    assert resp.status_code == 400 and "shoeSize" in resp.json["error"]["message"]


def test_orderby_rules(client: GraphClient, seeded: dict[str, Any]) -> None:
    names = [
        u["displayName"]
        for u in client.get("/v1.0/users?$orderby=displayName desc&$top=999").json["value"]
    ]
    assert names == sorted(names, key=str.casefold, reverse=True)
    adv_prop = client.get("/v1.0/users?$orderby=createdDateTime")
    assert adv_prop.status_code == 400
    with_filter = client.get("/v1.0/users?$orderby=displayName&$filter=accountEnabled eq true")
    assert with_filter.status_code == 400
    ok = client.get(
        "/v1.0/users?$orderby=displayName&$filter=accountEnabled eq true&$count=true&$top=3",
        headers=EVENTUAL,
    )
    assert ok.status_code == 200 and len(ok.json["value"]) == 3
    rest = client.get(ok.json["@odata.nextLink"])
    page2 = [u["displayName"] for u in rest.json["value"]]
    page1 = [u["displayName"] for u in ok.json["value"]]
    assert sorted(page1 + page2, key=str.casefold)[:3] == page1


def test_search(client: GraphClient, seeded: dict[str, Any]) -> None:
    no_header = client.get('/v1.0/users?$search="displayName:Alex"')
    assert no_header.status_code == 400 and "ConsistencyLevel" in no_header.json["error"]["message"]
    hits = client.get('/v1.0/users?$search="displayName:johnson"&$top=999', headers=EVENTUAL)
    assert {u["displayName"] for u in hits.json["value"]} >= {"Alex Johnson"}
    assert all("johnson" in u["displayName"].lower() for u in hits.json["value"])
    either = client.get(
        '/v1.0/users?$search="displayName:Nomail" OR "displayName:Reception"', headers=EVENTUAL
    )
    assert {u["displayName"] for u in either.json["value"]} == {"Nomail Person", "Reception Desk"}
    bad = client.get("/v1.0/users?$search=displayName:x", headers=EVENTUAL)
    assert bad.status_code == 400


def test_unknown_query_option_is_400(client: GraphClient) -> None:
    resp = client.get("/v1.0/users?$frobnicate=1")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "BadRequest"


def test_bad_skiptoken_is_400(client: GraphClient) -> None:
    resp = client.get("/v1.0/users?$skiptoken=%%%")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "BadRequest"


def test_count_segment_with_advanced_filter(client: GraphClient, seeded: dict[str, Any]) -> None:
    resp = client.get("/v1.0/users/$count?$filter=endsWith(mail,'@contoso.com')", headers=EVENTUAL)
    assert resp.status_code == 200 and resp.data == b"1"
    assert client.get("/v1.0/users/$count?$filter=endsWith(mail,'@contoso.com')").status_code == 400


def test_complex_sub_property_filters_are_advanced(
    client: GraphClient, backend: GraphBackend
) -> None:
    from tests.support.graph import user_body

    backend.create_user(
        user_body(
            "cc@contoso.onmicrosoft.com", employeeOrgData={"costCenter": "CC-7", "division": "R&D"}
        )
    )
    backend.create_user(
        user_body(
            "ext@contoso.onmicrosoft.com",
            onPremisesExtensionAttributes={"extensionAttribute1": "miro"},
        )
    )
    plain = client.get("/v1.0/users?$filter=employeeOrgData/costCenter eq 'CC-7'")
    assert plain.status_code == 400 and plain.json["error"]["code"] == "Request_UnsupportedQuery"
    adv = client.get(
        "/v1.0/users?$filter=employeeOrgData/costCenter eq 'cc-7'&$count=true", headers=EVENTUAL
    )
    assert [u["userPrincipalName"] for u in adv.json["value"]] == ["cc@contoso.onmicrosoft.com"]
    ext = client.get(
        "/v1.0/users?$filter=onPremisesExtensionAttributes/extensionAttribute1 eq 'miro'&$count=true",
        headers=EVENTUAL,
    )
    assert [u["userPrincipalName"] for u in ext.json["value"]] == ["ext@contoso.onmicrosoft.com"]
