"""Applying an object mapping to a source object: the target attribute values Entra would flow.

Rules (Microsoft Learn, "Customize attribute mappings",
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes):
- A null result is skipped: "Microsoft Entra ID currently can't provision null attributes".
- ``IgnoreFlowIfNullOrEmpty`` drops the attribute from the flow.
- ``defaultValue`` ("Default value if null") applies on create only.
- ``flowType`` ``ObjectAddOnly`` ("Apply this mapping: Only during object creation") flows on
  create only; ``Always`` on create and update.
- A mapping without a source ("None") leaves the target unmodified; on create its
  ``defaultValue`` fills the attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.engine.rules.expressions import (
    IGNORE_FLOW,
    EvaluationContext,
    ExpressionError,
    as_source_view,
)
from harness.engine.rules.schema import AttributeMapping, ObjectMapping, SchemaError

__all__ = ["MappingError", "map_object", "matching_values", "redacted_names", "redacted_targets"]

ADD_ONLY_FLOW_TYPES = {"ObjectAddOnly"}


class MappingError(ValueError):
    """An attribute mapping that could not be evaluated for this object."""

    def __init__(self, target: str, message: str) -> None:
        self.target = target
        self.message = message
        super().__init__(f"{target}: {message}")


def _as_object_mapping(mapping: ObjectMapping | Mapping[str, Any]) -> ObjectMapping:
    if isinstance(mapping, ObjectMapping):
        return mapping
    if not isinstance(mapping, Mapping):
        raise TypeError("mapping must be an ObjectMapping or an objectMapping JSON object")
    return ObjectMapping(dict(mapping))


def _evaluate(
    attr: AttributeMapping, view: Mapping[str, Any], context: EvaluationContext | None
) -> Any:
    try:
        return attr.expression.evaluate(view, context)
    except (ExpressionError, SchemaError) as exc:
        raise MappingError(attr.target, str(exc)) from exc


def map_object(
    mapping: ObjectMapping | Mapping[str, Any],
    source: Mapping[str, Any],
    *,
    is_create: bool,
    context: EvaluationContext | None = None,
) -> dict[str, Any]:
    """Target attribute name → value for one source object, in the schema's order.

    ``source`` holds the object's attributes by Graph property name (looked up
    case-insensitively) plus the computed ones (``IsSoftDeleted``, ``appRoleAssignments``,
    ``objectId``, ...). ``is_create`` selects the create-only behaviour (``defaultValue``,
    ``ObjectAddOnly``). Raises :class:`MappingError` naming the target attribute when an
    expression cannot be evaluated (e.g. a date that does not parse).
    """
    object_mapping = _as_object_mapping(mapping)
    view = as_source_view(source)
    out: dict[str, Any] = {}
    for attr in object_mapping.attribute_mappings:
        target = attr.target
        if not target:
            continue
        if attr.flow_type in ADD_ONLY_FLOW_TYPES and not is_create:
            continue
        value = _evaluate(attr, view, context) if attr.is_mapped else None
        if value is IGNORE_FLOW:
            continue
        if value is None:
            if is_create and attr.default_value is not None:
                out[target] = attr.default_value
            continue
        out[target] = value
    return out


def matching_values(
    mapping: ObjectMapping | Mapping[str, Any],
    source: Mapping[str, Any],
    *,
    context: EvaluationContext | None = None,
) -> list[tuple[str, Any]]:
    """``(target attribute, value)`` for each matching attribute in ``matchingPriority`` order
    (lowest first), skipping those whose value is null or empty: the engine queries the target
    with one filter per pair until one matches. An empty list means the object cannot be
    matched (Entra skips it)."""
    object_mapping = _as_object_mapping(mapping)
    view = as_source_view(source)
    out: list[tuple[str, Any]] = []
    for attr in object_mapping.matching_mappings():
        if not attr.is_mapped:
            continue
        value = _evaluate(attr, view, context)
        if value is None or value is IGNORE_FLOW or value == "" or value == []:
            continue
        out.append((attr.target, value))
    return out


def redacted_targets(mapping: ObjectMapping | Mapping[str, Any]) -> set[str]:
    """Target attributes whose expression uses ``Redact``: their values show as ``[Redact]``
    in the provisioning logs."""
    object_mapping = _as_object_mapping(mapping)
    out: set[str] = set()
    for attr in object_mapping.attribute_mappings:
        if attr.is_mapped:
            try:
                if attr.expression.redacted:
                    out.add(attr.target)
            except SchemaError:
                continue
    return out


def redacted_names(mapping: ObjectMapping | Mapping[str, Any]) -> frozenset[str]:
    """Every name whose value the provisioning logs show as ``[Redact]``: the target attributes
    of mappings that use ``Redact`` and the source attributes read inside it, case-folded
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data#redact)."""
    object_mapping = _as_object_mapping(mapping)
    out = {name.casefold() for name in redacted_targets(object_mapping)}
    for attr in object_mapping.attribute_mappings:
        if attr.is_mapped:
            try:
                out.update(name.casefold() for name in attr.expression.redacted_attributes)
            except SchemaError:
                continue
    return frozenset(out)
