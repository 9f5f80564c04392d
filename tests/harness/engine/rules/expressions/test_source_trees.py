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
from tests.support.examples import examples


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


@settings(max_examples=examples(200), deadline=None)
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


def _attr(name: str) -> dict:
    return {"type": "Attribute", "name": name}


def _const(value: str) -> dict:
    return {"type": "Constant", "name": value, "expression": f'"{value}"'}


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ("not a tree", "source must be an object with 'type' and 'name'"),
        ({"type": "Attribute", "name": ""}, "source: an Attribute source needs a name"),
        ({"type": "Function", "name": "Nope"}, "source: unknown function 'Nope'"),
        (
            {"type": "Function", "name": "Not", "parameters": "x"},
            "source: parameters must be a list",
        ),
        (
            {"type": "Weird", "name": "x"},
            "source: unknown source type 'Weird' (use Attribute, Constant or Function)",
        ),
        (
            {"type": "Function", "name": "Not", "parameters": [{"key": "source", "value": 5}]},
            "source.Not[0] must be an object with 'type' and 'name'",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "suffix", "value": {"type": "Bogus"}},
                ],
            },
            "source.Append[1]: unknown source type 'Bogus' (use Attribute, Constant or Function)",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [{"key": "source", "value": _attr("a")}],
            },
            "Append: the required parameter 'suffix' is missing",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [{"key": "suffix", "value": _attr("a")}],
            },
            "Append: the required parameter 'source' is missing",
        ),
        (
            {"type": "Function", "name": "Guid", "parameters": [{"key": "x", "value": _attr("a")}]},
            "Guid takes at most 0 argument(s), got 1",
        ),
        (
            {
                "type": "Function",
                "name": "Not",
                "parameters": [
                    {
                        "key": "source",
                        "value": {
                            "type": "Function",
                            "name": "SelectUniqueValue",
                            "parameters": [
                                {"key": "uniqueValueRule", "value": _attr("a")},
                                {"key": "uniqueValueRule", "value": _attr("b")},
                            ],
                        },
                    }
                ],
            },
            "SelectUniqueValue must be at the top level, not nested",
        ),
    ],
)
def test_bad_graph_trees_say_what_and_where(tree, message):
    with pytest.raises(ExpressionError) as info:
        build_expression(tree)
    assert str(info.value) == f"{message} (at position 0)"


@pytest.mark.parametrize(
    ("tree", "text"),
    [
        # Keys place the arguments, whatever their order and case.
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "SUFFIX", "value": _const("x")},
                    {"key": "Source", "value": _attr("a")},
                ],
            },
            'Append([a], "x")',
        ),
        # Graph's own keys for Replace (the parseExpression example): Find and Replacement.
        (
            {
                "type": "Function",
                "name": "Replace",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "replacement", "value": _const("_")},
                    {"key": "FIND", "value": _const("-")},
                ],
            },
            'Replace([a], "-", , , "_")',
        ),
        # Trailing omitted optional arguments are dropped; inner ones stay empty.
        (
            {
                "type": "Function",
                "name": "Replace",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "template", "value": _const("t")},
                    {"key": "oldValue", "value": _const("o")},
                ],
            },
            'Replace([a], "o", , , , , "t")',
        ),
        (
            {
                "type": "Function",
                "name": "PCase",
                "parameters": [{"key": "source", "value": _attr("a")}],
            },
            "PCase([a])",
        ),
        # Repeated parameters keep their order.
        (
            {
                "type": "Function",
                "name": "Join",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "separator", "value": _const(",")},
                    {"key": "source", "value": _attr("b")},
                ],
            },
            'Join(",", [a], [b])',
        ),
        # Switch without a default value: an empty default.
        (
            {
                "type": "Function",
                "name": "Switch",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "key", "value": _const("k")},
                    {"key": "value", "value": _const("v")},
                    {"key": "key", "value": _const("k2")},
                    {"key": "value", "value": _const("v2")},
                ],
            },
            'Switch([a], , "k", "v", "k2", "v2")',
        ),
        (
            {
                "type": "Function",
                "name": "Switch",
                "parameters": [
                    {"key": "defaultValue", "value": _const("d")},
                    {"key": "source", "value": _attr("a")},
                    {"key": "key", "value": _const("k")},
                    {"key": "value", "value": _const("v")},
                ],
            },
            'Switch([a], "d", "k", "v")',
        ),
        # Two sources or two defaults: the keys cannot place them, the tree order is kept.
        (
            {
                "type": "Function",
                "name": "Switch",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "source", "value": _attr("b")},
                ],
            },
            "Switch([a], [b])",
        ),
        (
            {
                "type": "Function",
                "name": "Switch",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "defaultValue", "value": _const("d")},
                    {"key": "defaultValue", "value": _const("e")},
                    {"key": "key", "value": _const("k")},
                ],
            },
            'Switch([a], "d", "e", "k")',
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "source", "value": _attr("b")},
                ],
            },
            "Append([a], [b])",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [{"value": _attr("a")}, {"value": _attr("b")}],
            },
            "Append([a], [b])",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": ["junk", {"key": "suffix", "value": _attr("b")}],
            },
            "Append(, [b])",
        ),
        # Constants: numbers written without quotes stay numbers, an empty expression and
        # name is an omitted argument, a comparison travels as its text.
        (
            {
                "type": "Function",
                "name": "Left",
                "parameters": [
                    {"key": "string", "value": _attr("a")},
                    {
                        "key": "numChars",
                        "value": {"type": "Constant", "name": "3", "expression": "3"},
                    },
                ],
            },
            "Left([a], 3)",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {
                        "key": "suffix",
                        "value": {"type": "Constant", "name": "1.5", "expression": "1.5"},
                    },
                ],
            },
            "Append([a], 1.5)",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {
                        "key": "suffix",
                        "value": {"type": "Constant", "name": "3", "expression": '"3"'},
                    },
                ],
            },
            'Append([a], "3")',
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "suffix", "value": {"type": "Constant", "name": "x"}},
                ],
            },
            'Append([a], "x")',
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {
                        "key": "suffix",
                        "value": {"type": "constant", "expression": "", "name": None},
                    },
                ],
            },
            "Append([a], )",
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {
                        "key": "suffix",
                        "value": {"type": "Constant", "expression": '""', "name": ""},
                    },
                ],
            },
            'Append([a], "")',
        ),
        (
            {
                "type": "Function",
                "name": "IIF",
                "parameters": [
                    {
                        "key": "condition",
                        "value": {"type": "Constant", "name": "=", "expression": '[a] = "x"'},
                    },
                    {"key": "valueIfTrue", "value": _const("t")},
                    {"key": "valueIfFalse", "value": _const("f")},
                ],
            },
            'IIF([a] = "x", "t", "f")',
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {
                        "key": "suffix",
                        "value": {"type": "Constant", "name": "n", "expression": "Not(("},
                    },
                ],
            },
            'Append([a], "n")',
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {
                        "key": "suffix",
                        "value": {"type": "Constant", "name": "n", "expression": '"y"'},
                    },
                ],
            },
            'Append([a], "n")',
        ),
        (
            {
                "type": "Function",
                "name": "Append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "suffix", "value": {"type": "ATTRIBUTE", "name": "b"}},
                ],
            },
            "Append([a], [b])",
        ),
        (
            {
                "type": "Function",
                "name": "append",
                "parameters": [
                    {"key": "source", "value": _attr("a")},
                    {"key": "suffix", "value": None},
                ],
            },
            "Append([a], )",
        ),
    ],
)
def test_graph_trees_become_expressions(tree, text):
    assert build_expression(tree).text == text


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ('Append([a], "x")', ["source", "suffix"]),
        ('Coalesce([a], [b], "d")', ["source", "source", "source"]),
        ('Join(",", [a], [b])', ["separator", "source", "source"]),
        ('Replace([a], "-", , , "_", , )', ["source", "Find", "Replacement"]),
        (
            'Replace([a], , "x", "g", , [b], )',
            ["source", "regexPattern", "regexGroupName", "replacementAttributeName"],
        ),
        (
            'Switch([a], "d", "k", "v", "k2", "v2")',
            ["source", "defaultValue", "key", "value", "key", "value"],
        ),
        ("SelectUniqueValue([a], [b])", ["uniqueValueRule", "uniqueValueRule"]),
        ('FormatDateTime([a], , "x", "y")', ["source", "inputFormat", "outputFormat"]),
    ],
)
def test_graph_tree_parameter_keys(text, keys):
    tree = parse_expression(text).to_source()
    assert [p["key"] for p in tree["parameters"]] == keys
    assert tree["type"] == "Function" and tree["expression"] == parse_expression(text).canonical


