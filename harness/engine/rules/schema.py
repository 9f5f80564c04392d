"""The Miro gallery app's synchronization template and a model of ``synchronizationSchema``.

``miro_template()`` gives the template as ``GET /servicePrincipals/{id}/synchronization/templates``
returns it (a fresh copy each call). ``load_schema(json)`` reads any ``synchronizationSchema``
— the template's, or one exported from a real tenant — without changing it: unknown keys are
kept and ``Schema.to_json()`` gives back exactly what was loaded. Lookups answer what the engine
asks: the user and group object mappings, their attribute mappings, the matching attributes in
``matchingPriority`` order, the target object actions (``flowTypes``), and each mapping's
expression (from its ``expression`` string, or built from the ``source`` tree when there is none).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

from harness.engine.rules.expressions import (
    Expression,
    ExpressionError,
    build_expression,
    parse_expression,
)
from harness.engine.rules.scim_payloads import PayloadError, parse_path
from harness.engine.rules.scoping import ScopeError, validate_scope

__all__ = [
    "FLOW_TYPES",
    "AttributeMapping",
    "ObjectMapping",
    "Schema",
    "SchemaError",
    "expression_text",
    "flow_types",
    "load_schema",
    "miro_template",
]

FLOW_TYPES = ("Add", "Update", "Delete")
ATTRIBUTE_FLOW_TYPES = (
    "Always",
    "ObjectAddOnly",
    "MultiValueAddOnly",
    "ValueAddOnly",
    "AttributeAddOnly",
)


class SchemaError(ValueError):
    """A synchronizationSchema that cannot be used; ``location`` says where (JSON-path like)."""

    def __init__(self, message: str, location: str = "") -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


@cache
def _template_text() -> str:
    return (
        resources.files("harness.engine.rules")
        .joinpath("data/miro_template.json")
        .read_text("utf-8")
    )


@cache
def _template() -> dict[str, Any]:
    return json.loads(_template_text())


def miro_template() -> dict[str, Any]:
    """The Miro gallery app's ``synchronizationTemplate`` (a fresh deep copy per call)."""
    return copy.deepcopy(_template())


def flow_types(mapping: ObjectMapping | Mapping[str, Any]) -> set[str]:
    """The target object actions of an object mapping: a subset of ``{"Add", "Update",
    "Delete"}`` from its ``flowTypes`` string (``"Add, Update, Delete"``; missing = all three)."""
    raw = mapping.raw if isinstance(mapping, ObjectMapping) else mapping
    value = raw.get("flowTypes")
    if value is None:
        return set(FLOW_TYPES)
    parts = [str(p) for p in value] if isinstance(value, list | tuple) else str(value).split(",")
    out: set[str] = set()
    for part in parts:
        name = part.strip()
        if not name or name.casefold() == "none":
            continue
        canonical = next((f for f in FLOW_TYPES if f.casefold() == name.casefold()), None)
        if canonical is None:
            raise SchemaError(f"unknown flow type {name!r} (use Add, Update, Delete)", "flowTypes")
        out.add(canonical)
    return out


def expression_text(mapping: AttributeMapping | Mapping[str, Any]) -> str:
    """The expression of an attribute mapping as text: its ``source.expression`` when present,
    else rendered from the ``source`` tree."""
    attr = mapping if isinstance(mapping, AttributeMapping) else AttributeMapping(dict(mapping))
    return attr.expression_text


