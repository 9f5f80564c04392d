"""Property-based: malformed JSON, wrong types, unknown attributes and random filters at every
route never give a 5xx; every error is a SCIM error body; a rejected request changes nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_miro import MiroBackend, create_app
from tests.support.miro import ENTERPRISE, ERROR_SCHEMA, PATCH_SCHEMA, Scim

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.text(max_size=30)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
user_keys = st.sampled_from(
    [
        "userName",
        "username",
        "name",
        "displayName",
        "active",
        "emails",
        "roles",
        "userType",
        "photos",
        "externalId",
        "id",
        "groups",
        "meta",
        "schemas",
        "preferredLanguage",
        ENTERPRISE,
        "title",
        "nickName",
    ]
)
user_bodies = st.dictionaries(
    user_keys | st.text(max_size=12), json_values | st.emails(), max_size=6
)
paths = st.sampled_from(
    [
        None,
        "active",
        "userName",
        "displayName",
        "name.givenName",
        "emails",
        'emails[type eq "work"].value',
        'roles[primary eq "True"].value',
        "roles",
        f"{ENTERPRISE}:manager",
        f"{ENTERPRISE}:employeeNumber",
        ENTERPRISE,
        "members",
        'members[value eq "1"]',
        "members[",
        "]",
        "groups",
        "id",
        "x.y.z",
        "",
    ]
) | st.text(max_size=25)
operations = st.fixed_dictionaries(
    {
        "op": st.sampled_from(
            ["add", "Add", "remove", "Remove", "replace", "Replace", "move", 3, None]
        )
    },
    optional={"path": paths, "value": json_values},
)
patch_bodies = st.fixed_dictionaries(
    {"Operations": st.lists(operations, max_size=4) | json_values},
    optional={"schemas": st.just([PATCH_SCHEMA]) | json_values},
)
filter_words = st.sampled_from(
    [
        "userName",
        "eq",
        "ne",
        "co",
        "sw",
        "pr",
        "gt",
        "and",
        "or",
        "not",
        "(",
        ")",
        "[",
        "]",
        '"x@y.com"',
        '"',
        "true",
        "null",
        "12",
        "emails[type",
        ".value",
        "displayName",
        "members",
        f"{ENTERPRISE}:department",
        "meta.created",
    ]
)
filters = st.lists(filter_words, max_size=8).map(" ".join) | st.text(max_size=40)


def _fresh() -> tuple[Scim, MiroBackend, str, str]:
    backend = MiroBackend()
    scim = Scim(create_app(backend))
    seeded = backend.seed(3, users=3, teams=["Design"], admins=1)
    return scim, backend, seeded["users"][1]["id"], seeded["teams"][0]["id"]


def check_request(
    scim: Scim,
    backend: MiroBackend,
    method: str,
    path: str,
    *,
    body: Any = None,
    raw: bytes | None = None,
    query: dict[str, Any] | None = None,
) -> None:
    before = backend.dump_json()
    response = scim.call(method, path, body, raw=raw, query=query)
    assert response.status_code < 500, (
        method,
        path,
        body,
        raw,
        query,
        response.get_data(as_text=True),
    )
    if response.status_code >= 400:
        assert response.mimetype == "application/scim+json"
        error = response.get_json()
        assert error["schemas"] == [ERROR_SCHEMA] and error["status"] == str(response.status_code)
        assert isinstance(error["detail"], str)
        assert backend.dump_json() == before, "a rejected request changed the state"


ROUTES = st.sampled_from(
    [
        "/Users",
        "/Users/{u}",
        "/Users/404",
        "/Groups",
        "/Groups/{g}",
        "/Groups/404",
        "/Schemas",
        "/ResourceTypes",
        "/ServiceProviderConfig",
        "/Users/{u}/x",
        "/",
    ]
)
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"])


@SETTINGS
@given(method=METHODS, route=ROUTES, raw=st.binary(max_size=120))
def test_malformed_bytes_anywhere(method: str, route: str, raw: bytes) -> None:
    scim, backend, uid, gid = _fresh()
    check_request(scim, backend, method, route.format(u=uid, g=gid), raw=raw)


@SETTINGS
@given(
    method=st.sampled_from(["POST", "PUT", "PATCH"]), route=ROUTES, body=json_values | user_bodies
)
def test_wrong_types_and_unknown_attributes(method: str, route: str, body: Any) -> None:
    scim, backend, uid, gid = _fresh()
    check_request(scim, backend, method, route.format(u=uid, g=gid), body=body)


@SETTINGS
@given(
    route=st.sampled_from(["/Users/{u}", "/Groups/{g}"]), body=patch_bodies, strict=st.booleans()
)
def test_random_patch_operations(route: str, body: Any, strict: bool) -> None:
    scim, backend, uid, gid = _fresh()
    backend.update_settings({"patch_strict": strict})
    check_request(scim, backend, "PATCH", route.format(u=uid, g=gid), body=body)


@SETTINGS
@given(
    route=st.sampled_from(["/Users", "/Groups"]),
    text=filters,
    extra=st.dictionaries(
        st.sampled_from(
            ["sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes"]
        ),
        st.text(max_size=15),
        max_size=3,
    ),
)
def test_random_filters_and_list_parameters(route: str, text: str, extra: dict[str, str]) -> None:
    scim, backend, _, _ = _fresh()
    check_request(scim, backend, "GET", route, query={"filter": text, **extra})


def test_a_json_body_too_deep_to_parse_is_a_400(scim: Scim, backend: MiroBackend) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    check_request(scim, backend, "POST", "/Users", raw=deep)
    assert scim.call("POST", "/Users", raw=deep).status_code == 400


def test_a_json_array_body_is_a_400_not_a_crash(scim: Scim) -> None:
    response = scim.call("POST", "/Users", raw=json.dumps([1, 2]))
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidSyntax"
