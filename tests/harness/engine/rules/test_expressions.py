"""The attribute-mapping expression language. Expected values come from Microsoft's function
reference ("Reference for writing expressions for attribute mappings") unless a comment says
otherwise."""

from __future__ import annotations

import contextlib
import random
import string
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
    RoleList,
    SourceView,
    build_expression,
    parse_expression,
    supported_functions,
)

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


def test_every_reference_function_is_supported():
    assert set(REFERENCE_FUNCTIONS) <= set(supported_functions())
    assert "AssertiveAppRoleAssignmentsComplex" in supported_functions()


# --- syntax ---------------------------------------------------------------------------------


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


# --- functions --------------------------------------------------------------------------------


def test_append():
    assert (
        ev('Append([userPrincipalName], ".test")', {"userPrincipalName": "John.Doe@contoso.com"})
        == "John.Doe@contoso.com.test"
    )
    assert ev('Append([missing], ".test")') is None


def test_bitand():
    assert ev("BitAnd(&HF, &HF7)") == 7
    assert ev("BitAnd(12, 10)") == 8
    with pytest.raises(ExpressionEvaluationError, match="integer"):
        ev('BitAnd("x", 1)')


def test_cbool():
    assert ev("CBool([a] = [b])", {"a": "x", "b": "x"}) is True
    assert ev("CBool([a] = [b])", {"a": "x", "b": "y"}) is False
    assert ev("CBool(1)") is True
    assert ev("CBool(0)") is False
    assert ev('CBool("True")') is True
    with pytest.raises(ExpressionEvaluationError, match="boolean"):
        ev('CBool("maybe")')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-03-16-07:00", "3/16/2020 7:00:00 AM"),
        ("2021-06-30+08:00", "6/29/2021 4:00:00 PM"),
        ("2009-06-15T01:45:30-07:00", "6/15/2009 8:45:30 AM"),
    ],
)
def test_cdate_examples(value, expected):
    assert ev("CDate([d])", {"d": value}) == expected


def test_cdate_bad_input():
    with pytest.raises(ExpressionEvaluationError, match="not a recognised date"):
        ev('CDate("yesterday")')
    assert ev("CDate([missing])") is None


def test_coalesce():
    assert (
        ev("Coalesce([mail],[userPrincipalName])", {"userPrincipalName": "John.Doe@contoso.com"})
        == "John.Doe@contoso.com"
    )
    assert ev('Coalesce([a], [b], "default")') == "default"
    assert ev("Coalesce([a], [b])") is None
    assert ev('Coalesce([a], "")') == ""


def test_convert_to_base64_and_utf8hex():
    assert ev('ConvertToBase64("Hello world!")') == "SABlAGwAbABvACAAdwBvAHIAbABkACEA"
    assert ev('ConvertToUTF8Hex("Hello world!")') == "48656C6C6F20776F726C6421"


def test_count():
    assert ev("Count([proxyAddresses])", {"proxyAddresses": ["a", "b", "c"]}) == 3
    assert ev("Count([proxyAddresses])") == 0


def test_cstr():
    assert ev("CStr([dn])", {"dn": "cn=Joe,dc=contoso,dc=com"}) == "cn=Joe,dc=contoso,dc=com"
    assert ev("CStr([accountEnabled])", {"accountEnabled": True}) == "True"
    assert ev("CStr(42)") == "42"


@pytest.mark.parametrize(
    ("interval", "value", "expected"),
    [
        ("d", 7, "3/23/2012 7:00:00 AM"),
        ("d", -10, "3/6/2012 7:00:00 AM"),
        ("ww", 2, "3/30/2012 7:00:00 AM"),
        ("m", 10, "1/16/2013 7:00:00 AM"),
        ("yyyy", 2, "3/16/2014 7:00:00 AM"),
    ],
)
def test_dateadd_examples(interval, value, expected):
    text = f'DateAdd("{interval}", {value}, CDate([StatusHireDate]))'
    assert ev(text, {"StatusHireDate": "2012-03-16-07:00"}) == expected


