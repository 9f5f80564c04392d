"""Graph's attributeMappingSource trees and the parseExpression answer."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.expressions import (
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
