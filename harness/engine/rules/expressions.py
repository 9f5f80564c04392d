"""Entra ID attribute-mapping expressions: parser and evaluator.

The language (Microsoft Learn, "Reference for writing expressions for attribute mappings"):
function calls ``Name(arg, ...)`` nested freely, attributes in square brackets
``[userPrincipalName]``, string constants in double quotes with ``\\`` escaping ``\\`` and
``"``, numbers (``7``, ``-10``, VBA hex ``&HF7``), empty arguments (``Switch([x], , "a", "b")``),
the VBA compare constants ``vbTextCompare``/``vbBinaryCompare``, and the comparison operators
``= <> > >= < <=`` that IIF conditions use (``IIF([country]="USA", ...)``).

``parse_expression(text)`` parses once per distinct text (cached) and raises
:class:`ExpressionError` naming the position of the problem. ``Expression.evaluate(source)``
looks attributes up case-insensitively in ``source`` and returns the value to flow:
``None`` (skip the attribute: Entra cannot provision nulls), :data:`IGNORE_FLOW` (the
``IgnoreFlowIfNullOrEmpty`` sentinel: drop the attribute from the flow), a string, a bool,
an int, a list (multi-valued), or role objects (:class:`AppRoleValue`, :class:`RoleList`).
Date values are rendered in the documented ``M/d/yyyy h:mm:ss tt`` form at the end.

Time and randomness (``Now``, ``Guid``, ``RandomString``) come from an
:class:`EvaluationContext`, so a lab's virtual clock and seed make results repeatable.
"""

from __future__ import annotations

import base64
import math
import random
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

__all__ = [
    "IGNORE_FLOW",
    "AppRoleValue",
    "EvaluationContext",
    "Expression",
    "ExpressionError",
    "ExpressionEvaluationError",
    "RoleList",
    "SourceView",
    "build_expression",
    "dotnet_str",
    "function_definitions",
    "parse_expression",
    "parse_expression_result",
    "supported_functions",
]

MAX_EXPRESSION_LENGTH = 10_000  # documented limit for attribute-mapping expressions (KI)
MAX_NESTING = 64  # not documented; keeps evaluation far from Python's recursion limit


class ExpressionError(ValueError):
    """A malformed expression: ``position`` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{message} (at position {position})")


class ExpressionEvaluationError(ExpressionError):
    """An expression that parsed but cannot be evaluated for this object (e.g. a bad date)."""


class _IgnoreFlow:
    """The sentinel type of :data:`IGNORE_FLOW`."""

    _instance: _IgnoreFlow | None = None

    def __new__(cls) -> _IgnoreFlow:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "IGNORE_FLOW"

    def __bool__(self) -> bool:
        return False


IGNORE_FLOW = _IgnoreFlow()
"""Returned by ``evaluate`` when ``IgnoreFlowIfNullOrEmpty`` fired: the caller drops the attribute."""


class _IgnoreSignal(Exception):
    """Raised inside evaluation so an IgnoreFlowIfNullOrEmpty anywhere drops the whole flow."""


class AppRoleValue(str):
    """The single role string ``SingleAppRoleAssignment`` returns, keeping the role's identity.

    Entra sends the role differently in POST and PATCH (reference §3.9), so the payload
    builders need the role's ``id`` and ``displayName`` beside its value.
    """

    role_id: str | None
    display_name: str | None

    def __new__(cls, value: str, role_id: str | None = None, display_name: str | None = None):
        obj = super().__new__(cls, value)
        obj.role_id = role_id
        obj.display_name = display_name
        return obj


class RoleList(list):
    """Role objects from ``AppRoleAssignmentsComplex`` (``assertive=False``: PATCH adds only)
    or ``AssertiveAppRoleAssignmentsComplex`` (``assertive=True``: PATCH replaces the roles)."""

    def __init__(
        self,
        roles: Iterable[dict[str, Any]] = (),
        *,
        assertive: bool = False,
        role_ids: Iterable[str | None] = (),
    ) -> None:
        super().__init__(roles)
        self.assertive = assertive
        # The appRoleId of each role, in order (the default-dialect PATCH sends it).
        self.role_ids: list[str | None] = list(role_ids)


@dataclass
class EvaluationContext:
    """Where time, randomness and uniqueness checks come from during evaluation."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rng: random.Random = field(default_factory=random.Random)
    # SelectUniqueValue asks this whether a candidate is free in the target.
    is_unique: Callable[[str], bool] = field(default=lambda value: True)


_DEFAULT_CONTEXT = EvaluationContext()


class SourceView(Mapping[str, Any]):
    """A source object whose keys are looked up case-insensitively, as Entra does.

    Wrap an object once and evaluate every mapping against the view: the lower-cased index is
    built once, not per attribute.
    """

    __slots__ = ("_data", "_folded")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data
        self._folded: dict[str, str] | None = None

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        if self._folded is None:
            self._folded = {str(k).casefold(): k for k in self._data}
        real = self._folded.get(key.casefold())
        if real is None:
            raise KeyError(key)
        return self._data[real]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def as_source_view(source: Mapping[str, Any]) -> SourceView:
    """``source`` as a :class:`SourceView` (returned unchanged if it already is one)."""
    return source if isinstance(source, SourceView) else SourceView(source)


# --------------------------------------------------------------------------------------------
# Value conversions (.NET flavoured, since the engine is .NET)
# --------------------------------------------------------------------------------------------


def _format_us_datetime(value: datetime) -> str:
    """``M/d/yyyy h:mm:ss tt`` in UTC, the documented output of CDate, DateAdd and Now."""
    value = _to_utc(value)
    hour = value.hour % 12 or 12
    ampm = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d}:{value.second:02d} {ampm}"


