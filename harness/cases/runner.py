"""Running a support case: build the lab, set the scene, play the steps, check expectations,
collect everything (logs, Miro's journal, both sides' end state) into a ``CaseResult``.

Everything goes through ``harness.scenario.Driver`` (HTTP only), so a case runs the same in
every backend. The same case file gives the same result: the lab is seeded with the case's
``seed`` and runs on a virtual clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from harness.backends import DEFAULT_BACKEND, open_lab
from harness.cases.loader import Case, Step
from harness.scenario import (
    ENTERPRISE,
    Driver,
    compact,
    describe_entry,
    differences,
    is_probe,
    log_mismatches,
)


@dataclass
class Check:
    """One expectation and how it went."""

    section: str
    line: int
    description: str
    passed: bool
    expected: Any = None
    actual: Any = None


@dataclass
class StepRecord:
    line: int
    name: str
    args: Any
    cycles: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    response: Any = None


@dataclass
class CaseResult:
    path: str
    title: str
    description: str
    seed: int
    backend: str
    xfail: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)
    miro: dict[str, Any] = field(default_factory=dict)
    directory: dict[str, Any] = field(default_factory=dict)
    job: dict[str, Any] = field(default_factory=dict)
    clock: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def cycles(self) -> list[dict[str, Any]]:
        return [c for s in self.steps for c in s.cycles]

    def objects(self) -> list[tuple[str, str, list[dict[str, Any]]]]:
        """(name, id, log entries) per object that has entries, in the case's naming."""
        by_id: dict[str, list[dict[str, Any]]] = {}
        for entry in self.logs:
            source = str((entry.get("sourceIdentity") or {}).get("id", ""))
            by_id.setdefault(source, []).append(entry)
        named = {oid: name for name, oid in self.names.items()}
        order = {oid: i for i, oid in enumerate(self.names.values())}
        out = []
        for oid, entries in sorted(by_id.items(), key=lambda item: order.get(item[0], len(order))):
            display = (entries[-1].get("sourceIdentity") or {}).get("displayName") or oid
            out.append((named.get(oid, str(display)), oid, entries))
        return out

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["passed"] = self.passed
        return out


class StepFailed(Exception):
    def __init__(self, line: int, where: str, message: str) -> None:
        super().__init__(f"line {line}: {where}: {message}")
        self.line, self.where, self.message = line, where, message


