"""Property-based: whatever a client sends, the fake answers without a 5xx, every failure is
Graph's JSON envelope, and a rejected request changes nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_graph import create_app
from tests.support.examples import examples
from tests.support.graph import Clock

CLOCK = Clock()
APP = create_app(clock=CLOCK.now)
BACKEND = APP.extensions["mock_graph"]
SEEDED = BACKEND.seed(5, users=8, groups=2, tricky=True)
_APP_OBJ, SP = BACKEND.create_enterprise_app("Miro")
UID = SEEDED["users"][0]["id"]
GID = SEEDED["groups"][0]["id"]
ASSIGNMENT = BACKEND.assign_app_role(UID, SP["id"])
CLIENT = APP.test_client()

TEMPLATES = [
    "/v1.0/users",
    "/v1.0/users/{id}",
    "/v1.0/users/{id}/manager/$ref",
    "/v1.0/users/{id}/memberOf/{seg}",
    "/v1.0/users/{id}/appRoleAssignments",
    "/v1.0/users/$count",
    "/v1.0/users/delta()",
    "/v1.0/groups",
    "/v1.0/groups/{id}",
    "/v1.0/groups/{id}/members/$ref",
    "/v1.0/groups/{id}/members/{seg}",
    "/v1.0/groups/{id}/members/{id}/$ref",
    "/v1.0/groups/delta",
    "/v1.0/applications",
    "/v1.0/servicePrincipals",
    "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
    "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{seg}",
    "/v1.0/servicePrincipals(appId='{seg}')",
    "/v1.0/directory/deletedItems/{seg}",
    "/v1.0/directory/deletedItems/{id}/restore",
    "/v1.0/$batch",
    "/v1.0/{seg}",
    "/_fake/seed",
    "/_fake/faults",
    "/_fake/state",
    "/_fake/settings",
]
IDS = [
    UID,
    GID,
    SP["id"],
    ASSIGNMENT["id"],
    SEEDED["tricky"][0]["userPrincipalName"],
    "00000000-0000-0000-0000-000000000000",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "displayName",
    "userPrincipalName",
    "accountEnabled",
    "mailNickname",
    "passwordProfile",
    "@odata.id",
    "principalId",
    "resourceId",
    "appRoleId",
    "members@odata.bind",
    "requests",
    "seed",
    "users",
    "path",
    "status",
    "groupTypes",
    "mailEnabled",
    "securityEnabled",
    "appId",
    "appRoles",
    "version",
    "objects",
    "strict_queries",
]
bodies = st.one_of(
    st.none(),
    json_values,
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
    st.binary(max_size=30),
)
FILTER_BITS = [
    "displayName",
    "eq",
    "'x'",
    "ne",
    "and",
    "or",
    "not",
    "(",
    ")",
    "startsWith(",
    ",",
    "null",
    "true",
    "id",
    "in",
    "('a','b')",
    "any(",
    "x:x",
    "/",
    "accountEnabled",
    "00000000-0000-0000-0000-000000000000",
    "2026-01-01T00:00:00Z",
    "'",
    "endsWith(mail,'x')",
    "$count",
]
filters = st.one_of(
    st.text(max_size=30), st.lists(st.sampled_from(FILTER_BITS), max_size=8).map(" ".join)
)
queries = st.dictionaries(
    st.sampled_from(
        [
            "$filter",
            "$select",
            "$top",
            "$orderby",
            "$search",
            "$count",
            "$expand",
            "$skiptoken",
            "$deltatoken",
            "$skip",
            "$bogus",
        ]
    ),
    st.one_of(
        filters,
        st.sampled_from(
            ["0", "1000", "abc", "id,nope", "true", "displayName desc", "manager", "latest"]
        ),
    ),
    max_size=3,
)
segments = st.one_of(
    st.sampled_from(
        [*IDS, "graph.user", "microsoft.graph.group", "graph.nope", "$count", "$ref", "delta"]
    ),
    st.text(min_size=1, max_size=15),
)


def _state() -> str:
    return json.dumps(BACKEND.dump(), sort_keys=True)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]),
    template=st.sampled_from(TEMPLATES),
    ident=st.one_of(st.sampled_from(IDS), st.text(min_size=1, max_size=12)),
    seg=segments,
    query=queries,
    body=bodies,
    auth=st.booleans(),
    eventual=st.booleans(),
)
def test_bad_input_never_breaks_the_fake(
    method: str,
    template: str,
    ident: str,
    seg: str,
    query: dict[str, str],
    body: Any,
    auth: bool,
    eventual: bool,
) -> None:
    path = template.replace("{id}", quote(ident, safe="@")).replace(
        "{seg}", quote(seg, safe="@'()")
    )
    headers = {"Authorization": "Bearer t"} if auth else {}
    if eventual:
        headers["ConsistencyLevel"] = "eventual"
    data: bytes | None
    if body is None:
        data = None
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    before = _state()
    faults_before = CLIENT.get("/_fake/faults").json
    resp = CLIENT.open(path, method=method, query_string=query, headers=headers, data=data)
    assert resp.status_code < 500, (method, path, query, body, resp.get_data()[:300])
    if resp.status_code >= 400:
        assert resp.headers["Content-Type"].startswith("application/json"), resp.headers[
            "Content-Type"
        ]
        envelope = resp.get_json()
        assert set(envelope) == {"error"}
        assert isinstance(envelope["error"]["code"], str) and isinstance(
            envelope["error"]["message"], str
        )
        assert set(envelope["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
        assert _state() == before, (method, path, query, body)
        assert CLIENT.get("/_fake/faults").json == faults_before
    # keep later examples meaningful: undo anything a successful request injected or changed
    CLIENT.delete("/_fake/faults")
    if BACKEND.get(UID) is None and BACKEND.get_deleted(UID) is not None:
        BACKEND.restore(UID)


def test_deeply_nested_input_is_a_400_not_a_recursion_error() -> None:
    """Nesting that would exhaust Python's stack is refused like any other bad input."""
    headers = {"Authorization": "Bearer t", "ConsistencyLevel": "eventual"}
    deep_filter = "(" * 3000 + "displayName eq 'x'" + ")" * 3000
    deep_not = "not " * 3000 + "displayName eq 'x'"
    deep_search = "(" * 3000 + '"displayName:x"' + ")" * 3000
    before = _state()
    for query in ({"$filter": deep_filter}, {"$filter": deep_not}, {"$search": deep_search}):
        resp = CLIENT.get("/v1.0/users", query_string=query, headers=headers)
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "BadRequest"
        assert len(resp.get_json()["error"]["message"]) < 400
    deep_json = b"[" * 100000 + b"]" * 100000
    resp = CLIENT.post(
        "/v1.0/users", data=deep_json, headers={**headers, "Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "BadRequest"
    nested = CLIENT.post("/v1.0/users", json={"employeeOrgData": {"a": {"b": 1}}}, headers=headers)
    assert nested.status_code == 400
    surrogate = b'{"accountEnabled": true, "displayName": "bad \\ud800", "mailNickname": "s", "userPrincipalName": "s@contoso.com", "passwordProfile": {"password": "p"}}'
    resp = CLIENT.post(
        "/v1.0/users", data=surrogate, headers={**headers, "Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and "surrogate" in resp.get_json()["error"]["message"]
    assert _state() == before


def test_nested_nots_within_the_depth_limit_are_answered() -> None:
    """Up to 64 levels of ``not`` are a filter like any other (each ``not`` negates:
    https://learn.microsoft.com/en-us/graph/filter-query-parameter), answered at once; the
    advanced-query check sees ``not`` once per property."""
    headers = {"Authorization": "Bearer t", "ConsistencyLevel": "eventual"}
    name = SEEDED["users"][0]["displayName"].replace("'", "''")
    for depth, expected in ((63, False), (64, True)):
        query = {"$filter": "not " * depth + f"displayName eq '{name}'", "$count": "true"}
        resp = CLIENT.get("/v1.0/users", query_string=query, headers=headers)
        assert resp.status_code == 200
        found = {u["id"] for u in resp.get_json()["value"]}
        assert (UID in found) is expected
    plain = CLIENT.get(
        "/v1.0/users",
        query_string={"$filter": "not " * 64 + "displayName eq 'x'"},
        headers={"Authorization": "Bearer t"},
    )
    assert plain.status_code == 400
    assert plain.get_json()["error"]["message"].startswith("Operator 'not' is not supported")


def test_search_limits_nesting_not_the_number_of_groups() -> None:
    """Parenthesised clauses side by side (https://learn.microsoft.com/en-us/graph/search-query-parameter)
    do not add up to the 64-level nesting limit."""
    headers = {"Authorization": "Bearer t", "ConsistencyLevel": "eventual"}
    upn = SEEDED["users"][0]["userPrincipalName"]
    group = '("userPrincipalName:' + upn + '")'
    resp = CLIENT.get(
        "/v1.0/users", query_string={"$search": " OR ".join([group] * 70)}, headers=headers
    )
    assert resp.status_code == 200
    assert [u["id"] for u in resp.get_json()["value"]] == [UID]


def _token(data: object) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_paging_and_delta_tokens_are_400() -> None:
    headers = {"Authorization": "Bearer t"}
    forged_skip = [
        {"q": {"$filter": 5}, "c": {}},
        {"q": {}, "c": {"off": "x"}},
        {"q": {}, "c": {"off": -3}},
        {"q": {}, "c": {"after": ["x"]}},
        {"q": {"$top": "5"}, "c": {"whatever": 1}},
        [1, 2],
    ]
    for data in forged_skip:
        resp = CLIENT.get("/v1.0/users", query_string={"$skiptoken": _token(data)}, headers=headers)
        assert resp.status_code == 400, data
    deep = _token({"q": {}, "c": {"after": "x"}, "deep": json.loads("[" * 500 + "]" * 500)})
    assert CLIENT.get(
        "/v1.0/users", query_string={"$skiptoken": deep}, headers=headers
    ).status_code in (200, 400)
    forged_delta = [
        {"k": "user", "res": None, "sel": None, "s": "x"},
        {"k": "user", "res": None, "sel": None, "s": -1},
        {"k": "user", "res": None, "sel": ["nope"], "s": 0},
        {"k": "user", "res": None, "sel": None, "st": {"from": 0, "to": "y", "pos": 0}},
        {"k": "user", "res": None, "sel": None, "st": {"init": True, "to": 0, "after": 7}},
    ]
    for data in forged_delta:
        key = "$skiptoken" if "st" in data else "$deltatoken"
        resp = CLIENT.get("/v1.0/users/delta", query_string={key: _token(data)}, headers=headers)
        assert resp.status_code < 500, data
        if resp.status_code >= 400:
            assert resp.get_json()["error"]["code"] in ("BadRequest", "syncStateNotFound")
