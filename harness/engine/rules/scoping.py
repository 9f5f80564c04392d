"""Scoping filters: which source objects an object mapping may provision.

Graph's shape (``objectMapping.scope``)::

    {"groups": [{"name": "...", "clauses": [
        {"sourceOperandName": "department", "operatorName": "EQUALS",
         "targetOperand": {"values": ["Sales"]}}]}],
     "inputFilterGroups": [], "categoryFilterGroups": []}

Clauses in one filter group are AND-ed; filter groups are OR-ed; no groups at all means
everything is in scope. A null or empty attribute fails every clause except ``IS NULL``
(documented: "Scoping filters will return false if the value is null / empty"). Multi-valued
attributes are not supported for filtering, so a list value fails the clause.

Operator names are the portal's (``EQUALS``, ``NOT EQUALS``, ``IS TRUE``, ...). The names
stored in schema JSON are not documented beyond ``EQUALS``, so spellings that differ only in
case, spaces and underscores (``NOTEQUALS``, ``Not_Equals``, ``GreaterThan``) are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.engine.rules.expressions import SourceView, as_source_view, dotnet_regex, dotnet_str

__all__ = [
    "OPERATORS",
    "ScopeError",
    "ScopeResult",
    "canonical_operator",
    "evaluate_scope",
    "operator_definitions",
    "validate_scope",
]


class ScopeError(ValueError):
    """A scoping filter that cannot be used (unknown operator, missing operand, bad regex)."""


@dataclass(frozen=True, slots=True)
class ScopeResult:
    """Whether an object passed the scoping filters, and why (for the provisioning logs)."""

    in_scope: bool
    reason: str
    # The filter group that let the object in (None when there are no filters or none passed).
    matched_group: str | None = None

    def __bool__(self) -> bool:
        return self.in_scope


def _text(value: Any) -> str:
    return dotnet_str(value) or ""


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().casefold() == "true")


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().casefold() == "false")


def _compare_ints(test: Callable[[int, int], bool]) -> Callable[[Any, list[str]], bool]:
    def check(value: Any, targets: list[str]) -> bool:
        number = _integer(value)
        if number is None:
            return False
        limits = [_integer(t) for t in targets]
        return any(limit is not None and test(number, limit) for limit in limits)

    return check


def _regex_match(value: Any, targets: list[str]) -> bool:
    try:
        return any(dotnet_regex(t, 0).search(_text(value)) for t in targets)
    except ValueError as exc:
        raise ScopeError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class _Operator:
    name: str  # the portal's spelling
    unary: bool
    check: Callable[[Any, list[str]], bool]
    # IS NULL / IS NOT NULL decide on null themselves; every other operator fails on null.
    handles_null: bool = False
    documented: bool = True


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


OPERATORS: dict[str, _Operator] = {}


def _register(op: _Operator, *aliases: str) -> None:
    for spelling in (op.name, *aliases):
        OPERATORS[_fold(spelling)] = op


def _fold(name: str) -> str:
    return re.sub(r"[\s_]", "", name).upper()


_register(_Operator("EQUALS", False, lambda v, t: _text(v) in t))
_register(_Operator("NOT EQUALS", False, lambda v, t: _text(v) not in t))
_register(_Operator("IS TRUE", True, lambda v, t: _is_true(v)))
_register(_Operator("IS FALSE", True, lambda v, t: _is_false(v)))
_register(_Operator("IS NULL", True, lambda v, t: _empty(v), handles_null=True))
_register(_Operator("IS NOT NULL", True, lambda v, t: not _empty(v), handles_null=True))
_register(_Operator("REGEX MATCH", False, _regex_match))
_register(_Operator("NOT REGEX MATCH", False, lambda v, t: not _regex_match(v, t)))
_register(_Operator("Greater_Than", False, _compare_ints(lambda a, b: a > b)))
_register(_Operator("Greater_Than_OR_EQUALS", False, _compare_ints(lambda a, b: a >= b)))
_register(_Operator("Includes", False, lambda v, t: any(x in _text(v) for x in t)))
_register(_Operator("ENDS_WITH", False, lambda v, t: any(_text(v).endswith(x) for x in t)))
# "&": the attribute value occurs in the operand; "!&": it does not.
_register(_Operator("&", False, lambda v, t: any(_text(v) in x for x in t)))
_register(_Operator("!&", False, lambda v, t: not any(_text(v) in x for x in t)))
# Not in Microsoft's operator list; kept for symmetry with Greater_Than (documented as such).
_register(_Operator("Less_Than", False, _compare_ints(lambda a, b: a < b), documented=False))
_register(
    _Operator("Less_Than_OR_EQUALS", False, _compare_ints(lambda a, b: a <= b), documented=False)
)
# Microsoft: "The IsMemberOf filter is not supported currently." Evaluated against the
# object's ``memberOf`` (group ids or display names) when a caller opts in.
_register(
    _Operator(
        "IS MEMBER OF", False, lambda v, t: any(x in _memberships(v) for x in t), documented=False
    ),
    "ISMEMBEROF",
)
_register(
    _Operator(
        "IS NOT MEMBER OF",
        False,
        lambda v, t: not any(x in _memberships(v) for x in t),
        documented=False,
    ),
    "ISNOTMEMBEROF",
)
_MEMBERSHIP = {"IS MEMBER OF", "IS NOT MEMBER OF"}


def _memberships(value: Any) -> set[str]:
    out: set[str] = set()
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, Mapping):
            out.update(str(item[k]) for k in ("id", "displayName") if item.get(k))
        elif item is not None:
            out.add(str(item))
    return out


_ATTRIBUTE_TYPES = {
    "IS TRUE": ["Boolean"],
    "IS FALSE": ["Boolean"],
    "IS NULL": ["String", "Integer", "Boolean", "DateTime"],
    "IS NOT NULL": ["String", "Integer", "Boolean", "DateTime"],
    "Greater_Than": ["Integer"],
    "Greater_Than_OR_EQUALS": ["Integer"],
    "Less_Than": ["Integer"],
    "Less_Than_OR_EQUALS": ["Integer"],
    "REGEX MATCH": ["String"],
    "NOT REGEX MATCH": ["String"],
    "Includes": ["String"],
    "ENDS_WITH": ["String"],
    "&": ["String"],
    "!&": ["String"],
    "IS MEMBER OF": ["Reference"],
    "IS NOT MEMBER OF": ["Reference"],
}


def operator_definitions(*, include_undocumented: bool = False) -> list[dict[str, Any]]:
    """The operators as ``GET .../schema/filterOperators`` lists them (``filterOperatorSchema``:
    ``name``, ``arity``, ``multivaluedComparisonType``, ``supportedAttributeTypes``), one per
    operator under its portal spelling. Only Microsoft's documented operators unless
    ``include_undocumented`` (Less_Than..., IS MEMBER OF...)."""
    seen: dict[str, _Operator] = {}
    for op in OPERATORS.values():
        if op.documented or include_undocumented:
            seen.setdefault(op.name, op)
    return [
        {
            "name": op.name,
            "arity": "Unary" if op.unary else "Binary",
            "multivaluedComparisonType": "All",
            "supportedAttributeTypes": _ATTRIBUTE_TYPES.get(op.name, ["String", "Integer"]),
        }
        for op in sorted(seen.values(), key=lambda o: o.name.casefold())
    ]


def canonical_operator(name: str) -> str:
    """The portal spelling of an operator name, accepting the documented aliases.
    Raises :class:`ScopeError` for an unknown operator."""
    op = OPERATORS.get(_fold(str(name)))
    if op is None:
        known = ", ".join(sorted({o.name for o in OPERATORS.values()}))
        raise ScopeError(f"unknown scoping filter operator {name!r}; supported: {known}")
    return op.name


def _groups(scope: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not scope:
        return []
    groups = scope.get("groups")
    if groups is None:
        return []
    if not isinstance(groups, Sequence) or isinstance(groups, str | bytes):
        raise ScopeError("scope.groups must be a list of filter groups")
    return list(groups)


def _targets(clause: Mapping[str, Any]) -> list[str]:
    operand = clause.get("targetOperand")
    if operand is None:
        return []
    if not isinstance(operand, Mapping):
        raise ScopeError("targetOperand must be an object with 'values'")
    values = operand.get("values") or []
    if isinstance(values, str):
        values = [values]
    return [_text(v) for v in values]


def validate_scope(scope: Mapping[str, Any] | None, *, allow_member_of: bool = False) -> None:
    """Check a scope before it is stored: every clause names an attribute and a known
    operator, binary operators have a value, integer operators have integer values and
    regular expressions compile. ``IS MEMBER OF`` is refused (Entra does not support it)
    unless ``allow_member_of``. Raises :class:`ScopeError` naming the filter and clause."""
    if scope is None:
        return
    if not isinstance(scope, Mapping):
        raise ScopeError("scope must be an object with 'groups'")
    for key in ("groups", "inputFilterGroups", "categoryFilterGroups"):
        groups = scope.get(key)
        if groups is None:
            continue
        if not isinstance(groups, Sequence) or isinstance(groups, str | bytes):
            raise ScopeError(f"scope.{key} must be a list of filter groups")
        for g, group in enumerate(groups):
            if not isinstance(group, Mapping):
                raise ScopeError(f"scope.{key}[{g}] must be an object with 'clauses'")
            label = f"filter {group['name']!r}" if group.get("name") else f"filter {g + 1}"
            clauses = group.get("clauses") or []
            if not isinstance(clauses, Sequence) or isinstance(clauses, str | bytes):
                raise ScopeError(f"{label}: clauses must be a list")
            for c, clause in enumerate(clauses):
                _validate_clause(clause, f"{label}, clause {c + 1}", allow_member_of)


def _validate_clause(clause: Any, label: str, allow_member_of: bool) -> None:
    if not isinstance(clause, Mapping):
        raise ScopeError(f"{label}: a clause must be an object")
    if not clause.get("sourceOperandName"):
        raise ScopeError(f"{label}: sourceOperandName is missing")
    name = clause.get("operatorName")
    if not name:
        raise ScopeError(f"{label}: operatorName is missing")
    try:
        op = OPERATORS[_fold(str(name))]
    except KeyError:
        raise ScopeError(f"{label}: {_unknown_operator_message(name)}") from None
    if op.name in _MEMBERSHIP and not allow_member_of:
        raise ScopeError(f"{label}: {op.name} is not supported by Entra scoping filters")
    targets = _targets(clause)
    if not op.unary and not targets:
        raise ScopeError(f"{label}: {op.name} needs a value in targetOperand.values")
    if op.name.startswith(("Greater", "Less")) and any(_integer(t) is None for t in targets):
        raise ScopeError(f"{label}: {op.name} compares integers; {targets!r} is not an integer")
    if "REGEX" in op.name:
        for target in targets:
            try:
                dotnet_regex(target, 0)
            except ValueError as exc:
                raise ScopeError(f"{label}: {exc}") from None


def _unknown_operator_message(name: Any) -> str:
    try:
        canonical_operator(str(name))
    except ScopeError as exc:
        return str(exc)
    return ""


def _lookup(source: SourceView, name: str) -> Any:
    try:
        return source[name]
    except KeyError:
        return None


def evaluate_scope(scope: Mapping[str, Any] | None, source: Mapping[str, Any]) -> ScopeResult:
    """Evaluate ``scope.groups`` for one object. The first clause that fails in each group is
    named in ``reason``. ``inputFilterGroups``/``categoryFilterGroups`` (experimental) are not
    evaluated. Raises :class:`ScopeError` for an unknown operator."""
    groups = _groups(scope)
    if not groups:
        return ScopeResult(True, "no scoping filters")
    view = as_source_view(source)
    failures: list[str] = []
    for g, group in enumerate(groups):
        label = str(group.get("name") or f"filter {g + 1}")
        failed = _first_failing_clause(group, view)
        if failed is None:
            return ScopeResult(True, f"passed scoping filter {label!r}", matched_group=label)
        failures.append(f"{label!r}: {failed}")
    return ScopeResult(False, "failed every scoping filter (" + "; ".join(failures) + ")")


def _first_failing_clause(group: Mapping[str, Any], source: SourceView) -> str | None:
    for clause in group.get("clauses") or []:
        attribute = str(clause.get("sourceOperandName") or "")
        op = OPERATORS.get(_fold(str(clause.get("operatorName") or "")))
        if op is None:
            raise ScopeError(_unknown_operator_message(clause.get("operatorName")))
        targets = _targets(clause)
        value = _lookup(source, attribute)
        shown = f"{attribute} {op.name}" + (f" {targets!r}" if not op.unary else "")
        if op.name not in _MEMBERSHIP and isinstance(value, list | tuple):
            return f"{shown} is false (multi-valued attributes cannot be filtered)"
        if not op.handles_null and op.name not in _MEMBERSHIP and _empty(value):
            return f"{shown} is false ({attribute} is null or empty)"
        if not op.check(value, targets):
            return f"{shown} is false ({attribute} = {_text(value)!r})"
    return None
