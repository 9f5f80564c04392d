"""Werkzeug's URL rules parsed once per process instead of once per app.

Every lab builds two Flask apps with the same ~170 routes, and werkzeug parses each route's
rule string (``/users/<id>/memberOf``) with a regular expression, part by part, every time: the
largest single cost of a lab, paid again for every scenario. A rule string parses to the same
parts whatever app it is in, so the first parse is kept and later rules replay it: the same
parts, the same trace, and converters built fresh for the rule's own map, exactly as the parse
would build them.

This replaces ``Rule._parse_rule``, private werkzeug API, named once below. The patch is
guarded like :mod:`harness.lab.url_builders`: if the method is missing or its signature has
changed, or a rule parsed through the patch differs from one parsed without it, nothing is
patched (labs are just slower).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map
from werkzeug.routing.rules import Rule

# The private werkzeug method replaced, and the attributes ``Rule.compile`` keeps the parse in:
# the parts it yields, and the trace and converters it fills in on the rule as it goes.
PARSE_METHOD = "_parse_rule"
PARTS, TRACE, CONVERTERS = "_parts", "_trace", "_converters"
# Set on a class whose parses are shared, so the patch is applied once per process.
SHARED_MARK = "_harness_shared_parses"
# Rule strings kept (a lab has ~170 distinct ones; the bound keeps a pathological app finite).
MAX_PARSES = 4096


@dataclass(frozen=True)
class _Parse:
    parts: tuple[Any, ...]  # werkzeug RuleParts: read, never changed, by the matcher
    trace: tuple[tuple[bool, str], ...]
    # (variable, converter name, args, kwargs), as the rule asked for each converter
    converters: tuple[tuple[str, str, tuple[Any, ...], dict[str, Any]], ...]


def is_shared(rule_class: type = Rule) -> bool:
    """Whether ``rule_class`` shares rule parses between maps."""
    return bool(getattr(rule_class, SHARED_MARK, False))


def share_rule_parsing(rule_class: type = Rule) -> bool:
    """Make ``rule_class`` parse each rule string once per process; answers whether it does."""
    if is_shared(rule_class):
        return True
    original = getattr(rule_class, PARSE_METHOD, None)
    if not callable(original) or not callable(getattr(rule_class, "get_converter", None)):
        return False
    try:
        params = list(inspect.signature(original).parameters)
    except (TypeError, ValueError):
        return False
    if params != ["self", "rule"]:
        return False
    parses: dict[tuple[Any, ...], _Parse] = {}

    def parse_rule(self: Any, rule: str) -> Iterator[Any]:
        # Converters are looked up by name in the map: the same string may parse differently
        # in a map with other converters.
        key = (rule, tuple(self.map.converters.items()))
        found = parses.get(key)
        if found is None:
            found = _first_parse(self, rule, original)
            if len(parses) < MAX_PARSES:
                parses[key] = found
            yield from found.parts
            return
        getattr(self, TRACE).extend(found.trace)
        converters = getattr(self, CONVERTERS)
        for variable, name, args, kwargs in found.converters:
            converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        yield from found.parts

    setattr(rule_class, PARSE_METHOD, parse_rule)
    if rule_class is Rule and not parses_match(original):
        setattr(rule_class, PARSE_METHOD, original)
        return False
    setattr(rule_class, SHARED_MARK, True)
    return True


def _first_parse(rule: Any, text: str, original: Any) -> _Parse:
    """Parse with werkzeug's own method, noting the converters it asks for."""
    trace: list[tuple[bool, str]] = getattr(rule, TRACE)
    trace_before = len(trace)
    asked: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []
    get_converter = rule.get_converter

    def noting(variable: str, name: str, args: tuple[Any, ...], kwargs: Any) -> Any:
        asked.append((variable, name, tuple(args), dict(kwargs)))
        return get_converter(variable, name, args, kwargs)

    rule.get_converter = noting  # this rule only, for the length of the parse
    try:
        parts = tuple(original(rule, text))
    finally:
        del rule.get_converter
    return _Parse(parts, tuple(trace[trace_before:]), tuple(asked))


def _signature(rule: Rule) -> tuple[Any, ...]:
    """What a parse leaves on a rule; converters by type, regex and weight."""
    converters = {
        name: (type(c), c.regex, c.weight) for name, c in getattr(rule, CONVERTERS).items()
    }
    return (getattr(rule, PARTS), getattr(rule, TRACE), converters, rule.arguments)


def parses_match(original: Any) -> bool:
    """Rules parsed through the patch (a first parse, then a replay in a second map) equal
    rules parsed by werkzeug's own method, and still route."""
    texts = ("/t/<int:n>/<path:rest>", "/u/<name>/x", "/plain/", "/v/<string(length=2):c>")
    try:
        patched = getattr(Rule, PARSE_METHOD)
        setattr(Rule, PARSE_METHOD, original)
        try:
            plain = [_signature(r) for r in Map([Rule(t, endpoint=t) for t in texts]).iter_rules()]
        finally:
            setattr(Rule, PARSE_METHOD, patched)
        for _ in range(2):  # the first map parses, the second replays
            built = Map([Rule(t, endpoint=t) for t in texts])
            if [_signature(r) for r in built.iter_rules()] != plain:
                return False
            if built.bind("lab.local").match("/t/3/a/b") != (texts[0], {"n": 3, "rest": "a/b"}):
                return False
    except Exception:  # any failure of the private API means: do not patch
        return False
    return True
