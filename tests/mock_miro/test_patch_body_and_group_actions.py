"""The PatchOp body and the team PATCH, rule by rule: what is accepted, what each refusal says.

Sources: the PatchOp message of RFC 7644 section 3.5.2
(https://datatracker.ietf.org/doc/html/rfc7644#section-3.5.2) with its error types in section 3.12
(https://datatracker.ietf.org/doc/html/rfc7644#section-3.12), Miro's PatchUser and PatchGroup
references (https://developers.miro.com/reference/patchuser,
https://developers.miro.com/reference/patchgroup) and Miro's error body, whose ``detail``
explains the refusal (https://developers.miro.com/docs/errors).
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_miro import MiroBackend
from mock_miro.exceptions import ScimError
from mock_miro.filters import Compare
from mock_miro.patch import (
    GroupAction,
    Operation,
    parse_group_actions,
    parse_patch_body,
)
from tests.support.miro import PATCH_SCHEMA, Scim, assert_scim_error

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def refusal(call: Any, *args: Any) -> tuple[int, str | None, str]:
    with pytest.raises(ScimError) as caught:
        call(*args)
    return caught.value.status, caught.value.scim_type, caught.value.detail


# ---------------------------------------------------------------- the PatchOp body


@pytest.mark.parametrize(
    ("body", "strict", "scim_type", "detail"),
    [
        ([], False, "invalidSyntax", "The request body must be a PatchOp JSON object"),
        (
            {"Operations": [{"op": "remove", "path": "a"}]},
            True,
            "invalidSyntax",
            f"The request must declare the schema {PATCH_SCHEMA}",
        ),
        (
            {"schemas": PATCH_SCHEMA, "Operations": [{"op": "remove", "path": "a"}]},
            False,
            "invalidSyntax",
            f"The request must declare the schema {PATCH_SCHEMA}",
        ),
        (
            {"schemas": ["x"], "Operations": [{"op": "remove", "path": "a"}]},
            False,
            "invalidSyntax",
            f"The request must declare the schema {PATCH_SCHEMA}",
        ),
        ({}, False, "invalidSyntax", "'Operations' must be a non-empty list"),
        ({"Operations": []}, False, "invalidSyntax", "'Operations' must be a non-empty list"),
        ({"Operations": {}}, False, "invalidSyntax", "'Operations' must be a non-empty list"),
        ({"Operations": ["x"]}, False, "invalidSyntax", "Each operation must be a JSON object"),
        (
            {"Operations": [{"path": "a"}]},
            False,
            "invalidSyntax",
            "Unknown or missing 'op': None (use add, remove or replace)",
        ),
        (
            {"Operations": [{"op": "move", "path": "a"}]},
            False,
            "invalidSyntax",
            "Unknown or missing 'op': 'move' (use add, remove or replace)",
        ),
        (
            {"Operations": [{"op": 1, "path": "a"}]},
            False,
            "invalidSyntax",
            "Unknown or missing 'op': 1 (use add, remove or replace)",
        ),
        (
            {"Operations": [{"op": "remove", "path": 3}]},
            False,
            "invalidPath",
            "'path' must be a non-empty string",
        ),
        (
            {"Operations": [{"op": "remove", "path": " "}]},
            False,
            "invalidPath",
            "'path' must be a non-empty string",
        ),
        (
            {"Operations": [{"op": "remove", "path": "a" * 1001}]},
            False,
            "invalidPath",
            "'path' is too long",
        ),
        (
            {"Operations": [{"op": "Add", "path": "a"}]},
            False,
            "invalidSyntax",
            "Operation 'Add' requires a 'value'",
        ),
        (
            {"Operations": [{"op": "replace", "path": "a", "value": None}]},
            False,
            "invalidSyntax",
            "Operation 'replace' requires a 'value'",
        ),
        (
            {"Operations": [{"op": "Remove"}]},
            False,
            "noTarget",
            "Operation 'remove' requires a 'path'",
        ),
    ],
)
def test_a_malformed_patchop_body_is_refused_with_a_detail(
    body: Any, strict: bool, scim_type: str, detail: str
) -> None:
    """RFC 7644 section 3.5.2: a PatchOp carries the PatchOp schema and a non-empty
    "Operations" list; each operation has an "op" of add, remove or replace, a "value" for add
    and replace, and a "path" for remove (noTarget without one, section 3.5.2.2)."""
    assert refusal(parse_patch_body, body, strict) == (400, scim_type, detail)


def test_the_operations_are_read_in_any_key_case() -> None:
    """RFC 7644 section 3.5.2 with Entra's spellings: "Operations" or "operations", and the
    op names case-insensitive (Miro's reference writes Add/Remove/Replace)."""
    ops = parse_patch_body(
        {
            "operations": [
                {"OP": "Replace", "PATH": " displayName ", "VALUE": "B"},
                {"Op": "REMOVE", "Path": "emails", "Value": None},
                {"op": "remove", "path": "title"},
            ]
        },
        strict=False,
    )
    assert ops == [
        Operation("replace", "displayName", "B", True),
        Operation("remove", "emails", None, True),
        Operation("remove", "title", None, False),
    ]


def test_the_schema_may_sit_among_others_and_a_path_may_be_1000_characters() -> None:
    """Miro's PatchUser reference: ``schemas`` lists the PatchOp URN."""
    (op,) = parse_patch_body(
        {
            "schemas": ["urn:example", PATCH_SCHEMA],
            "Operations": [{"op": "remove", "path": "a" * 1000}],
        },
        strict=True,
    )
    assert op == Operation("remove", "a" * 1000, None, False)
    # The Operations key wins over a lower-case one beside it.
    (first,) = parse_patch_body(
        {
            "Operations": [{"op": "remove", "path": "x"}],
            "operations": [{"op": "remove", "path": "y"}],
        },
        strict=False,
    )
    assert first.path == "x"


# ---------------------------------------------------------------- team PATCH: actions


def actions(*ops: dict[str, Any], strict: bool = True) -> list[GroupAction]:
    body = {"schemas": [PATCH_SCHEMA], "Operations": list(ops)}
    return parse_group_actions(parse_patch_body(body, strict), strict)


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        # Path-less: the value's keys are attributes (RFC 7644 section 3.5.2.1 and 3.5.2.3).
        (
            {"op": "add", "value": {"members": [{"value": "1"}, {"value": 2}]}},
            [GroupAction("add", ("1", "2"))],
        ),
        (
            {"op": "replace", "value": {"Members": [{"value": "1"}]}},
            [GroupAction("replace", ("1",))],
        ),
        (
            {
                "op": "replace",
                "value": {"DisplayName": "New", "id": "9", "schemas": [], "meta": {}},
            },
            [GroupAction("rename", text="New")],
        ),
        ({"op": "add", "value": {"externalId": "e-1"}}, [GroupAction("external_id", text="e-1")]),
        # With a path.
        ({"op": "Add", "path": "members", "value": {"value": "7"}}, [GroupAction("add", ("7",))]),
        (
            {"op": "Replace", "path": "members", "value": [{"VALUE": "7"}, {"value": "8"}]},
            [GroupAction("replace", ("7", "8"))],
        ),
        ({"op": "Remove", "path": "Members"}, [GroupAction("remove_all")]),
        ({"op": "Remove", "path": "members", "value": None}, [GroupAction("remove_all")]),
        (
            {"op": "Remove", "path": "members", "value": [{"value": "7"}]},
            [GroupAction("remove", ("7",))],
        ),
        ({"op": "replace", "path": "displayName", "value": "N"}, [GroupAction("rename", text="N")]),
        (
            {"op": "replace", "path": f"{GROUP}:displayName", "value": "N"},
            [GroupAction("rename", text="N")],
        ),
        (
            {"op": "add", "path": f"{GROUP.upper()}:members", "value": [{"value": "3"}]},
            [GroupAction("add", ("3",))],
        ),
        (
            {"op": "replace", "path": "externalId", "value": "e-2"},
            [GroupAction("external_id", text="e-2")],
        ),
        ({"op": "remove", "path": "externalId"}, [GroupAction("external_id", text=None)]),
    ],
)
def test_team_patch_operations_become_member_and_name_actions(
    op: dict[str, Any], expected: list[GroupAction]
) -> None:
    """Miro's PatchGroup reference: add, remove and replace ``members``, rename with
    ``displayName`` (also path-less, as Miro's own example), remove by value list (Entra) or
    remove all; RFC 7644 section 3.5.2.3: a path-less replace of ``members`` replaces the list,
    a path-less add adds (section 3.5.2.1)."""
    assert actions(op) == expected


