"""``$select``, ``$orderby``, ``$search`` and ``$top`` on the parser's own functions: what each
keeps or orders, and the exact error (status, code, message) each mistake gets.

Sources: https://learn.microsoft.com/en-us/graph/query-parameters ($select, $orderby, $top),
https://learn.microsoft.com/en-us/graph/search-query-parameter ($search on directory objects:
quoted "property:value" clauses, AND/OR, tokenised displayName and description),
https://learn.microsoft.com/en-us/graph/aad-advanced-queries (which sorts need an advanced
query), https://learn.microsoft.com/en-us/graph/api/user-list (page size 1 to 999)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_graph.exceptions import GraphError
from mock_graph.odata import (
    MAX_DEPTH,
    OrderBy,
    check_orderby,
    parse_orderby,
    parse_search,
    parse_select,
    parse_top,
    sort_records,
)
from mock_graph.schemas import GROUP, USER

UNSUPPORTED = "Request_UnsupportedQuery"
SORT_ADVANCED = (
    400,
    UNSUPPORTED,
    "Sorting not supported for current query. Try adding $count=true query parameter and "
    "ConsistencyLevel:eventual header.",
)


def error_of(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(GraphError) as info:
        call()
    return info.value.status, info.value.code, info.value.message


def unknown(prop: str, type_name: str = "user") -> tuple[int, str, str]:
    return (
        400,
        "BadRequest",
        f"Could not find a property named '{prop}' on type 'microsoft.graph.{type_name}'.",
    )


# ---------------------------------------------------------------- $select


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (None, None),
        ("id", ["id"]),
        (" id , displayName ,mail", ["id", "displayName", "mail"]),
        ("id,,mail,", ["id", "mail"]),
    ],
)
def test_select_lists_the_named_properties(text: str | None, names: list[str] | None) -> None:
    assert parse_select(text, USER) == names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (400, "BadRequest", "Invalid $select: empty list.")),
        (" , ", (400, "BadRequest", "Invalid $select: empty list.")),
        ("id,shoeSize", unknown("shoeSize")),
        ("groupTypes", unknown("groupTypes")),
    ],
)
def test_select_errors(text: str, expected: tuple[int, str, str]) -> None:
    assert error_of(lambda: parse_select(text, USER)) == expected


def test_select_takes_the_extra_names_it_is_given() -> None:
    """``members($select=...)`` lists properties of users and groups alike."""
    assert parse_select("groupTypes,id", USER, extra=GROUP.props) == ["groupTypes", "id"]
    assert error_of(lambda: parse_select("shoeSize", USER, extra=GROUP.props)) == unknown(
        "shoeSize"
    )


# ---------------------------------------------------------------- $orderby


@pytest.mark.parametrize(
    ("text", "order"),
    [
        (None, []),
        ("", []),
        ("displayName", [OrderBy("displayName", False)]),
        ("displayName asc", [OrderBy("displayName", False)]),
        ("displayName ASC", [OrderBy("displayName", False)]),
        ("displayName desc", [OrderBy("displayName", True)]),
        ("displayName DESC", [OrderBy("displayName", True)]),
        (
            "displayName desc, userPrincipalName",
            [OrderBy("displayName", True), OrderBy("userPrincipalName", False)],
        ),
    ],
)
def test_orderby_parses_property_and_direction(text: str | None, order: list[OrderBy]) -> None:
    """``$orderby=displayName desc``; ascending when no direction is given
    (https://learn.microsoft.com/en-us/graph/query-parameters)."""
    assert parse_orderby(text, USER) == order


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("displayName up", (400, "BadRequest", "Invalid $orderby clause 'displayName up'.")),
        (
            "displayName desc x",
            (400, "BadRequest", "Invalid $orderby clause 'displayName desc x'."),
        ),
        ("displayName,", (400, "BadRequest", "Invalid $orderby clause ''.")),
        ("id, ", (400, "BadRequest", "Invalid $orderby clause ''.")),
        ("shoeSize desc", unknown("shoeSize")),
        ("shoeSize", unknown("shoeSize")),
    ],
)
def test_orderby_errors(text: str, expected: tuple[int, str, str]) -> None:
    assert error_of(lambda: parse_orderby(text, USER)) == expected