@dataclass(eq=False)
class AttributeMapping:
    """One ``attributeMapping`` (a view over its JSON; the JSON stays as loaded)."""

    raw: dict[str, Any]
    location: str = ""

    @property
    def target(self) -> str:
        """``targetAttributeName``, e.g. ``emails[type eq "work"].value``."""
        return str(self.raw.get("targetAttributeName") or "")

    @property
    def matching_priority(self) -> int:
        """``matchingPriority``: > 0 means a matching attribute (lowest first); 0 means not."""
        try:
            return int(self.raw.get("matchingPriority") or 0)
        except (TypeError, ValueError):
            return 0

    @property
    def flow_type(self) -> str:
        """``flowType`` (UI "Apply this mapping"): ``Always`` or ``ObjectAddOnly`` (create only)."""
        return str(self.raw.get("flowType") or "Always")

    @property
    def flow_behavior(self) -> str:
        return str(self.raw.get("flowBehavior") or "FlowWhenChanged")

    @property
    def default_value(self) -> str | None:
        """``defaultValue`` ("Default value if null"), applied on create only; "" means none."""
        value = self.raw.get("defaultValue")
        return None if value is None or value == "" else str(value)

    @property
    def source(self) -> Mapping[str, Any] | None:
        return self.raw.get("source")

    @cached_property
    def is_mapped(self) -> bool:
        """False for a "None" mapping (no source): the target is left unmodified."""
        source = self.source
        if not source:
            return False
        return bool(source.get("expression") or source.get("name") or source.get("type"))

    @cached_property
    def expression_text(self) -> str:
        source = self.source or {}
        text = source.get("expression")
        if isinstance(text, str) and text.strip():
            return text
        return self.expression.text

    @cached_property
    def expression(self) -> Expression:
        """The compiled expression (parsed once per distinct text)."""
        source = self.source
        if not source:
            raise SchemaError("the attribute mapping has no source", self.location)
        text = source.get("expression")
        try:
            if isinstance(text, str) and text.strip():
                return parse_expression(text)
            return build_expression(source)
        except ExpressionError as exc:
            raise SchemaError(f"invalid expression: {exc}", f"{self.location}.source") from exc


@dataclass(eq=False)
class ObjectMapping:
    """One ``objectMapping`` (users or groups) with its attribute mappings."""

    raw: dict[str, Any]
    location: str = ""
    attribute_mappings: list[AttributeMapping] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.attribute_mappings:
            self.attribute_mappings = [
                AttributeMapping(m, f"{self.location}.attributeMappings[{i}]")
                for i, m in enumerate(self.raw.get("attributeMappings") or [])
                if isinstance(m, dict)
            ]

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or "")

    @property
    def enabled(self) -> bool:
        return self.raw.get("enabled", True) is not False

    @property
    def source_object(self) -> str:
        return str(self.raw.get("sourceObjectName") or "")

    @property
    def target_object(self) -> str:
        return str(self.raw.get("targetObjectName") or "")

    @property
    def scope(self) -> Mapping[str, Any] | None:
        return self.raw.get("scope")

    @property
    def flow_types(self) -> set[str]:
        return flow_types(self.raw)

    def matching_mappings(self) -> list[AttributeMapping]:
        """Attribute mappings with ``matchingPriority`` > 0, lowest priority first."""
        matching = [m for m in self.attribute_mappings if m.matching_priority > 0]
        return sorted(matching, key=lambda m: m.matching_priority)

    def by_target(self, target: str) -> AttributeMapping | None:
        """The attribute mapping for a target attribute (case-insensitive), if any."""
        folded = target.casefold()
        return next((m for m in self.attribute_mappings if m.target.casefold() == folded), None)