@contextmanager
def _at(line: int, where: str) -> Iterator[None]:
    """Turn a refused call or a bad reference into a failure that names the case line."""
    try:
        yield
    except StepFailed:
        raise
    except (AssertionError, KeyError, ValueError, httpx.HTTPError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise StepFailed(line, where, str(message)) from None


def run_case(case: Case, backend: str = DEFAULT_BACKEND) -> CaseResult:
    result = CaseResult(path=str(case.path), title=case.title, description=case.description,
                        seed=case.seed, backend=backend, xfail=case.xfail)
    with open_lab(backend, case.seed) as lab:
        d = Driver(lab)
        try:
            _load_lab_state(case, lab)
            _set_up(case, d)
            for step in case.steps:
                record = StepRecord(step.line, step.name, step.args)
                result.steps.append(record)
                try:
                    _play(case, d, step, record)
                except StepFailed as exc:
                    record.error = exc.message
                    raise
        except StepFailed as exc:
            result.error = str(exc)
            result.checks.append(Check("steps", exc.line, f"{exc.where} could not be done", False,
                                       actual=exc.message))
        d.clear_faults()  # faults would also hit the reads below
        if result.error is None:
            _check(case, d, result)
        _collect(d, result)
    return result


# -- setting the scene ---------------------------------------------------------------------


def _load_lab_state(case: Case, lab: Any) -> None:
    """A lab saved by ``harness serve`` (or ``state_files.dump_lab_state``), loaded first."""
    if "lab_state_file" not in case.raw:
        return
    with _at(case.line_of(case.raw, "lab_state_file"), "lab_state_file"):
        state = case.attachments["lab_state_file"]
        if hasattr(lab, "load_state"):  # a served or containerised harness: over HTTP
            lab.load_state(state)
        else:
            from harness.state_files import load_lab_state

            load_lab_state(lab, state)


def _set_up(case: Case, d: Driver) -> None:
    miro, directory, job = case.miro, case.directory, case.job
    if "state_file" in miro:
        with _at(case.line_of(miro, "state_file"), "miro.state_file"):
            response = d.miro.put("/_fake/state", json=case.attachments["state_file"])
            if response.status_code >= 400:
                raise ValueError(f"Miro refused the state: {response.text[:300]}")
    if "settings" in miro:
        with _at(case.line_of(miro, "settings"), "miro.settings"):
            _miro_settings(d, dict(miro["settings"]))
    if miro.get("teams"):
        with _at(case.line_of(miro, "teams"), "miro.teams"):
            d.miro_teams(*miro["teams"])
    for i, user in enumerate(miro.get("users") or []):
        with _at(user.line, f"miro.users[{i}]"):
            _miro_user(d, user)

    if "generate" in directory:
        gen = directory["generate"]
        with _at(gen.line, "directory.generate"):
            d.seed_directory(gen.get("seed", case.seed), gen.get("users", 25), gen.get("groups", 3))
    for i, user in enumerate(directory.get("users") or []):
        with _at(user.line, f"directory.users[{i}]"):
            _add_user(d, user)
    groups = directory.get("groups") or []
    for i, group in enumerate(groups):
        with _at(group.line, f"directory.groups[{i}]"):
            _add_group(d, group, members=False)
    for i, group in enumerate(groups):
        with _at(group.line, f"directory.groups[{i}].members"):
            for member in group.get("members") or []:
                d.add_member(group["name"], member)
    for entry in [*(directory.get("users") or []), *groups]:
        if "role" in entry:
            with _at(entry.line, f"{entry['name']}.role"):
                d.assign(entry["name"], role=entry["role"])
    for i, assignment in enumerate(directory.get("assignments") or []):
        with _at(assignment.line, f"directory.assignments[{i}]"):
            d.assign(assignment["principal"], role=assignment.get("role", "User"))

    if "settings" in job:
        with _at(case.line_of(job, "settings"), "job.settings"):
            d.set_engine(**dict(job["settings"]))
    if "secrets" in job:
        with _at(case.line_of(job, "secrets"), "job.secrets"):
            d.set_secrets(**_strings(job["secrets"]))
    if "job_settings" in job:
        with _at(case.line_of(job, "job_settings"), "job.job_settings"):
            d.set_job_settings(**dict(job["job_settings"]))
    if "schema_file" in job:
        with _at(case.line_of(job, "schema_file"), "job.schema_file"):
            d.put_schema(case.attachments["schema_file"])
    if any(k in job for k in ("flows", "scoping", "mappings")):
        with _at(job.line, "job (flows, scoping, mappings)"):
            _edit_schema(d, job.get("flows"), job.get("scoping"), job.get("mappings"))


def _strings(pairs: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | bool) else ("" if v is None else str(v)) for k, v in pairs.items()}


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
        patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations": [{"op": "add", "path": "members", "value": [{"value": created["id"]}]}]}
        response = d.miro.patch(f"/api/v1/scim/Groups/{teams[team]}", json=patch)
        if response.status_code >= 400:
            raise ValueError(f"Miro refused to add {spec['userName']} to {team}: {response.text[:300]}")
    # Last: adding a deactivated user to a team reactivates them in Miro.
    if spec.get("active") is False:
        patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations": [{"op": "replace", "path": "active", "value": False}]}
        response = d.miro.patch(f"/api/v1/scim/Users/{created['id']}", json=patch)
        if response.status_code >= 400:
            raise ValueError(f"Miro refused to deactivate {spec['userName']}: {response.text[:300]}")


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
            values = [] if value is None else [str(v) for v in (value if isinstance(value, list) else [value])]
            clauses.append({"operatorName": clause["operator"], "sourceOperandName": clause["attribute"],
                            "targetOperand": {"values": values}})
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
                    current = {"defaultValue": None, "exportMissingReferences": False,
                               "flowBehavior": "FlowWhenChanged", "flowType": "Always",
                               "matchingPriority": 0, "targetAttributeName": target}
                    attrs.append(current)
                if "expression" in edit:
                    current["source"] = _source(edit["expression"])
                if "matchingPriority" in edit:
                    current["matchingPriority"] = edit["matchingPriority"]


