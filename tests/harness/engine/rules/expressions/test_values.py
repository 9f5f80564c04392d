"""What evaluation takes and gives for odd values: the source view, IGNORE_FLOW, conversions,
values of shapes no function expects."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.expressions import (
    IGNORE_FLOW,
    AppRoleValue,
    EvaluationContext,
    ExpressionError,
    ExpressionEvaluationError,
    SourceView,
    as_source_view,
    parse_expression,
)
from tests.support.examples import examples

REFERENCE_FUNCTIONS = [
    "Append",
    "AppRoleAssignmentsComplex",
    "BitAnd",
    "CBool",
    "CDate",
    "Coalesce",
    "ConvertToBase64",
    "ConvertToUTF8Hex",
    "Count",
    "CStr",
    "DateAdd",
    "DateDiff",
    "DateFromNum",
    "FormatDateTime",
    "Guid",
    "IgnoreFlowIfNullOrEmpty",
    "IIF",
    "InStr",
    "IsNull",
    "IsNullOrEmpty",
    "IsPresent",
    "IsString",
    "Item",
    "Join",
    "Left",
    "Mid",
    "NormalizeDiacritics",
    "Not",
    "Now",
    "NumFromDate",
    "PCase",
    "RandomString",
    "Redact",
    "RemoveDuplicates",
    "Replace",
    "SelectUniqueValue",
    "SingleAppRoleAssignment",
    "Split",
    "StripSpaces",
    "Switch",
    "ToLower",
    "ToUpper",
    "Word",
]


def ev(text: str, source: dict | None = None, context: EvaluationContext | None = None):
    return parse_expression(text).evaluate(source or {}, context)


def test_source_view_builds_its_index_once():
    data = {"Mail": "a@b.c", "displayName": "A"}
    view = SourceView(data)
    assert view["mail"] == "a@b.c"
    assert view["DISPLAYNAME"] == "A"
    assert len(view) == 2
    with pytest.raises(KeyError):
        view["nope"]


def test_conversions_of_odd_values():
    assert ev("CBool(2.5)") is True
    assert ev('CBool("0")') is False
    assert ev("CBool([missing])") is False
    assert ev('BitAnd("&H0F", "3")') == 3
    assert ev("BitAnd([missing], 1)") is None
    assert ev("CStr([m])", {"m": {"value": "42", "displayName": "Boss"}}) == "42"
    assert ev("CStr([l])", {"l": ["first", "second"]}) == "first"
    assert ev("Append([n], 1.0)", {"n": 2}) == "21"
    assert ev("Count([one])", {"one": "x"}) == 1
    assert ev("Item([one], 1)", {"one": "x"}) == "x"
    assert ev("Item([missing], 1)") is None
    assert ev("RemoveDuplicates([one])", {"one": "x"}) == "x"
    assert ev("RemoveDuplicates([missing])") is None
    assert ev("Coalesce([l], [m])", {"l": [None], "m": "y"}) == "y"
    assert ev("Coalesce([l])", {"l": [None, "z"]}) == "z"
    assert ev("ToLower([l])", {"l": ["A", 1]}) == ["a", 1]
    assert ev("ToUpper([l])", {"l": ["a"]}) == ["A"]
    assert ev('Split([missing], ",")') is None
    assert ev('Split("a,b", "")') == ["a,b"]
    assert ev('Word("a b", 1, "")') == "a b"
    assert ev("StripSpaces([missing])") is None
    assert ev("NormalizeDiacritics([missing])") is None
    assert ev("PCase([missing])") is None
    assert ev("Mid([missing], 1, 2)") is None
    assert ev("ConvertToBase64([missing])") is None
    assert ev("ConvertToUTF8Hex([missing])") is None
    assert ev("DateFromNum([missing])") is None
    assert ev("NumFromDate([missing])") is None
    assert ev('InStr([missing], "a")') is None
    assert ev("Not(1)") is False
    with pytest.raises(ExpressionEvaluationError, match="must not be negative"):
        ev('Mid("abc", 1, -1)')
    with pytest.raises(ExpressionEvaluationError, match="1 or more"):
        ev('InStr("abc", "a", 0)')
    with pytest.raises(ExpressionEvaluationError, match="compareType"):
        ev('InStr("abc", "a", 1, "vbWhatever")')
    assert ev('InStr("ABC", "b", 1, 1)') == 2


def test_ignore_flow_repr_and_truthiness():
    assert repr(IGNORE_FLOW) == "IGNORE_FLOW"
    assert not IGNORE_FLOW
    assert list(SourceView({"a": 1})) == ["a"]


def test_out_of_range_and_odd_shapes_are_evaluation_errors():
    with pytest.raises(ExpressionEvaluationError, match="out of the date range"):
        ev("DateFromNum([n])", {"n": 10**25})
    assert ev("SingleAppRoleAssignment([r])", {"r": 5}) is None
    assert ev("AppRoleAssignmentsComplex([r])", {"r": True}) is None
    assert ev("SingleAppRoleAssignment([r])", {"r": {"appRoleId": "1", "value": "A"}}) == "A"


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["True", "12", "2024-01-01", "&HFF", "-3", "3/7/2024 1:00:00 PM"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["value", "id", "displayName", "appRoleValue"]), inner, max_size=3
        )
    ),
    max_leaves=6,
)


@settings(max_examples=examples(400), deadline=None)
@given(
    st.sampled_from(REFERENCE_FUNCTIONS),
    st.integers(min_value=1, max_value=7),
    st.lists(_json_values, min_size=7, max_size=7),
)
def test_functions_never_crash_on_odd_attribute_values(name, count, values):
    if name in ("Guid", "Now"):
        count = 0
    try:
        expr = parse_expression(f"{name}(" + ", ".join(f"[a{i}]" for i in range(count)) + ")")
    except ExpressionError:
        return  # wrong number of arguments for this function
    with contextlib.suppress(ExpressionEvaluationError):
        expr.evaluate({f"a{i}": v for i, v in enumerate(values)})


def test_source_view_prefers_the_exact_key():
    view = SourceView({"mail": 1, "MAIL": 2, 7: "seven"})
    assert (view["mail"], view["MAIL"], view["Mail"]) == (1, 2, 2)
    assert view["7"] == "seven"
    with pytest.raises(KeyError) as info:
        view["missing"]
    assert info.value.args == ("missing",)
    assert list(view) == ["mail", "MAIL", 7] and len(view) == 3
    assert as_source_view(view) is view
    assert as_source_view({"a": 1})["A"] == 1


def test_evaluation_context_defaults():
    context = EvaluationContext()
    before = datetime.now(UTC)
    now = context.now()
    assert now.tzinfo is not None and before <= now <= datetime.now(UTC)
    assert context.is_unique("anything") is True
    assert isinstance(context.rng, random.Random)
    assert EvaluationContext().rng is not context.rng
    role = AppRoleValue("Admin")
    assert (role, role.role_id, role.display_name) == ("Admin", None, None)


def test_expression_properties():
    expr = parse_expression(
        'IIF([a] = [b], Redact(Join(",", [c], [A])), Coalesce(Redact([d]), [c]))'
    )
    assert expr.attributes == ("a", "b", "c", "A", "d")
    assert expr.functions == ("IIF", "Redact", "Join", "Coalesce")
    assert expr.redacted is True
    assert expr.redacted_attributes == ("c", "A", "d")
    assert expr.is_attribute is False
    plain = parse_expression("Append([a], [b])")
    assert plain.redacted is False and plain.redacted_attributes == ()
    assert plain.canonical == "Append([a], [b])"


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("[d]", {"d": datetime(2024, 3, 7, 20, 5, 9, tzinfo=UTC)}, "3/7/2024 8:05:09 PM"),
        ("[d]", {"d": datetime(2024, 3, 7, 0, 0, 0, tzinfo=UTC)}, "3/7/2024 12:00:00 AM"),
        ("[d]", {"d": datetime(2024, 3, 7, 12, 0, 0, tzinfo=UTC)}, "3/7/2024 12:00:00 PM"),
        ("[n]", {"n": 2.0}, 2.0),
        ("Coalesce([n])", {"n": 2.0}, 2),
        ("Coalesce([n])", {"n": 2.5}, 2.5),
        (
            "Coalesce([d])",
            {"d": datetime(2024, 3, 7, 11, 59, 59, tzinfo=UTC)},
            "3/7/2024 11:59:59 AM",
        ),
        ("CStr([f])", {"f": 3.0}, "3"),
        ("CStr([f])", {"f": 3.25}, "3.25"),
        ("CStr([b])", {"b": False}, "False"),
    ],
)
def test_results_are_written_as_dotnet_writes_them(text, source, expected):
    value = ev(text, source)
    assert value == expected and type(value) is type(expected)


def test_a_value_of_an_unexpected_shape_is_an_evaluation_error():
    expr = parse_expression('DateAdd("d", [n], "2024-01-01")')
    with pytest.raises(ExpressionEvaluationError) as info:
        expr.evaluate({"n": 10**12})
    assert str(info.value).startswith(
        'cannot evaluate \'DateAdd("d", [n], "2024-01-01")\' for this object: '
    )
    assert str(info.value).endswith("(at position 0)")
    # An IgnoreFlowIfNullOrEmpty inside drops the flow, evaluated with a given context too.
    assert ev("IgnoreFlowIfNullOrEmpty([l])", {"l": []}) is IGNORE_FLOW
    assert ev("IgnoreFlowIfNullOrEmpty([l])", {"l": ["x"]}) == ["x"]
    assert ev("IgnoreFlowIfNullOrEmpty([z])", {"z": 0}) == 0
