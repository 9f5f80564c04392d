"""One provisioning cycle (reference §1.2, §1.3, §3, §9.2-9.3).

import -> scoping -> matching -> processing -> export, per object, users first, then groups and
their memberships (members are target ids, so users must be resolved first). Initial cycles
start new Graph delta rounds (a full enumeration); incremental cycles follow the stored delta
links, so they cost O(changes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx

from harness.engine import rules
from harness.engine.changes import (
    ADD,
    DELETE,
    MANAGER_KEY,
    UPDATE,
    HeldDeletion,
    Touch,
    directory_error,
    stable_guid,
)
from harness.engine.directory import DirectoryError, GraphDirectory, ResyncRequired
from harness.engine.errors import ErrorInfo, TargetError
from harness.engine.failures import FailureHandling
from harness.engine.logs.entries import EntryBuilder, IdSource, LogContext
from harness.engine.pipelines.groups import GroupPipeline
from harness.engine.pipelines.users import UserPipeline
from harness.engine.scope import (
    DISABLED,
    FILTERED,
    HARD_DELETED,
    SOFT_DELETED,
    Verdict,
    default_access_roles,
    effective_assignments,
)
from harness.engine.settings import EngineSettings
from harness.engine.state import Assignment, JobRuntime, Link, Mirror
from harness.engine.status import JobStatus, TaskExecution, iso
from harness.engine.target import ScimTarget

log = logging.getLogger(__name__)


@dataclass
class CycleInputs:
    """Everything a cycle needs, handed over by the service (no globals)."""

    job_id: str
    service_principal_id: str
    tenant_id: str
    schema: Any  # rules.Schema
    secrets: dict[str, str]
    settings: EngineSettings
    runtime: JobRuntime
    status: JobStatus
    transport: httpx.BaseTransport
    graph_base_url: str
    ids: IdSource
    now: Callable[[], datetime]
    emit: Callable[[dict[str, Any]], None]
    job_settings: dict[str, str] = field(default_factory=dict)
    # The bearer token for Graph: called with None for the cached one, or with an httpx client
    # after a 401 to get a fresh one (None: give up).
    graph_token: Callable[[Any], str | None] = lambda client: "harness-provisioning-engine"
    # Records a configuration activity (``auditLogs/directoryAudits``): activity, sp, job id.
    audit: Callable[[str, dict[str, Any], str], None] = lambda activity, sp, job_id: None
    # Sends a notification e-mail (to the harness's outbox).
    notify: Callable[[dict[str, Any]], None] = lambda message: None
    # Waits ``seconds`` on the lab's clock (virtual: moves it forward; real: sleeps).
    sleep: Callable[[float], None] = lambda seconds: None


@dataclass
class CycleSummary:
    job_id: str
    cycle_id: str
    kind: str  # initial | incremental
    began: datetime
    ended: datetime | None = None
    state: str = "Succeeded"
    error: dict[str, Any] | None = None
    quarantine: str | None = None
    pause: bool = False
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "imported",
                "deltas",
                "create",
                "update",
                "disable",
                "delete",
                "other",
                "skipped",
                "staged",
                "failed",
                "exports",
                "throttled",
                "requests",
            ),
            0,
        )
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "cycleId": self.cycle_id,
            "type": self.kind,
            "began": iso(self.began),
            "ended": iso(self.ended),
            "state": self.state,
            "error": self.error,
            "quarantine": self.quarantine,
            "counts": dict(self.counts),
        }


class Cycle(UserPipeline, GroupPipeline, FailureHandling):
    def __init__(self, inputs: CycleInputs) -> None:
        self.i = inputs
        self.rt = inputs.runtime
        self.settings = inputs.settings
        self.began = inputs.now()
        self.cycle_id = inputs.ids.guid()
        self.initial = not self.rt.watermarks.initialized
        self.summary = CycleSummary(
            inputs.job_id, self.cycle_id, "initial" if self.initial else "incremental", self.began
        )
        self.execution = TaskExecution(self.cycle_id, self.began)
        self.user_mapping = rules.user_mapping(inputs.schema)
        self.group_mapping = rules.group_mapping(inputs.schema)
        self.exact_users = rules.case_exact(inputs.schema, self.user_mapping)
        self.exact_groups = rules.case_exact(inputs.schema, self.group_mapping)
        base_address = inputs.secrets.get("BaseAddress", "")
        self.dialect = inputs.settings.patch_dialect or rules.dialect_of(base_address)
        self.base_address = base_address
        self.app_roles: dict[str, dict[str, Any]] = {}
        self.default_roles: set[str] = {"00000000-0000-0000-0000-000000000000"}
        self.app_name = inputs.settings.target_display_name or "Miro"
        self.sp: dict[str, str] = {
            "id": inputs.service_principal_id,
            "displayName": "",
            "appId": "",
        }
        # Per-cycle bookkeeping.
        self.user_changes: dict[str, str] = {}
        self.group_touches: dict[str, Touch] = {}
        self.newly_linked: set[str] = set()
        self.hard_deleted_users: dict[str, dict[str, Any]] = {}
        self.deleted_groups: dict[str, dict[str, Any]] = {}
        self.in_scope_users: dict[str, bool] = {}
        self._current: EntryBuilder | None = None
        self.retrying: set[str] = set()
        self.escrows_before = len(self.rt.escrows)
        self.probe_error: ErrorInfo | None = None
        self.deferred: list[HeldDeletion] = []
        self.quarantine_reason: str | None = None
        self.quarantine_error: ErrorInfo | None = None

    # ------------------------------------------------------------------------------------
    # The cycle
    # ------------------------------------------------------------------------------------

    def run(self) -> CycleSummary:
        directory = GraphDirectory(
            self.i.transport,
            self.i.graph_base_url,
            token=self.i.graph_token(None),
            refresh_token=self.i.graph_token,
            max_pages=self.settings.max_graph_pages,
        )
        try:
            target = ScimTarget(
                self.i.transport,
                self.base_address,
                self.i.secrets.get("SecretToken"),
                self.app_name,
                timeout=self.settings.target_timeout_seconds,
                on_throttle=self._on_throttle,
            )
        except ValueError as exc:
            directory.close()
            return self._fail(
                ErrorInfo(
                    "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                    f"Message: {exc}",
                    category="failure",
                    quarantine=True,
                )
            )
        try:
            return self._run(directory, target)
        except Exception as exc:  # a bug must fail the cycle, not the clock request
            log.exception("provisioning cycle %s failed", self.cycle_id)
            return self._fail(
                ErrorInfo(
                    "InternalError",
                    f"Message: The provisioning service failed while running the cycle: "
                    f"{type(exc).__name__}: {exc}. It will be retried in 40 minutes.",
                    category="failure",
                    retryable=True,
                )
            )
        finally:
            self.summary.counts["requests"] = len(target.calls) + directory.requests
            target.close()
            directory.close()

    def _run(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary:
        failed = self._start(directory, target)
        if failed is not None:
            return failed
        try:
            rounds = self._read(directory)
        except DirectoryError as exc:
            return self._fail(directory_error(exc))
        self._apply(*rounds)
        for applied in rounds:  # the mirror holds the items now: free the pages before processing
            applied.items.clear()
        self._process_all(target)

        users_link, groups_link, assignments_link = (r.delta_link for r in rounds)
        self.rt.watermarks.users = users_link
        self.rt.watermarks.groups = groups_link
        self.rt.watermarks.assignments = assignments_link
        pages = sum(r.pages for r in rounds)
        return self._finish(pages)

    def _process_all(self, target: ScimTarget) -> None:
        for user_id in self._managers_first(list(self.user_changes)):
            self._guarded(self._process_user, target, user_id, self.user_changes[user_id])
        if self.group_mapping is not None and rules.enabled(self.group_mapping):
            self._touch_groups_of_new_links()
            for group_id, touch in list(self.group_touches.items()):
                self._guarded(self._process_group, target, group_id, touch)
        self._settle_deletions()
        self.rt.force_deletes = False
        for user_id in self.hard_deleted_users:
            self.rt.mirror.drop_user(user_id)
        for group_id in self.deleted_groups:
            self.rt.mirror.drop_group(group_id)

    def _managers_first(self, user_ids: list[str]) -> list[str]:
        """A manager before the users who report to it (when both are in this cycle), so the
        reference resolves to the manager's target id in the same cycle (§1.2 step 6)."""
        users = self.rt.mirror.users
        wanted = set(user_ids)
        ordered: list[str] = []
        placed: set[str] = set()
        for user_id in user_ids:
            chain = []
            current: str | None = user_id
            while current is not None and current in wanted and current not in placed:
                placed.add(current)
                chain.append(current)
                manager = users.get(current, {}).get(MANAGER_KEY)
                current = str(manager) if manager else None
            ordered.extend(reversed(chain))
        return ordered

    def _start(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary | None:
        """Read the service principal (its name is the target's name in every log text), then
        send the test-connection probe. A summary if the cycle cannot go on, else None."""
        try:
            sp = directory.service_principal(self.i.service_principal_id)
        except DirectoryError as exc:
            return self._fail(directory_error(exc))
        self.sp = {
            "id": str(sp.get("id", self.i.service_principal_id)),
            "displayName": str(sp.get("displayName") or "Miro"),
            "appId": str(sp.get("appId") or ""),
        }
        if not self.settings.target_display_name:
            self.app_name = self.sp["displayName"]
            target.app_name = self.app_name
        self.app_roles = {
            str(r.get("id")): r for r in sp.get("appRoles", []) or [] if isinstance(r, dict)
        }
        self.default_roles = default_access_roles(self.app_roles)
        # §1.10: every activity starts by querying a user that cannot exist.
        probe_attribute = rules.probe_attribute(self.user_mapping)
        try:
            target.query("Users", probe_attribute, self.i.ids.guid())
        except TargetError as exc:
            # §1.8 [D][O]: failing start-up test calls quarantine the job whatever the count.
            self.probe_error = exc.info
            return self._fail(replace(exc.info, quarantine=True))
        return None

    def _guarded(
        self, process: Callable[..., None], target: ScimTarget, object_id: str, change: Any
    ) -> None:
        """Run one object's pipeline; a mapping that cannot be evaluated for this object (or any
        other per-object fault) becomes a failed log entry instead of ending the cycle."""
        self._current: EntryBuilder | None = None
        try:
            process(target, object_id, change)
        except rules.MappingError as exc:
            self._object_failed(
                ErrorInfo(
                    "AttributeMappingEvaluationFailed",
                    f"Message: The attribute mapping for '{exc.target}' could not be evaluated for "
                    f"this object: {exc.message}",
                    category="nonServiceFailure",
                )
            )
        except Exception as exc:
            log.exception("provisioning %s failed", object_id)
            self._object_failed(
                ErrorInfo(
                    "InternalError",
                    f"Message: The provisioning service failed on this object: {type(exc).__name__}: "
                    f"{exc}. It will be retried in 40 minutes.",
                    category="failure",
                    retryable=True,
                )
            )

    # ------------------------------------------------------------------------------------
    # Import: read the directory, update the mirror, work out what to look at
    # ------------------------------------------------------------------------------------

    def _read(self, directory: GraphDirectory) -> tuple[Any, Any, Any]:
        wm = self.rt.watermarks
        sp_id = self.i.service_principal_id
        try:
            return (
                directory.users_delta(wm.users),
                directory.groups_delta(wm.groups),
                directory.assignments_delta(sp_id, wm.assignments),
            )
        except ResyncRequired:
            # An expired token means a new full round, as Graph asks (§7 of graph reference).
            wm.clear()
            self.initial = True
            self.summary.kind = "initial"
            return (
                directory.users_delta(None),
                directory.groups_delta(None),
                directory.assignments_delta(sp_id, None),
            )

    def _apply(self, users_round: Any, groups_round: Any, assignments_round: Any) -> None:
        if self.initial:
            self.rt.mirror = Mirror()
        mirror = self.rt.mirror
        deltas = len(users_round.items) + len(groups_round.items) + len(assignments_round.items)
        self.summary.counts["deltas"] = deltas
        self.execution.count_imported_deltas = deltas
        touched_users: dict[str, str] = {}

        def touch_user(user_id: str, change: str) -> None:
            # The users round decides the change type; scope changes only add an Update.
            if change == UPDATE and user_id in touched_users:
                return
            touched_users[user_id] = change

        for item in users_round.items:
            user_id = str(item.get("id", ""))
            if not user_id:
                continue
            removed = item.get("@removed")
            if isinstance(removed, dict):
                if removed.get("reason") == "deleted":
                    self.hard_deleted_users[user_id] = mirror.users.get(user_id, {"id": user_id})
                    touch_user(user_id, HARD_DELETED)
                else:
                    mirror.soft_deleted.add(user_id)
                    touch_user(user_id, DELETE)
                continue
            known = user_id in mirror.users
            mirror.soft_deleted.discard(user_id)
            data = {k: v for k, v in item.items() if not k.startswith("@") and "@" not in k}
            manager = _manager_change(item.get("manager@delta"))
            if manager is not _UNCHANGED:
                data[MANAGER_KEY] = manager
            old = mirror.users.get(user_id)
            mirror.users[user_id] = (
                data if old is None else {**old, **data}
            )  # no copy for a new user
            change = ADD if self.initial or not (known or user_id in self.rt.links) else UPDATE
            touch_user(user_id, change)

        group_changes: dict[str, Touch] = {}
        for item in groups_round.items:
            group_id = str(item.get("id", ""))
            if not group_id:
                continue
            touch = group_changes.setdefault(group_id, Touch(ADD if self.initial else UPDATE))
            if isinstance(item.get("@removed"), dict):
                self.deleted_groups[group_id] = mirror.groups.get(group_id, {"id": group_id})
                touch.change = DELETE
                continue
            known = group_id in mirror.groups
            data = {k: v for k, v in item.items() if not k.startswith("@") and "@" not in k}
            data.pop("members", None)
            mirror.groups[group_id] = {**mirror.groups.get(group_id, {}), **data}
            if not known and not self.initial and group_id not in self.rt.links:
                touch.change = ADD
            for member in item.get("members@delta", []) or []:
                if not isinstance(member, dict) or not member.get("id"):
                    continue
                odata_type = str(member.get("@odata.type", "#microsoft.graph.user")).lower()
                member_id = str(member["id"])
                if isinstance(member.get("@removed"), dict):
                    if member_id not in mirror.members.get(group_id, ()):
                        continue
                    mirror.remove_member(group_id, member_id)
                    touch.removed.add(member_id)
                    touch.added.discard(member_id)
                elif odata_type.endswith(".user"):  # nested groups are not expanded (§2.2)
                    mirror.add_member(group_id, member_id)
                    touch.added.add(member_id)
                    touch.removed.discard(member_id)

        assignment_changed: set[str] = set()
        for item in assignments_round.items:
            assignment_id = str(item.get("id", ""))
            if not assignment_id:
                continue
            if isinstance(item.get("@removed"), dict):
                old = mirror.remove_assignment(assignment_id)
                if old is not None:
                    assignment_changed.add(old.principal_id)
                continue
            principal = str(item.get("principalId", ""))
            if not principal or str(item.get("principalType", "User")) not in ("User", "Group"):
                continue  # service principals are not provisioned
            mirror.add_assignment(
                Assignment(
                    assignment_id,
                    principal,
                    str(item.get("principalType", "User")),
                    str(item.get("appRoleId") or "00000000-0000-0000-0000-000000000000"),
                )
            )
            assignment_changed.add(principal)

        sync_all = self._sync_all()
        # Users whose scope may have changed through assignments or memberships.
        for principal in assignment_changed:
            if principal in mirror.groups or principal in group_changes:
                touch = group_changes.setdefault(principal, Touch(UPDATE))
                touch.full_member_sync = True
                for member_id in sorted(mirror.members.get(principal, ())):
                    touch_user(member_id, UPDATE)
            else:
                touch_user(principal, UPDATE)
        for group_id, touch in group_changes.items():
            if sync_all or mirror.assignments_of(group_id):
                for member_id in sorted(touch.added | touch.removed):
                    touch_user(member_id, UPDATE)

        if self.initial:
            # §1.2: every object is evaluated; in "sync assigned" only the assigned ones (and
            # linked ones, which may have left scope while nobody looked) are logged.
            candidates: dict[str, str] = {}
            for user_id, change in touched_users.items():
                if (
                    sync_all
                    or user_id in self.rt.links
                    or effective_assignments(mirror, user_id, "User")
                ):
                    candidates[user_id] = change
            touched_users = candidates
            group_candidates: dict[str, Touch] = {}
            for group_id, touch in group_changes.items():
                if sync_all or group_id in self.rt.links or mirror.assignments_of(group_id):
                    touch.full_member_sync = True
                    group_candidates[group_id] = touch
            group_changes = group_candidates
        self.user_changes = {
            uid: (DELETE if change == HARD_DELETED else change)
            for uid, change in touched_users.items()
            # An assignment to an object the directory rounds never showed is not a user.
            if uid in mirror.users or uid in self.hard_deleted_users or uid in self.rt.links
        }
        self.group_touches = group_changes
        self._add_due_retries()
        self._add_staged()
        self.summary.counts["imported"] = len(self.user_changes) + len(self.group_touches)
        self.execution.count_imported = self.summary.counts["imported"]

    def _sync_all(self) -> bool:
        """The scope mode. §1.5 [D][KI]: switching "Sync all" to "Sync assigned" takes effect
        only after a restart, so the mode is fixed at each initial cycle (either direction [I])."""
        if self.initial or self.rt.sync_all is None:
            self.rt.sync_all = str(self.i.secrets.get("SyncAll", "false")).strip().lower() == "true"
        return self.rt.sync_all

    # ------------------------------------------------------------------------------------
    # Shared helpers
    # ------------------------------------------------------------------------------------

    def _link(self, source_id: str, object_type: str, target_id: str) -> Link:
        link = Link(source_id, object_type, target_id)
        old = self.rt.links.get(source_id)
        if old is not None and old.target_id == target_id:
            link.members = old.members
        self.rt.add_link(link)
        return link

    def _claimed(self, entry: EntryBuilder, found: dict[str, Any], action: str) -> bool:
        """§4.1 [D][ANALYZE]: a target object already linked to another source object means
        several source objects match it: ``DuplicateSourceEntries``, nothing is changed."""
        owner = self.rt.owner_of(entry.object_type, str(found.get("id")))
        if owner is None or owner == entry.source_id:
            return False
        self._export_failed(
            entry,
            action,
            ErrorInfo(
                "DuplicateSourceEntries",
                f"The {entry.object_type} in {self.app_name} with id '{found.get('id')}' already "
                f"belongs to the source object '{owner}'; more than one source object matches it.",
            ),
            "match",
        )
        return True

    def _match(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        resource: str,
        pairs: list[tuple[str, Any]],
        **query: Any,
    ) -> tuple[bool, dict[str, Any] | None]:
        """The first target object matching one of the pairs, in order: ``(True, found or
        None)``; ``(False, None)`` when a query failed or matched several (the entry failed)."""
        for attribute, value in pairs:
            try:
                found = target.query(resource, attribute, value, **query)
            except TargetError as exc:
                self._export_failed(entry, "create", exc.info, "query")
                return False, None
            if len(found) > 1:
                self._export_failed(
                    entry,
                    "create",
                    ErrorInfo(
                        "DuplicateTargetEntries",
                        f"More than one {entry.object_type} in {self.app_name} matched "
                        f"{attribute} eq '{value}'.",
                    ),
                    "match",
                )
                return False, None
            if found:
                return True, found[0]
        return True, None

    def _retrieve(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        resource: str,
        link: Link,
        action: str,
        **query: Any,
    ) -> dict[str, Any] | None:
        """The linked target object, logged as retrieved; None when the read failed (the
        entry failed for ``action``)."""
        try:
            current = target.get(resource, link.target_id, **query)
        except TargetError as exc:
            self._export_failed(entry, action, exc.info, "get")
            return None
        entry.retrieved(current)
        return current

    def _will_create_step(self, entry: EntryBuilder) -> None:
        """The matching step of an object that found no match: it will be created."""
        kind = entry.object_type
        entry.step(
            "EntrySynchronizationAdd",
            "matching",
            "success",
            f"{kind} '{entry.source_display}' will be created in {self.app_name} ({kind} is "
            f"active and assigned in Azure Active Directory, but no matching {kind} was found in "
            f"{self.app_name})",
        )

    def _export_step(self, entry: EntryBuilder, name: str, verb: str) -> None:
        """The export step of a change the target took: "<Type> '<name>' was <verb> in <app>"."""
        entry.step(
            name,
            "export",
            "success",
            f"{entry.object_type} '{entry.source_display}' was {verb} in {self.app_name}",
            {"ReportableIdentifier": entry.source_display},
        )

    def _skips_out_of_scope_deletions(self) -> bool:
        return str(self.i.secrets.get("SkipOutOfScopeDeletions", "")).lower() == "true"

    def _delete_export(
        self, target: ScimTarget, entry: EntryBuilder, resource: str, link: Link
    ) -> Callable[[], None]:
        """The export of a deletion: delete the linked target object and log it."""

        def export() -> None:
            try:
                target.delete(resource, link.target_id)
            except TargetError as exc:
                self._export_failed(entry, "delete", exc.info, "delete")
                return
            link.deleted = True
            self._exported()
            self._export_step(entry, "EntryExportDelete", "deleted")
            self._emit(entry, "delete", "success")

        return export

    def _entry(self, object_type: str, source_id: str, display: str, mapping: Any) -> EntryBuilder:
        ctx = LogContext(
            ids=self.i.ids,
            tenant_id=self.i.tenant_id,
            job_id=self.i.job_id,
            cycle_id=self.cycle_id,
            service_principal=self.sp,
            app_name=self.app_name,
            source_system_id=stable_guid("source", self.i.tenant_id),
            target_system_id=stable_guid("target", self.sp["id"]),
            now=self.i.now(),
            on_demand=self.summary.kind == "onDemand",
        )
        entry = EntryBuilder(ctx, object_type, source_id, display, rules.target_object(mapping))
        self._current = entry
        return entry

    def _exported(self) -> None:
        self.summary.counts["exports"] += 1
        self.execution.count_exports += 1
        self.execution.count_exported += 1

    def _emit(
        self,
        entry: EntryBuilder,
        action: str,
        status: str,
        *,
        error: ErrorInfo | None = None,
        modified: list[dict[str, Any]] | None = None,
    ) -> None:
        self._current = None
        if status != "failure":
            self.rt.escrows.pop((entry.object_type, entry.source_id), None)
        counts = self.summary.counts
        if status == "failure":
            counts["failed"] += 1
        elif status == "skipped":
            counts["skipped"] += 1
        else:
            counts[action] = counts.get(action, 0) + 1
        self.i.emit(entry.build(action, status, error=error, modified=modified))

    def _skip(
        self,
        entry: EntryBuilder,
        reason: str,
        text: str,
        *,
        action: str = "other",
        step_type: str = "processing",
    ) -> None:
        """Log the skip step and emit the entry as skipped."""
        entry.skipped(reason, text, step_type)
        self._emit(entry, action, "skipped")

    def _skip_flow_off(
        self,
        entry: EntryBuilder,
        flow: str,
        *,
        action: str = "other",
        step_type: str = "processing",
    ) -> None:
        """Skip an entry whose flow (add, update, delete) is not enabled on the mapping."""
        self._skip(
            entry,
            "TargetObjectActionDisabled",
            self._flow_off_text(entry, flow),
            action=action,
            step_type=step_type,
        )

    def _skip_text(self, entry: EntryBuilder, verdict: Verdict) -> str:
        kind = entry.object_type
        if verdict.reason in (DISABLED, SOFT_DELETED):
            why = "1) This object is not active in the source system (it is disabled or deleted)."
        elif verdict.reason == FILTERED:
            why = (
                f"1) This object is not in scope of the scoping filters ({verdict.filter_reason})."
            )
        else:
            why = (
                "1) This object does not have required entitlement for provisioning. If you did "
                "not expect the object to be skipped, update provisioning scope to 'Sync all "
                "users and groups' or assign the object to the application with entitlement of "
                "provisioning category"
            )
        return f"The {kind} '{entry.source_display}' will be skipped due to the following reasons: {why}"

    def _not_managed_text(self, entry: EntryBuilder) -> str:
        return (
            f"The {entry.object_type} '{entry.source_display}' is not managed by the "
            f"provisioning service in {self.app_name}; no change is made."
        )

    def _redundant_text(self, entry: EntryBuilder) -> str:
        return (
            f"The state of the {entry.object_type.lower()} in both the source and target "
            "systems already match."
        )

    def _flow_off_text(self, entry: EntryBuilder, flow: str) -> str:
        action = {ADD: "Create", UPDATE: "Update", DELETE: "Delete"}[flow]
        return (
            f"The {entry.object_type} '{entry.source_display}' is skipped because the {action} "
            f"target object action is not enabled for this object mapping."
        )

    # ------------------------------------------------------------------------------------
    # Results
    # ------------------------------------------------------------------------------------

    def _fail(self, info: ErrorInfo) -> CycleSummary:
        now = self.i.now()
        self.summary.state = "Failed"
        self.summary.error = info.to_json()
        self.summary.ended = now
        self.execution.state = "Failed"
        self.execution.error = {
            "code": info.code,
            "message": info.reason,
            "tenantActionable": info.quarantine,
        }
        self.execution.time_ended = now
        status = self.i.status
        status.last_execution = self.execution
        status.count_successive_complete_failures += 1
        self.rt.cycles_run += 1
        self._judge_quarantine(info if info.quarantine else None, failed_cycle=True)
        return self.summary

    def _finish(self, pages: int) -> CycleSummary:
        now = self.i.now()
        counts = self.summary.counts
        self.summary.ended = now
        self.execution.time_ended = now
        if counts["failed"]:
            self.execution.state = "EntryLevelErrors"
            self.summary.state = "EntryLevelErrors"
        status = self.i.status
        status.last_execution = self.execution
        status.count_successive_complete_failures = 0
        status.progress = [
            {
                "completedUnits": pages,
                "totalUnits": pages,
                "units": "Pages",
                "progressObservationDateTime": iso(now),
            }
        ]
        if not counts["failed"]:
            status.last_successful_execution = self.execution
            if counts["exports"]:
                status.last_successful_execution_with_exports = self.execution
            elif not self.initial:
                # Nothing left to change: the job has reached steady state.
                if status.steady_state_first_achieved is None:
                    status.steady_state_first_achieved = now
                status.steady_state_last_achieved = now
        if status.code in ("NotRun", "NotConfigured"):
            status.code = "Active"
        status.synchronized_entry_count_by_type = {
            "User": len(self.rt.entered_scope["User"]),
            "Group": len(self.rt.entered_scope["Group"]),
        }
        self.execution.count_escrowed = len(self.rt.escrows)
        self.rt.cycles_run += 1
        self._judge_quarantine(self.quarantine_error, failed_cycle=False)
        self._notify_failures()
        return self.summary


_UNCHANGED = object()


def _manager_change(entries: Any) -> Any:
    """The manager from a ``manager@delta`` list: its id, None when removed, or _UNCHANGED."""
    if not isinstance(entries, list):
        return _UNCHANGED
    current = [e for e in entries if isinstance(e, dict) and e.get("id") and "@removed" not in e]
    if current:
        return str(current[0]["id"])
    return None
