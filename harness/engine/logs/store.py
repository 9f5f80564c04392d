"""The provisioning log store the engine writes, and the query language Graph's
``/auditLogs/provisioning`` route reads it with (routes in ``harness.graph_api.provisioning_logs``).

Entries are ``provisioningObjectSummary`` objects, kept as the JSON Graph serves (the engine
builds them once). Queries take ``$filter`` (``eq ne gt ge lt le``, ``contains()``,
``startswith()``, ``and``/``or``/``not``, parentheses; property paths with ``/``), ``$top``,
``$orderby=activityDateTime [asc|desc]`` and page by an absolute ``@odata.nextLink``.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Fields with an index: an ``eq`` on one of them reads only the matching entries.
DEFAULT_PAGE = 100
_INDEXED = ("jobId", "cycleId", "sourceIdentity/id", "changeId", "id")


class LogQueryError(ValueError):
    """A malformed query option; the route answers 400 in Graph's envelope."""


def field(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class LogStore:
    """Append-only, thread-safe, with indexes for the common ``eq`` filters.

    Each entry is kept as its compact JSON, zlib-compressed (~1.4 KB instead of ~7 KB of
    nested dicts: 100,000 users' logs in ~140 MB), and decoded when a query reads it;
    entries are plain JSON, so a query answers exactly what was appended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[bytes] = []
        self._index: dict[str, dict[str, list[int]]] = {
            name: defaultdict(list) for name in _INDEXED
        }
        self._sink: Callable[[dict[str, Any]], None] | None = None

    def append(self, entry: dict[str, Any]) -> None:
        sink = self._sink
        if sink is not None:
            sink(entry)
            return
        packed = _pack(entry)
        with self._lock:
            pos = len(self._entries)
            self._entries.append(packed)
            for name in _INDEXED:
                value = field(entry, name)
                if isinstance(value, str):
                    self._index[name][value].append(pos)

    def extend(self, entries: Iterable[dict[str, Any]]) -> None:
        for entry in entries:
            self.append(entry)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            for index in self._index.values():
                index.clear()

    def take(self) -> Iterator[dict[str, Any]]:
        """Every entry so far, oldest first (decoded one at a time), leaving the store empty:
        a replay reads its run's entries step by step instead of holding all of them."""
        with self._lock:
            packed, self._entries = self._entries, []
            for index in self._index.values():
                index.clear()
        return (_unpack(raw) for raw in packed)

    @contextmanager
    def diverted(self, sink: Callable[[dict[str, Any]], None]) -> Iterator[None]:
        """While open, each appended entry goes to ``sink`` as it is made, oldest first, and
        not into the store (queries do not see it; the sink gets the engine's own dict and must
        not change it). A replay reads its run's entries once: packing each only to unpack it
        was about a tenth of its CPU."""
        with self._lock:
            if self._sink is not None:
                raise RuntimeError("the log store is already diverted")
            self._sink = sink
        try:
            yield
        finally:
            with self._lock:
                self._sink = None

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            packed = list(self._entries)
        return [_unpack(raw) for raw in packed]

    def query(
        self,
        predicate: Predicate | None = None,
        *,
        descending: bool = True,
        after: int | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
        """Up to ``limit`` ``(position, entry)`` pairs past ``after``; and whether more remain."""
        with self._lock:
            positions: Iterable[int]
            narrowed = _narrow(predicate, self._index) if predicate is not None else None
            if narrowed is not None:
                positions = sorted(narrowed, reverse=descending)
            else:  # start past ``after``: paging through n entries reads each once, not n/2
                n = len(self._entries)
                if descending:
                    positions = range(n - 1 if after is None else min(after, n) - 1, -1, -1)
                else:
                    positions = range(0 if after is None else max(after + 1, 0), n)
            out: list[tuple[int, dict[str, Any]]] = []
            for pos in positions:
                if after is not None and (pos >= after if descending else pos <= after):
                    continue
                entry = _unpack(self._entries[pos])
                if predicate is not None and not predicate.test(entry):
                    continue
                if len(out) == limit:
                    return out, True
                out.append((pos, entry))
            return out, False


def _pack(entry: dict[str, Any]) -> bytes:
    # Level 1: ~30 us an entry for 2.7x; higher levels gain a few per cent for more CPU.
    return zlib.compress(json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode(), 1)


def _unpack(raw: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(zlib.decompress(raw))
    return entry


def _narrow(predicate: Predicate, index: dict[str, dict[str, list[int]]]) -> list[int] | None:
    best: list[int] | None = None
    for name, value in predicate.required_equalities():
        if name in index:
            candidates = index[name].get(value, [])
            if best is None or len(candidates) < len(best):
                best = candidates
    return best


# --- $filter ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?(?![\w:-]))|"
    r"(?P<dt>\d{4}-\d{2}-\d{2}T[\d:.]+Z?)|(?P<lp>\()|(?P<rp>\))|(?P<comma>,)|"
    r"(?P<word>[A-Za-z_@][\w/@.]*))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCS = {"contains", "startswith", "endswith"}


@dataclass
class Predicate:
    kind: str  # "cmp" | "func" | "and" | "or" | "not"
    op: str = ""
    path: str = ""
    value: Any = None
    children: tuple[Predicate, ...] = ()

    def test(self, entry: dict[str, Any]) -> bool:
        if self.kind == "and":
            return all(c.test(entry) for c in self.children)
        if self.kind == "or":
            return any(c.test(entry) for c in self.children)
        if self.kind == "not":
            return not self.children[0].test(entry)
        actual = field(entry, self.path)
        if self.kind == "func":
            if not isinstance(actual, str):
                return False
            text, needle = actual, str(self.value)
            if self.op == "contains":
                return needle in text
            if self.op == "startswith":
                return text.startswith(needle)
            return text.endswith(needle)
        return _compare(self.op, actual, self.value)

    def required_equalities(self) -> list[tuple[str, str]]:
        if self.kind == "cmp" and self.op == "eq" and isinstance(self.value, str):
            return [(self.path, self.value)]
        if self.kind == "and":
            return [pair for c in self.children for pair in c.required_equalities()]
        return []


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if actual is None or expected is None:
        return False
    try:
        if op == "gt":
            return actual > expected
        if op == "ge":
            return actual >= expected
        if op == "lt":
            return actual < expected
        return actual <= expected
    except TypeError:
        return False


def parse_filter(text: str, properties: frozenset[str] | None = None) -> Predicate:
    """The predicate of a ``$filter``; with ``properties``, unknown property names are refused
    as Graph refuses them, instead of silently matching nothing."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, text)
    result = parser.parse_or()
    if parser.pos != len(tokens):
        raise LogQueryError(
            f"Invalid filter clause: unexpected '{tokens[parser.pos][1]}' in {text!r}"
        )
    if properties is not None:
        for path in _paths(result):
            if path.split("/")[0] not in properties:
                raise LogQueryError(
                    f"Invalid filter clause: could not find a property named '{path.split('/')[0]}'"
                )
    return result


def _paths(predicate: Predicate) -> list[str]:
    if predicate.kind in ("and", "or", "not"):
        return [p for c in predicate.children for p in _paths(c)]
    return [predicate.path]


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise LogQueryError(f"Invalid filter clause: cannot parse {text[pos:]!r}")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        if kind == "str":
            tokens.append(("value", raw[1:-1].replace("''", "'")))
        elif kind == "num":
            tokens.append(("value", float(raw) if "." in raw else int(raw)))
        elif kind == "dt":
            try:
                datetime.fromisoformat(raw.removesuffix("Z"))
            except ValueError as exc:
                raise LogQueryError(
                    f"Invalid filter clause: {raw!r} is not a date and time"
                ) from exc
            tokens.append(("value", raw if raw.endswith("Z") else raw + "Z"))
        elif kind == "word" and raw in ("true", "false", "null"):
            tokens.append(("value", {"true": True, "false": False, "null": None}[raw]))
        else:
            tokens.append((kind, raw))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, kind: str | None = None) -> tuple[str, Any]:
        token = self._peek()
        if token is None or (kind is not None and token[0] != kind):
            raise LogQueryError(f"Invalid filter clause: incomplete expression {self.text!r}")
        self.pos += 1
        return token

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "word" and str(token[1]).lower() == word:
            self.pos += 1
            return True
        return False

    def parse_or(self) -> Predicate:
        items = [self.parse_and()]
        while self._keyword("or"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Predicate("or", children=tuple(items))

    def parse_and(self) -> Predicate:
        items = [self.parse_unary()]
        while self._keyword("and"):
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else Predicate("and", children=tuple(items))

    def parse_unary(self) -> Predicate:
        if self._keyword("not"):
            return Predicate("not", children=(self.parse_unary(),))
        token = self._peek()
        if token is not None and token[0] == "lp":
            self._take("lp")
            inner = self.parse_or()
            self._take("rp")
            return inner
        _, word = self._take("word")
        if str(word).lower() in _FUNCS and self._peek() and self._peek()[0] == "lp":  # type: ignore[index]
            self._take("lp")
            _, path = self._take("word")
            self._take("comma")
            _, value = self._take("value")
            self._take("rp")
            return Predicate("func", op=str(word).lower(), path=path, value=value)
        op_token = self._take("word")
        op = str(op_token[1]).lower()
        if op not in _COMPARE:
            raise LogQueryError(f"Invalid filter clause: unsupported operator '{op_token[1]}'")
        _, value = self._take("value")
        return Predicate("cmp", op=op, path=str(word), value=value)