def test_a_member_filter_is_a_removal_by_filter() -> None:
    """Miro's PatchGroup example removes with ``members[value eq 3074457364022187294]``."""
    (action,) = actions({"op": "Remove", "path": "members[value eq 3074457364022187294]"})
    assert action.kind == "remove_filter"
    assert isinstance(action.filter, Compare)
    assert (action.filter.path.attr, action.filter.value) == ("value", 3074457364022187294)


@pytest.mark.parametrize(
    ("op", "strict", "status", "scim_type", "detail"),
    [
        (
            {"op": "add", "path": 'members[value eq "1"]', "value": [{"value": "1"}]},
            False,
            400,
            "invalidPath",
            "Unsupported path 'members[value eq \"1\"]' for 'add'",
        ),
        (
            {"op": "remove", "path": 'members[value eq "1"].value'},
            False,
            400,
            "invalidPath",
            "Unsupported path 'members[value eq \"1\"].value' for 'remove'",
        ),
        (
            {"op": "remove", "path": "displayName"},
            False,
            400,
            "mutability",
            "'displayName' is required and cannot be removed",
        ),
        (
            {"op": "replace", "path": "displayName", "value": " "},
            False,
            400,
            "invalidValue",
            "'displayName' must be a non-empty string",
        ),
        (
            {"op": "replace", "path": "displayName", "value": 5},
            False,
            400,
            "invalidValue",
            "'displayName' must be a non-empty string",
        ),
        (
            {"op": "replace", "value": {"displayName": ""}},
            False,
            400,
            "invalidValue",
            "'displayName' must be a non-empty string",
        ),
        (
            {"op": "replace", "path": "externalId", "value": 5},
            False,
            400,
            "invalidValue",
            "'externalId' must be a string",
        ),
        (
            {"op": "add", "path": "members", "value": ["1"]},
            False,
            400,
            "invalidValue",
            "'members' items must be objects with a 'value'",
        ),
        (
            {"op": "add", "path": "members", "value": [{"value": True}]},
            False,
            400,
            "invalidValue",
            "'members' items need a string 'value' (the user id)",
        ),
        (
            {"op": "add", "path": "members", "value": [{"value": ""}]},
            False,
            400,
            "invalidValue",
            "'members' items need a string 'value' (the user id)",
        ),
        (
            {"op": "add", "path": "members", "value": [{"display": "x"}]},
            False,
            400,
            "invalidValue",
            "'members' items need a string 'value' (the user id)",
        ),
        (
            {"op": "add", "value": {"members": [1]}},
            False,
            400,
            "invalidValue",
            "'members' items must be objects with a 'value'",
        ),
        (
            {"op": "replace", "value": "New"},
            False,
            400,
            "invalidSyntax",
            "A path-less operation needs an object 'value'",
        ),
        (
            {"op": "replace", "path": "description", "value": "x"},
            True,
            400,
            "invalidPath",
            "Unsupported path 'description' (Miro supports members and displayName)",
        ),
        (
            {"op": "replace", "path": 'displayName[value eq "x"]', "value": "x"},
            True,
            400,
            "invalidPath",
            "Unsupported path 'displayName[value eq \"x\"]' (Miro supports members and "
            "displayName)",
        ),
        (
            {"op": "replace", "path": "members[", "value": "x"},
            True,
            400,
            "invalidPath",
            "Unsupported path 'members[' (Miro supports members and displayName)",
        ),
        (
            {"op": "replace", "value": {"description": "x"}},
            True,
            400,
            "invalidPath",
            "Unsupported attribute 'description' (Miro supports members and displayName)",
        ),
        (
            {"op": "replace", "value": {"externalId": 5}},
            True,
            400,
            "invalidPath",
            "Unsupported attribute 'externalId' (Miro supports members and displayName)",
        ),
    ],
)
def test_team_patch_refusals_say_what_is_wrong(
    op: dict[str, Any], strict: bool, status: int, scim_type: str, detail: str
) -> None:
    """Miro's PatchGroup reference: paths ``members`` and ``displayName`` (a member filter only
    in a remove), members given as objects with the user id as ``value``; RFC 7644 section
    3.12: invalidPath, invalidValue, invalidSyntax, and mutability for the required
    displayName (RFC 7643 section 4.1.1 makes it required for a Group)."""
    with pytest.raises(ScimError) as caught:
        actions(op, strict=strict)
    assert (caught.value.status, caught.value.scim_type, caught.value.detail) == (
        status,
        scim_type,
        detail,
    )


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "description", "value": "x"},
        {"op": "replace", "path": 'displayName[value eq "x"]', "value": "x"},
        {"op": "replace", "value": {"description": "x", "externalId": 5}},
    ],
)
def test_lenient_team_patch_ignores_what_strict_refuses(op: dict[str, Any]) -> None:
    """The ``patch_strict: false`` setting (docs/miro-fake.md): unknown paths are ignored."""
    assert actions(op, strict=False) == []