class Schema:
    """A ``synchronizationSchema``: rules, object mappings and directory definitions."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self.object_mappings: list[ObjectMapping] = []
        self._rule_of: dict[int, dict[str, Any]] = {}
        for r, rule in enumerate(self.rules):
            for m, raw in enumerate(rule.get("objectMappings") or []):
                if isinstance(raw, dict):
                    mapping = ObjectMapping(raw, f"synchronizationRules[{r}].objectMappings[{m}]")
                    self.object_mappings.append(mapping)
                    self._rule_of[id(raw)] = rule

    # --- round trip ---------------------------------------------------------------------

    @property
    def raw(self) -> dict[str, Any]:
        """The schema JSON as loaded (shared, do not mutate)."""
        return self._data

    def to_json(self) -> dict[str, Any]:
        """The schema JSON exactly as loaded (a deep copy)."""
        return copy.deepcopy(self._data)

    # --- lookups --------------------------------------------------------------------------

    @property
    def rules(self) -> list[dict[str, Any]]:
        rules = self._data.get("synchronizationRules") or []
        return [r for r in rules if isinstance(r, dict)]

    def rule_of(self, mapping: ObjectMapping) -> dict[str, Any] | None:
        """The synchronizationRule an object mapping belongs to."""
        return self._rule_of.get(id(mapping.raw))

    def object_mapping(self, source_object: str) -> ObjectMapping | None:
        """The first object mapping whose ``sourceObjectName`` is ``source_object``
        (case-insensitive), enabled or not."""
        folded = source_object.casefold()
        return next((m for m in self.object_mappings if m.source_object.casefold() == folded), None)

    @property
    def user_mapping(self) -> ObjectMapping | None:
        """The object mapping for users (``sourceObjectName`` ``User``)."""
        return self.object_mapping("User")

    @property
    def group_mapping(self) -> ObjectMapping | None:
        """The object mapping for groups (``sourceObjectName`` ``Group``)."""
        return self.object_mapping("Group")

    def attribute_mappings(self, mapping: ObjectMapping) -> list[AttributeMapping]:
        """A mapping's attribute mappings: matching attributes first (``matchingPriority``
        ascending), then the rest in the order the schema lists them."""
        matching = mapping.matching_mappings()
        rest = [m for m in mapping.attribute_mappings if m.matching_priority <= 0]
        return matching + rest

    def flow_types(self, mapping: ObjectMapping) -> set[str]:
        return flow_types(mapping)

    def expression_text(self, mapping: AttributeMapping) -> str:
        return mapping.expression_text

    # --- directories ----------------------------------------------------------------------

    def directory(self, name: str) -> dict[str, Any] | None:
        folded = name.casefold()
        for directory in self._data.get("directories") or []:
            if isinstance(directory, dict) and str(directory.get("name", "")).casefold() == folded:
                return directory
        return None

    def _object_definition(self, directory_name: str, object_name: str) -> dict[str, Any] | None:
        directory = self.directory(directory_name)
        if directory is None:
            return None
        folded = object_name.casefold()
        for obj in directory.get("objects") or []:
            if isinstance(obj, dict) and str(obj.get("name", "")).casefold() == folded:
                return obj
        return None

    def target_attributes(self, mapping: ObjectMapping) -> dict[str, dict[str, Any]]:
        """Attribute definitions of the mapping's target object, by name."""
        rule = self.rule_of(mapping) or {}
        definition = self._object_definition(
            str(rule.get("targetDirectoryName") or ""), mapping.target_object
        )
        if definition is None:
            return {}
        return {
            str(a["name"]): a
            for a in definition.get("attributes") or []
            if isinstance(a, dict) and a.get("name")
        }

    def source_attributes(self, mapping: ObjectMapping) -> dict[str, dict[str, Any]]:
        """Attribute definitions of the mapping's source object, by name."""
        rule = self.rule_of(mapping) or {}
        definition = self._object_definition(
            str(rule.get("sourceDirectoryName") or ""), mapping.source_object
        )
        if definition is None:
            return {}
        return {
            str(a["name"]): a
            for a in definition.get("attributes") or []
            if isinstance(a, dict) and a.get("name")
        }

    def case_exact_attributes(self, mapping: ObjectMapping) -> set[str]:
        """Target attributes declared ``caseExact`` (compared case-sensitively)."""
        return {name for name, a in self.target_attributes(mapping).items() if a.get("caseExact")}

    def boolean_attributes(self, mapping: ObjectMapping) -> set[str]:
        """Target attributes declared with ``type`` Boolean."""
        return {
            name
            for name, a in self.target_attributes(mapping).items()
            if str(a.get("type", "")).casefold() == "boolean"
        }

    # --- validation -----------------------------------------------------------------------

    def validate(self) -> None:
        """Check everything the engine will need: every expression parses, every flow type
        and scoping filter is valid. Raises :class:`SchemaError` naming the location."""
        for mapping in self.object_mappings:
            try:
                flow_types(mapping)
            except SchemaError as exc:
                raise SchemaError(exc.message, f"{mapping.location}.flowTypes") from None
            try:
                validate_scope(mapping.scope)
            except ScopeError as exc:
                raise SchemaError(str(exc), f"{mapping.location}.scope") from None
            shapes: dict[str, str] = {}
            for attr in mapping.attribute_mappings:
                if not attr.target:
                    raise SchemaError("targetAttributeName is missing", attr.location)
                self._check_target_path(attr, shapes)
                if attr.flow_type not in ATTRIBUTE_FLOW_TYPES:
                    raise SchemaError(
                        f"unknown flowType {attr.flow_type!r} (use {', '.join(ATTRIBUTE_FLOW_TYPES)})",
                        f"{attr.location}.flowType",
                    )
                if attr.is_mapped:
                    _ = attr.expression

    @staticmethod
    def _check_target_path(attr: AttributeMapping, shapes: dict[str, str]) -> None:
        """The target path must be writable into a SCIM body, and one attribute may not be
        mapped both as a whole and by parts (``name`` and ``name.givenName``)."""
        try:
            path = parse_path(attr.target)
        except PayloadError as exc:
            raise SchemaError(str(exc), f"{attr.location}.targetAttributeName") from None
        key = f"{path.schema or ''}:{path.attr}".casefold()
        shape = "list" if path.filtered else "object" if path.sub else "value"
        if shapes.setdefault(key, shape) != shape and path.attr.casefold() != "roles":
            raise SchemaError(
                f"{attr.target!r} maps {path.attr!r} in a way that conflicts with another mapping",
                f"{attr.location}.targetAttributeName",
            )

    def __iter__(self) -> Iterator[ObjectMapping]:
        return iter(self.object_mappings)


