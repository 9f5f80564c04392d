"""The ``$filter`` grammar and its evaluation, table by table, on the parser's own functions:
which records each expression keeps, which operators each property takes with and without an
advanced query, and the exact error (status, code, message) each mistake gets.

Sources: https://learn.microsoft.com/en-us/graph/filter-query-parameter (operators, literals,
lambda operators, functions), https://learn.microsoft.com/en-us/graph/aad-advanced-queries
(which operator needs ``ConsistencyLevel: eventual`` and ``$count=true``, and the errors without
them), https://learn.microsoft.com/en-us/graph/api/resources/user and
https://learn.microsoft.com/en-us/graph/api/resources/group (property types)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_graph.exceptions import GraphError
from mock_graph.odata import (
    MAX_DEPTH,
    FilterPlan,
    Usage,
    check_usages,
    filter_error,
    parse_filter,
    tokenize,
)
from mock_graph.schemas import GROUP, SERVICE_PRINCIPAL, USER, EntityType, Prop

UNSUPPORTED = "Request_UnsupportedQuery"


def error_of(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(GraphError) as info:
        call()
    return info.value.status, info.value.code, info.value.message


def clause_error(detail: str, text: str) -> tuple[int, str, str]:
    """What Graph answers to a filter it cannot parse: 400 BadRequest, 'Invalid filter clause'."""
    return 400, "BadRequest", f"Invalid filter clause: {detail} in '{text}'."


def property_clause(prop: str, resource: str = "User") -> tuple[int, str, str]:
    return (
        400,
        UNSUPPORTED,
        f"Unsupported or invalid query filter clause specified for property '{prop}' of "
        f"resource '{resource}'.",
    )


ADA = {
    "id": "a1",
    "displayName": "Ada Lovelace",
    "userPrincipalName": "ada@contoso.com",
    "givenName": "Ada",
    "accountEnabled": True,
    "department": "Sales",
    "mail": "ada@contoso.com",
    "businessPhones": ["+1 555 0100"],
    "createdDateTime": "2026-01-05T09:00:00Z",
    "employeeOrgData": {"division": "R&D", "costCenter": "CC-7"},
    "userType": "Member",
}
BOB = {
    "id": "b2",
    "displayName": "bob o'brien",
    "userPrincipalName": "bob@fabrikam.com",
    "givenName": "Bob",
    "accountEnabled": False,
    "department": "Legal",
    "mail": None,
    "businessPhones": [],
    "createdDateTime": "2026-01-05T10:00:00+02:00",
    "employeeOrgData": None,
    "userType": "Guest",
}
CAROL = {
    "id": "c3",
    "displayName": "Carol",
    "userPrincipalName": "carol@contoso.com",
    "accountEnabled": None,
    "department": "sales",
    "businessPhones": ["+44 20 7946 0000", "+1 555 0199"],
    "createdDateTime": "not a date",
    "employeeOrgData": "flat",
}
PEOPLE = [ADA, BOB, CAROL]


def kept(text: str, etype: EntityType = USER, records: list[dict[str, Any]] = PEOPLE) -> list[str]:
    plan = parse_filter(text, etype)
    return [r["id"] for r in records if plan.predicate(r)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # eq and ne compare strings case-insensitively, as the directory does
        ("displayName eq 'ADA LOVELACE'", ["a1"]),
        ("department eq 'SALES'", ["a1", "c3"]),
        ("department ne 'sales'", ["b2"]),
        ("displayName eq 'bob o''brien'", ["b2"]),
        ("mail eq null", ["b2", "c3"]),
        ("mail ne null", ["a1"]),
        ("accountEnabled eq true", ["a1"]),
        ("accountEnabled eq FALSE", ["b2"]),
        ("accountEnabled ne true", ["b2", "c3"]),
        ("accountEnabled eq null", ["c3"]),
        # in: any of the listed values, case-insensitively
        ("department in ('legal')", ["b2"]),
        ("department in ('LEGAL', 'Sales')", ["a1", "b2", "c3"]),
        ("id in ('c3','a1')", ["a1", "c3"]),
        ("mail in (null, 'ADA@contoso.com')", ["a1", "b2", "c3"]),
        # ordering operators on strings, at the boundary and either side of it
        ("givenName ge 'ada'", ["a1", "b2"]),
        ("givenName gt 'ada'", ["b2"]),
        ("givenName le 'BOB'", ["a1", "b2"]),
        ("givenName lt 'BOB'", ["a1"]),
        # ordering operators on dates compare instants, not text
        ("createdDateTime ge 2026-01-05T09:00:00Z", ["a1"]),
        ("createdDateTime gt 2026-01-05T08:00:00Z", ["a1"]),
        ("createdDateTime ge 2026-01-05T08:00:00Z", ["a1", "b2"]),
        ("createdDateTime gt 2026-01-05T09:00:00Z", []),
        ("createdDateTime le 2026-01-05T08:00:00Z", ["b2"]),
        ("createdDateTime lt 2026-01-05T08:00:00Z", []),
        ("createdDateTime lt 2026-01-05T08:00:00.5Z", ["b2"]),
        ("createdDateTime ge 2026-01-05T10:00:00+01:00", ["a1"]),
        ("createdDateTime le 2026-01-05T11:00:01+03:00", ["b2"]),
        # and binds tighter than or; not negates; parentheses group
        ("department eq 'sales' and givenName eq 'ada'", ["a1"]),
        ("department eq 'sales' and givenName eq 'bob'", []),
        ("givenName eq 'bob' and department eq 'legal'", ["b2"]),
        ("givenName eq 'x' or department eq 'legal'", ["b2"]),
        ("department eq 'legal' or givenName eq 'x'", ["b2"]),
        ("givenName eq 'x' or givenName eq 'y' or id eq 'c3'", ["c3"]),
        ("id eq 'a1' and id eq 'a1' and department eq 'legal'", []),
        ("id eq 'b2' or id eq 'a1' and department eq 'legal'", ["b2"]),
        ("(id eq 'b2' or id eq 'a1') and department eq 'sales'", ["a1"]),
        ("not(department eq 'sales')", ["b2"]),
        ("NOT (department eq 'sales')", ["b2"]),
        ("not not(id eq 'a1')", ["a1"]),
        ("id eq 'a1' AND department eq 'sales' Or id eq 'c3'", ["a1", "c3"]),
        # startsWith / endsWith: case-insensitive, either spelling; non-strings never match
        ("startswith(displayName,'ADA')", ["a1"]),
        ("startsWith(displayName,'lovelace')", []),
        ("endswith(userPrincipalName,'@CONTOSO.com')", ["a1", "c3"]),
        ("endsWith(userPrincipalName,'ada')", []),
        ("startswith(mail,'a')", ["a1"]),
        ("endswith(mail,'m')", ["a1"]),
        # collections: any() over the items, with the variable or a function on it
        ("businessPhones/any(p:p eq '+1 555 0199')", ["c3"]),
        ("businessPhones/any(p:startswith(p,'+1'))", ["a1", "c3"]),
        ("businessPhones/any(p:p eq '+1 555 0100' or p eq '+44 20 7946 0000')", ["a1", "c3"]),
        ("not(businessPhones/any(p:startswith(p,'+44')))", ["a1", "b2"]),
        ("businessPhones/any(p:p eq 'x') or id eq 'b2'", ["b2"]),
        # sub-properties of a complex property
        ("employeeOrgData/division eq 'r&d'", ["a1"]),
        ("employeeOrgData/costCenter ne 'cc-7'", ["b2", "c3"]),
        ("startswith(employeeOrgData/division,'R')", ["a1"]),
    ],
)
def test_filter_keeps_the_documented_records(text: str, ids: list[str]) -> None:
    """https://learn.microsoft.com/en-us/graph/filter-query-parameter: eq, ne, not, in, the
    ordering operators, and/or, startswith/endswith and any(); string comparison is
    case-insensitive (https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    assert kept(text) == ids


def test_any_on_a_record_collection_reads_the_sub_property() -> None:
    """``assignedLicenses/any(s:s/skuId eq ...)``: the lambda variable's sub-property
    (https://learn.microsoft.com/en-us/graph/filter-query-parameter)."""
    licensed = EntityType(
        "user",
        "User",
        {
            "id": USER.props["id"],
            "assignedLicenses": Prop(
                "assignedLicenses", "records", False, False, frozenset({"any"}), frozenset()
            ),
        },
    )
    records = [
        {"id": "1", "assignedLicenses": ["loose", {"skuId": "E5"}]},
        {"id": "2", "assignedLicenses": [{"skuId": "E3"}]},
        {"id": "3"},
    ]
    plan = parse_filter("assignedLicenses/any(s:s/skuId eq 'e5')", licensed)
    assert [r["id"] for r in records if plan.predicate(r)] == ["1"]
    assert plan.usages == [Usage("assignedLicenses", "any"), Usage("skuId", "eq")]


def test_ordering_operators_never_match_a_missing_or_incomparable_value() -> None:
    """A record without the property, a date that is not one, a value of another JSON type."""
    records = [
        {"id": "none", "givenName": None, "createdDateTime": None},
        {"id": "int", "givenName": 5, "createdDateTime": 5},
        {"id": "bad", "givenName": "zed", "createdDateTime": "2026-13-40T00:00:00Z"},
    ]
    for op in ("gt", "ge", "lt", "le"):
        assert kept(f"givenName {op} 'm'", records=records) == (
            ["bad"] if op in ("gt", "ge") else []
        )
        assert kept(f"createdDateTime {op} 2026-01-01T00:00:00Z", records=records) == []


def test_the_lambda_variable_is_only_in_scope_inside_its_any() -> None:
    assert kept("businessPhones/any(p:p eq '+1 555 0100') and department eq 'sales'") == ["a1"]
    assert error_of(lambda: parse_filter("businessPhones/any(p:p eq 'x') and p eq 'x'", USER)) == (
        400,
        "BadRequest",
        "Could not find a property named 'p' on type 'microsoft.graph.user'.",
    )


@pytest.mark.parametrize(
    "text",
    [
        "businessPhones/any(p:businessPhones/any(q:q eq 'x') or p eq 'y')",
        "businessPhones/any(p:department eq 'sales')",
        "businessPhones/any(p:p eq 'x' and displayName eq 'a')",
    ],
)
def test_inside_any_only_the_lambda_variable_is_compared(text: str) -> None:
    """Graph's directory filters compare the lambda variable inside any() (`any(c:c eq 'x')`,
    https://learn.microsoft.com/en-us/graph/filter-query-parameter#using-lambda-operators); a
    nested lambda or another property there is refused as an unsupported query (before, the
    fake evaluated the outer property on the collection's item and answered a 500)."""
    assert error_of(lambda: parse_filter(text, USER)) == (
        400,
        "Request_UnsupportedQuery",
        "Unsupported Query.",
    )


@pytest.mark.parametrize(
    ("text", "usages"),
    [
        ("displayName eq 'a'", [("displayName", "eq")]),
        ("displayName ne 'a'", [("displayName", "ne")]),
        ("displayName eq null", [("displayName", "eqnull")]),
        ("displayName ne null", [("displayName", "eqnull")]),
        ("displayName gt 'a'", [("displayName", "ge")]),
        ("displayName ge 'a'", [("displayName", "ge")]),
        ("displayName lt 'a'", [("displayName", "le")]),
        ("displayName le 'a'", [("displayName", "le")]),
        ("displayName in ('a')", [("displayName", "in")]),
        ("startswith(displayName,'a')", [("displayName", "startsWith")]),
        ("endswith(displayName,'a')", [("displayName", "endsWith")]),
        ("not(displayName eq 'a')", [("displayName", "eq"), ("displayName", "not")]),
        ("not not(displayName eq 'a')", [("displayName", "eq"), ("displayName", "not")]),
        (
            "id eq 'a' and not(mail eq 'b' or givenName eq 'c')",
            [
                ("id", "eq"),
                ("mail", "eq"),
                ("givenName", "eq"),
                ("mail", "not"),
                ("givenName", "not"),
            ],
        ),
        ("businessPhones/any(p:p eq 'a')", [("businessPhones", "any")]),
        ("businessPhones/any(p:startswith(p,'a'))", [("businessPhones", "any")]),
        (
            "employeeOrgData/division eq 'a'",
            [("employeeOrgData", "complex"), ("employeeOrgData", "eq")],
        ),
    ],
)
def test_each_operator_is_recorded_against_its_property(
    text: str, usages: list[tuple[str, str]]
) -> None:
    """The (property, operator) pairs the advanced-query table is checked with: gt/lt count as
    ge/le, ``eq null`` and ``ne null`` as eqnull, ``not`` applies to each property inside it
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    assert [(u.prop, u.op) for u in parse_filter(text, USER).usages] == usages


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("id eq 'a1'", ("id", ["a1"])),
        ("id EQ 'a1'", ("id", ["a1"])),
        (
            "userPrincipalName eq 'O''Brien@contoso.com'",
            ("userPrincipalName", ["O'Brien@contoso.com"]),
        ),
        ("id in ('a','b''c')", ("id", ["a", "b'c"])),
        ("userPrincipalName IN ('a')", ("userPrincipalName", ["a"])),
        ("displayName eq 'a'", None),
        ("id ne 'a'", None),
        ("id eq null", None),
        ("id eq 'a' or id eq 'b'", None),
        ("(id eq 'a')", None),
        ("id in ('a', null)", None),
        ("id in ('a') or id in ('b')", None),
        ("id in ('a') and givenName eq 'x'", None),
        ("startswith(id,'a')", None),
    ],
)
def test_only_a_lone_id_or_upn_match_is_answered_from_the_index(
    text: str, index: tuple[str, list[str]] | None
) -> None:
    assert parse_filter(text, USER).index_key == index


def test_a_lone_principal_id_match_is_answered_from_the_index() -> None:
    """``principalId eq <guid>`` on app role assignments: the GUID is unquoted
    (https://learn.microsoft.com/en-us/graph/api/resources/approleassignment)."""
    from mock_graph.schemas import APP_ROLE_ASSIGNMENT as ASSIGNMENT

    guid = "8E881353-1735-45AF-AF21-EE1344582A4D"
    assert parse_filter(f"principalId eq {guid}", ASSIGNMENT).index_key == (
        "principalId",
        [guid.lower()],
    )
    assert (
        parse_filter(f"principalId eq {guid} and principalType eq 'User'", ASSIGNMENT).index_key
        is None
    )
    assert parse_filter(f"resourceId eq {guid}", ASSIGNMENT).index_key is None
    assert parse_filter("principalType eq 'User'", ASSIGNMENT).index_key is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", clause_error("Empty expression", "")),
        ("  ", clause_error("Empty expression", "  ")),
        ("displayName eq 'a", clause_error("Syntax error at position 15", "displayName eq 'a")),
        ("displayName eq #", clause_error("Syntax error at position 15", "displayName eq #")),
        ("displayName eq", clause_error("Unexpected end of expression", "displayName eq")),
        ("displayName", clause_error("Unexpected end of expression", "displayName")),
        ("not", clause_error("Unexpected end of expression", "not")),
        ("(", clause_error("Unexpected end of expression", "(")),
        ("id eq 'a' and", clause_error("Unexpected end of expression", "id eq 'a' and")),
        ("id eq 'a' 'b'", clause_error("Syntax error at position 10", "id eq 'a' 'b'")),
        ("(id eq 'a' 'b')", clause_error("Expected ')' at position 11", "(id eq 'a' 'b')")),
        ("(id eq 'a'", clause_error("Unexpected end of expression", "(id eq 'a'")),
        ("'a' eq id", clause_error("Expected a property name at position 0", "'a' eq id")),
        ("id has 'a'", clause_error("Unknown operator 'has' at position 3", "id has 'a'")),
        ("id eq abc", clause_error("Expected a literal at position 6", "id eq abc")),
        ("id eq (", clause_error("Expected a literal at position 6", "id eq (")),
        (
            "createdDateTime ge 2026-13-01T00:00:00Z",
            clause_error(
                "Invalid datetime at position 19", "createdDateTime ge 2026-13-01T00:00:00Z"
            ),
        ),
        ("id gt null", clause_error("null can only be compared with eq or ne", "id gt null")),
        ("id le null", clause_error("null can only be compared with eq or ne", "id le null")),
        ("id in 'a'", clause_error("Expected '(' at position 6", "id in 'a'")),
        ("id in ('a' 'b')", clause_error("Expected ')' at position 11", "id in ('a' 'b')")),
        ("startswith(id 'a')", clause_error("Expected ',' at position 14", "startswith(id 'a')")),
        ("startswith(id,'a'", clause_error("Unexpected end of expression", "startswith(id,'a'")),
        (
            "businessPhones/any(p p eq 'a')",
            clause_error("Expected ':' at position 21", "businessPhones/any(p p eq 'a')"),
        ),
        (
            "businessPhones/any('p':p eq 'a')",
            clause_error(
                "Expected a lambda variable at position 19", "businessPhones/any('p':p eq 'a')"
            ),
        ),
        (
            "businessPhones/first(p:p eq 'a')",
            clause_error("Unknown operator '(' at position 20", "businessPhones/first(p:p eq 'a')"),
        ),
        (
            "businessPhones/any(p:p eq 'a'",
            clause_error("Unexpected end of expression", "businessPhones/any(p:p eq 'a'"),
        ),
    ],
)
def test_syntax_errors_name_the_position(text: str, expected: tuple[int, str, str]) -> None:
    """Graph answers a filter it cannot parse with 400 BadRequest 'Invalid filter clause: ...'
    (https://learn.microsoft.com/en-us/graph/filter-query-parameter)."""
    assert error_of(lambda: parse_filter(text, USER)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "shoeSize eq 4",
            (
                400,
                "BadRequest",
                "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.",
            ),
        ),
        (
            "startswith eq 'a'",
            (
                400,
                "BadRequest",
                "Could not find a property named 'startswith' on type 'microsoft.graph.user'.",
            ),
        ),
        (
            "displayName eq true",
            (
                400,
                "BadRequest",
                "A binary operator with incompatible types was detected. Found operand types "
                "'Edm.String' and 'Edm.Boolean' for operator kind 'Equal'.",
            ),
        ),
        (
            "displayName ne 5",
            (
                400,
                "BadRequest",
                "A binary operator with incompatible types was detected. Found operand types "
                "'Edm.String' and 'Edm.Int32' for operator kind 'NotEqual'.",
            ),
        ),
        (
            "accountEnabled gt 'yes'",
            (
                400,
                "BadRequest",
                "A binary operator with incompatible types was detected. Found operand types "
                "'Edm.Boolean' and 'Edm.String' for operator kind 'gt'.",
            ),
        ),
        (
            "createdDateTime in ('2026-01-01')",
            (
                400,
                "BadRequest",
                "A binary operator with incompatible types was detected. Found operand types "
                "'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'In'.",
            ),
        ),
        (
            "id eq 8e881353-1735-45af-af21-ee1344582a4d",
            (
                400,
                "BadRequest",
                "A binary operator with incompatible types was detected. Found operand types "
                "'Edm.String' and 'Edm.Guid' for operator kind 'Equal'.",
            ),
        ),
        (
            "id le 2026-01-01T00:00:00Z",
            (
                400,
                "BadRequest",
                "A binary operator with incompatible types was detected. Found operand types "
                "'Edm.String' and 'Edm.DateTimeOffset' for operator kind 'le'.",
            ),
        ),
        (
            "startswith(accountEnabled,'a')",
            (400, "BadRequest", "The 'startsWith' function only takes string arguments."),
        ),
        (
            "endswith(displayName,5)",
            (400, "BadRequest", "The 'endsWith' function only takes string arguments."),
        ),
        ("contains(displayName,'a')", (400, UNSUPPORTED, "Unsupported Query.")),
        ("passwordProfile eq 'x'", (400, UNSUPPORTED, "Unsupported Query.")),
        ("businessPhones/all(p:p eq 'a')", (400, UNSUPPORTED, "Unsupported Query.")),
        ("businessPhones eq 'a'", property_clause("businessPhones")),
        ("businessPhones in ('a')", property_clause("businessPhones")),
        ("businessPhones/$count eq 0", property_clause("businessPhones")),
        ("displayName/any(d:d eq 'a')", property_clause("displayName")),
    ],
)
def test_type_and_support_errors(text: str, expected: tuple[int, str, str]) -> None:
    """Graph's own wording for an unknown property, a literal of the wrong type, a function on a
    non-string, ``contains`` (not supported on directory objects), ``all`` and ``$count`` on a
    collection (https://learn.microsoft.com/en-us/graph/filter-query-parameter,
    https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    assert error_of(lambda: parse_filter(text, USER)) == expected


def test_a_guid_property_takes_an_unquoted_guid_only() -> None:
    """GUID literals are not quoted (https://learn.microsoft.com/en-us/graph/filter-query-parameter)."""
    guid = "11111111-1111-4111-8111-111111111111"
    plan = parse_filter(f"appOwnerOrganizationId eq {guid.upper()}", SERVICE_PRINCIPAL)
    assert plan.predicate({"appOwnerOrganizationId": guid})
    assert not plan.predicate({"appOwnerOrganizationId": "22222222-1111-4111-8111-111111111111"})
    assert error_of(
        lambda: parse_filter(f"appOwnerOrganizationId eq '{guid}'", SERVICE_PRINCIPAL)
    ) == (
        400,
        "BadRequest",
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.Guid' and 'Edm.String' for operator kind 'Equal'.",
    )


def test_an_int_property_takes_a_number() -> None:
    counted = EntityType(
        "thing",
        "Thing",
        {"size": Prop("size", "int", False, False, frozenset({"eq"}), frozenset())},
    )
    assert [
        r["size"]
        for r in [{"size": 3}, {"size": 4}]
        if parse_filter("size ge 4", counted).predicate(r)
    ] == [4]
    assert parse_filter("size eq 2.5", counted).predicate({"size": 2.5})
    assert error_of(lambda: parse_filter("size eq '4'", counted)) == (
        400,
        "BadRequest",
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.Int32' and 'Edm.String' for operator kind 'Equal'.",
    )


def test_long_filters_are_cut_to_200_characters_in_the_message() -> None:
    exact = "x" * 200
    assert filter_error("Oops", exact).message == f"Invalid filter clause: Oops in '{exact}'."
    longer = "y" * 201
    assert filter_error("Oops", longer).message == f"Invalid filter clause: Oops in '{'y' * 200}…'."
    assert filter_error("Oops", longer).status == 400


def test_nesting_is_capped_at_64_levels() -> None:
    """Deep nesting is a 400, not a crash: parentheses, not and any() each count a level."""
    ok = "(" * MAX_DEPTH + "id eq 'a1'" + ")" * MAX_DEPTH
    assert kept(ok) == ["a1"]
    too_deep = "(" * (MAX_DEPTH + 1) + "id eq 'a1'" + ")" * (MAX_DEPTH + 1)
    message = "The expression is nested more than 64 levels deep"
    assert error_of(lambda: parse_filter(too_deep, USER)) == clause_error(message, too_deep)
    nots = "not " * MAX_DEPTH + "id eq 'a1'"
    assert kept(nots) == ["a1"]  # an even number of nots
    assert error_of(lambda: parse_filter("not " + nots, USER))[2].startswith(
        f"Invalid filter clause: {message} in "
    )
    lambdas = "(" * (MAX_DEPTH - 1) + "businessPhones/any(p:p eq 'x')" + ")" * (MAX_DEPTH - 1)
    assert kept(lambdas) == []
    deeper = "(" + lambdas + ")"
    assert error_of(lambda: parse_filter(deeper, USER))[2].startswith(
        f"Invalid filter clause: {message} in "
    )


def test_tokens() -> None:
    """Literals as the filter page writes them: quoted strings with doubled quotes, unquoted
    GUIDs and DateTimeOffsets, numbers, true/false/null
    (https://learn.microsoft.com/en-us/graph/filter-query-parameter)."""
    text = (
        "a.b eq 'it''s' 8E881353-1735-45af-af21-ee1344582a4d 2026-01-02T03:04Z "
        "2026-01-02T03:04:05.123+01:00 -12 3.5 (,):/ $count @x _y"
    )
    assert [(t.kind, t.value, t.pos) for t in tokenize(text)] == [
        ("name", "a.b", 0),
        ("name", "eq", 4),
        ("string", "'it''s'", 7),
        ("guid", "8E881353-1735-45af-af21-ee1344582a4d", 15),
        ("datetime", "2026-01-02T03:04Z", 52),
        ("datetime", "2026-01-02T03:04:05.123+01:00", 70),
        ("number", "-12", 100),
        ("number", "3.5", 104),
        ("punct", "(", 108),
        ("punct", ",", 109),
        ("punct", ")", 110),
        ("punct", ":", 111),
        ("punct", "/", 112),
        ("name", "$count", 114),
        ("name", "@x", 121),
        ("name", "_y", 124),
    ]
    assert tokenize("   ") == []
    assert error_of(lambda: tokenize("id eq 12ab")) == clause_error(
        "Syntax error at position 6", "id eq 12ab"
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("id eq 'it''s'", "it's"),
        ("id eq ''", ""),
    ],
)
def test_string_literals_undouble_quotes(text: str, value: str) -> None:
    plan = parse_filter(text, USER)
    assert plan.predicate({"id": value}) and not plan.predicate({"id": value + "x"})


