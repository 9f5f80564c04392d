"""Dates in the expression functions: CDate, FormatDateTime, DateAdd, DateDiff and .NET formats,
as Microsoft's function reference describes them unless a comment says otherwise."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from harness.engine.rules.expressions import (
    EvaluationContext,
    ExpressionEvaluationError,
    parse_expression,
)


def ev(text: str, source: dict | None = None, context: EvaluationContext | None = None):
    return parse_expression(text).evaluate(source or {}, context)


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


def test_formatdatetime_three_argument_form():
    # The older signature without dateTimeStyles.
    assert ev('FormatDateTime([d], "yyyyMMdd", "yyyy-MM-dd")', {"d": "20240307"}) == "2024-03-07"
    with pytest.raises(ExpressionEvaluationError, match="repeats a field"):
        ev('FormatDateTime([d], "ff ff", "yyyy")', {"d": "12 12"})


# .NET custom date and time format strings
# (https://learn.microsoft.com/en-us/dotnet/standard/base-types/custom-date-and-time-format-strings),
# which FormatDateTime's inputFormat and outputFormat use.
_IN = "yyyy-MM-dd HH:mm:ss.fffffff zzz"


@pytest.mark.parametrize(
    ("value", "output_format", "expected"),
    [
        ("2009-06-01 00:05:07.1234567 +00:00", "y yy yyy yyyy yyyyy", "9 09 2009 2009 02009"),
        ("2024-06-01 00:05:07.1234567 +00:00", "M MM MMM MMMM", "6 06 Jun June"),
        ("2024-12-01 00:05:07.1234567 +00:00", "MMM MMMM", "Dec December"),
        ("2024-01-01 00:05:07.1234567 +00:00", "MMM MMMM", "Jan January"),
        ("2024-06-02 00:05:07.1234567 +00:00", "d dd ddd dddd", "2 02 Sun Sunday"),
        ("2024-06-03 00:05:07.1234567 +00:00", "ddd dddd", "Mon Monday"),
        ("2024-06-01 00:05:07.1234567 +00:00", "H HH h hh t tt", "0 00 12 12 A AM"),
        ("2024-06-01 12:05:07.1234567 +00:00", "H HH h hh t tt", "12 12 12 12 P PM"),
        ("2024-06-01 13:05:07.1234567 +00:00", "H HH h hh t tt", "13 13 1 01 P PM"),
        ("2024-06-01 11:05:07.1234567 +00:00", "h tt", "11 AM"),
        ("2024-06-01 00:05:07.1234567 +00:00", "m mm s ss", "5 05 7 07"),
        ("2024-06-01 00:45:37.1234567 +00:00", "m mm s ss", "45 45 37 37"),
        (
            "2024-06-01 00:05:07.1234567 +00:00",
            "f ff fff ffff fffff ffffff",
            "1 12 123 1234 12345 123456",
        ),
        ("2024-06-01 00:05:07.1234567 +00:00", "fffffff", "1234560"),
        ("2024-06-01 00:05:07.1000000 +00:00", "F FF FFF|fff", "1 1 1|100"),
        ("2024-06-01 00:05:07.0000000 +00:00", "[F][FFF]", "[][]"),
        ("2024-06-01 00:05:07.1234567 +05:30", "z zz zzz", "+5 +05 +05:30"),
        ("2024-06-01 00:05:07.1234567 -07:00", "z zz zzz K", "-7 -07 -07:00 -07:00"),
        # A one-letter format is a standard format: "%K" is the custom specifier alone.
        ("2024-06-01 00:05:07.1234567 +00:00", "%K", "Z"),
        ("2024-06-01 00:05:07.1234567 +00:00", "'yyyy' \"MM\" \\d % x", "yyyy MM d  x"),
        ("2024-06-01 00:05:07.1234567 +00:00", "%d", "1"),
        ("2024-06-01 15:05:07.1234567 +00:00", "g", "6/1/2024 3:05 PM"),
        ("2024-06-01 15:05:07.1234567 +00:00", "f", "Saturday, June 1, 2024 3:05 PM"),
        ("2024-06-01 15:05:07.1234567 +00:00", "F", "Saturday, June 1, 2024 3:05:07 PM"),
        ("2024-06-01 15:05:07.1234567 +00:00", "M", "June 1"),
        ("2024-06-01 15:05:07.1234567 +00:00", "m", "June 1"),
        ("2024-06-01 15:05:07.1234567 +00:00", "y", "June 2024"),
        ("2024-06-01 15:05:07.1234567 +00:00", "Y", "June 2024"),
        ("2024-06-01 15:05:07.1234567 +00:00", "t", "3:05 PM"),
        ("2024-06-01 15:05:07.1234567 +00:00", "T", "3:05:07 PM"),
        ("2024-06-01 15:05:07.1234567 +00:00", "o", "2024-06-01T15:05:07.1234560Z"),
        ("2024-06-01 15:05:07.1234567 +02:00", "O", "2024-06-01T15:05:07.1234560+02:00"),
        # "u" writes universal time.
        ("2024-06-01 15:05:07.1234567 +02:00", "u", "2024-06-01 13:05:07Z"),
        ("2024-06-01 15:05:07.1234567 +02:00", "s", "2024-06-01T15:05:07"),
    ],
)
def test_formatdatetime_writes_each_specifier(value, output_format, expected):
    fmt = output_format.replace("\\", "\\\\").replace('"', '\\"')
    assert ev(f'FormatDateTime([d], , "{_IN}", "{fmt}")', {"d": value}) == expected


@pytest.mark.parametrize(
    ("value", "input_format", "expected"),
    [
        ("24-6-1", "yy-M-d", "2024-06-01 00:00:00 +00:00"),
        ("99-06-01", "yy-MM-dd", "2099-06-01 00:00:00 +00:00"),
        ("2024-Jun-01", "yyyy-MMM-dd", "2024-06-01 00:00:00 +00:00"),
        ("2024-December-01", "yyyy-MMMM-dd", "2024-12-01 00:00:00 +00:00"),
        ("Sat 2024-06-01", "ddd yyyy-MM-dd", "2024-06-01 00:00:00 +00:00"),
        ("Saturday 2024-06-01", "dddd yyyy-MM-dd", "2024-06-01 00:00:00 +00:00"),
        ("2024-06-01 7:5:9", "yyyy-MM-dd H:m:s", "2024-06-01 07:05:09 +00:00"),
        ("2024-06-01 07:05:09", "yyyy-MM-dd HH:mm:ss", "2024-06-01 07:05:09 +00:00"),
        ("2024-06-01 12:05 AM", "yyyy-MM-dd hh:mm tt", "2024-06-01 00:05:00 +00:00"),
        ("2024-06-01 12:05 PM", "yyyy-MM-dd hh:mm tt", "2024-06-01 12:05:00 +00:00"),
        ("2024-06-01 1:05 pm", "yyyy-MM-dd h:mm tt", "2024-06-01 13:05:00 +00:00"),
        ("2024-06-01 1:05 P", "yyyy-MM-dd h:mm t", "2024-06-01 13:05:00 +00:00"),
        ("2024-06-01 1:05", "yyyy-MM-dd h:mm", "2024-06-01 01:05:00 +00:00"),
        ("2024-06-01 1:05 PM", "yyyy-MM-dd H:mm tt", "2024-06-01 13:05:00 +00:00"),
        ("2024-06-01 13:05 PM", "yyyy-MM-dd H:mm tt", "2024-06-01 13:05:00 +00:00"),
        ("2024-06-01 1:05 AM", "yyyy-MM-dd H:mm tt", "2024-06-01 01:05:00 +00:00"),
        ("2024-06-01 1", "yyyy-MM-dd F", "2024-06-01 00:00:00.1 +00:00"),
        ("2024-06-01 125", "yyyy-MM-dd fff", "2024-06-01 00:00:00.125 +00:00"),
        ("2024-06-01 +05:30", "yyyy-MM-dd zzz", "2024-06-01 00:00:00 +05:30"),
        ("2024-06-01 -0700", "yyyy-MM-dd zzz", "2024-06-01 00:00:00 -07:00"),
        ("2024-06-01 -7", "yyyy-MM-dd z", "2024-06-01 00:00:00 -07:00"),
        ("2024-06-01 +11", "yyyy-MM-dd zz", "2024-06-01 00:00:00 +11:00"),
        ("2024-06-01 Z", "yyyy-MM-dd K", "2024-06-01 00:00:00 +00:00"),
        ("2024-06-01 ", "yyyy-MM-dd K", "2024-06-01 00:00:00 +00:00"),
        ("2024-06-01T01", "yyyy-MM-dd'T'HH", "2024-06-01 01:00:00 +00:00"),
        ("2024-06-01T01", 'yyyy-MM-dd\\"T\\"HH', "2024-06-01 01:00:00 +00:00"),
        ("2024-06-01T01", "yyyy-MM-dd\\\\THH", "2024-06-01 01:00:00 +00:00"),
        ("2024-06-01 1", "yyyy-MM-dd %H", "2024-06-01 01:00:00 +00:00"),
        ("2024.06.01", "yyyy.MM.dd", "2024-06-01 00:00:00 +00:00"),
        ("06/2024", "MM/yyyy", "2024-06-01 00:00:00 +00:00"),
        ("2024", "yyyy", "2024-01-01 00:00:00 +00:00"),
        ("05", "HH", "0001-01-01 05:00:00 +00:00"),
    ],
)
def test_formatdatetime_reads_each_specifier(value, input_format, expected):
    out = "yyyy-MM-dd HH:mm:ss.FFFFFFF zzz"
    assert ev(f'FormatDateTime([d], , "{input_format}", "{out}")', {"d": value}) == expected


@pytest.mark.parametrize(
    ("value", "input_format", "message"),
    [
        (
            "2024-02-30",
            "yyyy-MM-dd",
            "not a valid date: '2024-02-30' (day is out of range for month)",
        ),
        ("20240601", "yyyy-MM-dd", "'20240601' does not match the date format 'yyyy-MM-dd'"),
        ("2024-06-01x", "yyyy-MM-dd", "'2024-06-01x' does not match the date format 'yyyy-MM-dd'"),
        ("2024-6-01", "yyyy-MM-dd", "'2024-6-01' does not match the date format 'yyyy-MM-dd'"),
        ("2024 2024", "yyyy yyyy", "the date format 'yyyy yyyy' repeats a field"),
        ("2024", "Q", "unsupported standard date format 'Q'"),
        ("2024", "", "a date format must not be empty"),
    ],
)
def test_formatdatetime_input_errors_say_what(value, input_format, message):
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(f'FormatDateTime([d], , "{input_format}", "yyyy")', {"d": value})
    assert str(info.value) == f"{message} (at position 0)"


@pytest.mark.parametrize(
    "styles",
    [
        "None",
        "AllowLeadingWhite",
        "AllowTrailingWhite",
        "AllowInnerWhite",
        "AllowWhiteSpaces",
        "NoCurrentDateDefault",
        "AdjustToUniversal",
        "AssumeLocal",
        "AssumeUniversal",
        "RoundtripKind",
        "AllowLeadingWhite, AllowTrailingWhite",
        "AssumeUniversal|AdjustToUniversal",
        " assumeuniversal ,, ",
    ],
)
def test_formatdatetime_accepts_each_datetimestyles_name(styles):
    # The DateTimeStyles enumeration's names
    # (https://learn.microsoft.com/en-us/dotnet/api/system.globalization.datetimestyles).
    text = f'FormatDateTime([d], "{styles}", "yyyy-MM-dd", "yyyy/MM/dd")'
    assert ev(text, {"d": "2024-06-01"}) == "2024/06/01"


def test_formatdatetime_adjusts_to_universal_only_when_asked():
    text = 'FormatDateTime([d], "{}", "yyyy-MM-dd HH:mm zzz", "HH:mm zzz")'
    source = {"d": "2024-06-01 10:00 +02:00"}
    assert ev(text.format("AdjustToUniversal"), source) == "08:00 +00:00"
    assert ev(text.format("AssumeUniversal"), source) == "10:00 +02:00"
    assert ev(text.format(""), source) == "10:00 +02:00"
    # An empty source gives null: the attribute is skipped.
    assert ev(text.format(""), {"d": ""}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('DateAdd("yyyy", -1, CDate("2024-02-29"))', "2/28/2023 12:00:00 AM"),
        ('DateAdd("q", -1, CDate("2024-01-15"))', "10/15/2023 12:00:00 AM"),
        ('DateAdd("q", 2, CDate("2024-05-31"))', "11/30/2024 12:00:00 AM"),
        ('DateAdd("m", 1, CDate("2024-11-30"))', "12/30/2024 12:00:00 AM"),
        ('DateAdd("m", 1, CDate("2024-12-31"))', "1/31/2025 12:00:00 AM"),
        ('DateAdd("m", -1, CDate("2024-12-31"))', "11/30/2024 12:00:00 AM"),
        ('DateAdd("m", 13, CDate("2024-01-31"))', "2/28/2025 12:00:00 AM"),
        ('DateAdd("m", 0, CDate("2024-12-15T10:20:30Z"))', "12/15/2024 10:20:30 AM"),
        ('DateAdd("y", 3, CDate("2024-12-30"))', "1/2/2025 12:00:00 AM"),
        ('DateAdd("w", 3, CDate("2024-12-30"))', "1/2/2025 12:00:00 AM"),
        ('DateAdd("ww", -1, CDate("2024-01-03"))', "12/27/2023 12:00:00 AM"),
        ('DateAdd("h", -1, CDate("2024-01-01"))', "12/31/2023 11:00:00 PM"),
        ('DateAdd("n", 1, CDate("2024-01-01"))', "1/1/2024 12:01:00 AM"),
        ('DateAdd("s", 61, CDate("2024-01-01"))', "1/1/2024 12:01:01 AM"),
        ('DateAdd("d", 1, "2024-01-01")', "1/2/2024 12:00:00 AM"),
    ],
)
def test_dateadd_each_interval(text, expected):
    # VBA DateAdd's intervals (https://learn.microsoft.com/en-us/office/vba/language/reference/user-interface-help/dateadd-function):
    # "y" and "w" add days, a month end is kept inside the shorter month.
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("interval", "first", "second", "expected"),
    [
        ("yyyy", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", 1),
        ("q", "2024-03-31", "2024-04-01", 1),
        ("q", "2024-01-01", "2024-03-31", 0),
        ("q", "2023-12-31", "2024-01-01", 1),
        ("q", "2024-06-30", "2024-07-01", 1),
        ("q", "2024-09-30", "2024-10-01", 1),
        ("m", "2024-01-31", "2024-02-01", 1),
        ("m", "2023-12-01", "2024-01-01", 1),
        ("m", "2024-02-01", "2023-12-31", -2),
        # Weeks start on Sunday: Saturday to Sunday crosses one week boundary.
        ("ww", "2024-06-01", "2024-06-02", 1),
        ("ww", "2024-06-02", "2024-06-08", 0),
        ("ww", "2024-06-08T23:00:00Z", "2024-06-09T01:00:00Z", 1),
        ("ww", "2024-06-09", "2024-06-01", -2),
        ("w", "2024-06-01", "2024-06-08", 1),
        ("w", "2024-06-01", "2024-06-07T23:00:00Z", 0),
        ("w", "2024-06-08", "2024-06-01T01:00:00Z", 0),
        ("y", "2024-06-01", "2024-06-03", 2),
        ("d", "2024-06-03", "2024-06-01T01:00:00Z", -1),
        ("d", "2024-06-01", "2024-06-01T23:59:59Z", 0),
        ("h", "2024-06-01T00:00:00Z", "2024-06-01T01:59:59Z", 1),
        ("h", "2024-06-01T01:59:59Z", "2024-06-01T00:00:00Z", -1),
        ("n", "2024-06-01T00:00:00Z", "2024-06-01T00:01:59Z", 1),
        ("n", "2024-06-01T00:01:59Z", "2024-06-01T00:00:00Z", -1),
        ("s", "2024-06-01T00:00:00Z", "2024-06-01T00:01:01Z", 61),
    ],
)
def test_datediff_each_interval(interval, first, second, expected):
    # VBA DateDiff (https://learn.microsoft.com/en-us/office/vba/language/reference/user-interface-help/datediff-function):
    # calendar intervals count the boundaries crossed; the others count whole units.
    text = f'DateDiff("{interval}", CDate([a]), CDate([b]))'
    assert ev(text, {"a": first, "b": second}) == expected


def test_datediff_of_a_null_second_date_is_null():
    assert ev('DateDiff("d", Now(), [missing])') is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-07T10:11:12.1234567Z", "3/7/2024 10:11:12 AM"),
        ("2024-03-07T10:11:12-0130", "3/7/2024 11:41:12 AM"),
        ("2024-03-07T10:11:12+01", "3/7/2024 9:11:12 AM")
        if False
        else ("2024-3-7 1:02", "3/7/2024 1:02:00 AM"),
        (" 2024-03-07 ", "3/7/2024 12:00:00 AM"),
        ("3/7/2024 1:02:03 pm", "3/7/2024 1:02:03 PM"),
        ("3/7/2024 1:02 AM", "3/7/2024 1:02:00 AM"),
        ("12/31/2024 12:00:00 PM", "12/31/2024 12:00:00 PM"),
        ("3/7/2024 10:00:00 PM +02:00", "3/7/2024 8:00:00 PM"),
        ("3/7/2024 10:00:00 PM Z", "3/7/2024 10:00:00 PM"),
        ("3/7/2024 22:00 -0100", "3/7/2024 11:00:00 PM"),
    ],
)
def test_cdate_reads_offsets_and_clock_forms(value, expected):
    assert ev("CDate([d])", {"d": value}) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-13-01", "not a valid date: '2024-13-01' (month must be in 1..12)"),
        ("13/1/2024", "not a valid date: '13/1/2024' (month must be in 1..12)"),
        ("2024-01-01T25:00", "not a valid date: '2024-01-01T25:00' (hour must be in 0..23)"),
        ("soon", "not a recognised date/time: 'soon'"),
    ],
)
def test_cdate_errors_say_what(value, message):
    with pytest.raises(ExpressionEvaluationError) as info:
        ev('Join("", CDate([d]))', {"d": value})
    assert str(info.value) == f"{message} (at position 9)"


def test_numfromdate_counts_tenths_of_microseconds():
    # Active Directory's FileTime: 100-nanosecond intervals since 1601-01-01 UTC
    # (https://learn.microsoft.com/en-us/windows/win32/api/minwinbase/ns-minwinbase-filetime).
    assert ev('NumFromDate("1601-01-01T00:00:00Z")') == 0
    assert ev('NumFromDate("1601-01-02T00:00:01.5Z")') == (86_401 * 10_000_000) + 5_000_000
    assert ev("DateFromNum(0)") == "1/1/1601 12:00:00 AM"
    assert ev("DateFromNum(15)") == "1/1/1601 12:00:00 AM"
    assert ev('DateFromNum("864010000000")') == "1/2/1601 12:00:01 AM"
    assert ev('FormatDateTime(DateFromNum(864015000000), , "x", "ss.fff")') == "01.500"


@pytest.mark.parametrize(
    ("value", "output_format", "expected"),
    [
        # "yyy": the year with at least three digits; "yyyyy": five.
        ("0900-06-01", "yyy|yyyyy", "900|00900"),
        ("2009-06-01", "yyy", "2009"),
        # "F": an empty fraction writes nothing, and the decimal point before it goes too.
        ("2024-06-01T10:00:07.000", "ss.FFF", "07"),
        ("2024-06-01T10:00:07.500", "ss.FFF", "07.5"),
        ("2024-06-01T10:00:07.000", "ss.fff", "07.000"),
    ],
)
def test_formatdatetime_year_and_fraction_as_dotnet_writes_them(value, output_format, expected):
    # https://learn.microsoft.com/en-us/dotnet/standard/base-types/custom-date-and-time-format-strings
    text = f'FormatDateTime([d], , "yyyy-MM-ddTHH:mm:ss.fff", "{output_format}")'
    if "T" not in value:
        text = f'FormatDateTime([d], , "yyyy-MM-dd", "{output_format}")'
    assert ev(text, {"d": value}) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('DateAdd("d", 1, "soon")', "not a recognised date/time: 'soon'"),
        ('DateDiff("d", "soon", "2024-01-01")', "not a recognised date/time: 'soon'"),
        ('DateDiff("d", "2024-01-01", "soon")', "not a recognised date/time: 'soon'"),
        ('NumFromDate("soon")', "not a recognised date/time: 'soon'"),
        (
            'Replace("a", , "(", , "", , )',
            "invalid regular expression '(': missing ), unterminated subpattern at position 0",
        ),
    ],
)
def test_errors_inside_a_call_name_its_position(text, message):
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(f'Join("", {text})')
    assert str(info.value) == f"{message} (at position 9)"


def test_datediff_weeks_ignore_the_time_of_day():
    text = 'DateDiff("ww", CDate("2024-06-08T10:00:00.5Z"), CDate("2024-06-09T10:00:00Z"))'
    assert ev(text) == 1


@pytest.mark.parametrize(
    ("value", "output_format", "expected"),
    [
        # A source value that is a date without an offset (.NET's DateTimeKind.Unspecified):
        # "K" writes nothing, "zzz" the engine's offset (UTC).
        (datetime(2024, 6, 1, 10, 5, 7), "yyyy|%K|HH", "2024||10"),
        (datetime(2024, 6, 1, 10, 5, 7), "Kyyyy", "2024"),
        (datetime(2024, 6, 1, 10, 5, 7), "zzz", "+00:00"),
        (datetime(2024, 6, 1, 10, 5, 7, tzinfo=UTC), "KHH", "Z10"),
        # A letter that is no specifier is written as it is.
        (datetime(2024, 6, 1, 10, 5, 7, tzinfo=UTC), "yyyy X", "2024 X"),
        # The decimal point dropped with an empty "F" is the one just before it.
        (datetime(2024, 6, 1, 10, 5, 7, tzinfo=UTC), "HHmm.FFF", "1005"),
        (datetime(2024, 6, 1, 10, 5, 7, tzinfo=UTC), "HH'h.'FFF", "10h"),
    ],
)
def test_formatdatetime_of_date_values(value, output_format, expected):
    assert ev(f'FormatDateTime([d], , "ignored", "{output_format}")', {"d": value}) == expected


@pytest.mark.parametrize(
    ("output_format", "message"),
    [("Q", "unsupported standard date format 'Q'"), ("", "a date format must not be empty")],
)
def test_formatdatetime_output_format_errors_name_the_call(output_format, message):
    with pytest.raises(ExpressionEvaluationError) as info:
        ev(f'Join("", FormatDateTime("2024", , "yyyy", "{output_format}"))')
    assert str(info.value) == f"{message} (at position 9)"


@pytest.mark.parametrize(
    ("value", "input_format", "expected"),
    [
        # ParseExact reads "dd" and "yyy" with exactly that many digits.
        ("2024-06-1", "yyyy-MM-dd", None),
        ("2024-06-01", "yyyy-MM-dd", "2024-06-01"),
        ("024-06-01", "yyy-MM-dd", "0024-06-01"),
        ("24-06-01", "yyy-MM-dd", None),
    ],
)
def test_formatdatetime_reads_fields_of_fixed_width(value, input_format, expected):
    text = f'FormatDateTime([d], , "{input_format}", "yyyy-MM-dd")'
    if expected is None:
        with pytest.raises(ExpressionEvaluationError, match="does not match the date format"):
            ev(text, {"d": value})
    else:
        assert ev(text, {"d": value}) == expected


@pytest.mark.parametrize(
    ("value", "input_format", "expected"),
    [
        # "mm" and "ss" take exactly two digits; "zzz" needs an offset, "K" may go without.
        ("2024-06-01 10:5", "yyyy-MM-dd HH:mm", None),
        ("2024-06-01 1:05", "yyyy-MM-dd HH:mm", None),
        ("2024-06-01 1:05", "yyyy-MM-dd hh:mm", None),
        ("2024-06-01 10:05:7", "yyyy-MM-dd HH:mm:ss", None),
        ("2024-06-01 ", "yyyy-MM-dd zzz", None),
        ("2024-06-01 ", "yyyy-MM-dd K", "2024-06-01"),
        # A letter that is no specifier must be there as it is.
        ("2024X06", "yyyyXMM", "2024-06-01"),
        ("2024106", "yyyyXMM", None),
    ],
)
def test_formatdatetime_reads_two_digit_fields_and_offsets(value, input_format, expected):
    text = f'FormatDateTime([d], , "{input_format}", "yyyy-MM-dd")'
    if expected is None:
        with pytest.raises(ExpressionEvaluationError, match="does not match the date format"):
            ev(text, {"d": value})
    else:
        assert ev(text, {"d": value}) == expected


@pytest.mark.parametrize(
    ("value", "input_format", "output_format", "expected"),
    [
        ("2024-06-01 12:05 PM", "yyyy-MM-dd H:mm tt", "HH:mm", "12:05"),
        ("2024-06-01 12:05 AM", "yyyy-MM-dd h:mm tt", "HH:mm", "00:05"),
        # Without an offset in the text the time is universal.
        ("2024-06-01", "yyyy-MM-dd", "%K", "Z"),
        # An offset's last two digits are its minutes.
        ("2024-06-01 -730", "yyyy-MM-dd zzz", "zzz", "-07:30"),
        ("2024-06-01 +1030", "yyyy-MM-dd zzz", "zzz", "+10:30"),
    ],
)
def test_formatdatetime_reads_noon_midnight_and_offsets(
    value, input_format, output_format, expected
):
    text = f'FormatDateTime([d], , "{input_format}", "{output_format}")'
    assert ev(text, {"d": value}) == expected


def test_formatdatetime_input_errors_name_the_call():
    with pytest.raises(ExpressionEvaluationError) as info:
        ev('Join("", FormatDateTime("x", , "yyyy", "yyyy"))')
    assert str(info.value) == "'x' does not match the date format 'yyyy' (at position 9)"


@pytest.fixture
def machine_in_new_york(monkeypatch: pytest.MonkeyPatch):
    """The process's local time zone set to America/New_York (UTC-5/-4) for one test."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("machine_in_new_york")