def load_schema(data: Mapping[str, Any]) -> Schema:
    """A :class:`Schema` over a ``synchronizationSchema`` JSON object (also accepted: a
    ``synchronizationTemplate`` or job wrapper with a ``schema`` key). The JSON is kept as is
    for round trips (a private copy: later changes to ``data`` do not leak in); expressions are compiled lazily (call ``Schema.validate()`` to check all).
    Raises :class:`SchemaError` if the object is not a schema at all."""
    if not isinstance(data, Mapping):
        raise SchemaError("a synchronizationSchema must be a JSON object")
    if "synchronizationRules" not in data and isinstance(data.get("schema"), Mapping):
        data = data["schema"]
    rules = data.get("synchronizationRules")
    if rules is not None and not isinstance(rules, list):
        raise SchemaError("synchronizationRules must be a list", "synchronizationRules")
    directories = data.get("directories")
    if directories is not None and not isinstance(directories, list):
        raise SchemaError("directories must be a list", "directories")
    for r, rule in enumerate(rules or []):
        if not isinstance(rule, Mapping):
            raise SchemaError(
                "a synchronizationRule must be an object", f"synchronizationRules[{r}]"
            )
        mappings = rule.get("objectMappings")
        if mappings is not None and not isinstance(mappings, list):
            raise SchemaError(
                "objectMappings must be a list", f"synchronizationRules[{r}].objectMappings"
            )
        for m, mapping in enumerate(mappings or []):
            where = f"synchronizationRules[{r}].objectMappings[{m}]"
            if not isinstance(mapping, Mapping):
                raise SchemaError("an objectMapping must be an object", where)
            attrs = mapping.get("attributeMappings")
            if attrs is not None and not isinstance(attrs, list):
                raise SchemaError("attributeMappings must be a list", f"{where}.attributeMappings")
    return Schema(copy.deepcopy(dict(data)))
