"""The tenant behind the Graph fake: plain objects and indexes behind one lock, no Flask.

:class:`GraphBackend` is what routes, the control plane and the harness call. It checks what
clients ask (validation, conflicts, Graph's rules), then changes its :class:`Directory`, which
keeps the indexes and the change log. Security groups are deleted permanently at once (setting
``soft_delete_security_groups``); other objects go to deleted items for ``retention_days`` (30,
by the clock the backend is given), or until ``DELETE /directory/deletedItems/{id}``.

Purging is lazy: every public method first purges what has fallen due (a heap peek when nothing
has), and ``purge_expired()`` does it explicitly.
"""

from __future__ import annotations

import base64
import functools
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from fakekit.validation import JsonInputError
from mock_graph import seeding
from mock_graph.exceptions import (
    GraphError,
    bad_request,
    conflict_property,
    invalid_value,
    not_found,
)
from mock_graph.models import delta, listings
from mock_graph.models.credentials import (
    ClientCheck,
    digest,
    is_expired,
    new_password_credential,
    same_digest,
)
from mock_graph.models.directory import Directory
from mock_graph.models.gallery import ApplicationGallery
from mock_graph.models.objects import Assignment, DirObject, project
from mock_graph.models.paging import Render
from mock_graph.models.render import renderer
from mock_graph.models.state_format import check_state
from mock_graph.models.validation import check_enabled_roles_kept, validate
from mock_graph.models.values import (
    check_object_id,
    copy_json,
    is_guid,
    iso,
    ref_id,
    rng_from,
    rng_state,
)
from mock_graph.schemas import DEFAULT_APP_ROLES, ZERO_GUID
from mock_graph.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_DOMAIN = "contoso.onmicrosoft.com"


