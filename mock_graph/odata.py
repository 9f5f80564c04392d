"""OData query options as Graph's directory understands them: ``$filter`` (parsed once per
request into a Python predicate), ``$select``, ``$orderby``, ``$search``, ``$top``, and the
advanced-query rules (``ConsistencyLevel: eventual`` + ``$count=true``).

Microsoft documents them in https://learn.microsoft.com/en-us/graph/query-parameters and
https://learn.microsoft.com/en-us/graph/aad-advanced-queries. String comparisons are
case-insensitive, as the directory's are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_graph.exceptions import GraphError, bad_request, unsupported_query
from mock_graph.schemas import EntityType

Record = dict[str, Any]
Predicate = Callable[[Record], bool]

MAX_TOP = 999
MAX_DEPTH = 64  # nesting of (), not and any(): deeper is a 400, not a RecursionError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-]))
  | (?P<number>-?\d+(?:\.\d+)?(?![\w-]))
  | (?P<punct>[(),:/])
  | (?P<name>[A-Za-z_$@][\w.$@]*)
    """,
    re.VERBOSE,
)

_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCS = {"startswith": "startsWith", "endswith": "endsWith", "contains": "contains"}


def filter_error(detail: str, text: str) -> GraphError:
    shown = text if len(text) <= 200 else text[:200] + "…"
    return bad_request(f"Invalid filter clause: {detail} in '{shown}'.", code="BadRequest")


@dataclass
class Tok:
    kind: str
    value: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise filter_error(f"Syntax error at position {pos}", text)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(Tok(kind, m.group(), pos))
        pos = m.end()
    return out


@dataclass
class Literal:
    type: str  # string | guid | datetime | number | bool | null
    value: Any


@dataclass
class Usage:
    """One (property, operator) pair met in the filter, checked against the type's table."""

    prop: str
    op: str


@dataclass
class FilterPlan:
    predicate: Predicate
    usages: list[Usage] = field(default_factory=list)
    # A top-level "id/userPrincipalName eq|in" lets the state answer from an index.
    index_key: tuple[str, list[str]] | None = None


def _norm(v: Any) -> Any:
    return v.casefold() if isinstance(v, str) else v


