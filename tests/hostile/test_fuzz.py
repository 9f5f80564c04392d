"""Hypothesis against a served harness: SCIM filters, SCIM PATCH operations and OData query
options, plus hostile bodies on both fakes' write routes. Every answer is below 500 and in its
format; every rejected write leaves the whole state as it was (the property: writes are all or
nothing). The budget is HOSTILE_EXAMPLES examples per test (60 by default, derandomised so CI
repeats; set it, e.g. to 500, for a longer random run)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.serve.served import ServedHarness
from tests.support.hostile import EXAMPLES, LONG_RUN, Prober

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# -- values ----------------------------------------------------------------------------------

# Strings a parser or an index trips on: lone surrogates, NUL, right-to-left marks, combining
# marks, case folds that change length, astral characters, a BOM, very long ones.
EDGE_STRINGS = [
    "\ud800",
    "a\udfff@example.com",
    "\x00",
    "\u202eevil\u202c",
    "e\u0301",
    "\u0130stanbul@example.com",
    "stra\u00dfe@example.com",
    "\ufb01@example.com",
    "\U0001f600@example.com",
    "\ufeffbom@example.com",
    "x" * 5000,
    "",
    " ",
    '"quoted"',
    "back\\slash",
    "a'b",
]
EDGE_NUMBERS = [0, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, 10**20, 1e308, -0.0, 0.5]
text = st.one_of(st.sampled_from(EDGE_STRINGS), st.text(max_size=40))
scalars = st.one_of(
    text, st.sampled_from(EDGE_NUMBERS), st.integers(), st.floats(), st.booleans(), st.none()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)


def encoded(body: Any) -> bytes:
    """JSON text for any value: lone surrogates as escapes, NaN and Infinity as Python writes
    them (not JSON: the fakes must refuse them)."""
    return json.dumps(body).encode()


# -- SCIM filters ----------------------------------------------------------------------------

SCIM_ATTRIBUTES = [
    "userName",
    "displayName",
    "active",
    "externalId",
    "id",
    "emails.value",
    'emails[type eq "work"].value',
    "emails[value",
    "name.givenName",
    "meta.created",
    "meta.lastModified",
    f"{ENTERPRISE}:department",
    f"{USER_SCHEMA}:userName",
    "members.value",
    "roles.value",
    "groups",
    "a.b.c.d",
    "",
]
SCIM_OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ", "Sw", "xx"]
filter_values = st.one_of(
    text.map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.sampled_from(EDGE_NUMBERS).map(str),
    st.sampled_from(["true", "false", "null", '"2026-01-05T09:00:00Z"', "unquoted", '"\\u', "'"]),
)
comparisons = st.builds(
    lambda a, o, v: f"{a} {o}" if o == "pr" else f"{a} {o} {v}",
    st.sampled_from(SCIM_ATTRIBUTES),
    st.sampled_from(SCIM_OPERATORS),
    filter_values,
)
scim_filters = st.one_of(
    st.recursive(
        comparisons,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"{a} and {b}", inner, inner),
            st.builds(lambda a, b: f"{a} or {b}", inner, inner),
            inner.map(lambda a: f"not ({a})"),
            inner.map(lambda a: f"({a})"),
            st.builds(lambda a, f: f"emails[{f}]", st.just(""), inner),
        ),
        max_leaves=6,
    ),
    text,
    st.just("(" * 500 + 'userName eq "a"' + ")" * 500),
)
list_options = st.fixed_dictionaries(
    {},
    optional={
        "startIndex": st.one_of(st.integers(), st.sampled_from(["99999999999999999999", "x"])),
        "count": st.one_of(st.integers(), st.sampled_from(["1e9", "-0"])),
        "sortBy": st.sampled_from(SCIM_ATTRIBUTES),
        "sortOrder": st.sampled_from(["ascending", "descending", "sideways"]),
        "attributes": st.sampled_from(SCIM_ATTRIBUTES),
        "excludedAttributes": st.sampled_from(SCIM_ATTRIBUTES),
    },
)


def _miro(prober: Prober) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {prober.lab.miro.settings.token}",
        "Content-Type": "application/scim+json",
    }


@FUZZ
@given(resource=st.sampled_from(["Users", "Groups"]), expression=scim_filters, options=list_options)
def test_scim_filters_and_list_options(
    served: ServedHarness, prober: Prober, resource: str, expression: str, options: dict[str, Any]
) -> None:
    query = {"filter": expression, **{k: str(v) for k, v in options.items()}}
    path = f"/api/v1/scim/{resource}?" + "&".join(
        f"{k}={quote(v, safe='', errors='backslashreplace')}" for k, v in query.items()
    )
    prober.send("miro", "GET", path, headers=_miro(prober), check_state=False)
    prober.check()


# -- SCIM PATCH ------------------------------------------------------------------------------

PATCH_PATHS = [
    "active",
    "userName",
    "displayName",
    "name.givenName",
    "name",
    "emails",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    "emails[value co ",
    "externalId",
    "roles",
    "userType",
    f"{ENTERPRISE}:department",
    ENTERPRISE,
    "members",
    'members[value eq "1"]',
    "members[value eq",
    "meta.created",
    "id",
    "groups",
    "x" * 300,
    "",
]
operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "Add", "Replace", "REMOVE", "move", ""])},
    optional={"path": st.sampled_from(PATCH_PATHS), "value": json_values},
)
patch_bodies = st.fixed_dictionaries(
    {"Operations": st.lists(operations, max_size=4)},
    optional={"schemas": st.sampled_from([[PATCH_SCHEMA], [], "x", [USER_SCHEMA]])},
)


@FUZZ
@given(target=st.sampled_from(["Users", "Groups"]), body=patch_bodies)
def test_scim_patch_operations(
    served: ServedHarness, prober: Prober, target: str, body: dict[str, Any]
) -> None:
    miro = prober.lab.miro.dump()
    ident = miro["users"][0]["id"] if target == "Users" else miro["groups"][0]["id"]
    path = f"/api/v1/scim/{target}/{ident}"
    prober.send("miro", "PATCH", path, headers=_miro(prober), content=encoded(body))
    prober.check()


# -- OData -----------------------------------------------------------------------------------

GRAPH_PROPERTIES = [
    "displayName",
    "userPrincipalName",
    "accountEnabled",
    "mail",
    "id",
    "createdDateTime",
    "assignedLicenses",
    "proxyAddresses",
    "onPremisesExtensionAttributes/extensionAttribute1",
    "manager/id",
    "nope",
    "",
]
odata_literals = st.one_of(
    text.map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.sampled_from(EDGE_NUMBERS).map(str),
    st.sampled_from(["true", "null", "'", "2026-01-05T09:00:00Z", "(1,2)", "guid'x'"]),
)
odata_comparisons = st.one_of(
    st.builds(
        lambda p, o, v: f"{p} {o} {v}",
        st.sampled_from(GRAPH_PROPERTIES),
        st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le", "in", "has", "xx"]),
        odata_literals,
    ),
    st.builds(
        lambda f, p, v: f"{f}({p},{v})",
        st.sampled_from(["startswith", "endswith", "contains", "substringof", "nope"]),
        st.sampled_from(GRAPH_PROPERTIES),
        odata_literals,
    ),
    st.builds(
        lambda p, v: f"{p}/any(x:x eq {v})",
        st.sampled_from(["proxyAddresses", "assignedLicenses", "displayName"]),
        odata_literals,
    ),
)
odata_filters = st.one_of(
    st.recursive(
        odata_comparisons,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"{a} and {b}", inner, inner),
            st.builds(lambda a, b: f"{a} or {b}", inner, inner),
            inner.map(lambda a: f"not ({a})"),
        ),
        max_leaves=5,
    ),
    text,
)
odata_options = st.fixed_dictionaries(
    {},
    optional={
        "$filter": odata_filters,
        "$select": st.lists(st.sampled_from(GRAPH_PROPERTIES), max_size=3).map(",".join),
        "$top": st.one_of(st.integers(), st.sampled_from(["99999999999999999999", "x"])),
        "$skip": st.integers().map(str),
        "$orderby": st.sampled_from(["displayName", "displayName desc", "nope asc", "id sideways"]),
        "$search": text.map(lambda s: f'"displayName:{s}"'),
        "$count": st.sampled_from(["true", "false", "maybe"]),
        "$expand": st.sampled_from(["manager", "memberOf", "nope", "manager($select=id)"]),
        "$skiptoken": text,
        "$deltatoken": text,
    },
)


@FUZZ
@given(
    collection=st.sampled_from(
        ["/v1.0/users", "/v1.0/groups", "/v1.0/users/delta", "/v1.0/auditLogs/provisioning"]
    ),
    options=odata_options,
    eventual=st.booleans(),
)
def test_odata_query_options(
    served: ServedHarness,
    prober: Prober,
    collection: str,
    options: dict[str, Any],
    eventual: bool,
) -> None:
    query = "&".join(
        f"{k}={quote(str(v), safe='', errors='backslashreplace')}" for k, v in options.items()
    )
    headers = {"Authorization": "Bearer any"}
    if eventual:
        headers["ConsistencyLevel"] = "eventual"
    prober.send("graph", "GET", f"{collection}?{query}", headers=headers, check_state=False)
    prober.check()


# -- hostile bodies on write routes: all or nothing -----------------------------------------


def _templates(prober: Prober) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(listener, method, path, a valid body) for the write routes of both fakes and the
    harness; the property test breaks one value of each at a time."""
    lab = prober.lab
    graph = lab.graph.dump()
    user = next(o["data"]["id"] for o in graph["objects"] if o["kind"] == "user")
    group = next(o["data"]["id"] for o in graph["objects"] if o["kind"] == "group")
    miro = lab.miro.dump()
    muid, mgid = miro["users"][0]["id"], miro["groups"][0]["id"]
    sync = f"/v1.0/servicePrincipals/{lab.service_principal_id}/synchronization"
    job = f"{sync}/jobs/{lab.job_id}"
    return [
        (
            "miro",
            "POST",
            "/api/v1/scim/Users",
            {
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "userName": "fuzz@example.com",
                "name": {"givenName": "F", "familyName": "Z"},
                "emails": [{"value": "fuzz@example.com", "type": "work", "primary": True}],
                "active": True,
                "externalId": "fuzz",
                ENTERPRISE: {"department": "D", "employeeNumber": "7"},
            },
        ),
        (
            "miro",
            "PUT",
            f"/api/v1/scim/Users/{muid}",
            {"schemas": [USER_SCHEMA], "userName": "put@example.com", "active": False},
        ),
        (
            "miro",
            "PATCH",
            f"/api/v1/scim/Groups/{mgid}",
            {
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": muid}]}],
            },
        ),
        (
            "graph",
            "POST",
            "/v1.0/users",
            {
                "accountEnabled": True,
                "displayName": "Fuzz",
                "mailNickname": "fuzz",
                "userPrincipalName": "fuzz@contoso.onmicrosoft.com",
                "passwordProfile": {"password": "x-Y-1-z!"},
            },
        ),
        ("graph", "PATCH", f"/v1.0/users/{user}", {"displayName": "D", "jobTitle": "J"}),
        (
            "graph",
            "POST",
            "/v1.0/groups",
            {
                "displayName": "G",
                "mailEnabled": False,
                "mailNickname": "g",
                "securityEnabled": True,
            },
        ),
        (
            "graph",
            "POST",
            f"/v1.0/groups/{group}/members/$ref",
            {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user}"},
        ),
        (
            "graph",
            "POST",
            f"/v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo",
            {
                "principalId": user,
                "resourceId": lab.service_principal_id,
                "appRoleId": lab.app_roles["User"],
            },
        ),
        ("graph", "PUT", f"{sync}/secrets", {"value": [{"key": "SyncAll", "value": "False"}]}),
        (
            "graph",
            "PATCH",
            job,
            {"synchronizationJobSettings": [{"name": "Quarantine", "value": "1"}]},
        ),
        (
            "graph",
            "POST",
            f"{job}/provisionOnDemand",
            {
                "parameters": [
                    {
                        "ruleId": "x",
                        "subjects": [{"objectId": user, "objectTypeName": "User"}],
                    }
                ]
            },
        ),
        ("graph", "POST", f"{job}/restart", {"criteria": {"resetScope": "Full"}}),
        ("graph", "PUT", "/_fake/settings", {"retention_days": 30, "delta_page_size": 100}),
        ("miro", "PUT", "/_fake/settings", {"journal_limit": 1000, "rate_limits": False}),
        ("graph", "PUT", "/_fake/engine/settings", {"cycle_interval": "40m"}),
        ("graph", "POST", "/_fake/faults", {"path": "^/nothing$", "status": 500, "times": 1}),
        ("graph", "POST", "/_fake/clock", {"advance": "0"}),
    ]


