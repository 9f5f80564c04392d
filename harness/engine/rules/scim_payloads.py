"""SCIM request bodies as the Entra provisioning service builds them: Microsoft's SCIM guide
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
shows each request.

Target values come from :func:`harness.engine.rules.apply.map_object`, keyed by Entra's target attribute
paths: ``userName``, ``name.givenName``, ``emails[type eq "work"].value``,
``roles[primary eq "True"].value``,
``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department``.

Two PATCH dialects
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility):
- ``"default"`` (no flag): ``op`` capitalised (``Add``/``Replace``/``Remove``), booleans as the
  strings ``"True"``/``"False"``, one operation per attribute, each with a ``path``; member
  removal as ``Remove`` with a ``value`` list; roles as JSON-encoded strings.
- ``"aadOptscim062020"`` (the flag in the tenant URL): lower-case ``op``, real booleans,
  several changed attributes in one path-less ``replace`` whose ``value`` is keyed by attribute
  path, filtered paths as their own operations, member removal by value filter in the path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from harness.engine.rules.expressions import AppRoleValue, RoleList, dotnet_str

__all__ = [
    "DEFAULT",
    "DIALECTS",
    "ENTERPRISE_USER",
    "FLAG",
    "PATCH_OP",
    "AttributePath",
    "absent_attributes",
    "create_user_body",
    "dialect_from_base_address",
    "diff",
    "disable_patch_body",
    "enable_patch_body",
    "get_path",
    "group_create_body",
    "group_member_patch",
    "group_rename_patch",
    "parse_path",
    "strip_dialect_flags",
    "user_patch_body",
]

DEFAULT = "default"
FLAG = "aadOptscim062020"
DIALECTS = (DEFAULT, FLAG)
_ROLLBACK_FLAG = "AzureAdScimPatch2017"

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ROLE_TYPE = "WindowsAzureActiveDirectoryRole"

# SCIM attributes of type boolean (RFC 7643) that Entra mappings commonly target.
BOOLEAN_ATTRIBUTES = frozenset({"active", "primary"})


class PayloadError(ValueError):
    """A target attribute path or value that cannot be written into a SCIM body."""


# --------------------------------------------------------------------------------------------
# Attribute paths
# --------------------------------------------------------------------------------------------

_PATH = re.compile(
    r"(?P<attr>[A-Za-z_$][\w$-]*)"
    r"(?:\[\s*(?P<fattr>[A-Za-z_][\w-]*)\s+eq\s+(?P<fval>\"(?:[^\"\\]|\\.)*\"|[^\]\s]+)\s*\])?"
    r"(?:\.(?P<sub>[A-Za-z_$][\w$-]*))?"
)


@dataclass(frozen=True, slots=True)
class AttributePath:
    """A parsed target attribute path: ``[schema:]attr[filter_attr eq "filter_value"].sub``."""

    text: str
    schema: str | None
    attr: str
    filter_attr: str | None = None
    filter_value: Any = None
    sub: str | None = None

    @property
    def filtered(self) -> bool:
        return self.filter_attr is not None


def parse_path(text: str) -> AttributePath:
    """Parse a target attribute path. Extension paths keep their schema URN
    (``urn:...:2.0:User:department`` → schema ``urn:...:2.0:User``, attr ``department``).
    Cached: a schema has few distinct paths."""
    return _parse_path_cached(text)


@lru_cache(maxsize=2048)
def _parse_path_cached(text: str) -> AttributePath:
    schema: str | None = None
    rest = text
    if text.lower().startswith("urn:"):
        match = re.match(r"(?P<urn>urn:.*:(?:User|Group)):(?P<rest>[^:]+)$", text, re.IGNORECASE)
        if not match:
            raise PayloadError(f"cannot tell the schema URN from the attribute in {text!r}")
        schema, rest = match["urn"], match["rest"]
    match = _PATH.fullmatch(rest.strip())
    if not match:
        raise PayloadError(f"not a SCIM attribute path: {text!r}")
    fval: Any = match["fval"]
    if fval is not None:
        if fval.startswith('"'):
            fval = re.sub(r"\\(.)", r"\1", fval[1:-1])
        if match["fattr"] and match["fattr"].casefold() == "primary":
            fval = str(fval).casefold() == "true"
    return AttributePath(text, schema, match["attr"], match["fattr"], fval, match["sub"])


def _get(container: Mapping[str, Any] | None, key: str) -> Any:
    """Case-insensitive member of a SCIM object (attribute names are case-insensitive)."""
    if not isinstance(container, Mapping):
        return None
    if key in container:
        return container[key]
    folded = key.casefold()
    for k, v in container.items():
        if str(k).casefold() == folded:
            return v
    return None


def _filter_matches(item: Any, path: AttributePath) -> bool:
    if not isinstance(item, Mapping):
        return False
    actual = _get(item, path.filter_attr or "")
    wanted = path.filter_value
    if isinstance(wanted, bool):
        return _as_bool(actual) is wanted
    return (dotnet_str(actual) or "").casefold() == str(wanted).casefold()


def get_path(resource: Mapping[str, Any], path: str | AttributePath) -> Any:
    """The value at a target attribute path in a SCIM resource (``None`` when absent)."""
    parsed = parse_path(path) if isinstance(path, str) else path
    container: Any = resource
    if parsed.schema:
        container = _get(resource, parsed.schema)
    value = _get(container, parsed.attr)
    if parsed.filtered:
        items = value if isinstance(value, list) else []
        entry = next((i for i in items if _filter_matches(i, parsed)), None)
        if entry is None:
            return None
        return _get(entry, parsed.sub) if parsed.sub else entry
    if parsed.sub:
        if isinstance(value, list):
            # "emails.value" style on a multi-valued attribute: the primary (or first) entry.
            primary = next(
                (i for i in value if isinstance(i, Mapping) and _as_bool(_get(i, "primary"))), None
            )
            value = primary or (value[0] if value else None)
        return _get(value, parsed.sub)
    return value


# --------------------------------------------------------------------------------------------
# Value conversions
# --------------------------------------------------------------------------------------------


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    return None


def _is_boolean(path: AttributePath, value: Any, booleans: Collection[str]) -> bool:
    name = path.sub or path.attr
    if path.text in booleans or name in booleans or isinstance(value, bool):
        return _as_bool(value) is not None
    return False


def _json_role(role: Mapping[str, Any], role_id: str | None) -> str:
    # Entra's PATCH form of a role
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes):
    # the role as a compact JSON string.
    payload = {"id": role_id, "value": role.get("value"), "displayName": role.get("displayName")}
    return json.dumps(payload, separators=(",", ":"))


def role_entries(value: Any, primary: bool | None) -> list[dict[str, Any]]:
    """The SCIM ``roles`` entries of a role value (``SingleAppRoleAssignment`` or
    ``AppRoleAssignmentsComplex``); PayloadError for anything else."""
    if isinstance(value, RoleList):
        return [dict(r) for r in value]
    if isinstance(value, AppRoleValue):
        return [
            {
                "primary": True if primary is None else primary,
                "type": ROLE_TYPE,
                "value": str(value),
            }
        ]
    raise PayloadError(
        "roles need a role value (SingleAppRoleAssignment or AppRoleAssignmentsComplex)"
    )


# --------------------------------------------------------------------------------------------
# Create
# --------------------------------------------------------------------------------------------


def _set_path(
    body: dict[str, Any], path: AttributePath, value: Any, booleans: Collection[str]
) -> None:
    container = body
    if path.schema:
        container = body.setdefault(path.schema, {})
    if _is_boolean(path, value, booleans):
        value = _as_bool(value)
    if path.attr == "roles" and isinstance(value, RoleList):
        container.setdefault("roles", []).extend(role_entries(value, None))
        return
    if path.attr == "roles" and isinstance(value, AppRoleValue):
        # SingleAppRoleAssignment may feed roles[primary eq "True"].value, .display and .type:
        # all land in the one primary role.
        primary = path.filter_value if path.filter_attr == "primary" else True
        roles = container.setdefault("roles", [])
        entry = next(
            (r for r in roles if isinstance(r, dict) and r.get("primary") is primary), None
        )
        if entry is None:
            entry = {"primary": primary, "type": ROLE_TYPE}
            roles.append(entry)
        entry[path.sub or "value"] = str(value)
        return
    if path.schema and path.attr == "manager" and not path.sub and isinstance(value, str):
        container["manager"] = {"value": value}
        return
    if path.filtered:
        entries = container.setdefault(path.attr, [])
        if not isinstance(entries, list):
            raise PayloadError(f"{path.text!r} conflicts with another mapping of {path.attr!r}")
        entry = next((e for e in entries if _filter_matches(e, path)), None)
        if entry is None:
            entry = {}
            # The documented create body marks the (only) work e-mail primary.
            if path.attr == "emails" and path.filter_attr != "primary" and not entries:
                entry["primary"] = True
            entry[path.filter_attr] = path.filter_value
            entries.append(entry)
        entry[path.sub or "value"] = value
        return
    if path.sub:
        holder = container.setdefault(path.attr, {})
        if not isinstance(holder, dict):
            raise PayloadError(f"{path.text!r} conflicts with another mapping of {path.attr!r}")
        holder[path.sub] = value
        return
    container[path.attr] = value


def create_user_body(
    target: Mapping[str, Any],
    *,
    boolean_attributes: Collection[str] = BOOLEAN_ATTRIBUTES,
    enterprise_schema: bool | None = None,
) -> dict[str, Any]:
    """The ``POST /Users`` body for mapped target values: ``schemas`` with
    the enterprise URN, nested ``name``, ``emails`` as ``[{"primary": true, "type": "work",
    "value": ...}]``, ``active`` as a JSON boolean, ``meta.resourceType`` ``User``.

    Microsoft's two documented bodies disagree on when the enterprise URN is listed (the SCIM
    guide lists it with no enterprise attribute; the roles example leaves it out): by default
    (``enterprise_schema`` None) it is listed when an enterprise attribute is sent; True/False
    force it. Custom
    extension schemas are never listed."""
    body: dict[str, Any] = {"schemas": [CORE_USER]}
    if enterprise_schema:
        body["schemas"].append(ENTERPRISE_USER)
    return _fill_body(body, target, "User", boolean_attributes, enterprise_schema is not False)


def _fill_body(
    body: dict[str, Any],
    target: Mapping[str, Any],
    resource_type: str,
    booleans: Collection[str],
    list_enterprise: bool,
) -> dict[str, Any]:
    for key, value in target.items():
        if value is None:
            continue
        path = parse_path(key)
        if path.schema and path.schema.casefold() == ENTERPRISE_USER.casefold():
            path = AttributePath(
                path.text, ENTERPRISE_USER, path.attr, path.filter_attr, path.filter_value, path.sub
            )
            if list_enterprise and ENTERPRISE_USER not in body["schemas"]:
                body["schemas"].append(ENTERPRISE_USER)
        _set_path(body, path, value, booleans)
    body["meta"] = {"resourceType": resource_type}
    return body


def group_create_body(display_name: str, external_id: str | None = None) -> dict[str, Any]:
    """The ``POST /Groups`` body: both schema URNs, ``externalId`` (the
    Entra object id) when given, ``displayName``, ``meta.resourceType`` ``Group``; members are
    added afterwards by PATCH."""
    body: dict[str, Any] = {"schemas": [CORE_GROUP, ADSCIM_GROUP]}
    if external_id is not None:
        body["externalId"] = external_id
    body["displayName"] = display_name
    body["meta"] = {"resourceType": "Group"}
    return body


# --------------------------------------------------------------------------------------------
# Compare
# --------------------------------------------------------------------------------------------


def _role_values(value: Any) -> set[str]:
    out: set[str] = set()
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, Mapping):
            if item.get("value") is not None:
                out.add(str(item["value"]))
        elif item is not None:
            out.add(str(item))
    return out


def _same(wanted: Any, actual: Any, case_exact: bool) -> bool:
    if actual is None:
        return False
    if isinstance(wanted, RoleList):
        have = _role_values(actual)
        want = _role_values(list(wanted))
        # Non-assertive roles are only ever added (Microsoft documents it).
        return want <= have if not wanted.assertive else want == have
    if isinstance(wanted, bool) or isinstance(actual, bool):
        a, b = _as_bool(wanted), _as_bool(actual)
        if a is not None and b is not None:
            return a == b
    if isinstance(wanted, list):
        if not isinstance(actual, list):
            actual = [actual]
        fold = (lambda s: s) if case_exact else str.casefold
        return sorted(fold(dotnet_str(_scalar(v)) or "") for v in wanted) == sorted(
            fold(dotnet_str(_scalar(v)) or "") for v in actual
        )
    if isinstance(actual, list) and len(actual) == 1 and isinstance(actual[0], Mapping):
        actual = actual[0]  # a reference kept as Entra sends it: [{"$ref", "value"}]
    if isinstance(actual, Mapping) and "value" in actual:
        actual = actual["value"]  # a reference (manager) compares by its id
    a_text, b_text = dotnet_str(wanted) or "", dotnet_str(actual) or ""
    return a_text == b_text if case_exact else a_text.casefold() == b_text.casefold()


_PRIMARY_ROLE = AttributePath('roles[primary eq "True"]', None, "roles", "primary", True)


def _scalar(value: Any) -> Any:
    return value.get("value") if isinstance(value, Mapping) else value


def diff(
    target: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    case_exact: Collection[str] | None = None,
) -> dict[str, Any]:
    """The target attributes whose value differs from the SCIM resource ``current`` (the
    user as the target returns it), in ``target``'s order.

    Booleans compare with their string forms (``True`` equals ``"True"``/``"true"``); an
    attribute missing from ``current`` counts as a change; a reference compares by its
    ``value``. Strings compare case-sensitively, unless ``case_exact`` is given: then only the
    attributes it names compare case-sensitively and the rest ignore case, as Entra does for
    attributes whose schema definition is not ``caseExact``
    (``Schema.case_exact_attributes(mapping)``).
    """
    changes: dict[str, Any] = {}
    for key, wanted in target.items():
        if wanted is None:
            continue
        path = parse_path(key)
        exact = True if case_exact is None else key in case_exact
        if path.attr == "roles" and isinstance(wanted, AppRoleValue | RoleList):
            actual: Any = _get(current, "roles")
            if isinstance(wanted, AppRoleValue):
                # A role sent to plain "roles" is created and patched as the primary role.
                match = path if path.filtered else _PRIMARY_ROLE
                entry = next((r for r in actual or [] if _filter_matches(r, match)), None)
                actual = _get(entry, "value") if entry is not None else None
        else:
            actual = get_path(current, path)
        if not _same(wanted, actual, exact):
            changes[key] = wanted
    return changes


def absent_attributes(changes: Iterable[str], current: Mapping[str, Any]) -> set[str]:
    """Which of the changed attributes have no value at all in ``current`` (PATCH ``Add``)."""
    out: set[str] = set()
    for key in changes:
        value = get_path(current, key)
        if value is None or value == "" or value == []:
            out.add(key)
    return out


# --------------------------------------------------------------------------------------------
# PATCH
# --------------------------------------------------------------------------------------------


def _check_dialect(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise PayloadError(f"unknown PATCH dialect {dialect!r}; use {DEFAULT!r} or {FLAG!r}")
    return dialect


def _op(name: str, dialect: str) -> str:
    return name.capitalize() if dialect == DEFAULT else name.lower()


def _patch(operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": operations}


def _patch_value(
    path: AttributePath,
    value: Any,
    dialect: str,
    booleans: Collection[str],
    users_url: str | None,
) -> Any:
    if _is_boolean(path, value, booleans):
        flag = _as_bool(value)
        return ("True" if flag else "False") if dialect == DEFAULT else flag
    if path.attr == "manager" and not path.sub and isinstance(value, str):
        # Microsoft's SCIM guide: "value": [{"$ref": ".../scim/Users/<id>", "value": "<id>"}]
        # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
        ref = f"{users_url}/{value}" if users_url else None
        return [{"$ref": ref, "value": value}]
    return value


def _role_operation(path: AttributePath, value: Any, dialect: str) -> dict[str, Any]:
    if isinstance(value, RoleList) and value.assertive:
        # AssertiveAppRoleAssignmentsComplex replaces the role list (Microsoft documents it).
        roles = [
            {
                "primary": r.get("primary", False),
                "type": r.get("type", ROLE_TYPE),
                "display": r.get("display", r.get("displayName")),
                "value": r.get("value"),
            }
            for r in value
        ]
        return {"op": "replace", "path": "roles", "value": roles}
    primary = path.filter_value if path.filter_attr == "primary" else None
    entries = role_entries(value, primary)
    if dialect == FLAG:
        return {"op": "add", "path": "roles", "value": entries}
    ids = value.role_ids if isinstance(value, RoleList) else [value.role_id]
    display = [value.display_name] if isinstance(value, AppRoleValue) else None
    json_values = []
    for i, entry in enumerate(entries):
        role = dict(entry)
        if display is not None:
            role["displayName"] = display[i]
        json_values.append({"value": _json_role(role, ids[i] if i < len(ids) else None)})
    return {"op": "Add", "path": "roles", "value": json_values}


def user_patch_body(
    changes: Mapping[str, Any],
    dialect: str = DEFAULT,
    *,
    current: Mapping[str, Any] | None = None,
    boolean_attributes: Collection[str] = BOOLEAN_ATTRIBUTES,
    users_url: str | None = None,
) -> dict[str, Any]:
    """The ``PATCH /Users/{id}`` body for the changed attributes (from :func:`diff`).

    A manager goes as the SCIM guide shows it: a list of one ``{"$ref", "value"}``, the
    ``$ref`` under ``users_url`` (the target's ``.../Users``; null without it).

    With ``current`` (the resource as read from the target), an attribute it lacks is sent
    with ``Add`` and the others with ``Replace`` (our inference from the SCIM guide's
    ``nickName`` example); without it every change is a ``Replace``.

    ``default``: one operation per attribute, ``Add``/``Replace``, booleans as ``"True"``/
    ``"False"``. ``aadOptscim062020``: ``add`` operations with paths; filtered paths as their
    own ``replace`` operations; the other replaced attributes in one path-less ``replace``
    whose value is keyed by attribute path (a single one keeps its path, as the documented
    disable shows); real booleans. Raises :class:`PayloadError` for an unknown dialect or an
    empty change set.
    """
    _check_dialect(dialect)
    if not changes:
        raise PayloadError("no changes: Entra sends no PATCH when nothing differs")
    absent = absent_attributes(changes.keys(), current) if current is not None else set()
    adds: list[dict[str, Any]] = []
    filtered: list[dict[str, Any]] = []
    plain: list[tuple[str, Any]] = []
    operations: list[dict[str, Any]] = []
    single_roles_sent: set[str | None] = set()
    for key, value in changes.items():
        path = parse_path(key)
        if path.attr == "roles" and isinstance(value, AppRoleValue | RoleList):
            if isinstance(value, AppRoleValue):
                # .value/.display/.type of one role are sent once.
                if value.role_id in single_roles_sent:
                    continue
                single_roles_sent.add(value.role_id)
            (operations if dialect == DEFAULT else filtered).append(
                _role_operation(path, value, dialect)
            )
            continue
        converted = _patch_value(path, value, dialect, boolean_attributes, users_url)
        op = "Add" if key in absent else "Replace"
        if dialect == DEFAULT:
            operations.append({"op": op, "path": key, "value": converted})
        elif op == "Add":
            adds.append({"op": "add", "path": key, "value": converted})
        elif path.filtered:
            filtered.append({"op": "replace", "path": key, "value": converted})
        else:
            plain.append((key, converted))
    if dialect == DEFAULT:
        return _patch(operations)
    operations = adds + filtered
    if len(plain) == 1:
        key, converted = plain[0]
        operations.append({"op": "replace", "path": key, "value": converted})
    elif plain:
        operations.append({"op": "replace", "value": dict(plain)})
    return _patch(operations)


def disable_patch_body(dialect: str = DEFAULT) -> dict[str, Any]:
    """PATCH that disables a user: ``"False"`` in the default dialect,
    ``false`` with ``aadOptscim062020``."""
    _check_dialect(dialect)
    value: Any = "False" if dialect == DEFAULT else False
    return _patch([{"op": _op("replace", dialect), "path": "active", "value": value}])


def enable_patch_body(dialect: str = DEFAULT) -> dict[str, Any]:
    """PATCH that re-enables a user: the inverse of :func:`disable_patch_body`."""
    _check_dialect(dialect)
    value: Any = "True" if dialect == DEFAULT else True
    return _patch([{"op": _op("replace", dialect), "path": "active", "value": value}])


def group_rename_patch(name: str, dialect: str = DEFAULT) -> dict[str, Any]:
    """PATCH that renames a group."""
    _check_dialect(dialect)
    return _patch([{"op": _op("replace", dialect), "path": "displayName", "value": name}])


def group_member_patch(
    add: Iterable[str],
    remove: Iterable[str],
    dialect: str = DEFAULT,
    *,
    max_members: int | None = None,
    null_ref: bool = True,
) -> list[dict[str, Any]]:
    """PATCH bodies that add and remove group members (target user ids).

    Default dialect: ``Add`` and ``Remove`` operations on path ``members`` with a value list of
    ``{"$ref": null, "value": id}``. ``aadOptscim062020``: ``add`` with the same value list,
    and one ``remove`` per member with path ``members[value eq "id"]`` and no value.
    Microsoft's SCIM guide shows ``"$ref": null`` in member values, its compatibility page
    shows ``{"value": id}`` alone; ``null_ref=False`` selects the latter.
    Adds come before removals. All memberships go in one body unless ``max_members`` caps
    the members per body (the engine's real batch size is undocumented). No changes → ``[]``.
    """

    def _member_value(member_id: str) -> dict[str, Any]:
        return {"$ref": None, "value": member_id} if null_ref else {"value": member_id}

    _check_dialect(dialect)
    adds = list(dict.fromkeys(add))
    removes = list(dict.fromkeys(remove))
    if max_members is not None and max_members < 1:
        raise PayloadError("max_members must be at least 1")
    items: list[tuple[str, str]] = [("add", m) for m in adds] + [("remove", m) for m in removes]
    size = max_members or max(len(items), 1)
    bodies: list[dict[str, Any]] = []
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        operations: list[dict[str, Any]] = []
        chunk_adds = [m for kind, m in chunk if kind == "add"]
        chunk_removes = [m for kind, m in chunk if kind == "remove"]
        if chunk_adds:
            operations.append(
                {
                    "op": _op("add", dialect),
                    "path": "members",
                    "value": [_member_value(m) for m in chunk_adds],
                }
            )
        if chunk_removes:
            if dialect == DEFAULT:
                operations.append(
                    {
                        "op": "Remove",
                        "path": "members",
                        "value": [_member_value(m) for m in chunk_removes],
                    }
                )
            else:
                operations.extend(
                    {"op": "remove", "path": f'members[value eq "{m}"]'} for m in chunk_removes
                )
        bodies.append(_patch(operations))
    return bodies


# --------------------------------------------------------------------------------------------
# Tenant URL flags
# --------------------------------------------------------------------------------------------


def _query_flags(url: str) -> list[str]:
    query = urlsplit(url).query
    flags: list[str] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        flags.append(key)
        if value:
            flags.append(value)
    return flags


def dialect_from_base_address(url: str | None) -> str:
    """``"aadOptscim062020"`` when the tenant URL (secret ``BaseAddress``) carries that flag in
    its query string (``https://host/scim?aadOptscim062020``), else ``"default"``. The
    roll-back flag ``AzureAdScimPatch2017`` selects the default dialect."""
    if not url:
        return DEFAULT
    flags = {f.casefold() for f in _query_flags(url)}
    if _ROLLBACK_FLAG.casefold() in flags:
        return DEFAULT
    return FLAG if FLAG.casefold() in flags else DEFAULT


def strip_dialect_flags(url: str) -> str:
    """The tenant URL without the dialect flags, i.e. the SCIM base address to call."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    names = {FLAG.casefold(), _ROLLBACK_FLAG.casefold()}
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0].casefold() not in names]
    return urlunsplit(parts._replace(query="&".join(kept)))