def _as_datetime(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _compare(op: str, left: Any, right: Any, dtype: str) -> bool:
    if op == "eq":
        return _norm(left) == _norm(right)
    if op == "ne":
        return _norm(left) != _norm(right)
    if left is None or right is None:
        return False
    if dtype == "datetime":
        left, right = _as_datetime(left), _as_datetime(right)
        if left is None or right is None:
            return False
    else:
        left, right = _norm(left), _norm(right)
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


_LITERAL_FOR_TYPE = {
    "string": {"string"},
    "guid": {"guid"},
    "datetime": {"datetime"},
    "bool": {"bool"},
    "int": {"number"},
    "strings": {"string"},
}
_EDM = {
    "string": "Edm.String",
    "guid": "Edm.Guid",
    "datetime": "Edm.DateTimeOffset",
    "bool": "Edm.Boolean",
    "number": "Edm.Int32",
    "int": "Edm.Int32",
    "strings": "Edm.String",
}


class _Parser:
    def __init__(self, text: str, etype: EntityType) -> None:
        self.text = text
        self.etype = etype
        self.toks = tokenize(text)
        self.i = 0
        self.usages: list[Usage] = []
        self.lambda_var: str | None = None
        self.lambda_type = "string"
        self.depth = 0

    # token helpers
    def peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise filter_error("Unexpected end of expression", self.text)
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.next()
        if tok.value.lower() != value:
            raise filter_error(f"Expected '{value}' at position {tok.pos}", self.text)

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "name" and tok.value.lower() in words

    # grammar
    def parse(self) -> FilterPlan:
        if not self.toks:
            raise filter_error("Empty expression", self.text)
        pred = self.parse_or()
        if self.peek() is not None:
            tok = self.peek()
            assert tok is not None
            raise filter_error(f"Syntax error at position {tok.pos}", self.text)
        return FilterPlan(pred, self.usages)

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.at_word("or"):
            self.next()
            parts.append(self.parse_and())
        if len(parts) == 1:
            return parts[0]
        return lambda r: any(p(r) for p in parts)

    def parse_and(self) -> Predicate:
        parts = [self.parse_unary()]
        while self.at_word("and"):
            self.next()
            parts.append(self.parse_unary())
        if len(parts) == 1:
            return parts[0]
        return lambda r: all(p(r) for p in parts)

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise filter_error(
                f"The expression is nested more than {MAX_DEPTH} levels deep", self.text
            )

    def parse_unary(self) -> Predicate:
        if self.at_word("not"):
            self._deeper()
            self.next()
            start = len(self.usages)
            inner = self.parse_unary()
            # one "not" per property inside: copying the inner "not"s too doubled the list at
            # every level, 2**64 entries for 64 nested nots
            met = {(u.prop, u.op) for u in self.usages[start:]}
            for prop in dict.fromkeys(u.prop for u in self.usages[start:]):
                if (prop, "not") not in met:
                    self.usages.append(Usage(prop, "not"))
            return lambda r: not inner(r)
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise filter_error("Unexpected end of expression", self.text)
        if tok.value == "(":
            self.next()
            self._deeper()
            inner = self.parse_or()
            self.expect(")")
            return inner
        nxt = self.peek(1)
        if (
            tok.kind == "name"
            and tok.value.lower() in _FUNCS
            and nxt is not None
            and nxt.value == "("
        ):
            return self.parse_function()
        return self.parse_comparison()

    def parse_function(self) -> Predicate:
        name = _FUNCS[self.next().value.lower()]
        self.expect("(")
        getter, dtype, prop = self.parse_operand_path()
        self.expect(",")
        lit = self.parse_literal()
        self.expect(")")
        if name == "contains":
            raise unsupported_query("Unsupported Query.")
        if dtype not in ("string", "strings") or lit.type != "string":
            raise bad_request(
                f"The '{name}' function only takes string arguments.", code="BadRequest"
            )
        self._use(prop, name)
        needle = lit.value.casefold()
        if name == "startsWith":
            return lambda r: isinstance(v := getter(r), str) and v.casefold().startswith(needle)
        return lambda r: isinstance(v := getter(r), str) and v.casefold().endswith(needle)

    def parse_operand_path(self) -> tuple[Callable[[Record], Any], str, str]:
        """A property path (or the lambda variable). Returns getter, data type, property name."""
        tok = self.next()
        if tok.kind != "name":
            raise filter_error(f"Expected a property name at position {tok.pos}", self.text)
        if self.lambda_var is not None and tok.value == self.lambda_var:
            if self.peek() is not None and self.peek().value == "/":  # type: ignore[union-attr]
                self.next()
                sub = self.next().value
                return (lambda r, s=sub: r.get(s) if isinstance(r, dict) else None), "string", sub
            return (lambda r: r), self.lambda_type, tok.value
        if self.lambda_var is not None:
            # Inside any() the directory compares only the lambda variable (nested lambdas and
            # the outer object's properties there are not supported).
            raise unsupported_query("Unsupported Query.")
        prop = self.etype.props.get(tok.value)
        if prop is None:
            raise bad_request(
                f"Could not find a property named '{tok.value}' on type "
                f"'microsoft.graph.{self.etype.name}'.",
                code="BadRequest",
            )
        if self.peek() is not None and self.peek().value == "/":  # type: ignore[union-attr]
            # complex property path: a/b
            self.next()
            sub = self.next().value
            if sub.lower() in ("any", "all") or sub == "$count":
                self.i -= 2
                return (lambda r, n=prop.name: r.get(n)), prop.type, prop.name
            self._use(prop.name, "complex")
            return (
                (
                    lambda r, n=prop.name, s=sub: (
                        (r.get(n) or {}).get(s) if isinstance(r.get(n), dict) else None
                    )
                ),
                "string",
                prop.name,
            )
        return (lambda r, n=prop.name: r.get(n)), prop.type, prop.name

    def parse_literal(self) -> Literal:
        tok = self.next()
        if tok.kind == "string":
            return Literal("string", tok.value[1:-1].replace("''", "'"))
        if tok.kind == "guid":
            return Literal("guid", tok.value.lower())
        if tok.kind == "datetime":
            if _as_datetime(tok.value) is None:
                raise filter_error(f"Invalid datetime at position {tok.pos}", self.text)
            return Literal("datetime", tok.value)
        if tok.kind == "number":
            return Literal("number", float(tok.value) if "." in tok.value else int(tok.value))
        if tok.kind == "name" and tok.value.lower() in ("true", "false"):
            return Literal("bool", tok.value.lower() == "true")
        if tok.kind == "name" and tok.value.lower() == "null":
            return Literal("null", None)
        raise filter_error(f"Expected a literal at position {tok.pos}", self.text)

    def _use(self, prop: str, op: str) -> None:
        if self.lambda_var is None or prop != self.lambda_var:
            self.usages.append(Usage(prop, op))

    def _check_types(self, dtype: str, lit: Literal, op: str) -> None:
        if lit.type == "null":
            return
        allowed = _LITERAL_FOR_TYPE.get(dtype)
        if allowed is None:
            raise unsupported_query("Unsupported Query.")
        if lit.type not in allowed:
            raise bad_request(
                "A binary operator with incompatible types was detected. Found operand types "
                f"'{_EDM.get(dtype, dtype)}' and '{_EDM.get(lit.type, lit.type)}' for operator "
                f"kind '{op}'.",
                code="BadRequest",
            )

    def parse_comparison(self) -> Predicate:
        getter, dtype, prop = self.parse_operand_path()
        nxt = self.peek()
        if nxt is not None and nxt.value == "/":
            return self.parse_lambda(getter, dtype, prop)
        op_tok = self.next()
        op = op_tok.value.lower()
        if dtype == "strings" and self.lambda_var != prop:
            # collections are compared only inside any(): groupTypes/any(c:c eq 'Unified')
            raise unsupported_query(
                f"Unsupported or invalid query filter clause specified for property '{prop}' "
                f"of resource '{self.etype.resource}'."
            )
        if op == "in":
            self.expect("(")
            values: list[Literal] = [self.parse_literal()]
            while self.peek() is not None and self.peek().value == ",":  # type: ignore[union-attr]
                self.next()
                values.append(self.parse_literal())
            self.expect(")")
            for v in values:
                self._check_types(dtype, v, "In")
            self._use(prop, "in")
            wanted = {_norm(v.value) for v in values}
            return lambda r: _norm(getter(r)) in wanted
        if op not in _COMPARE:
            raise filter_error(
                f"Unknown operator '{op_tok.value}' at position {op_tok.pos}", self.text
            )
        lit = self.parse_literal()
        self._check_types(dtype, lit, {"eq": "Equal", "ne": "NotEqual"}.get(op, op))
        if lit.type == "null":
            if op not in ("eq", "ne"):
                raise filter_error("null can only be compared with eq or ne", self.text)
            self._use(prop, "eqnull")
        else:
            self._use(prop, {"gt": "ge", "lt": "le"}.get(op, op))
        value = lit.value
        return lambda r: _compare(op, getter(r), value, dtype)

    def parse_lambda(self, getter: Callable[[Record], Any], dtype: str, prop: str) -> Predicate:
        self.expect("/")
        word = self.next()
        if word.value == "$count":
            raise unsupported_query(
                f"Unsupported or invalid query filter clause specified for property '{prop}' "
                f"of resource '{self.etype.resource}'."
            )
        if word.value.lower() == "all":
            raise unsupported_query("Unsupported Query.")
        if word.value.lower() != "any":
            raise filter_error(f"Unknown function '{word.value}' at position {word.pos}", self.text)
        if dtype != "strings" and prop not in ("assignedLicenses",):
            raise unsupported_query(
                f"Unsupported or invalid query filter clause specified for property '{prop}' "
                f"of resource '{self.etype.resource}'."
            )
        self.expect("(")
        var = self.next()
        if var.kind != "name":
            raise filter_error(f"Expected a lambda variable at position {var.pos}", self.text)
        self.expect(":")
        self.lambda_var, self.lambda_type = var.value, "string"
        self._deeper()
        self._use(prop, "any")
        inner = self.parse_or()
        self.lambda_var = None
        self.expect(")")
        return lambda r: any(inner(item) for item in (getter(r) or []))


def parse_filter(text: str, etype: EntityType) -> FilterPlan:
    parser = _Parser(text, etype)
    plan = parser.parse()
    plan.index_key = _index_key(parser.toks)
    return plan


def _index_key(toks: list[Tok]) -> tuple[str, list[str]] | None:
    """``id eq 'x'``, ``userPrincipalName eq 'x'`` or ``... in ('a','b')`` alone: indexable;
    so is ``principalId eq <guid>`` on assignments."""
    if (
        len(toks) == 3
        and toks[0].value == "principalId"
        and toks[1].value.lower() == "eq"
        and toks[2].kind == "guid"
    ):
        return "principalId", [toks[2].value.lower()]
    if len(toks) < 3 or toks[0].kind != "name" or toks[0].value not in ("id", "userPrincipalName"):
        return None
    op = toks[1].value.lower()
    if op == "eq" and len(toks) == 3 and toks[2].kind == "string":
        return toks[0].value, [toks[2].value[1:-1].replace("''", "'")]
    if op == "in" and toks[2].value == "(" and toks[-1].value == ")":
        inner = toks[3:-1]
        values = [t for t in inner[0::2]]
        commas = inner[1::2]
        if (
            values
            and all(t.kind == "string" for t in values)
            and all(c.value == "," for c in commas)
        ):
            return toks[0].value, [t.value[1:-1].replace("''", "'") for t in values]
    return None


def check_usages(plan: FilterPlan, etype: EntityType, advanced: bool, strict: bool) -> None:
    """Fail the way Graph fails a filter it cannot run without an advanced query
    (https://learn.microsoft.com/en-us/graph/aad-advanced-queries)."""
    for use in plan.usages:
        prop = etype.props.get(use.prop)
        if prop is None or use.op == "complex":
            continue
        if use.op in prop.filter_default:
            continue
        if use.op in prop.filter_adv:
            if advanced or not strict:
                continue
            raise unsupported_query(
                f"Operator '{use.op}' is not supported because the required parameters might "
                "be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual "
                "header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
            )
        if not strict and use.op in (
            "eq",
            "ne",
            "not",
            "in",
            "startsWith",
            "endsWith",
            "ge",
            "le",
            "eqnull",
        ):
            continue
        raise unsupported_query(
            f"Unsupported or invalid query filter clause specified for property '{use.prop}' of "
            f"resource '{etype.resource}'."
        )


# ---------------------------------------------------------------- $select, $orderby, $search


def parse_select(
    text: str | None, etype: EntityType, extra: Iterable[str] = ()
) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise bad_request("Invalid $select: empty list.", code="BadRequest")
    allowed = set(extra)
    for n in names:
        if n not in etype.props and n not in allowed:
            raise bad_request(
                f"Could not find a property named '{n}' on type 'microsoft.graph.{etype.name}'.",
                code="BadRequest",
            )
    return names


@dataclass
class OrderBy:
    prop: str
    desc: bool


def parse_orderby(text: str | None, etype: EntityType) -> list[OrderBy]:
    if not text:
        return []
    out: list[OrderBy] = []
    for part in text.split(","):
        bits = part.split()
        if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise bad_request(f"Invalid $orderby clause '{part.strip()}'.", code="BadRequest")
        if bits[0] not in etype.props:
            raise bad_request(
                f"Could not find a property named '{bits[0]}' on type "
                f"'microsoft.graph.{etype.name}'.",
                code="BadRequest",
            )
        out.append(OrderBy(bits[0], len(bits) == 2 and bits[1].lower() == "desc"))
    return out


def check_orderby(
    order: list[OrderBy], etype: EntityType, has_filter: bool, advanced: bool, strict: bool
) -> None:
    """Only a few properties sort without an advanced query, and never together with $filter."""
    if not order or advanced or not strict:
        return
    for o in order:
        if etype.props[o.prop].orderby != "default" or has_filter:
            raise unsupported_query(
                "Sorting not supported for current query. Try adding $count=true query parameter "
                "and ConsistencyLevel:eventual header."
            )


def sort_records(records: list[Record], order: list[OrderBy]) -> list[Record]:
    for o in reversed(order):
        present = [r for r in records if r.get(o.prop) is not None]
        missing = [r for r in records if r.get(o.prop) is None]
        present.sort(key=functools.partial(_sort_key, o.prop), reverse=o.desc)
        records = present + missing if not o.desc else missing + present
    return records


def _sort_key(prop: str, record: Record) -> Any:
    return _norm(record.get(prop))


_SPLIT_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+|[^\W\d_]+", re.UNICODE)


def _tokens(value: str) -> list[str]:
    return [t.casefold() for t in _SPLIT_WORDS.findall(value)]


def parse_search(text: str, etype: EntityType) -> Predicate:
    """``"displayName:jo" OR "mail:jo"``: tokenised prefix match on displayName/description,
    startswith on other string properties
    (https://learn.microsoft.com/en-us/graph/search-query-parameter)."""
    raw = text.strip()
    pieces = re.findall(r'"[^"]*"|\(|\)|AND|OR|\S+', raw)
    if not pieces:
        raise bad_request("Syntax error: empty $search.", code="BadRequest")

    pos = 0
    depth = 0

    def clause(piece: str) -> Predicate:
        if not (piece.startswith('"') and piece.endswith('"') and len(piece) >= 2):
            raise bad_request(
                f"Syntax error: character '{piece[:1]}' is not valid at position 0 in '{raw}'.",
                code="BadRequest",
            )
        body = piece[1:-1]
        if ":" not in body:
            raise bad_request(
                'Invalid search expression: a property name is required, e.g. "displayName:value".',
                code="Request_UnsupportedQuery",
            )
        prop, _, term = body.partition(":")
        if prop not in etype.props:
            raise bad_request(
                f"Could not find a property named '{prop}' on type 'microsoft.graph.{etype.name}'.",
                code="BadRequest",
            )
        words = _tokens(term)
        if prop in ("displayName", "description"):
            return lambda r: (
                isinstance(v := r.get(prop), str)
                and all(any(t.startswith(w) for t in _tokens(v)) for w in words)
            )
        needle = term.casefold()
        return lambda r: isinstance(v := r.get(prop), str) and v.casefold().startswith(needle)

    def parse_or() -> Predicate:
        nonlocal pos
        parts = [parse_and()]
        while pos < len(pieces) and pieces[pos] == "OR":
            pos += 1
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def parse_and() -> Predicate:
        nonlocal pos
        parts = [parse_atom()]
        while pos < len(pieces) and pieces[pos] == "AND":
            pos += 1
            parts.append(parse_atom())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def parse_atom() -> Predicate:
        nonlocal pos
        if pos >= len(pieces):
            raise bad_request(
                f"Syntax error: unexpected end of $search '{raw}'.", code="BadRequest"
            )
        piece = pieces[pos]
        pos += 1
        if piece == "(":
            nonlocal depth
            depth += 1
            if depth > MAX_DEPTH:
                raise bad_request(
                    f"Syntax error: $search is nested more than {MAX_DEPTH} levels deep.",
                    code="BadRequest",
                )
            inner = parse_or()
            if pos >= len(pieces) or pieces[pos] != ")":
                raise bad_request(
                    f"Syntax error: missing ')' in $search '{raw}'.", code="BadRequest"
                )
            pos += 1
            depth -= 1  # the limit is on nesting, not on how many groups sit side by side
            return inner
        return clause(piece)

    pred = parse_or()
    if pos != len(pieces):
        raise bad_request(f"Syntax error in $search '{raw}'.", code="BadRequest")
    return pred


def parse_top(text: str | None, default: int = 100) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= MAX_TOP:
        raise unsupported_query(
            f"Invalid page size specified: '{text}'. Must be between 1 and {MAX_TOP} inclusive."
        )
    return value