def _locked(
    method: Callable[Concatenate[GraphBackend, P], R],
) -> Callable[Concatenate[GraphBackend, P], R]:
    """Run the method holding the backend's lock, after purging what has fallen due."""

    @functools.wraps(method)
    def wrapper(self: GraphBackend, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            self._purge_due()
            return method(self, *args, **kwargs)

    return wrapper


def _on_directory(
    func: Callable[Concatenate[Directory, P], R],
) -> Callable[Concatenate[GraphBackend, P], R]:
    """A function of the directory as a backend method: locked, after purging what is due."""

    @functools.wraps(func)
    def method(self: GraphBackend, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            self._purge_due()
            return func(self.directory, *args, **kwargs)

    return method


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
        # issued access tokens -> the roles claim they carry (application permissions)
        self.token_roles: dict[str, frozenset[str]] = {}
        # passwordCredential keyId -> SHA-256 of its secret text (the text itself is never kept)
        self.client_secrets: dict[str, str] = {}
        self._rng = random.Random(self._id_seed)
        self.directory = Directory()
        self.gallery = ApplicationGallery()

    # ------------------------------------------------------------------ plumbing

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def now(self) -> datetime:
        return self.clock()

    def now_iso(self) -> str:
        return iso(self.clock())

    @property
    def seq(self) -> int:
        """The change log's sequence number: where a delta round starting now begins."""
        return self.directory.changes.seq

    @_locked
    def reset(self) -> None:
        self._rng = random.Random(self._id_seed)
        self.directory = Directory()
        self.settings = Settings()
        self.client_secrets = {}

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial settings update (all or nothing); all settings after it."""
        with self._lock:
            self.settings.update(changes)
            return asdict(self.settings)

    def default_domain(self) -> str:
        """The tenant's first verified domain (mail and publisher domains use it)."""
        if self.settings.verified_domains:
            return self.settings.verified_domains[0]
        return DEFAULT_DOMAIN

    def issue_token(
        self, token: str, expiry: datetime, roles: frozenset[str] = frozenset()
    ) -> None:
        with self._lock:
            self.tokens[token] = expiry
            self.token_roles[token] = roles

    def roles_of_token(self, token: str) -> frozenset[str]:
        """The ``roles`` claim of a token this tenant issued (empty for any other)."""
        with self._lock:
            return self.token_roles.get(token, frozenset())

    def token_expiry(self, token: str) -> datetime | None:
        with self._lock:
            return self.tokens.get(token)

    # ------------------------------------------------------------------ lookups

    @_locked
    def get(self, object_id: str, kind: str | None = None) -> dict[str, Any] | None:
        """A live object's stored properties (a copy), by id, or a user by userPrincipalName."""
        d = self.directory
        obj = d.user_by_key(object_id) if kind == "user" else d.live(object_id, kind)
        return copy_json(obj.data) if obj else None

    @_locked
    def user_by_upn(self, upn: str) -> dict[str, Any] | None:
        uid = self.directory.upn.get(upn.casefold())
        return copy_json(self.directory.objects[uid].data) if uid else None

    def upn_taken(self, upn: str) -> bool:
        with self._lock:
            return upn.casefold() in self.directory.upn

    @_locked
    def resolve(self, kind: str, key: str) -> str:
        """Object id for a path key (id, a user's UPN, or appId for ``(appId='…')``); 404 if none."""
        return self.directory.resolve(kind, key)

    @_locked
    def resolve_app_id(self, kind: str, app_id: str) -> str:
        d = self.directory
        index = d.app_ids if kind == "application" else d.sp_app_ids
        oid = index.get(app_id)
        if oid is None:
            raise not_found(app_id)
        return oid

    @_locked
    def counts(self) -> dict[str, int]:
        out = {k: len(v) for k, v in self.directory.sorted_ids.items()}
        out["deleted"] = len(self.directory.deleted)
        out["assignments"] = len(self.directory.assignments)
        return out

    # ------------------------------------------------------------------ users

    @_locked
    def create_user(self, body: dict[str, Any], *, object_id: str | None = None) -> dict[str, Any]:
        clean = self._validate("user", body, creating=True)
        self.directory.check_upn_free(clean["userPrincipalName"], None)
        data: dict[str, Any] = {"id": object_id or self.new_id()}
        data.update(clean)
        data.setdefault("businessPhones", [])
        data.setdefault("userType", "Member")
        data["createdDateTime"] = self.now_iso()
        data["deletedDateTime"] = None
        if data["id"] in self.directory.objects or data["id"] in self.directory.deleted:
            raise conflict_property("id")
        obj = self.directory.insert("user", data)
        self.directory.changed(obj)
        return copy_json(obj.data)

    @_locked
    def update_user(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self.directory.require_user(key)
        clean = self._validate("user", body, creating=False)
        for prop in ("displayName", "userPrincipalName", "mailNickname", "accountEnabled"):
            if prop in clean and clean[prop] is None:
                raise invalid_value(prop, "User")
        if "userPrincipalName" in clean:
            self.directory.check_upn_free(clean["userPrincipalName"], obj.id)
            old = obj.data["userPrincipalName"].casefold()
            self.directory.upn.pop(old, None)
            self.directory.upn[clean["userPrincipalName"].casefold()] = obj.id
        obj.data.update(clean)
        self.directory.changed(obj)
        return copy_json(obj.data)

    @_locked
    def delete_user(self, key: str) -> None:
        obj = self.directory.require_user(key)
        self._soft_delete(obj)

    @_locked
    def set_manager(self, user_key: str, manager_id: str) -> None:
        user = self.directory.require_user(user_key)
        manager = self.directory.live(manager_id)
        if manager is None or manager.kind != "user":
            raise not_found(manager_id)
        if manager.id == user.id:
            raise bad_request("A user cannot be their own manager.")
        old = self.directory.managers.get(user.id)
        if old == manager.id:
            return
        self.directory.link_manager(user.id, manager.id)
        self.directory.log("user", user.id, old)

    @_locked
    def remove_manager(self, user_key: str) -> None:
        user = self.directory.require_user(user_key)
        old = self.directory.managers.pop(user.id, None)
        if old is None or old not in self.directory.objects:
            raise not_found(user.id)
        self.directory.reports.get(old, {}).pop(user.id, None)
        self.directory.log("user", user.id, old)

    @_locked
    def manager_of(self, user_key: str) -> dict[str, Any] | None:
        user = self.directory.require_user(user_key)
        mid = self.directory.managers.get(user.id)
        mgr = self.directory.live(mid) if mid else None
        return copy_json(mgr.data) if mgr else None

    @_locked
    def direct_reports(self, user_key: str) -> list[str]:
        user = self.directory.require_user(user_key)
        return [r for r in self.directory.reports.get(user.id, {}) if r in self.directory.objects]

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
        data["mail"] = (
            f"{clean['mailNickname']}@{self.default_domain()}" if clean["mailEnabled"] else None
        )
        data["proxyAddresses"] = [f"SMTP:{data['mail']}"] if data["mail"] else []
        data.setdefault("visibility", "Public" if "Unified" in types else None)
        data.setdefault("isAssignableToRole", None)
        data["createdDateTime"] = self.now_iso()
        data["deletedDateTime"] = None
        data["securityIdentifier"] = "S-1-12-1-" + "-".join(
            str(self._rng.getrandbits(32)) for _ in range(4)
        )
        obj = self.directory.insert("group", data)
        self.directory.members[obj.id] = {}
        self.directory.changed(obj)
        for mid in member_ids:
            self._add_member(obj, mid)
        return copy_json(obj.data)

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
            if self.directory.require(oid).kind not in ("user", "group", "servicePrincipal"):
                raise bad_request(f"Invalid object identifier '{oid}'.")
        return ids

    @_locked
    def update_group(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self.directory.require(group_id, "group")
        member_ids = self._bind_ids(body.get("members@odata.bind"))
        if len(member_ids) > 20:
            raise bad_request("A maximum of 20 relationships can be added in the same request.")
        clean = self._validate("group", body, creating=False)
        for prop in ("displayName", "mailNickname", "mailEnabled", "securityEnabled"):
            if prop in clean and clean[prop] is None:
                raise invalid_value(prop, "Group")
        current = self.directory.members.get(obj.id, {})
        for mid in member_ids:
            if mid == obj.id:
                raise bad_request("A group cannot be a member of itself.")
            if mid in current:
                raise bad_request(
                    "One or more added object references already exist for the following "
                    "modified properties: 'members'."
                )
        obj.data.update(clean)
        self.directory.changed(obj)
        for mid in member_ids:
            self._add_member(obj, mid)
        return copy_json(obj.data)

    @_locked
    def delete_group(self, group_id: str) -> None:
        obj = self.directory.require(group_id, "group")
        if (
            "Unified" in (obj.data.get("groupTypes") or [])
            or self.settings.soft_delete_security_groups
        ):
            self._soft_delete(obj)
        else:
            self.directory.hard_delete(obj)

    def _add_member(self, group: DirObject, member_id: str) -> None:
        member = self.directory.require(member_id)
        if member.kind not in ("user", "group", "servicePrincipal"):
            raise bad_request(f"Invalid object identifier '{member_id}'.")
        members = self.directory.members.setdefault(group.id, {})
        if member.id in members:
            raise bad_request(
                "One or more added object references already exist for the following modified "
                "properties: 'members'."
            )
        if member.id == group.id:
            raise bad_request("A group cannot be a member of itself.")
        self.directory.link_member(group.id, member.id)

    @_locked
    def add_member(self, group_id: str, member_id: str) -> None:
        group = self.directory.require(group_id, "group")
        self._add_member(group, member_id)

    @_locked
    def remove_member(self, group_id: str, member_id: str) -> None:
        group = self.directory.require(group_id, "group")
        members = self.directory.members.get(group.id, {})
        if member_id not in members or member_id not in self.directory.objects:
            check_object_id(member_id)
            raise not_found(member_id)
        del members[member_id]
        self.directory.member_of.get(member_id, {}).pop(group.id, None)
        self.directory.log("group", group.id, member_id)

    @_locked
    def member_ids(self, group_id: str) -> list[str]:
        group = self.directory.require(group_id, "group")
        return [m for m in self.directory.members.get(group.id, {}) if m in self.directory.objects]

    # ------------------------------------------------------------------ applications / SPs

    @_locked
    def create_application(
        self,
        body: dict[str, Any],
        *,
        object_id: str | None = None,
        app_id: str | None = None,
        template_id: str | None = None,
    ) -> dict[str, Any]:
        clean = self._validate("application", body, creating=True)
        data: dict[str, Any] = {"id": object_id or self.new_id(), "appId": app_id or self.new_id()}
        data["applicationTemplateId"] = template_id
        data.update(clean)
        data.setdefault("appRoles", [])
        data.setdefault("identifierUris", [])
        data.setdefault("passwordCredentials", [])
        data.setdefault("signInAudience", "AzureADMyOrg")
        data.setdefault("tags", [])
        data.setdefault("description", None)
        data["publisherDomain"] = self.default_domain()
        data["createdDateTime"] = self.now_iso()
        data["deletedDateTime"] = None
        if data["appId"] in self.directory.app_ids:
            raise conflict_property("appId")
        obj = self.directory.insert("application", data)
        return copy_json(obj.data)

    @_locked
    def update_application(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self.directory.require(object_id, "application")
        clean = self._validate("application", body, creating=False)
        if "displayName" in clean and clean["displayName"] is None:
            raise invalid_value("displayName", "Application")
        if "appRoles" in clean:
            check_enabled_roles_kept(obj.data.get("appRoles") or [], clean["appRoles"] or [])
        obj.data.update(clean)
        sp_id = self.directory.sp_app_ids.get(obj.data["appId"])
        if sp_id and "appRoles" in clean:
            self.directory.objects[sp_id].data["appRoles"] = copy_json(clean["appRoles"])
        return copy_json(obj.data)

    @_locked
    def create_service_principal(
        self, body: dict[str, Any], *, object_id: str | None = None
    ) -> dict[str, Any]:
        clean = self._validate("servicePrincipal", body, creating=True)
        app_oid = self.directory.app_ids.get(clean["appId"])
        if app_oid is None:
            raise bad_request(
                f"The appId '{clean['appId']}' of the service principal does not reference a "
                "valid application object."
            )
        if clean["appId"] in self.directory.sp_app_ids:
            raise conflict_property("servicePrincipalNames")
        app = self.directory.objects[app_oid].data
        data: dict[str, Any] = {"id": object_id or self.new_id()}
        data.update(
            {
                "displayName": app["displayName"],
                "appDisplayName": app["displayName"],
                "applicationTemplateId": app.get("applicationTemplateId"),
                "appRoles": copy_json(app.get("appRoles") or []),
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
        data["createdDateTime"] = self.now_iso()
        data["deletedDateTime"] = None
        obj = self.directory.insert("servicePrincipal", data)
        return copy_json(obj.data)

    @_locked
    def update_service_principal(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = self.directory.require(object_id, "servicePrincipal")
        clean = self._validate("servicePrincipal", body, creating=False)
        if "appId" in clean and clean["appId"] != obj.data["appId"]:
            raise bad_request("Property 'appId' is read-only and cannot be set.")
        obj.data.update(clean)
        return copy_json(obj.data)

    @_locked
    def create_enterprise_app(
        self,
        display_name: str,
        app_roles: list[dict[str, Any]] | None = None,
        *,
        app_role_assignment_required: bool = True,
        template_id: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """An application plus its service principal, as the gallery/non-gallery flow leaves them
        (``template_id``: the application template it was instantiated from). Without
        ``app_roles`` the non-gallery defaults ``User`` and ``msiam_access`` are used."""
        roles = copy_json(app_roles) if app_roles is not None else copy_json(DEFAULT_APP_ROLES)
        app = self.create_application(
            {"displayName": display_name, "appRoles": roles}, template_id=template_id
        )
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
        self._soft_delete(self.directory.require(object_id, kind))

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
        resource = self.directory.live(resource_id, "servicePrincipal")
        if resource is None:
            raise not_found(resource_id)
        principal = self.directory.require(principal_id)
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
        for aid in self.directory.by_principal.get(principal_id, {}):
            existing = self.directory.assignments[aid]
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
            created=self.now_iso(),
        )
        self.directory.add_assignment(a)
        self.directory.log(f"assign:{resource_id}", aid, principal_id)
        return self.directory.render_assignment(a, None)

    @_locked
    def remove_app_role_assignment(
        self, assignment_id: str, *, resource_id: str | None = None, principal_id: str | None = None
    ) -> None:
        a = self.directory.assignments.get(assignment_id)
        if (
            a is None
            or not self.directory.visible(a)
            or (resource_id is not None and a.resource_id != resource_id)
            or (principal_id is not None and a.principal_id != principal_id)
        ):
            raise not_found(assignment_id)
        self.directory.drop_assignment(a)

    @_locked
    def get_assignment(self, assignment_id: str) -> dict[str, Any] | None:
        a = self.directory.assignments.get(assignment_id)
        return (
            self.directory.render_assignment(a, None) if a and self.directory.visible(a) else None
        )

    # ------------------------------------------------------------------ delete / restore / purge

    @_locked
    def restore(self, object_id: str) -> dict[str, Any]:
        obj = self.directory.deleted.get(object_id)
        if obj is None:
            check_object_id(object_id)
            raise not_found(object_id)
        if obj.kind == "user":
            self.directory.check_upn_free(obj.data["userPrincipalName"], None)
        if obj.kind == "servicePrincipal" and obj.data["appId"] in self.directory.sp_app_ids:
            raise conflict_property("servicePrincipalNames")
        if obj.kind == "application" and obj.data["appId"] in self.directory.app_ids:
            raise conflict_property("appId")
        self.directory.restore(obj)
        return project(obj.kind, obj.data, None, with_type=True)

    @_locked
    def get_deleted(self, object_id: str) -> DirObject | None:
        return self.directory.deleted.get(object_id)

    @_locked
    def permanently_delete(self, object_id: str) -> None:
        obj = self.directory.deleted.get(object_id)
        if obj is None:
            check_object_id(object_id)
            raise not_found(object_id)
        del self.directory.deleted[object_id]
        self.directory.forget(obj)

    def purge_expired(self) -> list[str]:
        """Permanently delete what has been in deleted items for ``retention_days``; the ids."""
        with self._lock:
            return self._purge_due()

    def _purge_due(self) -> list[str]:
        if not self.directory.purge_heap:  # nothing deleted: not even a clock read
            return []
        return self.directory.purge_due(self.clock(), self.settings.retention_days)

    def _soft_delete(self, obj: DirObject) -> None:
        self.directory.soft_delete(obj, self.clock(), self.settings.retention_days)

    def _validate(self, kind: str, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        return validate(
            kind, body, creating=creating, verified_domains=self.settings.verified_domains
        )

    # ------------------------------------------------------------------ listings

    list_objects = _on_directory(listings.list_objects)
    list_related = _on_directory(listings.list_related)
    count_related = _on_directory(listings.count_related)
    list_assignments = _on_directory(listings.list_assignments)
    list_deleted = _on_directory(listings.list_deleted)
    objects_by_ids = _on_directory(listings.objects_by_ids)

    @_locked
    def render(
        self,
        object_id: str,
        select: list[str] | None,
        *,
        with_type: bool = False,
        kind: str | None = None,
    ) -> dict[str, Any]:
        d = self.directory
        obj = d.user_by_key(object_id) if kind == "user" else d.live(object_id, kind)
        if obj is None:
            if kind != "user":
                check_object_id(object_id)
            raise not_found(object_id)
        return project(obj.kind, obj.data, select, with_type=with_type)

    def renderer(
        self,
        select: list[str] | None,
        *,
        with_type: bool = False,
        expand: str | None = None,
        expand_select: list[str] | None = None,
    ) -> Render:
        """How a listing renders each object (``$select``, an expanded manager or members)."""
        return renderer(
            self.directory, select, with_type=with_type, expand=expand, expand_select=expand_select
        )

    # ------------------------------------------------------------------ delta

    @_locked
    def delta(
        self,
        channel: str,
        state: dict[str, Any],
        select: list[str] | None,
        only: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any] | None]:
        """One page of a delta round (see :func:`mock_graph.models.delta.delta`)."""
        return delta.delta(
            self.directory,
            channel,
            state,
            select,
            only,
            page_size=self.settings.delta_page_size,
        )

    # ------------------------------------------------------------------ seed / dump / load

    def seed(
        self, seed: int = 0, users: int = 25, groups: int = 3, tricky: bool = False, **options: Any
    ) -> dict[str, Any]:
        """Add a Faker-generated directory (see ``mock_graph.seeding``); deterministic per seed."""
        with self._lock:
            d = self.directory
            plan = seeding.plan_tenant(
                seed=seed,
                users=users,
                groups=groups,
                tricky=tricky,
                taken=d.upn.__contains__,
                **options,
            )
            # Ids come from the backend's RNG, re-seeded so the same seed on the same tenant
            # gives the same ids (and a second seeding of a non-empty tenant does not collide).
            self._rng = random.Random(f"{seed}:{len(d.objects)}:{len(d.deleted)}")
            verified = self.settings.verified_domains
            if verified and plan.domain.casefold() not in [v.casefold() for v in verified]:
                verified.append(plan.domain)
            now = self.now_iso()

            def add_user(props: dict[str, Any]) -> dict[str, Any]:
                data: dict[str, Any] = {
                    "id": self.new_id(),
                    "businessPhones": [],
                    "userType": "Member",
                    "createdDateTime": now,
                    "deletedDateTime": None,
                }
                data.update(props)
                d.insert("user", data, keep_sorted=False)
                d.log("user", data["id"])
                return data

            created = [add_user(props) for props in plan.users]
            for report, manager in plan.managers:
                d.link_manager(created[report]["id"], created[manager]["id"])
            tricky_users = [add_user(props) for _why, props in plan.tricky]
            d.sorted_ids["user"].sort()
            everyone = created + tricky_users
            groups_out = []
            for planned in plan.groups:
                group = self.create_group(planned.body)
                for index in planned.members:
                    d.link_member(group["id"], everyone[index]["id"])
                groups_out.append(
                    {
                        "id": group["id"],
                        "displayName": group["displayName"],
                        "members": len(planned.members),
                    }
                )
            return {
                "seed": seed,
                "domain": plan.domain,
                "users": [
                    {
                        "id": u["id"],
                        "userPrincipalName": u["userPrincipalName"],
                        "displayName": u["displayName"],
                    }
                    for u in created
                ],
                "groups": groups_out,
                "tricky": [
                    {
                        "id": u["id"],
                        "userPrincipalName": u["userPrincipalName"],
                        "displayName": u["displayName"],
                        "why": why,
                    }
                    for u, (why, _props) in zip(tricky_users, plan.tricky, strict=True)
                ],
            }

    # ------------------------------------------------------------------ identity

    @_locked
    def add_password(
        self, object_id: str, body: Any, *, secret_text: str | None = None
    ) -> dict[str, Any]:
        """``POST /applications/{id}/addPassword``: the new passwordCredential with its
        ``secretText`` (answered this once; only its digest is kept)."""
        obj = self.directory.require(object_id, "application")
        credential, text = new_password_credential(body, self.now(), self._rng, secret_text)
        obj.data["passwordCredentials"] = [*(obj.data.get("passwordCredentials") or []), credential]
        self.client_secrets[credential["keyId"]] = digest(text)
        return {**credential, "secretText": text}

    @_locked
    def remove_password(self, object_id: str, body: Any) -> None:
        """``POST /applications/{id}/removePassword`` with ``{"keyId": ...}``."""
        obj = self.directory.require(object_id, "application")
        if not isinstance(body, dict) or set(body) != {"keyId"} or not is_guid(body["keyId"]):
            raise bad_request(
                "The request body must hold 'keyId', the id of a password credential."
            )
        key_id = str(body["keyId"]).lower()
        kept = [c for c in obj.data.get("passwordCredentials") or [] if c.get("keyId") != key_id]
        if len(kept) == len(obj.data.get("passwordCredentials") or []):
            raise bad_request(f"No password credential with keyId '{key_id}' on this application.")
        obj.data["passwordCredentials"] = kept
        self.client_secrets.pop(key_id, None)

    @_locked
    def get_by_app_id(self, kind: str, app_id: str) -> dict[str, Any] | None:
        """A live application or service principal by appId (a copy), or None."""
        index = self.directory.app_ids if kind == "application" else self.directory.sp_app_ids
        oid = index.get(app_id)
        obj = self.directory.live(oid, kind) if oid else None
        return copy_json(obj.data) if obj else None

    @_locked
    def check_client(self, client_id: str, secret_text: str) -> ClientCheck:
        """How the token endpoint judges a client id and secret: an application of this tenant
        with a service principal here, and a secret made for it that has not expired."""
        d = self.directory
        app_oid = d.app_ids.get(client_id.lower()) or d.app_ids.get(client_id)
        if app_oid is None or d.live(app_oid, "application") is None:
            return ClientCheck.UNKNOWN_CLIENT
        if d.sp_app_ids.get(d.objects[app_oid].data["appId"]) is None:
            return ClientCheck.UNKNOWN_CLIENT
        wanted = digest(secret_text)
        for credential in d.objects[app_oid].data.get("passwordCredentials") or []:
            stored = self.client_secrets.get(str(credential.get("keyId")))
            if stored is not None and same_digest(stored, wanted):
                if is_expired(credential, self.now()):
                    return ClientCheck.EXPIRED_SECRET
                return ClientCheck.OK
        return ClientCheck.INVALID_SECRET

    @_locked
    def granted_roles(self, client_id: str, resource_app_id: str) -> frozenset[str]:
        """Values of the app roles of ``resource_app_id``'s service principal granted (by
        appRoleAssignments) to the service principal of ``client_id``: a token's ``roles``."""
        d = self.directory
        client_sp = d.sp_app_ids.get(client_id.lower()) or d.sp_app_ids.get(client_id)
        resource_sp = d.sp_app_ids.get(resource_app_id)
        if client_sp is None or resource_sp is None:
            return frozenset()
        resource = d.objects[resource_sp].data
        values = {str(r["id"]).lower(): r.get("value") for r in resource.get("appRoles") or []}
        granted = set()
        for aid in d.by_principal.get(client_sp, {}):
            a = d.assignments[aid]
            if a.resource_id == resource_sp and d.visible(a) and values.get(a.app_role_id):
                granted.add(str(values[a.app_role_id]))
        return frozenset(granted)

    @_locked
    def add_first_party_service_principal(
        self, app_id: str, display_name: str, app_roles: list[dict[str, Any]], owner_tenant: str
    ) -> dict[str, Any]:
        """A service principal of an application registered in another tenant (Microsoft's
        own, such as Microsoft Graph): no application object here; idempotent."""
        existing = self.directory.sp_app_ids.get(app_id)
        if existing is not None:
            return copy_json(self.directory.objects[existing].data)
        data: dict[str, Any] = {
            "id": self.new_id(),
            "appId": app_id,
            "displayName": display_name,
            "appDisplayName": display_name,
            "applicationTemplateId": None,
            "appRoles": copy_json(app_roles),
            "appRoleAssignmentRequired": False,
            "accountEnabled": True,
            "servicePrincipalType": "Application",
            "appOwnerOrganizationId": owner_tenant,
            "servicePrincipalNames": [app_id],
            "tags": [],
            "preferredSingleSignOnMode": None,
            "description": None,
            "notes": None,
            "homepage": None,
            "loginUrl": None,
            "createdDateTime": self.now_iso(),
            "deletedDateTime": None,
        }
        return copy_json(self.directory.insert("servicePrincipal", data).data)

    @_locked
    def dump(self) -> dict[str, Any]:
        return {
            "version": 1,
            "tenant_id": self.tenant_id,
            "settings": asdict(self.settings),
            "rng": rng_state(self._rng),
            "client_secrets": dict(self.client_secrets),
            **self.directory.dump(),
        }

    def load(self, state: dict[str, Any]) -> None:
        """Replace the whole tenant with a ``dump()``; malformed input changes nothing."""
        if not isinstance(state, dict) or state.get("version") != 1:
            raise bad_request('Invalid state: expected a dump with "version": 1.')
        try:
            check_state(state)  # the format first: a refused dump never replaces anything
        except JsonInputError as exc:
            raise bad_request(f"Invalid state: {exc}") from exc
        try:
            tenant_id = str(state.get("tenant_id") or self.tenant_id)
            settings = Settings()
            settings.update(state.get("settings") or {})
            rng = random.Random(self._id_seed)
            if state.get("rng") is not None:
                rng.setstate(rng_from(state["rng"]))
            directory = Directory.from_dump(state, settings.retention_days)
            client_secrets = {str(k): str(v) for k, v in state.get("client_secrets", {}).items()}
        except GraphError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise bad_request(f"Invalid state: {type(exc).__name__}: {exc}") from exc
        with self._lock:
            self.tenant_id, self.settings, self._rng = tenant_id, settings, rng
            self.directory = directory
            self.client_secrets = client_secrets