def dotnet_str(value: Any) -> str | None:
    """A value as .NET's ``ToString()`` would write it (``True``/``False`` for booleans)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return _format_us_datetime(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_bool(value: Any, position: int) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip()
    if text.casefold() == "true":
        return True
    if text.casefold() == "false":
        return False
    try:
        return float(text) != 0
    except ValueError:
        raise ExpressionEvaluationError(f"cannot convert {text!r} to a boolean", position) from None


def _to_int(value: Any, what: str, position: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"&[Hh][0-9A-Fa-f]+", text):
            return int(text[2:], 16)
    raise ExpressionEvaluationError(f"{what} must be an integer, not {value!r}", position)


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Dates: CDate parsing, .NET custom format strings, AD FileTime
# --------------------------------------------------------------------------------------------

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

_ISO_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,7}))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_US_DATE = re.compile(
    r"(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<tt>AM|PM|am|pm)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


def _tz_from_text(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(value: Any, position: int = 0) -> datetime:
    """A date/time as CDate reads it: ISO 8601 (offset optional, also ``2020-03-16-07:00``),
    ``M/d/yyyy h:mm:ss tt``, or a datetime. Returned in UTC; a missing offset means UTC."""
    if isinstance(value, datetime):
        return _to_utc(value)
    if value is None:
        raise ExpressionEvaluationError("cannot convert a null value to a date", position)
    text = str(value).strip()
    match = _ISO_DATE.fullmatch(text)
    if match:
        hour = int(match["h"] or 0)
        fraction = int((match["f"] or "0").ljust(6, "0")[:6])
        try:
            parsed = datetime(
                int(match["y"]),
                int(match["mo"]),
                int(match["d"]),
                hour,
                int(match["mi"] or 0),
                int(match["s"] or 0),
                fraction,
                tzinfo=_tz_from_text(match["tz"]),
            )
        except ValueError as exc:
            raise ExpressionEvaluationError(
                f"not a valid date: {text!r} ({exc})", position
            ) from None
        return _to_utc(parsed)
    match = _US_DATE.fullmatch(text)
    if match:
        hour = int(match["h"] or 0)
        if match["tt"]:
            hour = hour % 12 + (12 if match["tt"].upper() == "PM" else 0)
        try:
            parsed = datetime(
                int(match["y"]),
                int(match["mo"]),
                int(match["d"]),
                hour,
                int(match["mi"] or 0),
                int(match["s"] or 0),
                tzinfo=_tz_from_text(match["tz"]),
            )
        except ValueError as exc:
            raise ExpressionEvaluationError(
                f"not a valid date: {text!r} ({exc})", position
            ) from None
        return _to_utc(parsed)
    raise ExpressionEvaluationError(f"not a recognised date/time: {text!r}", position)


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_STANDARD_FORMATS = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "M": "MMMM d",
    "m": "MMMM d",
    "o": "yyyy-MM-ddTHH:mm:ss.fffffffK",
    "O": "yyyy-MM-ddTHH:mm:ss.fffffffK",
    "s": "yyyy-MM-ddTHH:mm:ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy-MM-dd HH:mm:ssZ",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
}
_TOKEN = re.compile(
    r"yyyy+|yy|y|MMMM+|MMM|MM|M|dddd+|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|F{1,7}|tt|t|zzz|zz|z|K"
    r"|'[^']*'|\"[^\"]*\"|\\.|%|."
)


def _format_tokens(fmt: str, position: int) -> list[str]:
    if not fmt:
        raise ExpressionEvaluationError("a date format must not be empty", position)
    if len(fmt) == 1:
        if fmt not in _STANDARD_FORMATS:
            raise ExpressionEvaluationError(f"unsupported standard date format {fmt!r}", position)
        fmt = _STANDARD_FORMATS[fmt]
    return _TOKEN.findall(fmt)


def format_datetime(value: datetime, fmt: str, position: int = 0) -> str:
    """``value`` written with a .NET date/time format string (custom or one-letter standard)."""
    if fmt in ("u",):
        value = _to_utc(value)
    out: list[str] = []
    for tok in _format_tokens(fmt, position):
        c = tok[0]
        if tok.startswith(("'", '"')):
            out.append(tok[1:-1])
        elif c == "\\":
            out.append(tok[1:])
        elif c == "%":
            continue
        elif c == "y":
            if len(tok) == 1:
                out.append(str(value.year % 100))
            elif len(tok) == 2:
                out.append(f"{value.year % 100:02d}")
            else:
                out.append(f"{value.year:0{len(tok)}d}")
        elif c == "M":
            out.append(
                str(value.month)
                if len(tok) == 1
                else f"{value.month:02d}"
                if len(tok) == 2
                else _MONTHS[value.month - 1][:3]
                if len(tok) == 3
                else _MONTHS[value.month - 1]
            )
        elif c == "d":
            out.append(
                str(value.day)
                if len(tok) == 1
                else f"{value.day:02d}"
                if len(tok) == 2
                else _DAYS[value.weekday()][:3]
                if len(tok) == 3
                else _DAYS[value.weekday()]
            )
        elif c == "H":
            out.append(str(value.hour) if len(tok) == 1 else f"{value.hour:02d}")
        elif c == "h":
            hour = value.hour % 12 or 12
            out.append(str(hour) if len(tok) == 1 else f"{hour:02d}")
        elif c == "m":
            out.append(str(value.minute) if len(tok) == 1 else f"{value.minute:02d}")
        elif c == "s":
            out.append(str(value.second) if len(tok) == 1 else f"{value.second:02d}")
        elif c in "fF":
            digits = f"{value.microsecond:06d}0"[: len(tok)]
            out.append(digits if c == "f" else digits.rstrip("0"))
        elif c == "t":
            ampm = "AM" if value.hour < 12 else "PM"
            out.append(ampm if len(tok) == 2 else ampm[0])
        elif c in "zK":
            offset = value.utcoffset()
            if c == "K" and offset is None:
                continue
            if c == "K" and offset == timedelta(0) and value.tzinfo is UTC:
                out.append("Z")
                continue
            offset = offset or timedelta(0)
            sign = "-" if offset < timedelta(0) else "+"
            minutes = abs(int(offset.total_seconds())) // 60
            hh, mm = divmod(minutes, 60)
            out.append(
                f"{sign}{hh}"
                if tok == "z"
                else f"{sign}{hh:02d}"
                if tok == "zz"
                else f"{sign}{hh:02d}:{mm:02d}"
            )
        else:
            out.append(tok)
    return "".join(out)


def parse_datetime_exact(text: str, fmt: str, position: int = 0) -> datetime:
    """``text`` read with a .NET custom format (``DateTime.ParseExact``); leading and trailing
    white space allowed (the documented default styles). Keeps a parsed offset; no offset → UTC."""
    pattern: list[str] = []
    for tok in _format_tokens(fmt, position):
        c = tok[0]
        if tok.startswith(("'", '"')):
            pattern.append(re.escape(tok[1:-1]))
        elif c == "\\":
            pattern.append(re.escape(tok[1:]))
        elif c == "%":
            continue
        elif c == "y":
            pattern.append(r"(?P<y2>\d{2})" if len(tok) <= 2 else rf"(?P<y>\d{{{len(tok)}}})")
        elif c == "M":
            if len(tok) >= 3:
                names = _MONTHS if len(tok) > 3 else [m[:3] for m in _MONTHS]
                pattern.append("(?P<mon>" + "|".join(names) + ")")
            else:
                pattern.append(r"(?P<M>\d{1,2})" if len(tok) == 1 else r"(?P<M>\d{2})")
        elif c == "d":
            if len(tok) >= 3:
                names = _DAYS if len(tok) > 3 else [d[:3] for d in _DAYS]
                pattern.append("(?:" + "|".join(names) + ")")
            else:
                pattern.append(r"(?P<d>\d{1,2})" if len(tok) == 1 else r"(?P<d>\d{2})")
        elif c in "Hh":
            group = "H" if c == "H" else "h"
            pattern.append(
                rf"(?P<{group}>\d{{1,2}})" if len(tok) == 1 else rf"(?P<{group}>\d{{2}})"
            )
        elif c == "m":
            pattern.append(r"(?P<m>\d{1,2})" if len(tok) == 1 else r"(?P<m>\d{2})")
        elif c == "s":
            pattern.append(r"(?P<s>\d{1,2})" if len(tok) == 1 else r"(?P<s>\d{2})")
        elif c == "f":
            pattern.append(rf"(?P<f>\d{{{len(tok)}}})")
        elif c == "F":
            pattern.append(rf"(?P<f>\d{{0,{len(tok)}}})")
        elif c == "t":
            pattern.append(r"(?P<tt>AM|PM|am|pm)" if len(tok) == 2 else r"(?P<tt>[AaPp])")
        elif c in "zK":
            optional = "?" if c == "K" else ""
            pattern.append(r"(?P<z>Z|[+-]\d{1,2}(?::?\d{2})?)" + optional)
        else:
            pattern.append(re.escape(tok))
    try:
        regex = re.compile(r"\s*" + "".join(pattern) + r"\s*")
    except re.error:
        raise ExpressionEvaluationError(
            f"the date format {fmt!r} repeats a field", position
        ) from None
    match = regex.fullmatch(text)
    if not match:
        raise ExpressionEvaluationError(
            f"{text!r} does not match the date format {fmt!r}", position
        )
    parts = match.groupdict()
    year = (
        int(parts["y"]) if parts.get("y") else (2000 + int(parts["y2"]) if parts.get("y2") else 1)
    )
    if parts.get("mon"):
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(parts["mon"]))
    else:
        month = int(parts.get("M") or 1)
    hour = int(parts.get("H") or 0)
    if parts.get("h"):
        hour = int(parts["h"]) % 12
        if (parts.get("tt") or "A").upper().startswith("P"):
            hour += 12
    elif parts.get("tt") and parts["tt"].upper().startswith("P") and hour < 12:
        hour += 12
    fraction = int((parts.get("f") or "0").ljust(6, "0")[:6] or 0)
    tz: timezone = UTC
    if parts.get("z"):
        raw = parts["z"]
        if raw != "Z":
            sign = -1 if raw[0] == "-" else 1
            body = raw[1:].replace(":", "")
            hours = int(body[:-2]) if len(body) > 2 else int(body)
            minutes = int(body[-2:]) if len(body) > 2 else 0
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            year,
            month,
            int(parts.get("d") or 1),
            hour,
            int(parts.get("m") or 0),
            int(parts.get("s") or 0),
            fraction,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ExpressionEvaluationError(f"not a valid date: {text!r} ({exc})", position) from None


def _add_months(value: datetime, months: int) -> datetime:
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    next_month = datetime(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return value.replace(year=year, month=month, day=min(value.day, last_day))


_INTERVALS = ("yyyy", "q", "m", "y", "d", "w", "ww", "h", "n", "s")


def _check_interval(interval: Any, position: int) -> str:
    text = dotnet_str(interval)
    if text not in _INTERVALS:
        raise ExpressionEvaluationError(
            f"unknown interval {interval!r}; use one of yyyy, m, d, ww, h, n, s", position
        )
    return text


def _date_add(interval: str, amount: int, value: datetime) -> datetime:
    if interval == "yyyy":
        return _add_months(value, 12 * amount)
    if interval == "q":
        return _add_months(value, 3 * amount)
    if interval == "m":
        return _add_months(value, amount)
    if interval in ("d", "y", "w"):
        return value + timedelta(days=amount)
    if interval == "ww":
        return value + timedelta(weeks=amount)
    if interval == "h":
        return value + timedelta(hours=amount)
    if interval == "n":
        return value + timedelta(minutes=amount)
    return value + timedelta(seconds=amount)


def _trunc(x: float) -> int:
    return math.trunc(x)


def _date_diff(interval: str, first: datetime, second: datetime) -> int:
    # Calendar intervals count boundaries crossed (VB DateDiff); time intervals truncate.
    if interval == "yyyy":
        return second.year - first.year
    if interval == "q":
        return (second.year * 4 + (second.month - 1) // 3) - (
            first.year * 4 + (first.month - 1) // 3
        )
    if interval == "m":
        return (second.year * 12 + second.month) - (first.year * 12 + first.month)
    if interval == "ww":

        def week_start(d: datetime) -> datetime:
            day = d.replace(hour=0, minute=0, second=0, microsecond=0)
            return day - timedelta(days=(d.weekday() + 1) % 7)  # weeks start on Sunday

        return (week_start(second) - week_start(first)).days // 7
    seconds = (second - first).total_seconds()
    if interval in ("d", "y"):
        return _trunc(seconds / 86400)
    if interval == "w":
        return _trunc(seconds / (86400 * 7))
    if interval == "h":
        return _trunc(seconds / 3600)
    if interval == "n":
        return _trunc(seconds / 60)
    return _trunc(seconds)


# --------------------------------------------------------------------------------------------
# Strings
# --------------------------------------------------------------------------------------------

# Letters the documented NormalizeDiacritics table maps to more than one letter, or which
# Unicode decomposition does not reduce (l with stroke, o with stroke, dotless i, ...).
_DIACRITIC_SPECIAL = {
    "æ": "ae",
    "ǣ": "ae",
    "Æ": "AE",
    "Ǣ": "AE",
    "ø": "oe",
    "Ø": "OE",
    "œ": "oe",
    "Œ": "OE",
    "ß": "ss",
    "ł": "l",
    "Ł": "L",
    "\u0131": "i",
    "đ": "d",
    "Đ": "D",
}


def normalize_diacritics(text: str) -> str:
    """Letters with diacritics replaced by plain ones, per the documented table."""
    out: list[str] = []
    for char in text:
        if char in _DIACRITIC_SPECIAL:
            out.append(_DIACRITIC_SPECIAL[char])
            continue
        # Decomposing drops accents, including combining marks written as separate characters.
        base = unicodedata.normalize("NFD", char)
        out.append("".join(c for c in base if unicodedata.category(c) != "Mn"))
    return "".join(out)


_TITLE_SEPARATOR_CATEGORIES = {
    "Zs",
    "Zl",
    "Zp",
    "Cc",
    "Cf",
    "Pc",
    "Pd",
    "Ps",
    "Pe",
    "Pi",
    "Pf",
    "Po",
    "Sm",
    "Sc",
    "Sk",
    "So",
}


def proper_case(text: str, separators: str | None) -> str:
    """PCase: first letter of each word upper case, the rest lower case."""
    out: list[str] = []
    start_of_word = True
    for char in text:
        if separators is not None:
            is_separator = char in separators
        else:
            # .NET ToTitleCase keeps apostrophes inside words ("O'neil").
            is_separator = char not in "'\u2019" and (
                char.isspace() or unicodedata.category(char) in _TITLE_SEPARATOR_CATEGORIES
            )
        if is_separator:
            out.append(char)
            start_of_word = True
        else:
            out.append(char.upper() if start_of_word else char.lower())
            start_of_word = False
    return "".join(out)


_RANDOM_SPECIALS = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"


def random_string(
    rng: random.Random,
    length: int,
    numbers: int,
    specials: int,
    capitals: int,
    lowers: int,
    avoid: str,
    position: int,
) -> str:
    if length < 1 or length > 256:
        raise ExpressionEvaluationError("RandomString length must be between 1 and 256", position)
    if min(numbers, specials, capitals, lowers) < 0:
        raise ExpressionEvaluationError("RandomString minimums must not be negative", position)
    if numbers + specials + capitals + lowers > length:
        raise ExpressionEvaluationError(
            "RandomString length is smaller than the sum of its minimums", position
        )
    pools = [
        "".join(c for c in "0123456789" if c not in avoid),
        "".join(c for c in _RANDOM_SPECIALS if c not in avoid),
        "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in avoid),
        "".join(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in avoid),
    ]
    chars: list[str] = []
    for pool, count in zip(pools, (numbers, specials, capitals, lowers), strict=True):
        if count and not pool:
            raise ExpressionEvaluationError(
                "RandomString: every character of a class is avoided", position
            )
        chars.extend(rng.choice(pool) for _ in range(count))
    # The rest is drawn from the classes that have a minimum, or all classes if none has one.
    wanted = [p for p, n in zip(pools, (numbers, specials, capitals, lowers), strict=True) if n]
    rest = "".join(wanted or pools)
    if len(chars) < length and not rest:
        raise ExpressionEvaluationError("RandomString: no characters left to choose from", position)
    chars.extend(rng.choice(rest) for _ in range(length - len(chars)))
    rng.shuffle(chars)
    return "".join(chars)


def dotnet_regex(pattern: str, position: int) -> re.Pattern[str]:
    """A .NET regular expression compiled for Python (named groups ``(?<name>...)``)."""
    translated = re.sub(r"\(\?<(?![=!])([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)
    translated = re.sub(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P=\1)", translated)
    try:
        return _compile_cached(translated)
    except re.error as exc:
        raise ExpressionEvaluationError(
            f"invalid regular expression {pattern!r}: {exc}", position
        ) from None


@lru_cache(maxsize=512)
def _compile_cached(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _dotnet_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """A .NET replacement string (``${name}``, ``$1``, ``$$``) as a Python callable."""
    token = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*|\d+)\}|\$(\d+)|\$\$|\$&")

    def expand(match: re.Match[str]) -> str:
        def one(ref: re.Match[str]) -> str:
            text = ref.group(0)
            if text == "$$":
                return "$"
            if text == "$&":
                return match.group(0)
            name = ref.group(1) or ref.group(2)
            try:
                group = match.group(int(name) if name.isdigit() else name)
            except IndexError:
                return text  # .NET leaves an unknown group reference as written
            return group or ""

        return token.sub(one, replacement)

    return expand


# --------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    position: int


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Constant(Node):
    value: Any  # str, int or float


@dataclass(frozen=True, slots=True)
class Empty(Node):
    """An omitted argument (``Switch([x], , "a", "b")``): evaluates to null."""


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # canonical spelling
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    op: str
    left: Node
    right: Node


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(node: Node) -> str:
    """The canonical expression text of a node."""
    if isinstance(node, Attribute):
        return f"[{node.name}]"
    if isinstance(node, Constant):
        if isinstance(node.value, str):
            return _quote(node.value)
        return dotnet_str(node.value) or ""
    if isinstance(node, Empty):
        return ""
    if isinstance(node, Comparison):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    assert isinstance(node, Call)
    return f"{node.name}(" + ", ".join(render(a) for a in node.args) + ")"


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------

_COMPARE_CONSTANTS = {"vbtextcompare": "vbTextCompare", "vbbinarycompare": "vbBinaryCompare"}
_COMPARISON_OPS = ("<>", ">=", "<=", "=", ">", "<")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> ExpressionError:
        return ExpressionError(message, self.pos if position is None else position)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Node:
        if not self.text.strip():
            raise self.error("the expression is empty", 0)
        node = self.expression()
        self.skip_ws()
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} after the end of the expression")
        return node

    def expression(self) -> Node:
        left = self.operand()
        self.skip_ws()
        for op in _COMPARISON_OPS:
            if self.text.startswith(op, self.pos):
                start = self.pos
                self.pos += len(op)
                right = self.operand()
                return Comparison(start, op, left, right)
        return left

    def operand(self) -> Node:
        char = self.peek()
        start = self.pos
        if not char:
            raise self.error("unexpected end of the expression: a value is missing")
        if char == "[":
            return self.attribute()
        if char == '"':
            return self.string()
        if char == "&" and self.text[self.pos : self.pos + 2].upper() == "&H":
            match = re.compile(r"&[Hh]([0-9A-Fa-f]+)").match(self.text, self.pos)
            if not match:
                raise self.error("a hexadecimal number needs digits after &H")
            self.pos = match.end()
            return Constant(start, int(match.group(1), 16))
        if char.isdigit() or (char in "+-" and self.text[self.pos + 1 : self.pos + 2].isdigit()):
            match = re.compile(r"[+-]?\d+(\.\d+)?").match(self.text, self.pos)
            assert match is not None
            self.pos = match.end()
            raw = match.group(0)
            return Constant(start, float(raw) if "." in raw else int(raw))
        if char.isascii() and (char.isalpha() or char == "_"):
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.text, self.pos)
            assert match is not None
            name = match.group(0)
            self.pos = match.end()
            if self.peek() == "(":
                return self.call(name, start)
            if name.casefold() in _COMPARE_CONSTANTS:
                return Constant(start, _COMPARE_CONSTANTS[name.casefold()])
            raise self.error(
                f"{name!r} is not a function call, attribute or constant: attributes go in square "
                f'brackets ([{name}]) and strings in double quotes ("{name}")',
                start,
            )
        raise self.error(
            f'unexpected {char!r}: expected a function, [attribute], "string" or number'
        )

    def attribute(self) -> Node:
        start = self.pos
        end = self.text.find("]", self.pos + 1)
        if end < 0:
            raise self.error("the attribute name is not closed with ']'", start)
        name = self.text[self.pos + 1 : end].strip()
        if not name:
            raise self.error("an attribute name is empty: '[]'", start)
        if "[" in name or '"' in name:
            raise self.error(f"invalid character in attribute name {name!r}", start)
        self.pos = end + 1
        return Attribute(start, name)

    def string(self) -> Node:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                following = self.text[self.pos + 1]
                # Only \\ and \" are documented escapes; any other backslash is kept as
                # written, so regular expressions like "\d" survive.
                if following in '\\"':
                    out.append(following)
                else:
                    out.append(char + following)
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return Constant(start, "".join(out))
            out.append(char)
            self.pos += 1
        raise self.error("the string constant is not closed with '\"'", start)

    def call(self, name: str, start: int) -> Node:
        spec = _FUNCTIONS.get(name.casefold())
        if spec is None:
            raise self.error(f"unknown function {name!r}", start)
        self.pos += 1  # "("
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"functions are nested more than {MAX_NESTING} levels deep", start)
        args: list[Node] = []
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                char = self.peek()
                if char in (",", ")"):
                    args.append(Empty(self.pos))
                elif not char:
                    raise self.error(f"{spec.name}( is not closed with ')'", start)
                else:
                    args.append(self.expression())
                char = self.peek()
                if char == ",":
                    self.pos += 1
                    continue
                if char == ")":
                    self.pos += 1
                    break
                if not char:
                    raise self.error(f"{spec.name}( is not closed with ')'", start)
                raise self.error(
                    f"expected ',' or ')' in the arguments of {spec.name}, found {char!r}"
                )
        self.depth -= 1
        _check_arity(spec, len(args), start)
        return Call(start, spec.name, tuple(args))


def _check_arity(spec: _FunctionSpec, count: int, position: int) -> None:
    # Trailing omitted arguments may be written as empty ones ("Replace(x, "a", , , "b", , )").
    if count < spec.min_args:
        raise ExpressionError(
            f"{spec.name} needs at least {spec.min_args} argument(s), got {count}", position
        )
    if spec.max_args is not None and count > spec.max_args:
        raise ExpressionError(
            f"{spec.name} takes at most {spec.max_args} argument(s), got {count}", position
        )


def _check_tree(node: Node, top: bool) -> None:
    if isinstance(node, Call):
        if node.name == "SelectUniqueValue" and not top:
            raise ExpressionError(
                "SelectUniqueValue must be at the top level, not nested", node.position
            )
        for arg in node.args:
            _check_tree(arg, False)
        if node.name == "Switch" and len(node.args) % 2 != 0:
            raise ExpressionError(
                "Switch takes a source, a default value and key/value pairs: the count of "
                "arguments must be even",
                node.position,
            )
    elif isinstance(node, Comparison):
        _check_tree(node.left, False)
        _check_tree(node.right, False)


# --------------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FunctionSpec:
    name: str
    min_args: int
    max_args: int | None
    impl: Callable[..., Any]
    lazy: bool = False  # receives nodes, evaluates what it needs


class _Evaluator:
    def __init__(self, source: SourceView, context: EvaluationContext) -> None:
        self.source = source
        self.context = context

    def eval(self, node: Node) -> Any:
        if isinstance(node, Constant):
            return node.value
        if isinstance(node, Attribute):
            try:
                return self.source[node.name]
            except KeyError:
                return None
        if isinstance(node, Empty):
            return None
        if isinstance(node, Comparison):
            return _compare(node.op, self.eval(node.left), self.eval(node.right))
        assert isinstance(node, Call)
        spec = _FUNCTIONS[node.name.casefold()]
        if spec.lazy:
            return spec.impl(self, node)
        args = [self.eval(a) for a in node.args]
        return spec.impl(self, node, *args)


def _compare(op: str, left: Any, right: Any) -> bool:
    # A null or empty operand fails the check (documented IIF limitation).
    if left is None or right is None or left == "" or right == "":
        return False
    if isinstance(left, datetime) or isinstance(right, datetime):
        try:
            a: Any = parse_date(left)
            b: Any = parse_date(right)
        except ExpressionEvaluationError:
            a, b = dotnet_str(left), dotnet_str(right)
    else:
        na, nb = _to_number(left), _to_number(right)
        if na is not None and nb is not None:
            a, b = na, nb
        else:
            a, b = dotnet_str(left), dotnet_str(right)
    if op == "=":
        return a == b
    if op == "<>":
        return a != b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "<":
        return a < b
    return a <= b


def _str_arg(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return dotnet_str(value)


def _fn_append(ev: _Evaluator, node: Call, source: Any, suffix: Any) -> Any:
    text = _str_arg(source)
    if text is None:
        return None
    return text + (_str_arg(suffix) or "")


def _role_value(assignment: Mapping[str, Any]) -> str | None:
    for key in ("appRoleValue", "value", "displayName", "appRoleDisplayName"):
        if assignment.get(key):
            return str(assignment[key])
    return None


def _assignments(value: Any) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list | tuple):
        return []
    return [a for a in value if isinstance(a, Mapping)]


def _fn_single_role(ev: _Evaluator, node: Call, assignments: Any) -> Any:
    roles = _assignments(assignments)
    if not roles:
        return None
    # Not defined for several assignments ("no guarantee which role is provisioned"):
    # the first one in the order the engine passes them wins.
    first = roles[0]
    value = _role_value(first)
    if value is None:
        return None
    return AppRoleValue(
        value,
        role_id=first.get("appRoleId") or first.get("id"),
        display_name=first.get("displayName") or first.get("appRoleDisplayName") or value,
    )


def _complex_roles(assignments: Any, assertive: bool) -> RoleList | None:
    roles = RoleList(assertive=assertive)
    for assignment in _assignments(assignments):
        value = _role_value(assignment)
        if value is None:
            continue
        # The POST shapes of Microsoft's role guide: every role non-primary; the assertive
        # form names the display name "display", the other "displayName".
        roles.append(
            {
                "primary": False,
                "type": "WindowsAzureActiveDirectoryRole",
                "display" if assertive else "displayName": assignment.get("displayName") or value,
                "value": value,
            }
        )
        roles.role_ids.append(assignment.get("appRoleId") or assignment.get("id"))
    return roles if roles else None


def _fn_roles_complex(ev: _Evaluator, node: Call, assignments: Any) -> Any:
    return _complex_roles(assignments, assertive=False)


def _fn_roles_assertive(ev: _Evaluator, node: Call, assignments: Any) -> Any:
    return _complex_roles(assignments, assertive=True)


def _fn_bitand(ev: _Evaluator, node: Call, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return _to_int(a, "BitAnd value1", node.position) & _to_int(b, "BitAnd value2", node.position)


def _fn_cbool(ev: _Evaluator, node: Call, value: Any) -> Any:
    return _to_bool(value, node.position)


def _fn_cdate(ev: _Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    return parse_date(value, node.position)


def _fn_coalesce(ev: _Evaluator, node: Call, *values: Any) -> Any:
    # "Returns the first source value that isn't NULL"; the last argument doubles as the
    # default when everything before it is null.
    for value in values:
        if value is not None:
            if isinstance(value, list):
                first = next((v for v in value if v is not None), None)
                if first is not None:
                    return first
                continue
            return value
    return None


def _fn_base64(ev: _Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    return base64.b64encode(text.encode("utf-16-le")).decode("ascii")


def _fn_utf8hex(ev: _Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    return text.encode("utf-8").hex().upper()


def _fn_count(ev: _Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, list | tuple):
        return len(value)
    return 1


def _fn_cstr(ev: _Evaluator, node: Call, value: Any) -> Any:
    if isinstance(value, Mapping):
        # A reference (e.g. manager) converts to its identifier.
        return dotnet_str(value.get("value") or value.get("id"))
    return _str_arg(value)


def _fn_dateadd(ev: _Evaluator, node: Call, interval: Any, amount: Any, value: Any) -> Any:
    if value is None:
        return None
    unit = _check_interval(interval, node.position)
    count = _to_int(amount, "DateAdd value", node.position)
    return _date_add(unit, count, parse_date(value, node.position))


def _fn_datediff(ev: _Evaluator, node: Call, interval: Any, first: Any, second: Any) -> Any:
    if first is None or second is None:
        return None
    unit = _check_interval(interval, node.position)
    return _date_diff(unit, parse_date(first, node.position), parse_date(second, node.position))


def _fn_datefromnum(ev: _Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    ticks = _to_int(value, "DateFromNum value", node.position)
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        raise ExpressionEvaluationError(
            f"{ticks} is out of the date range", node.position
        ) from None


def _fn_numfromdate(ev: _Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    moment = parse_date(value, node.position)
    delta = moment - _FILETIME_EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


_STYLE_NAMES = {
    "none",
    "allowleadingwhite",
    "allowtrailingwhite",
    "allowinnerwhite",
    "allowwhitespaces",
    "nocurrentdatedefault",
    "adjusttouniversal",
    "assumelocal",
    "assumeuniversal",
    "roundtripkind",
}


def _fn_formatdatetime(ev: _Evaluator, node: Call, source: Any, *rest: Any) -> Any:
    # The older three-argument form has no dateTimeStyles: (source, inputFormat, outputFormat).
    styles, input_format, output_format = rest if len(rest) == 3 else (None, *rest)
    if source is None or source == "":
        return None
    if input_format is None or output_format is None:
        raise ExpressionEvaluationError(
            "FormatDateTime needs inputFormat and outputFormat", node.position
        )
    style_names = {
        s.strip().casefold() for s in re.split(r"[,|]", dotnet_str(styles) or "") if s.strip()
    }
    unknown = style_names - _STYLE_NAMES
    if unknown:
        raise ExpressionEvaluationError(
            f"unknown DateTimeStyles value(s): {sorted(unknown)}", node.position
        )
    if isinstance(source, datetime):
        moment = source
    else:
        moment = parse_datetime_exact(str(source), str(input_format), node.position)
    if "adjusttouniversal" in style_names:
        moment = _to_utc(moment)
    return format_datetime(moment, str(output_format), node.position)


def _fn_guid(ev: _Evaluator, node: Call) -> Any:
    return str(uuid.UUID(int=ev.context.rng.getrandbits(128), version=4))


def _fn_ignoreflow(ev: _Evaluator, node: Call, value: Any) -> Any:
    if value is None or value == "" or value == []:
        raise _IgnoreSignal
    return value


def _fn_iif(ev: _Evaluator, node: Call) -> Any:
    condition = ev.eval(node.args[0])
    chosen = node.args[1] if _to_bool_lenient(condition) else node.args[2]
    return ev.eval(chosen)


def _to_bool_lenient(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = dotnet_str(value) or ""
    if text.casefold() == "true":
        return True
    number = _to_number(text)
    return number is not None and number != 0


def _fn_instr(
    ev: _Evaluator, node: Call, haystack: Any, needle: Any, start: Any = None, compare: Any = None
) -> Any:
    text, find = _str_arg(haystack), _str_arg(needle)
    if text is None or find is None:
        return None
    begin = 1 if start is None else _to_int(start, "InStr start", node.position)
    if begin < 1:
        raise ExpressionEvaluationError("InStr start must be 1 or more", node.position)
    mode = dotnet_str(compare) if compare is not None else "vbBinaryCompare"
    if mode not in ("vbBinaryCompare", "vbTextCompare", "0", "1"):
        raise ExpressionEvaluationError(
            "InStr compareType must be vbTextCompare or vbBinaryCompare", node.position
        )
    if mode in ("vbTextCompare", "1"):
        text, find = text.casefold(), find.casefold()
    return text.find(find, begin - 1) + 1


def _fn_isnull(ev: _Evaluator, node: Call, value: Any) -> Any:
    return value is None


def _fn_isnullorempty(ev: _Evaluator, node: Call, value: Any) -> Any:
    return value is None or value == "" or value == []


def _fn_ispresent(ev: _Evaluator, node: Call, value: Any) -> Any:
    return not (value is None or value == "" or value == [])


def _fn_isstring(ev: _Evaluator, node: Call, value: Any) -> Any:
    return isinstance(value, str)


def _fn_item(ev: _Evaluator, node: Call, values: Any, index: Any) -> Any:
    if values is None:
        return None
    items = values if isinstance(values, list | tuple) else [values]
    position = _to_int(index, "Item index", node.position)
    if position < 1 or position > len(items):
        return None
    return items[position - 1]


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            out.extend(value)
        else:
            out.append(value)
    return out


def _fn_join(ev: _Evaluator, node: Call, separator: Any, *sources: Any) -> Any:
    # Null and empty sources are left out: the documented example Join(", ", "", [surname],
    # [givenName]) gives "Doe, John".
    parts = [dotnet_str(v) for v in _flatten(sources)]
    kept = [p for p in parts if p]
    if not kept:
        return None if all(v is None for v in _flatten(sources)) else ""
    return (dotnet_str(separator) or "").join(kept)


def _fn_left(ev: _Evaluator, node: Call, value: Any, count: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return ""
    n = _to_int(count, "Left NumChars", node.position)
    if n < 0:
        return text
    return text[:n]


def _fn_mid(ev: _Evaluator, node: Call, value: Any, start: Any, length: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    begin = _to_int(start, "Mid start", node.position)
    count = _to_int(length, "Mid length", node.position)
    if begin < 1:
        raise ExpressionEvaluationError("Mid start must be 1 or more", node.position)
    if count < 0:
        raise ExpressionEvaluationError("Mid length must not be negative", node.position)
    return text[begin - 1 : begin - 1 + count]


def _fn_normalize(ev: _Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    return None if text is None else normalize_diacritics(text)


def _fn_not(ev: _Evaluator, node: Call, value: Any) -> Any:
    # "If source value is True, returns False. Otherwise, returns True."
    return not _to_bool_lenient(value)


def _fn_now(ev: _Evaluator, node: Call) -> Any:
    return _to_utc(ev.context.now())


def _fn_pcase(ev: _Evaluator, node: Call, value: Any, separators: Any = None) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    return proper_case(text, dotnet_str(separators) if separators is not None else None)


def _fn_randomstring(
    ev: _Evaluator,
    node: Call,
    length: Any,
    numbers: Any,
    specials: Any,
    capitals: Any,
    lowers: Any,
    avoid: Any = None,
) -> Any:
    p = node.position
    return random_string(
        ev.context.rng,
        _to_int(length, "RandomString Length", p),
        _to_int(numbers, "RandomString MinimumNumbers", p),
        _to_int(specials, "RandomString MinimumSpecialCharacters", p),
        _to_int(capitals, "RandomString MinimumCapital", p),
        _to_int(lowers, "RandomString MinimumLowerCase", p),
        dotnet_str(avoid) or "",
        p,
    )


def _fn_redact(ev: _Evaluator, node: Call, value: Any) -> Any:
    return value  # the value flows; only the logs hide it (see Expression.redacted)


def _fn_removeduplicates(ev: _Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        return value
    seen: list[Any] = []
    for item in value:
        if item not in seen:
            seen.append(item)
    return seen


def _fn_replace(
    ev: _Evaluator,
    node: Call,
    source: Any,
    old: Any = None,
    pattern: Any = None,
    group: Any = None,
    replacement: Any = None,
    replacement_attr: Any = None,
    template: Any = None,
) -> Any:
    text = _str_arg(source)
    p = node.position
    if (
        pattern is not None
        and group is not None
        and replacement_attr is not None
        and replacement is None
    ):
        # Fallback form: keep the source when it has a value, else extract from the other attribute.
        if text:
            return text
        other = _str_arg(replacement_attr)
        if other is None:
            return None
        match = dotnet_regex(str(pattern), p).search(other)
        if not match:
            return None
        try:
            return match.group(str(group))
        except IndexError:
            raise ExpressionEvaluationError(f"the regex has no group named {group!r}", p) from None
    if old is not None and template is not None:
        if text is None:
            return None
        return str(template).replace(str(old), text) if str(old) else str(template)
    if text is None:
        return None
    if old is not None and replacement is not None:
        return text.replace(str(old), str(replacement)) if str(old) else text
    if pattern is not None and replacement is not None:
        regex = dotnet_regex(str(pattern), p)
        if group is not None:
            name = str(group)
            if name not in regex.groupindex:
                raise ExpressionEvaluationError(f"the regex has no group named {name!r}", p)
            pieces: list[str] = []
            last = 0
            for match in regex.finditer(text):
                start, end = match.span(name)
                if start < 0 or (start == end and match.start() == match.end() and start < last):
                    continue
                pieces.append(text[last:start])
                pieces.append(str(replacement))
                last = end
            pieces.append(text[last:])
            return "".join(pieces)
        return regex.sub(_dotnet_replacement(str(replacement)), text)
    raise ExpressionEvaluationError(
        "Replace needs oldValue with replacementValue or template, or regexPattern with "
        "replacementValue (optionally regexGroupName), or regexPattern, regexGroupName and "
        "replacementAttributeName",
        p,
    )


def _fn_selectunique(ev: _Evaluator, node: Call) -> Any:
    for arg in node.args:
        value = ev.eval(arg)
        if value is None or value == "":
            continue
        if ev.context.is_unique(dotnet_str(value) or ""):
            return value
    raise ExpressionEvaluationError(
        "SelectUniqueValue: every candidate value is already taken", node.position
    )


def _fn_split(ev: _Evaluator, node: Call, value: Any, delimiter: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    sep = dotnet_str(delimiter)
    if not sep:
        return [text]
    # The documented sample drops the blank after the comma ("One, Two" → ["One", "Two"]).
    return [part.strip() for part in text.split(sep)]


def _fn_stripspaces(ev: _Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    return None if text is None else text.replace(" ", "")


def _fn_switch(ev: _Evaluator, node: Call) -> Any:
    source = ev.eval(node.args[0])
    # Case-sensitive string comparison; an absent source matches the key "".
    key_text = _str_arg(source) or ""
    pairs = node.args[2:]
    for i in range(0, len(pairs), 2):
        key = ev.eval(pairs[i])
        if (dotnet_str(key) or "") == key_text:
            return ev.eval(pairs[i + 1])
    return ev.eval(node.args[1])


def _fn_tolower(ev: _Evaluator, node: Call, value: Any, culture: Any = None) -> Any:
    if isinstance(value, list):
        return [v.lower() if isinstance(v, str) else v for v in value]
    text = _str_arg(value)
    return None if text is None else text.lower()


def _fn_toupper(ev: _Evaluator, node: Call, value: Any, culture: Any = None) -> Any:
    if isinstance(value, list):
        return [v.upper() if isinstance(v, str) else v for v in value]
    text = _str_arg(value)
    return None if text is None else text.upper()


def _fn_word(ev: _Evaluator, node: Call, value: Any, number: Any, delimiters: Any) -> Any:
    text = _str_arg(value)
    n = _to_int(number, "Word WordNumber", node.position)
    if text is None or n < 1:
        return ""
    delims = dotnet_str(delimiters) or ""
    if delims:
        words = [w for w in re.split("[" + re.escape(delims) + "]", text) if w]
    else:
        words = [text] if text else []
    return words[n - 1] if n <= len(words) else ""


_FUNCTIONS: dict[str, _FunctionSpec] = {
    spec.name.casefold(): spec
    for spec in [
        _FunctionSpec("Append", 2, 2, _fn_append),
        _FunctionSpec("AppRoleAssignmentsComplex", 1, 1, _fn_roles_complex),
        _FunctionSpec("AssertiveAppRoleAssignmentsComplex", 1, 1, _fn_roles_assertive),
        _FunctionSpec("BitAnd", 2, 2, _fn_bitand),
        _FunctionSpec("CBool", 1, 1, _fn_cbool),
        _FunctionSpec("CDate", 1, 1, _fn_cdate),
        _FunctionSpec("Coalesce", 1, None, _fn_coalesce),
        _FunctionSpec("ConvertToBase64", 1, 1, _fn_base64),
        _FunctionSpec("ConvertToUTF8Hex", 1, 1, _fn_utf8hex),
        _FunctionSpec("Count", 1, 1, _fn_count),
        _FunctionSpec("CStr", 1, 1, _fn_cstr),
        _FunctionSpec("DateAdd", 3, 3, _fn_dateadd),
        _FunctionSpec("DateDiff", 3, 3, _fn_datediff),
        _FunctionSpec("DateFromNum", 1, 1, _fn_datefromnum),
        _FunctionSpec("FormatDateTime", 3, 4, _fn_formatdatetime),
        _FunctionSpec("Guid", 0, 0, _fn_guid),
        _FunctionSpec("IgnoreFlowIfNullOrEmpty", 1, 1, _fn_ignoreflow),
        _FunctionSpec("IIF", 3, 3, _fn_iif, lazy=True),
        _FunctionSpec("InStr", 2, 4, _fn_instr),
        _FunctionSpec("IsNull", 1, 1, _fn_isnull),
        _FunctionSpec("IsNullOrEmpty", 1, 1, _fn_isnullorempty),
        _FunctionSpec("IsPresent", 1, 1, _fn_ispresent),
        _FunctionSpec("IsString", 1, 1, _fn_isstring),
        _FunctionSpec("Item", 2, 2, _fn_item),
        _FunctionSpec("Join", 2, None, _fn_join),
        _FunctionSpec("Left", 2, 2, _fn_left),
        _FunctionSpec("Mid", 3, 3, _fn_mid),
        _FunctionSpec("NormalizeDiacritics", 1, 1, _fn_normalize),
        _FunctionSpec("Not", 1, 1, _fn_not),
        _FunctionSpec("Now", 0, 0, _fn_now),
        _FunctionSpec("NumFromDate", 1, 1, _fn_numfromdate),
        _FunctionSpec("PCase", 1, 2, _fn_pcase),
        _FunctionSpec("RandomString", 5, 6, _fn_randomstring),
        _FunctionSpec("Redact", 1, 1, _fn_redact),
        _FunctionSpec("RemoveDuplicates", 1, 1, _fn_removeduplicates),
        _FunctionSpec("Replace", 2, 7, _fn_replace),
        _FunctionSpec("SelectUniqueValue", 2, None, _fn_selectunique, lazy=True),
        _FunctionSpec("SingleAppRoleAssignment", 1, 1, _fn_single_role),
        _FunctionSpec("Split", 2, 2, _fn_split),
        _FunctionSpec("StripSpaces", 1, 1, _fn_stripspaces),
        _FunctionSpec("Switch", 2, None, _fn_switch, lazy=True),
        _FunctionSpec("ToLower", 1, 2, _fn_tolower),
        _FunctionSpec("ToUpper", 1, 2, _fn_toupper),
        _FunctionSpec("Word", 3, 3, _fn_word),
    ]
}


# Parameter names and types from Microsoft's function reference: (name, type, required,
# repeating). Used to answer GET .../schema/functions.
_PARAMETERS: dict[str, list[tuple[str, str, bool, bool]]] = {
    "Append": [("source", "String", True, False), ("suffix", "String", True, False)],
    "AppRoleAssignmentsComplex": [("appRoleAssignments", "String", True, False)],
    "AssertiveAppRoleAssignmentsComplex": [("appRoleAssignments", "String", True, False)],
    "BitAnd": [("value1", "Integer", True, False), ("value2", "Integer", True, False)],
    "CBool": [("expression", "String", True, False)],
    "CDate": [("expression", "String", True, False)],
    "Coalesce": [("source", "String", True, True), ("defaultValue", "String", False, False)],
    "ConvertToBase64": [("source", "String", True, False)],
    "ConvertToUTF8Hex": [("source", "String", True, False)],
    "Count": [("attribute", "String", True, False)],
    "CStr": [("value", "String", True, False)],
    "DateAdd": [
        ("interval", "String", True, False),
        ("value", "Integer", True, False),
        ("dateTime", "String", True, False),
    ],
    "DateDiff": [
        ("interval", "String", True, False),
        ("date1", "String", True, False),
        ("date2", "String", True, False),
    ],
    "DateFromNum": [("value", "Integer", True, False)],
    "FormatDateTime": [
        ("source", "String", True, False),
        ("dateTimeStyles", "String", False, False),
        ("inputFormat", "String", True, False),
        ("outputFormat", "String", True, False),
    ],
    "Guid": [],
    "IgnoreFlowIfNullOrEmpty": [("expression", "String", True, False)],
    "IIF": [
        ("condition", "Boolean", True, False),
        ("valueIfTrue", "String", True, False),
        ("valueIfFalse", "String", True, False),
    ],
    "InStr": [
        ("value1", "String", True, False),
        ("value2", "String", True, False),
        ("start", "Integer", False, False),
        ("compareType", "String", False, False),
    ],
    "IsNull": [("expression", "String", True, False)],
    "IsNullOrEmpty": [("expression", "String", True, False)],
    "IsPresent": [("expression", "String", True, False)],
    "IsString": [("expression", "String", True, False)],
    "Item": [("attribute", "String", True, False), ("index", "Integer", True, False)],
    "Join": [("separator", "String", True, False), ("source", "String", True, True)],
    "Left": [("string", "String", True, False), ("numChars", "Integer", True, False)],
    "Mid": [
        ("source", "String", True, False),
        ("start", "Integer", True, False),
        ("length", "Integer", True, False),
    ],
    "NormalizeDiacritics": [("source", "String", True, False)],
    "Not": [("source", "Boolean", True, False)],
    "Now": [],
    "NumFromDate": [("value", "String", True, False)],
    "PCase": [("source", "String", True, False), ("wordSeparators", "String", False, False)],
    "RandomString": [
        ("length", "Integer", True, False),
        ("minimumNumbers", "Integer", True, False),
        ("minimumSpecialCharacters", "Integer", True, False),
        ("minimumCapital", "Integer", True, False),
        ("minimumLowerCase", "Integer", True, False),
        ("charactersToAvoid", "String", False, False),
    ],
    "Redact": [("source", "String", True, False)],
    "RemoveDuplicates": [("attribute", "String", True, False)],
    "Replace": [
        ("source", "String", True, False),
        ("oldValue", "String", False, False),
        ("regexPattern", "String", False, False),
        ("regexGroupName", "String", False, False),
        ("replacementValue", "String", False, False),
        ("replacementAttributeName", "String", False, False),
        ("template", "String", False, False),
    ],
    "SelectUniqueValue": [("uniqueValueRule", "String", True, True)],
    "SingleAppRoleAssignment": [("appRoleAssignments", "String", True, False)],
    "Split": [("source", "String", True, False), ("delimiter", "String", True, False)],
    "StripSpaces": [("source", "String", True, False)],
    "Switch": [
        ("source", "String", True, False),
        ("defaultValue", "String", False, False),
        ("key", "String", True, True),
        ("value", "String", True, True),
    ],
    "ToLower": [("source", "String", True, False), ("culture", "String", False, False)],
    "ToUpper": [("source", "String", True, False), ("culture", "String", False, False)],
    "Word": [
        ("string", "String", True, False),
        ("wordNumber", "Integer", True, False),
        ("delimiters", "String", True, False),
    ],
}


def function_definitions() -> list[dict[str, Any]]:
    """Every supported function as ``GET .../schema/functions`` describes one
    (``attributeMappingFunctionSchema``: ``name`` and ``parameters`` with ``name``, ``type``,
    ``required``, ``allowMultipleOccurrences``)."""
    return [
        {
            "name": name,
            "parameters": [
                {"name": p, "type": t, "required": r, "allowMultipleOccurrences": m}
                for p, t, r, m in _PARAMETERS[name]
            ],
        }
        for name in supported_functions()
    ]


def supported_functions() -> list[str]:
    """Canonical names of every function the evaluator knows, sorted."""
    return sorted(spec.name for spec in _FUNCTIONS.values())


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _walk(node: Node) -> Iterable[Node]:
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from _walk(arg)
    elif isinstance(node, Comparison):
        yield from _walk(node.left)
        yield from _walk(node.right)


@dataclass(frozen=True)
class Expression:
    """A parsed attribute-mapping expression. Immutable and shared: parse once, evaluate often."""

    text: str
    root: Node

    @property
    def attributes(self) -> tuple[str, ...]:
        """Names of the source attributes the expression reads, in order of appearance."""
        seen: dict[str, None] = {}
        for node in _walk(self.root):
            if isinstance(node, Attribute):
                seen.setdefault(node.name, None)
        return tuple(seen)

    @property
    def functions(self) -> tuple[str, ...]:
        """Canonical names of the functions the expression calls."""
        seen: dict[str, None] = {}
        for node in _walk(self.root):
            if isinstance(node, Call):
                seen.setdefault(node.name, None)
        return tuple(seen)

    @property
    def redacted(self) -> bool:
        """True when the expression uses Redact: logs show ``[Redact]`` instead of the value."""
        return "Redact" in self.functions

    @property
    def is_attribute(self) -> bool:
        """True for a direct mapping (the whole expression is one ``[attribute]``)."""
        return isinstance(self.root, Attribute)

    def to_source(self) -> dict[str, Any]:
        """The expression as Graph's ``attributeMappingSource`` tree (``expression``, ``name``,
        ``parameters`` of ``{key, value}``, ``type``), empty arguments left out, as
        ``parseExpression`` returns it."""
        return _to_source(self.root)

    @property
    def canonical(self) -> str:
        """The expression re-written in canonical form."""
        return render(self.root)

    def evaluate(self, source: Mapping[str, Any], context: EvaluationContext | None = None) -> Any:
        """The value this expression gives for ``source`` (attribute name → value).

        Returns ``None`` when the result is null (the caller skips the attribute) and
        :data:`IGNORE_FLOW` when ``IgnoreFlowIfNullOrEmpty`` fired. Raises
        :class:`ExpressionEvaluationError` when a value cannot be converted (a bad date, a
        non-numeric number argument).
        """
        root = self.root
        if isinstance(root, Attribute):
            # Direct mappings are most of a schema: skip the evaluator.
            view = as_source_view(source)
            try:
                value = view[root.name]
            except KeyError:
                return None
            return _format_us_datetime(value) if isinstance(value, datetime) else value
        evaluator = _Evaluator(as_source_view(source), context or _DEFAULT_CONTEXT)
        try:
            value = evaluator.eval(self.root)
        except _IgnoreSignal:
            return IGNORE_FLOW
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            # A value of a shape no function expects: a per-object evaluation failure, never
            # a crash of the engine.
            raise ExpressionEvaluationError(
                f"cannot evaluate {self.text!r} for this object: {exc}", 0
            ) from exc
        if isinstance(value, datetime):
            return _format_us_datetime(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


def parse_expression(text: str) -> Expression:
    """Parse an expression (cached per distinct text). Raises :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}", 0)
    return _parse_cached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters",
            MAX_EXPRESSION_LENGTH,
        )
    try:
        root = _Parser(text).parse()
        _check_tree(root, True)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply", 0) from None
    return Expression(text, root)


