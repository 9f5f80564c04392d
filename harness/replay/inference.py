"""What the records imply: the directory, its changes between cycles, Miro's starting state, the
job's settings, and the steps that make the harness run the same cycles.

Each fact comes from the records and nothing else; what they cannot tell is written as a TODO
(``Draft.todos``, and comments at the step it concerns), never guessed silently. The rules:

- source attributes: the import step's details (``EntryImport*``), as Microsoft's samples show
  them (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-provisionondemand);
- assignment and role: the scoping step's details ("Assigned to the application" / "Assigned",
  "... has the required role"); a user counts as assigned through a group when a group record
  lists it as a member (``members`` modified property), directly otherwise;
- Miro's starting state: an object whose record retrieved it from the target (a matching
  ``EntryImport`` step) before the harness could have created it already existed in Miro;
- settings: a ``SkipOutOfScopeDeletions`` skip means that secret was on
  (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/skip-out-of-scope-deletions);
  a ``TargetObjectActionDisabled`` skip means that target object action was off; an
  ``UnsupportedFilterValue`` failure means the unusual characters in the object's matching value
  are ones the engine cannot filter on
  (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues);
- timing: a cycle that re-adds objects the job already provisioned follows a restart (a full
  cycle); one less than 40 minutes after the previous cycle was started by hand; the others
  are the scheduled incremental cycles, about every 40 minutes
  (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from harness.engine.settings import EngineSettings
from harness.replay.records import Record
from harness.replay.timeline import CYCLE_INTERVAL_S, Cycle, Obj, Timeline, upn_of

DEFAULT_DOMAIN = "contoso.com"
# Characters of matching values every filter query carries (UPNs, group names).
ORDINARY_CHARACTERS = set("@.-_ ")
# Import details that are not settable user attributes (ids, computed or read-only values).
NOT_ATTRIBUTES = {
    "id",
    "objectid",
    "createddatetime",
    "issoftdeleted",
    "approleassignments",
    "originaluserprincipalname",
    "deleteddatetime",
    "manager",
    "memberof",
    "members",
    "refreshtokensvalidfromdatetime",
    "onpremisessyncenabled",
    "onpremiseslastsynctime",
    "onpremisessecurityidentifier",
    "onpremisesimmutableid",
    "proxyaddresses",
    "imaddresses",
    "assignedlicenses",
    "assignedplans",
    "provisionedplans",
    "securityidentifier",
    "usertypechangeddatetime",
    "lastpasswordchangedatetime",
    "createdby",
    "passwordprofile",
}
# What the scenario driver sets for a new user unless told otherwise (explicit nulls undo it).
DRIVER_DEFAULTS = ("displayName", "givenName", "surname", "mail")
GROUP_ATTRIBUTES = ("mailNickname", "mailEnabled", "securityEnabled", "description")
BOOLEAN_ATTRIBUTES = {"accountenabled", "mailenabled", "securityenabled"}
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_FLOW_OF = {"create": "Add", "update": "Update", "delete": "Delete"}
FLOWS = ("Add", "Update", "Delete")


@dataclass
class StepLine:
    name: str
    args: Any = None
    comment: str = ""


@dataclass
class Draft:
    """The case before it is written: sections as plain data, plus comments."""

    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    miro_users: list[dict[str, Any]] = field(default_factory=list)
    miro_teams: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    job_settings: dict[str, str] = field(default_factory=dict)
    engine_settings: dict[str, str] = field(default_factory=dict)
    flows: dict[str, str] = field(default_factory=dict)
    steps: list[StepLine] = field(default_factory=list)
    expect_logs: list[dict[str, Any]] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prelude: bool = False
    omitted_expectations: int = 0


@dataclass
class UserState:
    attrs: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False
    direct_role: str | None = None


@dataclass
class GroupState:
    display: str = ""
    members: set[str] = field(default_factory=set)  # member object names
    role: str | None = None
    deleted: bool = False


def truth(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    text = value.strip().casefold()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    return None


EXPORTS = ("create", "update", "disable", "delete", "stageddelete")


def exported(record: Record) -> bool:
    """The job tried to change the object in the target: it was in scope then."""
    return record.action in EXPORTS and record.status != "skipped"


def scoping_facts(record: Record) -> dict[str, bool | None]:
    step = record.step_of("scoping")
    if step is None:
        in_scope = True if exported(record) else None
        return {"assigned": in_scope, "role": in_scope, "active": None, "filters": None}

    def first(*keys: str) -> bool | None:
        for key in keys:
            value = truth(step.detail(key))
            if value is not None:
                return value
        return None

    return {
        "assigned": first("Assigned to the application", "Assigned"),
        "role": first(
            "User has the required role",
            "Group has the required role",
            "IsEffectivelyEntitledForProvisioning",
        ),
        "active": first("Active in the source system", "IsActive"),
        "filters": first("Scoping filter evaluation passed"),
    }


# The Graph fake refuses these in mailNickname (among them the '.', which Exchange aliases use).
NICKNAME_REFUSED = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]")


def import_attributes(record: Record, adjusted: list[str] | None = None) -> dict[str, Any] | None:
    step = record.step_of("import")
    if step is None or not step.details:
        return None
    out: dict[str, Any] = {}
    for key, value in step.details:
        if not key or key.startswith("@") or key.casefold() in NOT_ATTRIBUTES:
            continue
        if key.casefold() == "mailnickname" and NICKNAME_REFUSED.search(value):
            clean = NICKNAME_REFUSED.sub("", value) or "user"
            if adjusted is not None:
                adjusted.append(
                    f"mailNickname {value!r} is written {clean!r} (the Graph fake refuses the rest)"
                )
            value = clean
        out[key] = truth(value) if key.casefold() in BOOLEAN_ATTRIBUTES else value
    return out


def soft_deleted(record: Record) -> bool:
    step = record.step_of("import")
    flag = truth(step.detail("IsSoftDeleted")) if step else None
    return bool(flag) or record.change_type == "Delete"


def member_changes(record: Record) -> tuple[list[str], list[str]]:
    """Source ids added to and removed from a group, from its ``members`` modified property."""
    added: list[str] = []
    removed: list[str] = []
    for name, old, new in record.modified:
        if name.casefold() != "members":
            continue
        added += _GUID.findall(new or "")
        removed += _GUID.findall(old or "")
    return added, removed


def matched_in_target(record: Record) -> dict[str, str] | None:
    """The target's attributes when the record retrieved the object from the target system."""
    for step in record.steps:
        if step.type == "matching" and step.name == "EntryImport":
            return dict(step.details)
    return None


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


