"""Provision on demand: one user, or one group with up to five of its members, through the same
pipeline as a cycle, at once (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/provision-on-demand,
https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-provisionondemand).

The objects are read one by one from Graph (the user, its app role assignments, the groups it
is a direct member of and theirs), so the run neither needs nor touches the job's delta
watermarks or directory mirror. Links (the connector data store) are shared with the job: a user
created on demand is known to the next cycle. Entries also go to the provisioning logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from harness.engine.changes import ADD, MANAGER_KEY, UPDATE, Touch
from harness.engine.context import CycleInputs, CycleSummary
from harness.engine.cycle import Cycle
from harness.engine.directory import DirectoryError, GraphDirectory
from harness.engine.scope import DEFAULT_ACCESS_ROLE
from harness.engine.state import Assignment, JobRuntime, Mirror
from harness.engine.status import JobStatus
from harness.engine.target import ScimTarget

MAX_GROUP_MEMBERS = 5  # documented on the provision-on-demand page


@dataclass
class Subject:
    object_id: str
    object_type: str  # "User" | "Group"
    members: list[str]


class OnDemandError(ValueError):
    """The subject cannot be provisioned on demand (unknown object, bad request)."""


class OnDemand:
    """One on-demand run: a :class:`Cycle` that provisions the subject it is given instead of
    importing the directory's changes. Its entries are kept for the answer."""

    def __init__(self, inputs: CycleInputs, subject: Subject) -> None:
        self.entries: list[dict[str, Any]] = []
        real = inputs.runtime
        # The job's links and escrows, but a mirror of only the objects read for this run, and
        # a copy of the watermarks (the job's delta rounds are not touched).
        view = JobRuntime(
            watermarks=replace(real.watermarks),
            links=real.links,
            mirror=Mirror(),
            escrows=real.escrows,
            entered_scope=real.entered_scope,
        )
        emit = inputs.emit

        def capture(entry: dict[str, Any]) -> None:
            self.entries.append(entry)
            emit(entry)

        self.cycle = Cycle(
            replace(inputs, runtime=view, status=JobStatus(), emit=capture), on_demand=True
        )
        self.context = self.cycle.context
        self.subject = subject
        self.not_found: str | None = None

    def run(self) -> CycleSummary:
        return self.cycle.connected(self._provision)

    def _provision(self, directory: GraphDirectory, target: ScimTarget) -> CycleSummary:
        summary = self.context.summary
        failed = self.cycle.start(directory, target)
        if failed is not None:
            return failed
        try:
            self._load(directory)
        except DirectoryError as exc:
            self.not_found = f"{exc.code}: {exc.message}"
            return summary
        except OnDemandError as exc:
            self.not_found = str(exc)
            return summary
        self.cycle.process_all(target)
        return summary

    # The objects, read one by one.

    def _load(self, directory: GraphDirectory) -> None:
        context = self.context
        mirror = context.runtime.mirror
        sp_id = context.inputs.service_principal_id
        subject = self.subject
        if subject.object_type == "User":
            self._load_user(directory, subject.object_id, with_groups=True)
            context.user_changes[subject.object_id] = self._change(subject.object_id)
            return
        group = directory.group(subject.object_id)
        if group is None:
            raise OnDemandError(f"Group '{subject.object_id}' does not exist in the directory.")
        mirror.groups[subject.object_id] = group
        for item in directory.list_all(f"/v1.0/groups/{subject.object_id}/appRoleAssignments"):
            if str(item.get("resourceId")) == sp_id:
                mirror.add_assignment(_assignment(item))
        for member in subject.members:
            self._load_user(directory, member, with_groups=False)
            mirror.add_member(subject.object_id, member)
            context.user_changes[member] = self._change(member)
        context.group_touches[subject.object_id] = Touch(
            self._change(subject.object_id), added=set(subject.members)
        )

    def _load_user(self, directory: GraphDirectory, user_id: str, *, with_groups: bool) -> None:
        mirror = self.context.runtime.mirror
        sp_id = self.context.inputs.service_principal_id
        user = directory.user(user_id)
        if user is None:
            # Deleted users do not appear in on-demand search (Microsoft documents it).
            raise OnDemandError(f"User '{user_id}' does not exist in the directory.")
        user[MANAGER_KEY] = directory.manager_of(user_id)
        mirror.users[user_id] = user
        for item in directory.list_all(f"/v1.0/users/{user_id}/appRoleAssignments"):
            if str(item.get("resourceId")) == sp_id:
                mirror.add_assignment(_assignment(item))
        if not with_groups:
            return
        for group in directory.list_all(f"/v1.0/users/{user_id}/memberOf"):
            if not str(group.get("@odata.type", "")).endswith("group"):
                continue
            group_id = str(group["id"])
            assignments = [
                a
                for a in directory.list_all(f"/v1.0/groups/{group_id}/appRoleAssignments")
                if str(a.get("resourceId")) == sp_id
            ]
            if assignments:
                mirror.groups[group_id] = group
                mirror.add_member(group_id, user_id)
                for item in assignments:
                    mirror.add_assignment(_assignment(item))

    def _change(self, object_id: str) -> str:
        return UPDATE if object_id in self.context.runtime.links else ADD

    # The answer, as Graph gives it.

    def result(self) -> dict[str, Any]:
        """A ``stringKeyStringValuePair``: key = the result, value = the log entry (JSON)."""
        subject_id = self.subject.object_id
        probe_error = self.context.probe_error
        entry = next((e for e in self.entries if e["sourceIdentity"]["id"] == subject_id), None)
        if entry is None and probe_error is not None:
            key = {
                "result": "Failure",
                "details": {
                    "errorCode": probe_error.code,
                    "errorMessage": probe_error.reason,
                },
            }
            test_connection = {
                "provisioningSteps": [
                    {
                        "name": "TestConnection",
                        "provisioningStepType": "import",
                        "status": "failure",
                        "description": "Failed to connect to the target: the test connection request "
                        "for a test user failed.",
                        "details": {"ErrorCode": probe_error.code},
                    }
                ]
            }
            return {"key": json.dumps(key), "value": json.dumps(test_connection)}
        if entry is None:
            key = {
                "result": "Skipped",
                "details": {
                    "errorCode": "NotInScope",
                    "errorMessage": "The object was not evaluated.",
                },
            }
            return {"key": json.dumps(key), "value": "{}"}
        status = entry["provisioningStatusInfo"]["status"]
        error = entry["provisioningStatusInfo"]["errorInformation"] or {}
        skip = next(
            (
                s["details"].get("SkipReason")
                for s in entry["provisioningSteps"]
                if s["name"] == "EntrySynchronizationSkip"
            ),
            None,
        )
        details: dict[str, Any] = {}
        if status == "failure":
            details = {"errorCode": error.get("errorCode"), "errorMessage": error.get("reason")}
        elif status == "skipped":
            details = {
                "errorCode": skip or "Skipped",
                "errorMessage": entry["provisioningSteps"][-1]["description"],
            }
        key = {"result": status.capitalize(), "details": details}
        value: dict[str, Any] = dict(entry)
        value["action"] = entry["provisioningAction"].capitalize()
        value["statusInfo"] = {"status": status.capitalize()}
        if len(self.entries) > 1:
            value["relatedEntries"] = [e for e in self.entries if e is not entry]
        return {"key": json.dumps(key), "value": json.dumps(value)}