def test_dateadd_time_units_and_bad_interval():
    assert ev('DateAdd("h", 1, CDate("2021-01-01T00:00:00Z"))') == "1/1/2021 1:00:00 AM"
    assert ev('DateAdd("n", 90, CDate("2021-01-01T00:00:00Z"))') == "1/1/2021 1:30:00 AM"
    assert ev('DateAdd("s", 5, CDate("2021-01-01T00:00:00Z"))') == "1/1/2021 12:00:05 AM"
    with pytest.raises(ExpressionEvaluationError, match="interval"):
        ev('DateAdd("fortnight", 1, CDate("2021-01-01"))')


@pytest.mark.parametrize(
    ("interval", "date1", "date2", "expected"),
    [
        ("d", "2021-08-18+08:00", "2021-08-31+08:00", 13),
        ("d", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -3449),
        ("ww", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -493),
        ("m", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -113),
        ("yyyy", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", -9),
        ("d", "2021-08-31+08:00", "2021-08-31+08:00", 0),
        ("h", "2021-08-24", "2021-08-25", 24),
        ("n", "2021-08-24", "2021-08-25", 1440),
        ("s", "2021-08-24", "2021-08-25", 86400),
    ],
)
def test_datediff_examples(interval, date1, date2, expected):
    text = f'DateDiff("{interval}", CDate([a]), CDate([b]))'
    assert ev(text, {"a": date1, "b": date2}) == expected


def test_datediff_with_now_and_iif():
    clock = EvaluationContext(now=lambda: datetime(2021, 8, 25, 17, 41, 18, tzinfo=UTC))
    text = 'Switch([Active], , "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), "0", "False")'
    assert ev(text, {"Active": "1", "StatusHireDate": "2021-09-10"}, clock) == "False"
    assert ev(text, {"Active": "1", "StatusHireDate": "2021-08-27"}, clock) == "True"
    assert ev(text, {"Active": "0", "StatusHireDate": "2021-08-27"}, clock) == "False"


def test_datefromnum_and_numfromdate():
    assert ev("DateFromNum(129699324000000000)") == "1/1/2012 11:00:00 PM"
    assert ev('NumFromDate("2012-01-01T23:00:00Z")') == 129699324000000000
    assert ev("DateFromNum([lastLogonTimestamp])") is None


def test_numfromdate_workday_example():
    # Entra docs: ContractEndDate "2020-12-31-08:00" → end of that day, Pacific time.
    text = 'NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))'
    expected = (
        int(
            (
                datetime(2021, 1, 1, 7, 59, 59, tzinfo=UTC) - datetime(1601, 1, 1, tzinfo=UTC)
            ).total_seconds()
        )
        * 10_000_000
    )
    assert ev(text, {"ContractEndDate": "2020-12-31-08:00"}) == expected


def test_formatdatetime():
    assert (
        ev(
            'FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
            {"extensionAttribute1": "20150123105347.1Z"},
        )
        == "2015-01-23"
    )
    assert (
        ev(
            'FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")',
            {"endDate": "1/5/2024 03:04:05 PM"},
        )
        == "2024-01-05"
    )
    assert (
        ev('FormatDateTime([d], , "yyyy-MM-dd", "dd MMM yyyy")', {"d": "2024-02-09"})
        == "09 Feb 2024"
    )
    assert (
        ev('FormatDateTime([d], , "yyyy-MM-dd HH:mm", "h:mm tt")', {"d": "2024-02-09 13:05"})
        == "1:05 PM"
    )
    assert ev('FormatDateTime([d], , "yyyy-MM-dd", "yyyy-MM-dd")') is None
    with pytest.raises(ExpressionEvaluationError, match="does not match"):
        ev('FormatDateTime([d], , "yyyy-MM-dd", "yyyy")', {"d": "09/02/2024"})
    with pytest.raises(ExpressionEvaluationError, match="DateTimeStyles"):
        ev('FormatDateTime([d], "Bogus", "yyyy-MM-dd", "yyyy")', {"d": "2024-02-09"})


def test_formatdatetime_adjust_to_universal():
    text = (
        'FormatDateTime([d], "AdjustToUniversal", "yyyy-MM-ddTHH:mm:sszzz", "yyyy-MM-ddTHH:mm:ssZ")'
    )
    # "Z" is not a .NET format specifier: it is written literally.
    assert ev(text, {"d": "2024-02-09T23:30:00-02:00"}) == "2024-02-10T01:30:00Z"


def test_guid_uses_the_context_rng():
    one = ev("Guid()", context=EvaluationContext(rng=random.Random(7)))
    two = ev("Guid()", context=EvaluationContext(rng=random.Random(7)))
    assert one == two
    assert len(one) == 36 and one.count("-") == 4 and one[14] == "4"


def test_ignore_flow_if_null_or_empty():
    assert ev("IgnoreFlowIfNullOrEmpty([department])") is IGNORE_FLOW
    assert ev("IgnoreFlowIfNullOrEmpty([department])", {"department": ""}) is IGNORE_FLOW
    assert ev("IgnoreFlowIfNullOrEmpty([department])", {"department": "IT"}) == "IT"
    text = 'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))'
    assert ev(text, {"prefix": "9999"}) is IGNORE_FLOW
    assert ev(text, {"prefix": "3444"}) == "Prof."
    # Nested anywhere it still drops the whole attribute.
    assert ev('Append(IgnoreFlowIfNullOrEmpty([a]), "x")') is IGNORE_FLOW


def test_iif_and_comparisons():
    assert (
        ev('IIF([country]="USA",[country],[department])', {"country": "USA", "department": "IT"})
        == "USA"
    )
    assert (
        ev('IIF([country]="USA",[country],[department])', {"country": "FR", "department": "IT"})
        == "IT"
    )
    assert (
        ev(
            'IIF([country]="USA",IIF([state]="CA","True","False"),"False")',
            {"country": "USA", "state": "CA"},
        )
        == "True"
    )
    assert ev('IIF([n] > 5, "big", "small")', {"n": "10"}) == "big"
    assert ev('IIF([n] >= 10, "big", "small")', {"n": "10"}) == "big"
    assert ev('IIF([n] < 10, "lt", "ge")', {"n": "9"}) == "lt"
    assert ev('IIF([n] <= 8, "le", "gt")', {"n": "9"}) == "gt"
    assert ev('IIF([n] <> "x", "ne", "eq")', {"n": "y"}) == "ne"
    # Numbers compare as numbers, not strings.
    assert ev('IIF([n] > 9, "big", "small")', {"n": "10"}) == "big"


def test_iif_null_condition_fails():
    # Documented limitation: an empty or null attribute fails the condition, so the
    # "unsupported" example falls through to its false branch.
    assert ev('IIF([country]="","Other",[country])', {"country": ""}) == ""
    assert ev('IIF([country]="USA","yes","no")') == "no"


def test_instr():
    assert ev('InStr("The quick brown fox","quick")') == 5
    assert ev('InStr("repEated","e",3,vbBinaryCompare)') == 7
    assert ev('InStr("repEated","e",3,vbTextCompare)') == 4
    assert ev('InStr("abc","z")') == 0


def test_isnull_isnullorempty_ispresent_isstring():
    assert ev("IsNull([displayName])") is True
    assert ev("IsNull([displayName])", {"displayName": ""}) is False
    assert ev("IsNullOrEmpty([displayName])", {"displayName": ""}) is True
    assert ev("IsNullOrEmpty([displayName])", {"displayName": "x"}) is False
    assert ev("IsPresent([displayName])", {"displayName": "x"}) is True
    assert ev("IsPresent([displayName])", {"displayName": ""}) is False
    assert ev("IsString([displayName])", {"displayName": "x"}) is True
    assert ev("IsString([n])", {"n": 3}) is False
    text = "Switch(IsPresent([directManager]),[directManager], IsPresent([skiplevelManager]),[skiplevelManager], IsPresent([director]),[director])"
    # The docs' example: keys are compared as strings ("True"/"False").
    assert parse_expression(text).functions[0] == "Switch"


def test_item():
    assert ev("Item([proxyAddresses], 1)", {"proxyAddresses": ["a", "b"]}) == "a"
    assert ev("Item([proxyAddresses], 2)", {"proxyAddresses": ["a", "b"]}) == "b"
    assert ev("Item([proxyAddresses], 3)", {"proxyAddresses": ["a", "b"]}) is None


def test_join():
    assert (
        ev('Join(", ", "", [surname], [givenName])', {"givenName": "John", "surname": "Doe"})
        == "Doe, John"
    )
    assert ev('Join(";", [proxyAddresses], "x")', {"proxyAddresses": ["a", "b"]}) == "a;b;x"
    assert ev('Join(".", [a], [b])', {"a": "x"}) == "x"
    assert ev('Join(".", [a], [b])') is None


def test_left():
    assert ev('Left("John Doe", 3)') == "Joh"
    assert ev('Left("John Doe", 0)') == ""
    assert ev('Left("John Doe", -1)') == "John Doe"
    assert ev('Left("Jo", 5)') == "Jo"
    assert ev("Left([missing], 2)") == ""


def test_mid():
    assert (
        ev(
            "Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))",
            {"givenName": "John", "surname": "Doe"},
        )
        == "JohDoe"
    )
    assert ev('Mid("abcdef", 3, 100)') == "cdef"
    with pytest.raises(ExpressionEvaluationError):
        ev('Mid("abc", 0, 1)')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Zoë", "Zoe"),
        ("äàâãåáąăā", "aaaaaaaaa"),
        ("ÆæǢ", "AEaeAE"),
        ("çčć", "ccc"),
        ("ĎďḏḎ", "DddD"),
        ("ëèéêęěėē", "eeeeeeee"),
        ("ğĞ", "gG"),
        ("ïîìíıīİ", "iiiiiiI"),
        ("ľłŁĽ", "llLL"),
        ("ñńňÑ", "nnnN"),
        ("öòőõôóōŐ", "oooooooO"),
        ("øØ", "oeOE"),
        ("řŘ", "rR"),
        ("ß", "ss"),
        ("šśșşŠ", "ssssS"),
        ("ťțŤ", "ttT"),
        ("üùûúůűūŰ", "uuuuuuuU"),
        ("ÿýȳŸ", "yyyY"),
        ("źžżŽ", "zzzZ"),
        ("ā̂", "a"),
    ],
)
def test_normalize_diacritics_table(value, expected):
    assert ev("NormalizeDiacritics([v])", {"v": value}) == expected