def test_sorting_by_default_properties_needs_no_advanced_query() -> None:
    """Users sort by displayName and userPrincipalName by default; other properties, or any sort
    together with $filter, need ``ConsistencyLevel: eventual`` and ``$count=true``
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    by_name = [OrderBy("displayName", False), OrderBy("userPrincipalName", True)]
    check_orderby(by_name, USER, has_filter=False, advanced=False, strict=True)
    check_orderby([], USER, has_filter=True, advanced=False, strict=True)
    created = [OrderBy("displayName", False), OrderBy("createdDateTime", False)]
    assert (
        error_of(
            lambda: check_orderby(created, USER, has_filter=False, advanced=False, strict=True)
        )
        == SORT_ADVANCED
    )
    assert (
        error_of(lambda: check_orderby(by_name, USER, has_filter=True, advanced=False, strict=True))
        == SORT_ADVANCED
    )
    for has_filter in (False, True):
        check_orderby(created, USER, has_filter=has_filter, advanced=True, strict=True)
        check_orderby(created, USER, has_filter=has_filter, advanced=False, strict=False)


RECORDS = [
    {"id": "1", "displayName": "bravo", "mail": "z@x"},
    {"id": "2", "displayName": None, "mail": "a@x"},
    {"id": "3", "displayName": "Alpha", "mail": "z@x"},
    {"id": "4", "displayName": "charlie", "mail": "a@x"},
    {"id": "5", "mail": "m@x"},
]


@pytest.mark.parametrize(
    ("order", "ids"),
    [
        ([OrderBy("displayName", False)], ["3", "1", "4", "2", "5"]),
        ([OrderBy("displayName", True)], ["2", "5", "4", "1", "3"]),
        ([OrderBy("mail", False), OrderBy("displayName", False)], ["4", "2", "5", "3", "1"]),
        ([OrderBy("mail", True), OrderBy("displayName", True)], ["1", "3", "5", "2", "4"]),
        ([], ["1", "2", "3", "4", "5"]),
    ],
)
def test_sort_is_case_insensitive_with_empty_values_last_ascending(
    order: list[OrderBy], ids: list[str]
) -> None:
    """Ascending puts records without the property after the others; descending before."""
    assert [r["id"] for r in sort_records(list(RECORDS), order)] == ids


# ---------------------------------------------------------------- $search

PEOPLE = [
    {"id": "1", "displayName": "Alex Johnson", "mail": "alex.j@contoso.com", "jobTitle": "Dev"},
    {"id": "2", "displayName": "JohnSmith", "mail": "john:s@contoso.com"},
    {"id": "3", "displayName": "Mary-Ann O'Neil 2nd", "mail": None},
    {"id": "4", "displayName": None, "mail": "abby@contoso.com"},
    {"id": "5", "displayName": 7, "mail": 7},
]


def found(text: str, records: list[dict[str, Any]] = PEOPLE) -> list[str]:
    pred = parse_search(text, USER)
    return [r["id"] for r in records if pred(r)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # displayName: every word of the term starts a token of the name (case changes, spaces,
        # symbols and digits split tokens)
        ('"displayName:john"', ["1", "2"]),
        ('"displayName:smith"', ["2"]),
        ('"displayName:JOHNSON"', ["1"]),
        ('"displayName:ohn"', []),
        ('"displayName:alex john"', ["1"]),
        ('"displayName:alex smith"', []),
        ('"displayName:ann"', ["3"]),
        ('"displayName:neil"', ["3"]),
        ('"displayName:2"', ["3"]),
        ('"displayName:nd"', ["3"]),
        ('"displayName:al"', ["1"]),
        # other string properties: startswith on the whole value
        ('"mail:alex"', ["1"]),
        ('"mail:ALEX.J@"', ["1"]),
        ('"mail:contoso"', []),
        ('"mail:john:s"', ["2"]),
        ('"jobTitle:d"', ["1"]),
        ('"mail:"', ["1", "2", "4"]),
        # AND / OR (upper case) and parentheses
        ('"displayName:john" AND "mail:alex"', ["1"]),
        ('"displayName:john" AND "mail:john"', ["2"]),
        ('"mail:zz" OR "displayName:ann"', ["3"]),
        ('"displayName:ann" OR "mail:zz"', ["3"]),
        ('"mail:abby"OR"displayName:smith"', ["2", "4"]),
        ('"mail:zz" OR "mail:yy" OR "mail:abby"', ["4"]),
        ('"mail:alex" AND "mail:a" AND "jobTitle:x"', []),
        ('"mail:a" OR "mail:j" AND "displayName:alex"', ["1", "4"]),
        ('("mail:a" OR "mail:j") AND "displayName:john"', ["1", "2"]),
        ('( "mail:john" )', ["2"]),
    ],
)
def test_search_matches_tokens_of_display_name_and_prefixes_elsewhere(
    text: str, ids: list[str]
) -> None:
    """https://learn.microsoft.com/en-us/graph/search-query-parameter: clauses in double quotes,
    AND/OR between them; displayName and description are tokenised (spaces, case changes,
    symbols, digits), other properties match from the start; case-insensitive."""
    assert found(text) == ids


def test_search_tokenises_group_descriptions() -> None:
    groups = [
        {"id": "g1", "description": "MiroUsers of Sales"},
        {"id": "g2", "description": "Everyone"},
        {"id": "g3", "description": None},
    ]
    pred = parse_search('"description:users"', GROUP)
    assert [g["id"] for g in groups if pred(g)] == ["g1"]
    starts = parse_search('"mailNickname:sal"', GROUP)
    assert starts({"mailNickname": "SalesTeam"}) and not starts({"mailNickname": "teamsales"})


def syntax(message: str) -> tuple[int, str, str]:
    return 400, "BadRequest", message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", syntax("Syntax error: empty $search.")),
        ("   ", syntax("Syntax error: empty $search.")),
        (
            "displayName:x",
            syntax("Syntax error: character 'd' is not valid at position 0 in 'displayName:x'."),
        ),
        ('"', syntax("Syntax error: character '\"' is not valid at position 0 in '\"'.")),
        (
            '"displayName:x',
            syntax("Syntax error: character '\"' is not valid at position 0 in '\"displayName:x'."),
        ),
        (
            'displayName:x"',
            syntax("Syntax error: character 'd' is not valid at position 0 in 'displayName:x\"'."),
        ),
        (
            '"mail:a" and "mail:b"',
            syntax('Syntax error in $search \'"mail:a" and "mail:b"\'.'),
        ),
        (
            '"mail:a" ANDx "mail:b"',
            syntax(
                "Syntax error: character 'x' is not valid at position 0 in '\"mail:a\" ANDx \"mail:b\"'."
            ),
        ),
        ('"mail:a" OR', syntax("Syntax error: unexpected end of $search '\"mail:a\" OR'.")),
        ("(", syntax("Syntax error: unexpected end of $search '('.")),
        ('("mail:a"', syntax("Syntax error: missing ')' in $search '(\"mail:a\"'.")),
        (
            '("mail:a" "mail:b")',
            syntax("Syntax error: missing ')' in $search '(\"mail:a\" \"mail:b\")'."),
        ),
        ('"mail:a")', syntax("Syntax error in $search '\"mail:a\")'.")),
        (
            '""',
            (
                400,
                UNSUPPORTED,
                'Invalid search expression: a property name is required, e.g. "displayName:value".',
            ),
        ),
        (
            '"john"',
            (
                400,
                UNSUPPORTED,
                'Invalid search expression: a property name is required, e.g. "displayName:value".',
            ),
        ),
        ('"shoeSize:4"', unknown("shoeSize")),
        ('"mail:a" OR "shoe:b:c"', unknown("shoe")),
    ],
)
def test_search_errors(text: str, expected: tuple[int, str, str]) -> None:
    assert error_of(lambda: parse_search(text, USER)) == expected


def test_search_nesting_is_capped_at_64_levels() -> None:
    ok = "(" * MAX_DEPTH + '"mail:alex"' + ")" * MAX_DEPTH
    assert found(ok) == ["1"]
    too_deep = "(" + ok + ")"
    assert error_of(lambda: parse_search(too_deep, USER)) == syntax(
        "Syntax error: $search is nested more than 64 levels deep."
    )
    side_by_side = " OR ".join(["(" * 40 + '"mail:alex"' + ")" * 40] * 3)
    assert found(side_by_side) == ["1"]
    # a group that closes gives back one level, not more: 2 + 63 levels is too deep
    after_a_group = "((" + '("mail:a") OR ' + "(" * 63 + '"mail:b"' + ")" * 63 + "))"
    assert error_of(lambda: parse_search(after_a_group, USER)) == syntax(
        "Syntax error: $search is nested more than 64 levels deep."
    )
    assert found("((" + '("mail:zz") OR ' + "(" * 62 + '"mail:abby"' + ")" * 62 + "))") == ["4"]


# ---------------------------------------------------------------- $top


@pytest.mark.parametrize(
    ("text", "top"), [(None, 100), ("1", 1), ("999", 999), ("42", 42), (" 7", 7)]
)
def test_top_takes_1_to_999(text: str | None, top: int) -> None:
    assert parse_top(text) == top


def test_top_default_is_the_callers() -> None:
    assert parse_top(None, default=25) == 25


@pytest.mark.parametrize("text", ["0", "1000", "-1", "abc", "", "1.5"])
def test_top_out_of_range_is_unsupported(text: str) -> None:
    """'Invalid page size specified: ... Must be between 1 and 999 inclusive.'
    (https://learn.microsoft.com/en-us/graph/api/user-list: at most 999 per page)."""
    assert error_of(lambda: parse_top(text)) == (
        400,
        UNSUPPORTED,
        f"Invalid page size specified: '{text}'. Must be between 1 and 999 inclusive.",
    )