def _source(expression: str) -> dict[str, Any]:
    simple = re.fullmatch(r"\[([^\]]+)\]", expression.strip())
    if simple:
        return {"expression": expression, "name": simple.group(1), "parameters": [], "type": "Attribute"}
    return {"expression": expression, "name": expression.split("(")[0].strip(), "parameters": [],
            "type": "Function"}


# -- steps ---------------------------------------------------------------------------------


def _play(case: Case, d: Driver, step: Step, record: StepRecord) -> None:
    name, args = step.name, step.args
    with _at(step.line, f"step {name}"):
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
            _edit_schema(d, args if name == "flows" else None, args if name == "scoping" else None,
                         args if name == "mappings" else None)
        elif name == "fault":
            d.fault(args.get("method", "*"), args.get("path", ".*"), args.get("status"),
                    **{k: v for k, v in args.items() if k not in ("method", "path", "status")})
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
        elif name == "note":
            pass
        else:  # the schema lists every step; this guards the two lists drifting apart
            raise ValueError(f"unknown step {name!r}")


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


# -- expectations --------------------------------------------------------------------------


def _check(case: Case, d: Driver, result: CaseResult) -> None:
    expect = case.expect
    miro = expect.get("miro") or {}
    for spec in miro.get("users") or []:
        _safe(result, "miro.users", spec.line, lambda spec=spec: _check_miro_user(d, spec))
    for spec in miro.get("teams") or []:
        _safe(result, "miro.teams", spec.line, lambda spec=spec: _check_team(d, spec))
    if "user_count" in miro:
        line = case.line_of(miro, "user_count")
        _safe(result, "miro.user_count", line, lambda: _check_count(d, miro["user_count"]))
    for spec in expect.get("logs") or []:
        _safe(result, "logs", spec.line, lambda spec=spec: _check_log(d, spec))
    if "job" in expect:
        _safe(result, "job", case.line_of(expect, "job"), lambda: _check_job(d, expect["job"]))
    requests = d.requests(since_mark=False)
    for spec in expect.get("requests") or []:
        _safe(result, "requests", spec.line, lambda spec=spec: _check_requests(requests, spec))


def _safe(result: CaseResult, section: str, line: int, run: Any) -> None:
    try:
        description, passed, expected, actual = run()
    except (AssertionError, KeyError, ValueError, httpx.HTTPError) as exc:
        description, passed, expected, actual = "could not be checked", False, None, str(exc)
    result.checks.append(Check(section, line, description, passed, expected, actual))