def test_not():
    assert ev("Not([IsSoftDeleted])", {"IsSoftDeleted": True}) is False
    assert ev("Not([IsSoftDeleted])", {"IsSoftDeleted": False}) is True
    assert ev('Not("True")') is False
    assert ev('Not("anything")') is True


def test_now_uses_the_context_clock():
    clock = EvaluationContext(now=lambda: datetime(2021, 7, 2, 15, 33, 38, tzinfo=UTC))
    assert ev("Now()", context=clock) == "7/2/2021 3:33:38 PM"


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("PCase([v])", "PABLO GONSALVES (SECOND)", "Pablo Gonsalves (Second)"),
        ('PCase([v]," \'-")', "PINTO-DE'SILVA", "Pinto-De'Silva"),
        ('PCase(Join(" ",[v],"JAMES"))', "GREGORY", "Gregory James"),
        ("PCase([v])", "o'neil", "O'neil"),
    ],
)
def test_pcase(text, value, expected):
    assert ev(text, {"v": value}) == expected


def test_random_string_meets_the_minimums():
    ctx = EvaluationContext(rng=random.Random(1))
    value = ev('RandomString(10,2,2,2,1,"?,")', context=ctx)
    assert len(value) == 10
    assert sum(c.isdigit() for c in value) >= 2
    assert sum(c.isupper() for c in value) >= 2
    assert sum(c.islower() for c in value) >= 1
    assert sum(not c.isalnum() for c in value) >= 2
    assert "?" not in value and "," not in value
    six = ev("RandomString(6,3,0,0,3)", context=ctx)
    assert (
        len(six) == 6 and sum(c.isdigit() for c in six) == 3 and sum(c.islower() for c in six) == 3
    )
    assert ev("RandomString(6,3,0,0,3)", context=EvaluationContext(rng=random.Random(5))) == ev(
        "RandomString(6,3,0,0,3)", context=EvaluationContext(rng=random.Random(5))
    )
    with pytest.raises(ExpressionEvaluationError, match="smaller than"):
        ev("RandomString(3,2,2,0,0)")
    with pytest.raises(ExpressionEvaluationError, match="256"):
        ev("RandomString(300,0,0,0,0)")


