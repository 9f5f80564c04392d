"""What the product does not offer in attribute mappings and scoping filters, refused when a
schema is saved (``PUT .../schema``), the way the admin center would not offer it.

Known issues (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues):
- "The appRoleAssignments, userType, manager, and date-type attributes (for example,
  StatusHireDate, startDate, endDate, StatusTerminationDate, accountExpires) aren't supported
  as scoping filters."
- "The attributes SamAccountName and userType aren't available as source attributes."

Schemas loaded any other way (state files, ``harness import`` of a tenant's export) are not
checked here: they are taken as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from harness.engine.rules.expressions import ExpressionError
from harness.engine.rules.schema import ObjectMapping, Schema, SchemaError

__all__ = ["refuse_unoffered"]

NOT_SCOPING_ATTRIBUTES = frozenset({"approleassignments", "usertype", "manager"})
NOT_SOURCE_ATTRIBUTES = frozenset({"usertype", "samaccountname"})
# Date-type attributes: the page's examples, and Microsoft Entra's user dates (Graph's user
# resource, DateTimeOffset). A source attribute the schema declares DateTime counts too.
DATE_ATTRIBUTES = frozenset(
    name.casefold()
    for name in (
        "StatusHireDate",
        "startDate",
        "endDate",
        "StatusTerminationDate",
        "accountExpires",
        "createdDateTime",
        "deletedDateTime",
        "employeeHireDate",
        "employeeLeaveDateTime",
        "lastPasswordChangeDateTime",
        "onPremisesLastSyncDateTime",
        "refreshTokensValidFromDateTime",
        "signInSessionsValidFromDateTime",
    )
)
KNOWN_ISSUES = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues"


def refuse_unoffered(schema: Schema) -> None:
    """Raise :class:`SchemaError` (naming the place) for a scoping filter on an attribute that
    is not supported there, or a mapping that reads a source attribute Entra does not offer."""
    for mapping in schema.object_mappings:
        dates = DATE_ATTRIBUTES | {
            name.casefold()
            for name, definition in schema.source_attributes(mapping).items()
            if str(definition.get("type", "")).casefold() == "datetime"
        }
        for where, attribute in _clause_attributes(mapping):
            folded = attribute.casefold()
            if folded in NOT_SCOPING_ATTRIBUTES or folded in dates:
                kind = "a date-type attribute" if folded in dates else "not supported"
                raise SchemaError(
                    f"'{attribute}' cannot be used in a scoping filter ({kind}; "
                    f"see {KNOWN_ISSUES}#unsupported-scoping-filters)",
                    f"{mapping.location}.scope.{where}",
                )
        if mapping.source_object.casefold() != "user":
            continue
        for attr in mapping.attribute_mappings:
            if not attr.is_mapped:
                continue
            try:
                read = attr.expression.attributes
            except (SchemaError, ExpressionError):
                continue  # Schema.validate reports it
            for name in read:
                if name.casefold() in NOT_SOURCE_ATTRIBUTES:
                    raise SchemaError(
                        f"'{name}' is not available as a source attribute (use a directory "
                        f"extension attribute instead; see {KNOWN_ISSUES})",
                        f"{attr.location}.source",
                    )


def _clause_attributes(mapping: ObjectMapping) -> Iterator[tuple[str, str]]:
    scope = mapping.scope
    if not isinstance(scope, Mapping):
        return
    for key in ("groups", "inputFilterGroups", "categoryFilterGroups"):
        for g, group in enumerate(_items(scope.get(key))):
            for c, clause in enumerate(_items(group.get("clauses"))):
                name = clause.get("sourceOperandName")
                if isinstance(name, str) and name:
                    yield f"{key}[{g}].clauses[{c}]", name


def _items(raw: Any) -> list[Mapping[str, Any]]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        return []
    return [item for item in raw if isinstance(item, Mapping)]
