"""Every request shape Entra sends, replayed against the fake. Microsoft documents them in
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups."""

from __future__ import annotations

import uuid

from mock_miro import MiroBackend
from tests.support.miro import ENTERPRISE, PATCH_SCHEMA, Scim, added_users, assert_scim_error

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def _entra_create_body(user_name: str) -> dict[str, object]:
    # Microsoft's documented create body, with a Miro-valid userName (an e-mail).
    return {
        "schemas": [CORE, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [
            {
                "primary": True,
                "type": "work",
                "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
            }
        ],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
    }


def test_test_connection_query_with_a_random_guid_answers_an_empty_list(scim: Scim) -> None:
    guid = str(uuid.uuid4())
    response = scim.call("GET", f"/Users?filter=userName+eq+%22{guid}%22")
    assert response.status_code == 200
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 0 and body["Resources"] == []


def test_create_user_with_entras_body(scim: Scim, backend: MiroBackend) -> None:
    response = scim.post("/Users", _entra_create_body("alice.smith@contoso.com"))
    assert response.status_code == 201
    created = response.get_json()
    assert created["id"].isdigit()
    assert response.headers["Location"].endswith(f"/api/v1/scim/Users/{created['id']}")
    stored = backend.get_user_by_username("ALICE.SMITH@contoso.com")
    assert stored is not None and stored["id"] == created["id"]
    assert stored["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert stored["displayName"] == "givenName familyName"  # derived from name.formatted
    assert stored["userType"] == "Full" and stored["active"] is True
    assert [g["display"] for g in stored["groups"]] == ["Default team"]


def test_entras_documented_guid_username_is_not_an_email_and_is_refused(
    scim: Scim, backend: MiroBackend
) -> None:
    body = _entra_create_body("Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee")
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert added_users(backend) == {}


def test_match_query_finds_the_user_case_insensitively(scim: Scim) -> None:
    created = scim.create_user("Bob@Contoso.com")
    body = scim.get("/Users", filter='userName eq "bob@contoso.com"').get_json()
    assert [r["id"] for r in body["Resources"]] == [created["id"]]
    by_email = scim.get(
        "/Users", filter='emails[type eq "work"].value eq "bob@contoso.com"'
    ).get_json()
    assert by_email["totalResults"] == 0  # no work e-mail was sent on create
    by_external = scim.get("/Users", filter='externalId eq "nope"').get_json()
    assert by_external["totalResults"] == 0


def test_update_patch_replaces_work_email_and_family_name(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.post("/Users", _entra_create_body("carol@contoso.com")).get_json()["id"]
    response = scim.patch(
        f"/Users/{uid}",
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "updatedEmail@microsoft.com",
        },
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    )
    assert response.status_code == 200
    user = backend.get_user(uid, "http://localhost/api/v1/scim")
    assert user["emails"] == [
        {"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}
    ]
    assert user["name"]["familyName"] == "updatedFamilyName"
    assert response.get_json() == user  # 200 with the full resource


def test_patch_replace_username(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.create_user("dave@contoso.com")["id"]
    assert (
        scim.patch(
            f"/Users/{uid}", {"op": "Replace", "path": "userName", "value": "5b50642d@testuser.com"}
        ).status_code
        == 200
    )
    assert backend.get_user_by_username("dave@contoso.com") is None
    assert backend.get_user_by_username("5B50642D@testuser.com")["id"] == uid  # type: ignore[index]


def test_disable_with_string_false_then_enable_with_string_true(
    scim: Scim, backend: MiroBackend
) -> None:
    uid = scim.create_user("erin@contoso.com")["id"]
    assert (
        scim.patch(
            f"/Users/{uid}", {"op": "Replace", "path": "active", "value": "False"}
        ).status_code
        == 200
    )
    assert backend.get_user(uid)["active"] is False
    listed = scim.get("/Users", filter='userName eq "erin@contoso.com"').get_json()
    assert listed["Resources"][0]["active"] is False  # soft-deleted users stay visible
    assert (
        scim.patch(
            f"/Users/{uid}", {"op": "Replace", "path": "active", "value": "True"}
        ).status_code
        == 200
    )
    assert backend.get_user(uid)["active"] is True


def test_disable_with_the_feature_flag_dialect(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.create_user("frank@contoso.com")["id"]
    assert (
        scim.patch(f"/Users/{uid}", {"op": "replace", "path": "active", "value": False}).status_code
        == 200
    )
    assert backend.get_user(uid)["active"] is False


def test_path_less_replace_is_refused_by_default_and_changes_nothing(
    scim: Scim, backend: MiroBackend
) -> None:
    # Miro's PatchUser reference requires a path on every operation; Entra sends a path-less
    # replace only with the aadOptscim062020 flag in the tenant URL.
    uid = scim.create_user("gino@contoso.com")["id"]
    before = backend.get_user(uid)
    refused = scim.patch(f"/Users/{uid}", {"op": "replace", "value": {"displayName": "Gino"}})
    body = assert_scim_error(refused, 400, "noTarget")
    assert body["detail"] == "Miro requires a 'path' on every operation"
    assert backend.get_user(uid) == before


def test_path_less_replace_with_attribute_paths_as_keys(scim: Scim, backend: MiroBackend) -> None:
    backend.update_settings({"patch_pathless_replace": True})
    uid = scim.create_user(
        "gina@contoso.com", emails=[{"type": "work", "value": "gina@contoso.com", "primary": True}]
    )["id"]
    response = scim.patch(
        f"/Users/{uid}",
        {
            "op": "replace",
            "path": 'emails[type eq "work"].value',
            "value": "TestMhvaes@test.microsoft.com",
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                f"{ENTERPRISE}:employeeNumber": "Aklq",
            },
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    user = backend.get_user(uid)
    assert user["displayName"] == "Bjfe"
    assert user["name"] == {"givenName": "Kkom", "familyName": "Unua"}
    assert user[ENTERPRISE] == {"employeeNumber": "Aklq"}
    assert user["emails"][0]["value"] == "TestMhvaes@test.microsoft.com"


def test_add_nickname_style_attribute_is_ignored_leniently(
    scim: Scim, backend: MiroBackend
) -> None:
    uid = scim.create_user("hana@contoso.com")["id"]
    before = backend.get_user(uid)
    # By default (Miro's PatchUser lists no nickName) the path is refused.
    refused = scim.patch(f"/Users/{uid}", {"op": "Add", "path": "nickName", "value": "Babs"})
    assert_scim_error(refused, 400, "invalidPath")
    assert backend.get_user(uid) == before
    backend.update_settings({"patch_strict": False})
    assert (
        scim.patch(f"/Users/{uid}", {"op": "Add", "path": "nickName", "value": "Babs"}).status_code
        == 200
    )
    assert backend.get_user(uid) == before


def test_manager_reference_in_entras_list_form(scim: Scim, backend: MiroBackend) -> None:
    boss = scim.create_user("boss@contoso.com")["id"]
    uid = scim.create_user("ivan@contoso.com")["id"]
    ok = scim.patch(
        f"/Users/{uid}",
        {
            "op": "Add",
            "path": f"{ENTERPRISE}:manager",
            "value": [{"$ref": f"http://x/scim/Users/{boss}", "value": boss}],
        },
    )
    assert ok.status_code == 200
    assert backend.get_user(uid)[ENTERPRISE]["manager"] == {"value": boss}
    # Entra's documented sample uses a GUID: Miro stores a Long and silently ignores it.
    guid = scim.patch(
        f"/Users/{uid}",
        {
            "op": "Replace",
            "path": f"{ENTERPRISE}:manager",
            "value": [{"value": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}],
        },
    )
    assert guid.status_code == 200
    assert (
        ENTERPRISE not in backend.get_user(uid)
        or "manager" not in backend.get_user(uid)[ENTERPRISE]
    )


def test_role_patch_with_roles_primary_filter(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.create_user("jo@contoso.com")["id"]
    response = scim.patch(
        f"/Users/{uid}",
        {
            "op": "Replace",
            "path": 'roles[primary eq "True"].value',
            "value": "ORGANIZATION_INTERNAL_ADMIN",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert backend.get_user(uid)["roles"] == [
        {"primary": True, "value": "ORGANIZATION_INTERNAL_ADMIN"}
    ]


def test_entra_app_role_payload_with_azure_role_type_is_refused(
    scim: Scim, backend: MiroBackend
) -> None:
    body = {
        "schemas": [CORE],
        "externalId": "alias",
        "userName": "alias@contoso.com",
        "active": True,
        "displayName": "First Name Last Name",
        "meta": {"resourceType": "User"},
        "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}],
    }
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert backend.get_user_by_username("alias@contoso.com") is None


def test_hard_delete_then_get_is_404(scim: Scim) -> None:
    uid = scim.create_user("kim@contoso.com")["id"]
    assert scim.delete(f"/Users/{uid}").status_code == 204
    assert_scim_error(scim.get(f"/Users/{uid}"), 404)


def _team(backend: MiroBackend, name: str) -> str:
    team_id: str = backend.create_team(name)["id"]
    return team_id


def test_group_match_query_excludes_members(scim: Scim, backend: MiroBackend) -> None:
    team = _team(backend, "Design")
    uid = scim.create_user("lee@contoso.com")["id"]
    backend.add_team_member(team, uid)
    body = scim.call(
        "GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22Design%22"
    ).get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == team and "members" not in body["Resources"][0]
    single = scim.get(f"/Groups/{team}", excludedAttributes="members").get_json()
    assert "members" not in single and single["displayName"] == "Design"
    assert scim.get(f"/Groups/{team}").get_json()["members"][0]["value"] == uid


def test_group_add_members_with_null_ref(scim: Scim, backend: MiroBackend) -> None:
    team = _team(backend, "Sales")
    a, b = (scim.create_user(f"{n}@contoso.com")["id"] for n in ("m1", "m2"))
    response = scim.patch(
        f"/Groups/{team}",
        {
            "op": "Add",
            "path": "members",
            "value": [{"$ref": None, "value": a}, {"$ref": None, "value": b}],
        },
    )
    assert response.status_code == 200
    assert [m["value"] for m in backend.get_group(team)["members"]] == [a, b]


def test_group_remove_member_both_dialects(scim: Scim, backend: MiroBackend) -> None:
    team = _team(backend, "Ops")
    a, b, c = (scim.create_user(f"{n}@contoso.com")["id"] for n in ("r1", "r2", "r3"))
    scim.patch(
        f"/Groups/{team}",
        {"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}, {"value": c}]},
    )
    entra = scim.patch(
        f"/Groups/{team}",
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": a}]},
    )
    assert entra.status_code == 200
    rfc = scim.patch(f"/Groups/{team}", {"op": "remove", "path": f'members[value eq "{b}"]'})
    assert rfc.status_code == 200
    miro = scim.patch(
        f"/Groups/{team}", {"op": "Remove", "path": f"members[value eq {c}]"}
    )  # unquoted, as in Miro's API reference
    assert miro.status_code == 200
    assert backend.get_group(team)["members"] == []
    assert backend.get_user(a)["active"] is True  # users stay in the organisation


def test_group_rename_both_forms(scim: Scim, backend: MiroBackend) -> None:
    team = _team(backend, "Old")
    assert (
        scim.patch(
            f"/Groups/{team}", {"op": "Replace", "path": "displayName", "value": "New"}
        ).status_code
        == 200
    )
    assert backend.get_group(team)["displayName"] == "New"
    pathless = scim.patch(
        f"/Groups/{team}", {"op": "replace", "value": {"id": team, "displayName": "Newer"}}
    )
    assert pathless.status_code == 200
    assert scim.get("/Groups", filter='displayName eq "newer"').get_json()["totalResults"] == 1


def test_entras_group_create_and_delete_get_405_in_the_team_model(
    scim: Scim, backend: MiroBackend
) -> None:
    body = {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }
    assert_scim_error(scim.post("/Groups", body), 405)
    team = _team(backend, "Keep")
    assert_scim_error(scim.delete(f"/Groups/{team}"), 405)
    assert_scim_error(scim.put(f"/Groups/{team}", {"displayName": "x"}), 405)
    assert [g["displayName"] for g in backend.dump()["groups"]] == ["Default team", "Keep"]


def test_patch_body_without_schemas_is_accepted_leniently(scim: Scim, backend: MiroBackend) -> None:
    uid = scim.create_user("nia@contoso.com")["id"]
    body = {"Operations": [{"op": "replace", "path": "displayName", "value": "Nia"}]}
    # Miro's PatchUser requires the PatchOp schemas: refused by default.
    assert_scim_error(scim.call("PATCH", f"/Users/{uid}", body), 400, "invalidSyntax")
    assert backend.get_user(uid)["displayName"] == "nia@contoso.com"
    backend.update_settings({"patch_strict": False})
    response = scim.call(
        "PATCH",
        f"/Users/{uid}",
        {"Operations": [{"op": "replace", "path": "displayName", "value": "Nia"}]},
    )
    assert response.status_code == 200
    assert backend.get_user(uid)["displayName"] == "Nia"


def test_patch_op_schema_constant_is_the_rfc_one() -> None:
    assert PATCH_SCHEMA == "urn:ietf:params:scim:api:messages:2.0:PatchOp"