def _assignment(item: dict[str, Any]) -> Assignment:
    return Assignment(
        str(item.get("id")),
        str(item.get("principalId")),
        str(item.get("principalType", "User")),
        str(item.get("appRoleId") or DEFAULT_ACCESS_ROLE),
    )


def parse_subject(body: Any, max_members: int = MAX_GROUP_MEMBERS) -> Subject:
    """The one subject of a ``provisionOnDemand`` body; OnDemandError names what is wrong."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("parameters"), list)
        or not body["parameters"]
    ):
        raise OnDemandError("'parameters' must be a list with one {ruleId, subjects} object.")
    if len(body["parameters"]) != 1:
        raise OnDemandError("Provision on demand takes one rule and one subject per request.")
    parameter = body["parameters"][0]
    subjects = parameter.get("subjects") if isinstance(parameter, dict) else None
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise OnDemandError("'subjects' must hold exactly one {objectId, objectTypeName} object.")
    subject = subjects[0]
    object_id, kind = subject.get("objectId"), subject.get("objectTypeName")
    if not isinstance(object_id, str) or not object_id:
        raise OnDemandError("The subject needs an 'objectId'.")
    if kind not in ("User", "Group"):
        raise OnDemandError("'objectTypeName' must be 'User' or 'Group'.")
    members: list[str] = []
    if kind == "Group":
        links = subject.get("links") or {}
        raw = links.get("members", []) if isinstance(links, dict) else None
        if not isinstance(raw, list) or not raw:
            raise OnDemandError("A group subject needs links.members: the members to provision.")
        if len(raw) > max_members:
            raise OnDemandError(
                f"A group can be provisioned on demand with up to {max_members} members."
            )
        for member in raw:
            if not isinstance(member, dict) or not isinstance(member.get("objectId"), str):
                raise OnDemandError("Each member needs an 'objectId'.")
            members.append(member["objectId"])
    return Subject(object_id, kind, members)