def test_redact_keeps_the_value():
    expr = parse_expression("Redact([userPrincipalName])")
    assert expr.evaluate({"userPrincipalName": "a@b.c"}) == "a@b.c"
    assert expr.redacted


def test_remove_duplicates():
    assert ev("RemoveDuplicates([p])", {"p": ["a", "b", "a", "c", "b"]}) == ["a", "b", "c"]


def test_replace_documented_examples():
    assert (
        ev(
            'Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )',
            {"BusinessTitle": "Product Developer"},
        )
        == "Software Engineer"
    )
    assert (
        ev('Replace([UserID],"<username>", , , , , "<username>@contoso.com")', {"UserID": "jsmith"})
        == "jsmith@contoso.com"
    )
    phone = r'Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )'
    assert ev(phone, {"telephoneNumber": "+91 9998887777"}) == "9998887777"
    street = r'Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )'
    assert ev(street, {"AddressLineData": "545 Tremont Street"}) == "888 Tremont Street"
    suffix = r'Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )'
    assert ev(suffix, {"userPrincipalName": "jsmith@contoso.com"}) == "jsmith"
    fallback = r'Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )'
    assert ev(fallback, {"telephoneNumber": "", "mobile": "+91 8887779999"}) == "8887779999"
    assert ev(fallback, {"telephoneNumber": "555", "mobile": "+91 8887779999"}) == "555"
    assert (
        ev(r'Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', {"mailNickname": "john_doe72"})
        == "72"
    )
    assert (
        ev('Replace([mail], "@contoso.com", , ,"", ,)', {"mail": "john.doe@contoso.com"})
        == "john.doe"
    )


