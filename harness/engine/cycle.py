"""One provisioning cycle (reference §1.2, §1.3, §3, §9.2-9.3).

import -> scoping -> matching -> processing -> export, per object, users first, then groups and
their memberships (members are target ids, so users must be resolved first). Initial cycles
start new Graph delta rounds (a full enumeration); incremental cycles follow the stored delta
links, so they cost O(changes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx

from harness.clock import parse_duration
from harness.engine import rules
from harness.engine.directory import DirectoryError, GraphDirectory, ResyncRequired
from harness.engine.errors import ErrorInfo, TargetError
from harness.engine.logs import EntryBuilder, IdSource, LogContext, dotnet, modified_properties
from harness.engine.scope import (
    DISABLED,
    FILTERED,
    HARD_DELETED,
    LEAVING_SCOPE,
    NOT_ENTITLED,
    SOFT_DELETED,
    UNASSIGNED,
    Verdict,
    default_access_roles,
    effective_assignments,
    entitled,
    role_values,
)
from harness.engine.settings import EngineSettings
from harness.engine.state import Assignment, Escrow, JobRuntime, Link, Mirror
from harness.engine.status import JobStatus, Quarantine, TaskExecution, iso
from harness.engine.target import ScimTarget

ADD, UPDATE, DELETE = "Add", "Update", "Delete"
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
            ("imported", "deltas", "create", "update", "disable", "delete", "other",
             "skipped", "staged", "failed", "exports", "throttled", "requests"),
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


@dataclass
class _Touch:
    """Why a group is looked at in this cycle."""

    change: str = UPDATE
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    full_member_sync: bool = False


@dataclass
class _Deferred:
    entry: EntryBuilder
    action: str
    export: Callable[[], None]
    hard: bool
    attrs: dict[str, Any]


class Cycle:
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
        self.sp: dict[str, str] = {"id": inputs.service_principal_id, "displayName": "", "appId": ""}
        # Per-cycle bookkeeping.
        self.user_changes: dict[str, str] = {}
        self.group_touches: dict[str, _Touch] = {}
        self.newly_linked: set[str] = set()
        self.hard_deleted_users: dict[str, dict[str, Any]] = {}
        self.deleted_groups: dict[str, dict[str, Any]] = {}
        self.in_scope_users: dict[str, bool] = {}
        self._current: EntryBuilder | None = None
        self.retrying: set[str] = set()
        self.probe_error: ErrorInfo | None = None
        self.deferred: list[_Deferred] = []
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
                on_throttle=self._on_throttle,
            )
        except ValueError as exc:
            directory.close()
            return self._fail(
                ErrorInfo("SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                          f"Message: {exc}", category="failure", quarantine=True)
            )
        try:
            return self._run(directory, target)
        except Exception as exc:  # a bug must fail the cycle, not the clock request
            log.exception("provisioning cycle %s failed", self.cycle_id)
            return self._fail(ErrorInfo(
                "InternalError",
                f"Message: The provisioning service failed while running the cycle: "
                f"{type(exc).__name__}: {exc}. It will be retried in 40 minutes.",
                category="failure",
                retryable=True,
            ))
        finally:
            self.summary.counts["requests"] = len(target.calls) + directory.requests
            target.close()
            directory.close()

    def _on_throttle(self, retry_after: float | None, retries: int) -> bool:
        """§4.2: a 429 either waits ``Retry-After`` (on the lab's clock) and retries within the
        cycle, or is left to the escrow and a later cycle, per the ``throttle_policy`` setting."""
        if self.settings.throttle_policy != "honour" or retries >= self.settings.throttle_max_retries:
            return False
        wait = retry_after if retry_after is not None else parse_duration(
            self.settings.throttle_default_wait).total_seconds()
        self.i.sleep(wait)
        self.summary.counts["throttled"] += 1
        return True

    def _run(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary:
        failed = self._start(directory, target)
        if failed is not None:
            return failed
        try:
            rounds = self._read(directory)
        except DirectoryError as exc:
            return self._fail(_directory_error(exc))
        self._apply(*rounds)
        self._process_all(target)

        users_link, groups_link, assignments_link = (r.delta_link for r in rounds)
        self.rt.watermarks.users = users_link
        self.rt.watermarks.groups = groups_link
        self.rt.watermarks.assignments = assignments_link
        pages = sum(r.pages for r in rounds)
        return self._finish(pages)

    def _process_all(self, target: ScimTarget) -> None:
        for user_id in list(self.user_changes):
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

    def _start(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary | None:
        """Read the service principal (its name is the target's name in every log text), then
        send the test-connection probe. A summary if the cycle cannot go on, else None."""
        try:
            sp = directory.service_principal(self.i.service_principal_id)
        except DirectoryError as exc:
            return self._fail(_directory_error(exc))
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

    def _guarded(self, process: Callable[..., None], target: ScimTarget, object_id: str, change: Any) -> None:
        """Run one object's pipeline; a mapping that cannot be evaluated for this object (or any
        other per-object fault) becomes a failed log entry instead of ending the cycle."""
        self._current: EntryBuilder | None = None
        try:
            process(target, object_id, change)
        except rules.MappingError as exc:
            self._object_failed(object_id, ErrorInfo(
                "AttributeMappingEvaluationFailed",
                f"Message: The attribute mapping for '{exc.target}' could not be evaluated for "
                f"this object: {exc.message}",
                category="nonServiceFailure",
            ))
        except Exception as exc:
            log.exception("provisioning %s failed", object_id)
            self._object_failed(object_id, ErrorInfo(
                "InternalError",
                f"Message: The provisioning service failed on this object: {type(exc).__name__}: "
                f"{exc}. It will be retried in 40 minutes.",
                category="failure",
                retryable=True,
            ))

    def _object_failed(self, object_id: str, info: ErrorInfo) -> None:
        entry = self._current
        if entry is None:
            return
        self._current = None
        entry.step("EntrySynchronizationError", "processing", "failure", info.reason)
        info = self._escrow(entry, "update", info)
        self._emit(entry, "other", "failure", error=info)

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
            data = {k: v for k, v in item.items() if not k.startswith("@")}
            mirror.users[user_id] = {**mirror.users.get(user_id, {}), **data}
            change = ADD if self.initial or not (known or user_id in self.rt.links) else UPDATE
            touch_user(user_id, change)

        group_changes: dict[str, _Touch] = {}
        for item in groups_round.items:
            group_id = str(item.get("id", ""))
            if not group_id:
                continue
            touch = group_changes.setdefault(group_id, _Touch(ADD if self.initial else UPDATE))
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
                touch = group_changes.setdefault(principal, _Touch(UPDATE))
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
                if sync_all or user_id in self.rt.links or effective_assignments(mirror, user_id, "User"):
                    candidates[user_id] = change
            touched_users = candidates
            group_candidates: dict[str, _Touch] = {}
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

    def _add_due_retries(self) -> None:
        """Escrowed objects whose retry is due are processed again, changed or not (§1.7)."""
        now = self.i.now()
        for (object_type, source_id), escrow in list(self.rt.escrows.items()):
            if escrow.next_retry is not None and escrow.next_retry > now:
                continue
            if object_type == "User":
                if source_id in self.rt.mirror.users and source_id not in self.user_changes:
                    self.user_changes[source_id] = UPDATE
                    self.retrying.add(source_id)
                elif source_id not in self.rt.mirror.users:
                    del self.rt.escrows[(object_type, source_id)]  # gone from the directory
            elif source_id in self.rt.mirror.groups:
                if source_id not in self.group_touches:
                    self.group_touches[source_id] = _Touch(UPDATE, full_member_sync=True)
                    self.retrying.add(source_id)
            else:
                del self.rt.escrows[(object_type, source_id)]

    def _sync_all(self) -> bool:
        """The scope mode. §1.5 [D][KI]: switching "Sync all" to "Sync assigned" takes effect
        only after a restart, so the mode is fixed at each initial cycle (either direction [I])."""
        if self.initial or self.rt.sync_all is None:
            self.rt.sync_all = str(self.i.secrets.get("SyncAll", "false")).strip().lower() == "true"
        return self.rt.sync_all

    # ------------------------------------------------------------------------------------
    # Users
    # ------------------------------------------------------------------------------------

    def _user_verdict(self, user_id: str, attrs: dict[str, Any]) -> Verdict:
        mirror = self.rt.mirror
        assignments = effective_assignments(mirror, user_id, "User")
        sync_all = self._sync_all()
        active = attrs.get("accountEnabled") is not False
        soft_deleted = user_id in mirror.soft_deleted
        assigned = sync_all or bool(assignments)
        has_role = sync_all or entitled(assignments, self.settings.skip_default_access, self.default_roles)
        source = self._user_source(user_id, attrs, assignments, soft_deleted=True)
        result = rules.evaluate_scope(rules.scope_of(self.user_mapping), source)
        details = {
            "Active in the source system": active and not soft_deleted,
            "Assigned to the application": assigned,
            "User has the required role": has_role,
            "Scoping filter evaluation passed": result.in_scope,
            "ScopeEvaluationResult": "{}" if result.in_scope else str(result.reason),
        }
        # Soft delete first (Graph hides a deleted user's assignments, but this is a deletion,
        # not an unassignment); then leaving scope; a blocked sign-in matters only to a user
        # still in scope otherwise: an unassigned user who is also disabled stays "out of
        # scope" (so SkipOutOfScopeDeletions still holds, reference §1.3, §3.5).
        reason = None
        if soft_deleted:
            reason = SOFT_DELETED
        elif not assigned:
            reason = UNASSIGNED
        elif not has_role:
            reason = NOT_ENTITLED
        elif not result.in_scope:
            reason = FILTERED
        elif not active:
            reason = DISABLED
        return Verdict(reason is None, reason, details, assignments, str(result.reason))

    def _user_source(
        self, user_id: str, attrs: dict[str, Any], assignments: list[Assignment], *, soft_deleted: bool
    ) -> dict[str, Any]:
        source = dict(attrs)
        source["objectId"] = user_id
        source["IsSoftDeleted"] = soft_deleted
        source["appRoleAssignments"] = role_values(assignments, self.app_roles)
        upn = source.get("userPrincipalName")
        source["originalUserPrincipalName"] = upn
        if isinstance(upn, str) and "#EXT#" in upn:
            source["userPrincipalName"] = guest_upn(upn)
        return source

    def _process_user(self, target: ScimTarget, user_id: str, change: str) -> None:
        mirror = self.rt.mirror
        hard = user_id in self.hard_deleted_users
        attrs = self.hard_deleted_users[user_id] if hard else mirror.users.get(user_id)
        if attrs is None:
            attrs = {"id": user_id}
        link = self.rt.links.get(user_id)
        live_link = link if link is not None and not link.deleted else None
        display = str(attrs.get("userPrincipalName") or attrs.get("displayName") or user_id)
        entry = self._entry("User", user_id, display, self.user_mapping)
        if live_link is not None:
            entry.target_id = live_link.target_id
        entry.imported(change, _source_details(attrs), retry=user_id in self.retrying)
        flows = rules.flow_types(self.user_mapping)

        if hard:
            self._hard_delete_user(target, entry, live_link, flows)
            return
        verdict = self._user_verdict(user_id, attrs)
        entry.scoped(verdict.in_scope, verdict.details)
        self.in_scope_users[user_id] = verdict.in_scope
        if verdict.in_scope:
            self.execution.count_entitled += 1
            self.execution.count_entitled_for_provisioning += 1
            self.rt.entered_scope["User"].add(user_id)
            self._provision_user(target, entry, user_id, attrs, verdict, live_link, flows)
        else:
            self._deprovision_user(target, entry, user_id, attrs, verdict, live_link, flows)

    def _hard_delete_user(
        self, target: ScimTarget, entry: EntryBuilder, link: Link | None, flows: set[str]
    ) -> None:
        if link is None:
            if self.settings.log_out_of_scope_changes and not self.initial:
                entry.skipped("NotEffectivelyEntitled", self._not_managed_text(entry))
                self._emit(entry, "other", "skipped")
            return
        if not link.managed:
            entry.skipped("UnmanagedObject", self._not_managed_text(entry))
            self._emit(entry, "other", "skipped")
            return
        if DELETE not in flows:
            entry.skipped(
                "TargetObjectActionDisabled",
                f"The {entry.object_type} '{entry.source_display}' will not be deleted in "
                f"{self.app_name} because the Delete target object action is not enabled.",
            )
            self._emit(entry, "delete", "skipped")
            return
        entry.step(
            "EntrySynchronizationDelete",
            "processing",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be deleted in {self.app_name} "
            f"({entry.object_type} was deleted in Azure Active Directory)",
        )
        def export() -> None:
            try:
                target.delete("Users", link.target_id)
            except TargetError as exc:
                self._export_failed(entry, "delete", exc.info, "delete")
                return
            link.deleted = True
            self._exported()
            entry.step(
                "EntryExportDelete",
                "export",
                "success",
                f"{entry.object_type} '{entry.source_display}' was deleted in {self.app_name}",
                {"ReportableIdentifier": entry.source_display},
            )
            self._emit(entry, "delete", "success")

        self._deletion(entry, "delete", export, hard=True)

    def _deprovision_user(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        user_id: str,
        attrs: dict[str, Any],
        verdict: Verdict,
        link: Link | None,
        flows: set[str],
    ) -> None:
        if link is None:
            if self.initial or self.settings.log_out_of_scope_changes:
                entry.skipped("NotEffectivelyEntitled", self._skip_text(entry, verdict))
                self._emit(entry, "other", "skipped")
            return
        if not link.managed:
            entry.skipped("UnmanagedObject", self._not_managed_text(entry))
            self._emit(entry, "other", "skipped")
            return
        skip_deletions = str(self.i.secrets.get("SkipOutOfScopeDeletions", "")).lower() == "true"
        if verdict.reason in LEAVING_SCOPE and skip_deletions:
            entry.skipped(
                "SkipOutOfScopeDeletions",
                f"The {entry.object_type} '{entry.source_display}' went out of scope; it is not "
                "disabled because SkipOutOfScopeDeletions is set on the job.",
                step_type="scoping",
            )
            self._emit(entry, "other", "skipped")
            return
        mapped = rules.map_object(
            self.user_mapping, self._user_source(user_id, attrs, verdict.assignments, soft_deleted=True),
            is_create=False,
        )
        active_attr = rules.active_attribute(self.user_mapping)
        if active_attr is None:
            # §3.5: without an IsSoftDeleted/active mapping nothing is done.
            entry.skipped("RedundantExport", self._redundant_text(entry))
            self._emit(entry, "other", "skipped")
            return
        try:
            current = target.get("Users", link.target_id)
        except TargetError as exc:
            self._export_failed(entry, "disable", exc.info, "get")
            return
        entry.retrieved(current)
        entry.target_display = str(current.get("userName") or "")
        desired = {active_attr: mapped.get(active_attr, "False")}
        changes = rules.diff(desired, current, self.exact_users)
        if not changes:
            entry.skipped("RedundantExport", self._redundant_text(entry))
            self._emit(entry, "other", "skipped")
            self._release(link, verdict)
            return
        if UPDATE not in flows:
            entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, UPDATE))
            self._emit(entry, "disable", "skipped")
            return
        entry.step(
            "EntrySynchronizationUpdate",
            "processing",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be disabled in {self.app_name} "
            f"({_why_out(verdict)})",
        )
        def export() -> None:
            try:
                target.patch("Users", link.target_id, rules.disable_body(self.dialect))
            except TargetError as exc:
                self._export_failed(entry, "disable", exc.info, "update")
                return
            self._exported()
            entry.step(
                "EntryExportUpdate",
                "export",
                "success",
                f"{entry.object_type} '{entry.source_display}' was disabled in {self.app_name}",
                {"ReportableIdentifier": entry.source_display},
            )
            self._emit(
                entry, "disable", "success",
                modified=[{"displayName": active_attr,
                           "oldValue": dotnet(current.get(active_attr)), "newValue": "False"}],
            )
            self._release(link, verdict)

        self._deletion(entry, "disable", export, hard=False)

    def _release(self, link: Link, verdict: Verdict) -> None:
        # §3.5 [D][HPW]: after an unassign-disable the user is no longer managed.
        if verdict.reason in LEAVING_SCOPE and self.settings.unassign_releases_management:
            link.managed = False

    def _provision_user(
        self,
        target: ScimTarget,
        entry: EntryBuilder,
        user_id: str,
        attrs: dict[str, Any],
        verdict: Verdict,
        link: Link | None,
        flows: set[str],
    ) -> None:
        source = self._user_source(user_id, attrs, verdict.assignments, soft_deleted=False)
        current: dict[str, Any] | None = None
        if link is not None:
            try:
                current = target.get("Users", link.target_id)
            except TargetError as exc:
                self._export_failed(entry, "update", exc.info, "get")
                return
            entry.retrieved(current)
        else:
            pairs = rules.matching_values(self.user_mapping, source)
            if not pairs:
                entry.skipped(
                    "ImportSkipped",
                    f"The {entry.object_type} '{entry.source_display}' has no value for any "
                    "matching attribute and cannot be provisioned.",
                    step_type="matching",
                )
                self._emit(entry, "other", "skipped", error=ErrorInfo(
                    "ImportSkipped",
                    "The source object lacks a value for the matching attribute(s).",
                ))
                return
            for attribute, value in pairs:
                try:
                    found = target.query("Users", attribute, value)
                except TargetError as exc:
                    self._export_failed(entry, "create", exc.info, "query")
                    return
                if len(found) > 1:
                    self._export_failed(
                        entry, "create",
                        ErrorInfo(
                            "DuplicateTargetEntries",
                            f"More than one {entry.object_type} in {self.app_name} matched "
                            f"{attribute} eq '{value}'.",
                        ),
                        "match",
                    )
                    return
                if found:
                    current = found[0]
                    break
            if current is not None and self._claimed(entry, current, "create"):
                return
            if current is not None:
                link = self._link(user_id, "User", str(current["id"]))
                self.newly_linked.add(user_id)  # its groups may now add it as a member
                entry.target_id = link.target_id
                entry.retrieved(current)
        if current is None:
            self._create_user(target, entry, user_id, source, flows)
            return
        link = self.rt.links[user_id]
        link.managed = True
        entry.target_display = str(current.get("userName") or "")
        mapped = rules.map_object(self.user_mapping, source, is_create=False)
        changes = rules.diff(mapped, current, self.exact_users)
        if not changes:
            entry.skipped("RedundantExport", self._redundant_text(entry))
            self._emit(entry, "other", "skipped")
            return
        if UPDATE not in flows:
            entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, UPDATE))
            self._emit(entry, "update", "skipped")
            return
        entry.step(
            "EntrySynchronizationUpdate",
            "processing",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be updated in {self.app_name} "
            f"({entry.object_type} is active and assigned in Azure Active Directory, and a "
            f"matching {entry.object_type} was found in {self.app_name})",
        )
        try:
            target.patch("Users", link.target_id, rules.patch_body(changes, self.dialect, current))
        except TargetError as exc:
            self._export_failed(entry, "update", exc.info, "update")
            return
        self._exported()
        entry.step(
            "EntryExportUpdate",
            "export",
            "success",
            f"{entry.object_type} '{entry.source_display}' was updated in {self.app_name}",
            {"ReportableIdentifier": entry.source_display},
        )
        self._emit(entry, "update", "success", modified=rules.modified(changes, current))

    def _create_user(
        self, target: ScimTarget, entry: EntryBuilder, user_id: str, source: dict[str, Any],
        flows: set[str],
    ) -> None:
        if ADD not in flows:
            entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, ADD),
                          step_type="matching")
            self._emit(entry, "create", "skipped")
            return
        mapped = rules.map_object(self.user_mapping, source, is_create=True)
        entry.step(
            "EntrySynchronizationAdd",
            "matching",
            "success",
            f"{entry.object_type} '{entry.source_display}' will be created in {self.app_name} "
            f"({entry.object_type} is active and assigned in Azure Active Directory, but no "
            f"matching {entry.object_type} was found in {self.app_name})",
        )
        try:
            created = target.create("Users", rules.create_user_body(mapped))
        except TargetError as exc:
            self._export_failed(entry, "create", exc.info, "create")
            return
        link = self._link(user_id, "User", str(created["id"]))
        self.newly_linked.add(user_id)
        entry.target_id = link.target_id
        entry.target_display = str(created.get("userName") or mapped.get("userName") or "")
        self._exported()
        entry.step(
            "EntryExportAdd",
            "export",
            "success",
            f"{entry.object_type} '{entry.source_display}' was created in {self.app_name}",
            {"ReportableIdentifier": entry.source_display},
        )
        self._emit(entry, "create", "success", modified=modified_properties(mapped))

    # ------------------------------------------------------------------------------------
    # Groups
    # ------------------------------------------------------------------------------------

    def _touch_groups_of_new_links(self) -> None:
        for user_id in sorted(self.newly_linked):
            for group_id in sorted(self.rt.mirror.member_of.get(user_id, ())):
                link = self.rt.links.get(group_id)
                if link is None and group_id not in self.group_touches:
                    continue
                touch = self.group_touches.setdefault(group_id, _Touch(UPDATE))
                touch.added.add(user_id)

    def _group_verdict(self, group_id: str, attrs: dict[str, Any]) -> Verdict:
        mirror = self.rt.mirror
        assignments = effective_assignments(mirror, group_id, "Group")
        sync_all = self._sync_all()
        assigned = sync_all or bool(assignments)
        has_role = sync_all or entitled(assignments, self.settings.skip_default_access, self.default_roles)
        source = self._group_source(group_id, attrs)
        result = rules.evaluate_scope(rules.scope_of(self.group_mapping), source)
        details = {
            "Assigned to the application": assigned,
            "Group has the required role": has_role,
            "Scoping filter evaluation passed": result.in_scope,
            "ScopeEvaluationResult": "{}" if result.in_scope else str(result.reason),
        }
        reason = None
        if group_id in self.deleted_groups:
            reason = HARD_DELETED
        elif not assigned:
            reason = UNASSIGNED
        elif not has_role:
            reason = NOT_ENTITLED
        elif not result.in_scope:
            reason = FILTERED
        return Verdict(reason is None, reason, details, assignments, str(result.reason))

    def _group_source(self, group_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
        source = dict(attrs)
        source["objectId"] = group_id
        source["IsSoftDeleted"] = group_id in self.deleted_groups
        return source

    def _process_group(self, target: ScimTarget, group_id: str, touch: _Touch) -> None:
        mirror = self.rt.mirror
        attrs = self.deleted_groups.get(group_id) or mirror.groups.get(group_id) or {"id": group_id}
        link = self.rt.links.get(group_id)
        live = link if link is not None and not link.deleted else None
        display = str(attrs.get("displayName") or group_id)
        entry = self._entry("Group", group_id, display, self.group_mapping)
        if live is not None:
            entry.target_id = live.target_id
        entry.imported(touch.change, _source_details(attrs), retry=group_id in self.retrying)
        flows = rules.flow_types(self.group_mapping)
        verdict = self._group_verdict(group_id, attrs)
        entry.scoped(verdict.in_scope, verdict.details)
        if not verdict.in_scope:
            self._deprovision_group(target, entry, verdict, live, flows)
            return
        self.execution.count_entitled += 1
        self.execution.count_entitled_for_provisioning += 1
        self.rt.entered_scope["Group"].add(group_id)
        source = self._group_source(group_id, attrs)
        created = False
        current: dict[str, Any] | None = None
        modified: list[dict[str, Any]] = []
        if live is not None:
            try:
                current = target.get("Groups", live.target_id, exclude_members=True)
            except TargetError as exc:
                self._export_failed(entry, "update", exc.info, "get")
                return
            entry.retrieved(current)
        else:
            pairs = rules.matching_values(self.group_mapping, source)
            if not pairs:
                entry.skipped(
                    "ImportSkipped",
                    f"The Group '{display}' has no value for its matching attribute and is not "
                    "provisioned.",
                    step_type="matching",
                )
                self._emit(entry, "other", "skipped")
                return
            for attribute, value in pairs:
                try:
                    found = target.query("Groups", attribute, value, exclude_members=True)
                except TargetError as exc:
                    self._export_failed(entry, "create", exc.info, "query")
                    return
                if len(found) > 1:
                    self._export_failed(entry, "create", ErrorInfo(
                        "DuplicateTargetEntries",
                        f"More than one Group in {self.app_name} matched {attribute} eq '{value}'.",
                    ), "match")
                    return
                if found:
                    current = found[0]
                    break
            if current is not None and self._claimed(entry, current, "create"):
                return
            if current is None:
                if ADD not in flows:
                    entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, ADD),
                                  step_type="matching")
                    self._emit(entry, "other", "skipped")
                    return
                mapped = rules.map_object(self.group_mapping, source, is_create=True)
                mapped.pop("members", None)
                entry.step(
                    "EntrySynchronizationAdd",
                    "matching",
                    "success",
                    f"Group '{display}' will be created in {self.app_name} (Group is active and "
                    f"assigned in Azure Active Directory, but no matching Group was found in "
                    f"{self.app_name})",
                )
                try:
                    body = target.create("Groups", rules.create_group_body(mapped))
                except TargetError as exc:
                    self._export_failed(entry, "create", exc.info, "create",
                                        modified=_group_modified(source))
                    return
                self._exported()
                created = True
                current = body
                entry.step(
                    "EntryExportAdd", "export", "success",
                    f"Group '{display}' was created in {self.app_name}",
                    {"ReportableIdentifier": display},
                )
                modified.extend(modified_properties(mapped))
            live = self._link(group_id, "Group", str(current["id"]))
            live.members = set() if created or link is None else live.members
            touch.full_member_sync = True
            entry.target_id = live.target_id
            if not created:
                entry.retrieved(current)
        live.managed = True
        entry.target_display = str(current.get("displayName") or "")
        patched = False
        if not created:
            mapped = rules.map_object(self.group_mapping, source, is_create=False)
            mapped.pop("members", None)
            changes = rules.diff(mapped, current, self.exact_groups)
            if changes:
                if UPDATE not in flows:
                    entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, UPDATE))
                    self._emit(entry, "update", "skipped")
                    return
                try:
                    target.patch("Groups", live.target_id, rules.patch_body(changes, self.dialect, current))
                except TargetError as exc:
                    self._export_failed(entry, "update", exc.info, "update")
                    return
                self._exported()
                patched = True
                modified.extend(rules.modified(changes, current))
        add, remove = self._member_changes(group_id, live, touch)
        if add or remove:
            if UPDATE not in flows:
                entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, UPDATE))
                self._emit(entry, "create" if created else "update", "skipped")
                return
            links = self.rt.links
            bodies = rules.member_patches(
                [links[u].target_id for u in add], [links[u].target_id for u in remove], self.dialect
            )
            try:
                for body in bodies:
                    target.patch("Groups", live.target_id, body)
            except TargetError as exc:
                self._export_failed(entry, "update", exc.info, "update", modified=modified)
                return
            if not patched:
                self._exported()
            patched = True
            live.members |= set(add)
            live.members -= set(remove)
            modified.extend(
                {"displayName": "members", "oldValue": None, "newValue": u} for u in add
            )
            modified.extend(
                {"displayName": "members", "oldValue": u, "newValue": None} for u in remove
            )
        if created:
            self._emit(entry, "create", "success", modified=modified)
        elif patched:
            entry.step(
                "EntryExportUpdate", "export", "success",
                f"Group '{display}' was updated in {self.app_name}",
                {"ReportableIdentifier": display},
            )
            self._emit(entry, "update", "success", modified=modified)
        else:
            entry.skipped("RedundantExport", self._redundant_text(entry))
            self._emit(entry, "other", "skipped")

    def _member_changes(self, group_id: str, link: Link, touch: _Touch) -> tuple[list[str], list[str]]:
        mirror = self.rt.mirror
        members = mirror.members.get(group_id, set())

        def exportable(user_id: str) -> bool:
            user_link = self.rt.links.get(user_id)
            if user_link is None or user_link.deleted or not user_link.managed:
                return False
            in_scope = self.in_scope_users.get(user_id)
            if in_scope is None:
                attrs = mirror.users.get(user_id)
                in_scope = attrs is not None and self._user_verdict(user_id, attrs).in_scope
            return in_scope

        if touch.full_member_sync:
            candidates_add = members - link.members
            candidates_remove = link.members - members
        else:
            candidates_add = (touch.added & members) - link.members
            candidates_remove = (touch.removed & link.members) - members
        add = sorted(u for u in candidates_add if exportable(u))
        remove = sorted(
            u for u in candidates_remove
            if u in self.rt.links and not self.rt.links[u].deleted
        )
        # Deleted users left the group in the target with their deletion.
        link.members -= {u for u in candidates_remove if u not in remove}
        return add, remove

    def _deprovision_group(
        self, target: ScimTarget, entry: EntryBuilder, verdict: Verdict, link: Link | None,
        flows: set[str],
    ) -> None:
        if link is None or not link.managed:
            if self.initial or self.settings.log_out_of_scope_changes:
                entry.skipped("NotEffectivelyEntitled", self._skip_text(entry, verdict))
                self._emit(entry, "other", "skipped")
            return
        if verdict.reason in LEAVING_SCOPE and (
            str(self.i.secrets.get("SkipOutOfScopeDeletions", "")).lower() == "true"
        ):
            entry.skipped("SkipOutOfScopeDeletions",
                          f"The Group '{entry.source_display}' went out of scope; it is not "
                          "deleted because SkipOutOfScopeDeletions is set on the job.",
                          step_type="scoping")
            self._emit(entry, "other", "skipped")
            return
        if DELETE not in flows:
            entry.skipped("TargetObjectActionDisabled", self._flow_off_text(entry, DELETE))
            self._emit(entry, "delete", "skipped")
            return
        entry.step(
            "EntrySynchronizationDelete", "processing", "success",
            f"Group '{entry.source_display}' will be deleted in {self.app_name} ({_why_out(verdict)})",
        )
        def export() -> None:
            try:
                target.delete("Groups", link.target_id)
            except TargetError as exc:
                self._export_failed(entry, "delete", exc.info, "delete")
                return
            link.deleted = True
            self._exported()
            entry.step(
                "EntryExportDelete", "export", "success",
                f"Group '{entry.source_display}' was deleted in {self.app_name}",
                {"ReportableIdentifier": entry.source_display},
            )
            self._emit(entry, "delete", "success")

        self._deletion(entry, "delete", export, hard=entry.source_id in self.deleted_groups)

    # ------------------------------------------------------------------------------------
    # Accidental-deletion prevention (§1.9)
    # ------------------------------------------------------------------------------------

    def _delete_threshold(self) -> int | None:
        """The threshold when "Prevent accidental deletions" is on, else None."""
        raw = self.i.secrets.get("SyncNotificationSettings") or ""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict) or str(parsed.get("DeleteThresholdEnabled", "")).lower() != "true":
            return None
        try:
            return int(self.i.job_settings.get("QuarantineTooManyDeletesThreshold", "500"))
        except ValueError:
            return 500

    def _deletion(self, entry: EntryBuilder, action: str, export: Callable[[], None], *, hard: bool) -> None:
        """Run a disable or delete now, or hold it until the cycle's count is known."""
        if self._delete_threshold() is None or self.rt.force_deletes:
            export()
            return
        self._current = None  # settled at the end of the cycle
        attrs = (self.hard_deleted_users.get(entry.source_id) or self.deleted_groups.get(entry.source_id)
                 or {}) if hard else {}
        self.deferred.append(_Deferred(entry, action, export, hard, attrs))

    def _settle_deletions(self) -> None:
        threshold = self._delete_threshold()
        deferred, self.deferred = self.deferred, []
        if threshold is None or len(deferred) <= threshold:
            for item in deferred:
                self._current = item.entry
                self.rt.staged.pop((item.entry.object_type, item.entry.source_id), None)
                item.export()
            return
        # §1.9 [D][ACCDEL]: over the threshold, nothing is deleted or disabled; the objects are
        # logged as StagedDelete and the job is quarantined with TooManyDeletes.
        for item in deferred:
            entry = item.entry
            self.rt.staged[(entry.object_type, entry.source_id)] = {
                "hard": item.hard, "attrs": item.attrs, "action": item.action,
            }
            entry.step(
                "EntrySynchronizationStagedDelete",
                "processing",
                "skipped",
                f"The {entry.object_type} '{entry.source_display}' was not "
                f"{'disabled' if item.action == 'disable' else 'deleted'} in {self.app_name}: this "
                f"cycle would delete or disable {len(deferred)} objects, more than the accidental "
                f"deletions threshold of {threshold}.",
                {"SkipReason": "StagedDelete"},
            )
            self._emit(entry, "stageddelete", "skipped")
        self.summary.counts["staged"] = len(deferred)
        self.quarantine_error = ErrorInfo(
            "TooManyDeletes",
            f"Provisioning has been quarantined: {len(deferred)} deletions in one cycle exceed the "
            f"accidental deletions threshold of {threshold}. Allow the deletes (restart with "
            "ForceDeletes) or fix the source and restart.",
        )
        self.quarantine_reason = "TooManyDeletes"

    def _add_staged(self) -> None:
        """After ``restart`` with ``ForceDeletes``, the held objects are processed again."""
        if not self.rt.force_deletes:
            return
        for (object_type, source_id), held in list(self.rt.staged.items()):
            if object_type == "User":
                if held["hard"]:
                    self.hard_deleted_users.setdefault(source_id, held["attrs"] or {"id": source_id})
                    self.user_changes[source_id] = DELETE
                elif source_id in self.rt.mirror.users:
                    self.user_changes.setdefault(source_id, UPDATE)
            else:
                if held["hard"]:
                    self.deleted_groups.setdefault(source_id, held["attrs"] or {"id": source_id})
                self.group_touches.setdefault(source_id, _Touch(DELETE if held["hard"] else UPDATE))

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
        self._export_failed(entry, action, ErrorInfo(
            "DuplicateSourceEntries",
            f"The {entry.object_type} in {self.app_name} with id '{found.get('id')}' already "
            f"belongs to the source object '{owner}'; more than one source object matches it.",
        ), "match")
        return True

    def _entry(self, object_type: str, source_id: str, display: str, mapping: Any) -> EntryBuilder:
        ctx = LogContext(
            ids=self.i.ids,
            tenant_id=self.i.tenant_id,
            job_id=self.i.job_id,
            cycle_id=self.cycle_id,
            service_principal=self.sp,
            app_name=self.app_name,
            source_system_id=_stable_guid("source", self.i.tenant_id),
            target_system_id=_stable_guid("target", self.sp["id"]),
            now=self.i.now(),
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

    def _export_failed(
        self,
        entry: EntryBuilder,
        action: str,
        info: ErrorInfo,
        operation: str,
        *,
        modified: list[dict[str, Any]] | None = None,
    ) -> None:
        verb = {"create": "create", "update": "update", "disable": "disable", "delete": "delete"}
        step_name = {
            "create": "EntryExportAdd", "update": "EntryExportUpdate",
            "disable": "EntryExportUpdate", "delete": "EntryExportDelete",
        }[action]
        step_type = "matching" if operation in ("query", "match", "get") else "export"
        entry.step(
            step_name if step_type == "export" else "EntryImport",
            step_type,
            "failure",
            f"Failed to {verb[action]} {entry.object_type} '{entry.source_display}' in "
            f"{self.app_name}" if step_type == "export" else
            f"Failed to retrieve '{entry.source_display}' from {self.app_name}",
            {"ReportableIdentifier": entry.source_display},
        )
        info = self._escrow(entry, action, info)
        self._emit(entry, action, "failure", error=info, modified=modified)

    def _escrow(self, entry: EntryBuilder, action: str, info: ErrorInfo) -> ErrorInfo:
        """Keep a retryable failure for later cycles (§1.7) and say so in the reason, as real
        logs do ("This operation was retried N times. It will be retried again after...")."""
        self.execution.count_escrowed_raw += 1
        if info.quarantine:
            self.quarantine_error = info
        if not info.retryable:
            return info
        now = self.i.now()
        key = (entry.object_type, entry.source_id)
        escrow = self.rt.escrows.get(key)
        if escrow is None:
            escrow = Escrow(entry.source_id, entry.object_type, action, info.code, now, attempts=0)
            self.rt.escrows[key] = escrow
        escrow.operation = action
        escrow.error_code = info.code
        escrow.reference = action == "update" and entry.object_type == "Group"
        retried = escrow.attempts
        escrow.attempts += 1
        escrow.next_retry = now + self.settings.escrow_wait(escrow.attempts)
        when = escrow.next_retry.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
        return replace(
            info,
            reason=f"{info.reason} This operation was retried {retried} times. It will be retried "
            f"again after this date: {when} UTC",
        )

    def _skip_text(self, entry: EntryBuilder, verdict: Verdict) -> str:
        kind = entry.object_type
        if verdict.reason in (DISABLED, SOFT_DELETED):
            why = "1) This object is not active in the source system (it is disabled or deleted)."
        elif verdict.reason == FILTERED:
            why = f"1) This object is not in scope of the scoping filters ({verdict.filter_reason})."
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

    def _notification_recipients(self) -> list[str]:
        """Recipients when "Send an email notification when a failure occurs" is on."""
        raw = self.i.secrets.get("SyncNotificationSettings") or ""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            return []
        if not isinstance(parsed, dict) or str(parsed.get("Enabled", "")).lower() != "true":
            return []
        listed = str(parsed.get("Recipients") or self.i.secrets.get("NotificationEmail") or "")
        return [r.strip() for r in listed.replace(",", ";").split(";") if r.strip()]

    def _notify_quarantine(self, reason: str, cause: ErrorInfo) -> None:
        recipients = self._notification_recipients()
        if not recipients:
            return
        app = self.app_name
        if reason == "TooManyDeletes":
            subject = f"[Action required] Accidental deletions prevented for {app}"
            what = ("The provisioning service found more deletions in one cycle than the "
                    "accidental deletions threshold allows, and has held them back.")
        else:
            subject = f"[Action required] Provisioning for {app} has been quarantined"
            what = "The provisioning service has put the job in quarantine."
        body = (
            f"{what}\n\nApplication: {app}\nService principal: {self.sp['id']}\n"
            f"Job: {self.i.job_id}\nReason: {reason}\nError: {cause.code}\n{cause.reason}\n\n"
            "See the provisioning logs and the quarantine details in the Microsoft Entra admin "
            "center for more information."
        )
        self.i.notify({
            "id": self.i.ids.guid(),
            "sentDateTime": iso(self.i.now()),
            "from": "azure-noreply@microsoft.com",
            "to": recipients,
            "subject": subject,
            "body": body,
            "jobId": self.i.job_id,
            "servicePrincipalId": self.sp["id"],
            "reason": reason,
        })

    def _judge_quarantine(self, cause: ErrorInfo | None, *, failed_cycle: bool) -> None:
        """Enter, extend or lift quarantine at the end of a cycle (§1.8)."""
        now = self.i.now()
        status = self.i.status
        settings = self.settings
        reason = None
        if cause is not None:
            reason = self.quarantine_reason or "EncounteredQuarantineException"
        else:
            escrows = list(self.rt.escrows.values())
            failures = sum(1 for e in escrows if not e.reference)
            ratio = 0.0
            if failures and failures >= settings.escrow_min_failures:
                # Counted only when it can matter: a quiet cycle stays O(changes).
                succeeded = sum(1 for link in self.rt.links.values() if link.managed and not link.deleted)
                ratio = failures / (failures + succeeded)
            if len(escrows) > settings.escrow_absolute_failures:
                reason = "EncounteredBaseEscrowThreshold"
            elif failures > settings.escrow_total_failures:
                reason = "EncounteredTotalEscrowThreshold"
            elif failures >= settings.escrow_min_failures and ratio > settings.escrow_failure_ratio:
                reason = "EncounteredEscrowProportionThreshold"
            if reason:
                last = next(iter(reversed(escrows)))
                cause = ErrorInfo(last.error_code, f"{failures} object operations are failing.")
                if self.initial and not failed_cycle:
                    # §1.7 [D][G-STATUS]: in an initial cycle the escrows are pruned instead,
                    # the cycle runs to its end, and the job pauses for the admin to clean up.
                    self.rt.escrows.clear()
                    status.escrows_pruned = True
                    self.summary.pause = True
                    self.summary.quarantine = None
                    return
        if reason is None or cause is None:
            if status.quarantine is not None and not failed_cycle:
                status.quarantine = None  # §1.8: a successful retry lifts quarantine
                status.code = "Active"
            self.summary.quarantine = None
            return
        error = {"code": cause.code, "message": cause.reason, "tenantActionable": True}
        quarantine = status.quarantine
        if quarantine is None or quarantine.reason != reason:
            # §1.8 [D][QUAR]: one e-mail when quarantined, a new one if the reason changes.
            self._notify_quarantine(reason, cause)
        if quarantine is None:
            quarantine = Quarantine(reason, now, now, now + settings.quarantine_wait(1), 1, error)
            status.quarantine = quarantine
        else:
            quarantine.series_count += 1
            quarantine.current_began = now
            quarantine.reason = reason
            quarantine.error = error
            quarantine.next_attempt = now + settings.quarantine_wait(quarantine.series_count)
        status.code = "Quarantine"
        self.summary.quarantine = reason

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
        return self.summary


def guest_upn(upn: str) -> str:
    """§3.0 [D][HPW]: for B2B users the source ``userPrincipalName`` is rewritten from
    ``alias_theirdomain#EXT#@yourdomain`` to ``alias@theirdomain``;
    ``originalUserPrincipalName`` keeps the full value."""
    local = upn.split("#EXT#", 1)[0]
    alias, sep, domain = local.rpartition("_")
    return f"{alias}@{domain}" if sep and alias and domain else upn


def _why_out(verdict: Verdict) -> str:
    return {
        UNASSIGNED: "it is no longer assigned to the application in Azure Active Directory",
        NOT_ENTITLED: "it no longer has a role that entitles it to provisioning",
        FILTERED: "it no longer passes the scoping filters",
        DISABLED: "it is disabled in Azure Active Directory",
        SOFT_DELETED: "it was deleted in Azure Active Directory",
        HARD_DELETED: "it was deleted in Azure Active Directory",
    }.get(verdict.reason or "", "it is out of scope")


def _source_details(attrs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in attrs.items()
        if not k.startswith("@") and not isinstance(v, dict | list) and v is not None
    }


def _group_modified(source: dict[str, Any]) -> list[dict[str, Any]]:
    names = ("objectId", "displayName", "mailEnabled", "securityEnabled")
    return [
        {"displayName": n, "oldValue": None, "newValue": dotnet(source.get(n))}
        for n in names if source.get(n) is not None
    ]


def _stable_guid(kind: str, seed: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"harness:{kind}:{seed}"))


def _directory_error(exc: DirectoryError) -> ErrorInfo:
    return ErrorInfo(
        "InternalError",
        f"Message: Reading Azure Active Directory failed: {exc.status} {exc.code}: {exc.message}. "
        "It will be retried in 40 minutes.",
        category="failure",
        retryable=True,
    )