def test_number_literals_keep_their_type() -> None:
    counted = EntityType(
        "thing",
        "Thing",
        {"size": Prop("size", "int", False, False, frozenset({"eq"}), frozenset())},
    )
    whole = parse_filter("size eq 3", counted)
    assert whole.predicate({"size": 3}) and not whole.predicate({"size": 3.5})
    half = parse_filter("size lt -1.5", counted)
    assert half.predicate({"size": -2}) and not half.predicate({"size": -1.5})


def test_groups_filter_on_group_types_with_any() -> None:
    """``groupTypes/any(c:c eq 'Unified')`` (https://learn.microsoft.com/en-us/graph/api/resources/group)."""
    groups = [
        {"id": "m365", "groupTypes": ["Unified"]},
        {"id": "dyn", "groupTypes": ["DynamicMembership", "unified"]},
        {"id": "sec", "groupTypes": []},
        {"id": "none"},
    ]
    assert kept("groupTypes/any(c:c eq 'Unified')", GROUP, groups) == ["m365", "dyn"]
    assert error_of(lambda: parse_filter("groupTypes/any(c:c eq 'Unified')", USER))[2] == (
        "Could not find a property named 'groupTypes' on type 'microsoft.graph.user'."
    )
    assert error_of(lambda: parse_filter("mailEnabled eq 'x'", GROUP))[2] == (
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'."
    )
    assert error_of(lambda: parse_filter("groupTypes eq 'Unified'", GROUP)) == property_clause(
        "groupTypes", "Group"
    )


