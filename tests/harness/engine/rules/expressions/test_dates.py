"""Dates in the expression functions: CDate, FormatDateTime, DateAdd, DateDiff and .NET formats,
as Microsoft's function reference describes them unless a comment says otherwise."""

from __future__ import annotations

from datetime import datetime

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