def test_replace_regex_removes_punctuation():
    # The docs' sample output (19998887777) drops the "+", which the pattern does not match;
    # the regex semantics keep it.
    assert (
        ev(r'Replace([mobile], , "[()\\s-]+", , "", , )', {"mobile": "+1 (999) 888-7777"})
        == "+19998887777"
    )


def test_replace_errors():
    with pytest.raises(ExpressionEvaluationError, match="Replace needs"):
        ev("Replace([a], , , , , , )", {"a": "x"})
    with pytest.raises(ExpressionEvaluationError, match="regular expression"):
        ev('Replace([a], , "(", , "", , )', {"a": "x"})
    assert ev('Replace([a], "x", , , "y", , )') is None


def test_select_unique_value():
    taken = {"John.Smith@contoso.com"}
    ctx = EvaluationContext(is_unique=lambda v: v not in taken)
    text = """SelectUniqueValue(
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 2), [PreferredLastName]))), "contoso.com")
    )"""
    source = {"PreferredFirstName": "John", "PreferredLastName": "Smith"}
    assert ev(text, source) == "John.Smith@contoso.com"
    assert ev(text, source, ctx) == "J.Smith@contoso.com"
    taken.add("J.Smith@contoso.com")
    assert ev(text, source, ctx) == "Jo.Smith@contoso.com"
    taken.add("Jo.Smith@contoso.com")
    with pytest.raises(ExpressionEvaluationError, match="already taken"):
        ev(text, source, ctx)


ASSIGNMENTS = [
    {
        "appRoleId": "06b07648-ecfe-589f-9d2f-6325724a46ee",
        "appRoleValue": "25",
        "displayName": "Role1234",
    },
    {
        "appRoleId": "11111111-2222-3333-4444-555555555555",
        "appRoleValue": "Admin",
        "displayName": "Admin",
    },
]


def test_single_app_role_assignment():
    value = ev(
        "SingleAppRoleAssignment([appRoleAssignments])", {"appRoleAssignments": ASSIGNMENTS[:1]}
    )
    assert isinstance(value, AppRoleValue)
    assert value == "25"
    assert value.role_id == "06b07648-ecfe-589f-9d2f-6325724a46ee"
    assert value.display_name == "Role1234"
    assert ev("SingleAppRoleAssignment([appRoleAssignments])", {"appRoleAssignments": []}) is None


