"""The directory's state: plain objects and indexes behind one lock, no Flask.

Everything Graph-visible lives here: users, groups, applications, service principals (one
directoryObject id space), group memberships, managers, app role assignments, deleted items and a
monotonic change log that the delta queries read in O(changes).

Soft delete (reference §2, §8, and the notes file): a deleted user, Microsoft 365 group,
application or service principal moves to deleted items with ``deletedDateTime``; its relationships
(group memberships, manager links, app role assignments) are kept but hidden while it is deleted,
come back when it is restored, and are dropped when it is purged (30 days after deletion by the
clock the backend is given, or at once by ``DELETE /directory/deletedItems/{id}``). Security groups
are deleted permanently at once (setting ``soft_delete_security_groups``).

Purging is lazy: every public method first purges what has fallen due (a heap peek when nothing
has), and ``purge_expired()`` does it explicitly.
"""

from __future__ import annotations

import base64
import bisect
import functools
import heapq
import itertools
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from mock_graph.exceptions import (
    GraphError,
    bad_request,
    conflict_property,
    invalid_value,
    not_found,
    unknown_property,
)
from mock_graph.schema import REQUIRED_ON_CREATE, TYPES, ZERO_GUID
from mock_graph.serialize import Assignment, DirObject, project

P = ParamSpec("P")
R = TypeVar("R")

GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_NICKNAME_BAD = re.compile(r"[@()\\\[\]\";:.<>, \x00-\x1f\x7f-\U0010ffff]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UPN = re.compile(r"^[^@\s]+@[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}$")

DEFAULT_ROLES = [
    {
        "id": "18d14569-c3bd-439b-9a66-3a2aee01d14f",
        "allowedMemberTypes": ["User"],
        "displayName": "User",
        "description": "User",
        "value": None,
        "isEnabled": True,
        "origin": "Application",
    },
    {
        "id": "b9632174-c057-4f7e-951b-be3adc52bfe6",
        "allowedMemberTypes": ["User"],
        "displayName": "msiam_access",
        "description": "msiam_access",
        "value": None,
        "isEnabled": True,
        "origin": "Application",
    },
]


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


# The JSON shape each schema type accepts (None is handled by the callers).
TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    # Graph's complex types here are flat records of scalars
    "complex": lambda v: isinstance(v, dict) and all(_is_scalar(x) for x in v.values()),
    "guid": is_guid,
    "datetime": lambda v: _is_datetime(v),
    "approles": lambda v: (
        isinstance(v, list)
        and all(
            isinstance(r, dict)
            and all(
                _is_scalar(x) or (isinstance(x, list) and all(isinstance(y, str) for y in x))
                for x in r.values()
            )
            for r in v
        )
    ),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def check_stored(kind: str, data: Any) -> None:
    """A loaded object must look like one the fake would have stored itself."""
    etype = TYPES[kind]
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError(f"a {kind} needs a string id")
    for key, value in data.items():
        prop = etype.props.get(key)
        if prop is None:
            raise ValueError(f"unknown {kind} property {key!r}")
        if value is not None and not TYPE_CHECKS[prop.type](value):
            raise ValueError(f"{kind} {data['id']}: bad value for {key!r}")
    for key in {
        "user": ("userPrincipalName", "displayName"),
        "group": ("displayName",),
        "application": ("appId", "displayName"),
        "servicePrincipal": ("appId", "displayName"),
    }[kind]:
        if not isinstance(data.get(key), str):
            raise ValueError(f"{kind} {data['id']}: {key!r} must be a string")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Settings:
    """Knobs where the sources leave room, or where tests want a looser fake."""

    # Reproduce Graph's advanced-query failures (ConsistencyLevel: eventual + $count=true).
    strict_queries: bool = True
    # Graph deletes security and distribution groups at once; M365 groups go to deleted items.
    soft_delete_security_groups: bool = False
    retention_days: int = 30
    delta_page_size: int = 100
    # Graph expires directory delta tokens after 7 days; off by default so long virtual-clock
    # runs do not trip over it. Set to 7 for fidelity.
    delta_token_max_age_days: float | None = None
    # Empty: any domain is accepted in userPrincipalName.
    verified_domains: list[str] = field(default_factory=list)
    # Real Graph answers 400 to absolute URLs in $batch items; msgraph-sdk sends them anyway.
    batch_accept_absolute_urls: bool = True
    default_page_size: int = 100
    organization_name: str = "Contoso"

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise bad_request(f"Unknown setting '{key}'.")
            current = getattr(self, key)
            ok = (
                (isinstance(current, bool) and isinstance(value, bool))
                or (key == "delta_token_max_age_days" and (value is None or _is_number(value)))
                or (
                    isinstance(current, int)
                    and not isinstance(current, bool)
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                    and value > 0
                )
                or (
                    isinstance(current, list)
                    and isinstance(value, list)
                    and all(isinstance(v, str) for v in value)
                )
                or (isinstance(current, str) and isinstance(value, str) and bool(value.strip()))
            )
            if not ok:
                raise bad_request(f"Invalid value for setting '{key}'.")
        for key, value in values.items():
            setattr(self, key, value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


@dataclass
class Page:
    """One page of a listing: rendered items, where to continue, and the total if asked."""

    items: list[dict[str, Any]]
    cursor: dict[str, Any] | None = None
    count: int | None = None


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        self = args[0]
        with self._lock:  # type: ignore[attr-defined]
            self._purge_due()  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


def default_clock() -> datetime:
    return datetime.now(UTC)


class GraphBackend:
    """The whole tenant. Thread-safe: every public method holds one re-entrant lock."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        tenant_id: str | None = None,
        settings: Settings | None = None,
        id_seed: int | str = 0,
    ) -> None:
        self._lock = threading.RLock()
        self.clock: Callable[[], datetime] = clock or default_clock
        self.tenant_id = tenant_id or str(
            uuid.UUID(int=random.Random("tenant").getrandbits(128), version=4)
        )
        self.settings = settings or Settings()
        self._id_seed = id_seed
        # issued access tokens -> expiry; kept across reset() and load() so clients stay signed in
        self.tokens: dict[str, datetime] = {}
        self._clear()

    # ------------------------------------------------------------------ plumbing

    def _clear(self) -> None:
        self._rng = random.Random(self._id_seed)
        self._objects: dict[str, DirObject] = {}
        self._deleted: dict[str, DirObject] = {}
        self._sorted: dict[str, list[str]] = {
            k: [] for k in ("user", "group", "application", "servicePrincipal")
        }
        self._upn: dict[str, str] = {}
        self._app_ids: dict[str, str] = {}  # appId -> application object id
        self._sp_app_ids: dict[str, str] = {}  # appId -> servicePrincipal id
        self._members: dict[str, dict[str, None]] = {}  # group -> ordered members
        self._member_of: dict[str, dict[str, None]] = {}  # object -> groups
        self._managers: dict[str, str] = {}
        self._reports: dict[str, dict[str, None]] = {}
        self._assignments: dict[str, Assignment] = {}
        self._by_resource: dict[str, dict[str, None]] = {}
        # per resource, assignment ids in sorted order: a stable cursor for the delta feed
        self._resource_sorted: dict[str, list[str]] = {}
        self._by_principal: dict[str, dict[str, None]] = {}
        self._seq = 0
        self._logs: dict[str, list[tuple[int, str, str | None]]] = {"user": [], "group": []}
        self._purge_heap: list[tuple[datetime, str]] = []

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def now(self) -> datetime:
        return self.clock()

    def _now_iso(self) -> str:
        return iso(self.clock())

    def _log(self, channel: str, obj_id: str, member: str | None = None) -> None:
        self._seq += 1
        self._logs.setdefault(channel, []).append((self._seq, obj_id, member))

    @property
    def seq(self) -> int:
        return self._seq

    @_locked
    def reset(self) -> None:
        self._clear()
        self.settings = Settings()

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial settings update (all or nothing); all settings after it."""
        with self._lock:
            self.settings.update(changes)
            return asdict(self.settings)

    # ------------------------------------------------------------------ lookups

    def _live(self, object_id: str, kind: str | None = None) -> DirObject | None:
        obj = self._objects.get(object_id)
        if obj is None and isinstance(object_id, str) and object_id != object_id.lower():
            obj = self._objects.get(object_id.lower())  # GUIDs are case-insensitive
        if obj is None or (kind is not None and obj.kind != kind):
            return None
        return obj

    def _require(self, object_id: str, kind: str | None = None) -> DirObject:
        obj = self._live(object_id, kind)
        if obj is None:
            check_object_id(object_id)
            raise not_found(object_id)
        return obj

    def _user_by_key(self, key: str) -> DirObject | None:
        obj = self._live(key, "user")
        if obj is None and "@" in key:
            uid = self._upn.get(key.casefold())
            obj = self._objects.get(uid) if uid else None
        return obj

    def _require_user(self, key: str) -> DirObject:
        obj = self._user_by_key(key)
        if obj is None:  # a key that is not a GUID is taken as a userPrincipalName: 404
            raise not_found(key)
        return obj

    @_locked
    def get(self, object_id: str, kind: str | None = None) -> dict[str, Any] | None:
        """A live object's stored properties (a copy), by id, or a user by userPrincipalName."""
        obj = self._user_by_key(object_id) if kind == "user" else self._live(object_id, kind)
        return _copy(obj.data) if obj else None

    @_locked
    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        uid = self._upn.get(upn.casefold())
        return _copy(self._objects[uid].data) if uid else None

    @_locked
    def resolve(self, kind: str, key: str) -> str:
        """Object id for a path key (id, a user's UPN, or appId for ``(appId='…')``); 404 if none."""
        return self._resolve(kind, key)

    def _resolve(self, kind: str, key: str) -> str:
        if kind == "user":
            return self._require_user(key).id
        return self._require(key, kind).id

    @_locked
    def resolve_app_id(self, kind: str, app_id: str) -> str:
        index = self._app_ids if kind == "application" else self._sp_app_ids
        oid = index.get(app_id)
        if oid is None:
            raise not_found(app_id)
        return oid

    @_locked
    def counts(self) -> dict[str, int]:
        out = {k: len(v) for k, v in self._sorted.items()}
        out["deleted"] = len(self._deleted)
        out["assignments"] = len(self._assignments)
        return out

    # ------------------------------------------------------------------ validation

    def _validate(self, kind: str, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """Checked, writable properties of ``body``; annotations (``@odata.type`` etc.) dropped."""
        if not isinstance(body, dict):
            raise bad_request("Empty or invalid payload.", code="BadRequest")
        etype = TYPES[kind]
        clean: dict[str, Any] = {}
        for key, value in body.items():
            if "@" in key:
                continue
            prop = etype.props.get(key)
            if prop is None:
                raise unknown_property(key, etype.name)
            if not prop.writable:
                continue  # Graph ignores read-only properties in a write
            if value is None:
                if creating and key in REQUIRED_ON_CREATE.get(kind, ()):
                    raise invalid_value(key, etype.resource)
                clean[key] = None
                continue
            ok = TYPE_CHECKS[prop.type](value)
            if not ok:
                raise invalid_value(key, etype.resource)
            clean[key] = value
        if creating:
            for key in REQUIRED_ON_CREATE.get(kind, ()):
                if key not in clean:
                    raise invalid_value(key, etype.resource)
        if "displayName" in clean and (
            not isinstance(clean["displayName"], str)
            or not clean["displayName"].strip()
            or len(clean["displayName"]) > 256
        ):
            raise invalid_value("displayName", etype.resource)
        if kind == "user":
            self._validate_user(clean)
        elif kind == "group":
            self._validate_group(clean)
        if "appRoles" in clean:
            clean["appRoles"] = _clean_app_roles(clean["appRoles"], etype.resource)
        return clean

    def _validate_user(self, clean: dict[str, Any]) -> None:
        upn = clean.get("userPrincipalName", "")
        if "userPrincipalName" in clean:
            if not isinstance(upn, str) or not _UPN.match(upn) or len(upn) > 113:
                raise invalid_value("userPrincipalName", "User")
            domain = upn.rsplit("@", 1)[1].casefold()
            verified = [d.casefold() for d in self.settings.verified_domains]
            if verified and domain not in verified:
                raise bad_request(
                    "The domain portion of the userPrincipalName property is invalid. You must use "
                    "one of the verified domain names in your organization.",
                    target="userPrincipalName",
                )
        if "mailNickname" in clean and (
            clean["mailNickname"] is None
            or not clean["mailNickname"]
            or len(clean["mailNickname"]) > 64
            or _NICKNAME_BAD.search(clean["mailNickname"])
        ):
            raise invalid_value("mailNickname", "User")
        if clean.get("mail") is not None and not _EMAIL.match(clean["mail"]):
            raise invalid_value("mail", "User")
        if clean.get("usageLocation") is not None and not re.fullmatch(
            r"[A-Za-z]{2}", clean["usageLocation"]
        ):
            raise invalid_value("usageLocation", "User")
        if "passwordProfile" in clean:
            pp = clean["passwordProfile"]
            if (
                not isinstance(pp, dict)
                or not isinstance(pp.get("password"), str)
                or not pp["password"]
            ):
                raise invalid_value("passwordProfile", "User")
        if "accountEnabled" in clean and clean["accountEnabled"] is None:
            raise invalid_value("accountEnabled", "User")
        if clean.get("userType") is not None and clean["userType"] not in ("Member", "Guest"):
            raise invalid_value("userType", "User")

    def _validate_group(self, clean: dict[str, Any]) -> None:
        nick = clean.get("mailNickname")
        if "mailNickname" in clean and (not nick or len(nick) > 64 or _NICKNAME_BAD.search(nick)):
            raise invalid_value("mailNickname", "Group")
        types = clean.get("groupTypes")
        if types is not None and not set(types) <= {"Unified", "DynamicMembership"}:
            raise invalid_value("groupTypes", "Group")
        for key in ("mailEnabled", "securityEnabled"):
            if key in clean and clean[key] is None:
                raise invalid_value(key, "Group")
        if clean.get("visibility") is not None and clean["visibility"] not in (
            "Public",
            "Private",
            "HiddenMembership",
        ):
            raise invalid_value("visibility", "Group")

    # ------------------------------------------------------------------ generic create/index

    def _insert(self, kind: str, data: dict[str, Any], *, keep_sorted: bool = True) -> DirObject:
        obj = DirObject(kind, data)
        self._objects[obj.id] = obj
        if keep_sorted:
            bisect.insort(self._sorted[kind], obj.id)
        else:  # bulk loads append and sort once at the end
            self._sorted[kind].append(obj.id)
        if kind == "user":
            self._upn[data["userPrincipalName"].casefold()] = obj.id
        elif kind == "application":
            self._app_ids[data["appId"]] = obj.id
        elif kind == "servicePrincipal":
            self._sp_app_ids[data["appId"]] = obj.id
        return obj

    def _unindex(self, obj: DirObject) -> None:
        self._objects.pop(obj.id, None)
        ids = self._sorted[obj.kind]
        pos = bisect.bisect_left(ids, obj.id)
        if pos < len(ids) and ids[pos] == obj.id:
            del ids[pos]
        if obj.kind == "user":
            upn = obj.data["userPrincipalName"].casefold()
            if self._upn.get(upn) == obj.id:
                del self._upn[upn]
        elif obj.kind == "application":
            self._app_ids.pop(obj.data["appId"], None)
        elif obj.kind == "servicePrincipal":
            self._sp_app_ids.pop(obj.data["appId"], None)

    def _check_upn_free(self, upn: str, own_id: str | None) -> None:
        holder = self._upn.get(upn.casefold())
        if holder is not None and holder != own_id:
            raise conflict_property("userPrincipalName")

    def _changed(self, obj: DirObject) -> None:
        if obj.kind in ("user", "group"):
            self._log(obj.kind, obj.id)

    # ------------------------------------------------------------------ users

    @_locked
    def create_user(self, body: dict[str, Any], *, object_id: str | None = None) -> dict[str, Any]:
        clean = self._validate("user", body, creating=True)
        self._check_upn_free(clean["userPrincipalName"], None)
        data: dict[str, Any] = {"id": object_id or self.new_id()}
        data.update(clean)
        data.setdefault("businessPhones", [])
        data.setdefault("userType", "Member")
        data["createdDateTime"] = self._now_iso()
        data["deletedDateTime"] = None
        if data["id"] in self._objects or data["id"] in self._deleted:
            raise conflict_property("id")
        obj = self._insert("user", data)
        self._changed(obj)
        return _copy(obj.data)

    @_locked
    def update_user(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self._require_user(key)
        clean = self._validate("user", body, creating=False)
        for prop in ("displayName", "userPrincipalName", "mailNickname", "accountEnabled"):
            if prop in clean and clean[prop] is None:
                raise invalid_value(prop, "User")
        if "userPrincipalName" in clean:
            self._check_upn_free(clean["userPrincipalName"], obj.id)
            old = obj.data["userPrincipalName"].casefold()
            self._upn.pop(old, None)
            self._upn[clean["userPrincipalName"].casefold()] = obj.id
        obj.data.update(clean)
        self._changed(obj)
        return _copy(obj.data)

    @_locked
    def delete_user(self, key: str) -> None:
        obj = self._require_user(key)
        self._soft_delete(obj)

    @_locked
    def set_manager(self, user_key: str, manager_id: str) -> None:
        user = self._require_user(user_key)
        manager = self._live(manager_id)
        if manager is None or manager.kind != "user":
            raise not_found(manager_id)
        if manager.id == user.id:
            raise bad_request("A user cannot be their own manager.")
        old = self._managers.get(user.id)
        if old == manager.id:
            return
        if old is not None:
            self._reports.get(old, {}).pop(user.id, None)
        self._managers[user.id] = manager.id
        self._reports.setdefault(manager.id, {})[user.id] = None
        self._log("user", user.id, old)

    @_locked
    def remove_manager(self, user_key: str) -> None:
        user = self._require_user(user_key)
        old = self._managers.pop(user.id, None)
        if old is None or old not in self._objects:
            raise not_found(user.id)
        self._reports.get(old, {}).pop(user.id, None)
        self._log("user", user.id, old)

    @_locked
    def manager_of(self, user_key: str) -> dict[str, Any] | None:
        user = self._require_user(user_key)
        mid = self._managers.get(user.id)
        mgr = self._live(mid) if mid else None
        return _copy(mgr.data) if mgr else None

    def _manager_id(self, uid: str) -> str | None:
        mid = self._managers.get(uid)
        return mid if mid and mid in self._objects else None

    @_locked
    def direct_reports(self, user_key: str) -> list[str]:
        user = self._require_user(user_key)
        return [r for r in self._reports.get(user.id, {}) if r in self._objects]

    # ------------------------------------------------------------------ groups

    @_locked
    def create_group(self, body: dict[str, Any], *, object_id: str | None = None) -> dict[str, Any]:
        binds = {k: body.get(k) for k in ("members@odata.bind", "owners@odata.bind") if k in body}
        clean = self._validate("group", body, creating=True)
        types = clean.get("groupTypes") or []
        if clean["mailEnabled"] and "Unified" not in types:
            raise bad_request(
                "Cannot create a mail-enabled security groups and or distribution list."
            )
        member_ids = self._bind_ids(binds.get("members@odata.bind"))
        self._bind_ids(binds.get("owners@odata.bind"))
        if len(member_ids) + len(self._bind_ids(binds.get("owners@odata.bind"))) > 20:
            raise bad_request("A maximum of 20 relationships can be added in the same request.")
        data: dict[str, Any] = {"id": object_id or self.new_id()}
        data.update(clean)
        data.setdefault("groupTypes", [])
        data.setdefault("description", None)
        data["mail"] = f"{clean['mailNickname']}@{self._domain()}" if clean["mailEnabled"] else None
        data["proxyAddresses"] = [f"SMTP:{data['mail']}"] if data["mail"] else []
        data.setdefault("visibility", "Public" if "Unified" in types else None)
        data.setdefault("isAssignableToRole", None)
        data["createdDateTime"] = self._now_iso()
        data["deletedDateTime"] = None
        data["securityIdentifier"] = "S-1-12-1-" + "-".join(
            str(self._rng.getrandbits(32)) for _ in range(4)
        )
        obj = self._insert("group", data)
        self._members[obj.id] = {}
        self._changed(obj)
        for mid in member_ids:
            self._add_member(obj, mid)
        return _copy(obj.data)

    def _domain(self) -> str:
        if self.settings.verified_domains:
            return self.settings.verified_domains[0]
        return "contoso.onmicrosoft.com"

    def _bind_ids(self, urls: Any) -> list[str]:
        if urls is None:
            return []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise bad_request(
                "Invalid value for an @odata.bind annotation: expected an array of URLs."
            )
        ids = [ref_id(u) for u in urls]
        if len(set(ids)) != len(ids):
            raise bad_request(
                "One or more added object references already exist for the following modified properties: 'members'."
            )
        for oid in ids:
            if self._require(oid).kind not in ("user", "group", "servicePrincipal"):
                raise bad_request(f"Invalid object identifier '{oid}'.")
        return ids

    @_locked
    def update_group(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self._require(group_id, "group")
        member_ids = self._bind_ids(body.get("members@odata.bind"))
        if len(member_ids) > 20:
            raise bad_request("A maximum of 20 relationships can be added in the same request.")
        clean = self._validate("group", body, creating=False)
        for prop in ("displayName", "mailNickname", "mailEnabled", "securityEnabled"):
            if prop in clean and clean[prop] is None:
                raise invalid_value(prop, "Group")
        current = self._members.get(obj.id, {})
        for mid in member_ids:
            if mid == obj.id:
                raise bad_request("A group cannot be a member of itself.")
            if mid in current:
                raise bad_request(
                    "One or more added object references already exist for the following "
                    "modified properties: 'members'."
                )
        obj.data.update(clean)
        self._changed(obj)
        for mid in member_ids:
            self._add_member(obj, mid)
        return _copy(obj.data)

    @_locked
    def delete_group(self, group_id: str) -> None:
        obj = self._require(group_id, "group")
        if (
            "Unified" in (obj.data.get("groupTypes") or [])
            or self.settings.soft_delete_security_groups
        ):
            self._soft_delete(obj)
        else:
            self._hard_delete(obj)

    def _add_member(self, group: DirObject, member_id: str) -> None:
        member = self._require(member_id)
        if member.kind not in ("user", "group", "servicePrincipal"):
            raise bad_request(f"Invalid object identifier '{member_id}'.")
        members = self._members.setdefault(group.id, {})
        if member.id in members:
            raise bad_request(
                "One or more added object references already exist for the following modified "
                "properties: 'members'."
            )
        if member.id == group.id:
            raise bad_request("A group cannot be a member of itself.")
        members[member.id] = None
        self._member_of.setdefault(member.id, {})[group.id] = None
        self._log("group", group.id, member.id)

    @_locked
    def add_member(self, group_id: str, member_id: str) -> None:
        group = self._require(group_id, "group")
        self._add_member(group, member_id)

    @_locked
    def remove_member(self, group_id: str, member_id: str) -> None:
        group = self._require(group_id, "group")
        members = self._members.get(group.id, {})
        if member_id not in members or member_id not in self._objects:
            check_object_id(member_id)
            raise not_found(member_id)
        del members[member_id]
        self._member_of.get(member_id, {}).pop(group.id, None)
        self._log("group", group.id, member_id)

    @_locked
    def member_ids(self, group_id: str) -> list[str]:
        group = self._require(group_id, "group")
        return [m for m in self._members.get(group.id, {}) if m in self._objects]

    def _visible_members(self, group_id: str) -> Iterator[DirObject]:
        for mid in self._members.get(group_id, {}):
            obj = self._objects.get(mid)
            if obj is not None:
                yield obj

    def _transitive_members(self, group_id: str) -> Iterator[DirObject]:
        seen: set[str] = {group_id}
        queue = [group_id]
        while queue:
            gid = queue.pop(0)
            for obj in self._visible_members(gid):
                if obj.id in seen:
                    continue
                seen.add(obj.id)
                yield obj
                if obj.kind == "group":
                    queue.append(obj.id)

    def _groups_of(self, object_id: str, transitive: bool) -> Iterator[DirObject]:
        seen: set[str] = {object_id}
        queue = [object_id]
        while queue:
            oid = queue.pop(0)
            for gid in self._member_of.get(oid, {}):
                group = self._objects.get(gid)
                if group is None or gid in seen:
                    continue
                seen.add(gid)
                yield group
                if transitive:
                    queue.append(gid)

    # ------------------------------------------------------------------ applications / SPs

    @_locked
    def create_application(
        self, body: dict[str, Any], *, object_id: str | None = None, app_id: str | None = None
    ) -> dict[str, Any]:
        clean = self._validate("application", body, creating=True)
        data: dict[str, Any] = {"id": object_id or self.new_id(), "appId": app_id or self.new_id()}
        data.update(clean)
        data.setdefault("appRoles", [])
        data.setdefault("identifierUris", [])
        data.setdefault("signInAudience", "AzureADMyOrg")
        data.setdefault("tags", [])
        data.setdefault("description", None)
        data["publisherDomain"] = self._domain()
        data["createdDateTime"] = self._now_iso()
        data["deletedDateTime"] = None
        if data["appId"] in self._app_ids:
            raise conflict_property("appId")
        obj = self._insert("application", data)
        return _copy(obj.data)

    @_locked
    def update_application(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self._require(object_id, "application")
        clean = self._validate("application", body, creating=False)
        if "displayName" in clean and clean["displayName"] is None:
            raise invalid_value("displayName", "Application")
        obj.data.update(clean)
        sp_id = self._sp_app_ids.get(obj.data["appId"])
        if sp_id and "appRoles" in clean:
            self._objects[sp_id].data["appRoles"] = _copy(clean["appRoles"])
        return _copy(obj.data)

    @_locked
    def create_service_principal(
        self, body: dict[str, Any], *, object_id: str | None = None
    ) -> dict[str, Any]:
        clean = self._validate("servicePrincipal", body, creating=True)
        app_oid = self._app_ids.get(clean["appId"])
        if app_oid is None:
            raise bad_request(
                f"The appId '{clean['appId']}' of the service principal does not reference a "
                "valid application object."
            )
        if clean["appId"] in self._sp_app_ids:
            raise conflict_property("servicePrincipalNames")
        app = self._objects[app_oid].data
        data: dict[str, Any] = {"id": object_id or self.new_id()}
        data.update(
            {
                "displayName": app["displayName"],
                "appDisplayName": app["displayName"],
                "appRoles": _copy(app.get("appRoles") or []),
                "appRoleAssignmentRequired": False,
                "accountEnabled": True,
                "servicePrincipalType": "Application",
                "appOwnerOrganizationId": self.tenant_id,
                "servicePrincipalNames": [clean["appId"]],
                "tags": [],
                "preferredSingleSignOnMode": None,
                "description": None,
                "notes": None,
                "homepage": None,
                "loginUrl": None,
            }
        )
        data.update(clean)
        data["createdDateTime"] = self._now_iso()
        data["deletedDateTime"] = None
        obj = self._insert("servicePrincipal", data)
        return _copy(obj.data)

    @_locked
    def update_service_principal(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self._require(object_id, "servicePrincipal")
        clean = self._validate("servicePrincipal", body, creating=False)
        if "appId" in clean and clean["appId"] != obj.data["appId"]:
            raise bad_request("Property 'appId' is read-only and cannot be set.")
        obj.data.update(clean)
        return _copy(obj.data)

    @_locked
    def create_enterprise_app(
        self,
        display_name: str,
        app_roles: list[dict[str, Any]] | None = None,
        *,
        app_role_assignment_required: bool = True,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """An application plus its service principal, as the gallery/non-gallery flow leaves them.
        Without ``app_roles`` the non-gallery defaults ``User`` and ``msiam_access`` are used."""
        roles = _copy(app_roles) if app_roles is not None else _copy(DEFAULT_ROLES)
        app = self.create_application({"displayName": display_name, "appRoles": roles})
        sp = self.create_service_principal(
            {
                "appId": app["appId"],
                "appRoleAssignmentRequired": app_role_assignment_required,
                "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
            }
        )
        return app, sp

    @_locked
    def delete_object(self, kind: str, object_id: str) -> None:
        """DELETE on an application or service principal: soft delete."""
        self._soft_delete(self._require(object_id, kind))

    # ------------------------------------------------------------------ app role assignments

    @_locked
    def assign_app_role(
        self,
        principal_id: str,
        resource_id: str,
        app_role_id: str = ZERO_GUID,
        *,
        expected_principal: str | None = None,
    ) -> dict[str, Any]:
        for name, value in (
            ("principalId", principal_id),
            ("resourceId", resource_id),
            ("appRoleId", app_role_id),
        ):
            if not is_guid(value):
                raise invalid_value(name, "AppRoleAssignment")
        principal_id, resource_id, app_role_id = (
            principal_id.lower(),
            resource_id.lower(),
            app_role_id.lower(),
        )
        if expected_principal is not None and principal_id != expected_principal:
            raise bad_request(
                "The principalId in the request body must match the principal in the URL."
            )
        resource = self._live(resource_id, "servicePrincipal")
        if resource is None:
            raise not_found(resource_id)
        principal = self._require(principal_id)
        if principal.kind not in ("user", "group", "servicePrincipal"):
            raise bad_request(f"Invalid principal '{principal_id}'.")
        member_type = "Application" if principal.kind == "servicePrincipal" else "User"
        if app_role_id != ZERO_GUID:
            role = next(
                (
                    r
                    for r in resource.data.get("appRoles") or []
                    if str(r.get("id")).lower() == app_role_id and r.get("isEnabled", True)
                ),
                None,
            )
            if role is None or member_type not in (role.get("allowedMemberTypes") or []):
                raise bad_request(
                    f"Permission being assigned was not found on application '{resource.data['appId']}'."
                )
        for aid in self._by_principal.get(principal_id, {}):
            existing = self._assignments[aid]
            if existing.resource_id == resource_id and existing.app_role_id == app_role_id:
                raise bad_request("Permission being assigned already exists on the object")
        # Graph's ids are base64url(principalId bytes_le + 16 more bytes), opaque to clients.
        raw = uuid.UUID(principal_id).bytes_le + self._rng.getrandbits(128).to_bytes(16, "little")
        aid = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        a = Assignment(
            id=aid,
            app_role_id=app_role_id,
            principal_id=principal_id,
            principal_type={"user": "User", "group": "Group"}.get(
                principal.kind, "ServicePrincipal"
            ),
            principal_display_name=principal.data.get("displayName"),
            resource_id=resource_id,
            resource_display_name=resource.data.get("displayName"),
            created=self._now_iso(),
        )
        self._add_assignment(a)
        self._log(f"assign:{resource_id}", aid, principal_id)
        return self._render_assignment(a, None)

    def _add_assignment(self, a: Assignment, *, keep_sorted: bool = True) -> None:
        self._assignments[a.id] = a
        self._by_resource.setdefault(a.resource_id, {})[a.id] = None
        self._by_principal.setdefault(a.principal_id, {})[a.id] = None
        ordered = self._resource_sorted.setdefault(a.resource_id, [])
        if keep_sorted:
            bisect.insort(ordered, a.id)
        else:
            ordered.append(a.id)

    def _drop_assignment(self, a: Assignment, *, log: bool = True) -> None:
        self._assignments.pop(a.id, None)
        self._by_resource.get(a.resource_id, {}).pop(a.id, None)
        self._by_principal.get(a.principal_id, {}).pop(a.id, None)
        ordered = self._resource_sorted.get(a.resource_id, [])
        pos = bisect.bisect_left(ordered, a.id)
        if pos < len(ordered) and ordered[pos] == a.id:
            del ordered[pos]
        if log:
            self._log(f"assign:{a.resource_id}", a.id, a.principal_id)

    def _visible(self, a: Assignment) -> bool:
        return a.principal_id in self._objects and a.resource_id in self._objects

    @_locked
    def remove_app_role_assignment(
        self, assignment_id: str, *, resource_id: str | None = None, principal_id: str | None = None
    ) -> None:
        a = self._assignments.get(assignment_id)
        if (
            a is None
            or not self._visible(a)
            or (resource_id is not None and a.resource_id != resource_id)
            or (principal_id is not None and a.principal_id != principal_id)
        ):
            raise not_found(assignment_id)
        self._drop_assignment(a)

    @_locked
    def get_assignment(self, assignment_id: str) -> dict[str, Any] | None:
        a = self._assignments.get(assignment_id)
        return self._render_assignment(a, None) if a and self._visible(a) else None

    def _render_assignment(
        self, a: Assignment, select: list[str] | None, *, with_type: bool = False
    ) -> dict[str, Any]:
        data = a.data()
        principal = self._objects.get(a.principal_id)
        resource = self._objects.get(a.resource_id)
        if principal is not None:
            data["principalDisplayName"] = principal.data.get("displayName")
        if resource is not None:
            data["resourceDisplayName"] = resource.data.get("displayName")
        return project("appRoleAssignment", data, select, with_type=with_type)

    # ------------------------------------------------------------------ delete / restore / purge

    def _soft_delete(self, obj: DirObject) -> None:
        now = self.clock()
        self._unindex(obj)
        obj.data["deletedDateTime"] = iso(now)
        self._deleted[obj.id] = obj
        heapq.heappush(
            self._purge_heap, (now + timedelta(days=self.settings.retention_days), obj.id)
        )
        self._changed(obj)
        # Memberships are kept but hidden; group delta reports them as removed.
        for gid in self._member_of.get(obj.id, {}):
            if gid in self._objects:
                self._log("group", gid, obj.id)

    def _relink_after_restore(self, obj: DirObject) -> None:
        self._changed(obj)
        for gid in self._member_of.get(obj.id, {}):
            if gid in self._objects:
                self._log("group", gid, obj.id)
        if obj.kind == "group":
            for mid in self._members.get(obj.id, {}):
                self._log("group", obj.id, mid)
        for aid in self._by_principal.get(obj.id, {}):
            a = self._assignments[aid]
            if self._visible(a):
                self._log(f"assign:{a.resource_id}", a.id, a.principal_id)
        for aid in self._by_resource.get(obj.id, {}):
            a = self._assignments[aid]
            if self._visible(a):
                self._log(f"assign:{a.resource_id}", a.id, a.principal_id)

    @_locked
    def restore(self, object_id: str) -> dict[str, Any]:
        obj = self._deleted.get(object_id)
        if obj is None:
            check_object_id(object_id)
            raise not_found(object_id)
        if obj.kind == "user":
            self._check_upn_free(obj.data["userPrincipalName"], None)
        if obj.kind == "servicePrincipal" and obj.data["appId"] in self._sp_app_ids:
            raise conflict_property("servicePrincipalNames")
        if obj.kind == "application" and obj.data["appId"] in self._app_ids:
            raise conflict_property("appId")
        del self._deleted[obj.id]
        obj.data["deletedDateTime"] = None
        self._insert(obj.kind, obj.data)
        self._relink_after_restore(obj)
        return project(obj.kind, obj.data, None, with_type=True)

    @_locked
    def get_deleted(self, object_id: str) -> DirObject | None:
        return self._deleted.get(object_id)

    @_locked
    def permanently_delete(self, object_id: str) -> None:
        obj = self._deleted.get(object_id)
        if obj is None:
            check_object_id(object_id)
            raise not_found(object_id)
        del self._deleted[object_id]
        self._forget(obj)

    def _hard_delete(self, obj: DirObject) -> None:
        for gid in self._member_of.get(obj.id, {}):
            if gid in self._objects:
                self._log("group", gid, obj.id)
        self._unindex(obj)
        self._forget(obj)

    def _forget(self, obj: DirObject) -> None:
        """Drop every trace of an object that is gone for good."""
        self._changed(obj)
        for gid in self._member_of.pop(obj.id, {}):
            self._members.get(gid, {}).pop(obj.id, None)
        for mid in self._members.pop(obj.id, {}):
            self._member_of.get(mid, {}).pop(obj.id, None)
        mgr = self._managers.pop(obj.id, None)
        if mgr is not None:
            self._reports.get(mgr, {}).pop(obj.id, None)
        for report in self._reports.pop(obj.id, {}):
            if self._managers.get(report) == obj.id:
                del self._managers[report]
                if report in self._objects:
                    self._log("user", report, obj.id)
        for aid in list(self._by_principal.get(obj.id, {})) + list(
            self._by_resource.get(obj.id, {})
        ):
            a = self._assignments.get(aid)
            if a is not None:
                self._drop_assignment(a)
        self._by_principal.pop(obj.id, None)
        self._by_resource.pop(obj.id, None)
        self._resource_sorted.pop(obj.id, None)

    def _purge_due(self) -> list[str]:
        if not self._purge_heap:
            return []
        now = self.clock()
        purged: list[str] = []
        while self._purge_heap and self._purge_heap[0][0] <= now:
            _due, oid = heapq.heappop(self._purge_heap)
            obj = self._deleted.get(oid)
            if obj is None or obj.data.get("deletedDateTime") is None:
                continue
            expected = parse_iso(obj.data["deletedDateTime"]) + timedelta(
                days=self.settings.retention_days
            )
            if expected > now:
                heapq.heappush(self._purge_heap, (expected, oid))
                continue
            del self._deleted[oid]
            self._forget(obj)
            purged.append(oid)
        return purged

    def purge_expired(self) -> list[str]:
        """Permanently delete what has been in deleted items for ``retention_days``; the ids."""
        with self._lock:
            return self._purge_due()

    # ------------------------------------------------------------------ listings

    def _candidates(
        self, kind: str, index_key: tuple[str, list[str]] | None
    ) -> list[DirObject] | None:
        if index_key is None:
            return None
        prop, values = index_key
        out: list[DirObject] = []
        seen: set[str] = set()
        for value in values:
            obj = (
                self._live(value, kind)
                if prop == "id"
                else (self._user_by_key(value) if kind == "user" and "@" in value else None)
            )
            if obj is not None and obj.id not in seen:
                seen.add(obj.id)
                out.append(obj)
        return out

    @_locked
    def list_objects(
        self,
        kind: str,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
        top: int = 100,
        cursor: dict[str, Any] | None = None,
        count: bool = False,
        index_key: tuple[str, list[str]] | None = None,
        render: Callable[[DirObject], dict[str, Any]],
    ) -> Page:
        """A page of live objects of one kind, in id order (O(page) without a filter)."""
        match = predicate or (lambda _d: True)
        candidates = self._candidates(kind, index_key)
        if candidates is not None:
            return _page_by_offset(
                (o for o in candidates if match(o.data)), cursor, top, count, render
            )
        if order is not None:
            matching = [
                self._objects[i] for i in self._sorted[kind] if match(self._objects[i].data)
            ]
            return _page_by_offset(iter(_ordered(matching, order)), cursor, top, count, render)
        ids = self._sorted[kind]
        start = 0 if not cursor else bisect.bisect_right(ids, str(cursor.get("after", "")))
        items: list[dict[str, Any]] = []
        nxt: dict[str, Any] | None = None
        last = None
        for pos in range(start, len(ids)):
            obj = self._objects[ids[pos]]
            if not match(obj.data):
                continue
            if len(items) == top:
                nxt = {"after": last}
                break
            items.append(render(obj))
            last = obj.id
        total = None
        if count:
            total = sum(1 for i in ids if match(self._objects[i].data))
        return Page(items, nxt, total)

    @_locked
    def list_related(
        self,
        relation: str,
        owner_id: str,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        kind_filter: str | None = None,
        top: int = 100,
        cursor: dict[str, Any] | None = None,
        count: bool = False,
        render: Callable[[DirObject], dict[str, Any]],
    ) -> Page:
        """members / transitiveMembers / memberOf / transitiveMemberOf / directReports."""
        source: Iterable[DirObject]
        if relation == "members":
            self._require(owner_id, "group")
            source = self._visible_members(owner_id)
        elif relation == "transitiveMembers":
            self._require(owner_id, "group")
            source = self._transitive_members(owner_id)
        elif relation in ("memberOf", "transitiveMemberOf"):
            self._require(owner_id)
            source = self._groups_of(owner_id, relation == "transitiveMemberOf")
        elif relation == "directReports":
            self._require(owner_id, "user")
            source = (
                self._objects[r] for r in self._reports.get(owner_id, {}) if r in self._objects
            )
        else:
            raise bad_request(f"Unknown relation '{relation}'.")
        match = predicate or (lambda _d: True)
        filtered = (
            o for o in source if (kind_filter is None or o.kind == kind_filter) and match(o.data)
        )
        return _page_by_offset(filtered, cursor, top, count, render)

    @_locked
    def count_related(
        self,
        relation: str,
        owner_id: str,
        kind_filter: str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> int:
        page = self.list_related(
            relation,
            owner_id,
            kind_filter=kind_filter,
            predicate=predicate,
            top=1,
            count=True,
            render=lambda o: {},
        )
        return page.count or 0

    @_locked
    def list_assignments(
        self,
        *,
        resource_id: str | None = None,
        principal_id: str | None = None,
        include_group_grants: bool = False,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        select: list[str] | None = None,
        top: int = 100,
        cursor: dict[str, Any] | None = None,
        count: bool = False,
        index_key: tuple[str, list[str]] | None = None,
    ) -> Page:
        """Assignments to a resource SP, or held by a principal (for a user, also those granted
        to groups it is a direct member of, as Graph does)."""
        if resource_id is not None:
            self._require(resource_id, "servicePrincipal")
            aids: Iterable[str] = self._by_resource.get(resource_id, {})
            if index_key is not None and index_key[0] == "principalId":
                # principalId eq <guid>: walk that principal's few assignments, not the resource's
                held = self._by_principal.get(index_key[1][0], {})
                aids = [a for a in held if self._assignments[a].resource_id == resource_id]
        else:
            assert principal_id is not None
            principal = self._require(principal_id)
            owners = [principal.id]
            if include_group_grants and principal.kind == "user":
                owners += [g for g in self._member_of.get(principal.id, {}) if g in self._objects]
            aids = itertools.chain.from_iterable(self._by_principal.get(o, {}) for o in owners)
        match = predicate or (lambda _d: True)
        visible = (
            a
            for a in (self._assignments[i] for i in aids)
            if self._visible(a) and match(self._render_assignment(a, None))
        )
        source = (DirObject("appRoleAssignment", {"id": a.id, "_a": a}) for a in visible)

        def render(obj: DirObject) -> dict[str, Any]:
            return self._render_assignment(obj.data["_a"], select)

        return _page_by_offset(source, cursor, top, count, render)

    @_locked
    def list_deleted(
        self,
        kind: str,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
        top: int = 100,
        cursor: dict[str, Any] | None = None,
        count: bool = False,
        render: Callable[[DirObject], dict[str, Any]],
    ) -> Page:
        match = predicate or (lambda _d: True)
        objs = [o for o in self._deleted.values() if o.kind == kind and match(o.data)]
        if order is not None:
            objs = _ordered(objs, order)
        return _page_by_offset(iter(objs), cursor, top, count, render)

    @_locked
    def objects_by_ids(self, ids: list[str], types: list[str] | None) -> list[DirObject]:
        out = []
        for oid in ids:
            obj = self._objects.get(oid)
            if obj is not None and (not types or obj.kind in types):
                out.append(obj)
        return out

    @_locked
    def render(
        self,
        object_id: str,
        select: list[str] | None,
        *,
        with_type: bool = False,
        kind: str | None = None,
    ) -> dict[str, Any]:
        obj = self._user_by_key(object_id) if kind == "user" else self._live(object_id, kind)
        if obj is None:
            if kind != "user":
                check_object_id(object_id)
            raise not_found(object_id)
        return project(obj.kind, obj.data, select, with_type=with_type)

    # ------------------------------------------------------------------ delta

    @_locked
    def delta(
        self,
        channel: str,
        state: dict[str, Any],
        select: list[str] | None,
        only: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any] | None]:
        """One page of a delta round. ``state`` is what the token carried:
        ``{"init": True, "to": seq, "after"/"off": ...}`` for the initial round,
        ``{"from": seq, "to": seq, "pos": i}`` for a round of changes, or ``{"s": seq}`` from a
        deltaLink. ``only`` restricts the round to those object ids (``$filter=id eq …``).
        Returns (items, next page state or None, deltaLink state or None)."""
        wanted = {i.lower() for i in only} if only is not None else None
        resource = state.get("res")
        kind = channel if channel in ("user", "group") else "assignment"
        if kind == "assignment":
            self._require(resource, "servicePrincipal")
            channel = f"assign:{resource}"
        size = self.settings.delta_page_size
        if "s" in state:
            since = int(state["s"])
            if since > self._seq:
                raise GraphError(
                    400,
                    "syncStateNotFound",
                    "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
                )
            log = self._logs.get(channel, [])
            pos = bisect.bisect_right(log, since, key=lambda e: e[0])
            state = {"from": since, "to": self._seq, "pos": pos, "res": resource}
        base = {"res": resource} if resource else {}
        if state.get("init"):
            to = int(state["to"])
            items: list[dict[str, Any]] = []
            ids = (
                self._resource_sorted.get(resource, [])
                if kind == "assignment"
                else self._sorted[kind]
            )
            if wanted is not None:
                ids = sorted(
                    i for i in wanted if i in self._objects and self._objects[i].kind == kind
                )
            start = (
                bisect.bisect_right(ids, str(state.get("after", ""))) if state.get("after") else 0
            )
            pos, last = start, None
            while pos < len(ids) and len(items) < size:
                oid = ids[pos]
                pos += 1
                last = oid
                if kind == "assignment":
                    a = self._assignments[oid]
                    if self._visible(a):
                        items.append(self._render_assignment(a, select))
                else:
                    items.append(self._delta_item(kind, oid, select, None))
            if pos < len(ids):
                return items, {**base, "init": True, "to": to, "after": last}, None
            return items, None, {**base, "s": to}
        # a round of changes
        log = self._logs.get(channel, [])
        to = int(state["to"])
        pos = int(state.get("pos", 0))
        touched: dict[str, list[str | None]] = {}
        while pos < len(log) and log[pos][0] <= to:
            _seq, oid, extra = log[pos]
            if wanted is not None and oid not in wanted:
                pos += 1
                continue
            if oid not in touched and len(touched) == size:
                break
            touched.setdefault(oid, []).append(extra)
            pos += 1
        items = [self._delta_item(kind, oid, select, extras) for oid, extras in touched.items()]
        if pos < len(log) and log[pos][0] <= to:
            return items, {**base, "from": state.get("from"), "to": to, "pos": pos}, None
        return items, None, {**base, "s": to}

    def _delta_item(
        self, kind: str, oid: str, select: list[str] | None, extras: list[str | None] | None
    ) -> dict[str, Any]:
        if kind == "assignment":
            a = self._assignments.get(oid)
            if a is not None and self._visible(a):
                return self._render_assignment(a, select)
            principal = next((e for e in extras or [] if e), None)
            return {"id": oid, "principalId": principal, "@removed": {"reason": "deleted"}}
        obj = self._objects.get(oid)
        if obj is None or obj.kind != kind:
            reason = "changed" if oid in self._deleted else "deleted"
            return {"id": oid, "@removed": {"reason": reason}}
        props = (
            [p for p in select if p not in ("manager", "members")] if select is not None else None
        )
        item = project(kind, obj.data, props)
        if kind == "user" and select is not None and "manager" in select:
            mid = self._manager_id(oid)
            mgr: list[dict[str, Any]] = (
                [{"@odata.type": "#microsoft.graph.user", "id": mid}] if mid else []
            )
            for old in {e for e in extras or [] if e and e != mid}:
                mgr.append(
                    {
                        "@odata.type": "#microsoft.graph.user",
                        "id": old,
                        "@removed": {"reason": "deleted"},
                    }
                )
            if extras is None or mgr:
                item["manager@delta"] = mgr
        if kind == "group" and (select is None or "members" in select):
            members = self._members.get(oid, {})
            if extras is None:
                item["members@delta"] = [
                    {"@odata.type": m.odata_type, "id": m.id} for m in self._visible_members(oid)
                ]
            else:
                changes = []
                for mid in dict.fromkeys(e for e in extras if e):
                    member = self._objects.get(mid) or self._deleted.get(mid)
                    otype = member.odata_type if member else "#microsoft.graph.directoryObject"
                    if mid in members and mid in self._objects:
                        changes.append({"@odata.type": otype, "id": mid})
                    else:
                        changes.append(
                            {"@odata.type": otype, "id": mid, "@removed": {"reason": "deleted"}}
                        )
                if changes:
                    item["members@delta"] = changes
        return item

    # ------------------------------------------------------------------ seed / dump / load

    def seed(
        self, seed: int = 0, users: int = 25, groups: int = 3, tricky: bool = False, **options: Any
    ) -> dict[str, Any]:
        """Add a Faker-generated directory (see ``mock_graph.seeding``); deterministic per seed."""
        from mock_graph.seeding import seed_tenant

        with self._lock:
            return seed_tenant(
                self, seed=seed, users=users, groups=groups, tricky=tricky, **options
            )

    @_locked
    def dump(self) -> dict[str, Any]:
        return {
            "version": 1,
            "tenant_id": self.tenant_id,
            "settings": asdict(self.settings),
            "rng": _rng_state(self._rng),
            "objects": [{"kind": o.kind, "data": _copy(o.data)} for o in self._objects.values()],
            "deleted": [{"kind": o.kind, "data": _copy(o.data)} for o in self._deleted.values()],
            "members": {g: list(m) for g, m in self._members.items()},
            "managers": dict(self._managers),
            "assignments": [asdict(a) for a in self._assignments.values()],
            "seq": self._seq,
            "logs": {k: [list(e) for e in v] for k, v in self._logs.items()},
        }

    def load(self, state: dict[str, Any]) -> None:
        """Replace the whole tenant with a ``dump()``; malformed input changes nothing."""
        if not isinstance(state, dict) or state.get("version") != 1:
            raise bad_request('Invalid state: expected a dump with "version": 1.')
        scratch = GraphBackend(clock=self.clock, tenant_id=self.tenant_id)
        try:
            scratch._load(state)
        except GraphError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise bad_request(f"Invalid state: {type(exc).__name__}: {exc}") from exc
        with self._lock:
            for name, value in vars(scratch).items():
                if name not in ("_lock", "clock", "tokens"):
                    setattr(self, name, value)

    def _load(self, state: dict[str, Any]) -> None:
        self.tenant_id = str(state.get("tenant_id") or self.tenant_id)
        self.settings = Settings()
        self.settings.update(state.get("settings") or {})
        if state.get("rng") is not None:
            self._rng.setstate(_rng_from(state["rng"]))
        for entry in state.get("objects", []):
            if entry["kind"] not in self._sorted:
                raise ValueError(f"bad object {entry!r:.80}")
            check_stored(entry["kind"], entry["data"])
            if entry["data"]["id"] in self._objects:
                raise ValueError(f"duplicate id {entry['data']['id']}")
            self._insert(entry["kind"], _copy(entry["data"]), keep_sorted=False)
        for ids in self._sorted.values():
            ids.sort()
        for entry in state.get("deleted", []):
            if entry["kind"] not in self._sorted:
                raise ValueError(f"bad object {entry!r:.80}")
            check_stored(entry["kind"], entry["data"])
            obj = DirObject(entry["kind"], _copy(entry["data"]))
            self._deleted[obj.id] = obj
            deleted_at = parse_iso(obj.data["deletedDateTime"])
            heapq.heappush(
                self._purge_heap,
                (deleted_at + timedelta(days=self.settings.retention_days), obj.id),
            )
        for gid, mids in state.get("members", {}).items():
            self._members[gid] = dict.fromkeys(mids)
            for mid in mids:
                self._member_of.setdefault(mid, {})[gid] = None
        for gid in self._sorted["group"]:
            self._members.setdefault(gid, {})
        for uid, mid in state.get("managers", {}).items():
            self._managers[uid] = mid
            self._reports.setdefault(mid, {})[uid] = None
        for raw in state.get("assignments", []):
            self._add_assignment(Assignment(**raw), keep_sorted=False)
        for ordered in self._resource_sorted.values():
            ordered.sort()
        self._seq = int(state.get("seq", 0))
        self._logs = {
            k: [(int(s), str(o), m) for s, o, m in v] for k, v in state.get("logs", {}).items()
        }
        self._logs.setdefault("user", [])
        self._logs.setdefault("group", [])


def _ordered(
    objs: list[DirObject], order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> list[DirObject]:
    """The objects in the order ``order`` (an $orderby sorter over their data) puts them."""
    by_data = {id(o.data): o for o in objs}
    return [by_data[id(d)] for d in order([o.data for o in objs])]


def _page_by_offset(
    source: Iterator[DirObject] | Iterable[DirObject],
    cursor: dict[str, Any] | None,
    top: int,
    count: bool,
    render: Callable[[DirObject], dict[str, Any]],
) -> Page:
    off = int(cursor.get("off", 0)) if cursor else 0
    if count:
        materialised = list(source)
        window = materialised[off : off + top + 1]
        total: int | None = len(materialised)
    else:
        window = list(itertools.islice(source, off, off + top + 1))
        total = None
    items = [render(o) for o in window[:top]]
    nxt = {"off": off + top} if len(window) > top else None
    return Page(items, nxt, total)


def check_object_id(object_id: str) -> None:
    """Graph answers 400, not 404, to an object id that is not a GUID (groups, SPs, …)."""
    if not is_guid(object_id):
        raise bad_request(f"Invalid object identifier '{object_id}'.")


def ref_id(url: str) -> str:
    """The object id at the end of an ``@odata.id`` / ``@odata.bind`` URL."""
    if not isinstance(url, str) or not url.strip():
        raise bad_request("Invalid object identifier ''.")
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    m = re.fullmatch(r"(?:\w+\()?'?([^'()]+)'?\)?", tail)
    candidate = m.group(1) if m else tail
    if not is_guid(candidate):
        raise bad_request(f"Invalid object identifier '{candidate}'.")
    return candidate.lower()


def _clean_app_roles(roles: list[Any], resource: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for role in roles:
        if not isinstance(role, dict) or not is_guid(role.get("id")):
            raise invalid_value("appRoles", resource)
        types = role.get("allowedMemberTypes")
        if not isinstance(types, list) or not types or not set(types) <= {"User", "Application"}:
            raise invalid_value("appRoles", resource)
        rid = role["id"].lower()
        if rid in seen:
            raise bad_request("Request contains a property with duplicate values.")
        seen.add(rid)
        value = role.get("value")
        if value is not None and not isinstance(value, str):
            raise invalid_value("appRoles", resource)
        out.append(
            {
                "id": rid,
                "allowedMemberTypes": list(types),
                "displayName": role.get("displayName"),
                "description": role.get("description"),
                "value": value,
                "isEnabled": bool(role.get("isEnabled", True)),
                "origin": role.get("origin") or "Application",
            }
        )
    return out


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_iso(value)
    except ValueError:
        return False
    return True


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng_from(raw: list[Any]) -> tuple[Any, ...]:
    version, internal, gauss = raw
    return (version, tuple(internal), gauss)
