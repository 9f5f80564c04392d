""".NET-flavoured helpers the functions rely on (the Entra engine is .NET): value conversions,
date parsing (CDate) and .NET date/time format strings, AD FileTime, DateAdd/DateDiff intervals,
string helpers (NormalizeDiacritics, PCase, RandomString) and .NET regular expressions."""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from harness.engine.rules.expressions.values import ExpressionEvaluationError

# --------------------------------------------------------------------------------------------
# Value conversions (.NET flavoured, since the engine is .NET)
# --------------------------------------------------------------------------------------------


def format_us_datetime(value: datetime) -> str:
    """``M/d/yyyy h:mm:ss tt`` in UTC, the documented output of CDate, DateAdd and Now."""
    value = to_utc(value)
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
        return format_us_datetime(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_bool(value: Any, position: int) -> bool:
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


def to_int(value: Any, what: str, position: int) -> int:
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


def to_number(value: Any) -> float | None:
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


FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


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


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(value: Any, position: int = 0) -> datetime:
    """A date/time as CDate reads it: ISO 8601 (offset optional, also ``2020-03-16-07:00``),
    ``M/d/yyyy h:mm:ss tt``, or a datetime. Returned in UTC; a missing offset means UTC."""
    if isinstance(value, datetime):
        return to_utc(value)
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
        return to_utc(parsed)
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
        return to_utc(parsed)
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
    r"y{3,}|yy|y|MMMM+|MMM|MM|M|dddd+|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|F{1,7}|tt|t|zzz|zz|z|K"
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
        value = to_utc(value)
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
        elif c == "f":
            out.append(f"{value.microsecond:06d}0"[: len(tok)])
        elif c == "F":
            digits = f"{value.microsecond:06d}0"[: len(tok)].rstrip("0")
            if not digits and out and out[-1].endswith("."):
                out[-1] = out[-1][:-1]  # .NET drops the decimal point before an empty "F"
            out.append(digits)
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


def check_interval(interval: Any, position: int) -> str:
    text = dotnet_str(interval)
    if text not in _INTERVALS:
        raise ExpressionEvaluationError(
            f"unknown interval {interval!r}; use one of yyyy, m, d, ww, h, n, s", position
        )
    return text


def date_add(interval: str, amount: int, value: datetime) -> datetime:
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


def date_diff(interval: str, first: datetime, second: datetime) -> int:
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
    # Composed again, so letters without diacritics (a Hangul syllable) come out as they went in.
    return unicodedata.normalize("NFC", "".join(out))


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


def dotnet_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
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