ADVANCED_HINT = (
    "is not supported because the required parameters might be missing. Try adding $count=true "
    "query parameter and ConsistencyLevel:eventual header. Refer to "
    "https://aka.ms/graph-docs/advanced-queries for more information"
)


def check(
    uses: list[tuple[str, str]], *, advanced: bool, strict: bool, etype: EntityType = USER
) -> None:
    plan = FilterPlan(lambda r: True, [Usage(p, o) for p, o in uses])
    check_usages(plan, etype, advanced=advanced, strict=strict)


@pytest.mark.parametrize(
    ("prop", "op"),
    [
        ("displayName", "eq"),
        ("displayName", "in"),
        ("displayName", "startsWith"),
        ("userPrincipalName", "le"),
        ("accountEnabled", "eq"),
        ("businessPhones", "any"),
        ("createdDateTime", "ge"),
        ("shoeSize", "eq"),  # a lambda variable's sub-property: not in the table
        ("passwordProfile", "complex"),  # the complex path itself; the operator is checked
    ],
)
def test_default_operators_need_no_advanced_query(prop: str, op: str) -> None:
    """The per-property 'default' column of
    https://learn.microsoft.com/en-us/graph/aad-advanced-queries."""
    check([(prop, op)], advanced=False, strict=True)


@pytest.mark.parametrize(
    ("prop", "op"),
    [
        ("displayName", "ne"),
        ("displayName", "not"),
        ("displayName", "eqnull"),
        ("mail", "endsWith"),
        ("companyName", "eq"),
        ("accountEnabled", "le"),
        ("createdDateTime", "in"),
    ],
)
def test_advanced_operators_need_consistency_level_and_count(prop: str, op: str) -> None:
    """Without ``ConsistencyLevel: eventual`` and ``$count=true``: 400 Request_UnsupportedQuery,
    "Operator '...' is not supported because the required parameters might be missing..."
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries); with them, or with the
    fake's strict_queries off, the filter runs."""
    assert error_of(lambda: check([(prop, op)], advanced=False, strict=True)) == (
        400,
        UNSUPPORTED,
        f"Operator '{op}' {ADVANCED_HINT}",
    )
    check([(prop, op)], advanced=True, strict=True)
    check([(prop, op)], advanced=False, strict=False)
    check([(prop, op)], advanced=True, strict=False)