class Builder:
    def __init__(self, timeline: Timeline, *, has_schema: bool, max_expect: int) -> None:
        self.t = timeline
        self.has_schema = has_schema
        self.max_expect = max_expect
        self.draft = Draft()
        self.users: dict[str, UserState] = {}
        self.groups: dict[str, GroupState] = {}
        self.by_id = {obj.source_id: obj for obj in timeline.objects.values()}
        self.linked: set[str] = set()  # objects the job has provisioned (create/update success)
        self.disabled_flows: dict[str, set[str]] = {}
        self.enabled_flows: dict[str, set[str]] = {}
        self.unknown_members: set[str] = set()
        self.filtered_out: set[str] = set()
        self.early_members: dict[str, set[str]] = {}
        # Deletions held by the accidental-deletions threshold and not let through yet.
        self.staged: set[str] = set()
        self.adjusted: list[
            str
        ] = []  # values changed so the fakes accept them  # group -> member ids known from the start

    # -- the whole case --------------------------------------------------------------------

    def build(self) -> Draft:
        t, d = self.t, self.draft
        first_regular = next((c for c in t.cycles if not c.on_demand), None)
        initial_objects = self._initial_objects(first_regular)
        d.prelude = first_regular is not None and not self._is_full(first_regular, first=True)
        self._directory(initial_objects)
        self._miro_state()
        started = False
        previous: Cycle | None = None
        if d.prelude:
            d.steps.append(
                StepLine(
                    "sync",
                    comment="warm-up: the export starts after the job's initial cycle; this "
                    "cycle links the objects first (not compared)",
                )
            )
            started = True
            d.todos.append(
                "The export starts in the middle of the job's life (its first cycle is "
                "incremental): the warm-up sync stands in for the cycles before it; check the "
                "starting state of Miro and the directory."
            )
        total = len(t.cycles)
        for cycle in t.cycles:
            d.steps.append(StepLine("note", cycle.marker(total)))
            if cycle.on_demand:
                self._changes(cycle, initial_objects)
                self._on_demand(cycle)
            elif not started:
                self._changes(cycle, initial_objects)
                d.steps.append(StepLine("sync"))
                started = True
            else:
                self._scheduled(cycle, previous, initial_objects)
            if not cycle.on_demand:
                previous = cycle
            self._observe_outcomes(cycle)
        self._settings()
        self._expectations()
        return d

    # -- the starting state ----------------------------------------------------------------

    def _initial_objects(self, first_regular: Cycle | None) -> set[str]:
        """Objects present from the start: those of the first regular cycle and of any
        on-demand call before it (provision on demand reads existing objects)."""
        names: set[str] = set()
        for cycle in self.t.cycles:
            for record in cycle.records:
                names.add(self.t.object_of(record).name)
            if cycle is first_regular:
                break
        if first_regular is None:
            names = {o.name for o in self.t.objects.values()}
        return names

    def _directory(self, initial: set[str]) -> None:
        objects = [o for o in self.t.objects.values() if o.name in initial]
        for obj in objects:
            if obj.kind == "Group":
                self.groups[obj.name] = GroupState(display=obj.name)
        for obj in objects:
            if obj.kind == "Group":
                self._initial_group(obj, initial)
        for obj in objects:
            if obj.kind == "User":
                self._initial_user(obj)

    def _initial_group(self, obj: Obj, initial: set[str]) -> None:
        _, record = obj.records[0]
        state = self.groups[obj.name]
        spec: dict[str, Any] = {"name": obj.name}
        attrs = import_attributes(record, self.adjusted) or {}
        for key in GROUP_ATTRIBUTES:
            if key in attrs and attrs[key] is not None:
                spec[key] = attrs[key]
        added = self._first_members(obj, initial)
        members = []
        for member_id in added:
            member = self.by_id.get(member_id)
            if member is None:
                self.unknown_members.add(member_id)
                continue
            members.append(member.name)
            state.members.add(member.name)
        if members:
            spec["members"] = members
        facts = scoping_facts(record)
        if facts["assigned"]:
            state.role = "User" if facts["role"] is not False else "Default Access"
            spec["role"] = state.role
        self._note_no_scoping(obj, record)
        if obj.name != record.source.display.strip():
            self.draft.todos.append(
                f"Group {record.source.display!r} shares its display name with another object; "
                f"the case names it {obj.name!r}, which the directory will show as its name."
            )
        self.draft.groups.append(spec)

    def _first_members(self, obj: Obj, initial: set[str]) -> list[str]:
        """Members the group had from the start: those its first membership evidence lists,
        when no earlier record exported the group (so none could have shown them)."""
        for _, record in obj.records:
            added, _ = member_changes(record)
            if added:
                if record is not obj.records[0][1]:
                    added = [m for m in added if m in self.by_id and self.by_id[m].name in initial]
                    self.early_members[obj.name] = set(added)
                return added
            if record.status == "success" and record.action in ("create", "update"):
                return []
        return []

    def _initial_user(self, obj: Obj) -> None:
        _, record = obj.records[0]
        state = UserState()
        self.users[obj.name] = state
        spec: dict[str, Any] = {"name": obj.name}
        upn = upn_of(record)
        if upn and upn.casefold() != f"{obj.name}@{DEFAULT_DOMAIN}":
            spec["upn"] = upn
        attrs = import_attributes(record, self.adjusted)
        if attrs is None:
            self.draft.todos.append(
                f"{obj.name}: the records show none of its attributes (no import details); the "
                "harness's defaults stand in for them."
            )
            attrs = {}
        else:
            for key in DRIVER_DEFAULTS:
                attrs.setdefault(key, None)
        attrs.pop("userPrincipalName", None)
        if "mail" in attrs and attrs["mail"] is None and "upn" in spec:
            pass  # an explicit null: the user has no mail
        state.attrs = dict(attrs)
        spec.update({k: v for k, v in attrs.items()})
        state.deleted = False
        facts = scoping_facts(record)
        if facts["assigned"] and not self._via_group(obj.name):
            state.direct_role = "User" if facts["role"] is not False else "Default Access"
            spec["role"] = state.direct_role
        self._note_no_scoping(obj, record)
        if facts["filters"] is False:
            self.filtered_out.add(obj.name)
        self.draft.users.append(spec)

    def _note_no_scoping(self, obj: Obj, record: Record) -> None:
        if record.step_of("scoping") is None:
            how = (
                "assigned with the User role, since the job exported it"
                if exported(record)
                else "left unassigned"
            )
            self.draft.todos.append(
                f"{obj.name}: its first record has no scoping step, so its assignment is not "
                f"recorded; {how}."
            )

    def _via_group(self, user: str) -> bool:
        return any(user in g.members and g.role and not g.deleted for g in self.groups.values())

    def _miro_state(self) -> None:
        """Objects the job found in Miro before it could have created them."""
        for obj in self.t.objects.values():
            for _, record in obj.records:
                if record.action == "create" and record.status == "success":
                    break  # created by the job: not there before
                target = matched_in_target(record)
                if target is None:
                    continue
                if obj.kind == "Group":
                    name = (
                        target.get("displayName") or record.target.display or record.source.display
                    )
                    if name and name not in self.draft.miro_teams:
                        self.draft.miro_teams.append(name)
                else:
                    self.draft.miro_users.append(self._miro_user(record, target))
                break

    @staticmethod
    def _miro_user(record: Record, target: dict[str, str]) -> dict[str, Any]:
        folded = {k.casefold(): v for k, v in target.items()}
        user: dict[str, Any] = {
            "userName": folded.get("username") or record.target.display or upn_of(record)
        }
        active = truth(folded.get("active"))
        if active is not None:
            user["active"] = active
        for key, path in (
            ("displayName", "displayname"),
            ("givenName", "name.givenname"),
            ("familyName", "name.familyname"),
            ("externalId", "externalid"),
        ):
            if folded.get(path):
                user[key] = folded[path]
        return user

    # -- cycles ----------------------------------------------------------------------------

    def _is_full(self, cycle: Cycle, first: bool = False) -> bool:
        """A full (initial) cycle: every object arrives as a new one (``EntryImportAdd``)."""
        kinds = {r.change_type for r in cycle.records if r.change_type}
        if first:
            return not kinds or kinds == {"Add"}
        return any(
            r.change_type == "Add" and self.t.object_of(r).name in self.linked
            for r in cycle.records
        )

    def _scheduled(self, cycle: Cycle, previous: Cycle | None, initial: set[str]) -> None:
        d = self.draft
        gap = cycle.began - previous.began if previous else timedelta(0)
        interval = timedelta(seconds=CYCLE_INTERVAL_S)
        released = {
            self.t.object_of(r).name
            for r in cycle.records
            if r.status == "success" and r.action in ("disable", "delete")
        } & self.staged
        if released:
            # Held deletions went through: the admin allowed them ("Allow deletes"; Graph's
            # restart with ForceDeletes,
            # https://learn.microsoft.com/en-us/entra/identity/app-provisioning/accidental-deletions).
            if gap > timedelta(0):
                d.steps.append(StepLine("advance", duration(gap)))
            self._changes(cycle, initial)
            d.steps.append(
                StepLine(
                    "restart",
                    {"scope": "ForceDeletes"},
                    comment=f"{len(released)} held deletion(s) went through: deletes allowed",
                )
            )
            d.steps.append(StepLine("advance", "0"))
            self.staged -= released
        elif self._is_full(cycle):
            if gap > timedelta(0):
                d.steps.append(StepLine("advance", duration(gap)))
            self._changes(cycle, initial)
            d.steps.append(
                StepLine(
                    "restart",
                    "Full",
                    comment="objects the job had provisioned arrive as new ones: the job was "
                    "restarted (or deleted and recreated)",
                )
            )
            d.steps.append(StepLine("advance", "0"))
        elif gap < interval:
            if gap > timedelta(0):
                d.steps.append(StepLine("advance", duration(gap)))
            self._changes(cycle, initial)
            d.steps.append(
                StepLine(
                    "start", comment=f"{duration(gap)} after the previous cycle: started by hand"
                )
            )
            d.steps.append(StepLine("advance", "0"))
        else:
            if gap - interval > timedelta(0):
                d.steps.append(StepLine("advance", duration(gap - interval)))
            self._changes(cycle, initial)
            d.steps.append(StepLine("next_cycle"))

    def _on_demand(self, cycle: Cycle) -> None:
        objects = [self.t.object_of(r) for r in cycle.records]
        groups = [o for o in objects if o.kind == "Group"]
        subject = groups[0] if groups else objects[0]
        members = [o.name for o in objects if o is not subject and o.kind == "User"]
        args: Any = {"subject": subject.name, "members": members} if members else subject.name
        self.draft.steps.append(StepLine("provision_on_demand", args))

    def _observe_outcomes(self, cycle: Cycle) -> None:
        held = [r for r in cycle.records if r.action == "stageddelete"]
        if held:
            # Held deletions mean "Prevent accidental deletions" was on with a threshold below
            # their number (the largest such threshold is taken).
            self.draft.secrets["SyncNotificationSettings"] = (
                '{"Enabled":false,"DeleteThresholdEnabled":true}'
            )
            current = int(self.draft.job_settings.get("QuarantineTooManyDeletesThreshold", "500"))
            self.draft.job_settings["QuarantineTooManyDeletesThreshold"] = str(
                min(current, len(held) - 1)
            )
            self.staged |= {self.t.object_of(r).name for r in held}
        for record in cycle.records:
            obj = self.t.object_of(record)
            if record.status == "success" and record.action in ("create", "update"):
                self.linked.add(obj.name)
            if record.status == "success" and record.action in ("delete",):
                self.linked.discard(obj.name)
            if record.skip_reason == "TargetObjectActionDisabled":
                self.disabled_flows.setdefault(obj.kind, set()).add(self._flow_of_skip(record))
            elif record.status in ("success", "failure") and record.action in _FLOW_OF:
                self.enabled_flows.setdefault(obj.kind, set()).add(_FLOW_OF[record.action])
            if record.skip_reason == "SkipOutOfScopeDeletions":
                self.draft.secrets["SkipOutOfScopeDeletions"] = "True"
            if scoping_facts(record)["filters"] is False:
                self.filtered_out.add(obj.name)

    @staticmethod
    def _flow_of_skip(record: Record) -> str:
        for step in record.steps:
            match = re.search(r"\b(Create|Update|Delete) target object action", step.description)
            if match:
                return {"Create": "Add", "Update": "Update", "Delete": "Delete"}[match.group(1)]
        if record.action in ("delete", "disable", "stageddelete"):
            return "Delete"
        if record.step_of("matching", "EntrySynchronizationSkip") or record.change_type == "Add":
            return "Add"
        return "Update"

    # -- changes between cycles ------------------------------------------------------------

    def _changes(self, cycle: Cycle, initial: set[str]) -> None:
        records = sorted(cycle.records, key=lambda r: r.object_type != "Group")
        for record in records:
            obj = self.t.object_of(record)
            if (
                obj.name not in initial
                and obj.name not in self.users
                and obj.name not in self.groups
            ):
                self._add_later(obj, record)
                continue
            if obj.kind == "Group":
                self._group_changes(obj, record)
        for record in records:
            obj = self.t.object_of(record)
            if obj.kind == "User" and obj.name in self.users:
                self._user_changes(obj, record)

    def _add_later(self, obj: Obj, record: Record) -> None:
        """An object first seen after the start: created just before this cycle."""
        d = self.draft
        if obj.kind == "Group":
            self.groups[obj.name] = GroupState(display=obj.name)
            spec: dict[str, Any] = {"name": obj.name}
            facts = scoping_facts(record)
            if facts["assigned"]:
                self.groups[obj.name].role = (
                    "User" if facts["role"] is not False else "Default Access"
                )
                spec["role"] = self.groups[obj.name].role
            d.steps.append(StepLine("add_group", spec, comment="first seen in this cycle"))
            self._group_changes(obj, record, members_only=True)
            return
        state = UserState()
        self.users[obj.name] = state
        spec = {"name": obj.name}
        upn = upn_of(record)
        if upn and upn.casefold() != f"{obj.name}@{DEFAULT_DOMAIN}":
            spec["upn"] = upn
        attrs = import_attributes(record, self.adjusted) or {}
        for key in DRIVER_DEFAULTS:
            attrs.setdefault(key, None)
        attrs.pop("userPrincipalName", None)
        state.attrs = dict(attrs)
        spec.update(attrs)
        facts = scoping_facts(record)
        if facts["assigned"] and not self._via_group(obj.name):
            state.direct_role = "User" if facts["role"] is not False else "Default Access"
            spec["role"] = state.direct_role
        d.steps.append(StepLine("add_user", spec, comment="first seen in this cycle"))

    def _group_changes(self, obj: Obj, record: Record, members_only: bool = False) -> None:
        state = self.groups[obj.name]
        steps = self.draft.steps
        if not members_only:
            display = record.source.display.strip()
            if display and display != state.display:
                steps.append(StepLine("rename_group", {"group": obj.name, "to": display}))
                state.display = display
            if soft_deleted(record) and not state.deleted:
                steps.append(StepLine("delete_group", obj.name))
                state.deleted = True
                return
        added, removed = member_changes(record)
        if self._first_record(obj) is record and not members_only:
            return  # the directory section already holds its first members
        early = self.early_members.pop(obj.name, set())
        added = [m for m in added if m not in early]
        for member_id in added:
            member = self.by_id.get(member_id)
            if member is None:
                self.unknown_members.add(member_id)
            elif member.name not in state.members and (
                member.name in self.users or member.name in self.groups
            ):
                steps.append(StepLine("add_member", {"group": obj.name, "member": member.name}))
                state.members.add(member.name)
        for member_id in removed:
            member = self.by_id.get(member_id)
            if member is not None and member.name in state.members:
                steps.append(StepLine("remove_member", {"group": obj.name, "member": member.name}))
                state.members.discard(member.name)
        facts = scoping_facts(record)
        if facts["assigned"] is True and state.role is None:
            state.role = "User" if facts["role"] is not False else "Default Access"
            steps.append(StepLine("assign", {"principal": obj.name, "role": state.role}))
        elif facts["assigned"] is False and state.role is not None:
            steps.append(StepLine("unassign", obj.name))
            state.role = None

    def _first_record(self, obj: Obj) -> Record:
        return obj.records[0][1]

    def _user_changes(self, obj: Obj, record: Record) -> None:
        state = self.users[obj.name]
        steps = self.draft.steps
        if self._first_record(obj) is record:
            return  # its starting state is the directory entry (or add_user) itself
        deleted = soft_deleted(record)
        if deleted and not state.deleted:
            steps.append(StepLine("soft_delete", obj.name))
            state.deleted = True
            return
        if not deleted and state.deleted:
            steps.append(StepLine("restore", obj.name))
            state.deleted = False
        attrs = import_attributes(record, self.adjusted)
        if attrs is not None:
            upn = upn_of(record)
            current_upn = state.attrs.get("userPrincipalName")
            changes: dict[str, Any] = {}
            if upn and upn != (current_upn or self._start_upn(obj)):
                changes["userPrincipalName"] = upn
                state.attrs["userPrincipalName"] = upn
            attrs.pop("userPrincipalName", None)
            enabled = attrs.pop("accountEnabled", None)
            for key, value in attrs.items():
                if state.attrs.get(key) != value:
                    changes[key] = value
                    state.attrs[key] = value
            for key in list(state.attrs):
                if (
                    key not in attrs
                    and key not in DRIVER_DEFAULTS
                    and key
                    not in (
                        "accountEnabled",
                        "userPrincipalName",
                    )
                    and state.attrs[key] is not None
                ):
                    changes[key] = None
                    state.attrs[key] = None
            if changes:
                steps.append(StepLine("update_user", {"user": obj.name, **changes}))
            was = state.attrs.get("accountEnabled", True)
            if enabled is not None and enabled != (was if was is not None else True):
                steps.append(StepLine("enable" if enabled else "disable", obj.name))
                state.attrs["accountEnabled"] = enabled
        self._assignment(obj, record, state)

    def _start_upn(self, obj: Obj) -> str:
        return upn_of(self._first_record(obj))

    def _assignment(self, obj: Obj, record: Record, state: UserState) -> None:
        facts = scoping_facts(record)
        assigned, role_ok = facts["assigned"], facts["role"]
        if assigned is None:
            return
        via_group = self._via_group(obj.name)
        effective = via_group or state.direct_role is not None
        steps = self.draft.steps
        if assigned and not effective:
            state.direct_role = "User" if role_ok is not False else "Default Access"
            steps.append(StepLine("assign", {"principal": obj.name, "role": state.direct_role}))
        elif not assigned and effective:
            if state.direct_role is not None:
                steps.append(StepLine("unassign", obj.name))
                state.direct_role = None
            else:
                groups = sorted(
                    g for g, s in self.groups.items() if obj.name in s.members and s.role
                )
                self.draft.todos.append(
                    f"{obj.name} lost its assignment in cycle {self._cycle_of(record)}, but the "
                    f"records do not say how (it is a member of {', '.join(groups)})."
                )
        elif assigned and state.direct_role is not None and role_ok is not None:
            wanted = "User" if role_ok else "Default Access"
            if wanted != state.direct_role:
                steps.append(StepLine("unassign", obj.name))
                steps.append(StepLine("assign", {"principal": obj.name, "role": wanted}))
                state.direct_role = wanted

    def _cycle_of(self, record: Record) -> int:
        obj = self.t.object_of(record)
        return next(i for i, r in obj.records if r is record)

    # -- settings and expectations ---------------------------------------------------------

    def _settings(self) -> None:
        d = self.draft
        if not self.has_schema:
            for kind in ("User", "Group"):
                off = self.disabled_flows.get(kind, set()) - self.enabled_flows.get(kind, set())
                if off:
                    kept = [f for f in FLOWS if f not in off]
                    d.flows[kind] = ", ".join(kept) if kept else "None"
                    unseen = [f for f in kept if f not in self.enabled_flows.get(kind, set())]
                    if unseen:
                        d.notes.append(
                            f"{kind} target object actions: {', '.join(sorted(off))} off (skipped "
                            f"as TargetObjectActionDisabled); {', '.join(unseen)} not seen in the "
                            "records, kept on as in the gallery template."
                        )
            if self.filtered_out:
                names = sorted(self.filtered_out)
                shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
                d.todos.append(
                    f"Scoping filters left {len(names)} object(s) out of scope ({shown}); the "
                    "records do not say which filters: pass the job's schema (--schema) or add "
                    "them under job.scoping."
                )
        if self.adjusted:
            shown = "; ".join(self.adjusted[:3]) + (" ..." if len(self.adjusted) > 3 else "")
            d.todos.append(f"{len(self.adjusted)} value(s) adjusted for the fakes: {shown}.")
        if self.unknown_members:
            some = ", ".join(sorted(self.unknown_members)[:3])
            d.todos.append(
                f"{len(self.unknown_members)} group member(s) have no record of their own "
                f"({some} ...); they are left out of the groups."
            )
        self._filter_characters()
        failures = sorted(
            {
                (r.error_code, self.t.object_of(r).name)
                for c in self.t.cycles
                for r in c.records
                if r.status == "failure" and r.error_code
            }
        )
        by_code: dict[str, list[str]] = {}
        for code, name in failures:
            by_code.setdefault(code, []).append(name)
        for code, names in by_code.items():
            d.notes.append(
                f"{code}: {len(names)} object(s) failed with it ({', '.join(names[:3])}"
                f"{' ...' if len(names) > 3 else ''}). If Miro's answer caused it and the fake "
                "does not give the same, add a fault step before that cycle."
            )

    def _filter_characters(self) -> None:
        """Characters the customer's engine refused to filter on: the unusual ones in the
        matching value (UPN, group name) of each ``UnsupportedFilterValue`` failure, added to
        the default set when it lacks them."""
        default = EngineSettings().filter_special_characters
        seen: set[str] = set()
        for cycle in self.t.cycles:
            for record in cycle.records:
                if record.error_code != "UnsupportedFilterValue":
                    continue
                value = upn_of(record) if record.object_type == "User" else record.source.display
                seen |= {c for c in value if not c.isalnum() and c not in ORDINARY_CHARACTERS}
        extra = sorted(seen - set(default))
        if extra:
            self.draft.engine_settings["filter_special_characters"] = "".join(extra) + default

    def _expectations(self) -> None:
        d = self.draft
        objects = sorted(self.t.objects.values(), key=lambda o: o.name.casefold())
        if len(objects) > self.max_expect:
            d.omitted_expectations = len(objects) - self.max_expect
            objects = objects[: self.max_expect]
        for obj in objects:
            if d.prelude:
                record = obj.records[-1][1]
                d.expect_logs.append({**_outcome(record, obj.name), "latest": True})
                continue
            counts: dict[tuple[tuple[str, Any], ...], int] = {}
            for _, record in obj.records:
                key = tuple(_outcome(record, obj.name).items())
                counts[key] = counts.get(key, 0) + 1  # dicts keep first-seen order
            for key, count in counts.items():
                d.expect_logs.append({**dict(key), "count": count})


def _outcome(record: Record, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"object": name, "action": record.action, "status": record.status}
    if record.error_code:
        out["error_code"] = record.error_code
    if record.skip_reason:
        out["skip_reason"] = record.skip_reason
    return out