def _break(body: dict[str, Any], key_path: list[str], value: Any, how: str) -> Any:
    """``body`` with one place broken: a value replaced, a key dropped, an unknown key added,
    or the whole body replaced."""
    if how == "whole":
        return value
    broken = json.loads(json.dumps(body))
    holder = broken
    for key in key_path[:-1]:
        holder = holder[key] if isinstance(holder, dict) else holder[0]
    last = key_path[-1]
    if how == "drop" and isinstance(holder, dict):
        holder.pop(last, None)
    elif how == "unknown" and isinstance(holder, dict):
        holder["unknownProperty"] = value
    elif isinstance(holder, dict):
        holder[last] = value
    return broken


def _key_paths(body: Any, prefix: list[str] | None = None) -> list[list[str]]:
    prefix = prefix or []
    paths = []
    if isinstance(body, dict):
        for key, value in body.items():
            paths.append([*prefix, key])
            paths.extend(_key_paths(value, [*prefix, key]))
    elif isinstance(body, list) and body:
        paths.extend(_key_paths(body[0], prefix))
    return paths


@FUZZ
@given(data=st.data())
def test_a_rejected_write_leaves_no_trace(
    served: ServedHarness, prober: Prober, data: st.DataObject
) -> None:
    listener, method, path, body = data.draw(st.sampled_from(_templates(prober)), label="route")
    how = data.draw(st.sampled_from(["replace", "replace", "drop", "unknown", "whole"]))
    key_path = data.draw(st.sampled_from(_key_paths(body)), label="where")
    value = data.draw(json_values, label="value")
    token = prober.lab.miro.settings.token if listener == "miro" else "any"
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        **prober.control,
    }
    prober.send(
        listener, method, path, headers=headers, content=encoded(_break(body, key_path, value, how))
    )
    prober.check()


@pytest.mark.parametrize("listener", ["graph", "miro"])
def test_a_rejected_state_load_leaves_no_trace(
    served: ServedHarness, prober: Prober, listener: str
) -> None:
    """The dumps themselves, broken field by field: a refused load replaces nothing."""
    lab = prober.lab
    dump = (lab.graph if listener == "graph" else lab.miro).dump()
    headers = {"Content-Type": "application/json", **prober.control}
    for key in list(dump):
        for value in ("seven", 2**64, None, [], {"x": 1}):
            broken = {**dump, key: value}
            prober.send(listener, "PUT", "/_fake/state", headers=headers, content=encoded(broken))
    for stray in ({"displayName": "x"}, {}, {**dump, "extra": 1}):
        response = prober.send(
            listener, "PUT", "/_fake/state", headers=headers, content=encoded(stray)
        )
        assert response.status_code == 400
    prober.check()