def test_app_role_assignments_complex():
    value = ev(
        "AppRoleAssignmentsComplex([appRoleAssignments])", {"appRoleAssignments": ASSIGNMENTS}
    )
    assert isinstance(value, RoleList) and not value.assertive
    assert list(value) == [
        {
            "primary": False,
            "type": "WindowsAzureActiveDirectoryRole",
            "displayName": "Role1234",
            "value": "25",
        },
        {
            "primary": False,
            "type": "WindowsAzureActiveDirectoryRole",
            "displayName": "Admin",
            "value": "Admin",
        },
    ]
    assert value.role_ids == [a["appRoleId"] for a in ASSIGNMENTS]
    assertive = ev(
        "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])",
        {"appRoleAssignments": ASSIGNMENTS},
    )
    assert assertive.assertive


def test_split():
    assert ev(
        'Split([extensionAttribute5], ",")',
        {"extensionAttribute5": "PermissionSetOne, PermissionSetTwo"},
    ) == ["PermissionSetOne", "PermissionSetTwo"]


def test_strip_spaces():
    assert ev("StripSpaces([v])", {"v": " a b  c "}) == "abc"


def test_switch():
    text = 'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")'
    assert ev(text, {"state": "QLD"}) == "Australia/Brisbane"
    assert ev(text, {"state": "WA"}) == "Australia/Sydney"
    # Case-sensitive.
    assert ev(text, {"state": "qld"}) == "Australia/Sydney"
    # An empty source matches the "" key.
    assert ev('Switch([statusFlag], "Default Value", "true", "1", "", "0")') == "0"
    assert (
        ev('Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")', {"statusFlag": "TRUE"})
        == "1"
    )


def test_switch_on_is_soft_deleted():
    text = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    assert ev(text, {"IsSoftDeleted": False}) == "True"
    assert ev(text, {"IsSoftDeleted": True}) == "False"
    # No match and an empty default: null (the attribute is skipped).
    assert ev(text, {"IsSoftDeleted": "maybe"}) is None


def test_to_lower_and_upper():
    assert ev("ToLower([v])", {"v": "John.Smith@Contoso.com"}) == "john.smith@contoso.com"
    assert ev('ToUpper([v], "en-US")', {"v": "abc"}) == "ABC"
    assert ev("ToLower([v])") is None


def test_word():
    assert ev('Word("The quick brown fox",3," ")') == "brown"
    assert ev('Word("This,string!has&many separators",3,",!&#")') == "has"
    assert ev('Word("a b",5," ")') == ""
    assert ev('Word("a b",0," ")') == ""
    assert ev('Word([missing],1," ")') == ""


# --- Graph attributeMappingSource trees ------------------------------------------------------


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


def test_source_view_builds_its_index_once():
    data = {"Mail": "a@b.c", "displayName": "A"}
    view = SourceView(data)
    assert view["mail"] == "a@b.c"
    assert view["DISPLAYNAME"] == "A"
    assert len(view) == 2
    with pytest.raises(KeyError):
        view["nope"]


def test_function_definitions_cover_every_function():
    from harness.engine.rules.expressions import function_definitions

    definitions = {d["name"]: d for d in function_definitions()}
    assert set(definitions) == set(supported_functions())
    assert [p["name"] for p in definitions["Switch"]["parameters"]] == [
        "source",
        "defaultValue",
        "key",
        "value",
    ]
    assert definitions["Join"]["parameters"][1]["allowMultipleOccurrences"] is True
    assert definitions["Guid"]["parameters"] == []


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


# --- dates in more depth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_format", "expected"),
    [
        ("yyyy-MM-ddTHH:mm:ss", "2024-03-07T14:05:09"),
        ("s", "2024-03-07T14:05:09"),
        ("d", "3/7/2024"),
        ("G", "3/7/2024 2:05:09 PM"),
        ("D", "Thursday, March 7, 2024"),
        ("M/d/yy h:m:s t", "3/7/24 2:5:9 P"),
        ("dddd dd MMMM MM", "Thursday 07 March 03"),
        ("ddd MMM", "Thu Mar"),
        ("HH'h'mm", "14h05"),
        ('HH"h"mm', "14h05"),
        (r"HH\hmm", "14h05"),
        ("yyyy-MM-dd fff FFF", "2024-03-07 120 12"),
        ("zzz", "+00:00"),
        ("yyyyMMdd%H", "2024030714"),
    ],
)
def test_formatdatetime_output_specifiers(output_format, expected):
    text = f'FormatDateTime([d], , "yyyy-MM-dd HH:mm:ss.fff", "{output_format}")'
    assert (
        ev(
            text.replace('"HH"h"mm"', '"HH\\"h\\"mm"') if '"h"' in output_format else text,
            {"d": "2024-03-07 14:05:09.120"},
        )
        == expected
    )


