"""The expression language's syntax: parsing, errors with their position, canonical text."""

from __future__ import annotations

import contextlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.expressions import (
    EvaluationContext,
    ExpressionError,
    ExpressionEvaluationError,
    parse_expression,
)


def ev(text: str, source: dict | None = None, context: EvaluationContext | None = None):
    return parse_expression(text).evaluate(source or {}, context)


def test_attribute_lookup_is_case_insensitive():
    assert ev("[userPrincipalName]", {"UserPrincipalName": "a@contoso.com"}) == "a@contoso.com"
    assert ev("[USERPRINCIPALNAME]", {"userPrincipalName": "a@contoso.com"}) == "a@contoso.com"


def test_missing_attribute_is_null():
    assert ev("[department]", {"displayName": "x"}) is None


def test_string_escapes_backslash_and_quote():
    # The documented example: "Company name: \\"Contoso\\"" in the docs' markdown, i.e. the
    # expression text  "Company name: \"Contoso\""
    assert ev(r'"Company name: \"Contoso\""') == 'Company name: "Contoso"'
    assert ev(r'"a\\b"') == "a\\b"


def test_other_backslashes_are_kept_for_regular_expressions():
    assert ev(r'"\d+"') == r"\d+"


def test_numbers_and_hex_literals():
    assert ev('Join("", 1000, "x")') == "1000x"
    assert ev("BitAnd(&HF, &HF7)") == 7
    assert ev('DateAdd("d", -10, CDate("2012-03-16-07:00"))') == "3/6/2012 7:00:00 AM"


def test_nested_calls():
    text = 'ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"))'
    assert (
        ev(text, {"PreferredFirstName": "John", "PreferredLastName": "Smith"})
        == "john.smith@contoso.com"
    )


def test_function_names_are_matched_case_insensitively():
    # The docs themselves write switch(...) in lower case once.
    assert ev('switch([c], "External", "Company A", "A")', {"c": "Company A"}) == "A"


def test_parse_is_cached_per_text():
    assert parse_expression("[mail]") is parse_expression("[mail]")


def test_canonical_text_round_trips():
    text = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    expr = parse_expression(text)
    assert expr.canonical == text
    assert parse_expression(expr.canonical).root == expr.root


def test_expression_metadata():
    expr = parse_expression('Join(" ", [givenName], Redact([surname]))')
    assert expr.attributes == ("givenName", "surname")
    assert expr.functions == ("Join", "Redact")
    assert expr.redacted
    assert parse_expression("[mail]").is_attribute


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("[mail", 0, "not closed with ']'"),
        ("[]", 0, "empty"),
        ('"abc', 0, "not closed"),
        ('Append([a], "x"', 0, "not closed with ')'"),
        ("Frobnicate([a])", 0, "unknown function 'Frobnicate'"),
        ("mail", 0, "square brackets"),
        ('Append([a] "x")', 11, "expected ',' or ')'"),
        ("[a] [b]", 4, "after the end"),
        ("Append([a])", 0, "at least 2"),
        ("Guid(1)", 0, "at most 0"),
        ('Switch([a], "d", "k")', 0, "even"),
        ('Join(",", SelectUniqueValue([a], [b]))', 10, "top level"),
        ("Append([a], ", 0, "not closed"),
        ("Append([a], @)", 12, "unexpected '@'"),
        ("&Hz", 0, "hexadecimal"),
        ("SelectUniqueValue([a])", 0, "at least 2"),
    ],
)
def test_malformed_expressions_name_the_position(text, position, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.position == position
    assert fragment in info.value.message
    assert f"position {position}" in str(info.value)


def test_too_long_expression_is_refused():
    with pytest.raises(ExpressionError, match="longer than 10000"):
        parse_expression('"' + "a" * 10_000 + '"')


def test_non_string_expression_is_refused():
    with pytest.raises(ExpressionError):
        parse_expression(42)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "äß€", max_size=60))
def test_parser_raises_only_expression_error(text):
    try:
        expr = parse_expression(text)
    except ExpressionError:
        return
    # Whatever parses can be evaluated against an empty object without crashing.
    with contextlib.suppress(ExpressionEvaluationError):
        expr.evaluate({})


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["Append(", 'Join(",", ', "[a]", '"x"', ", ", ")", "Switch([a], ", 'IIF([a]="1", ']
        ),
        max_size=12,
    )
)
def test_parser_on_expression_like_noise(parts):
    text = "".join(parts)
    with contextlib.suppress(ExpressionError):
        parse_expression(text).evaluate({"a": "1"})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_string_constant_round_trips(value):
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    expr = parse_expression(f'Append({quoted}, "")')
    # Backslashes before characters other than \ and " are kept literally, so only test
    # strings where the escaping is unambiguous.
    assert expr.evaluate({}) == value


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


@settings(max_examples=200, deadline=None)
@given(_expr)
def test_canonical_form_is_stable(text):
    first = parse_expression(text)
    again = parse_expression(first.canonical)
    assert again.canonical == first.canonical
    source = {name: f"v-{name}" for name in first.attributes}
    assert again.evaluate(source) == first.evaluate(source)


def test_nesting_is_limited_with_a_clear_error():
    assert ev("Not(" * 64 + "[a]" + ")" * 64, {"a": True}) is True
    with pytest.raises(ExpressionError, match="nested more than 64 levels") as info:
        parse_expression("Not(" * 65 + "[a]" + ")" * 65)
    assert info.value.position == 64 * 4


def test_parse_errors_in_more_places():
    with pytest.raises(ExpressionError, match="invalid character"):
        parse_expression('["a"]')
    with pytest.raises(ExpressionError, match="value is missing"):
        parse_expression("[a] =")
