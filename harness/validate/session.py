"""One validation run's state: the engine's SCIM client pointed at the endpoint, the mapping,
the test objects, and the engine's request sequences the checks share (match, create, read,
update, disable), each built by the engine's own code (``harness.engine.scim_requests``,
``harness.engine.rules``) and sent by its own client (``harness.engine.target``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.engine import rules, scim_requests
from harness.engine.errors import TargetError
from harness.engine.scim_requests import Update
from harness.engine.target import SCIM_JSON, ScimTarget, split_base_address
from harness.http import BorrowedTransport, make_client
from harness.validate.exchanges import Exchange, RecordingTransport
from harness.validate.values import ValueFactory
from harness.validate.verdicts import CheckFailed

__all__ = ["Options", "Session", "TestObject"]

MAX_THROTTLE_RETRIES = 5


@dataclass
class Options:
    """What ``harness validate`` was asked (the command's flags)."""

    url: str
    token: str | None = None
    schema: dict[str, Any] | None = None  # an exported schema; None: the gallery template
    groups: bool | None = None  # None: when the schema maps groups
    dialect: str | None = None  # None: from the URL's flags, as Entra reads the tenant URL
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    seed: int | None = None
    domain: str = "validate.example.com"
    existing_group: str | None = None
    timeout: float = 30.0
    max_wait: float = 120.0  # seconds of Retry-After waits a run may spend in all


@dataclass
class TestObject:
    """A directory object the run provisions, and what it became in the endpoint."""

    kind: str  # User or Group
    object_id: str
    attrs: dict[str, Any]
    target_id: str | None = None
    manager: str | None = None  # the manager's target id
    soft_deleted: bool = False
    created: dict[str, Any] = field(default_factory=dict)  # mapped values sent on create

    @property
    def resource(self) -> str:
        return "Users" if self.kind == "User" else "Groups"

    def state(self) -> tuple[str, dict[str, Any], str | None, bool]:
        return self.object_id, dict(self.attrs), self.manager, self.soft_deleted

    def restore(self, state: tuple[str, dict[str, Any], str | None, bool]) -> None:
        self.object_id, self.attrs, self.manager, self.soft_deleted = state


class Session:
    def __init__(
        self,
        options: Options,
        transport: httpx.BaseTransport,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = options
        self.sleep = sleep
        base, _ = split_base_address(options.url)
        self.base = base
        self.dialect = options.dialect or rules.dialect_of(options.url)
        self.app_name = urlsplit(base).hostname or "the app"
        self.recorder = RecordingTransport(transport)
        self.target = ScimTarget(
            self.recorder,
            options.url,
            options.token,
            self.app_name,
            timeout=options.timeout,
            on_throttle=self._on_throttle,
        )
        headers = {"Accept": SCIM_JSON}
        if options.token:
            headers["Authorization"] = f"Bearer {options.token}"
        self.raw = make_client(
            transport=BorrowedTransport(self.recorder), headers=headers, timeout=options.timeout
        )
        self.schema: rules.Schema = rules.load(options.schema or rules.template.miro_template())
        self.dropped: list[str] = []  # mapped attributes /Schemas does not declare
        self.declared: set[str] | None = None  # what /Schemas declares, when it answers
        self.schemas_exchange: Exchange | None = None
        self.groups_on = False
        self.values = ValueFactory(self.schema, options.seed, options.domain, options.values)
        self.objects: dict[str, TestObject] = {}
        self.cleanup: list[TestObject] = []
        self.waited = 0.0
        self.throttled = 0
        # Set by the runner: make sure another check has passed (or run it as a setup step).
        self.require: Callable[[str], None] = lambda check_id: None

    def use_schema(self, schema_json: dict[str, Any]) -> None:
        self.schema = rules.load(schema_json)
        self.values = ValueFactory(
            self.schema, self.options.seed, self.options.domain, self.options.values
        )

    def close(self) -> None:
        self.raw.close()
        self.target.close()

    # -- the mapping -------------------------------------------------------------------

    @property
    def user_mapping(self) -> rules.ObjectMapping:
        return rules.user_mapping(self.schema)

    @property
    def group_mapping(self) -> rules.ObjectMapping | None:
        mapping = rules.group_mapping(self.schema)
        return mapping if mapping is not None and rules.enabled(mapping) else None

    def mapping(self, kind: str) -> rules.ObjectMapping:
        mapping = self.user_mapping if kind == "User" else self.group_mapping
        assert mapping is not None  # group checks run only when groups are mapped
        return mapping

    def exact(self, kind: str) -> set[str] | None:
        return rules.case_exact(self.schema, self.mapping(kind))

    # -- throttling (Entra honours Retry-After) ----------------------------------------

    def _on_throttle(self, retry_after: float | None, retries: int) -> bool:
        # Without Retry-After (Miro sends none) the wait doubles, as the engine's does:
        # 1 + 2 + 4 + 8 + 16 s outlasts Miro's 30-second window.
        wait = retry_after if retry_after is not None else 2.0**retries
        if retries >= MAX_THROTTLE_RETRIES or self.waited + wait > self.options.max_wait:
            return False
        self.sleep(wait)
        self.waited += wait
        self.throttled += 1
        return True

    def send(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        """A request Entra's engine does not send (discovery, paging, null values), with the
        engine's headers; answers 429 are waited out like the engine's."""
        headers = {"Content-Type": SCIM_JSON} if body is not None else {}
        retries = 0
        while True:
            response = self.raw.request(
                method,
                self.base + path,
                params=tuple(params) if params else None,
                json=body,
                headers=headers,
            )
            if response.status_code != 429:
                return response
            after = response.headers.get("Retry-After")
            try:
                wait = float(after) if after is not None else None
            except ValueError:
                wait = None
            if not self._on_throttle(wait, retries):
                return response
            retries += 1

    # -- objects -----------------------------------------------------------------------

    def new_user(self, role: str, *, minimal: bool = False) -> TestObject:
        """A fresh directory user (``minimal``: only the matching attributes have values)."""
        only = None
        if minimal:
            only = {
                name.casefold()
                for attr in self.user_mapping.matching_mappings()
                if attr.is_mapped
                for name in attr.expression.attributes
            }
        user = TestObject("User", self.values.guid(), self.values.user(only=only))
        self.objects[role] = user
        return user

    def new_group(self, role: str) -> TestObject:
        group = TestObject("Group", self.values.guid(), self.values.group())
        self.objects[role] = group
        return group

    def source(self, obj: TestObject) -> dict[str, Any]:
        if obj.kind == "User":
            return scim_requests.user_source(
                obj.attrs,
                obj.object_id,
                soft_deleted=obj.soft_deleted,
                manager_target=obj.manager,
                app_role_values=[],
            )
        return scim_requests.group_source(obj.attrs, obj.object_id, deleted=obj.soft_deleted)

    # -- the engine's request sequences --------------------------------------------------

    def matching_pairs(self, obj: TestObject) -> list[tuple[str, Any]]:
        return rules.matching_values(self.mapping(obj.kind), self.source(obj))

    def match(self, obj: TestObject) -> tuple[str, Any, list[dict[str, Any]]] | None:
        """The engine's matching: one filter query per matching attribute, in priority order,
        until one finds something: ``(attribute, value, what it found)``; None when nothing
        matches (several found is ``DuplicateTargetEntries`` in Entra)."""
        for attribute, value in self.matching_pairs(obj):
            found = self.target.query(
                obj.resource, attribute, value, exclude_members=obj.kind == "Group"
            )
            if found:
                return attribute, value, found
        return None

    def create(self, obj: TestObject) -> dict[str, Any]:
        """Entra's create: match first, then POST the mapped values; the object is deleted at the
        end of the run."""
        matched = self.match(obj)
        if matched is not None:
            attribute, value, found = matched
            raise CheckFailed(
                f"the matching query {attribute} eq {value!r} found {len(found)} "
                f"{obj.resource.lower()} for a {obj.kind.lower()} that does not exist yet (is "
                "the filter ignored?)",
                production=f"Entra links the new {obj.kind.lower()} to the object found instead "
                "of creating it (several found: DuplicateTargetEntries, nothing is provisioned).",
            )
        mapping = self.mapping(obj.kind)
        if obj.kind == "User":
            mapped, body = scim_requests.user_create(mapping, self.source(obj))
        else:
            mapped, body = scim_requests.group_create(mapping, self.source(obj))
        created = self.target.create(obj.resource, body)
        obj.target_id = str(created["id"])
        obj.created = mapped
        self.cleanup.append(obj)
        return created

    def read(self, obj: TestObject) -> dict[str, Any]:
        assert obj.target_id is not None
        return self.target.get(obj.resource, obj.target_id, exclude_members=obj.kind == "Group")

    def update(
        self, obj: TestObject, *, manager_removed: bool = False
    ) -> tuple[Update, dict[str, Any]]:
        """Entra's update: read the object, PATCH what differs. ``(the update, the object as
        read before)``; no request when nothing differs."""
        current = self.read(obj)
        update = self.planned(obj, current, manager_removed=manager_removed)
        if update.body is not None:
            assert obj.target_id is not None
            self.target.patch(obj.resource, obj.target_id, update.body)
        return update, current

    def planned(
        self, obj: TestObject, current: dict[str, Any], *, manager_removed: bool = False
    ) -> Update:
        """What Entra would send for ``obj`` given the object as the endpoint shows it."""
        mapping = self.mapping(obj.kind)
        if obj.kind == "User":
            return scim_requests.user_update(
                mapping,
                self.source(obj),
                current,
                self.dialect,
                self.exact("User"),
                manager_removed=manager_removed,
                base_address=self.options.url,
            )
        return scim_requests.group_update(
            mapping, self.source(obj), current, self.dialect, self.exact("Group")
        )

    def settled(self, obj: TestObject, *, manager_removed: bool = False) -> dict[str, Any]:
        """Read the object back; the attributes Entra's next cycle would still PATCH (empty
        when the endpoint kept what it was sent)."""
        current = self.read(obj)
        update = self.planned(obj, current, manager_removed=manager_removed)
        pending = dict(update.changes)
        pending.update(dict.fromkeys(update.removals))
        return pending

    def delete(self, obj: TestObject) -> None:
        assert obj.target_id is not None
        self.target.delete(obj.resource, obj.target_id)
        if obj in self.cleanup:
            self.cleanup.remove(obj)

    def clean_up(self) -> None:
        """Delete what the run created and still exists (users after groups); errors ignored."""
        for obj in sorted(self.cleanup, key=lambda o: o.kind != "Group"):
            try:
                self.delete(obj)
            except (TargetError, httpx.HTTPError):
                continue
        self.cleanup.clear()