# Parameter keys Graph uses that differ from the documented parameter names (the
# parseExpression example names Replace's oldValue "Find" and replacementValue "Replacement").
_KEY_ALIASES = {("Replace", "find"): "oldValue", ("Replace", "replacement"): "replacementValue"}
_GRAPH_KEYS = {("Replace", "oldValue"): "Find", ("Replace", "replacementValue"): "Replacement"}


def _arrange_arguments(spec: _FunctionSpec, pairs: list[tuple[str, Node]]) -> tuple[Node, ...]:
    """Arguments in call order from a tree's ``{key, value}`` parameters.

    Graph leaves empty arguments out of the tree and names the rest by key, so the keys place
    each argument. When a key is not recognised the tree order is used as it is."""
    names = [p[0] for p in _PARAMETERS[spec.name]]
    folded = {n.casefold(): n for n in names}
    keyed: list[tuple[str, Node]] = []
    for key, node in pairs:
        name = _KEY_ALIASES.get((spec.name, key.casefold())) or folded.get(key.casefold())
        if name is None:
            return tuple(node for _, node in pairs)
        keyed.append((name, node))
    if spec.name == "Switch":
        source = [n for k, n in keyed if k == "source"]
        default = [n for k, n in keyed if k == "defaultValue"]
        rest = [n for k, n in keyed if k in ("key", "value")]
        if len(source) != 1 or len(default) > 1:
            return tuple(node for _, node in pairs)
        return (source[0], default[0] if default else Empty(0), *rest)
    repeating = {p[0] for p in _PARAMETERS[spec.name] if p[3]}
    required = {p[0] for p in _PARAMETERS[spec.name] if p[2]}
    args: list[Node] = []
    for name in names:
        found = [n for k, n in keyed if k == name]
        if name in repeating:
            args.extend(found)
        elif len(found) > 1:
            return tuple(node for _, node in pairs)
        elif not found and name in required:
            raise ExpressionError(f"{spec.name}: the required parameter {name!r} is missing", 0)
        else:
            args.append(found[0] if found else Empty(0))
    while len(args) > spec.min_args and isinstance(args[-1], Empty):
        args.pop()
    return tuple(args)


