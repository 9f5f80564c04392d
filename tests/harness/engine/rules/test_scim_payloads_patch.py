"""User PATCH bodies in both dialects, disable/enable, the dialect from the tenant URL. The expected bodies are copied by hand from the documented examples
in Microsoft's SCIM guide
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
and SCIM compatibility page
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility),
not produced by the code under test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.scim_payloads import (
    PayloadError,
    dialect_from_base_address,
    disable_patch_body,
    enable_patch_body,
    role_entries,
    strip_dialect_flags,
    user_patch_body,
)
from tests.support.examples import examples

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]


def test_default_patch_matches_the_documented_update():
    current = {
        "emails": [{"type": "work", "value": "old@microsoft.com"}],
        "name": {"familyName": "old"},
    }
    changes = {
        'emails[type eq "work"].value': "updatedEmail@microsoft.com",
        "name.familyName": "updatedFamilyName",
    }
    assert user_patch_body(changes, "default", current=current) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ],
    }


def test_default_patch_matches_the_documented_username_change():
    assert user_patch_body({"userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Replace",
                "path": "userName",
                "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            }
        ],
    }


def test_adding_an_absent_attribute_uses_add():
    current = {"userName": "b@x.com"}
    assert user_patch_body({"nickName": "Babs"}, "default", current=current)["Operations"] == [
        {"op": "Add", "path": "nickName", "value": "Babs"}
    ]
    assert user_patch_body({"nickName": "Babs"}, "aadOptscim062020", current=current)[
        "Operations"
    ] == [{"op": "add", "path": "nickName", "value": "Babs"}]


def test_flag_patch_matches_the_documented_multi_attribute_replace():
    current = {
        "displayName": "old",
        "name": {"givenName": "old", "familyName": "old"},
        "emails": [{"type": "work", "value": "old@test.microsoft.com"}],
        ENT: {"employeeNumber": "old"},
    }
    changes = {
        'emails[type eq "work"].value': "TestMhvaes@test.microsoft.com",
        "displayName": "Bjfe",
        "name.givenName": "Kkom",
        "name.familyName": "Unua",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
    }
    assert user_patch_body(changes, "aadOptscim062020", current=current) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
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
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
                },
            },
        ],
    }


def test_default_patch_of_the_same_changes_is_one_op_per_attribute():
    changes = {"displayName": "Bjfe", "name.givenName": "Kkom"}
    assert user_patch_body(changes, "default")["Operations"] == [
        {"op": "Replace", "path": "displayName", "value": "Bjfe"},
        {"op": "Replace", "path": "name.givenName", "value": "Kkom"},
    ]


def test_booleans_in_each_dialect():
    assert user_patch_body({"active": "False", "displayName": "X"}, "default")["Operations"] == [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "displayName", "value": "X"},
    ]
    assert user_patch_body({"active": "False", "displayName": "X"}, "aadOptscim062020")[
        "Operations"
    ] == [
        {"op": "replace", "value": {"active": False, "displayName": "X"}},
    ]
    assert user_patch_body({"active": True}, "default")["Operations"] == [
        {"op": "Replace", "path": "active", "value": "True"}
    ]


def test_patch_errors():
    with pytest.raises(PayloadError, match="no changes"):
        user_patch_body({}, "default")
    with pytest.raises(PayloadError, match="unknown PATCH dialect"):
        user_patch_body({"a": "b"}, "scim2")
    with pytest.raises(PayloadError, match="unknown PATCH dialect"):
        disable_patch_body("AADOPT")


def test_disable_without_flag():
    assert disable_patch_body("default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }


def test_disable_with_flag():
    assert disable_patch_body("aadOptscim062020") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }


def test_enable_is_the_inverse():
    assert enable_patch_body() == {
        "schemas": PATCH,
        "Operations": [{"op": "Replace", "path": "active", "value": "True"}],
    }
    assert enable_patch_body("aadOptscim062020") == {
        "schemas": PATCH,
        "Operations": [{"op": "replace", "path": "active", "value": True}],
    }


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("https://miro.com/api/v1/scim", "default"),
        ("https://api.contoso.com/scim?aadOptscim062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?AADOPTSCIM062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?x=1&aadOptscim062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?flags=aadOptscim062020", "aadOptscim062020"),
        ("https://api.contoso.com/scim?aadOptscim062020&AzureAdScimPatch2017", "default"),
        ("https://api.contoso.com/aadOptscim062020/scim", "default"),
        ("", "default"),
        (None, "default"),
    ],
)
def test_dialect_from_base_address(url, dialect):
    assert dialect_from_base_address(url) == dialect


def test_strip_dialect_flags():
    assert (
        strip_dialect_flags("https://api.contoso.com/scim?aadOptscim062020")
        == "https://api.contoso.com/scim"
    )
    assert strip_dialect_flags("https://h/scim?x=1&aadOptscim062020") == "https://h/scim?x=1"
    assert strip_dialect_flags("https://h/scim") == "https://h/scim"
    # A flag with a value goes too, whatever the value holds; the other parameters stay.
    assert (
        strip_dialect_flags("https://h/scim?a=1&aadOptscim062020=x=y&b=2")
        == "https://h/scim?a=1&b=2"
    )
    assert strip_dialect_flags("https://h/scim?AzureAdScimPatch2017=1") == "https://h/scim"


_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=12
)


_targets = st.fixed_dictionaries(
    {"userName": _text},
    optional={
        "active": st.sampled_from(["True", "False", True, False]),
        "displayName": _text,
        'emails[type eq "work"].value': _text,
        "name.givenName": _text,
        "name.familyName": _text,
        "externalId": _text,
        f"{ENT}:department": _text,
        f"{ENT}:employeeNumber": _text,
        'roles[primary eq "True"].value': _text,
    },
)


@settings(max_examples=examples(200), deadline=None)
@given(_targets, st.sampled_from(["default", "aadOptscim062020"]))
def test_every_change_appears_in_the_patch(target, dialect):
    body = user_patch_body(target, dialect)
    mentioned: set[str] = set()
    for op in body["Operations"]:
        assert op["op"] in (("Add", "Replace") if dialect == "default" else ("add", "replace"))
        if "path" in op:
            mentioned.add(op["path"])
        else:
            mentioned.update(op["value"])
    assert mentioned == set(target)


def test_manager_patch_and_role_errors():
    # The SCIM guide's manager update: a list of one {"$ref", "value"}
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
    assert user_patch_body({"manager": "42"}, current={}, users_url="https://a/scim/Users") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {
                "op": "Add",
                "path": "manager",
                "value": [{"$ref": "https://a/scim/Users/42", "value": "42"}],
            }
        ],
    }
    assert user_patch_body({f"{ENT}:manager": "42"})["Operations"] == [
        {"op": "Replace", "path": f"{ENT}:manager", "value": [{"$ref": None, "value": "42"}]}
    ]
    with pytest.raises(PayloadError, match="roles need a role value"):
        role_entries("plain", None)


def test_default_multi_attribute_replace_matches_the_compatibility_page():
    changes = {
        "displayName": "Pvlo",
        'emails[type eq "work"].value': "TestBcwqnm@test.microsoft.com",
        "name.givenName": "Gtfd",
        "name.familyName": "Pkqf",
        "externalId": "Eqpj",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Eqpj",
    }
    assert user_patch_body(changes, "default") == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestBcwqnm@test.microsoft.com",
            },
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {
                "op": "Replace",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                "value": "Eqpj",
            },
        ],
    }


def test_a_single_replaced_attribute_with_the_flag_keeps_its_path():
    # The compatibility page's disable: one path-bearing replace with a real boolean.
    assert user_patch_body({"displayName": "Ann"}, "aadOptscim062020")["Operations"] == [
        {"op": "replace", "path": "displayName", "value": "Ann"}
    ]
    with pytest.raises(
        PayloadError, match=r"^no changes: Entra sends no PATCH when nothing differs$"
    ):
        user_patch_body({})
