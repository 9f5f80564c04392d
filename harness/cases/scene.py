"""Setting a case's scene and playing its steps, all through the scenario driver (HTTP only).

Every action runs under ``at(line, where)``: a refused call or a bad reference stops the case
with a ``StepFailed`` that names the line of the case file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from harness.cases import bulk
from harness.cases.loader import Case, Step
from harness.cases.result import StepRecord
from harness.testing.compare import ENTERPRISE
from harness.testing.driver import Driver


class StepFailed(Exception):
    def __init__(self, line: int, where: str, message: str) -> None:
        super().__init__(f"line {line}: {where}: {message}")
        self.line, self.where, self.message = line, where, message


@contextmanager
def at(line: int, where: str) -> Iterator[None]:
    """Turn a refused call or a bad reference into a failure that names the case line."""
    try:
        yield
    except StepFailed:
        raise
    except (AssertionError, KeyError, ValueError, httpx.HTTPError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise StepFailed(line, where, str(message)) from None


def set_up(case: Case, d: Driver) -> None:
    miro, directory, job = case.miro, case.directory, case.job
    if "state_file" in miro:
        with at(case.line_of(miro, "state_file"), "miro.state_file"):
            response = d.miro.put("/_fake/state", json=case.attachments["state_file"])
            if response.status_code >= 400:
                raise ValueError(f"Miro refused the state: {response.text[:300]}")
    if "settings" in miro:
        with at(case.line_of(miro, "settings"), "miro.settings"):
            _miro_settings(d, dict(miro["settings"]))
    if miro.get("teams"):
        with at(case.line_of(miro, "teams"), "miro.teams"):
            d.miro_teams(*miro["teams"])
    for i, user in enumerate(miro.get("users") or []):
        with at(user.line, f"miro.users[{i}]"):
            _miro_user(d, user)

    if "generate" in directory:
        gen = directory["generate"]
        with at(gen.line, "directory.generate"):
            d.seed_directory(gen.get("seed", case.seed), gen.get("users", 25), gen.get("groups", 3))
    for i, user in enumerate(directory.get("users") or []):
        with at(user.line, f"directory.users[{i}]"):
            _add_user(d, user)
    groups = directory.get("groups") or []
    for i, group in enumerate(groups):
        with at(group.line, f"directory.groups[{i}]"):
            _add_group(d, group, members=False)
    for i, group in enumerate(groups):
        with at(group.line, f"directory.groups[{i}].members"):
            for member in group.get("members") or []:
                d.add_member(group["name"], member)
    for entry in [*(directory.get("users") or []), *groups]:
        if "role" in entry:
            with at(entry.line, f"{entry['name']}.role"):
                d.assign(entry["name"], role=entry["role"])
    for i, assignment in enumerate(directory.get("assignments") or []):
        with at(assignment.line, f"directory.assignments[{i}]"):
            d.assign(assignment["principal"], role=assignment.get("role", "User"))

    if "settings" in job:
        with at(case.line_of(job, "settings"), "job.settings"):
            d.set_engine(**dict(job["settings"]))
    if "secrets" in job:
        with at(case.line_of(job, "secrets"), "job.secrets"):
            d.set_secrets(**_strings(job["secrets"]))
    if "job_settings" in job:
        with at(case.line_of(job, "job_settings"), "job.job_settings"):
            d.set_job_settings(**dict(job["job_settings"]))
    if "schema_file" in job:
        with at(case.line_of(job, "schema_file"), "job.schema_file"):
            d.put_schema(case.attachments["schema_file"])
    if any(k in job for k in ("flows", "scoping", "mappings")):
        with at(job.line, "job (flows, scoping, mappings)"):
            _edit_schema(d, job.get("flows"), job.get("scoping"), job.get("mappings"))


def _strings(pairs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | bool) else ("" if v is None else str(v))
        for k, v in pairs.items()
    }


def _miro_settings(d: Driver, settings: dict[str, Any]) -> None:
    try:
        d.miro_settings(**settings)
    except AssertionError as exc:
        raise ValueError(f"Miro refused the settings: {exc}") from None


def _miro_user(d: Driver, spec: dict[str, Any]) -> None:
    body: dict[str, Any] = {"userName": spec["userName"]}
    for key in ("displayName", "externalId", "userType"):
        if key in spec:
            body[key] = spec[key]
    name = {k: spec[k] for k in ("givenName", "familyName") if k in spec}
    if name:
        body["name"] = name
    if "email" in spec:
        body["emails"] = [{"primary": True, "type": "work", "value": spec["email"]}]
    if "department" in spec:
        body["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]
        body[ENTERPRISE] = {"department": spec["department"]}
    created = d.miro_add_user(body.pop("userName"), **body)
    teams = d.miro_teams()
    for team in spec.get("teams") or []:
        if team not in teams:
            teams = d.miro_teams(team)
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": created["id"]}]}],
        }
        response = d.miro.patch(f"/api/v1/scim/Groups/{teams[team]}", json=patch)
        if response.status_code >= 400:
            raise ValueError(
                f"Miro refused to add {spec['userName']} to {team}: {response.text[:300]}"
            )
    # Last: adding a deactivated user to a team reactivates them in Miro.
    if spec.get("active") is False:
        patch = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        }
        response = d.miro.patch(f"/api/v1/scim/Users/{created['id']}", json=patch)
        if response.status_code >= 400:
            raise ValueError(
                f"Miro refused to deactivate {spec['userName']}: {response.text[:300]}"
            )


def _add_user(d: Driver, spec: dict[str, Any]) -> None:
    attributes = {k: v for k, v in spec.items() if k not in ("name", "upn", "role")}
    if "upn" in spec:
        attributes.setdefault("userPrincipalName", spec["upn"])
        attributes.setdefault("mail", spec["upn"])
    d.add_user(spec["name"], **attributes)


def _add_group(d: Driver, spec: dict[str, Any], members: bool = True) -> None:
    attributes = {k: v for k, v in spec.items() if k not in ("name", "members", "role")}
    d.add_group(spec["name"], *((spec.get("members") or []) if members else []), **attributes)


def scoping_groups(filters: list[dict[str, Any]]) -> dict[str, Any] | None:
    groups = []
    for i, spec in enumerate(filters):
        clauses = []
        for clause in spec["clauses"]:
            value = clause.get("value")
            values = (
                []
                if value is None
                else [str(v) for v in (value if isinstance(value, list) else [value])]
            )
            clauses.append(
                {
                    "operatorName": clause["operator"],
                    "sourceOperandName": clause["attribute"],
                    "targetOperand": {"values": values},
                }
            )
        groups.append({"name": spec.get("name", f"filter {i + 1}"), "clauses": clauses})
    return {"groups": groups} if groups else None


def _edit_schema(d: Driver, flows: Any, scoping: Any, mappings: Any) -> None:
    with d.edit_schema() as schema:
        for obj, value in (flows or {}).items():
            d.object_mapping(schema, obj)["flowTypes"] = value
        for obj, filters in (scoping or {}).items():
            d.object_mapping(schema, obj)["scope"] = scoping_groups(filters)
        for obj, edits in (mappings or {}).items():
            mapping = d.object_mapping(schema, obj)
            attrs = mapping.setdefault("attributeMappings", [])
            for edit in edits:
                target = edit["target"]
                current = next((a for a in attrs if a.get("targetAttributeName") == target), None)
                if edit.get("remove"):
                    attrs[:] = [a for a in attrs if a.get("targetAttributeName") != target]
                    continue
                if current is None:
                    if "expression" not in edit:
                        raise ValueError(f"{obj} has no mapping to {target!r}; give an expression")
                    current = {
                        "defaultValue": None,
                        "exportMissingReferences": False,
                        "flowBehavior": "FlowWhenChanged",
                        "flowType": "Always",
                        "matchingPriority": 0,
                        "targetAttributeName": target,
                    }
                    attrs.append(current)
                if "expression" in edit:
                    current["source"] = _source(edit["expression"])
                if "matchingPriority" in edit:
                    current["matchingPriority"] = edit["matchingPriority"]


def _source(expression: str) -> dict[str, Any]:
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


# -- steps ---------------------------------------------------------------------------------


def play(d: Driver, step: Step, record: StepRecord) -> None:
    """Play one step: a plain one, or a bulk one object after object."""
    if step.items is None:
        with at(step.line, f"step {step.name}"):
            _play(d, step.name, step.args, record)
        return
    for item, who in zip(step.items, bulk.principal_names(step.name, step.items), strict=True):
        with at(step.line, f"step {step.name} ({who})"):
            _play(d, step.name, item, record)


def _play(d: Driver, name: str, args: Any, record: StepRecord) -> None:
    if name == "start":
        d.start()
    elif name == "pause":
        d.pause()
    elif name == "sync":
        record.cycles = d.sync()
    elif name == "next_cycle":
        record.cycles = d.next_cycle()
    elif name == "advance":
        record.cycles = d.advance(args)
    elif name == "restart":
        scope = args.get("scope") if isinstance(args, dict) else args
        d.restart(scope)
    elif name == "add_user":
        _add_user(d, args)
        if "role" in args:
            d.assign(args["name"], role=args["role"])
    elif name == "update_user":
        d.update_user(args["user"], **{k: v for k, v in args.items() if k != "user"})
    elif name in ("disable", "enable", "soft_delete", "restore", "hard_delete", "delete_group"):
        getattr(d, name)(args)
    elif name == "add_group":
        _add_group(d, args)
        if "role" in args:
            d.assign(args["name"], role=args["role"])
    elif name == "add_member":
        d.add_member(args["group"], args["member"])
    elif name == "remove_member":
        d.remove_member(args["group"], args["member"])
    elif name == "rename_group":
        d.rename_group(args["group"], args["to"])
    elif name == "assign":
        if isinstance(args, str):
            d.assign(args)
        else:
            d.assign(args["principal"], role=args.get("role", "User"))
    elif name == "unassign":
        if isinstance(args, str):
            d.unassign(args)
        else:
            d.unassign(args["principal"], role=args.get("role"))
    elif name == "secrets":
        d.set_secrets(**_strings(args))
    elif name == "settings":
        d.set_engine(**dict(args))
    elif name == "job_settings":
        d.set_job_settings(**dict(args))
    elif name in ("flows", "scoping", "mappings"):
        _edit_schema(
            d,
            args if name == "flows" else None,
            args if name == "scoping" else None,
            args if name == "mappings" else None,
        )
    elif name == "fault":
        d.fault(
            args.get("method", "*"),
            args.get("path", ".*"),
            args.get("status"),
            **{k: v for k, v in args.items() if k not in ("method", "path", "status")},
        )
    elif name == "clear_faults":
        d.clear_faults()
    elif name == "miro_settings":
        _miro_settings(d, dict(args))
    elif name == "miro_add_user":
        _miro_user(d, args)
    elif name == "miro_delete_user":
        user = d.miro_user(args)
        if user is None:
            raise ValueError(f"Miro has no user {args!r} to delete")
        d.miro.delete(f"/api/v1/scim/Users/{user['id']}")
    elif name == "provision_on_demand":
        subject = args if isinstance(args, str) else args["subject"]
        members = [] if isinstance(args, str) else list(args.get("members") or [])
        response = d.provision_on_demand(subject, *members)
        record.response = {"status": response.status_code, "body": _json_or_text(response)}
        if response.status_code >= 400:
            raise ValueError(f"provisionOnDemand -> {response.status_code}: {response.text[:300]}")
    elif name in ("note", "expect"):  # a checkpoint is checked by the runner
        pass
    else:  # the schema lists every step; this guards the two lists drifting apart
        raise ValueError(f"unknown step {name!r}")


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