def test_graph_tree_of_leaves_and_comparisons():
    assert parse_expression("[mail]").to_source() == {
        "expression": "[mail]",
        "name": "mail",
        "parameters": [],
        "type": "Attribute",
    }
    assert parse_expression("7").to_source() == {
        "expression": "7",
        "name": "7",
        "parameters": [],
        "type": "Constant",
    }
    assert parse_expression('"a\\"b"').to_source() == {
        "expression": '"a\\"b"',
        "name": 'a"b',
        "parameters": [],
        "type": "Constant",
    }
    condition = parse_expression('IIF([a] <> "x", "t", "f")').to_source()["parameters"][0]
    assert condition == {
        "key": "condition",
        "value": {"expression": '[a] <> "x"', "name": "<>", "parameters": [], "type": "Constant"},
    }
    rebuilt = build_expression(parse_expression('IIF([a] <> "x", "t", "f")').to_source())
    assert rebuilt.evaluate({"a": "y"}) == "t"


def test_a_graph_tree_may_have_select_unique_value_at_the_top():
    tree = {
        "type": "Function",
        "name": "SelectUniqueValue",
        "parameters": [
            {"key": "uniqueValueRule", "value": _attr("a")},
            {"key": "uniqueValueRule", "value": _attr("b")},
        ],
    }
    assert build_expression(tree).evaluate({"b": "x"}) == "x"


@pytest.mark.parametrize(
    ("tree", "text", "value"),
    [
        # A Constant's value is its name ("a constant value to be used",
        # https://learn.microsoft.com/en-us/graph/api/resources/attributemappingsource); one
        # without a name is the empty string its expression '""' shows, not the text "None".
        ({"type": "Constant", "expression": '""'}, '""', ""),
        ({"type": "Constant", "name": None, "expression": '""'}, '""', ""),
        # An unquoted whole number stays the exact number the text form gives: 2**53 + 1 has no
        # float of its own.
        (
            {"type": "Constant", "name": "9007199254740993", "expression": "9007199254740993"},
            "9007199254740993",
            9007199254740993,
        ),
        ({"type": "Constant", "name": "-7", "expression": "-7"}, "-7", -7),
        ({"type": "Constant", "name": "1.5", "expression": "1.5"}, "1.5", 1.5),
    ],
)
def test_graph_tree_constants_keep_their_value(tree, text, value):
    expression = build_expression(tree)
    assert expression.text == text
    assert expression.evaluate({}) == value == parse_expression(text).evaluate({})
    assert type(expression.evaluate({})) is type(value)