def test_dates_are_utc_whatever_the_machine_time_zone():
    # CDate and Now return UTC (Microsoft's function reference); the machine's own zone
    # never shows.
    assert ev('CDate("2024-03-07T10:00:00+02:00")') == "3/7/2024 8:00:00 AM"
    assert ev('DateAdd("d", 1, CDate("2024-03-07T10:00:00+02:00"))') == "3/8/2024 8:00:00 AM"
    clock = EvaluationContext(now=lambda: datetime(2024, 6, 1, 12, 0, tzinfo=UTC))
    assert ev("Now()", context=clock) == "6/1/2024 12:00:00 PM"


def test_a_datetime_without_a_zone_is_utc():
    # A datetime value (a source attribute, a clock) without a zone is read as UTC, as a date
    # text without an offset is: it compares with and subtracts from dated values.
    clock = EvaluationContext(now=lambda: datetime(2024, 6, 1, 12, 0))
    assert ev('DateDiff("d", CDate("2024-01-01"), Now())', context=clock) == 152
    assert ev('IIF(CDate("2024-01-01") < Now(), "t", "f")', context=clock) == "t"
    naive = {"d": datetime(2024, 3, 7, 10, 0)}
    assert ev('IIF(CDate([d]) = CDate("2024-03-07T10:00:00Z"), "t", "f")', naive) == "t"
    assert ev('DateDiff("h", CDate([d]), CDate("2024-03-07T12:00:00Z"))', naive) == 2