@pytest.mark.parametrize(
    ("value", "input_format", "expected"),
    [
        ("07 March 2024", "dd MMMM yyyy", "2024-03-07 00:00"),
        ("Thu, 07 Mar 2024 02:30 PM", "ddd, dd MMM yyyy hh:mm tt", "2024-03-07 14:30"),
        ("3/7/24 9:15", "M/d/yy H:mm", "2024-03-07 09:15"),
        ("  2024-03-07  ", "yyyy-MM-dd", "2024-03-07 00:00"),
        ("2024-03-07T23:00:00+05:30", "yyyy-MM-ddTHH:mm:ssK", "2024-03-07 23:00"),
        ("2024-03-07 12:00 AM", "yyyy-MM-dd hh:mm tt", "2024-03-07 00:00"),
        ("20240307.5", "yyyyMMdd.F", "2024-03-07 00:00"),
    ],
)
def test_formatdatetime_input_specifiers(value, input_format, expected):
    text = f'FormatDateTime([d], , "{input_format}", "yyyy-MM-dd HH:mm")'
    assert ev(text, {"d": value}) == expected


def test_formatdatetime_errors():
    with pytest.raises(ExpressionEvaluationError, match="unsupported standard date format"):
        ev('FormatDateTime([d], , "yyyy", "Q")', {"d": "2024"})
    with pytest.raises(ExpressionEvaluationError, match="not a valid date"):
        ev('FormatDateTime([d], , "yyyy-MM-dd", "yyyy")', {"d": "2024-02-30"})
    with pytest.raises(ExpressionEvaluationError, match="needs inputFormat"):
        ev('FormatDateTime([d], , , "yyyy")', {"d": "2024-02-03"})
    with pytest.raises(ExpressionEvaluationError, match="must not be empty"):
        ev('FormatDateTime([d], , "", "yyyy")', {"d": "2024-02-03"})


def test_formatdatetime_of_a_date_value():
    assert (
        ev('FormatDateTime(CDate([d]), , "ignored", "yyyy/MM/dd")', {"d": "2024-02-03T10:00:00Z"})
        == "2024/02/03"
    )


def test_more_date_intervals():
    assert ev('DateAdd("q", 1, CDate("2024-01-31"))') == "4/30/2024 12:00:00 AM"
    assert ev('DateAdd("m", 1, CDate("2024-01-31"))') == "2/29/2024 12:00:00 AM"
    assert ev('DateAdd("yyyy", 1, CDate("2024-02-29"))') == "2/28/2025 12:00:00 AM"
    assert ev('DateAdd("d", "2", CDate("2024-01-31"))') == "2/2/2024 12:00:00 AM"
    assert ev('DateDiff("q", CDate("2024-01-31"), CDate("2024-12-01"))') == 3
    assert ev('DateDiff("w", CDate("2024-01-01"), CDate("2024-01-20"))') == 2
    assert ev('DateDiff("d", CDate("2024-01-02"), CDate("2024-01-01T12:00:00Z"))') == 0
    assert ev('DateAdd("d", 1, [missing])') is None
    assert ev('DateDiff("d", [missing], Now())') is None
    with pytest.raises(ExpressionEvaluationError, match="integer"):
        ev('DateAdd("d", "one", CDate("2024-01-01"))')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-07", "3/7/2024 12:00:00 AM"),
        ("2024-03-07T10:11", "3/7/2024 10:11:00 AM"),
        ("2024-03-07 10:11:12.5Z", "3/7/2024 10:11:12 AM"),
        ("2024-03-07T10:11:12+0100", "3/7/2024 9:11:12 AM"),
        ("3/7/2024", "3/7/2024 12:00:00 AM"),
        ("3/7/2024 12:30:00 AM", "3/7/2024 12:30:00 AM"),
        ("3/7/2024 12:30:00 PM", "3/7/2024 12:30:00 PM"),
        ("3/7/2024 23:30", "3/7/2024 11:30:00 PM"),
    ],
)
def test_cdate_formats(value, expected):
    assert ev("CDate([d])", {"d": value}) == expected


