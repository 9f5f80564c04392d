"""The endpoint's ``/Schemas`` (RFC 7643 §7, RFC 7644 §4) as a set of attribute names, and the
mapping restricted to what it declares: Microsoft's validator's "Discover schema" mode
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/scim-validator-tutorial)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from harness.engine import rules

__all__ = ["declared_attributes", "restrict", "supports"]

CORE = {
    "user": "urn:ietf:params:scim:schemas:core:2.0:User",
    "group": "urn:ietf:params:scim:schemas:core:2.0:Group",
}
COMMON = frozenset({"id", "externalid", "meta"})


def _resources(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("Resources"), list):
        body = body["Resources"]
    if isinstance(body, list):
        return [r for r in body if isinstance(r, dict)]
    return []


def declared_attributes(body: Any) -> set[str] | None:
    """``urn:...:User:name``, ``urn:...:User:name.givenName`` (case-folded) for every attribute
    and sub-attribute of every schema; None when the body lists no schema."""
    names: set[str] = set()
    resources = _resources(body)
    for schema in resources:
        urn = str(schema.get("id") or "")
        for attribute in schema.get("attributes") or []:
            if not isinstance(attribute, dict) or not attribute.get("name"):
                continue
            base = f"{urn}:{attribute['name']}".casefold()
            names.add(base)
            for sub in attribute.get("subAttributes") or []:
                if isinstance(sub, dict) and sub.get("name"):
                    names.add(f"{base}.{sub['name']}".casefold())
    return names if resources else None


def supports(names: set[str], kind: str, target: str) -> bool:
    """Whether the declared ``names`` hold the target attribute path of a ``kind`` mapping
    (``emails[type eq "work"].value`` needs ``emails`` and its ``value``)."""
    try:
        path = rules.scim_payloads.parse_path(target)
    except ValueError:
        return False
    if not path.schema and path.attr.casefold() in COMMON:
        return True  # common attributes are not in any schema (RFC 7643 §3.1)
    urn = path.schema or CORE.get(kind.casefold(), "")
    base = f"{urn}:{path.attr}".casefold()
    if base not in names:
        return False
    if not path.sub:
        return True
    has_subs = any(n.startswith(base + ".") for n in names)
    return not has_subs or f"{base}.{path.sub}".casefold() in names


def restrict(schema_json: dict[str, Any], names: set[str]) -> tuple[dict[str, Any], list[str]]:
    """A copy of the schema whose user and group mappings keep only the attributes ``names``
    declares (matching attributes are always kept), and the target attributes dropped."""
    out = copy.deepcopy(schema_json)
    schema = out.get("schema", out) if "synchronizationRules" not in out else out
    dropped: list[str] = []
    for rule in schema.get("synchronizationRules") or []:
        for mapping in rule.get("objectMappings") or []:
            kind = str(mapping.get("sourceObjectName") or "")
            kept = []
            for attr in _attributes(mapping.get("attributeMappings")):
                target = str(attr.get("targetAttributeName") or "")
                if (attr.get("matchingPriority") or 0) > 0 or supports(names, kind, target):
                    kept.append(attr)
                else:
                    dropped.append(f"{kind}.{target}")
            mapping["attributeMappings"] = kept
    return out, dropped


def _attributes(value: Any) -> Iterable[dict[str, Any]]:
    return [a for a in value or [] if isinstance(a, dict)]
