"""A small declarative schema for YAML documents, with errors that name file, line and field.

YAML is read with PyYAML's safe loader; mappings and sequences come back as ``LocatedDict`` /
``LocatedList`` (plain ``dict``/``list`` subclasses) that remember the line of each key and
item, taken from PyYAML's node marks. ``validate`` walks a value against a ``Spec`` and
collects every problem, so one run reports all mistakes in a file.

Written here rather than with jsonschema or pydantic: the case format needs line numbers on
every message and a "did you mean" for misspelt keys, which both would need wrapping anyway,
and neither is a dependency of the project yet.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class LocatedDict(dict[Any, Any]):
    """A mapping read from YAML: ``line`` of the mapping, ``key_lines`` of each key whose line
    differs from it (unset when none does). Slots: an imported case holds some 500,000 of them."""

    __slots__ = ("key_lines", "line")
    line: int
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0

    def line_of(self, key: Any) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)


class LocatedList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if index < len(lines) else self.line


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(top level)'}: {self.message}"


class SchemaError(ValueError):
    """One or more problems in a document; ``str()`` gives one ``file:line: field: message``
    per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, on LibYAML's parser when PyYAML has it (several times faster on the
    large cases ``harness import`` writes); the constructors below are the same either way.

    An imported case repeats a few keys and values some 100,000 times (``update_user``,
    ``department``, ``Sales``): each distinct plain scalar's tag is resolved once (the implicit
    resolvers' regular expressions), and each distinct scalar (tag and text) is constructed
    once; the safe loader's scalars are immutable (str, int, float, bool, None, bytes,
    datetime), so the documents share them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.tags: dict[tuple[str, Any], str] = {}
        self.scalars: dict[tuple[str, str], Any] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
            return str(super().resolve(kind, value, implicit))
        tag = self.tags.get((value, implicit))
        if tag is None:
            tag = self.tags[(value, implicit)] = super().resolve(kind, value, implicit)
        return tag


