"""Property-based: the $filter parser turns any text into a predicate or a GraphError, and a
predicate never raises on stored records, strict or lenient."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_graph.exceptions import GraphError
from mock_graph.odata import check_usages, parse_filter, parse_search
from mock_graph.schemas import GROUP, USER
from tests.support.examples import examples

WORDS = [
    "displayName",
    "userPrincipalName",
    "accountEnabled",
    "businessPhones",
    "groupTypes",
    "mail",
    "createdDateTime",
    "passwordProfile",
    "employeeOrgData/division",
    "onPremisesExtensionAttributes",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "in",
    "and",
    "or",
    "not",
    "(",
    ")",
    ",",
    ":",
    "/",
    "startsWith(",
    "endswith(",
    "contains(",
    "any(",
    "all(",
    "x:x",
    "x",
    "null",
    "true",
    "false",
    "'a'",
    "'O''Brien'",
    "'",
    "42",
    "-1.5",
    "00000000-0000-0000-0000-000000000000",
    "2026-01-01T00:00:00Z",
    "$count",
    "('a','b')",
    "(null,'x')",
]
RECORDS: list[dict[str, Any]] = [
    {
        "id": "1",
        "displayName": "Ada",
        "accountEnabled": True,
        "businessPhones": ["+1 555"],
        "createdDateTime": "2026-01-05T09:00:00Z",
        "mail": None,
    },
    {
        "id": "2",
        "displayName": None,
        "accountEnabled": None,
        "businessPhones": [],
        "groupTypes": ["Unified"],
        "employeeOrgData": {"division": "X"},
    },
    {
        "id": "3",
        "displayName": 5,
        "passwordProfile": {"password": "x"},
        "createdDateTime": "garbage",
    },
]


@settings(max_examples=examples(200), deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=40), st.lists(st.sampled_from(WORDS), min_size=1, max_size=9).map(" ".join)
    ),
    strict=st.booleans(),
)
def test_filter_parser_total(text: str, strict: bool) -> None:
    for etype in (USER, GROUP):
        try:
            plan = parse_filter(text, etype)
            check_usages(plan, etype, advanced=not strict, strict=strict)
        except GraphError as err:
            assert 400 <= err.status < 500
            continue
        for record in RECORDS:
            assert plan.predicate(record) in (True, False)


@settings(max_examples=examples(100), deadline=None)
@given(text=st.text(max_size=40))
def test_search_parser_total(text: str) -> None:
    try:
        pred = parse_search(text, USER)
    except GraphError as err:
        assert err.status == 400
        return
    for record in RECORDS:
        assert pred(record) in (True, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("displayName eq 'ada'", [True, False, False]),
        ("displayName eq null", [False, True, False]),
        ("not(displayName eq 'Ada')", [False, True, True]),
        ("businessPhones/any(p:startswith(p,'+1'))", [True, False, False]),
        ("accountEnabled eq true or displayName eq null", [True, True, False]),
        ("createdDateTime ge 2026-01-01T00:00:00Z", [True, False, False]),
        ("id in ('1','3')", [True, False, True]),
    ],
)
def test_filter_semantics(text: str, expected: list[bool]) -> None:
    plan = parse_filter(text, USER)
    assert [plan.predicate(r) for r in RECORDS] == expected
