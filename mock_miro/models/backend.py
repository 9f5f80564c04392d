"""The state of one fake Miro organisation, apart from HTTP: :class:`MiroBackend` checks what
clients ask against Miro's rules and changes its :class:`Organisation`; it also owns the
settings, the journal, the faults and the rate windows.

No Flask here. One re-entrant lock guards everything; every public method takes it, so served
fakes can take concurrent requests.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from fakekit.faults import FaultBook
from fakekit.journal import Journal

from .. import seeding
from ..exceptions import (
    ScimError,
    bad_request,
    conflict,
    invalid_filter,
    not_found,
    too_large,
)
from ..filters import AttrPath, Node, attributes_used, index_lookup, matches, parse_filter
from ..listing import Page, sort_value
from ..patch import GroupAction, UserPatcher, json_copy, parse_group_actions, parse_patch_body
from ..rate_limits import RateLimiter
from ..rules import (
    ADMIN_VALUE,
    GUEST_ROLES,
    USER_VALUE,
    check_lengths,
    check_license,
    check_roles,
    derive_display_name,
    input_group,
    input_user,
    is_email,
    is_org_admin,
)
from ..schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSIONS,
    GROUP_SCHEMA,
    GROUP_TABLE,
    ORG_ADMIN_ROLE,
    ORG_USER_ROLE,
    USER_SCHEMA,
    USER_TABLE,
)
from ..settings import Settings
from .organisation import ID_BASE, Group, Organisation, User, first_id, user_key
from .state_format import check_state

DEFAULT_BASE_URL = "https://miro.com/api/v1/scim"
LAST_ADMIN = "Any account in organization must have at least one admin"
_USER_ORDER = (
    "externalId",
    "userName",
    "name",
    "displayName",
    "userType",
    "active",
    "emails",
    "photos",
    "roles",
    "preferredLanguage",
)


class MiroBackend:
    """One Miro organisation behind the SCIM routes. Thread-safe: every public method holds
    one re-entrant lock."""

    def __init__(
        self,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.settings = settings or Settings()
        self.base_url = base_url.rstrip("/")
        self.faults = FaultBook()
        self.rate_limiter = RateLimiter()
        self.journal_book = Journal(self.settings.journal_limit)
        self.org = self._fresh_org(0)
        self._fresh_dump: dict[str, Any] | None = self.org.dump()

    def _fresh_org(self, seed: int) -> Organisation:
        """A new organisation as Miro hands one over: the SCIM token's owner, an organisation
        admin, in the Default team (every organisation has one, and new users join it:
        https://developers.miro.com/reference/createuser). No owner: an empty organisation."""
        org = Organisation(seed)
        owner = self.settings.token_owner
        if owner is None:
            return org
        now = self.now()
        local = owner.split("@", 1)[0]
        data: dict[str, Any] = {
            "userName": owner,
            "displayName": local[:60],
            "userType": "Full",
            "active": True,
            "emails": [{"value": owner, "type": "work", "primary": True}],
            "roles": [{"value": ADMIN_VALUE, "type": ORG_USER_ROLE, "primary": True}],
        }
        user = User(org.new_id(), data, now, now)
        org.index_user(user)
        org.join(org.default_team(self.settings.default_team_name, self.now), user.id, admin=True)
        return org

    def _is_fresh(self) -> bool:
        """Nothing has happened to the organisation since it was made (cheap for big ones)."""
        if self._fresh_dump is None or len(self.org.users) > 1 or len(self.org.groups) > 1:
            return False
        return self.org.dump() == self._fresh_dump

    def _refresh(self, seed: int) -> None:
        self.org = self._fresh_org(seed)
        self._fresh_dump = self.org.dump()

    def reset(self) -> None:
        """A fresh organisation (the token's owner and the Default team); settings, faults,
        journal and rate windows back to defaults."""
        with self.lock:
            self.settings = Settings()
            self._refresh(0)
            self.faults.reset()
            self.rate_limiter.reset()
            self.journal_book.clear()
            self.journal_book.limit = self.settings.journal_limit

    def now(self) -> datetime:
        return self.clock()

    @property
    def users(self) -> dict[str, User]:
        """The live users SCIM can see, by id (the organisation's index: do not change it)."""
        return self.org.users

    @property
    def groups(self) -> dict[str, Group]:
        """Teams and user groups, by id (the organisation's index: do not change it)."""
        return self.org.groups

    @property
    def kind(self) -> str:
        return "team" if self.settings.model == "teams" else "user_group"

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply settings; a fresh organisation is remade so that a new ``token_owner`` or
        ``default_team_name`` shows at once."""
        with self.lock:
            fresh = self._is_fresh()
            self.settings.update(changes)
            self.journal_book.limit = self.settings.journal_limit
            if fresh and {"token_owner", "default_team_name"} & set(changes):
                self._refresh(self._fresh_seed())
            return self.settings.to_dict()

    def _fresh_seed(self) -> int:
        return max(0, (self.org.next_id - ID_BASE) // 10**8) if self.org.users else 0

    # ------------------------------------------------------------------ journal
    def record(self, entry: dict[str, Any]) -> None:
        self.journal_book.record(entry)

    @property
    def journal(self) -> list[dict[str, Any]]:
        """The entries, oldest first, with their bodies decoded (they are stored as bytes)."""
        return self.journal_book.entries()

    def clear_journal(self) -> None:
        self.journal_book.clear()

    # ------------------------------------------------------------------ serialisation
    def _base(self, base: str | None) -> str:
        return (base or self.base_url).rstrip("/")

    def _meta(
        self, resource_type: str, location: str, created: datetime, modified: datetime
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {"resourceType": resource_type, "location": location}
        if self.settings.meta_timestamps:
            meta["created"] = created.isoformat().replace("+00:00", "Z")
            meta["lastModified"] = modified.isoformat().replace("+00:00", "Z")
        return meta

    def user_resource(self, user: User, base: str | None = None) -> dict[str, Any]:
        base = self._base(base)
        data = user.data
        ext = data.get(ENTERPRISE_SCHEMA)
        out: dict[str, Any] = {
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA] if ext else [USER_SCHEMA],
            "id": user.id,
        }
        for key in _USER_ORDER:
            if key in data:
                out[key] = data[key]
        kind = self.kind
        groups = [
            {"value": gid, "display": g.display_name, "$ref": f"{base}/Groups/{gid}"}
            for gid in self.org.memberships.get(user.id, ())
            if (g := self.org.groups[gid]).kind == kind
        ]
        if groups:
            out["groups"] = groups
        if ext:
            out[ENTERPRISE_SCHEMA] = ext
        out["meta"] = self._meta("User", f"{base}/Users/{user.id}", user.created, user.modified)
        return out

    def group_resource(
        self, group: Group, base: str | None = None, members: bool = True
    ) -> dict[str, Any]:
        base = self._base(base)
        out: dict[str, Any] = {
            "schemas": [GROUP_SCHEMA],
            "id": group.id,
            "displayName": group.display_name,
        }
        if group.external_id is not None:
            out["externalId"] = group.external_id
        if members:
            # Members as Miro's GroupResource lists them: value, display (the user's name), type.
            users = self.org.users
            out["members"] = [
                _member(uid, users[uid].data.get("displayName") if uid in users else None, base)
                for uid in group.members
            ]
        out["meta"] = self._meta(
            "Group", f"{base}/Groups/{group.id}", group.created, group.modified
        )
        return out

    # ------------------------------------------------------------------ users: rules
    def _check_user(self, data: dict[str, Any], old: User | None) -> None:
        """Miro's documented rules; raises before anything is stored."""
        username = data.get("userName")
        if not isinstance(username, str) or not username:
            raise bad_request("Attribute 'userName' is required")
        if not is_email(username):
            raise bad_request(f"User name '{username}' is invalid: must be an email address")
        changed_name = old is None or user_key(username) != old.username_key
        still_inactive = old is not None and not old.active and data.get("active") is False
        if old is not None and still_inactive and username != old.data.get("userName"):
            raise conflict(
                f"Cannot update the email of deactivated user '{old.data.get('userName')}'"
            )
        if old is not None and old.organizations > 1:
            self._check_multi_org(old, data, username)
        if changed_name:
            domains = self.settings.allowed_domains
            if domains and username.rsplit("@", 1)[1].lower() not in domains:
                raise conflict(f"{username} is not whitelisted")
            holder = self.org.by_username.get(user_key(username))
            if holder is not None and (old is None or holder != old.id):
                if self.settings.duplicate_user_error == 400:
                    raise bad_request(f"User name '{username}' is invalid: 'not unique'")
                raise conflict(f"User with userName '{username}' already exists", "uniqueness")
        check_lengths(data)
        check_license(data, old.data if old else None, old.active if old else True)
        check_roles(data, old.data if old else None, old.active if old else True)
        if old is not None and not old.active and data.get("active") is False:
            # Deactivated: e-mail changes are ignored without error, as Miro's API reference
            # documents for PUT (https://developers.miro.com/reference/scim-introduction).
            if "emails" in old.data:
                data["emails"] = copy.deepcopy(old.data["emails"])
            else:
                data.pop("emails", None)
        if old is not None:
            self._check_last_admin(old, data)

    def _check_multi_org(self, old: User, data: dict[str, Any], username: str) -> None:
        """A user in several organisations: Miro's errors page refuses updating "the details"
        (https://developers.miro.com/docs/errors); the help centre only e-mail changes
        (https://help.miro.com/hc/en-us/articles/360036827513-SCIM). ``multi_org_refuses``."""
        if self.settings.multi_org_refuses == "details":
            if data != old.data:
                raise conflict(
                    f"Cannot update user '{old.data.get('userName')}': "
                    "the user belongs to more than one organization"
                )
        elif username != old.data.get("userName"):
            raise conflict(
                f"Cannot update the email of user '{old.data.get('userName')}': "
                "the user belongs to more than one organization"
            )

    def _check_last_admin(self, old: User, new: dict[str, Any] | None) -> None:
        """Deactivating, demoting or deleting the last admin fails: Miro's API reference documents
        it for DELETE, and Miro's own deactivation sample shows the 409 for deactivating."""
        stays_admin = new is not None and new.get("active") is not False and is_org_admin(new)
        if old.id in self.org.org_admins and not stays_admin and len(self.org.org_admins) == 1:
            raise conflict(LAST_ADMIN)
        leaves = new is None or (old.active and new.get("active") is False)
        if leaves:
            for gid in self.org.memberships.get(old.id, ()):
                group = self.org.groups[gid]
                if group.admins == {old.id}:
                    raise conflict(LAST_ADMIN)

    def _commit_user(self, user: User, data: dict[str, Any]) -> None:
        self.org.unindex_user(user)
        user.data = data
        user.modified = self.now()
        self.org.index_user(user)

    # ------------------------------------------------------------------ users: operations
    def create_user(self, body: Any, base: str | None = None) -> dict[str, Any]:
        data = input_user(body)
        with self.lock:
            data.setdefault("active", True)
            data.setdefault("userType", "Full")  # Enterprise without flexible licensing: Full
            derive_display_name(data)
            self._check_user(data, None)
            now = self.now()
            user = User(self.org.new_id(), data, now, now)
            self.org.index_user(user)
            self.org.join(
                self.org.default_team(self.settings.default_team_name, self.now), user.id
            )  # new users join the default team (https://developers.miro.com/reference/createuser)
            return self.user_resource(user, base)

    def _user(self, uid: str) -> User:
        user = self.org.users.get(uid)
        if user is None:
            raise not_found(f"User {uid} not found")
        return user

    def get_user(self, uid: str, base: str | None = None) -> dict[str, Any]:
        with self.lock:
            return self.user_resource(self._user(uid), base)

    def get_user_by_username(self, name: str, base: str | None = None) -> dict[str, Any] | None:
        with self.lock:
            uid = self.org.by_username.get(user_key(name))
            return self.user_resource(self.org.users[uid], base) if uid in self.org.users else None

    def replace_user(self, uid: str, body: Any, base: str | None = None) -> dict[str, Any]:
        data = input_user(body)
        with self.lock:
            user = self._user(uid)
            data.setdefault("active", user.data.get("active", True))
            if "userType" in user.data:
                data.setdefault("userType", user.data["userType"])  # a licence is never cleared
            derive_display_name(data)
            self._check_user(data, user)
            self._commit_user(user, data)
            return self.user_resource(user, base)

    def patch_user(self, uid: str, body: Any, base: str | None = None) -> dict[str, Any]:
        ops = parse_patch_body(body, self.settings.patch_strict)
        with self.lock:
            user = self._user(uid)
            work = json_copy(user.data)  # stored data is JSON: a structural copy is enough
            UserPatcher(
                USER_TABLE,
                EXTENSIONS,
                self.settings.patch_strict,
                pathless=self.settings.patch_pathless_replace,
            ).apply(work, ops)
            self._check_user(work, user)
            self._commit_user(user, work)
            return self.user_resource(user, base)

    def delete_user(self, uid: str) -> None:
        with self.lock:
            user = self._user(uid)
            self._check_last_admin(user, None)
            for gid in list(self.org.memberships.get(uid, ())):
                self.org.leave(self.org.groups[gid], uid)
            self.org.memberships.pop(uid, None)
            self.org.unindex_user(user)
            self.org.deleted[uid] = user

    def _user_candidates(self, node: Node | None) -> Iterable[User]:
        if node is None:
            return self.org.users.values()
        name = index_lookup(node, "username")
        if name is not None:
            uid = self.org.by_username.get(user_key(name))
            return [self.org.users[uid]] if uid in self.org.users else []
        ident = index_lookup(node, "id")
        if ident is not None:
            user = self.org.users.get(str(ident))
            return [user] if user else []
        ext = index_lookup(node, "externalid")
        if ext is not None:
            return [self.org.users[u] for u in self.org.by_external.get(str(ext), {})]
        return self.org.users.values()

    def list_users(
        self,
        filter_text: str | None,
        sort: tuple[AttrPath | None, bool],
        page: Page,
        base: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        node = parse_filter(filter_text, (USER_SCHEMA,)) if filter_text else None
        with self.lock:
            candidates = self._user_candidates(node)
            sort_path, descending = sort
            if node is None and sort_path is None:
                # Unfiltered and unsorted: slice the insertion-ordered dict, no per-user work.
                # (A startIndex past the end is an empty page: islice takes no huge index.)
                start = min(page.start_index, len(self.org.users) + 1) - 1
                chosen: Iterable[User] = islice(candidates, start, start + page.count)
                return len(self.org.users), [self.user_resource(u, base) for u in chosen]
            views = [(u, self.user_resource(u, base)) for u in candidates]
            if node is not None:
                views = [(u, v) for u, v in views if matches(node, v, USER_TABLE, EXTENSIONS)]
            if sort_path is not None:
                views.sort(key=lambda pair: sort_value(pair[1], sort_path), reverse=descending)
            window = views[page.start_index - 1 : page.start_index - 1 + page.count]
            return len(views), [v for _, v in window]

    # ------------------------------------------------------------------ groups
    def _group(self, gid: str) -> Group:
        group = self.org.groups.get(gid)
        if group is None or group.kind != self.kind:
            raise not_found(f"Group {gid} not found")
        return group

    def create_team(
        self,
        display_name: str,
        *,
        default: bool = False,
        kind: str | None = None,
        external_id: str | None = None,
    ) -> dict[str, Any]:
        """A SCIM group made directly (Miro's SCIM cannot create teams): a team in the team
        model, a user group in the user-group model, unless ``kind`` says otherwise."""
        if not isinstance(display_name, str) or not display_name.strip():
            raise ValueError("a team needs a non-empty display name")
        if kind not in (None, "team", "user_group"):
            raise ValueError("kind must be 'team' or 'user_group'")
        with self.lock:
            kind = kind or self.kind
            group = self.org.new_group(display_name, kind, self.now(), external_id)
            if default:
                if self.org.default_team_id in self.org.groups:
                    self.org.groups[self.org.default_team_id].default = False
                group.default = True
                self.org.default_team_id = group.id
            return self.group_resource(group)

    def add_team_member(self, gid: str, uid: str, *, admin: bool = False) -> None:
        with self.lock:
            if gid not in self.org.groups or uid not in self.org.users:
                raise KeyError(f"no group {gid} or user {uid}")
            self.org.join(self.org.groups[gid], uid, admin)

    def set_organizations(self, uid: str, count: int) -> None:
        """How many Miro organisations the user belongs to: two or more block e-mail changes
        (https://developers.miro.com/docs/errors)."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be a positive integer")
        with self.lock:
            if uid not in self.org.users:
                raise KeyError(f"no user {uid}")
            self.org.users[uid].organizations = count

    def add_guest(
        self,
        user_name: str,
        *,
        role: str = "ORGANIZATION_EXTERNAL_USER",
        display_name: str | None = None,
    ) -> str:
        """An external or team-guest user: SCIM cannot see, update or delete them
        (https://developers.miro.com/reference/scim-introduction)."""
        if role not in GUEST_ROLES:
            raise ValueError(f"role must be one of {', '.join(GUEST_ROLES)}")
        with self.lock:
            if not is_email(user_name):
                raise ValueError(f"{user_name!r} is not an e-mail address")
            if user_key(user_name) in self.org.by_username:
                raise ValueError(f"{user_name!r} already exists")
            now = self.now()
            data: dict[str, Any] = {
                "userName": user_name,
                "displayName": display_name or user_name,
                "userType": "Free",
                "active": True,
                "roles": [{"value": role, "type": ORG_USER_ROLE, "primary": True}],
            }
            guest = User(self.org.new_id(), data, now, now)
            self.org.add_guest(guest)
            return guest.id

    def get_group(self, gid: str, base: str | None = None, members: bool = True) -> dict[str, Any]:
        with self.lock:
            return self.group_resource(self._group(gid), base, members)

    def list_groups(
        self,
        filter_text: str | None,
        sort: tuple[AttrPath | None, bool],
        page: Page,
        base: str | None = None,
        members: bool = True,
    ) -> tuple[int, list[dict[str, Any]]]:
        node = parse_filter(filter_text, (GROUP_SCHEMA,)) if filter_text else None
        if node is not None and any(p.attr == "members" for p in attributes_used(node)):
            raise invalid_filter("Filtering on complex attributes is not supported for Groups")
        with self.lock:
            kind = self.kind
            name = index_lookup(node, "displayname") if node is not None else None
            ident = index_lookup(node, "id") if node is not None else None
            groups: Iterable[Group]
            if name is not None:
                groups = [
                    self.org.groups[g]
                    for g in self.org.group_names.get((kind, str(name).lower()), {})
                ]
            elif ident is not None:
                found = self.org.groups.get(str(ident))
                groups = [found] if found and found.kind == kind else []
            else:
                groups = (g for g in self.org.groups.values() if g.kind == kind)
            sort_path, descending = sort
            views = [(g, self.group_resource(g, base, members=False)) for g in groups]
            if node is not None:
                views = [(g, v) for g, v in views if matches(node, v, GROUP_TABLE)]
            if sort_path is not None:
                views.sort(key=lambda pair: sort_value(pair[1], sort_path), reverse=descending)
            window = views[page.start_index - 1 : page.start_index - 1 + page.count]
            out = [self.group_resource(g, base, members) if members else v for g, v in window]
            return len(views), out

    def _resolve_members(self, ids: Iterable[str]) -> None:
        missing = [
            i
            for i in dict.fromkeys(ids)
            if i not in self.org.users and i not in self.org.deleted and i not in self.org.guests
        ]
        if missing:
            listed = ", ".join(f"{{memberId={i}, display=null}}" for i in missing)
            raise not_found(f"No valid resources: [{listed}]")

    def _check_member_count(self, actions: list[GroupAction]) -> None:
        total = sum(len(a.ids) for a in actions)
        if total > self.settings.max_members_per_patch:
            raise too_large(
                f"Too many members in one request: {total} (at most "
                f"{self.settings.max_members_per_patch})"
            )

    def _apply_members(
        self, group: Group, actions: list[GroupAction]
    ) -> tuple[dict[str, None], str, str | None, set[str]]:
        """Plan the member list, name and externalId after the actions (no state changes), and
        the users the request adds: named by an ``add``, or brought in by a ``replace``."""
        members = dict(group.members)
        name, external_id = group.display_name, group.external_id
        added: set[str] = set()
        for action in actions:
            if action.kind == "add":
                members.update(dict.fromkeys(action.ids))
                added.update(action.ids)
            elif action.kind == "replace":
                members = dict.fromkeys(action.ids)
                added.update(uid for uid in action.ids if uid not in group.members)
            elif action.kind == "remove":
                for uid in action.ids:
                    members.pop(uid, None)
            elif action.kind == "remove_all":
                members = {}
            elif action.kind == "remove_filter":
                assert action.filter is not None
                for uid in list(members):
                    if matches(
                        action.filter, {"value": uid, "type": "User"}, GROUP_TABLE["members"].subs
                    ):
                        members.pop(uid)
            elif action.kind == "rename":
                name = action.text or name
            elif action.kind == "external_id":
                external_id = action.text
        return members, name, external_id, added & set(members)

    def _check_group_name(self, name: str, group: Group | None) -> None:
        if self.kind != "user_group":
            return  # team names: Miro documents no uniqueness rule
        holders = self.org.group_names.get(("user_group", name.lower()), {})
        if any(gid != (group.id if group else None) for gid in holders):
            raise conflict(f"Group with displayName '{name}' already exists", "uniqueness")

    def _commit_group(
        self,
        group: Group,
        members: dict[str, None],
        name: str,
        external_id: str | None,
        added: set[str],
    ) -> None:
        """Store the planned members, name and externalId. Only the users in ``added`` are
        reactivated: Miro reactivates "added team members"
        (https://developers.miro.com/reference/patchgroup), so a PATCH that adds nobody (a
        rename, an externalId) leaves deactivated members deactivated."""
        removed = [uid for uid in group.members if uid not in members]
        if group.admins and group.admins <= set(removed):
            raise conflict(LAST_ADMIN)
        for uid in removed:
            self.org.leave(group, uid)
        for uid in members:
            if uid in self.org.deleted:  # "reactivated or recreated if ... deleted earlier"
                user = self.org.deleted.pop(uid)
                if self.org.by_username.get(user.username_key) not in (None, uid):
                    raise conflict(
                        f"User with userName '{user.data.get('userName')}' already exists",
                        "uniqueness",
                    )
                user.data["active"] = True
                self.org.index_user(user)
                self.org.join(self.org.default_team(self.settings.default_team_name, self.now), uid)
            elif uid in self.org.guests:
                # Guests added to a team become Full internal users
                # (https://developers.miro.com/reference/patchgroup).
                user = self.org.guests.pop(uid)
                roles = [r for r in user.data.get("roles") or [] if r.get("type") == ORG_ADMIN_ROLE]
                user.data = {
                    **user.data,
                    "userType": "Full",
                    "active": True,
                    "roles": [
                        {"value": USER_VALUE, "type": ORG_USER_ROLE, "primary": True},
                        *roles,
                    ],
                }
                self.org.index_user(user)
                self.org.join(self.org.default_team(self.settings.default_team_name, self.now), uid)
            user = self.org.users[uid]
            if uid in added and not user.active:
                data = dict(user.data)
                data["active"] = True
                self._commit_user(user, data)
            if uid not in group.members:
                self.org.join(group, uid)
        # Keep the requested order for a replace.
        group.members = {uid: None for uid in members}
        if name != group.display_name:
            self.org.unindex_group_name(group)
            group.display_name = name
            self.org.index_group(group)
        group.external_id = external_id
        group.modified = self.now()

    def patch_group(
        self, gid: str, body: Any, base: str | None = None, members: bool = True
    ) -> dict[str, Any]:
        ops = parse_patch_body(body, self.settings.patch_strict)
        actions = parse_group_actions(ops, self.settings.patch_strict)
        with self.lock:
            group = self._group(gid)
            self._check_member_count(actions)
            self._resolve_members(uid for a in actions for uid in a.ids)
            planned, name, external_id, added = self._apply_members(group, actions)
            if name != group.display_name:
                self._check_group_name(name, group)
            self._check_recreations(planned)
            self._commit_group(group, planned, name, external_id, added)
            return self.group_resource(group, base, members)

    def _check_recreations(self, members: Iterable[str]) -> None:
        for uid in members:
            if uid in self.org.deleted:
                user = self.org.deleted[uid]
                if self.org.by_username.get(user.username_key) not in (None, uid):
                    raise conflict(
                        f"User with userName '{user.data.get('userName')}' already exists",
                        "uniqueness",
                    )

    def create_group(self, body: Any, base: str | None = None) -> dict[str, Any]:
        name, ids, external_id = input_group(body)
        with self.lock:
            if len(ids) > self.settings.max_members_per_patch:
                raise too_large(f"Too many members in one request: {len(ids)}")
            self._check_group_name(name, None)
            self._resolve_members(ids)
            self._check_recreations(ids)
            group = self.org.new_group(name, self.kind, self.now(), external_id)
            self._commit_group(group, dict.fromkeys(ids), name, external_id, set(ids))
            return self.group_resource(group, base)

    def replace_group(self, gid: str, body: Any, base: str | None = None) -> dict[str, Any]:
        name, ids, external_id = input_group(body)
        with self.lock:
            group = self._group(gid)
            if len(ids) > self.settings.max_members_per_patch:
                raise too_large(f"Too many members in one request: {len(ids)}")
            self._check_group_name(name, group)
            self._resolve_members(ids)
            self._check_recreations(ids)
            joining = {uid for uid in ids if uid not in group.members}
            self._commit_group(group, dict.fromkeys(ids), name, external_id, joining)
            return self.group_resource(group, base)

    def delete_group(self, gid: str) -> None:
        """User-group model: the group and its memberships go; the users stay
        (https://developers.miro.com/reference/deletescimgroup)."""
        with self.lock:
            group = self._group(gid)
            for uid in list(group.members):
                self.org.leave(group, uid)
            self.org.unindex_group_name(group)
            del self.org.groups[gid]
            if self.org.default_team_id == gid:
                self.org.default_team_id = None

    # ------------------------------------------------------------------ seeding
    def seed(
        self,
        seed: int,
        users: int = 0,
        teams: Iterable[str] = (),
        *,
        admins: int = 0,
        domain: str | None = None,
        guests: int = 0,
    ) -> dict[str, Any]:
        """Named teams (empty) plus generated users, the same for the same seed."""
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError("seed must be an integer")
        if not isinstance(users, int) or isinstance(users, bool) or not 0 <= users <= 1_000_000:
            raise ValueError("users must be an integer between 0 and 1000000")
        names = list(teams)
        if not all(isinstance(t, str) and t.strip() for t in names):
            raise ValueError("teams must be a list of non-empty names")
        if not isinstance(admins, int) or isinstance(admins, bool) or admins < 0:
            raise ValueError("admins must be a non-negative integer")
        if not isinstance(guests, int) or isinstance(guests, bool) or not 0 <= guests <= 100_000:
            raise ValueError("guests must be an integer between 0 and 100000")
        with self.lock:
            if self.org.is_empty():
                self.org.next_id = first_id(seed)
            elif self._is_fresh():
                self._refresh(seed)  # the same seed gives the same ids, owner included
            domain = (
                domain
                or (
                    self.settings.allowed_domains[0]
                    if self.settings.allowed_domains
                    else "example.com"
                )
            ).lower()
            created_teams = []
            for name in names:
                default_id = self.org.default_team_id
                if default_id in self.org.groups and (
                    self.org.groups[default_id].display_name == name
                ):
                    created_teams.append({"id": default_id, "displayName": name})
                    continue  # the organisation's Default team already exists
                is_default = name == self.settings.default_team_name and default_id is None
                resource = self.create_team(name, default=is_default, kind=self.kind)
                created_teams.append({"id": resource["id"], "displayName": name})
            created_users = []
            if users:
                default = self.org.default_team(self.settings.default_team_name, self.now)
                now = self.now()
                for data in seeding.members(
                    seed, users, domain, admins, self.org.by_username.__contains__
                ):
                    user = User(self.org.new_id(), data, now, now)
                    self.org.index_user(user)
                    self.org.join(default, user.id, admin=is_org_admin(data))
                    created_users.append({"id": user.id, "userName": data["userName"]})
            created_guests = []
            for name in seeding.guest_names(seed, guests, self.org.by_username.__contains__):
                created_guests.append({"id": self.add_guest(name), "userName": name})
            default_team = None
            if self.org.default_team_id is not None:
                team = self.org.groups[self.org.default_team_id]
                default_team = {"id": team.id, "displayName": team.display_name}
            return {
                "seed": seed,
                "users": created_users,
                "teams": created_teams,
                "default_team": default_team,
                "guests": created_guests,
            }

    def _dump(self) -> dict[str, Any]:
        return {"version": 1, "settings": self.settings.to_dict(), **self.org.dump()}

    def dump_json(self) -> str:
        with self.lock:
            return json.dumps(self._dump())

    def dump(self) -> dict[str, Any]:
        with self.lock:
            result: dict[str, Any] = json.loads(json.dumps(self._dump()))
            return result

    def load(self, dump: dict[str, Any]) -> None:
        """Replace everything with a dump; a bad dump raises ValueError and changes nothing."""
        if not isinstance(dump, dict):
            raise ValueError("a state dump must be a JSON object")
        check_state(dump)  # the format first: a refused dump never replaces anything
        try:
            settings = Settings()
            settings.update(dump.get("settings") or {})
            org = Organisation.from_dump(dump, self.now)
        except ScimError as exc:
            raise ValueError(exc.detail) from exc
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed state dump: {exc!r}") from exc
        with self.lock:
            self.settings = settings
            self.org = org
            self._fresh_dump = None
            self.journal_book.limit = self.settings.journal_limit


def _member(uid: str, display: Any, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {"value": uid}
    if isinstance(display, str):
        out["display"] = display
    out["$ref"] = f"{base}/Users/{uid}"
    out["type"] = "User"
    return out
