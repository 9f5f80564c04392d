"""The expression functions. Expected values come from Microsoft's function reference
("Reference for writing expressions for attribute mappings") unless a comment says otherwise."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from harness.engine.rules.expressions import (
    IGNORE_FLOW,
    AppRoleValue,
    EvaluationContext,
    ExpressionError,
    ExpressionEvaluationError,
    RoleList,
    function_definitions,
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


def test_append():
    assert (
        ev('Append([userPrincipalName], ".test")', {"userPrincipalName": "John.Doe@contoso.com"})
        == "John.Doe@contoso.com.test"
    )
    assert ev('Append([missing], ".test")') is None


def test_bitand():
    assert ev("BitAnd(&HF, &HF7)") == 7
    assert ev("BitAnd(12, 10)") == 8
    # A text value written like the &HF literal of the reference's BitAnd example
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data#bitand)
    # is read the same way: hexadecimal &H1F is 31.
    assert ev('BitAnd("&H1F", 255)') == 31
    assert ev("BitAnd([v], &HFF)", {"v": "&h10"}) == 16
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


def test_function_definitions_cover_every_function():
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


@pytest.mark.parametrize("length", [1, 256])
def test_random_string_length_bounds_are_inclusive(length):
    value = ev(f"RandomString({length},0,0,0,0)", context=EvaluationContext(rng=random.Random(3)))
    assert len(value) == length


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RandomString(0,0,0,0,0)", "RandomString length must be between 1 and 256"),
        ("RandomString(257,0,0,0,0)", "RandomString length must be between 1 and 256"),
        ("RandomString(5,-1,0,0,0)", "RandomString minimums must not be negative"),
        ("RandomString(5,0,-1,0,0)", "RandomString minimums must not be negative"),
        ("RandomString(5,0,0,-1,0)", "RandomString minimums must not be negative"),
        ("RandomString(5,0,0,0,-1)", "RandomString minimums must not be negative"),
        ("RandomString(3,0,0,2,2)", "RandomString length is smaller than the sum of its minimums"),
        ("RandomString(3,0,2,2,0)", "RandomString length is smaller than the sum of its minimums"),
        (
            'RandomString(3,0,1,0,0,"~!@#$%^&*_-+=`|\\\\(){}[]:;\\"\'<>,.?/")',
            "RandomString: every character of a class is avoided",
        ),
        (
            'RandomString(3,0,0,1,0,"ABCDEFGHIJKLMNOPQRSTUVWXYZ")',
            "RandomString: every character of a class is avoided",
        ),
        (
            'RandomString(3,0,0,0,0,"0123456789~!@#$%^&*_-+=`|\\\\(){}[]:;\\"\'<>,.?/'
            'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")',
            "RandomString: no characters left to choose from",
        ),
        ('RandomString("x",0,0,0,0)', "RandomString Length must be an integer, not 'x'"),
        ('RandomString(5,"x",0,0,0)', "RandomString MinimumNumbers must be an integer, not 'x'"),
        (
            'RandomString(5,0,"x",0,0)',
            "RandomString MinimumSpecialCharacters must be an integer, not 'x'",
        ),
        ('RandomString(5,0,0,"x",0)', "RandomString MinimumCapital must be an integer, not 'x'"),
        ('RandomString(5,0,0,0,"x")', "RandomString MinimumLowerCase must be an integer, not 'x'"),
    ],
)
def test_random_string_refuses_impossible_requests(text, message):
    # The error names the call's position (here 9, after 'Join("", '), as every evaluation
    # error does.
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(f'Join("", {text})')
    assert str(info.value) == f"{message} (at position 9)"


def test_random_string_draws_the_rest_from_the_classes_with_a_minimum():
    # RandomString(Length, MinimumNumbers, MinimumSpecialCharacters, MinimumCapital,
    # MinimumLowerCase, CharactersToAvoid) per the function reference.
    ctx = EvaluationContext(rng=random.Random(11))
    assert ev("RandomString(40,1,0,0,0)", context=ctx).isdigit()
    specials = ev("RandomString(200,0,1,0,0)", context=ctx)
    assert not any(c.isalnum() for c in specials)
    capitals = ev("RandomString(256,0,0,1,0)", context=ctx)
    assert capitals.isalpha() and capitals.isupper()
    # Drawn evenly over the alphabet: no letter takes a quarter of the draws, and, with
    # nothing to avoid, every letter can appear (X included).
    assert max(capitals.count(c) for c in set(capitals)) < 64
    assert "X" in capitals
    lowers = ev("RandomString(256,0,0,0,1)", context=ctx)
    assert lowers.isalpha() and lowers.islower()


def test_random_string_avoids_the_given_characters_only():
    ctx = EvaluationContext(rng=random.Random(4))
    value = ev('RandomString(256,0,0,1,0,"ABC")', context=ctx)
    assert not set(value) & set("ABC")
    assert "X" in value


def test_app_role_assignments_complex_skips_assignments_without_a_role():
    assignments = [
        {"appRoleId": "a1"},
        {"id": "a2", "appRoleValue": "Reader"},
        {"appRoleId": "a3", "value": "Writer"},
    ]
    value = ev("AppRoleAssignmentsComplex([r])", {"r": assignments})
    assert value.assertive is False
    assert [role["value"] for role in value] == ["Reader", "Writer"]
    # The role's id falls back to the assignment's id when it has no appRoleId.
    assert value.role_ids == ["a2", "a3"]
    assertive = ev("AssertiveAppRoleAssignmentsComplex([r])", {"r": assignments})
    assert assertive.assertive is True
    assert assertive[0] == {
        "primary": False,
        "type": "WindowsAzureActiveDirectoryRole",
        "display": "Reader",
        "value": "Reader",
    }


def test_role_list_is_not_assertive_unless_asked():
    assert RoleList([{"value": "A"}]).assertive is False
    assert RoleList([{"value": "A"}], role_ids=["1"]).role_ids == ["1"]


def test_function_definitions_describe_each_parameter():
    # Graph's attributeMappingFunctionSchema / attributeMappingParameterSchema
    # (https://learn.microsoft.com/en-us/graph/api/resources/attributemappingparameterschema).
    definitions = {d["name"]: d for d in function_definitions()}
    assert definitions["Append"] == {
        "name": "Append",
        "parameters": [
            {
                "name": "source",
                "type": "String",
                "required": True,
                "allowMultipleOccurrences": False,
            },
            {
                "name": "suffix",
                "type": "String",
                "required": True,
                "allowMultipleOccurrences": False,
            },
        ],
    }
    assert definitions["Coalesce"]["parameters"][1] == {
        "name": "defaultValue",
        "type": "String",
        "required": False,
        "allowMultipleOccurrences": False,
    }
    assert definitions["BitAnd"]["parameters"][0]["type"] == "Integer"


# Each function's argument count, from the signatures on Microsoft's function reference
# (optional trailing parameters make a range; None: any number of repeated arguments).
ARITY = {
    "Append": (2, 2),
    "AppRoleAssignmentsComplex": (1, 1),
    "AssertiveAppRoleAssignmentsComplex": (1, 1),
    "BitAnd": (2, 2),
    "CBool": (1, 1),
    "CDate": (1, 1),
    "Coalesce": (1, None),
    "ConvertToBase64": (1, 1),
    "ConvertToUTF8Hex": (1, 1),
    "Count": (1, 1),
    "CStr": (1, 1),
    "DateAdd": (3, 3),
    "DateDiff": (3, 3),
    "DateFromNum": (1, 1),
    "FormatDateTime": (3, 4),
    "Guid": (0, 0),
    "IgnoreFlowIfNullOrEmpty": (1, 1),
    "IIF": (3, 3),
    "InStr": (2, 4),
    "IsNull": (1, 1),
    "IsNullOrEmpty": (1, 1),
    "IsPresent": (1, 1),
    "IsString": (1, 1),
    "Item": (2, 2),
    "Join": (2, None),
    "Left": (2, 2),
    "Mid": (3, 3),
    "NormalizeDiacritics": (1, 1),
    "Not": (1, 1),
    "Now": (0, 0),
    "NumFromDate": (1, 1),
    "PCase": (1, 2),
    "RandomString": (5, 6),
    "Redact": (1, 1),
    "RemoveDuplicates": (1, 1),
    "Replace": (2, 7),
    "SelectUniqueValue": (2, None),
    "SingleAppRoleAssignment": (1, 1),
    "Split": (2, 2),
    "StripSpaces": (1, 1),
    "Switch": (2, None),
    "ToLower": (1, 2),
    "ToUpper": (1, 2),
    "Word": (3, 3),
}


def _call(name: str, count: int) -> str:
    return f"{name}(" + ", ".join(f"[a{i}]" for i in range(count)) + ")"


@pytest.mark.parametrize(("name", "bounds"), sorted(ARITY.items()))
def test_argument_counts_follow_the_reference(name, bounds):
    low, high = bounds
    assert set(ARITY) == set(supported_functions())
    even = 1 if name == "Switch" else 0  # Switch's count must also be even
    assert parse_expression(_call(name, low)).functions == (name,)
    if low > 0:
        with pytest.raises(ExpressionError) as info:
            parse_expression(_call(name, low - 1))
        assert info.value.message == f"{name} needs at least {low} argument(s), got {low - 1}"
    if high is None:
        assert parse_expression(_call(name, 10 + even * 0)).functions == (name,)
    else:
        assert parse_expression(_call(name, high)).functions == (name,)
        with pytest.raises(ExpressionError) as info:
            parse_expression(_call(name, high + 1))
        assert info.value.message == f"{name} takes at most {high} argument(s), got {high + 1}"


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        # IIF, Switch and SelectUniqueValue evaluate only the branch they need: the other
        # branch's error never happens.
        ('IIF("True", "yes", CDate("never"))', {}, "yes"),
        ('IIF("False", CDate("never"), "no")', {}, "no"),
        ('Switch("a", CDate("never"), "a", "hit")', {}, "hit"),
        ('Switch("b", "default", "a", CDate("never"))', {}, "default"),
        ('SelectUniqueValue("first", CDate("never"))', {}, "first"),
    ],
)
def test_lazy_functions_evaluate_only_what_they_need(text, source, expected):
    assert ev(text, source) == expected


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        # A null or empty operand fails the condition (the reference's IIF limitation).
        ('IIF("" <> "x", "t", "f")', {}, "f"),
        ('IIF("x" <> "", "t", "f")', {}, "f"),
        ('IIF([missing] <> "x", "t", "f")', {}, "f"),
        ('IIF("x" <> [missing], "t", "f")', {}, "f"),
        # Dates compare as dates, whichever side is the date.
        ('IIF("2024-12-01" < CDate("2024-06-01"), "t", "f")', {}, "f"),
        ('IIF(CDate("2024-06-01") > "2024-12-01", "t", "f")', {}, "f"),
        ('IIF(CDate("2024-06-01") = "2024-06-01T00:00:00Z", "t", "f")', {}, "t"),
        # A date against text that is no date: compared as text.
        ('IIF(CDate("2024-06-01") = "6/1/2024 12:00:00 AM", "t", "f")', {}, "t"),
        ('IIF(CDate("2024-06-01") = "soon", "t", "f")', {}, "f"),
        # ... in order too: the date's text "6/1/2024 12:00:00 AM" sorts before "soon".
        ('IIF(CDate("2024-06-01") < "soon", "t", "f")', {}, "t"),
        ('IIF(CDate("2024-06-01") > "soon", "t", "f")', {}, "f"),
        # Numbers compare as numbers; a number against text compares as text.
        ('IIF([n] = 10, "t", "f")', {"n": "10.0"}, "t"),
        ('IIF([n] < 9, "t", "f")', {"n": "10"}, "f"),
        ('IIF([n] < "9", "t", "f")', {"n": "1O"}, "t"),
        ('IIF([b] = "True", "t", "f")', {"b": True}, "t"),
        ('IIF([b] = 1, "t", "f")', {"b": True}, "f"),
    ],
)
def test_comparisons(text, source, expected):
    assert ev(text, source) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('"TRUE"', "t"),
        ('"true"', "t"),
        ('"False"', "f"),
        ('"1"', "t"),
        ('"2"', "t"),
        ('"0"', "f"),
        ('"-1"', "t"),
        ('"yes"', "f"),
        ("[missing]", "f"),
        ("[t]", "t"),
        ("[f]", "f"),
        ("[one]", "t"),
        ("[zero]", "f"),
    ],
)
def test_iif_condition_values(condition, expected):
    source = {"t": True, "f": False, "one": 1, "zero": 0}
    assert ev(f'IIF({condition}, "t", "f")', source) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("TRUE", False), ("1", False), ("0", True), ("", True), ("x", True)],
)
def test_not_of_text(value, expected):
    # "If source value is True, returns False. Otherwise, returns True."
    assert ev("Not([v])", {"v": value}) is expected


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ('Append([l], "x")', {"l": ["a", "b"]}, "ax"),
        ('Append([l], "x")', {"l": []}, None),
        ("Append([a], [missing])", {"a": "a"}, "a"),
        ('Append("a", [l])', {"l": ["b", "c"]}, "ab"),
        ("BitAnd(1, [missing])", {}, None),
        ("BitAnd([missing], 1)", {}, None),
        ("BitAnd(6, 3)", {}, 2),
        ("CStr([m])", {"m": {"id": "7"}}, "7"),
        ("CStr([m])", {"m": {"value": "", "id": "8"}}, "8"),
        ("CStr([m])", {"m": {}}, None),
        ("CStr([missing])", {}, None),
        ("Count([t])", {"t": []}, 0),
        ('Count("x")', {}, 1),
        ("Coalesce([a], [b], [c])", {"a": [None], "b": [], "c": "z"}, "z"),
        ("Coalesce([a], [b])", {"a": "", "b": "y"}, ""),
        ("Coalesce([a], [b])", {"a": [None, None], "b": None}, None),
        ("IsNullOrEmpty([l])", {"l": []}, True),
        ("IsNullOrEmpty([l])", {"l": ["a"]}, False),
        ("IsNullOrEmpty([missing])", {}, True),
        ("IsPresent([l])", {"l": []}, False),
        ("IsPresent([missing])", {}, False),
        ("IsPresent([l])", {"l": ["a"]}, True),
        ("IsNull([l])", {"l": []}, False),
        ("IsString([missing])", {}, False),
        ("Item([l], 0)", {"l": ["a", "b"]}, None),
        ("Item([l], -1)", {"l": ["a", "b"]}, None),
        ('Item([l], "2")', {"l": ["a", "b"]}, "b"),
        ('Join("-", [l], [m])', {"l": ["a", ""], "m": ["b", None]}, "a-b"),
        ('Join("-", "", [e])', {"e": ""}, ""),
        ('Join("-", [l])', {"l": []}, None),
        ("Join([missing], [a], [b])", {"a": "x", "b": "y"}, "xy"),
        ('Join(1, "a", "b")', {}, "a1b"),
        ("Left([l], 1)", {"l": ["abc", "d"]}, "a"),
        ('Left("abc", "2")', {}, "ab"),
        ('Mid("abcdef", 2, 3)', {}, "bcd"),
        ('Mid("abcdef", 6, 1)', {}, "f"),
        ('Mid("abcdef", 7, 1)', {}, ""),
        ('Mid("abcdef", 1, 0)', {}, ""),
        ('Mid("abcdef", "2", "2")', {}, "bc"),
        ("NormalizeDiacritics([l])", {"l": ["Zoë", "x"]}, "Zoe"),
        ('PCase("jean-luc o\'neil", "-")', {}, "Jean-Luc o'neil"),
        ('PCase("ab cd", "")', {}, "Ab cd"),
        ('PCase("ab cd", [missing])', {}, "Ab Cd"),
        ("RemoveDuplicates([l])", {"l": ["b", "a", "b", "A"]}, ["b", "a", "A"]),
        ("RemoveDuplicates([l])", {"l": []}, []),
        ('Split("a;b;;c", ";")', {}, ["a", "b", "", "c"]),
        ('Split(" a ,b ", ",")', {}, ["a", "b"]),
        ('Split("abc", [missing])', {}, ["abc"]),
        ('Split([l], ",")', {"l": ["a,b", "c"]}, ["a", "b"]),
        ('StripSpaces(" a\tb ")', {}, "a\tb"),
        ("StripSpaces([l])", {"l": [" a b", "c"]}, "ab"),
        ("ToLower([l])", {"l": []}, []),
        ('ToLower("ÀB")', {}, "àb"),
        ("ToUpper([missing])", {}, None),
        ('ToUpper("àb")', {}, "ÀB"),
        ("ToUpper(1)", {}, "1"),
        ("ToLower([b])", {"b": True}, "true"),
        ('Word("a  b", 2, " ")', {}, "b"),
        ('Word(" a b", 1, " ")', {}, "a"),
        ('Word("a,b c", 2, ",")', {}, "b c"),
        ('Word("a b", 2, " ")', {}, "b"),
        ('Word("a b", 3, " ")', {}, ""),
        ('Word("a b", -1, " ")', {}, ""),
        ('Word("a]b", 2, "]")', {}, "b"),
        ('Word("a^b", 2, "^")', {}, "b"),
        ('Word("a-b", 2, "-")', {}, "b"),
        ('Word("a\\\\b", 2, "\\\\")', {}, "b"),
        ('Word("", 1, " ")', {}, ""),
        ('Word("", 1, "")', {}, ""),
        ('Word("a b", 2, [missing])', {}, ""),
        ('Word("a b", "1", " ")', {}, "a"),
        ('InStr("abcabc", "c", 4)', {}, 6),
        ('InStr("abcabc", "c", 7)', {}, 0),
        ('InStr("abc", "c", 3)', {}, 3),
        ('InStr("abC", "c", 1, "1")', {}, 3),
        ('InStr("abC", "c", 1, "0")', {}, 0),
        ('InStr("abC", "c", 1, 0)', {}, 0),
        ('InStr("abC", "c", 1, 1)', {}, 3),
        ('InStr("abC", "c", , vbTextCompare)', {}, 3),
        ('InStr("abC", "c", 1, [missing])', {}, 0),
        ('InStr("abc", [missing])', {}, None),
        ('InStr("abc", "")', {}, 1),
        ('InStr([l], "b")', {"l": ["ab", "b"]}, 2),
    ],
)
def test_function_edge_cases(text, source, expected):
    assert ev(text, source) == expected


@pytest.mark.parametrize(
    ("text", "source", "message"),
    [
        ('BitAnd("x", 1)', {}, "BitAnd value1 must be an integer, not 'x'"),
        ('BitAnd(1, "y")', {}, "BitAnd value2 must be an integer, not 'y'"),
        ("BitAnd(1, 1.5)", {}, "BitAnd value2 must be an integer, not 1.5"),
        ('CBool("maybe")', {}, "cannot convert 'maybe' to a boolean"),
        ('DateAdd("d", "one", "2024-01-01")', {}, "DateAdd value must be an integer, not 'one'"),
        (
            'DateAdd("fortnight", 1, "2024-01-01")',
            {},
            "unknown interval 'fortnight'; use one of yyyy, m, d, ww, h, n, s",
        ),
        (
            'DateDiff("D", "2024-01-01", "2024-01-02")',
            {},
            "unknown interval 'D'; use one of yyyy, m, d, ww, h, n, s",
        ),
        ('DateFromNum("x")', {}, "DateFromNum value must be an integer, not 'x'"),
        ("DateFromNum([n])", {"n": 10**25}, f"{10**25} is out of the date range"),
        ('NumFromDate("soon")', {}, "not a recognised date/time: 'soon'"),
        ('CDate("soon")', {}, "not a recognised date/time: 'soon'"),
        ('Item([l], "x")', {"l": ["a"]}, "Item index must be an integer, not 'x'"),
        ('Left("abc", "x")', {}, "Left NumChars must be an integer, not 'x'"),
        ('Mid("abc", "x", 1)', {}, "Mid start must be an integer, not 'x'"),
        ('Mid("abc", 1, "x")', {}, "Mid length must be an integer, not 'x'"),
        ('Mid("abc", 0, 1)', {}, "Mid start must be 1 or more"),
        ('Mid("abc", 1, -1)', {}, "Mid length must not be negative"),
        ('InStr("abc", "a", "x")', {}, "InStr start must be an integer, not 'x'"),
        ('InStr("abc", "a", 0)', {}, "InStr start must be 1 or more"),
        (
            'InStr("abc", "a", 1, "2")',
            {},
            "InStr compareType must be vbTextCompare or vbBinaryCompare",
        ),
        ('Word("a b", "x", " ")', {}, "Word WordNumber must be an integer, not 'x'"),
        (
            'FormatDateTime([d], , , "yyyy")',
            {"d": "2024"},
            "FormatDateTime needs inputFormat and outputFormat",
        ),
        (
            'FormatDateTime([d], , "yyyy", )',
            {"d": "2024"},
            "FormatDateTime needs inputFormat and outputFormat",
        ),
        (
            'FormatDateTime([d], "Bogus, Other", "yyyy", "yyyy")',
            {"d": "2024"},
            "unknown DateTimeStyles value(s): ['bogus', 'other']",
        ),
        (
            "SelectUniqueValue([a], [b])",
            {"a": "x"},
            "SelectUniqueValue: every candidate value is already taken",
        ),
        (
            "Replace([a], , , , , , )",
            {"a": "x"},
            "Replace needs oldValue with replacementValue or template, or regexPattern with "
            "replacementValue (optionally regexGroupName), or regexPattern, regexGroupName and "
            "replacementAttributeName",
        ),
        ('Replace([a], , "(\\\\d)", "g", "x", , )', {"a": "7"}, "the regex has no group named 'g'"),
        ('Replace([a], , "(?<g>x)", "h", , [b], )', {"b": "x"}, "the regex has no group named 'h'"),
    ],
)
def test_evaluation_errors_say_what_and_where(text, source, message):
    # An evaluation error names the failing call's position: here 4, inside "Not(...)"'s
    # argument list; the message is what the provisioning log shows.
    taken = EvaluationContext(is_unique=lambda value: False)
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(f"Not({text})" if not text.startswith("SelectUniqueValue") else text, source, taken)
    position = 0 if text.startswith("SelectUniqueValue") else 4
    assert str(info.value) == f"{message} (at position {position})"


def test_select_unique_value_skips_empty_candidates_and_asks_in_text():
    asked: list[str] = []

    def free(value: str) -> bool:
        asked.append(value)
        return value == "7"

    ctx = EvaluationContext(is_unique=free)
    assert ev('SelectUniqueValue([missing], "", "x", 7)', context=ctx) == 7
    assert asked == ["x", "7"]


@pytest.mark.parametrize(
    ("assignment", "value", "role_id", "display_name"),
    [
        ({"appRoleValue": "V", "value": "W", "displayName": "D"}, "V", None, "D"),
        ({"appRoleValue": "", "value": "W"}, "W", None, "W"),
        ({"displayName": "D", "appRoleDisplayName": "E"}, "D", None, "D"),
        ({"appRoleDisplayName": "E", "id": "i1"}, "E", "i1", "E"),
        ({"value": "W", "appRoleId": "r1", "id": "i1"}, "W", "r1", "W"),
        ({"value": "W", "appRoleDisplayName": "E"}, "W", None, "E"),
    ],
)
def test_single_app_role_assignment_reads_the_role(assignment, value, role_id, display_name):
    role = ev("SingleAppRoleAssignment([r])", {"r": [assignment, {"value": "second"}]})
    assert (role, role.role_id, role.display_name) == (value, role_id, display_name)
    assert ev("SingleAppRoleAssignment([r])", {"r": ({"value": "T"},)}) == "T"
    assert ev("SingleAppRoleAssignment([r])", {"r": ["x", {"value": "U"}]}) == "U"
    assert ev("SingleAppRoleAssignment([r])", {"r": [{"id": "no role"}]}) is None
    assert ev("SingleAppRoleAssignment([missing])") is None


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ('CBool("false")', {}, False),
        ('CBool(" FALSE ")', {}, False),
        ('CBool("TRUE")', {}, True),
        ('CBool("-1")', {}, True),
        ('CBool("0.0")', {}, False),
        ("CBool(0.0)", {}, False),
        ("CBool([t])", {"t": True}, True),
        ("CBool([f])", {"f": False}, False),
        ('InStr("abc", "a")', {}, 1),
        ("ToUpper([l])", {"l": ["a", 1, None]}, ["A", 1, None]),
        ("ToLower([l])", {"l": ["A", 1, None]}, ["a", 1, None]),
        ('Word("aXb", 1, [missing])', {}, "aXb"),
        # .NET replacement patterns: $& is the whole match, a group that did not take part
        # is empty.
        (r'Replace([a], , "a(\\d)", , "<$&>", , )', {"a": "xa7"}, "x<a7>"),
        (r'Replace([a], , "(x)?y", , "[$1]", , )', {"a": "y"}, "[]"),
        (r'Replace([a], , "(x)?y", , "[${1}]", , )', {"a": "xy"}, "[x]"),
        (r'Replace([a], , "(?<n>\\d)", , "${n}${n}", , )', {"a": "a1"}, "a11"),
        (r'Replace([a], , "(\\d)", , "$2", , )', {"a": "1"}, "$2"),
    ],
)
def test_conversions_and_replacement_patterns(text, source, expected):
    assert ev(text, source) == expected


def test_single_values_and_ticks():
    # Item of a single value is that value, not one of its characters.
    assert ev('Item("xy", 1)') == "xy"
    # FileTime ticks are 100 ns: 15 ticks are 1 microsecond, rounded down.
    assert ev('FormatDateTime(DateFromNum(15), , "x", "ffffff")') == "000001"
    assert ev('FormatDateTime(DateFromNum(19), , "x", "ffffff")') == "000001"
    # A .NET backreference to a named group with capitals.
    assert ev(r'Replace([a], , "(?<Ch>.)\\k<Ch>", , "=", , )', {"a": "aabXX"}) == "=b="


@pytest.mark.parametrize(
    "separator",
    ["\x01", "\u200b", "_", "-", "(", ")", "«", "»", "!", "+", "$", "^", "©", " ", "\u2028"],
)
def test_pcase_starts_a_word_after_each_kind_of_separator(separator):
    # Without wordSeparators, PCase splits words as .NET's TextInfo.ToTitleCase does
    # (https://learn.microsoft.com/en-us/dotnet/api/system.globalization.textinfo.totitlecase):
    # after white space, punctuation, symbols and control characters, not after an apostrophe.
    assert ev("PCase([v])", {"v": f"ab{separator}cD"}) == f"Ab{separator}Cd"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ǣ", "ae"), ("œ", "oe"), ("Œ", "OE"), ("đ", "d"), ("Đ", "D"), ("\u0131", "i"), ("Ǣ", "AE")],
)
def test_normalize_diacritics_letters_that_do_not_decompose(value, expected):
    assert ev("NormalizeDiacritics([v])", {"v": value}) == expected


def test_normalize_diacritics_keeps_letters_without_diacritics():
    # Only diacritics go: a Hangul syllable is not left as the three letters its
    # decomposition gives, a Greek letter loses its accents and breathings only.
    assert ev('NormalizeDiacritics("한 Straße")') == "한 Strasse"
    assert ev('NormalizeDiacritics("Ελένη Ἀθηνᾶ")') == "Ελενη Αθηνα"


@pytest.mark.parametrize(
    ("text", "source", "message"),
    [
        # The documented forms of Replace (Microsoft's function reference) are oldValue with
        # replacementValue or template, regexPattern with replacementValue (and regexGroupName),
        # and regexPattern, regexGroupName and replacementAttributeName: a pattern alone, or a
        # replacement alone, is none of them.
        ('Replace([a], , "x", , , , )', {"a": "x"}, "Replace needs oldValue"),
        ('Replace([a], , , , "y", , )', {"a": "x"}, "Replace needs oldValue"),
        # The last form reads the pattern only when the source is empty; a bad one is an error
        # at the call.
        ('Replace([a], , "(", "g", , [b], )', {"b": "x"}, "invalid regular expression '('"),
    ],
)
def test_replace_errors_name_the_call(text, source, message):
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(f"Not({text})", source)
    assert str(info.value).startswith(message)
    assert info.value.position == 4


def test_replace_group_never_writes_replaced_text_twice():
    # With regexGroupName only the group's text is replaced. A group inside a lookahead can
    # reach past the next match: "ab" is replaced at 0, the empty group at 1 lies inside it and
    # is not replaced again, so no character of "ab" comes back.
    assert ev(r'Replace([a], , "(?=(?<g>ab|))", "g", "X", , )', {"a": "abc"}) == "XXcX"
    assert ev(r'Replace([a], , "(?=(?<g>bc|))", "g", "X", , )', {"a": "abc"}) == "XaXX"