def _to_source(node: Node) -> dict[str, Any]:
    if isinstance(node, Attribute):
        return {
            "expression": render(node),
            "name": node.name,
            "parameters": [],
            "type": "Attribute",
        }
    if isinstance(node, Constant):
        return {
            "expression": render(node),
            "name": dotnet_str(node.value) or "",
            "parameters": [],
            "type": "Constant",
        }
    if isinstance(node, Comparison):
        # Graph has no tree form for a comparison; it travels as a constant expression.
        return {"expression": render(node), "name": node.op, "parameters": [], "type": "Constant"}
    assert isinstance(node, Call)
    names = [p for p, _, _, repeat in _PARAMETERS[node.name]]
    repeating = [p for p, _, _, repeat in _PARAMETERS[node.name] if repeat]
    parameters: list[dict[str, Any]] = []
    for i, arg in enumerate(node.args):
        if isinstance(arg, Empty):
            continue  # Graph leaves empty arguments out
        if node.name == "Switch" and i >= 2:
            key = "key" if (i - 2) % 2 == 0 else "value"
        elif names and names[0] in repeating:
            key = names[0]  # Coalesce, SelectUniqueValue: every argument is a source
        elif i < len(names) and names[i] not in repeating:
            key = names[i]
        else:
            key = repeating[0] if repeating else f"arg{i + 1}"
        parameters.append({"key": _GRAPH_KEYS.get((node.name, key), key), "value": _to_source(arg)})
    return {
        "expression": render(node),
        "name": node.name,
        "parameters": parameters,
        "type": "Function",
    }