def test_a_path_less_key_that_is_not_a_string_is_not_an_attribute() -> None:
    ops = [Operation("replace", None, {5: "x"}, True)]
    assert parse_group_actions(ops, strict=False) == []
    with pytest.raises(ScimError) as caught:
        parse_group_actions(ops, strict=True)
    assert caught.value.detail == (
        "Unsupported attribute '5' (Miro supports members and displayName)"
    )


# ---------------------------------------------------------------- team PATCH over HTTP


@pytest.fixture
def team(scim: Scim, backend: MiroBackend) -> tuple[str, str, str]:
    gid = backend.create_team("Design")["id"]
    a = scim.create_user("a@contoso.com")["id"]
    b = scim.create_user("b@contoso.com")["id"]
    backend.add_team_member(gid, a)
    return gid, a, b


def test_a_path_less_replace_of_members_replaces_the_list(
    scim: Scim, backend: MiroBackend, team: tuple[str, str, str]
) -> None:
    """RFC 7644 section 3.5.2.3: a path-less replace sets each attribute of its value, so
    ``members`` becomes exactly the given list."""
    gid, a, b = team
    response = scim.patch(f"/Groups/{gid}", {"op": "replace", "value": {"members": [{"value": b}]}})
    assert response.status_code == 200
    assert [m["value"] for m in backend.get_group(gid)["members"]] == [b]
    assert a in backend.users  # a replace takes users off the team, not out of Miro


