"""Miro's documented rules: auth, media types, payload limits, users, teams, user groups."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mock_miro import MiroBackend
from tests.support.miro import ENTERPRISE, Scim, added_users, assert_scim_error

ADMIN_ROLE = [
    {"value": "ORGANIZATION_INTERNAL_ADMIN", "type": "organization_user_role", "primary": True}
]


# ---------------------------------------------------------------- protocol


def test_missing_or_wrong_token_is_401(scim: Scim) -> None:
    assert_scim_error(scim.client.get("/api/v1/scim/Users"), 401)
    assert_scim_error(
        scim.client.get("/api/v1/scim/Users", headers={"Authorization": "Bearer nope"}), 401
    )
    assert_scim_error(
        scim.client.get("/api/v1/scim/Users", headers={"Authorization": "Basic x"}), 401
    )


def test_token_is_a_setting(make_scim: Callable[..., Scim]) -> None:
    custom = make_scim(token="s3cret")
    assert_scim_error(custom.get("/Users"), 401)
    custom.token = "s3cret"
    assert custom.get("/Users").status_code == 200


def test_scim_disabled_is_403(make_scim: Callable[..., Scim]) -> None:
    assert_scim_error(make_scim(scim_enabled=False).get("/Users"), 403)


def test_base_url_with_and_without_trailing_slash(scim: Scim) -> None:
    assert scim.get("/Users/").status_code == 200
    assert scim.get("/ServiceProviderConfig/").status_code == 200
    assert_scim_error(scim.get("/"), 404)


def test_json_media_types_accepted_others_415(scim: Scim, backend: MiroBackend) -> None:
    ok = scim.call(
        "POST", "/Users", {"userName": "a@x.com"}, headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 201 and ok.mimetype == "application/scim+json"
    assert_scim_error(
        scim.call(
            "POST",
            "/Users",
            raw="userName=b@x.com",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
    )
    assert backend.get_user_by_username("b@x.com") is None


def test_body_over_800000_bytes_is_413(scim: Scim, backend: MiroBackend) -> None:
    big = {"userName": "big@x.com", "displayName": "x" * 800_001}
    assert_scim_error(scim.post("/Users", big), 413)
    assert added_users(backend) == {}


def test_discovery_write_methods_are_405(scim: Scim) -> None:
    for path in ("/ServiceProviderConfig", "/Schemas", "/ResourceTypes"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert_scim_error(scim.call(method, path, {}), 405)


def test_discovery_documents(scim: Scim) -> None:
    spc = scim.get("/ServiceProviderConfig").get_json()
    assert spc["bulk"]["supported"] is False and spc["patch"]["supported"] is True
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    schemas = scim.get("/Schemas").get_json()
    assert schemas["totalResults"] == 3
    user = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").get_json()
    username = next(a for a in user["attributes"] if a["name"] == "userName")
    assert (username["required"], username["caseExact"], username["uniqueness"]) == (
        True,
        False,
        "server",
    )
    assert scim.get(f"/Schemas/{ENTERPRISE}").get_json()["name"] == "EnterpriseUser"
    types = scim.get("/ResourceTypes").get_json()
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    assert scim.get("/ResourceTypes/User").get_json()["schemaExtensions"][0]["schema"] == ENTERPRISE
    assert_scim_error(scim.get("/ResourceTypes/Nope"), 404)
    assert_scim_error(scim.get("/Schemas/urn:nope"), 404)


def test_unknown_paths_are_scim_404(scim: Scim) -> None:
    assert_scim_error(scim.get("/Nope"), 404)
    assert_scim_error(scim.client.get("/elsewhere"), 404)


# ---------------------------------------------------------------- users


def test_username_must_be_an_email(scim: Scim) -> None:
    assert_scim_error(scim.post("/Users", {"userName": "not-an-email"}), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", {"displayName": "x"}), 400, "invalidValue")


def test_duplicate_username_409_uniqueness_as_a_setting(make_scim: Callable[..., Scim]) -> None:
    scim = make_scim(duplicate_user_error=409)
    scim.create_user("dup@x.com")
    body = assert_scim_error(scim.post("/Users", {"userName": "DUP@x.com"}), 409, "uniqueness")
    assert body["detail"] == "User with userName 'DUP@x.com' already exists"


def test_duplicate_username_in_miros_400_form_by_default(scim: Scim, backend: MiroBackend) -> None:
    scim.create_user("dup@x.com")
    before = backend.dump()
    taken = scim.post("/Users", {"userName": "DUP@x.com"})
    # The only body Miro publishes for it (https://developers.miro.com/docs/errors).
    assert taken.status_code == 400
    assert taken.get_json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "User name 'DUP@x.com' is invalid: 'not unique'",
    }
    assert backend.dump() == before


def test_domain_allow_list(make_scim: Callable[..., Scim]) -> None:
    scim = make_scim(allowed_domains=["contoso.com"])
    body = assert_scim_error(scim.post("/Users", {"userName": "eve@evil.com"}), 409)
    assert body["detail"] == "eve@evil.com is not whitelisted"
    assert "scimType" not in body
    uid = scim.create_user("ok@Contoso.com")["id"]
    assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "userName", "value": "ok@evil.com"}),
        409,
    )


def test_display_name_derivation_precedence(scim: Scim) -> None:
    assert (
        scim.create_user("a@x.com", displayName="Shown", name={"formatted": "F"})["displayName"]
        == "Shown"
    )
    assert (
        scim.create_user("b@x.com", name={"formatted": "F", "givenName": "G"})["displayName"] == "F"
    )
    assert (
        scim.create_user("c@x.com", name={"givenName": "G", "familyName": "H"})["displayName"]
        == "G H"
    )
    assert scim.create_user("d@x.com")["displayName"] == "d@x.com"


@pytest.mark.parametrize(
    "attrs",
    [
        {"displayName": "x" * 61},
        {"name": {"formatted": "x" * 61}},
        {"name": {"givenName": "x" * 30, "familyName": "y" * 30}},  # 61 with the space
        {ENTERPRISE: {"employeeNumber": "1" * 21}},
        {ENTERPRISE: {"department": "d" * 121}},
        {ENTERPRISE: {"manager": {"value": "1", "displayName": "m" * 61}}},
    ],
)
def test_length_limits(scim: Scim, backend: MiroBackend, attrs: dict[str, object]) -> None:
    assert_scim_error(scim.post("/Users", {"userName": "long@x.com", **attrs}), 400, "invalidValue")
    assert added_users(backend) == {}


def test_limits_allow_the_boundary(scim: Scim) -> None:
    user = scim.create_user(
        "edge@x.com",
        displayName="x" * 60,
        name={"givenName": "x" * 30, "familyName": "y" * 29},
        **{ENTERPRISE: {"employeeNumber": "1" * 20, "costCenter": "c" * 120}},
    )
    assert user["displayName"] == "x" * 60
    assert user[ENTERPRISE]["costCenter"] == "c" * 120


def test_manager_value_must_be_numeric_or_is_ignored(scim: Scim) -> None:
    kept = scim.create_user(
        "m1@x.com", **{ENTERPRISE: {"manager": {"value": "3074457345618258730"}}}
    )
    assert kept[ENTERPRISE]["manager"] == {"value": "3074457345618258730"}
    dropped = scim.create_user(
        "m2@x.com", **{ENTERPRISE: {"manager": {"value": "abc"}, "department": "IT"}}
    )
    assert dropped[ENTERPRISE] == {"department": "IT"}


def test_licence_default_upgrade_and_no_downgrade(scim: Scim) -> None:
    free = scim.create_user("lic@x.com", userType="Free")
    assert scim.create_user("lic2@x.com")["userType"] == "Full"
    assert_scim_error(scim.post("/Users", {"userName": "lic3@x.com", "userType": "Platinum"}), 400)
    uid = free["id"]
    assert (
        scim.patch(
            f"/Users/{uid}", {"op": "replace", "path": "userType", "value": "Full"}
        ).status_code
        == 200
    )
    assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "userType", "value": "Free"}), 400
    )
    assert_scim_error(
        scim.put(f"/Users/{uid}", {"userName": "lic@x.com", "userType": "Basic"}), 400
    )
    assert scim.get(f"/Users/{uid}").get_json()["userType"] == "Full"


def test_roles_vocabulary(scim: Scim) -> None:
    assert_scim_error(
        scim.post(
            "/Users",
            {
                "userName": "r@x.com",
                "roles": [
                    {"value": "ORGANIZATION_TEAM_GUEST_USER", "type": "organization_user_role"}
                ],
            },
        ),
        400,
    )
    assert_scim_error(
        scim.post(
            "/Users",
            {
                "userName": "r@x.com",
                "roles": [
                    *ADMIN_ROLE,
                    {"value": "ORGANIZATION_INTERNAL_USER", "type": "organization_user_role"},
                ],
            },
        ),
        400,
    )
    made = scim.create_user(
        "r@x.com",
        roles=[{"value": "Content Admin", "type": "organization_admin_role", "primary": False}],
    )
    assert made["roles"][0]["value"] == "Content Admin"


def test_deactivated_user_immutables(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.create_user(
        "d@x.com", emails=[{"value": "d@x.com", "type": "work"}], userType="Free"
    )["id"]
    scim.patch(f"/Users/{uid}", {"op": "Replace", "path": "active", "value": "False"})
    before = backend.get_user(uid)
    assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "userName", "value": "e@x.com"}), 409
    )
    assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "userType", "value": "Full"}), 409
    )
    assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "add", "path": "roles", "value": ADMIN_ROLE}), 409
    )
    ignored = scim.patch(
        f"/Users/{uid}",
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "z@x.com"},
    )
    assert ignored.status_code == 200  # e-mail changes are ignored without error
    assert backend.get_user(uid) == before
    # Reactivating in the same request lifts the rule.
    both = scim.patch(
        f"/Users/{uid}",
        {"op": "replace", "path": "active", "value": True},
        {"op": "replace", "path": "userName", "value": "e@x.com"},
    )
    assert both.status_code == 200 and both.get_json()["userName"] == "e@x.com"


def test_last_admin_cannot_be_deactivated_or_deleted(
    make_scim: Callable[..., Scim],
) -> None:
    scim = make_scim(token_owner=None)  # an organisation without the token's owner
    admin = scim.create_user("admin@x.com", roles=ADMIN_ROLE)["id"]
    body = assert_scim_error(
        scim.patch(f"/Users/{admin}", {"op": "replace", "path": "active", "value": False}), 409
    )
    assert body["detail"] == "Any account in organization must have at least one admin"
    assert_scim_error(scim.delete(f"/Users/{admin}"), 409)
    scim.create_user("admin2@x.com", roles=ADMIN_ROLE)
    assert (
        scim.patch(
            f"/Users/{admin}", {"op": "replace", "path": "active", "value": False}
        ).status_code
        == 200
    )


def test_last_team_admin_cannot_leave(scim: Scim, backend: MiroBackend) -> None:
    team = backend.create_team("Design")["id"]
    uid = scim.create_user("lead@x.com")["id"]
    backend.add_team_member(team, uid, admin=True)
    assert_scim_error(
        scim.patch(f"/Groups/{team}", {"op": "remove", "path": f'members[value eq "{uid}"]'}), 409
    )
    assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "active", "value": "False"}), 409
    )
    assert_scim_error(scim.delete(f"/Users/{uid}"), 409)
    assert [m["value"] for m in backend.get_group(team)["members"]] == [uid]


def test_put_replaces_and_keeps_licence(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.create_user("p@x.com", displayName="P", preferredLanguage="en_US")["id"]
    replaced = scim.put(f"/Users/{uid}", {"userName": "p@x.com", "name": {"givenName": "Pat"}})
    assert replaced.status_code == 200
    user = replaced.get_json()
    assert (
        "preferredLanguage" not in user
        and user["displayName"] == "Pat"
        and user["userType"] == "Full"
    )
    assert_scim_error(scim.put("/Users/123", {"userName": "p@x.com"}), 404)


def test_pagination_and_sorting(scim: Scim) -> None:
    for name in ("c", "a", "b", "d"):
        scim.create_user(f"{name}@x.com")
    page = scim.get("/Users", startIndex="2", count="2", sortBy="userName").get_json()
    assert [r["userName"] for r in page["Resources"]] == ["b@x.com", "c@x.com"]
    # Five users: the token's owner (scim.admin@miro-org.example sorts last) and these four.
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    desc = scim.get("/Users", sortBy="userName", sortOrder="descending", count="2").get_json()
    assert [r["userName"] for r in desc["Resources"]] == ["scim.admin@miro-org.example", "d@x.com"]
    assert scim.get("/Users").get_json()["itemsPerPage"] == 5
    assert scim.get("/Users", count="0").get_json()["Resources"] == []
    assert scim.get("/Users", startIndex="-5", count="5000").get_json()["startIndex"] == 1
    assert_scim_error(scim.get("/Users", count="many"), 400)
    assert_scim_error(scim.get("/Users", sortOrder="sideways"), 400)


def test_default_count_is_100_and_pages_stop_at_max_results_200(
    scim: Scim, backend: MiroBackend
) -> None:
    backend.seed(1, users=1004)  # and the token's owner: 1005
    assert scim.get("/Users").get_json()["itemsPerPage"] == 100
    # filter.maxResults in Miro's ServiceProviderConfig is 200: a larger count gets 200.
    big = scim.get("/Users", count="1000").get_json()
    assert big["itemsPerPage"] == len(big["Resources"]) == 200 and big["totalResults"] == 1005
    spc = scim.get("/ServiceProviderConfig").get_json()
    assert spc["filter"]["maxResults"] == 200
    backend.update_settings({"max_results": 1000})  # the older cap, Miro's count maximum
    big = scim.get("/Users", count="5000").get_json()
    assert big["itemsPerPage"] == 1000 and big["totalResults"] == 1005


def test_attributes_and_excluded_attributes(scim: Scim) -> None:
    scim.create_user("at@x.com", name={"givenName": "A"}, **{ENTERPRISE: {"department": "IT"}})
    only = scim.get(
        "/Users", attributes="userName,active,name.givenName", filter='userName eq "at@x.com"'
    ).get_json()["Resources"][0]
    assert set(only) == {"schemas", "id", "userName", "active", "name"} and only["name"] == {
        "givenName": "A"
    }
    ext = scim.get(
        "/Users", attributes=f"{ENTERPRISE}:department", filter='userName eq "at@x.com"'
    ).get_json()["Resources"][0]
    assert ext[ENTERPRISE] == {"department": "IT"} and "userName" not in ext
    without = scim.get("/Users", excludedAttributes="groups,meta,id").get_json()["Resources"][0]
    assert "groups" not in without and "meta" not in without and "id" in without


# ---------------------------------------------------------------- teams


def test_new_users_join_the_default_team(scim: Scim, backend: MiroBackend) -> None:
    owner = next(iter(backend.users))
    uid = scim.create_user("n@x.com", displayName="Nell")["id"]
    teams = scim.get("/Groups").get_json()["Resources"]
    assert [t["displayName"] for t in teams] == ["Default team"]
    # Members carry what Miro's GroupResource lists: value, display (the user's name), type.
    assert teams[0]["members"] == [
        {
            "value": owner,
            "display": "scim.admin",
            "$ref": f"http://localhost/api/v1/scim/Users/{owner}",
            "type": "User",
        },
        {
            "value": uid,
            "display": "Nell",
            "$ref": f"http://localhost/api/v1/scim/Users/{uid}",
            "type": "User",
        },
    ]


def test_unknown_member_ids_404_all_or_nothing(scim: Scim, backend: MiroBackend) -> None:
    team = backend.create_team("T")["id"]
    uid = scim.create_user("u@x.com")["id"]
    body = assert_scim_error(
        scim.patch(
            f"/Groups/{team}",
            {
                "op": "Add",
                "path": "members",
                "value": [{"value": uid}, {"value": "111"}, {"value": "222"}],
            },
        ),
        404,
    )
    assert (
        body["detail"]
        == "No valid resources: [{memberId=111, display=null}, {memberId=222, display=null}]"
    )
    assert backend.get_group(team)["members"] == []


def test_adding_a_deactivated_user_reactivates_and_a_deleted_one_is_recreated(
    scim: Scim, backend: MiroBackend
) -> None:
    team = backend.create_team("T")["id"]
    sleeper = scim.create_user("s@x.com")["id"]
    gone = scim.create_user("g@x.com")["id"]
    scim.patch(f"/Users/{sleeper}", {"op": "replace", "path": "active", "value": "False"})
    assert scim.delete(f"/Users/{gone}").status_code == 204
    response = scim.patch(
        f"/Groups/{team}",
        {"op": "add", "path": "members", "value": [{"value": sleeper}, {"value": gone}]},
    )
    assert response.status_code == 200
    assert backend.get_user(sleeper)["active"] is True
    assert backend.get_user(gone)["userName"] == "g@x.com"


def test_more_than_8000_members_is_413(scim: Scim, backend: MiroBackend) -> None:
    team = backend.create_team("Huge")["id"]
    members = [{"value": str(n)} for n in range(8001)]
    assert_scim_error(
        scim.patch(f"/Groups/{team}", {"op": "add", "path": "members", "value": members}), 413
    )


def test_replace_members_and_filters_on_groups(scim: Scim, backend: MiroBackend) -> None:
    team = backend.create_team("R")["id"]
    a, b = (scim.create_user(f"{n}@x.com")["id"] for n in ("ra", "rb"))
    scim.patch(f"/Groups/{team}", {"op": "add", "path": "members", "value": [{"value": a}]})
    scim.patch(f"/Groups/{team}", {"op": "replace", "path": "members", "value": [{"value": b}]})
    assert [m["value"] for m in backend.get_group(team)["members"]] == [b]
    assert [g["display"] for g in backend.get_user(a).get("groups", [])] == ["Default team"]
    assert_scim_error(scim.get("/Groups", filter=f'members.value eq "{b}"'), 400, "invalidFilter")
    assert scim.get("/Groups", filter='displayName sw "r"').get_json()["totalResults"] == 1


def test_group_get_unknown_is_404(scim: Scim) -> None:
    assert_scim_error(scim.get("/Groups/42"), 404)
    assert_scim_error(
        scim.patch("/Groups/42", {"op": "replace", "path": "displayName", "value": "x"}), 404
    )


# ---------------------------------------------------------------- user groups


def test_user_group_model_create_duplicate_delete(make_scim: Callable[..., Scim]) -> None:
    scim = make_scim(model="user_groups")
    uid = scim.create_user("ug@x.com")["id"]
    created = scim.post("/Groups", {"displayName": "Eng", "members": [{"value": uid}]})
    assert created.status_code == 201
    gid = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/Groups/{gid}")
    assert_scim_error(scim.post("/Groups", {"displayName": "eng"}), 409, "uniqueness")
    assert_scim_error(scim.post("/Groups", {"members": []}), 400)
    # Teams are not SCIM groups in this model.
    assert [g["displayName"] for g in scim.get("/Groups").get_json()["Resources"]] == ["Eng"]
    assert [g["display"] for g in scim.get(f"/Users/{uid}").get_json()["groups"]] == ["Eng"]
    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert_scim_error(scim.get(f"/Groups/{gid}"), 404)
    assert scim.get(f"/Users/{uid}").get_json()["active"] is True  # users survive


def test_guests_are_invisible_and_a_team_add_converts_them(
    scim: Scim, backend: MiroBackend
) -> None:
    guest = backend.add_guest("partner@outside.example", role="ORGANIZATION_TEAM_GUEST_USER")
    assert scim.get("/Users").get_json()["totalResults"] == 1  # the token's owner only
    assert (
        scim.get("/Users", filter='userName eq "partner@outside.example"').get_json()[
            "totalResults"
        ]
        == 0
    )
    assert backend.get_user_by_username("partner@outside.example") is None
    assert_scim_error(scim.get(f"/Users/{guest}"), 404)
    assert_scim_error(
        scim.patch(f"/Users/{guest}", {"op": "replace", "path": "displayName", "value": "x"}), 404
    )
    assert_scim_error(scim.delete(f"/Users/{guest}"), 404)
    assert_scim_error(
        scim.post("/Users", {"userName": "partner@outside.example"}), 400, "invalidValue"
    )
    team = backend.create_team("Partners")["id"]
    assert (
        scim.patch(
            f"/Groups/{team}", {"op": "add", "path": "members", "value": [{"value": guest}]}
        ).status_code
        == 200
    )
    converted = scim.get(f"/Users/{guest}").get_json()
    assert converted["userType"] == "Full"
    assert converted["roles"] == [
        {"value": "ORGANIZATION_INTERNAL_USER", "type": "organization_user_role", "primary": True}
    ]
    assert {g["display"] for g in converted["groups"]} == {"Partners", "Default team"}


def test_a_user_in_several_organizations_cannot_be_updated(
    scim: Scim, backend: MiroBackend
) -> None:
    # Miro's errors page: updating the details of a user in more than one organisation is 409.
    uid = scim.create_user("multi@x.com", displayName="Multi")["id"]
    backend.set_organizations(uid, 2)
    before = backend.dump()
    for op in (
        {"op": "replace", "path": "displayName", "value": "M"},
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "userName", "value": "m2@x.com"},
    ):
        refused = scim.patch(f"/Users/{uid}", op)
        assert refused.status_code == 409
        assert refused.get_json() == {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "409",
            "detail": "Cannot update user 'multi@x.com': "
            "the user belongs to more than one organization",
        }
    assert_scim_error(scim.put(f"/Users/{uid}", {"userName": "multi@x.com"}), 409)
    assert backend.dump() == before


def test_email_of_a_user_in_several_organizations_cannot_change(
    make_scim: Callable[..., Scim],
) -> None:
    # The help centre's narrower reading: only the userName (e-mail) is frozen.
    scim = make_scim(multi_org_refuses="userName")
    backend: MiroBackend = scim.app.extensions["mock_miro"]
    uid = scim.create_user("multi@x.com")["id"]
    backend.set_organizations(uid, 2)
    body = assert_scim_error(
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "userName", "value": "m2@x.com"}), 409
    )
    assert "more than one organization" in body["detail"]
    assert (
        scim.patch(
            f"/Users/{uid}", {"op": "replace", "path": "displayName", "value": "M"}
        ).status_code
        == 200
    )
    assert backend.dump()["users"][1]["organizations"] == 2


def test_an_oversized_body_is_journaled_without_its_content(
    scim: Scim, backend: MiroBackend
) -> None:
    assert_scim_error(scim.post("/Users", {"userName": "big@x.com", "pad": "x" * 900_000}), 413)
    entry = backend.journal[-1]
    assert entry["status"] == 413 and "not recorded" in entry["body"]


def test_bulk_is_not_implemented(scim: Scim) -> None:
    assert_scim_error(scim.post("/Bulk", {"Operations": []}), 501)


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
def test_every_search_path_answers_405(scim: Scim, path: str) -> None:
    # Miro documents no search endpoint; 405 is its status for an unsupported method.
    refused = scim.post(path, {"filter": 'userName eq "a@x.com"'})
    assert refused.status_code == 405
    assert refused.get_json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "405",
        "detail": "Miro doesn't support the requested method",
    }


def test_groups_attribute_is_read_only(scim: Scim, backend: MiroBackend) -> None:
    # A user's groups are the teams they are in (https://developers.miro.com/reference/getuser);
    # writing them is a read-only error by default and ignored with lenient PATCH.
    uid = scim.create_user("ro@x.com")["id"]
    before = backend.get_user(uid)
    assert [g["display"] for g in before["groups"]] == ["Default team"]
    for op in (
        {"op": "replace", "path": "groups", "value": [{"value": "1"}]},
        {"op": "replace", "path": "id", "value": "1"},
    ):
        assert_scim_error(scim.patch(f"/Users/{uid}", op), 400, "mutability")
    assert backend.get_user(uid) == before
    backend.update_settings({"patch_strict": False})
    ignored = scim.patch(f"/Users/{uid}", {"op": "replace", "path": "groups", "value": []})
    assert ignored.status_code == 200 and backend.get_user(uid) == before


def test_adding_to_one_team_leaves_the_other_teams_alone(scim: Scim, backend: MiroBackend) -> None:
    # "If a user is a member of Team1 and IdP adds them to Team2, Team1 is unaffected"
    # (https://help.miro.com/hc/en-us/articles/360036827513-SCIM).
    one, two = backend.create_team("Team1")["id"], backend.create_team("Team2")["id"]
    uid = scim.create_user("both@x.com")["id"]
    add = {"op": "add", "path": "members", "value": [{"value": uid}]}
    assert scim.patch(f"/Groups/{one}", add).status_code == 200
    assert scim.patch(f"/Groups/{two}", add).status_code == 200
    teams = {g["display"] for g in scim.get(f"/Users/{uid}").get_json()["groups"]}
    assert teams == {"Default team", "Team1", "Team2"}
    assert [m["value"] for m in backend.get_group(one)["members"]] == [uid]