def _construct(loader: _Loader, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node, deep=True)
    key = (node.tag, node.value)
    try:
        return loader.scalars[key]
    except KeyError:
        value = loader.scalars[key] = loader.construct_object(node, deep=True)
        return value


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    out = LocatedDict()
    out.line = node.start_mark.line + 1
    key_lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = _construct(loader, key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        if isinstance(key, str):
            key = sys.intern(key)  # an imported case repeats a few keys some 100,000 times
        out[key] = _construct(loader, value_node)
        line = key_node.start_mark.line + 1
        if line != out.line:  # line_of falls back to the mapping's line (a flow mapping's keys)
            key_lines[key] = line
    if key_lines:
        out.key_lines = key_lines
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    out = LocatedList(_construct(loader, child) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes a ``SchemaError`` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError([Problem(str(path), 0, "", f"cannot read the file: {exc}")]) from None
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SchemaError([Problem(str(path), line, "", f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise SchemaError([Problem(str(path), 0, "", f"invalid YAML: {exc}")]) from None


# -- specs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What a value must look like.

    kind: ``map`` (``fields``; ``values`` for extra keys, else extra keys are errors), ``list``
    (``item``), ``str``, ``int``, ``bool``, ``number``, ``scalar`` (str/int/float/bool/null),
    ``any``, ``union`` (``options``: the first whose kind fits the value is used), ``steps`` (a
    list of ``name`` or ``{name: arguments}``, the names in ``steps``).
    """

    kind: str
    doc: str = ""
    fields: Mapping[str, Spec] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    values: Spec | None = None
    item: Spec | None = None
    options: tuple[Spec, ...] = ()
    choices: tuple[Any, ...] = ()
    steps: Mapping[str, Spec | None] = field(default_factory=dict)
    check: Callable[[Any], str | None] | None = None  # extra rule: a message when wrong
    key_check: Callable[[str], str | None] | None = None  # for a map's extra keys


def M(
    fields: Mapping[str, Spec],
    *required: str,
    values: Spec | None = None,
    doc: str = "",
    key_check: Callable[[str], str | None] | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> Spec:
    return Spec(
        "map",
        doc=doc,
        fields=dict(fields),
        required=frozenset(required),
        values=values,
        key_check=key_check,
        check=check,
    )


def L(item: Spec, doc: str = "") -> Spec:
    return Spec("list", doc=doc, item=item)


def S(*choices: str, doc: str = "", check: Callable[[Any], str | None] | None = None) -> Spec:
    return Spec("str", doc=doc, choices=tuple(choices), check=check)


def I(doc: str = "", minimum: int | None = 0) -> Spec:  # noqa: E743 - reads like the others
    def at_least(value: Any) -> str | None:
        return f"must be at least {minimum}" if minimum is not None and value < minimum else None

    return Spec("int", doc=doc, check=at_least)


B = Spec("bool")
ANY = Spec("any")
SCALAR = Spec("scalar")


def OPTIONAL(spec: Spec) -> Spec:
    """A step whose arguments may be left out (``restart`` or ``restart: Full``)."""
    return Spec("optional", doc=spec.doc, item=spec)


def U(*options: Spec, doc: str = "") -> Spec:
    return Spec("union", doc=doc, options=tuple(options))


_TYPE_NAMES = {
    "map": "a mapping (key: value lines)",
    "list": "a list (- items)",
    "str": "a string",
    "int": "a whole number",
    "bool": "true or false",
    "number": "a number",
    "scalar": "a plain value",
    "steps": "a list of steps",
}


def _fits(value: Any, kind: str) -> bool:
    if kind == "map":
        return isinstance(value, dict)
    if kind in ("list", "steps"):
        return isinstance(value, list)
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "scalar":
        return value is None or isinstance(value, str | int | float | bool)
    return kind == "any"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _suggest(key: Any, known: list[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field {key!r}{hint}; known: {', '.join(known)}"


@dataclass
class Validator:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, where, message))

    def validate(self, value: Any, spec: Spec, where: str = "", line: int = 1) -> None:
        if isinstance(value, LocatedDict | LocatedList) and value.line:
            line = value.line
        if spec.kind == "union":
            for option in spec.options:
                if _fits(value, option.kind):
                    self.validate(value, option, where, line)
                    return
            wanted = " or ".join(_TYPE_NAMES.get(o.kind, o.kind) for o in spec.options)
            self.error(line, where, f"expected {wanted}, got {_describe(value)}")
            return
        if not _fits(value, spec.kind):
            self.error(
                line,
                where,
                f"expected {_TYPE_NAMES.get(spec.kind, spec.kind)}, got {_describe(value)}",
            )
            return
        if spec.kind == "map":
            self._map(value, spec, where, line)
        elif spec.kind == "list":
            assert spec.item is not None
            for i, item in enumerate(value):
                item_line = value.line_of(i) if isinstance(value, LocatedList) else line
                self.validate(item, spec.item, f"{where}[{i}]", item_line)
        elif spec.kind == "steps":
            self._steps(value, spec, where, line)
        if spec.choices and value not in spec.choices:
            self.error(line, where, f"{value!r} is not one of: {', '.join(map(str, spec.choices))}")
        elif spec.check is not None and spec.kind not in ("map", "list", "steps"):
            message = spec.check(value)
            if message:
                self.error(line, where, message)

    def _map(self, value: dict[Any, Any], spec: Spec, where: str, line: int) -> None:
        def line_of(key: Any) -> int:
            return value.line_of(key) if isinstance(value, LocatedDict) else line

        for key in sorted(spec.required - set(value)):
            self.error(line, _join(where, key), "is required")
        for key, item in value.items():
            child = _join(where, key)
            if key in spec.fields:
                self.validate(item, spec.fields[key], child, line_of(key))
            elif spec.values is not None:
                if not isinstance(key, str):
                    self.error(line_of(key), child, "keys must be strings")
                elif spec.key_check is not None and (message := spec.key_check(key)):
                    self.error(line_of(key), child, message)
                else:
                    self.validate(item, spec.values, child, line_of(key))
            else:
                self.error(line_of(key), child, _suggest(key, sorted(spec.fields)))
        if spec.check is not None:
            message = spec.check(value)
            if message:
                self.error(line, where, message)

    def _steps(self, value: list[Any], spec: Spec, where: str, line: int) -> None:
        names = sorted(spec.steps)
        for i, step in enumerate(value):
            step_line = value.line_of(i) if isinstance(value, LocatedList) else line
            child = f"{where}[{i}]"
            if isinstance(step, str):
                name, args, has_args = step, None, False
            elif isinstance(step, dict) and len(step) == 1:
                name, args = next(iter(step.items()))
                has_args = True
            else:
                self.error(
                    step_line, child, "a step is a name (e.g. start) or one 'name: arguments' pair"
                )
                continue
            if name not in spec.steps:
                self.error(step_line, child, _suggest(name, names).replace("field", "step"))
                continue
            arg_spec = spec.steps[name]
            if arg_spec is not None and arg_spec.kind == "optional":
                if has_args and args is not None:
                    assert arg_spec.item is not None
                    self.validate(args, arg_spec.item, f"{child}.{name}", step_line)
                continue
            if arg_spec is None:
                if has_args and args is not None:
                    self.error(step_line, f"{child}.{name}", "takes no arguments")
            elif not has_args:
                self.error(step_line, child, f"step {name!r} needs arguments ({name}: ...)")
            else:
                self.validate(args, arg_spec, f"{child}.{name}", step_line)


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)
