"""One Miro organisation's users and groups (teams or user groups), with the dict indexes that
keep every lookup O(1) (id, userName, externalId, group name, memberships): tenants of 100,000
users are in scope. No rules and no lock here: :class:`MiroBackend` checks what clients ask
and holds the lock; this module keeps the indexes consistent."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..rules import is_org_admin

ID_BASE = 3074457345600000000  # Miro ids are 19-digit numbers such as 3074457365265951581


@dataclass
class User:
    id: str
    data: dict[str, Any]  # SCIM attributes with canonical names (enterprise under its URN)
    created: datetime
    modified: datetime
    organizations: int = 1  # Miro refuses e-mail changes for users in several organisations

    @property
    def active(self) -> bool:
        return self.data.get("active") is not False

    @property
    def username_key(self) -> str:
        return user_key(self.data.get("userName", ""))


@dataclass
class Group:
    id: str
    display_name: str
    kind: str  # "team" or "user_group"
    created: datetime
    modified: datetime
    members: dict[str, None] = field(default_factory=dict)  # an ordered set of user ids
    admins: set[str] = field(default_factory=set)  # team admins (the last one cannot leave)
    external_id: str | None = None
    default: bool = False


def user_key(name: Any) -> str:
    """userName as the index keys it: Miro's user names are case-insensitive."""
    return str(name).lower()


def first_id(seed: int) -> int:
    """Where a fresh organisation seeded with ``seed`` starts counting ids."""
    return ID_BASE + (seed % 10**10) * 10**8


