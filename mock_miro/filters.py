"""SCIM filter expressions (RFC 7644 section 3.4.2.2,
https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2.2) as Miro documents them.

Operators eq ne co sw ew pr gt ge lt le, and/or/not, parentheses, value paths such as
``emails[type eq "work"]`` (and Entra's ``emails[type eq "work"].value eq "x"``). Attribute
names and operators are case-insensitive; string values compare case-insensitively unless the
attribute is caseExact. Unknown attributes simply match nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .exceptions import invalid_filter
from .schemas import AttrInfo

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
MAX_FILTER_LENGTH = 10_000
MAX_PATH_LENGTH = 1_000
MAX_DEPTH = 50  # nesting of (), not and []: keeps recursion far from Python's limit

_TOKEN = re.compile(r'\s*(?:(\()|(\))|(\[)|(\])|("(?:[^"\\]|\\.)*")|([^\s()\[\]"]+))')
# The leading "urn:" is case-insensitive like the rest of the URN (RFC 8141 section 3.1).
_PATH = re.compile(
    r"^(?:(?P<urn>(?i:urn):[A-Za-z0-9:._-]+):)?(?P<attr>[A-Za-z$][\w$-]*)(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$"
)


@dataclass(frozen=True)
class AttrPath:
    urn: str | None  # lower-cased extension URN, None for core attributes
    attr: str  # lower-cased
    sub: str | None  # lower-cased

    def __str__(self) -> str:
        base = f"{self.urn}:{self.attr}" if self.urn else self.attr
        return f"{base}.{self.sub}" if self.sub else base


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class ValuePath:
    path: AttrPath  # the multi-valued attribute (sub is None)
    inner: Node
    sub: str | None = None  # Entra's ``[...] .value`` tail
    op: str | None = None  # None: the bracket alone; "pr" or a compare op otherwise
    value: Any = None


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | Present | ValuePath | And | Or | Not


def parse_path(text: str, core_urns: tuple[str, ...] = ()) -> AttrPath:
    if len(text) > MAX_PATH_LENGTH:
        raise invalid_filter("Attribute path is too long")
    match = _PATH.match(text)
    if not match:
        raise invalid_filter(f"Invalid attribute path '{text}'")
    urn = match.group("urn")
    urn = urn.lower() if urn else None
    if urn and urn in core_urns:
        urn = None
    sub = match.group("sub")
    return AttrPath(urn, match.group("attr").lower(), sub.lower() if sub else None)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise invalid_filter(f"Invalid filter near position {pos}")
        pos = match.end()
        kind = ("(", ")", "[", "]", "str", "word")[match.lastindex - 1]  # type: ignore[operator]
        tokens.append((kind, match.group(match.lastindex)))  # type: ignore[arg-type]
    return tokens


class _Parser:
    def __init__(self, text: str, core_urns: tuple[str, ...]) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.core_urns = core_urns
        self.depth = 0

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise invalid_filter(f"Filter is nested more than {MAX_DEPTH} levels deep")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (kind is not None and tok[0] != kind):
            want = f"'{kind}'" if kind else "more input"
            raise invalid_filter(f"Invalid filter: expected {want}")
        self.pos += 1
        return tok

    def keyword(self, *words: str) -> str | None:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() in words:
            self.pos += 1
            return tok[1].lower()
        return None

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise invalid_filter(f"Invalid filter: unexpected '{self.peek()[1]}'")  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = And(node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            self.nest()
            node: Node = Not(self.unary())
            self.depth -= 1
            return node
        tok = self.peek()
        if tok and tok[0] == "(":
            self.nest()
            self.take("(")
            node = self.or_expr()
            self.take(")")
            self.depth -= 1
            return node
        return self.attr_expr()

    def attr_expr(self) -> Node:
        kind, text = self.take()
        if kind != "word":
            raise invalid_filter(f"Invalid filter: expected an attribute, got '{text}'")
        path = parse_path(text, self.core_urns)
        tok = self.peek()
        if tok and tok[0] == "[":
            if path.sub:
                raise invalid_filter(f"Invalid filter: '{text}[' is not a value path")
            self.take("[")
            self.nest()
            inner = self.or_expr()
            self.depth -= 1
            self.take("]")
            sub = None
            nxt = self.peek()
            if nxt and nxt[0] == "word" and nxt[1].startswith("."):
                self.pos += 1
                sub = parse_path(nxt[1][1:]).attr
            op = self.keyword(*COMPARE_OPS, "pr")
            if op is None:
                if sub is not None:
                    raise invalid_filter(
                        "Invalid filter: a value path with a sub-attribute needs an operator"
                    )
                return ValuePath(path, inner)
            value = None if op == "pr" else self.literal()
            return ValuePath(path, inner, sub, op, value)
        op = self.keyword(*COMPARE_OPS, "pr")
        if op is None:
            raise invalid_filter(f"Invalid filter: expected an operator after '{text}'")
        if op == "pr":
            return Present(path)
        return Compare(path, op, self.literal())

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            try:
                return json.loads(text)
            except ValueError as exc:
                raise invalid_filter("Invalid filter: bad string literal") from exc
        if kind == "word":
            low = text.lower()
            if low in ("true", "false"):
                return low == "true"
            if low == "null":
                return None
            if re.fullmatch(r"-?\d+", text):
                return int(text)
            if re.fullmatch(r"-?\d+\.\d+([eE][-+]?\d+)?", text):
                return float(text)
        raise invalid_filter(f"Invalid filter: '{text}' is not a value (quote strings)")


def parse_filter(text: str, core_urns: tuple[str, ...] = ()) -> Node:
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter("Filter is too long")
    if not text.strip():
        raise invalid_filter("Filter is empty")
    return _Parser(text, tuple(u.lower() for u in core_urns)).parse()


# ---------------------------------------------------------------- evaluation


def get_ci(container: Any, key: str) -> Any:
    """Dict lookup by a lower-cased key; resource dicts are small, so a fallback scan is cheap."""
    if not isinstance(container, dict):
        return None
    if key in container:
        return container[key]
    for k, v in container.items():
        if k.lower() == key:
            return v
    return None


def _info(
    table: dict[str, AttrInfo], path: AttrPath, ext: dict[str, dict[str, AttrInfo]]
) -> AttrInfo | None:
    scope = ext.get(path.urn, {}) if path.urn else table
    info = scope.get(path.attr)
    if info and path.sub:
        return info.subs.get(path.sub)
    return info


def resolve(resource: dict[str, Any], path: AttrPath) -> list[Any]:
    container: Any = resource
    if path.urn:
        container = get_ci(resource, path.urn)
    value = get_ci(container, path.attr)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if path.sub:
            if isinstance(item, dict):
                got = get_ci(item, path.sub)
                if isinstance(got, list):
                    out.extend(got)
                elif got is not None:
                    out.append(got)
        elif isinstance(item, dict):
            # A complex multi-valued attribute compares on its "value" (RFC 7644 section 3.4.2.2).
            got = get_ci(item, "value")
            if got is not None:
                out.append(got)
        else:
            out.append(item)
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compare(op: str, actual: Any, literal: Any, case_exact: bool) -> bool:
    if literal is None:
        return False
    if isinstance(actual, bool):
        if isinstance(literal, str) and literal.lower() in ("true", "false"):
            literal = literal.lower() == "true"  # Entra writes booleans as "True"/"False"
        return op == "eq" and isinstance(literal, bool) and actual == literal
    if (
        isinstance(actual, int | float)
        and isinstance(literal, int | float)
        and not isinstance(literal, bool)
    ):
        a_num, l_num = float(actual), float(literal)
        return {
            "eq": a_num == l_num,
            "gt": a_num > l_num,
            "ge": a_num >= l_num,
            "lt": a_num < l_num,
            "le": a_num <= l_num,
        }.get(op, False)
    a, lit = _as_text(actual), _as_text(literal)
    if not case_exact:
        a, lit = a.casefold(), lit.casefold()
    if op == "eq":
        return a == lit
    if op == "co":
        return lit in a
    if op == "sw":
        return a.startswith(lit)
    if op == "ew":
        return a.endswith(lit)
    if op == "gt":
        return a > lit
    if op == "ge":
        return a >= lit
    if op == "lt":
        return a < lit
    if op == "le":
        return a <= lit
    return False


def _test(values: list[Any], op: str, literal: Any, case_exact: bool) -> bool:
    if op == "pr":
        return any(v not in ("", [], {}) for v in values)
    if op == "ne":
        if literal is None:
            return bool(values)
        return not any(compare("eq", v, literal, case_exact) for v in values)
    if op == "eq" and literal is None:
        return not values
    return any(compare(op, v, literal, case_exact) for v in values)


def matches(
    node: Node,
    resource: dict[str, Any],
    table: dict[str, AttrInfo],
    ext: dict[str, dict[str, AttrInfo]] | None = None,
) -> bool:
    ext = ext or {}
    if isinstance(node, And):
        return matches(node.left, resource, table, ext) and matches(
            node.right, resource, table, ext
        )
    if isinstance(node, Or):
        return matches(node.left, resource, table, ext) or matches(node.right, resource, table, ext)
    if isinstance(node, Not):
        return not matches(node.inner, resource, table, ext)
    if isinstance(node, Present):
        return _test(resolve(resource, node.path), "pr", None, False)
    if isinstance(node, Compare):
        info = _info(table, node.path, ext)
        return _test(
            resolve(resource, node.path), node.op, node.value, bool(info and info.case_exact)
        )
    # ValuePath
    container: Any = get_ci(resource, node.path.urn) if node.path.urn else resource
    items = get_ci(container, node.path.attr)
    if not isinstance(items, list):
        items = [items] if isinstance(items, dict) else []
    info = _info(table, node.path, ext)
    sub_table = info.subs if info else {}
    chosen = [it for it in items if isinstance(it, dict) and matches(node.inner, it, sub_table)]
    if node.op is None:
        return bool(chosen)
    sub = node.sub or "value"
    values = [v for it in chosen if (v := get_ci(it, sub)) is not None]
    sub_info = sub_table.get(sub)
    return _test(values, node.op, node.value, bool(sub_info and sub_info.case_exact))


def attributes_used(node: Node) -> set[AttrPath]:
    """Every attribute a filter names (to reject filters Miro does not support)."""
    if isinstance(node, And | Or):
        return attributes_used(node.left) | attributes_used(node.right)
    if isinstance(node, Not):
        return attributes_used(node.inner)
    return {node.path}


def index_lookup(node: Node, attr: str) -> Any | None:
    """The literal of an ``attr eq "x"`` term that must hold (directly or under an ``and``)."""
    if (
        isinstance(node, Compare)
        and node.op == "eq"
        and node.path.urn is None
        and node.path.attr == attr
        and node.path.sub is None
        and isinstance(node.value, str | int)
    ):
        return node.value
    if isinstance(node, And):
        found = index_lookup(node.left, attr)
        return found if found is not None else index_lookup(node.right, attr)
    return None
