"""The expression language's syntax: parsing, errors with their position, canonical text."""

from __future__ import annotations

import contextlib
import inspect
import string
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.engine.rules.expressions import (
    EvaluationContext,
    ExpressionError,
    ExpressionEvaluationError,
    parse_expression,
)
from tests.support.examples import examples


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
    # Only the backslash and the quotation mark are escaped (docs/rules.md, "Expressions"):
    # a backslash before any other character, a letter included, stays in the string.
    assert ev(r'"\X"') == r"\X"
    assert ev(r'"a\Xb\\c\"d"') == r'a\Xb\c"d'


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


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=string.printable + "äß€", max_size=60))
def test_parser_raises_only_expression_error(text):
    try:
        expr = parse_expression(text)
    except ExpressionError:
        return
    # Whatever parses can be evaluated against an empty object without crashing.
    with contextlib.suppress(ExpressionEvaluationError):
        expr.evaluate({})


@settings(max_examples=examples(200), deadline=None)
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


@settings(max_examples=examples(200), deadline=None)
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


@settings(max_examples=examples(200), deadline=None)
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


# The parse errors as `harness run`, `harness validate` and parseExpression show them: the
# message and the 0-based position of the problem.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the expression is empty (at position 0)"),
        (" \t", "the expression is empty (at position 0)"),
        ("[a] [b]", "unexpected '[' after the end of the expression (at position 4)"),
        ('[a] "x"', "unexpected '\"' after the end of the expression (at position 4)"),
        ("[a] =", "unexpected end of the expression: a value is missing (at position 5)"),
        ("Not(&H)", "a hexadecimal number needs digits after &H (at position 4)"),
        (
            "Not(mail)",
            "'mail' is not a function call, attribute or constant: attributes go in square "
            'brackets ([mail]) and strings in double quotes ("mail") (at position 4)',
        ),
        (
            "Not(@)",
            "unexpected '@': expected a function, [attribute], \"string\" or number (at position 4)",
        ),
        (
            "Not(é)",
            "unexpected 'é': expected a function, [attribute], \"string\" or number (at position 4)",
        ),
        ("Not([mail)", "the attribute name is not closed with ']' (at position 4)"),
        ("Not([ ])", "an attribute name is empty: '[]' (at position 4)"),
        ("Not([a[b])", "invalid character in attribute name 'a[b' (at position 4)"),
        ('Not(["a"])', "invalid character in attribute name '\"a\"' (at position 4)"),
        ('Not("abc)', "the string constant is not closed with '\"' (at position 4)"),
        ("Not(Frob([a]))", "unknown function 'Frob' (at position 4)"),
        ("Not([a]", "Not( is not closed with ')' (at position 0)"),
        ("Not([a],", "Not( is not closed with ')' (at position 0)"),
        ("Not(", "Not( is not closed with ')' (at position 0)"),
        ("Not([a] [b])", "expected ',' or ')' in the arguments of Not, found '[' (at position 8)"),
        ("Append([a])", "Append needs at least 2 argument(s), got 1 (at position 0)"),
        ("Not([a], [b])", "Not takes at most 1 argument(s), got 2 (at position 0)"),
        ("Not()", "Not needs at least 1 argument(s), got 0 (at position 0)"),
        ('Join(",", Guid(1))', "Guid takes at most 0 argument(s), got 1 (at position 10)"),
        (
            'Join(",", SelectUniqueValue([a], [b]))',
            "SelectUniqueValue must be at the top level, not nested (at position 10)",
        ),
        (
            'IIF(SelectUniqueValue([a], [b]) = "x", "y", "z")',
            "SelectUniqueValue must be at the top level, not nested (at position 4)",
        ),
        (
            'IIF("x" = SelectUniqueValue([a], [b]), "y", "z")',
            "SelectUniqueValue must be at the top level, not nested (at position 10)",
        ),
        (
            'Not(Switch([a], "d", "k"))',
            "Switch takes a source, a default value and key/value pairs: the count of arguments "
            "must be even (at position 4)",
        ),
    ],
)
def test_parse_errors_say_what_and_where(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert str(info.value) == message
    assert not isinstance(info.value, ExpressionEvaluationError)


def test_length_and_type_errors_say_what_and_where():
    with pytest.raises(ExpressionError) as info:
        parse_expression('"' + "a" * 9_999 + '"')
    assert str(info.value) == "the expression is longer than 10000 characters (at position 10000)"
    # Exactly 10,000 characters is allowed (Microsoft's known-issues page: "10,000 characters").
    assert parse_expression('"' + "a" * 9_998 + '"').evaluate({}) == "a" * 9_998
    with pytest.raises(ExpressionError) as info:
        parse_expression(42)  # type: ignore[arg-type]
    assert str(info.value) == "an expression must be a string, not int (at position 0)"


def test_nesting_limit_is_exactly_64_calls():
    assert ev("Not(" * 63 + "Not([a])" + ")" * 63, {"a": True}) is True
    with pytest.raises(ExpressionError) as info:
        parse_expression("Join(" * 65 + '"a"' + ")" * 65)
    assert str(info.value) == "functions are nested more than 64 levels deep (at position 320)"
    # Depth counts open calls only: a call closed before the next one opens frees its level, one
    # level each, whatever the depth.
    side_by_side = "Not(" * 62 + 'Join(",", Not([a]), Not({}))' + ")" * 62
    assert parse_expression(side_by_side.format("[a]")).functions == ("Not", "Join")
    too_deep = side_by_side.format("Not([a])")
    with pytest.raises(ExpressionError) as info:
        parse_expression(too_deep)
    # The 65th open call, the innermost Not, is the one refused.
    position = too_deep.index("Not([a])))")
    assert str(info.value) == (
        f"functions are nested more than 64 levels deep (at position {position})"
    )
    # Depth counts open calls only: many calls side by side are not nested.
    flat = 'Join(",", ' + ", ".join(['Not("x")'] * 100) + ")"
    assert ev(flat) == ",".join(["True"] * 100)


def test_a_parse_that_runs_out_of_stack_is_an_expression_error():
    # docs/rules.md, "Expressions": parsing entered with little of Python's stack left fails with
    # the parser's own error, not a RecursionError. A parse 64 calls deep needs some 200 frames.
    text = "Not(" * 63 + "Not([stack])" + ")" * 63
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 50)
    try:
        with pytest.raises(ExpressionError) as info:
            parse_expression(text)
    finally:
        sys.setrecursionlimit(limit)
    assert str(info.value) == "the expression is nested too deeply (at position 0)"
    assert ev(text, {"stack": True}) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('IIF([n] = 10, "eq", "ne")', "eq"),
        ('IIF([n] <> 10, "ne", "eq")', "eq"),
        ('IIF([n] > 10, "gt", "le")', "le"),
        ('IIF([n] >= 10, "ge", "lt")', "ge"),
        ('IIF([n] < 10, "lt", "ge")', "ge"),
        ('IIF([n] <= 10, "le", "gt")', "le"),
        ('IIF([n]=10,"eq","ne")', "eq"),
        ('IIF([n]<>9,"ne","eq")', "ne"),
        ('IIF([n]>=11,"ge","lt")', "lt"),
        ('IIF([n]<=9,"le","gt")', "gt"),
    ],
)
def test_each_comparison_operator_at_the_boundary(text, expected):
    assert ev(text, {"n": "10"}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CStr(+5)", "5"),
        ("CStr(-5)", "-5"),
        ("CStr(1.5)", "1.5"),
        ("CStr(2.0)", "2"),
        ("CStr(&hff)", "255"),
        ("CStr(&H10)", "16"),
        ("CStr( 007 )", "7"),
        ("IsString(7)", False),
        ("IsString(1.5)", False),
        ('IsString("7")', True),
        ('InStr("aA", "a", 1, VBTEXTCOMPARE)', 1),
        ('InStr("Aa", "a", 1, vbtextcompare)', 1),
        ('InStr("Aa", "a", 1, VbBinaryCompare)', 2),
        ('Append("a" , "b")', "ab"),
        ("Append( [a] ,[b] )", "xy"),
        ('Join("-", , "b")', "b"),
        ('Join("-",  ,"b", )', "b"),
    ],
)
def test_literals_and_layout(text, expected):
    assert ev(text, {"a": "x", "b": "y"}) == expected