@pytest.mark.parametrize("bad", ["2024-13-01", "2/30/2024", "2024-02-30T10:00:00Z"])
def test_cdate_invalid_calendar_dates(bad):
    with pytest.raises(ExpressionEvaluationError, match="not a valid date"):
        ev("CDate([d])", {"d": bad})


def test_date_source_values_and_naive_datetimes():
    naive = datetime(2024, 3, 7, 8, 0)
    assert ev("[d]", {"d": naive}) == "3/7/2024 8:00:00 AM"
    assert ev("CStr([d])", {"d": naive}) == "3/7/2024 8:00:00 AM"
    assert (
        ev('IIF(CDate([d]) > CDate("2024-01-01"), "later", "earlier")', {"d": "2024-03-07"})
        == "later"
    )


# --- more edges ------------------------------------------------------------------------------------


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


def test_random_string_edge_cases():
    with pytest.raises(ExpressionEvaluationError, match="negative"):
        ev("RandomString(5,-1,0,0,0)")
    with pytest.raises(ExpressionEvaluationError, match="avoided"):
        ev('RandomString(5,1,0,0,0,"0123456789")')
    # No minimums: any class may be used.
    assert len(ev("RandomString(8,0,0,0,0)", context=EvaluationContext(rng=random.Random(2)))) == 8


def test_replace_more_forms():
    assert ev('Replace([a], "", , , "x", , )', {"a": "abc"}) == "abc"
    assert ev('Replace([a], "", , , , , "t")', {"a": "abc"}) == "t"
    assert ev('Replace([a], "<u>", , , , , "<u>@x")') is None
    assert ev(r'Replace([a], , "(\\d)(\\d)", , "$2$1$$", , )', {"a": "12"}) == "21$"
    assert ev(r'Replace([a], , "(\\d)", , "$&$&", , )', {"a": "7"}) == "77"
    assert ev(r'Replace([a], , "(\\d)", , "${missing}", , )', {"a": "7"}) == "${missing}"
    with pytest.raises(ExpressionEvaluationError, match="no group named 'g'"):
        ev(r'Replace([a], , "(\\d)", "g", "x", , )', {"a": "7"})
    assert ev(r'Replace([a], , "(?<g>x)", "g", , [b], )', {"b": "nothing"}) is None
    assert ev(r'Replace([a], , "(?<g>x)", "g", , [b], )') is None
    with pytest.raises(ExpressionEvaluationError, match="no group named 'h'"):
        ev(r'Replace([a], , "(?<g>x)", "h", , [b], )', {"b": "x"})
    # A backreference to a named group, written the .NET way.
    assert ev(r'Replace([a], , "(?<c>.)\\k<c>", , "=", , )', {"a": "aabcc"}) == "=b="


def test_parse_errors_in_more_places():
    with pytest.raises(ExpressionError, match="invalid character"):
        parse_expression('["a"]')
    with pytest.raises(ExpressionError, match="value is missing"):
        parse_expression("[a] =")


def test_ignore_flow_repr_and_truthiness():
    assert repr(IGNORE_FLOW) == "IGNORE_FLOW"
    assert not IGNORE_FLOW
    assert list(SourceView({"a": 1})) == ["a"]


def test_build_expression_parameters_must_be_a_list():
    with pytest.raises(ExpressionError, match="parameters must be a list"):
        build_expression({"type": "Function", "name": "Not", "parameters": 5})


def test_formatdatetime_three_argument_form():
    # The older signature without dateTimeStyles.
    assert ev('FormatDateTime([d], "yyyyMMdd", "yyyy-MM-dd")', {"d": "20240307"}) == "2024-03-07"
    with pytest.raises(ExpressionEvaluationError, match="repeats a field"):
        ev('FormatDateTime([d], "ff ff", "yyyy")', {"d": "12 12"})


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


@settings(max_examples=400, deadline=None)
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


# --- Graph parseExpression ---------------------------------------------------------------------


def test_parse_expression_result_matches_the_graph_example():
    from harness.engine.rules.expressions import parse_expression_result

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
    from harness.engine.rules.expressions import parse_expression_result

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