def _check_miro_user(d: Driver, spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    name = spec["userName"]
    user = d.miro_user(name)
    if spec.get("absent"):
        return (f"Miro has no user {name}", user is None, "absent",
                compact(user) if user else "absent")
    wanted = {k: v for k, v in spec.items() if k not in ("userName", "absent")}
    if user is None:
        return f"Miro user {name}", False, wanted or "present", "absent"
    problems = differences(user, wanted)
    return (f"Miro user {name}" + (f" has {_fmt(wanted)}" if wanted else " exists"),
            not problems, wanted, "; ".join(problems) if problems else compact(user))


def _check_team(d: Driver, spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    name = spec["name"]
    team = d.miro_team(name)
    if spec.get("absent"):
        return f"Miro has no team {name}", team is None, "absent", "absent" if team is None else "present"
    if team is None:
        return f"Miro team {name}", False, "present", "absent"
    if "members" not in spec:
        return f"Miro team {name} exists", True, "present", "present"
    actual = sorted(d.team_members(name))
    wanted = sorted(d.upn(m) for m in spec["members"])
    return f"Miro team {name} has members {wanted}", actual == wanted, wanted, actual


def _check_count(d: Driver, count: int) -> tuple[str, bool, Any, Any]:
    actual = len(d.miro_users())
    return f"Miro has {count} users", actual == count, count, actual


def _check_log(d: Driver, spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    obj = spec["object"]
    fields = {k: (tuple(v) if k == "modified" else v) for k, v in spec.items()
              if k not in ("object", "latest", "count")}
    if "modified" in fields:
        fields["modified"] = {k: tuple(v) for k, v in spec["modified"].items()}
    entries = d.logs(obj)
    candidates = entries[-1:] if spec.get("latest") else entries
    matching = [e for e in candidates if not log_mismatches(e, fields)]
    count = spec.get("count")
    passed = len(matching) == count if count is not None else bool(matching)
    what = ("latest entry" if spec.get("latest") else
            f"{count} entries" if count is not None else "an entry")
    description = f"log for {obj}: {what} with {_fmt(fields)}"
    if passed:
        actual: Any = [describe_entry(e) for e in matching[-3:]]
    elif not entries:
        actual = "no log entry for this object"
    elif count is not None and matching:
        actual = f"{len(matching)} matching entries: " + " / ".join(describe_entry(e) for e in matching[-3:])
    else:
        actual = [describe_entry(e) for e in entries[-5:]]
    return description, passed, fields, actual


def _check_job(d: Driver, spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    status = d.status()
    actual = {
        "code": status.get("code"),
        "quarantine_reason": (status.get("quarantine") or {}).get("reason"),
        "last_state": (status.get("lastExecution") or {}).get("state"),
        "escrowed": (status.get("lastExecution") or {}).get("countEscrowed"),
    }
    got = {k: actual[k] for k in spec}
    return f"job status {_fmt(dict(spec))}", got == dict(spec), dict(spec), got


def _check_requests(requests: list[Any], spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    found = [r for r in requests if _request_matches(r, spec)]
    count = spec.get("count")
    passed = len(found) == count if count is not None else bool(found)
    shown = {k: v for k, v in spec.items() if k != "count"}
    how_many = f"{count} request(s)" if count is not None else "a request"
    actual = [f"{r.status} {r.line}" for r in found[:5]] if found else [
        f"{r.status} {r.line}" for r in requests if not is_probe(r)][-8:]
    return f"Miro received {how_many} {_fmt(shown)}", passed, spec, actual


def _request_matches(request: Any, spec: dict[str, Any]) -> bool:
    if "method" in spec and request.method != spec["method"]:
        return False
    if "path" in spec and not re.search(spec["path"], request.path):
        return False
    if "query" in spec and spec["query"] not in request.query:
        return False
    if "status" in spec and request.status != spec["status"]:
        return False
    return "body" not in spec or subset(spec["body"], request.body)


def subset(expected: Any, actual: Any) -> bool:
    """``expected`` is contained in ``actual``: mappings by key, lists item by item."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(subset(e, a) for e, a in zip(expected, actual, strict=True)))
    return bool(expected == actual)


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


# -- collecting the end state --------------------------------------------------------------


def _collect(d: Driver, result: CaseResult) -> None:
    result.names = dict(d.names)
    result.logs = d.logs()
    journal = d.journal()
    result.journal = journal
    result.requests = [r.to_json() for r in d.requests(since_mark=False)]
    users = d.miro_users()
    teams = d.miro.get("/api/v1/scim/Groups", params={"count": "1000"}).json().get("Resources") or []
    by_id = {u["id"]: name for name, u in users.items()}
    result.miro = {
        "users": [_miro_summary(u) for u in users.values()],
        "teams": [{"id": t["id"], "displayName": t["displayName"],
                   "members": sorted(by_id.get(m["value"], m["value"]) for m in t.get("members") or [])}
                  for t in teams],
        "state": d.miro_state(),
    }
    graph_users = d.graph.get("/v1.0/users", params={
        "$select": "id,userPrincipalName,displayName,accountEnabled,department", "$top": "999"}).json()
    deleted = d.graph.get("/v1.0/directory/deletedItems/microsoft.graph.user").json()
    groups = d.graph.get("/v1.0/groups", params={"$select": "id,displayName", "$top": "999"}).json()
    roles = {v: k for k, v in d.roles().items()}
    result.directory = {
        "users": graph_users.get("value") or [],
        "deletedUsers": [{"id": u.get("id"), "userPrincipalName": u.get("userPrincipalName")}
                         for u in deleted.get("value") or []],
        "groups": groups.get("value") or [],
        "assignments": [{"principal": a.get("principalDisplayName"), "principalId": a.get("principalId"),
                         "principalType": a.get("principalType"),
                         "role": roles.get(a.get("appRoleId"), a.get("appRoleId"))}
                        for a in d.assignments()],
    }
    result.job = d.job()
    result.clock = d.graph.get("/_fake/clock").json()


def _miro_summary(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user.get("id"), "userName": user.get("userName"), "active": user.get("active"),
        "displayName": user.get("displayName"), "externalId": user.get("externalId"),
        "department": (user.get(ENTERPRISE) or {}).get("department"),
    }