def test_a_name_before_a_space_and_parenthesis_is_a_call():
    assert ev('Append ("a", "b")') == "ab"
    assert ev('Append\t(\n"a",\n"b"\n)') == "ab"


def test_canonical_text_of_each_node():
    text = 'IIF([a] >= -1.5, Switch([b], , "x\\"y", "z\\\\"), Coalesce(, 7))'
    expr = parse_expression(text)
    assert expr.canonical == 'IIF([a] >= -1.5, Switch([b], , "x\\"y", "z\\\\"), Coalesce(, 7))'
    assert parse_expression(expr.canonical).root == expr.root


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Not(-x)",
            "unexpected '-': expected a function, [attribute], \"string\" or number (at position 4)",
        ),
        (
            "Not(+)",
            "unexpected '+': expected a function, [attribute], \"string\" or number (at position 4)",
        ),
        ("Not(1.)", "expected ',' or ')' in the arguments of Not, found '.' (at position 5)"),
        (
            "Not(_x)",
            "'_x' is not a function call, attribute or constant: attributes go in square brackets "
            '([_x]) and strings in double quotes ("_x") (at position 4)',
        ),
        (
            "Not(vbTextCompar)",
            "'vbTextCompar' is not a function call, attribute or constant: attributes go in square "
            'brackets ([vbTextCompar]) and strings in double quotes ("vbTextCompar") (at position 4)',
        ),
        ('Not("a\\', "the string constant is not closed with '\"' (at position 4)"),
        # An & that does not begin &H is no hexadecimal number: nothing begins with it.
        (
            "Not(&1)",
            "unexpected '&': expected a function, [attribute], \"string\" or number (at position 4)",
        ),
        (
            "Not(&)",
            "unexpected '&': expected a function, [attribute], \"string\" or number (at position 4)",
        ),
        # Only + and - may precede a number's digits; a letter begins a name.
        (
            "Not(X1)",
            "'X1' is not a function call, attribute or constant: attributes go in square brackets "
            '([X1]) and strings in double quotes ("X1") (at position 4)',
        ),
        ('Not("a\\"', "the string constant is not closed with '\"' (at position 4)"),
    ],
)
def test_more_parse_errors_say_what_and_where(text, message):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("[ mail ]", {"mail": "x"}, "x"),
        ("vbTextCompare", {}, "vbTextCompare"),
        ("VBBINARYCOMPARE", {}, "vbBinaryCompare"),
        ("Join(,)", {}, None),
        ('Join("-", , )', {}, None),
        ('Switch([n], "d", 1, "one", 2, "two")', {"n": 2}, "two"),
        ('Switch([n], "d", 1, "one", 2, "two")', {"n": "3"}, "d"),
        ('Switch([l], "d", "b", "B", "a", "A")', {"l": ["a", "b"]}, "A"),
        ('Switch([n], "d", "", "empty")', {"n": ""}, "empty"),
        ("Count([t])", {"t": ("a", "b")}, 2),
        ("RemoveDuplicates([t])", {"t": ("a", "a")}, ["a"]),
        ('Join("-", [t], "c")', {"t": ("a", "b")}, "a-b-c"),
        ("BitAnd(CBool(1), 3)", {}, 1),
        ("BitAnd(2.0, 3)", {}, 2),
        ('BitAnd(" 12 ", 15)', {}, 12),
        ('BitAnd("+12", 15)', {}, 12),
        ('BitAnd("&hff", 15)', {}, 15),
        ('FormatDateTime(CDate("2024-03-07 10:11:12.5Z"), , "x", "fff")', {}, "500"),
        ('FormatDateTime(CDate("2024-03-07 10:11:12.1234567Z"), , "x", "fffffff")', {}, "1234560"),
        ('FormatDateTime(CDate("2024-03-07 10:11:12.05Z"), , "x", "ff")', {}, "05"),
        (r'Replace("a1x2", , "(?<d>\\d)|x", "d", "#", , )', {}, "a#x#"),
        (r'Replace("ab", , "(?<e>)", "e", "-", , )', {}, "-a-b-"),
        (r'Replace("ab", , "(?<e>b)", "e", "", , )', {}, "a"),
    ],
)
def test_more_values(text, source, expected):
    assert ev(text, source) == expected
