"""The PATCH engine on a user's attribute dict, in both Entra dialects and strict mode."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mock_miro.exceptions import ScimError
from mock_miro.patch import Operation, UserPatcher, json_copy, parse_group_actions, parse_patch_body
from mock_miro.schemas import EXTENSIONS, USER_TABLE

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
BASE: dict[str, Any] = {
    "userName": "a@x.com",
    "displayName": "A",
    "active": True,
    "name": {"givenName": "Ann", "familyName": "Lee"},
    "emails": [{"value": "a@x.com", "type": "work", "primary": True}],
    "roles": [
        {"value": "ORGANIZATION_INTERNAL_USER", "type": "organization_user_role", "primary": True}
    ],
}


def run(
    *ops: dict[str, Any], strict: bool = False, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    work = copy.deepcopy(data if data is not None else BASE)
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(ops)}
    UserPatcher(USER_TABLE, EXTENSIONS, strict, pathless=False).apply(
        work, parse_patch_body(body, strict)
    )
    return work


def test_ops_are_case_insensitive_and_string_booleans_coerce() -> None:
    assert run({"op": "REPLACE", "path": "active", "value": "False"})["active"] is False
    assert run({"op": "replace", "path": "Active", "value": "true"})["active"] is True


def test_non_boolean_for_active_is_rejected() -> None:
    with pytest.raises(ScimError) as caught:
        run({"op": "replace", "path": "active", "value": "maybe"})
    assert caught.value.status == 400


def test_simple_and_sub_attribute_replace_add_remove() -> None:
    out = run(
        {"op": "Replace", "path": "displayName", "value": "B"},
        {"op": "Add", "path": "name.formatted", "value": "Ann Lee"},
        {"op": "Remove", "path": "name.givenName"},
    )
    assert out["displayName"] == "B"
    assert out["name"] == {"familyName": "Lee", "formatted": "Ann Lee"}


def test_add_to_complex_merges_replace_overwrites() -> None:
    assert run({"op": "add", "path": "name", "value": {"formatted": "F"}})["name"] == {
        "givenName": "Ann",
        "familyName": "Lee",
        "formatted": "F",
    }
    assert run({"op": "replace", "path": "name", "value": {"formatted": "F"}})["name"] == {
        "formatted": "F"
    }


def test_filtered_email_value_replace_updates_the_match() -> None:
    out = run({"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@x.com"})
    assert out["emails"] == [{"value": "new@x.com", "type": "work", "primary": True}]


def test_filtered_value_replace_creates_an_item_when_none_matches() -> None:
    out = run(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "w@x.com"},
        data={"userName": "a@x.com"},
    )
    assert out["emails"] == [{"type": "work", "value": "w@x.com"}]
    roles = run(
        {
            "op": "Replace",
            "path": 'roles[primary eq "True"].value',
            "value": "ORGANIZATION_INTERNAL_ADMIN",
        },
        data={"userName": "a@x.com"},
    )
    assert roles["roles"] == [{"primary": True, "value": "ORGANIZATION_INTERNAL_ADMIN"}]


def test_filtered_remove_drops_matching_items_only() -> None:
    data = dict(
        BASE, emails=[{"value": "w@x.com", "type": "work"}, {"value": "h@x.com", "type": "home"}]
    )
    assert run({"op": "remove", "path": 'emails[type eq "work"]'}, data=data)["emails"] == [
        {"value": "h@x.com", "type": "home"}
    ]


def test_remove_with_value_list_entra_style() -> None:
    data = dict(BASE, emails=[{"value": "w@x.com"}, {"value": "h@x.com"}])
    assert run({"op": "Remove", "path": "emails", "value": [{"value": "w@x.com"}]}, data=data)[
        "emails"
    ] == [{"value": "h@x.com"}]


def test_add_org_role_replaces_the_single_user_role() -> None:
    out = run(
        {
            "op": "Add",
            "path": "roles",
            "value": [
                {
                    "value": "ORGANIZATION_INTERNAL_ADMIN",
                    "type": "organization_user_role",
                    "primary": True,
                },
                {"value": "Content Admin", "type": "organization_admin_role", "primary": False},
            ],
        }
    )
    assert [r["value"] for r in out["roles"]] == ["ORGANIZATION_INTERNAL_ADMIN", "Content Admin"]
    removed = run({"op": "Remove", "path": 'roles[value eq "ORGANIZATION_INTERNAL_USER"]'})
    assert "roles" not in removed


def test_enterprise_paths_pathless_values_and_whole_extension() -> None:
    out = run(
        {"op": "replace", "path": f"{ENT}:department", "value": "IT"},
        {
            "op": "replace",
            "value": {
                f"{ENT}:employeeNumber": "7",
                "name.givenName": "Zed",
                ENT: {"costCenter": "CC"},
            },
        },
    )
    assert out[ENT] == {"department": "IT", "employeeNumber": "7", "costCenter": "CC"}
    assert out["name"]["givenName"] == "Zed"
    assert ENT not in run({"op": "remove", "path": ENT}, data=out)


def test_core_urn_prefix_is_understood() -> None:
    out = run(
        {
            "op": "replace",
            "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName",
            "value": "Q",
        }
    )
    assert out["displayName"] == "Q"


def test_lenient_ignores_unknown_and_read_only_paths() -> None:
    assert (
        run(
            {"op": "add", "path": "nickName", "value": "x"},
            {"op": "replace", "path": "groups", "value": []},
            {"op": "replace", "path": "id", "value": "1"},
        )
        == BASE
    )


@pytest.mark.parametrize(
    "op",
    [
        {"op": "add", "path": "nickName", "value": "x"},
        {"op": "replace", "path": "groups", "value": []},
        {"op": "replace", "value": {"displayName": "x"}},
    ],
)
def test_strict_rejects_what_lenient_ignores(op: dict[str, Any]) -> None:
    with pytest.raises(ScimError) as caught:
        run(op, strict=True)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"Operations": []},
        {"Operations": "x"},
        {"Operations": [1]},
        {"Operations": [{"op": "move", "path": "a"}]},
        {"Operations": [{"op": "add", "path": "a"}]},
        {"Operations": [{"op": "remove"}]},
        {"schemas": ["nope"], "Operations": [{"op": "remove", "path": "a"}]},
        {"Operations": [{"op": "remove", "path": 3}]},
    ],
)
def test_malformed_patch_bodies(body: Any) -> None:
    with pytest.raises(ScimError) as caught:
        parse_patch_body(body, strict=False)
    assert caught.value.status == 400


def test_group_actions_both_remove_forms_and_rename() -> None:
    ops = parse_patch_body(
        {
            "Operations": [
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"$ref": None, "value": "1"}, {"value": 2}],
                },
                {"op": "Remove", "path": "members", "value": [{"value": "1"}]},
                {"op": "remove", "path": 'members[value eq "2"]'},
                {"op": "Remove", "path": "members"},
                {"op": "replace", "value": {"id": "9", "displayName": "New"}},
            ]
        },
        strict=False,
    )
    actions = parse_group_actions(ops, strict=False)
    assert [a.kind for a in actions] == ["add", "remove", "remove_filter", "remove_all", "rename"]
    assert actions[0].ids == ("1", "2")
    assert actions[4].text == "New"


def test_group_displayname_cannot_be_removed() -> None:
    ops = [Operation("remove", "displayName", None, False)]
    with pytest.raises(ScimError):
        parse_group_actions(ops, strict=False)


def test_a_huge_path_is_refused_before_regex_work() -> None:
    with pytest.raises(ScimError) as caught:
        parse_patch_body({"Operations": [{"op": "remove", "path": "a[" * 200_000}]}, strict=False)
    assert caught.value.scim_type == "invalidPath"


def test_a_huge_pathless_key_is_ignored_quickly() -> None:
    assert run({"op": "replace", "value": {"a[" * 200_000: "x"}}) == BASE


def test_json_copy_is_a_deep_copy_of_json_data() -> None:
    data = {
        "name": {"givenName": "A"},
        "emails": [{"value": "a@b.c", "primary": True}],
        "n": 1,
        "x": None,
        "t": ({"k": [1]},),
    }
    copied = json_copy(data)
    assert copied == data
    copied["name"]["givenName"] = "B"
    copied["emails"][0]["value"] = "z@b.c"
    copied["emails"].append({})
    copied["t"][0]["k"].append(2)
    assert data == {
        "name": {"givenName": "A"},
        "emails": [{"value": "a@b.c", "primary": True}],
        "n": 1,
        "x": None,
        "t": ({"k": [1]},),
    }


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "description", "value": "x"},
        {"op": "replace", "path": "id", "value": "1"},
        {"op": "replace", "value": {"description": "x"}},
    ],
)
def test_strict_group_patch_refuses_other_paths(op: dict[str, Any]) -> None:
    # Miro's PatchGroup: paths members and displayName (https://developers.miro.com/reference/patchgroup).
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]}
    with pytest.raises(ScimError) as caught:
        parse_group_actions(parse_patch_body(body, True), True)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidPath")
    assert parse_group_actions(parse_patch_body(body, False), False) == []


def test_strict_group_patch_takes_miros_path_less_rename() -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"id": "1", "displayName": "New group name"}}],
    }
    (action,) = parse_group_actions(parse_patch_body(body, True), True)
    assert (action.kind, action.text) == ("rename", "New group name")