def test_a_function_on_a_collection_is_refused_like_any_clause_on_it() -> None:
    """A collection is filtered only through any()
    (https://learn.microsoft.com/en-us/graph/filter-query-parameter): startswith on it parses
    but is refused as an unsupported clause for that property, and never matches."""
    plan = parse_filter("startswith(businessPhones,'+1')", USER)
    assert not any(plan.predicate(r) for r in PEOPLE)
    assert error_of(lambda: check_usages(plan, USER, advanced=True, strict=True)) == (
        property_clause("businessPhones")
    )


def test_every_usage_is_checked_not_just_the_first() -> None:
    assert (
        error_of(
            lambda: check(
                [("displayName", "eq"), ("displayName", "ne")], advanced=False, strict=True
            )
        )[2]
        == f"Operator 'ne' {ADVANCED_HINT}"
    )
    assert error_of(
        lambda: check([("id", "eq"), ("passwordPolicies", "eq")], advanced=True, strict=True)
    ) == property_clause("passwordPolicies")
    # after a sub-property, a complex path, a relaxed operator: the next usage is still checked
    assert error_of(
        lambda: check(
            [("displayName", "ne"), ("passwordPolicies", "eq")], advanced=True, strict=True
        )
    ) == property_clause("passwordPolicies")
    for first in (("shoeSize", "eq"), ("employeeOrgData", "complex"), ("passwordPolicies", "eq")):
        assert error_of(
            lambda first=first: check(
                [first, ("passwordPolicies", "any")], advanced=True, strict=False
            )
        ) == property_clause("passwordPolicies")


@pytest.mark.parametrize(
    "op", ["eq", "ne", "not", "in", "startsWith", "endsWith", "ge", "le", "eqnull"]
)
def test_operators_on_unindexed_properties_fail_even_advanced(op: str) -> None:
    """A property the directory does not index for filtering: 400 'Unsupported or invalid query
    filter clause specified for property ...', even with an advanced query
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries); with strict_queries off the
    fake runs the comparison anyway."""
    assert error_of(lambda: check([("passwordPolicies", op)], advanced=True, strict=True)) == (
        property_clause("passwordPolicies")
    )
    assert error_of(
        lambda: check([("visibility", op)], advanced=True, strict=True, etype=GROUP)
    ) == property_clause("visibility", "Group")
    check([("passwordPolicies", op)], advanced=False, strict=False)


def test_any_on_an_unindexed_collection_fails_even_lenient() -> None:
    """Only the comparison operators are relaxed by strict_queries off; any() is not."""
    assert error_of(lambda: check([("passwordPolicies", "any")], advanced=True, strict=False)) == (
        property_clause("passwordPolicies")
    )
