"""The function table: every function the expression language knows, and the evaluator that
calls them (Microsoft Learn, "Reference for writing expressions for attribute mappings")."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from harness.engine.rules.expressions.dotnet import (
    FILETIME_EPOCH,
    check_interval,
    date_add,
    date_diff,
    dotnet_regex,
    dotnet_replacement,
    dotnet_str,
    format_datetime,
    normalize_diacritics,
    parse_date,
    parse_datetime_exact,
    proper_case,
    random_string,
    to_bool,
    to_int,
    to_number,
    to_utc,
)
from harness.engine.rules.expressions.signatures import PARAMETERS
from harness.engine.rules.expressions.syntax import (
    Attribute,
    Call,
    Comparison,
    Constant,
    Empty,
    Node,
)
from harness.engine.rules.expressions.values import (
    AppRoleValue,
    EvaluationContext,
    ExpressionEvaluationError,
    IgnoreSignal,
    RoleList,
    SourceView,
)


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None
    impl: Callable[..., Any]
    lazy: bool = False  # receives nodes, evaluates what it needs


class Evaluator:
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
        spec = FUNCTIONS[node.name.casefold()]
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
        na, nb = to_number(left), to_number(right)
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


def _fn_append(ev: Evaluator, node: Call, source: Any, suffix: Any) -> Any:
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


def _fn_single_role(ev: Evaluator, node: Call, assignments: Any) -> Any:
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


def _fn_roles_complex(ev: Evaluator, node: Call, assignments: Any) -> Any:
    return _complex_roles(assignments, assertive=False)


def _fn_roles_assertive(ev: Evaluator, node: Call, assignments: Any) -> Any:
    return _complex_roles(assignments, assertive=True)


def _fn_bitand(ev: Evaluator, node: Call, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return to_int(a, "BitAnd value1", node.position) & to_int(b, "BitAnd value2", node.position)


def _fn_cbool(ev: Evaluator, node: Call, value: Any) -> Any:
    return to_bool(value, node.position)


def _fn_cdate(ev: Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    return parse_date(value, node.position)


def _fn_coalesce(ev: Evaluator, node: Call, *values: Any) -> Any:
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


def _fn_base64(ev: Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    return base64.b64encode(text.encode("utf-16-le")).decode("ascii")


def _fn_utf8hex(ev: Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    return text.encode("utf-8").hex().upper()


def _fn_count(ev: Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, list | tuple):
        return len(value)
    return 1


def _fn_cstr(ev: Evaluator, node: Call, value: Any) -> Any:
    if isinstance(value, Mapping):
        # A reference (e.g. manager) converts to its identifier.
        return dotnet_str(value.get("value") or value.get("id"))
    return _str_arg(value)


def _fn_dateadd(ev: Evaluator, node: Call, interval: Any, amount: Any, value: Any) -> Any:
    if value is None:
        return None
    unit = check_interval(interval, node.position)
    count = to_int(amount, "DateAdd value", node.position)
    return date_add(unit, count, parse_date(value, node.position))


def _fn_datediff(ev: Evaluator, node: Call, interval: Any, first: Any, second: Any) -> Any:
    if first is None or second is None:
        return None
    unit = check_interval(interval, node.position)
    return date_diff(unit, parse_date(first, node.position), parse_date(second, node.position))


def _fn_datefromnum(ev: Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    ticks = to_int(value, "DateFromNum value", node.position)
    try:
        return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        raise ExpressionEvaluationError(
            f"{ticks} is out of the date range", node.position
        ) from None


def _fn_numfromdate(ev: Evaluator, node: Call, value: Any) -> Any:
    if value is None:
        return None
    moment = parse_date(value, node.position)
    delta = moment - FILETIME_EPOCH
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


def _fn_formatdatetime(ev: Evaluator, node: Call, source: Any, *rest: Any) -> Any:
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
        moment = to_utc(moment)
    return format_datetime(moment, str(output_format), node.position)


def _fn_guid(ev: Evaluator, node: Call) -> Any:
    return str(uuid.UUID(int=ev.context.rng.getrandbits(128), version=4))


def _fn_ignoreflow(ev: Evaluator, node: Call, value: Any) -> Any:
    if value is None or value == "" or value == []:
        raise IgnoreSignal
    return value


def _fn_iif(ev: Evaluator, node: Call) -> Any:
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
    number = to_number(text)
    return number is not None and number != 0


def _fn_instr(
    ev: Evaluator, node: Call, haystack: Any, needle: Any, start: Any = None, compare: Any = None
) -> Any:
    text, find = _str_arg(haystack), _str_arg(needle)
    if text is None or find is None:
        return None
    begin = 1 if start is None else to_int(start, "InStr start", node.position)
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


def _fn_isnull(ev: Evaluator, node: Call, value: Any) -> Any:
    return value is None


def _fn_isnullorempty(ev: Evaluator, node: Call, value: Any) -> Any:
    return value is None or value == "" or value == []


def _fn_ispresent(ev: Evaluator, node: Call, value: Any) -> Any:
    return not (value is None or value == "" or value == [])


def _fn_isstring(ev: Evaluator, node: Call, value: Any) -> Any:
    return isinstance(value, str)


def _fn_item(ev: Evaluator, node: Call, values: Any, index: Any) -> Any:
    if values is None:
        return None
    items = values if isinstance(values, list | tuple) else [values]
    position = to_int(index, "Item index", node.position)
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


def _fn_join(ev: Evaluator, node: Call, separator: Any, *sources: Any) -> Any:
    # Null and empty sources are left out: the documented example Join(", ", "", [surname],
    # [givenName]) gives "Doe, John".
    parts = [dotnet_str(v) for v in _flatten(sources)]
    kept = [p for p in parts if p]
    if not kept:
        return None if all(v is None for v in _flatten(sources)) else ""
    return (dotnet_str(separator) or "").join(kept)


def _fn_left(ev: Evaluator, node: Call, value: Any, count: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return ""
    n = to_int(count, "Left NumChars", node.position)
    if n < 0:
        return text
    return text[:n]


def _fn_mid(ev: Evaluator, node: Call, value: Any, start: Any, length: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    begin = to_int(start, "Mid start", node.position)
    count = to_int(length, "Mid length", node.position)
    if begin < 1:
        raise ExpressionEvaluationError("Mid start must be 1 or more", node.position)
    if count < 0:
        raise ExpressionEvaluationError("Mid length must not be negative", node.position)
    return text[begin - 1 : begin - 1 + count]


def _fn_normalize(ev: Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    return None if text is None else normalize_diacritics(text)


def _fn_not(ev: Evaluator, node: Call, value: Any) -> Any:
    # "If source value is True, returns False. Otherwise, returns True."
    return not _to_bool_lenient(value)


def _fn_now(ev: Evaluator, node: Call) -> Any:
    return to_utc(ev.context.now())


def _fn_pcase(ev: Evaluator, node: Call, value: Any, separators: Any = None) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    return proper_case(text, dotnet_str(separators) if separators is not None else None)


def _fn_randomstring(
    ev: Evaluator,
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
        to_int(length, "RandomString Length", p),
        to_int(numbers, "RandomString MinimumNumbers", p),
        to_int(specials, "RandomString MinimumSpecialCharacters", p),
        to_int(capitals, "RandomString MinimumCapital", p),
        to_int(lowers, "RandomString MinimumLowerCase", p),
        dotnet_str(avoid) or "",
        p,
    )


def _fn_redact(ev: Evaluator, node: Call, value: Any) -> Any:
    return value  # the value flows; only the logs hide it (see Expression.redacted)


def _fn_removeduplicates(ev: Evaluator, node: Call, value: Any) -> Any:
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
    ev: Evaluator,
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
        return regex.sub(dotnet_replacement(str(replacement)), text)
    raise ExpressionEvaluationError(
        "Replace needs oldValue with replacementValue or template, or regexPattern with "
        "replacementValue (optionally regexGroupName), or regexPattern, regexGroupName and "
        "replacementAttributeName",
        p,
    )


def _fn_selectunique(ev: Evaluator, node: Call) -> Any:
    for arg in node.args:
        value = ev.eval(arg)
        if value is None or value == "":
            continue
        if ev.context.is_unique(dotnet_str(value) or ""):
            return value
    raise ExpressionEvaluationError(
        "SelectUniqueValue: every candidate value is already taken", node.position
    )


def _fn_split(ev: Evaluator, node: Call, value: Any, delimiter: Any) -> Any:
    text = _str_arg(value)
    if text is None:
        return None
    sep = dotnet_str(delimiter)
    if not sep:
        return [text]
    # The documented sample drops the blank after the comma ("One, Two" → ["One", "Two"]).
    return [part.strip() for part in text.split(sep)]


def _fn_stripspaces(ev: Evaluator, node: Call, value: Any) -> Any:
    text = _str_arg(value)
    return None if text is None else text.replace(" ", "")


def _fn_switch(ev: Evaluator, node: Call) -> Any:
    source = ev.eval(node.args[0])
    # Case-sensitive string comparison; an absent source matches the key "".
    key_text = _str_arg(source) or ""
    pairs = node.args[2:]
    for i in range(0, len(pairs), 2):
        key = ev.eval(pairs[i])
        if (dotnet_str(key) or "") == key_text:
            return ev.eval(pairs[i + 1])
    return ev.eval(node.args[1])


def _fn_tolower(ev: Evaluator, node: Call, value: Any, culture: Any = None) -> Any:
    if isinstance(value, list):
        return [v.lower() if isinstance(v, str) else v for v in value]
    text = _str_arg(value)
    return None if text is None else text.lower()


def _fn_toupper(ev: Evaluator, node: Call, value: Any, culture: Any = None) -> Any:
    if isinstance(value, list):
        return [v.upper() if isinstance(v, str) else v for v in value]
    text = _str_arg(value)
    return None if text is None else text.upper()


def _fn_word(ev: Evaluator, node: Call, value: Any, number: Any, delimiters: Any) -> Any:
    text = _str_arg(value)
    n = to_int(number, "Word WordNumber", node.position)
    if text is None or n < 1:
        return ""
    delims = dotnet_str(delimiters) or ""
    if delims:
        words = [w for w in re.split("[" + re.escape(delims) + "]", text) if w]
    else:
        words = [text] if text else []
    return words[n - 1] if n <= len(words) else ""


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name.casefold(): spec
    for spec in [
        FunctionSpec("Append", 2, 2, _fn_append),
        FunctionSpec("AppRoleAssignmentsComplex", 1, 1, _fn_roles_complex),
        FunctionSpec("AssertiveAppRoleAssignmentsComplex", 1, 1, _fn_roles_assertive),
        FunctionSpec("BitAnd", 2, 2, _fn_bitand),
        FunctionSpec("CBool", 1, 1, _fn_cbool),
        FunctionSpec("CDate", 1, 1, _fn_cdate),
        FunctionSpec("Coalesce", 1, None, _fn_coalesce),
        FunctionSpec("ConvertToBase64", 1, 1, _fn_base64),
        FunctionSpec("ConvertToUTF8Hex", 1, 1, _fn_utf8hex),
        FunctionSpec("Count", 1, 1, _fn_count),
        FunctionSpec("CStr", 1, 1, _fn_cstr),
        FunctionSpec("DateAdd", 3, 3, _fn_dateadd),
        FunctionSpec("DateDiff", 3, 3, _fn_datediff),
        FunctionSpec("DateFromNum", 1, 1, _fn_datefromnum),
        FunctionSpec("FormatDateTime", 3, 4, _fn_formatdatetime),
        FunctionSpec("Guid", 0, 0, _fn_guid),
        FunctionSpec("IgnoreFlowIfNullOrEmpty", 1, 1, _fn_ignoreflow),
        FunctionSpec("IIF", 3, 3, _fn_iif, lazy=True),
        FunctionSpec("InStr", 2, 4, _fn_instr),
        FunctionSpec("IsNull", 1, 1, _fn_isnull),
        FunctionSpec("IsNullOrEmpty", 1, 1, _fn_isnullorempty),
        FunctionSpec("IsPresent", 1, 1, _fn_ispresent),
        FunctionSpec("IsString", 1, 1, _fn_isstring),
        FunctionSpec("Item", 2, 2, _fn_item),
        FunctionSpec("Join", 2, None, _fn_join),
        FunctionSpec("Left", 2, 2, _fn_left),
        FunctionSpec("Mid", 3, 3, _fn_mid),
        FunctionSpec("NormalizeDiacritics", 1, 1, _fn_normalize),
        FunctionSpec("Not", 1, 1, _fn_not),
        FunctionSpec("Now", 0, 0, _fn_now),
        FunctionSpec("NumFromDate", 1, 1, _fn_numfromdate),
        FunctionSpec("PCase", 1, 2, _fn_pcase),
        FunctionSpec("RandomString", 5, 6, _fn_randomstring),
        FunctionSpec("Redact", 1, 1, _fn_redact),
        FunctionSpec("RemoveDuplicates", 1, 1, _fn_removeduplicates),
        FunctionSpec("Replace", 2, 7, _fn_replace),
        FunctionSpec("SelectUniqueValue", 2, None, _fn_selectunique, lazy=True),
        FunctionSpec("SingleAppRoleAssignment", 1, 1, _fn_single_role),
        FunctionSpec("Split", 2, 2, _fn_split),
        FunctionSpec("StripSpaces", 1, 1, _fn_stripspaces),
        FunctionSpec("Switch", 2, None, _fn_switch, lazy=True),
        FunctionSpec("ToLower", 1, 2, _fn_tolower),
        FunctionSpec("ToUpper", 1, 2, _fn_toupper),
        FunctionSpec("Word", 3, 3, _fn_word),
    ]
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
                for p, t, r, m in PARAMETERS[name]
            ],
        }
        for name in supported_functions()
    ]


def supported_functions() -> list[str]:
    """Canonical names of every function the evaluator knows, sorted."""
    return sorted(spec.name for spec in FUNCTIONS.values())
