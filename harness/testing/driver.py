"""The scenario driver: what scenarios do all day, in a few readable calls.

>>> d = Driver(lab)
>>> d.add_user("alice", department="Design")
>>> d.assign("alice", role="User")
>>> d.sync()                                    # start the job, run the initial cycle
>>> d.expect_miro_user("alice@contoso.com", active=True)
>>> d.expect_log("alice", action="create", status="success")

Everything goes over HTTP, through the lab's two clients: Graph (directory, synchronization
API, provisioning logs, the harness's ``/_fake/clock`` and ``/_fake/engine``) and Miro (SCIM API
and its ``/_fake/`` control plane). Nothing reaches into in-process objects, so a scenario runs
unchanged whether the lab is in-process, on threads or in a container.

Objects are named: ``add_user("alice")`` creates ``alice@contoso.com`` and remembers "alice";
later calls take the name, the UPN or the object id. Failed ``expect_*`` calls raise an
``AssertionError`` that shows expected against actual and the object's provisioning-log lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from harness.testing.compare import MISSING, compact, differences, log_mismatches
from harness.testing.readers import (
    SCIM_PREFIX,
    MiroRequest,
    describe_entry,
    from_engine,
    is_probe,
    source_filter,
    status_fields,
)

DEFAULT_DOMAIN = "contoso.com"
DEFAULT_ACCESS = "Default Access"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class LabLike(Protocol):
    """What the driver needs from a lab, whatever its backend."""

    graph_client: httpx.Client
    miro_client: httpx.Client
    service_principal_id: str
    job_id: str


class HarnessHTTPError(AssertionError):
    """A set-up call the scenario relied on was refused (shows method, URL, status, body)."""


def ok(response: httpx.Response, *expected: int) -> httpx.Response:
    allowed = expected or (200, 201, 202, 204)
    if response.status_code not in allowed:
        raise HarnessHTTPError(
            f"{response.request.method} {response.request.url} -> {response.status_code}: "
            f"{response.text[:800]}"
        )
    return response


@dataclass
class Driver:
    """Readable helpers over one lab's HTTP clients."""

    lab: LabLike
    domain: str = DEFAULT_DOMAIN
    names: dict[str, str] = field(default_factory=dict)  # name -> Graph object id
    kinds: dict[str, str] = field(default_factory=dict)  # Graph object id -> "user" | "group"
    _mark: int = 0
    _roles: dict[str, str] | None = None
    _rule_id: str | None = None

    # -- the lab's clients and paths -------------------------------------------------------

    @property
    def graph(self) -> httpx.Client:
        return self.lab.graph_client

    @property
    def miro(self) -> httpx.Client:
        return self.lab.miro_client

    @property
    def sp_path(self) -> str:
        return f"/v1.0/servicePrincipals/{self.lab.service_principal_id}"

    @property
    def sync_path(self) -> str:
        return f"{self.sp_path}/synchronization"

    @property
    def job_path(self) -> str:
        return f"{self.sync_path}/jobs/{self.lab.job_id}"

    # -- naming ----------------------------------------------------------------------------

    def id(self, ref: str) -> str:
        """The Graph object id for a name, a UPN, a group display name or an id."""
        if ref in self.names:
            return self.names[ref]
        if _GUID.match(ref):
            return ref
        if "@" in ref:
            response = self.graph.get(f"/v1.0/users/{ref}")
            if response.status_code == 200:
                return str(response.json()["id"])
        quoted = ref.replace("'", "''")  # OData string literal
        response = ok(
            self.graph.get("/v1.0/groups", params={"$filter": f"displayName eq '{quoted}'"})
        )
        found = response.json().get("value") or []
        if len(found) == 1:
            return str(found[0]["id"])
        raise KeyError(f"no user or group called {ref!r} in this lab (known: {sorted(self.names)})")

    def name_of(self, object_id: str) -> str:
        for name, oid in self.names.items():
            if oid == object_id:
                return name
        return object_id

    def _remember(self, name: str, object_id: str, kind: str) -> str:
        self.names[name] = object_id
        self.kinds[object_id] = kind
        return object_id

    # -- the directory ---------------------------------------------------------------------

    def upn(self, name: str) -> str:
        return name if "@" in name else f"{name}@{self.domain}"

    def add_user(self, name: str, **attributes: Any) -> str:
        """A Graph user; ``name`` "alice" gives alice@<domain>. Any Graph attribute may be set."""
        body = self.user_body(name, **attributes)
        created = ok(self.graph.post("/v1.0/users", json=body), 201).json()
        return self._remember(name, str(created["id"]), "user")

    def user_body(self, name: str, **attributes: Any) -> dict[str, Any]:
        """The ``POST /v1.0/users`` body ``add_user`` sends."""
        local = name.split("@")[0]
        given = local.split(".")[0].capitalize()
        body: dict[str, Any] = {
            "accountEnabled": True,
            "displayName": f"{given} Example",
            "givenName": given,
            "surname": "Example",
            # Graph refuses @ ( ) \ [ ] " ; : . < > , and spaces in mailNickname.
            "mailNickname": re.sub(r"[^A-Za-z0-9_-]", "", local) or "user",
            "userPrincipalName": self.upn(name),
            "mail": self.upn(name),
            "passwordProfile": {"password": "Passw0rd!Passw0rd"},
        }
        body.update(attributes)
        return body

    def update_user(self, user: str, **changes: Any) -> None:
        ok(self.graph.patch(f"/v1.0/users/{self.id(user)}", json=changes), 204)

    def disable(self, user: str) -> None:
        """Block sign-in (``accountEnabled`` false)."""
        self.update_user(user, accountEnabled=False)

    def enable(self, user: str) -> None:
        self.update_user(user, accountEnabled=True)

    def soft_delete(self, user: str) -> None:
        """Delete the user: it goes to the recycle bin (deleted items) for 30 days."""
        ok(self.graph.delete(f"/v1.0/users/{self.id(user)}"), 204)

    def restore(self, user: str) -> None:
        ok(self.graph.post(f"/v1.0/directory/deletedItems/{self.id(user)}/restore"))

    def hard_delete(self, user: str) -> None:
        """Soft delete (if not done yet), then purge from the recycle bin."""
        oid = self.id(user)
        if self.graph.get(f"/v1.0/users/{oid}").status_code == 200:
            self.soft_delete(oid)
        ok(self.graph.delete(f"/v1.0/directory/deletedItems/{oid}"), 204)

    def add_group(self, name: str, *members: str, **attributes: Any) -> str:
        body: dict[str, Any] = {
            "displayName": name,
            "mailEnabled": False,
            "mailNickname": re.sub(r"[^A-Za-z0-9]", "", name).lower() or "group",
            "securityEnabled": True,
        }
        body.update(attributes)
        created = ok(self.graph.post("/v1.0/groups", json=body), 201).json()
        gid = self._remember(name, str(created["id"]), "group")
        for member in members:
            self.add_member(gid, member)
        return gid

    def add_member(self, group: str, member: str) -> None:
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{self.id(member)}"}
        ok(self.graph.post(f"/v1.0/groups/{self.id(group)}/members/$ref", json=ref), 204)

    def remove_member(self, group: str, member: str) -> None:
        ok(self.graph.delete(f"/v1.0/groups/{self.id(group)}/members/{self.id(member)}/$ref"), 204)

    def rename_group(self, group: str, new_name: str) -> None:
        gid = self.id(group)
        ok(self.graph.patch(f"/v1.0/groups/{gid}", json={"displayName": new_name}), 204)
        self.names[new_name] = gid

    def delete_group(self, group: str) -> None:
        ok(self.graph.delete(f"/v1.0/groups/{self.id(group)}"), 204)

    def seed_directory(self, seed: int = 0, users: int = 25, groups: int = 3) -> dict[str, Any]:
        """Faker-generated users and groups (``POST /_fake/seed`` on Graph)."""
        return dict(
            ok(
                self.graph.post(
                    "/_fake/seed", json={"seed": seed, "users": users, "groups": groups}
                )
            ).json()
        )

    # -- assignments -----------------------------------------------------------------------

    def roles(self) -> dict[str, str]:
        """The app's roles, display name -> id (read once from the service principal)."""
        if self._roles is None:
            sp = ok(self.graph.get(self.sp_path)).json()
            self._roles = {r["displayName"]: r["id"] for r in sp.get("appRoles") or []}
            self._roles.setdefault(DEFAULT_ACCESS, "00000000-0000-0000-0000-000000000000")
        return self._roles

    def assign(self, principal: str, role: str = "User") -> str:
        """Assign a user or group to Miro with the app role of that display name."""
        roles = self.roles()
        if role not in roles:
            raise KeyError(f"Miro has no app role {role!r}; its roles: {sorted(roles)}")
        body = {
            "principalId": self.id(principal),
            "resourceId": self.lab.service_principal_id,
            "appRoleId": roles[role],
        }
        created = ok(self.graph.post(f"{self.sp_path}/appRoleAssignedTo", json=body), 201).json()
        return str(created["id"])

    def assignments(self, principal: str | None = None) -> list[dict[str, Any]]:
        found = ok(self.graph.get(f"{self.sp_path}/appRoleAssignedTo")).json().get("value") or []
        if principal is None:
            return list(found)
        pid = self.id(principal)
        return [a for a in found if a.get("principalId") == pid]

    def unassign(self, principal: str, role: str | None = None) -> None:
        """Remove the principal's assignments to Miro (only the given role's, if named)."""
        wanted = self.roles()[role] if role else None
        removed = 0
        for assignment in self.assignments(principal):
            if wanted is None or assignment.get("appRoleId") == wanted:
                ok(self.graph.delete(f"{self.sp_path}/appRoleAssignedTo/{assignment['id']}"), 204)
                removed += 1
        if not removed:
            raise AssertionError(f"{principal!r} has no assignment to remove")

    # -- the job: configuration ------------------------------------------------------------

    def set_secrets(self, **pairs: str | bool) -> None:
        """Set some secrets, keeping the others; booleans are written "True"/"False". Graph's
        ``PUT .../synchronization/secrets`` replaces the whole set, so the current set (unmasked,
        from ``GET /_fake/engine/secrets/{spId}``) is sent back with ``pairs`` applied."""
        path = f"/_fake/engine/secrets/{self.lab.service_principal_id}"
        merged = {p["key"]: p["value"] for p in ok(self.graph.get(path)).json()["value"]}
        for key, value in pairs.items():
            merged[key] = ("True" if value else "False") if isinstance(value, bool) else value
        values = [{"key": k, "value": v} for k, v in merged.items()]
        ok(self.graph.put(f"{self.sync_path}/secrets", json={"value": values}), 204)

    def secrets(self) -> dict[str, str]:
        """The job's secrets as Graph shows them (tokens masked)."""
        found = ok(self.graph.get(f"{self.sync_path}/secrets")).json().get("value") or []
        return {p["key"]: p["value"] for p in found}

    def job_base_address(self) -> str:
        """The tenant URL (``BaseAddress``) without any query string."""
        return self.secrets().get("BaseAddress", "").split("?")[0]

    def sync_all(self, on: bool = True) -> None:
        self.set_secrets(SyncAll=on)

    def skip_out_of_scope_deletions(self, on: bool = True) -> None:
        self.set_secrets(SkipOutOfScopeDeletions=on)

    def set_engine(self, **settings: Any) -> dict[str, Any]:
        """Engine settings (``PUT /_fake/engine/settings``), e.g. ``skip_default_access=False``."""
        return dict(ok(self.graph.put("/_fake/engine/settings", json=settings)).json())

    def set_job_settings(self, **settings: Any) -> None:
        """Job settings such as ``QuarantineTooManyDeletesThreshold=5`` (PATCH the job)."""
        body = {
            "synchronizationJobSettings": [
                {"name": k, "value": str(v)} for k, v in settings.items()
            ]
        }
        ok(self.graph.patch(self.job_path, json=body), 204)

    def schema(self) -> dict[str, Any]:
        return dict(ok(self.graph.get(f"{self.job_path}/schema")).json())

    def put_schema(self, schema: dict[str, Any]) -> None:
        ok(self.graph.put(f"{self.job_path}/schema", json=schema), 204)

    @contextmanager
    def edit_schema(self) -> Iterator[dict[str, Any]]:
        """GET the schema, let the block change it, PUT it back (a new initial cycle follows)."""
        schema = self.schema()
        yield schema
        self.put_schema(schema)

    @staticmethod
    def object_mapping(schema: dict[str, Any], source_object: str) -> dict[str, Any]:
        for rule in schema.get("synchronizationRules") or []:
            for mapping in rule.get("objectMappings") or []:
                if str(mapping.get("sourceObjectName", "")).casefold() == source_object.casefold():
                    return mapping
        raise KeyError(f"the schema has no object mapping for {source_object!r}")

    def set_flows(self, source_object: str, flows: str) -> None:
        """Target Object Actions, e.g. ``set_flows("Group", "Update")`` as Miro's tutorial says."""
        with self.edit_schema() as schema:
            self.object_mapping(schema, source_object)["flowTypes"] = flows

    def set_scoping(
        self, source_object: str, *filters: list[tuple[str, str, Any]], name: str = "scope"
    ) -> None:
        """Scoping filters: each filter is a list of ``(attribute, operator, value)`` clauses
        (AND-ed); several filters are OR-ed. No filters clears scoping."""
        groups = []
        for i, clauses in enumerate(filters):
            groups.append(
                {
                    "name": f"{name} {i + 1}",
                    "clauses": [
                        {
                            "operatorName": op,
                            "sourceOperandName": attr,
                            "targetOperand": {
                                "values": []
                                if value is None
                                else [
                                    str(v) for v in (value if isinstance(value, list) else [value])
                                ]
                            },
                        }
                        for attr, op, value in clauses
                    ],
                }
            )
        with self.edit_schema() as schema:
            self.object_mapping(schema, source_object)["scope"] = (
                {"groups": groups} if groups else None
            )

    def map_attribute(
        self, source_object: str, target: str, expression: str | None, **extra: Any
    ) -> None:
        """Set (or with ``expression=None`` remove) the mapping that feeds ``target``."""
        with self.edit_schema() as schema:
            mapping = self.object_mapping(schema, source_object)
            attrs = mapping.setdefault("attributeMappings", [])
            kept = [a for a in attrs if a.get("targetAttributeName") != target]
            if expression is not None:
                old: dict[str, Any] = next(
                    (a for a in attrs if a.get("targetAttributeName") == target), {}
                )
                new = {
                    "defaultValue": None,
                    "exportMissingReferences": False,
                    "flowBehavior": "FlowWhenChanged",
                    "flowType": "Always",
                    "matchingPriority": 0,
                    **{k: v for k, v in old.items() if k != "source"},
                    "targetAttributeName": target,
                    "source": _source(expression),
                }
                new.update(extra)
                kept.append(new)
            mapping["attributeMappings"] = kept

    # -- the job: running ------------------------------------------------------------------

    def start(self) -> None:
        ok(self.graph.post(f"{self.job_path}/start"), 204)

    def pause(self) -> None:
        ok(self.graph.post(f"{self.job_path}/pause"), 204)

    def restart(self, reset_scope: str | None = None) -> None:
        body = {"criteria": {"resetScope": reset_scope}} if reset_scope else {}
        ok(self.graph.post(f"{self.job_path}/restart", json=body), 204)

    def advance(self, duration: str | int = "40m") -> list[dict[str, Any]]:
        """Move the virtual clock; every cycle that falls due runs. Returns their summaries."""
        body = ok(self.graph.post("/_fake/clock", json={"advance": duration})).json()
        return list(body.get("cycles") or [])

    def sync(self) -> list[dict[str, Any]]:
        """Start the job and run what is due now (the initial cycle on a fresh job)."""
        self.start()
        return self.advance("0")

    def next_cycle(self) -> list[dict[str, Any]]:
        """Advance one cycle interval (40 minutes)."""
        return self.advance("40m")

    def provision_on_demand(self, subject: str, *members: str) -> httpx.Response:
        """``POST .../provisionOnDemand`` for a user, or a group with up to five members."""
        oid = self.id(subject)
        kind = self.kinds.get(oid) or self.kind_in_graph(oid)
        rule = self.rule_id()
        subjects: list[dict[str, Any]] = [
            {"objectId": oid, "objectTypeName": "Group" if kind == "group" else "User"}
        ]
        if members:
            subjects[0]["links"] = {
                "members": [{"objectId": self.id(m), "objectTypeName": "User"} for m in members]
            }
        body = {"parameters": [{"ruleId": rule, "subjects": subjects}]}
        return self.graph.post(f"{self.job_path}/provisionOnDemand", json=body)

    def kind_in_graph(self, oid: str) -> str:
        """The object's kind as Graph answers it, ``"user"`` or ``"group"`` (not remembered)."""
        found = ok(self.graph.get(f"/v1.0/directoryObjects/{oid}")).json()
        return "group" if str(found.get("@odata.type", "")).endswith(".group") else "user"

    def rule_id(self) -> str:
        if self._rule_id is None:
            rules = self.schema().get("synchronizationRules") or [{}]
            self._rule_id = str(rules[0].get("id", ""))
        return self._rule_id

    def validate_credentials(self, **credentials: str) -> httpx.Response:
        body: dict[str, Any] = {"useSavedCredentials": not credentials}
        if credentials:
            body["credentials"] = [{"key": k, "value": v} for k, v in credentials.items()]
        return self.graph.post(f"{self.job_path}/validateCredentials", json=body)

    # -- the job: reading ------------------------------------------------------------------

    def job(self) -> dict[str, Any]:
        return dict(ok(self.graph.get(self.job_path)).json())

    def outbox(self) -> list[dict[str, Any]]:
        """The notification e-mails the admin would have got (``GET /_fake/outbox`` on Graph)."""
        return list(ok(self.graph.get("/_fake/outbox")).json().get("messages") or [])

    def connections(self) -> dict[str, Any]:
        """The job's links, escrows and watermarks (``GET /_fake/engine/jobs/{id}/connections``)."""
        return dict(ok(self.graph.get(f"/_fake/engine/jobs/{self.lab.job_id}/connections")).json())

    def status(self) -> dict[str, Any]:
        return dict(self.job().get("status") or {})

    def logs(self, obj: str | None = None, filter: str | None = None) -> list[dict[str, Any]]:
        """Provisioning-log entries, oldest first: all, or those of one user or group."""
        clauses = [source_filter(self.id(obj))] if obj else []
        if filter:
            clauses.append(filter)
        params = {"$orderby": "activityDateTime asc", "$top": "1000"}
        if clauses:
            params["$filter"] = " and ".join(clauses)
        response = ok(self.graph.get("/v1.0/auditLogs/provisioning", params=params))
        entries: list[dict[str, Any]] = []
        while True:
            body = response.json()
            entries.extend(body.get("value") or [])
            link = body.get("@odata.nextLink")
            if not link:
                return entries
            response = ok(self.graph.get(link))

    def last_log(self, obj: str) -> dict[str, Any]:
        entries = self.logs(obj)
        if not entries:
            raise AssertionError(f"no provisioning-log entry for {obj!r}\n" + self._context(obj))
        return entries[-1]

    # -- Miro ------------------------------------------------------------------------------

    def miro_settings(self, **settings: Any) -> dict[str, Any]:
        """Change the Miro fake's settings; after a new ``token`` the lab's own client uses it
        too (only the engine keeps the stale one, as Entra would)."""
        current = dict(ok(self.miro.put("/_fake/settings", json=settings)).json())
        if "token" in settings and isinstance(current.get("token", settings["token"]), str):
            self.miro.headers["Authorization"] = f"Bearer {current.get('token', settings['token'])}"
        return current

    def miro_teams(self, *names: str) -> dict[str, str]:
        """Create Miro teams (SCIM cannot); returns every team, name -> id."""
        if names:
            ok(self.miro.post("/_fake/seed", json={"seed": 0, "users": 0, "teams": list(names)}))
        teams = ok(
            self.miro.get(
                f"{SCIM_PREFIX}/Groups", params={"excludedAttributes": "members", "count": "1000"}
            )
        ).json()
        return {t["displayName"]: t["id"] for t in teams.get("Resources") or []}

    def miro_add_user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        """A user already in Miro before provisioning (created through SCIM by the lab)."""
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            **attributes,
        }
        return dict(ok(self.miro.post(f"{SCIM_PREFIX}/Users", json=body), 201).json())

    def miro_user(self, user_name: str) -> dict[str, Any] | None:
        """The Miro user with this userName (case-insensitive, as Miro compares), or None."""
        user_name = self.upn(user_name) if "@" not in user_name else user_name
        found = ok(
            self.miro.get(
                f"{SCIM_PREFIX}/Users", params={"filter": f"userName eq {_scim_string(user_name)}"}
            )
        ).json()
        resources = found.get("Resources") or []
        return dict(resources[0]) if resources else None

    def token_owner(self) -> dict[str, Any] | None:
        """The Miro admin who owns the SCIM token: every fresh organisation holds them (the
        fake's ``token_owner`` setting), and the engine must leave them alone."""
        owner = ok(self.miro.get("/_fake/settings")).json().get("token_owner")
        return self.miro_user(owner) if isinstance(owner, str) else None

    def miro_users(self, *, with_token_owner: bool = False) -> dict[str, dict[str, Any]]:
        """Miro's users by userName, all pages. The SCIM token's owner (see
        :meth:`token_owner`) is left out unless asked for: expectations are about the users
        the engine or the test put there."""
        users = self._all_miro_users()
        owner = ok(self.miro.get("/_fake/settings")).json().get("token_owner")
        if with_token_owner or not isinstance(owner, str):
            return users
        return {name: u for name, u in users.items() if name.lower() != owner.lower()}

    def _all_miro_users(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        start = 1
        while True:
            page = ok(
                self.miro.get(
                    f"{SCIM_PREFIX}/Users", params={"startIndex": str(start), "count": "1000"}
                )
            ).json()
            resources = page.get("Resources") or []
            out.update({u["userName"]: u for u in resources})
            start += len(resources)
            if not resources or start > int(page.get("totalResults", 0)):
                return out

    def miro_team(self, name: str) -> dict[str, Any] | None:
        found = ok(
            self.miro.get(
                f"{SCIM_PREFIX}/Groups", params={"filter": f"displayName eq {_scim_string(name)}"}
            )
        ).json()
        resources = found.get("Resources") or []
        return dict(resources[0]) if resources else None

    def team_members(self, name: str) -> set[str]:
        """The userNames of a Miro team's members."""
        team = self.miro_team(name)
        if team is None:
            raise AssertionError(f"Miro has no team {name!r}; teams: {sorted(self.miro_teams())}")
        by_id = {u["id"]: n for n, u in self._all_miro_users().items()}
        return {by_id.get(m["value"], m["value"]) for m in team.get("members") or []}

    def fault(self, method: str, path: str, status: int, **options: Any) -> str:
        """Inject a Miro fault (``POST /_fake/faults``); ``path`` is a regex on the full path."""
        spec = {"method": method, "path": path, "status": status, **options}
        return str(ok(self.miro.post("/_fake/faults", json=spec)).json().get("id", ""))

    def clear_faults(self) -> None:
        ok(self.miro.delete("/_fake/faults"))

    def miro_state(self) -> dict[str, Any]:
        return dict(ok(self.miro.get("/_fake/state")).json())

    def journal(self) -> list[dict[str, Any]]:
        return list(ok(self.miro.get("/_fake/journal")).json().get("requests") or [])

    def mark(self) -> None:
        """From now on, ``requests()`` shows only what Miro receives after this point."""
        self._mark = len(self.journal())

    def requests(self, since_mark: bool = True) -> list[MiroRequest]:
        """What Miro received from the engine (the lab's own calls left out)."""
        raw = self.journal()
        if since_mark:
            raw = raw[self._mark :]
        return [MiroRequest.from_journal(r) for r in raw if from_engine(r)]

    def writes(self, since_mark: bool = True) -> list[MiroRequest]:
        return [r for r in self.requests(since_mark) if r.method != "GET"]

    # -- expectations (readable failures) --------------------------------------------------

    def expect_miro_user(self, user_name: str, **expected: Any) -> dict[str, Any]:
        """The Miro user exists and has these values (dotted paths, or ``department``,
        ``givenName``, ``familyName``, ``email``)."""
        user = self.miro_user(user_name)
        if user is None:
            raise AssertionError(
                f"Miro has no user {user_name!r}; it has {sorted(self.miro_users())}\n"
                + self._context(user_name)
            )
        problems = differences(user, expected)
        if problems:
            raise AssertionError(
                f"Miro user {user_name!r} is not as expected:\n  "
                + "\n  ".join(problems)
                + "\nactual: "
                + compact(user)
                + "\n"
                + self._context(user_name)
            )
        return user

    def expect_no_miro_user(self, user_name: str) -> None:
        user = self.miro_user(user_name)
        if user is not None:
            raise AssertionError(
                f"Miro should have no user {user_name!r}, but has:\n"
                + compact(user)
                + "\n"
                + self._context(user_name)
            )

    def expect_team_members(self, team: str, expected: set[str]) -> None:
        actual = self.team_members(team)
        want = {self.upn(u) for u in expected}
        if actual != want:
            raise AssertionError(
                f"Miro team {team!r}: members differ\n  missing: {sorted(want - actual)}\n"
                f"  unexpected: {sorted(actual - want)}\n" + self._context(team)
            )

    def expect_log(self, obj: str, latest: bool = True, **expected: Any) -> dict[str, Any]:
        """The object's latest log entry (or, with ``latest=False``, any entry) has these
        fields: ``action``, ``status``, ``skip_reason``, ``error_code``, ``step`` (a step
        name present), ``modified`` (a dict name -> (old, new)), ``description`` (substring of
        the last step's description)."""
        entries = self.logs(obj)
        candidates = entries[-1:] if latest else entries
        for entry in reversed(candidates):
            if not log_mismatches(entry, expected):
                return entry
        detail = log_mismatches(entries[-1], expected) if entries else ["no entry at all"]
        raise AssertionError(
            f"no {'latest ' if latest else ''}provisioning-log entry for {obj!r} with {expected}:\n  "
            + "\n  ".join(detail)
            + "\n"
            + self._context(obj)
        )

    def expect_status(self, **expected: Any) -> dict[str, Any]:
        """Job status fields: ``code``, ``quarantine_reason``, ``quarantine_since`` (the series
        start), ``last_state`` (of lastExecution),
        ``escrowed`` (countEscrowed), or any top-level status key."""
        status = self.status()
        actual = status_fields(status)
        problems = []
        for key, want in expected.items():
            got = actual[key] if key in actual else status.get(key, MISSING)
            if got != want:
                problems.append(f"{key}: expected {want!r}, got {got!r}")
        if problems:
            raise AssertionError(
                "job status is not as expected:\n  "
                + "\n  ".join(problems)
                + "\nstatus: "
                + json.dumps(status, indent=1)[:2000]
            )
        return status

    def _context(self, obj: str | None) -> str:
        """The provisioning-log lines and the engine's last requests, for failure messages."""
        out: list[str] = []
        try:
            entries = self.logs(obj) if obj and _known(self, obj) else self.logs()
            title = (
                f"provisioning log for {obj!r}" if obj and _known(self, obj) else "provisioning log"
            )
            out.append(f"{title} ({len(entries)} entries, last 12):")
            out += ["  " + describe_entry(e) for e in entries[-12:]] or ["  (none)"]
            requests = [r for r in self.requests(since_mark=False) if not is_probe(r)]
            out.append(
                f"requests Miro received from the engine, probes left out ({len(requests)}, last 12):"
            )
            out += [f"  {r.status} {r.line}" for r in requests[-12:]] or ["  (none)"]
        except Exception as exc:  # context is best effort; never hide the real failure
            out.append(f"(could not read context: {exc})")
        return "\n".join(out)


def _known(driver: Driver, obj: str) -> bool:
    try:
        driver.id(obj)
    except (KeyError, AssertionError):
        return False
    return True


def _scim_string(value: str) -> str:
    """A SCIM filter string literal (JSON string rules: quotes and backslashes escaped)."""
    return json.dumps(value)


def _source(expression: str) -> dict[str, Any]:
    """An ``attributeMappingSource`` for an expression (the engine parses ``expression``)."""
    simple = re.fullmatch(r"\[([^\]]+)\]", expression.strip())
    if simple:
        return {
            "expression": expression,
            "name": simple.group(1),
            "parameters": [],
            "type": "Attribute",
        }
    return {
        "expression": expression,
        "name": expression.split("(")[0].strip(),
        "parameters": [],
        "type": "Function",
    }
