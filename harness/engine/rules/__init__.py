"""The engine's one doorway to the pure rule modules (schema, mappings, scoping, payloads).

Keeping every call here means the cycle reads as the product's steps, and a change in a rule
module's signature is absorbed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.engine.rules import apply as mappings
from harness.engine.rules import offered, scim_payloads, scoping
from harness.engine.rules import schema as template
from harness.engine.rules.apply import MappingError
from harness.engine.rules.log_values import log_value
from harness.engine.rules.schema import ObjectMapping, Schema, SchemaError

__all__ = ["MappingError", "ObjectMapping", "Schema", "SchemaError"]


def load(schema_json: Mapping[str, Any]) -> Schema:
    """Parse and fully validate a schema (every expression compiled, every filter checked)."""
    schema = template.load_schema(schema_json)
    schema.validate()
    if schema.user_mapping is None:
        raise SchemaError(
            "the schema has no object mapping for sourceObjectName 'User'", "synchronizationRules"
        )
    if not schema.user_mapping.enabled:
        # The group mapping can be disabled, the user mapping cannot
        # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes).
        raise SchemaError(
            "the user object mapping cannot be disabled", f"{schema.user_mapping.location}.enabled"
        )
    return schema


def refuse_unoffered(schema: Schema) -> None:
    """A schema being saved may not use what the product does not offer (scoping filters on
    appRoleAssignments, userType, manager or dates; userType as a source). SchemaError."""
    offered.refuse_unoffered(schema)


def user_mapping(schema: Schema) -> ObjectMapping:
    mapping = schema.user_mapping
    if mapping is None:  # load() refuses such schemas
        raise SchemaError("no user mapping")
    return mapping


def group_mapping(schema: Schema) -> ObjectMapping | None:
    return schema.group_mapping


def enabled(mapping: ObjectMapping) -> bool:
    return mapping.enabled


def flow_types(mapping: ObjectMapping) -> set[str]:
    return set(mapping.flow_types)


def scope_of(mapping: ObjectMapping | None) -> Mapping[str, Any] | None:
    return mapping.scope if mapping is not None else None


def target_object(mapping: ObjectMapping | None) -> str:
    return mapping.target_object if mapping is not None else ""


def evaluate_scope(
    scope: Mapping[str, Any] | None, source: Mapping[str, Any]
) -> scoping.ScopeResult:
    return scoping.evaluate_scope(scope, source)


def map_object(
    mapping: ObjectMapping, source: Mapping[str, Any], *, is_create: bool
) -> dict[str, Any]:
    return mappings.map_object(mapping, source, is_create=is_create)


def redacted_names(mapping: ObjectMapping | None) -> frozenset[str]:
    """Names (case-folded) whose values the logs show as ``[Redact]``."""
    return mappings.redacted_names(mapping) if mapping is not None else frozenset()


def matching_values(mapping: ObjectMapping, source: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return mappings.matching_values(mapping, source)


def probe_attribute(mapping: ObjectMapping, fallback: str = "userName") -> str:
    """The attribute the test-connection query filters on: the first matching attribute."""
    matching = mapping.matching_mappings()
    return matching[0].target if matching else fallback


def active_attribute(mapping: ObjectMapping) -> str | None:
    """The target attribute that carries the account state (``active``), if mapped."""
    attr = mapping.by_target("active")
    return attr.target if attr is not None and attr.is_mapped else None


def dialect_of(base_address: str) -> str:
    return scim_payloads.dialect_from_base_address(base_address)


def case_exact(schema: Schema, mapping: ObjectMapping | None) -> set[str] | None:
    """Target attributes compared case-sensitively; None (all) when the schema declares none."""
    if mapping is None:
        return None
    attributes = schema.target_attributes(mapping)
    return schema.case_exact_attributes(mapping) if attributes else None


def diff(
    mapped: Mapping[str, Any], current: Mapping[str, Any], exact: set[str] | None = None
) -> dict[str, Any]:
    return scim_payloads.diff(mapped, current, case_exact=exact)


def patch_body(
    changes: Mapping[str, Any],
    dialect: str,
    current: Mapping[str, Any],
    base_address: str | None = None,
) -> dict[str, Any]:
    """A user's (or group's) PATCH; ``base_address`` builds a manager's ``$ref``."""
    users_url = base_address.split("?", 1)[0].rstrip("/") + "/Users" if base_address else None
    return scim_payloads.user_patch_body(changes, dialect, current=current, users_url=users_url)


def disable_body(dialect: str) -> dict[str, Any]:
    return scim_payloads.disable_patch_body(dialect)


def create_user_body(mapped: Mapping[str, Any]) -> dict[str, Any]:
    return scim_payloads.create_user_body(mapped)


def create_group_body(mapped: Mapping[str, Any]) -> dict[str, Any]:
    external = mapped.get("externalId")
    return scim_payloads.group_create_body(
        str(mapped.get("displayName") or ""), str(external) if external is not None else None
    )


def member_patches(add: list[str], remove: list[str], dialect: str) -> list[dict[str, Any]]:
    return scim_payloads.group_member_patch(add, remove, dialect)


def modified(changes: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``modifiedProperties`` for a PATCH: each changed attribute, old and new as strings."""
    return [
        {
            "displayName": key,
            "oldValue": log_value(scim_payloads.get_path(current, key)),
            "newValue": log_value(value),
        }
        for key, value in changes.items()
    ]


def is_role_target(target: str) -> bool:
    """A target attribute that carries app roles (``roles``, ``roles[primary eq "True"].value``)."""
    return scim_payloads.parse_path(target).attr.casefold() == "roles"


def manager_targets(mapping: ObjectMapping) -> list[str]:
    """Target attributes mapped from the ``manager`` reference attribute."""
    out = []
    for attr in mapping.attribute_mappings:
        if attr.is_mapped and attr.expression_text.strip().casefold() == "[manager]":
            out.append(attr.target)
    return out


def reference_value(current: Mapping[str, Any], key: str) -> str | None:
    value = scim_payloads.get_path(current, key)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # kept as Entra sends it: [{"$ref", "value"}]
    if isinstance(value, Mapping):
        value = value.get("value")
    return str(value) if value not in (None, "") else None


def empty_patch() -> dict[str, Any]:
    return {"schemas": [scim_payloads.PATCH_OP], "Operations": []}


def remove_operation(key: str, dialect: str) -> dict[str, Any]:
    return {"op": "Remove" if dialect == scim_payloads.DEFAULT else "remove", "path": key}