def test_a_path_less_add_of_members_adds_to_the_list(
    scim: Scim, backend: MiroBackend, team: tuple[str, str, str]
) -> None:
    """RFC 7644 section 3.5.2.1: a path-less add adds each attribute's values; for the
    multi-valued ``members``, the new members join the existing ones."""
    gid, a, b = team
    response = scim.patch(f"/Groups/{gid}", {"op": "add", "value": {"members": [{"value": b}]}})
    assert response.status_code == 200
    assert [m["value"] for m in backend.get_group(gid)["members"]] == [a, b]


def test_a_refused_team_patch_names_the_problem_over_http(
    scim: Scim, backend: MiroBackend, team: tuple[str, str, str]
) -> None:
    """Miro's error body (https://developers.miro.com/docs/errors): status as a string, the
    scimType where there is one, and a detail; the team is unchanged."""
    gid, a, _ = team
    body = assert_scim_error(
        scim.patch(f"/Groups/{gid}", {"op": "remove", "path": "displayName"}), 400, "mutability"
    )
    assert body["detail"] == "'displayName' is required and cannot be removed"
    group = backend.get_group(gid)
    assert (group["displayName"], [m["value"] for m in group["members"]]) == ("Design", [a])


def test_every_operation_counts_after_a_path_less_one() -> None:
    """RFC 7644 section 3.5.2: the operations apply in order, each of them."""
    assert actions(
        {"op": "replace", "value": {"displayName": "New"}},
        {"op": "add", "path": "members", "value": [{"value": "1"}]},
    ) == [GroupAction("rename", text="New"), GroupAction("add", ("1",))]


def test_a_bad_member_in_a_removal_is_named() -> None:
    """Entra's removal form carries a value list of members (Microsoft's SCIM guide,
    https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)."""
    with pytest.raises(ScimError) as caught:
        actions({"op": "remove", "path": "members", "value": ["1"]})
    assert (caught.value.scim_type, caught.value.detail) == (
        "invalidValue",
        "'members' items must be objects with a 'value'",
    )