_BOOLEAN_SOURCE_ATTRIBUTES = frozenset({"issoftdeleted", "accountenabled"})


def _input_object(test_input: Mapping[str, Any]) -> dict[str, Any]:
    """Graph's ``expressionInputObject`` (``properties`` of ``{key, value}``) as a source."""
    properties = test_input.get("properties") or []
    if not isinstance(properties, Sequence) or isinstance(properties, str | bytes):
        raise ExpressionError("testInputObject.properties must be a list of {key, value}", 0)
    source: dict[str, Any] = {}
    for item in properties:
        if not isinstance(item, Mapping) or not item.get("key"):
            raise ExpressionError("each testInputObject property needs a key", 0)
        key, value = str(item["key"]), item.get("value")
        # Boolean directory attributes arrive as "true"/"false" strings.
        if key.casefold() in _BOOLEAN_SOURCE_ATTRIBUTES and isinstance(value, str):
            lowered = value.strip().casefold()
            value = True if lowered == "true" else False if lowered == "false" else value
        source[key] = value
    return source


def _public_error(code: str, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "details": [],
        "innerError": None,
        "target": "expression",
    }


def parse_expression_result(
    expression: Any,
    test_input: Mapping[str, Any] | None = None,
    *,
    context: EvaluationContext | None = None,
) -> dict[str, Any]:
    """The answer of ``POST .../schema/parseExpression`` (``parseExpressionResponse``):
    ``parsingSucceeded`` and ``parsedExpression`` (the Graph tree), and, when a
    ``testInputObject`` is given, ``evaluationSucceeded`` and ``evaluationResult`` (strings).
    A bad expression or input is reported in ``error``, never raised."""
    out: dict[str, Any] = {
        "error": None,
        "evaluationSucceeded": False,
        "evaluationResult": None,
        "parsedExpression": None,
        "parsingSucceeded": False,
    }
    try:
        parsed = parse_expression(expression)
    except ExpressionError as exc:
        out["error"] = _public_error("InvalidExpression", str(exc))
        return out
    out["parsingSucceeded"] = True
    out["parsedExpression"] = parsed.to_source()
    if test_input is None:
        return out
    try:
        if not isinstance(test_input, Mapping):
            raise ExpressionError("testInputObject must be an object with 'properties'", 0)
        value = parsed.evaluate(_input_object(test_input), context)
    except ExpressionError as exc:
        out["error"] = _public_error("ExpressionEvaluationFailed", str(exc))
        return out
    out["evaluationSucceeded"] = True
    if value is None or value is IGNORE_FLOW:
        out["evaluationResult"] = []
    elif isinstance(value, list):
        out["evaluationResult"] = [dotnet_str(v) for v in value if v is not None]
    else:
        out["evaluationResult"] = [dotnet_str(value)]
    return out