class Organisation:
    """Users (live, deleted and guests), groups, memberships and the id counter."""

    def __init__(self, seed: int = 0) -> None:
        self.users: dict[str, User] = {}
        self.by_username: dict[str, str] = {}
        self.by_external: dict[str, dict[str, None]] = {}
        self.groups: dict[str, Group] = {}
        self.group_names: dict[tuple[str, str], dict[str, None]] = {}
        self.memberships: dict[str, dict[str, None]] = {}  # user id -> group ids
        # Deleted users are kept: adding one to a team recreates it, as Miro documents.
        self.deleted: dict[str, User] = {}
        # Guests and external users: invisible to SCIM reads and writes; a team add converts them.
        self.guests: dict[str, User] = {}
        self.org_admins: set[str] = set()  # active organisation admins
        self.default_team_id: str | None = None
        self.next_id = first_id(seed)

    def is_empty(self) -> bool:
        return not self.users and not self.groups and not self.deleted and not self.guests

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    # ------------------------------------------------------------------ indexes
    def index_user(self, user: User) -> None:
        self.users[user.id] = user
        self.by_username[user.username_key] = user.id
        ext_id = user.data.get("externalId")
        if ext_id is not None:
            self.by_external.setdefault(ext_id, {})[user.id] = None
        if user.active and is_org_admin(user.data):
            self.org_admins.add(user.id)
        self.memberships.setdefault(user.id, {})

    def unindex_user(self, user: User) -> None:
        self.users.pop(user.id, None)
        if self.by_username.get(user.username_key) == user.id:
            del self.by_username[user.username_key]
        ext_id = user.data.get("externalId")
        if ext_id is not None and ext_id in self.by_external:
            self.by_external[ext_id].pop(user.id, None)
            if not self.by_external[ext_id]:
                del self.by_external[ext_id]
        self.org_admins.discard(user.id)

    def add_guest(self, guest: User) -> None:
        """A guest holds its userName (no one else may take it) but SCIM cannot see it."""
        self.guests[guest.id] = guest
        self.by_username[guest.username_key] = guest.id

    def index_group(self, group: Group) -> None:
        self.groups[group.id] = group
        self.group_names.setdefault((group.kind, group.display_name.lower()), {})[group.id] = None

    def unindex_group_name(self, group: Group) -> None:
        key = (group.kind, group.display_name.lower())
        ids = self.group_names.get(key)
        if ids is not None:
            ids.pop(group.id, None)
            if not ids:
                del self.group_names[key]

    def join(self, group: Group, uid: str, admin: bool = False) -> None:
        group.members[uid] = None
        if admin:
            group.admins.add(uid)
        self.memberships.setdefault(uid, {})[group.id] = None

    def leave(self, group: Group, uid: str) -> None:
        group.members.pop(uid, None)
        group.admins.discard(uid)
        self.memberships.get(uid, {}).pop(group.id, None)

    def new_group(
        self, name: str, kind: str, now: datetime, external_id: str | None = None
    ) -> Group:
        group = Group(self.new_id(), name, kind, now, now, external_id=external_id)
        self.index_group(group)
        return group

    def default_team(self, name: str, clock: Callable[[], datetime]) -> Group:
        """The team every new user joins, made (named ``name``) with the first user."""
        if self.default_team_id is None or self.default_team_id not in self.groups:
            team = self.new_group(name, "team", clock())
            team.default = True
            self.default_team_id = team.id
        return self.groups[self.default_team_id]

    # ------------------------------------------------------------------ dump / load
    def dump(self) -> dict[str, Any]:
        def stamp(when: datetime) -> str:
            return when.isoformat()

        def user(u: User) -> dict[str, Any]:
            out: dict[str, Any] = {
                "id": u.id,
                "data": u.data,
                "created": stamp(u.created),
                "modified": stamp(u.modified),
            }
            if u.organizations != 1:
                out["organizations"] = u.organizations
            return out

        return {
            "next_id": self.next_id,
            "default_team_id": self.default_team_id,
            "users": [user(u) for u in self.users.values()],
            "deleted_users": [user(u) for u in self.deleted.values()],
            "guests": [user(u) for u in self.guests.values()],
            "groups": [
                {
                    "id": g.id,
                    "displayName": g.display_name,
                    "kind": g.kind,
                    "externalId": g.external_id,
                    "members": list(g.members),
                    "admins": sorted(g.admins),
                    "default": g.default,
                    "created": stamp(g.created),
                    "modified": stamp(g.modified),
                }
                for g in self.groups.values()
            ],
        }

    @classmethod
    def from_dump(cls, dump: dict[str, Any], now: Callable[[], datetime]) -> Organisation:
        """An organisation rebuilt from :meth:`dump`'s keys; raises KeyError, TypeError,
        AttributeError or ValueError on malformed input."""
        org = cls()
        org.next_id = int(dump.get("next_id", ID_BASE))
        for raw in dump.get("users", []):
            org._load_user(raw, now(), deleted=False)
        for raw in dump.get("deleted_users", []):
            org._load_user(raw, now(), deleted=True)
        for raw in dump.get("guests", []):
            org._load_user(raw, now(), deleted=False, guest=True)
        for raw in dump.get("groups", []):
            when = now()
            group = Group(
                str(raw["id"]),
                str(raw["displayName"]),
                str(raw.get("kind", "team")),
                _when(raw.get("created"), when),
                _when(raw.get("modified"), when),
                external_id=raw.get("externalId"),
                default=bool(raw.get("default")),
            )
            if group.kind not in ("team", "user_group"):
                raise ValueError(f"bad group kind {group.kind!r}")
            org.index_group(group)
            for uid in raw.get("members", []):
                if uid not in org.users:
                    raise ValueError(f"group {group.id} lists unknown member {uid}")
                org.join(group, str(uid), admin=uid in set(raw.get("admins", [])))
        default_id = dump.get("default_team_id")
        if default_id is not None and default_id not in org.groups:
            raise ValueError(f"default_team_id {default_id} is not a group")
        org.default_team_id = default_id
        return org

    def _load_user(
        self, raw: dict[str, Any], now: datetime, deleted: bool, guest: bool = False
    ) -> None:
        data = raw["data"]
        if not isinstance(data, dict) or not isinstance(data.get("userName"), str):
            raise ValueError(f"user {raw.get('id')} has no userName")
        user = User(
            str(raw["id"]),
            copy.deepcopy(data),
            _when(raw.get("created"), now),
            _when(raw.get("modified"), now),
            int(raw.get("organizations", 1)),
        )
        if deleted:
            self.deleted[user.id] = user
            return
        if user.username_key in self.by_username:
            raise ValueError(f"duplicate userName {data['userName']!r}")
        if guest:
            self.add_guest(user)
            return
        self.index_user(user)


def _when(text: Any, default: datetime) -> datetime:
    if not text:
        return default
    when = datetime.fromisoformat(str(text))
    return when if when.tzinfo else when.replace(tzinfo=UTC)
