"""Group create, rename and member PATCH bodies. The expected bodies are copied by hand from the documented examples
in Microsoft's SCIM guide
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
and SCIM compatibility page
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility),
not produced by the code under test."""

from __future__ import annotations

import pytest

from harness.engine.rules.scim_payloads import (
    PayloadError,
    group_create_body,
    group_member_patch,
    group_rename_patch,
)

PATCH = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]


def test_group_create_body_matches_the_documented_example():
    assert group_create_body("displayName", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159") == {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
    }
    assert "externalId" not in group_create_body("Design")


def test_add_members_matches_the_documented_example():
    assert group_member_patch(["f648f8d5ea4e4cd38e9c"], [], "default") == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}],
                }
            ],
        }
    ]


def test_remove_members_without_flag_matches_the_documented_example():
    assert group_member_patch([], ["f648f8d5ea4e4cd38e9c"], "default") == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {
                    "op": "Remove",
                    "path": "members",
                    "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}],
                }
            ],
        }
    ]


def test_remove_members_with_flag_matches_the_documented_example():
    assert group_member_patch([], ["7f4bc1a3-285e-48ae-8202-5accb43efb0e"], "aadOptscim062020") == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "remove", "path": 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]'}
            ],
        }
    ]


def test_member_changes_share_one_patch_adds_first():
    assert group_member_patch(["u1", "u2", "u1"], ["u3", "u4"], "aadOptscim062020") == [
        {
            "schemas": PATCH,
            "Operations": [
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}],
                },
                {"op": "remove", "path": 'members[value eq "u3"]'},
                {"op": "remove", "path": 'members[value eq "u4"]'},
            ],
        }
    ]


def test_member_patches_can_be_capped():
    bodies = group_member_patch(["u1", "u2", "u3"], ["u4"], "default", max_members=2)
    assert [b["Operations"] for b in bodies] == [
        [
            {
                "op": "Add",
                "path": "members",
                "value": [{"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}],
            }
        ],
        [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u3"}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "u4"}]},
        ],
    ]
    assert group_member_patch([], [], "default") == []
    with pytest.raises(PayloadError):
        group_member_patch(["u1"], [], "default", max_members=0)


def test_group_rename():
    assert group_rename_patch("design_unit2_product") == {
        "schemas": PATCH,
        "Operations": [{"op": "Replace", "path": "displayName", "value": "design_unit2_product"}],
    }
    assert group_rename_patch("x", "aadOptscim062020")["Operations"] == [
        {"op": "replace", "path": "displayName", "value": "x"}
    ]


def test_remove_member_without_ref_as_the_compatibility_page_shows():
    assert group_member_patch([], ["u1091"], "default", null_ref=False) == [
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1091"}]}],
        }
    ]


def test_one_member_per_body_is_a_valid_cap():
    assert [b["Operations"] for b in group_member_patch(["u1", "u2"], [], max_members=1)] == [
        [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u1"}]}],
        [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u2"}]}],
    ]
    with pytest.raises(PayloadError, match=r"^max_members must be at least 1$"):
        group_member_patch(["u1"], [], max_members=-1)