def build_expression(source: Mapping[str, Any]) -> Expression:
    """An expression from Graph's ``attributeMappingSource`` tree (``type`` Attribute,
    Constant or Function, ``name``, ``parameters`` of ``{key, value}``), used when a schema
    carries no ``expression`` string. Raises :class:`ExpressionError` for a malformed tree."""
    root = _node_from_tree(source, "source")
    _check_tree(root, True)
    return Expression(render(root), root)


def _node_from_tree(tree: Any, where: str) -> Node:
    if tree is None:
        return Empty(0)
    if not isinstance(tree, Mapping):
        raise ExpressionError(f"{where} must be an object with 'type' and 'name'", 0)
    kind = str(tree.get("type") or "").casefold()
    name = tree.get("name")
    if kind == "attribute":
        if not name:
            raise ExpressionError(f"{where}: an Attribute source needs a name", 0)
        return Attribute(0, str(name))
    if kind == "constant":
        # An omitted argument (Switch's empty default) is a Constant whose expression is empty;
        # the empty string constant is written '""'.
        if tree.get("expression") == "" and not name:
            return Empty(0)
        text = tree.get("expression")
        plain = "" if name is None else str(name)
        if isinstance(text, str) and text.strip() and text not in (_quote(plain), plain):
            # A comparison (IIF's condition) has no tree form; it travels as its text.
            try:
                root = parse_expression(text).root
            except ExpressionError:
                root = None
            if isinstance(root, Comparison):
                return root
        if text == plain and re.fullmatch(r"[+-]?\d+(\.\d+)?", plain):
            return Constant(0, float(plain) if "." in plain else int(plain))  # an unquoted number
        return Constant(0, plain)
    if kind == "function":
        spec = _FUNCTIONS.get(str(name or "").casefold())
        if spec is None:
            raise ExpressionError(f"{where}: unknown function {name!r}", 0)
        params = tree.get("parameters") or []
        if not isinstance(params, Sequence) or isinstance(params, str | bytes):
            raise ExpressionError(f"{where}: parameters must be a list", 0)
        pairs = [
            (
                str(p.get("key") or "") if isinstance(p, Mapping) else "",
                _node_from_tree(
                    p.get("value") if isinstance(p, Mapping) else None, f"{where}.{spec.name}[{i}]"
                ),
            )
            for i, p in enumerate(params)
        ]
        args = _arrange_arguments(spec, pairs)
        _check_arity(spec, len(args), 0)
        return Call(0, spec.name, args)
    raise ExpressionError(
        f"{where}: unknown source type {tree.get('type')!r} (use Attribute, Constant or Function)",
        0,
    )
