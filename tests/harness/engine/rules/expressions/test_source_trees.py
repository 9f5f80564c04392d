"""Graph's attributeMappingSource trees and the parseExpression answer."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.expressions import (
    EvaluationContext,
    ExpressionError,
    build_expression,
    parse_expression,
    parse_expression_result,
)


def test_build_expression_from_graph_tree():
    tree = {
        "expression": "Not([IsSoftDeleted])",
        "name": "Not",
        "parameters": [
            {
                "key": "source",
                "value": {
                    "expression": "[IsSoftDeleted]",
                    "name": "IsSoftDeleted",
                    "parameters": [],
                    "type": "Attribute",
                },
            }
        ],
        "type": "Function",
    }
    expr = build_expression(tree)
    assert expr.text == "Not([IsSoftDeleted])"
    assert expr.evaluate({"IsSoftDeleted": False}) is True


def test_build_expression_with_empty_argument_and_constants():
    const = lambda v: {"expression": f'"{v}"', "name": v, "parameters": [], "type": "Constant"}  # noqa: E731
    tree = {
        "name": "Switch",
        "type": "Function",
        "parameters": [
            {"key": "source", "value": {"name": "IsSoftDeleted", "type": "Attribute"}},
            {
                "key": "defaultValue",
                "value": {"expression": "", "name": "", "parameters": [], "type": "Constant"},
            },
            {"key": "key", "value": const("False")},
            {"key": "value", "value": const("True")},
            {"key": "key", "value": const("True")},
            {"key": "value", "value": const("False")},
        ],
    }
    expr = build_expression(tree)
    assert expr.text == 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    assert expr.evaluate({"IsSoftDeleted": True}) == "False"


@pytest.mark.parametrize(
    "tree",
    [
        {"type": "Function", "name": "Nope", "parameters": []},
        {"type": "Weird", "name": "x"},
        {"type": "Attribute", "name": ""},
        {"type": "Function", "name": "Append", "parameters": []},
        "not a tree",
    ],
)
def test_build_expression_rejects_bad_trees(tree):
    with pytest.raises(ExpressionError):
        build_expression(tree)


# A small generator of well-formed expressions, to check parse → canonical → parse is stable.
_leaf = st.one_of(
    st.from_regex(r"\[[A-Za-z][A-Za-z0-9]{0,8}\]", fullmatch=True),
    st.text(alphabet=string.ascii_letters + ' \\"@.', max_size=8).map(
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ),
    st.integers(min_value=-99, max_value=999).map(str),
)


_expr = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda a: f"Append({a[0]}, {a[1]})"),
        st.lists(inner, min_size=1, max_size=3).map(lambda a: 'Join(",", ' + ", ".join(a) + ")"),
        inner.map(lambda a: f"ToLower({a})"),
        st.tuples(inner, inner, inner).map(lambda a: f"IIF({a[0]} = {a[1]}, {a[2]}, {a[1]})"),
        st.tuples(inner, inner).map(lambda a: f"Switch({a[0]}, , {a[1]}, {a[0]})"),
        inner.map(lambda a: f"Coalesce({a}, )"),
    ),
    max_leaves=8,
)


def test_build_expression_parameters_must_be_a_list():
    with pytest.raises(ExpressionError, match="parameters must be a list"):
        build_expression({"type": "Function", "name": "Not", "parameters": 5})


def test_parse_expression_result_matches_the_graph_example():
    test_input = {
        "definition": None,
        "properties": [
            {"key": "objectId", "value": "66E4A8CC-1B7B-435E-95F8-F06CEA133828"},
            {"key": "IsSoftDeleted", "value": "false"},
            {"key": "accountEnabled", "value": "true"},
            {"key": "displayName", "value": "John Smith"},
            {"key": "preferredLanguage", "value": "EN-US"},
            {
                "key": "appRoleAssignments",
                "value@odata.type": "#Collection(String)",
                "value": ["Default Assignment"],
            },
        ],
    }
    result = parse_expression_result('Replace([preferredLanguage], "-", , , "_", ,  )', test_input)
    # The response of Microsoft's example (v1.0 synchronizationSchema: parseExpression).
    assert result == {
        "error": None,
        "evaluationSucceeded": True,
        "evaluationResult": ["EN_US"],
        "parsedExpression": {
            "expression": 'Replace([preferredLanguage], "-", , , "_", , )',
            "name": "Replace",
            "parameters": [
                {
                    "key": "source",
                    "value": {
                        "expression": "[preferredLanguage]",
                        "name": "preferredLanguage",
                        "parameters": [],
                        "type": "Attribute",
                    },
                },
                {
                    "key": "Find",
                    "value": {
                        "expression": '"-"',
                        "name": "-",
                        "parameters": [],
                        "type": "Constant",
                    },
                },
                {
                    "key": "Replacement",
                    "value": {
                        "expression": '"_"',
                        "name": "_",
                        "parameters": [],
                        "type": "Constant",
                    },
                },
            ],
            "type": "Function",
        },
        "parsingSucceeded": True,
    }


def test_parse_expression_result_errors_and_booleans():
    bad = parse_expression_result('Append([a], "x"')
    assert bad["parsingSucceeded"] is False and bad["parsedExpression"] is None
    assert bad["error"]["code"] == "InvalidExpression" and "position" in bad["error"]["message"]
    no_input = parse_expression_result("[mail]")
    assert no_input["parsingSucceeded"] and no_input["evaluationResult"] is None
    switch = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    assert parse_expression_result(
        switch, {"properties": [{"key": "IsSoftDeleted", "value": "false"}]}
    )["evaluationResult"] == ["True"]
    failed = parse_expression_result("CDate([d])", {"properties": [{"key": "d", "value": "soon"}]})
    assert failed["parsingSucceeded"] and not failed["evaluationSucceeded"]
    assert failed["error"]["code"] == "ExpressionEvaluationFailed"
    assert (
        parse_expression_result("[x]", {"properties": "nope"})["error"]["code"]
        == "ExpressionEvaluationFailed"
    )
    assert parse_expression_result("[x]", {"properties": []})["evaluationResult"] == []
    assert parse_expression_result(
        'Split([x], ",")', {"properties": [{"key": "x", "value": "a,b"}]}
    )["evaluationResult"] == ["a", "b"]


def test_graph_trees_without_empty_arguments_rebuild_by_key():
    tree = parse_expression('Replace([preferredLanguage], "-", , , "_", , )').to_source()
    rebuilt = build_expression(tree)
    assert rebuilt.evaluate({"preferredLanguage": "EN-US"}) == "EN_US"
    switch = parse_expression(
        'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    ).to_source()
    assert [p["key"] for p in switch["parameters"]] == ["source", "key", "value", "key", "value"]
    assert (
        build_expression(switch).text
        == 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    )


@settings(max_examples=200, deadline=None)
@given(_expr)
def test_tree_round_trip_keeps_the_meaning(text):
    first = parse_expression(text)
    rebuilt = build_expression(first.to_source())
    source = {name: f"v-{name}" for name in first.attributes}
    assert rebuilt.evaluate(source) == first.evaluate(source)


def test_unknown_tree_keys_fall_back_to_tree_order():
    tree = {
        "type": "Function",
        "name": "Append",
        "parameters": [
            {"key": "first", "value": {"type": "Constant", "name": "a"}},
            {"key": "second", "value": {"type": "Constant", "name": "b"}},
        ],
    }
    assert build_expression(tree).evaluate({}) == "ab"


def _graph_error(code: str, message: str) -> dict:
    # Graph's publicError shape (https://learn.microsoft.com/en-us/graph/api/resources/publicerror).
    return {
        "code": code,
        "message": message,
        "details": [],
        "innerError": None,
        "target": "expression",
    }


@pytest.mark.parametrize(
    ("test_input", "message"),
    [
        ("not an object", "testInputObject must be an object with 'properties' (at position 0)"),
        (
            {"properties": "nope"},
            "testInputObject.properties must be a list of {key, value} (at position 0)",
        ),
        (
            {"properties": b"nope"},
            "testInputObject.properties must be a list of {key, value} (at position 0)",
        ),
        (
            {"properties": [{"value": "x"}]},
            "each testInputObject property needs a key (at position 0)",
        ),
        ({"properties": ["x"]}, "each testInputObject property needs a key (at position 0)"),
        (
            {"properties": [{"key": "d", "value": "soon"}]},
            "not a recognised date/time: 'soon' (at position 0)",
        ),
    ],
)
def test_parse_expression_result_reports_bad_input_in_graph_error_shape(test_input, message):
    # The message is what the expression builder (and `harness` output) shows the user.
    result = parse_expression_result("CDate([d])", test_input)
    assert result == {
        "error": _graph_error("ExpressionEvaluationFailed", message),
        "evaluationSucceeded": False,
        "evaluationResult": None,
        "parsedExpression": parse_expression("CDate([d])").to_source(),
        "parsingSucceeded": True,
    }


def test_parse_expression_result_reports_a_parse_error_in_graph_error_shape():
    assert parse_expression_result('Append([a], "x"') == {
        "error": _graph_error(
            "InvalidExpression", "Append( is not closed with ')' (at position 0)"
        ),
        "evaluationSucceeded": False,
        "evaluationResult": None,
        "parsedExpression": None,
        "parsingSucceeded": False,
    }


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # The Graph example sends the boolean attributes as "true"/"false" strings; the
        # engine reads them as booleans, which CStr writes as .NET does ("True").
        ("IsSoftDeleted", "true", ["True"]),
        ("isSoftDeleted", " TRUE ", ["True"]),
        ("accountEnabled", "false", ["False"]),
        ("accountEnabled", "maybe", ["maybe"]),
        ("accountEnabled", True, ["True"]),
        ("displayName", "true", ["true"]),
        ("displayName", "false", ["false"]),
    ],
)
def test_parse_expression_result_reads_boolean_attributes(key, value, expected):
    result = parse_expression_result(
        f"CStr([{key}])", {"properties": [{"key": key, "value": value}]}
    )
    assert result["error"] is None and result["evaluationSucceeded"] is True
    assert result["evaluationResult"] == expected


def test_parse_expression_result_evaluates_with_the_given_context():
    clock = EvaluationContext(now=lambda: datetime(2021, 7, 2, 15, 33, 38, tzinfo=UTC))
    result = parse_expression_result("Now()", {"properties": []}, context=clock)
    assert result["evaluationResult"] == ["7/2/2021 3:33:38 PM"]


@pytest.mark.parametrize(
    ("expression", "properties", "expected"),
    [
        ("IgnoreFlowIfNullOrEmpty([x])", [], []),
        ("[x]", [{"key": "x", "value": None}], []),
        ('Split([x], ",")', [{"key": "x", "value": "a,b"}], ["a", "b"]),
        ("[x]", [{"key": "x", "value": ["a", None, "b"]}], ["a", "b"]),
        ("Count([x])", [{"key": "x", "value": ["a", "b"]}], ["2"]),
    ],
)
def test_parse_expression_result_values_are_strings(expression, properties, expected):
    result = parse_expression_result(expression, {"properties": properties})
    assert result["evaluationSucceeded"] is True
    assert result["evaluationResult"] == expected
