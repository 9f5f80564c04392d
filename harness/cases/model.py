"""The one model every report of a case run is drawn from: the terminal text, the JSON and the
HTML page say the same things because they read the same ``Report``.

What it holds, in the order a support engineer reads it: the verdict and the ticket, the
settings that differ from the defaults, the engine's reasons per object (its own words, from
the provisioning log and its view of the directory: nothing is re-derived here), the timeline
(steps, cycles, job status, quarantine, escrows, throttling, e-mails, checkpoints), the
expectations that failed (only the fields that differ), then the details: each object's log
entries as the admin center shows them, the directory as the engine saw it, the requests Miro
received grouped by cycle, the end state.

Repetition is folded, so a 60-user case stays readable: objects with the same history form one
group ("40 users: ..."), identical requests one row with a count.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.cases.result import CaseResult, Check, StepRecord
from harness.cases.timeline import (
    Timeline,
    build_timeline,
    cycle_labels,
    cycle_lines,
    on_demand_text,
    short_time,
    step_text,
)
from harness.testing.readers import (
    MiroRequest,
    entry_error,
    entry_reason,
    entry_status,
    is_probe,
)

# -- the parts ---------------------------------------------------------------------------------


@dataclass
class Setting:
    where: str  # engine | secret | job | miro
    name: str
    value: Any
    default: Any


@dataclass
class Outcome:
    """One log entry in short: when, which cycle, what, and the engine's reason."""

    when: str
    cycle: str
    action: str
    status: str
    reason: str


@dataclass
class EntryDetail:
    """One log entry as the admin center's detail pane shows it."""

    outcome: Outcome
    steps: list[dict[str, Any]]
    troubleshooting: dict[str, Any] | None
    modified: list[dict[str, Any]]
    summary: dict[str, Any]


@dataclass
class ObjectGroup:
    """Objects whose log histories are the same, but for their names."""

    kind: str  # User | Group
    names: list[str]
    ids: list[str]
    display: str  # the first object's display name
    history: list[Outcome]  # the first object's entries, names written as "…" when grouped
    entries: list[EntryDetail]  # the first object's entries in full
    failed: bool

    @property
    def count(self) -> int:
        return len(self.names)


@dataclass
class Reason:
    """A line of the "why" summary: objects, their latest outcome and the engine's reason."""

    kind: str
    names: list[str]
    outcome: str
    reason: str
    history: list[str]  # earlier outcomes worth knowing (held, failed, skipped)


@dataclass
class DirectoryUser:
    names: list[str]
    state: str  # enabled | disabled | soft-deleted
    groups: list[str]
    assigned: list[str]
    reason: str  # the engine's scope reason


@dataclass
class DirectoryGroup:
    name: str
    members: list[str]
    nested: list[DirectoryGroup]  # groups inside it (not expanded by the engine)
    assigned: list[str]
    nested_in: list[str]


@dataclass
class RequestRow:
    """Requests of one shape in one cycle: the first one in full, and how many there were."""

    method: str
    path: str
    status: int
    count: int
    time: str
    body: Any
    response: Any
    failed: bool


@dataclass
class CycleRequests:
    label: str
    total: int
    failed: int
    rows: list[RequestRow]


@dataclass
class CheckView:
    line: int
    where: str  # "end" or "checkpoint line N (label) at 09:40"
    description: str
    passed: bool
    diff: list[dict[str, Any]]
    actual: Any


@dataclass
class StepView:
    line: int
    text: str
    at: str
    cycles: list[str]
    error: str | None
    checkpoint: str | None = None  # "3 of 3 hold"


@dataclass
class Report:
    title: str
    verdict: str  # PASSED | FAILED | REPRODUCED | NOT REPRODUCED
    passed: bool
    path: str
    seed: int
    backend: str
    ticket: str
    description: str
    known_gap: str | None
    stopped: str | None
    settings: list[Setting]
    reasons: list[Reason]
    timeline: Timeline
    failed_checks: list[CheckView]
    steps: list[StepView]
    objects: list[ObjectGroup]
    directory_users: list[DirectoryUser]
    directory_groups: list[DirectoryGroup]
    sync_all: bool | None
    requests: list[CycleRequests]
    probes: int
    miro_users: list[dict[str, Any]]  # grouped: {"state", "names", "count"}
    miro_teams: list[dict[str, Any]]
    job: dict[str, Any]
    checks: list[CheckView]
    outbox: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- building it -------------------------------------------------------------------------------


def build_report(result: CaseResult, verbose: bool = False) -> Report:
    """The report model; ``verbose`` keeps every object apart instead of grouping the ones with
    the same history."""
    names = {oid: name for name, oid in result.names.items()}
    labels = cycle_labels(result)
    objects = _objects(result, names, labels, verbose)
    checks = [_check_view(result, c) for c in result.checks]
    job_status = result.job.get("status") or {}
    return Report(
        title=result.title,
        verdict=_verdict(result),
        passed=result.passed,
        path=result.path,
        seed=result.seed,
        backend=result.backend,
        ticket=result.ticket,
        description=result.description,
        known_gap=result.xfail,
        stopped=result.error,
        settings=_settings(result.settings),
        reasons=_reasons(result, objects, names),
        timeline=build_timeline(result),
        failed_checks=[c for c in checks if not c.passed],
        steps=[_step_view(result, i, r, labels) for i, r in enumerate(result.steps)],
        objects=objects,
        directory_users=_directory_users(result, names),
        directory_groups=_directory_groups(result, names),
        sync_all=result.engine_directory.get("syncAll"),
        requests=_requests(result, labels),
        probes=sum(1 for r in _miro_requests(result) if is_probe(r)),
        miro_users=_miro_users(result),
        miro_teams=[
            {"name": t["displayName"], "members": list(t["members"])}
            for t in result.miro.get("teams") or []
        ],
        job={
            "code": job_status.get("code"),
            "last_state": (job_status.get("lastExecution") or {}).get("state"),
            "escrowed": (job_status.get("lastExecution") or {}).get("countEscrowed"),
            "quarantine": job_status.get("quarantine"),
        },
        checks=checks,
        outbox=[
            {"at": m.get("sentDateTime"), "to": m.get("to"), "subject": m.get("subject")}
            for m in result.outbox
        ],
    )


def _verdict(result: CaseResult) -> str:
    if result.ticket:
        return "REPRODUCED" if result.passed else "NOT REPRODUCED"
    return "PASSED" if result.passed else "FAILED"


def _settings(settings: dict[str, Any]) -> list[Setting]:
    """What the case set that differs from a fresh lab (secrets the lab itself writes, and the
    token, are left out when unchanged)."""
    defaults, case = settings.get("defaults") or {}, settings.get("case") or {}
    out = []
    for where, section in (("engine", "engine"), ("secret", "secrets"), ("job", "job")):
        before, after = defaults.get(section) or {}, case.get(section) or {}
        for name in sorted(after):
            if after[name] != before.get(name):
                out.append(Setting(where, name, after[name], before.get(name)))
    before, after = defaults.get("miro") or {}, case.get("miro") or {}
    for name in sorted(after):
        if after[name] != before.get(name):
            out.append(Setting("miro", name, after[name], before.get(name)))
    return out


# -- objects and reasons -----------------------------------------------------------------------


def _outcome(entry: dict[str, Any], labels: dict[str, str]) -> Outcome:
    cycle_id = str(entry.get("cycleId") or "")
    return Outcome(
        when=short_time(entry.get("activityDateTime")),
        cycle=labels.get(cycle_id, "on demand" if cycle_id else ""),
        action=str(entry.get("provisioningAction", "")),
        status=entry_status(entry),
        reason=entry_reason(entry),
    )


def _detail(entry: dict[str, Any], labels: dict[str, str]) -> EntryDetail:
    error = entry_error(entry)
    source = entry.get("sourceIdentity") or {}
    target = entry.get("targetIdentity") or {}
    return EntryDetail(
        outcome=_outcome(entry, labels),
        steps=[
            {
                "name": s.get("name"),
                "type": s.get("provisioningStepType"),
                "status": s.get("status"),
                "description": s.get("description"),
                "details": dict(s.get("details") or {}),
            }
            for s in entry.get("provisioningSteps") or []
        ],
        troubleshooting=(
            {
                "errorCode": error.get("errorCode"),
                "errorCategory": error.get("errorCategory"),
                "reason": error.get("reason"),
                "additionalDetails": error.get("additionalDetails"),
                "recommendedAction": error.get("recommendedAction"),
            }
            if error
            else None
        ),
        modified=[
            {"name": m.get("displayName"), "old": m.get("oldValue"), "new": m.get("newValue")}
            for m in entry.get("modifiedProperties") or []
        ],
        summary={
            "Date": entry.get("activityDateTime"),
            "Cycle": labels.get(str(entry.get("cycleId")), "on demand"),
            "Cycle ID": entry.get("cycleId"),
            "Change ID": entry.get("changeId"),
            "Activity ID": entry.get("id"),
            "Action": entry.get("provisioningAction"),
            "Status": entry_status(entry),
            "Source identity": f"{source.get('displayName')} ({source.get('identityType')}, "
            f"{source.get('id')})",
            "Target identity": f"{target.get('displayName') or '-'} "
            f"({target.get('identityType')}, {target.get('id') or '-'})",
            "Job ID": entry.get("jobId"),
            "Duration (ms)": entry.get("durationInMilliseconds"),
        },
    )


def _normalised(text: str, words: list[str]) -> str:
    for word in sorted({w for w in words if w}, key=len, reverse=True):
        text = re.sub(re.escape(word), "…", text, flags=re.IGNORECASE)
    return text


def _objects(
    result: CaseResult, names: dict[str, str], labels: dict[str, str], verbose: bool = False
) -> list[ObjectGroup]:
    """Per object its log history; objects with the same history but their names, grouped."""
    groups: dict[tuple[Any, ...], ObjectGroup] = {}
    for name, oid, entries in result.objects():
        source = entries[-1].get("sourceIdentity") or {}
        kind = str(source.get("identityType", ""))
        display = str(source.get("displayName", ""))
        words = [name, display, display.split("@")[0]]
        history = [_outcome(e, labels) for e in entries]
        key = (
            oid if verbose else kind,
            tuple((o.cycle, o.action, o.status, _normalised(o.reason, words)) for o in history),
        )
        group = groups.get(key)
        if group is None:
            groups[key] = ObjectGroup(
                kind=kind,
                names=[name],
                ids=[oid],
                display=display,
                history=history,
                entries=[_detail(e, labels) for e in entries],
                failed=any(o.status == "failure" for o in history),
            )
        else:
            group.names.append(name)
            group.ids.append(oid)
    out = list(groups.values())
    for group in out:
        if group.count > 1:
            words = [group.names[0], group.display, group.display.split("@")[0]]
            for o in group.history:
                o.reason = _normalised(o.reason, words)
    # Failures first, then the largest groups; otherwise in the order the case named them.
    return sorted(out, key=lambda g: (not g.failed, -g.count))


_NOTABLE = ("failure", "skipped", "warning")


def _reasons(result: CaseResult, objects: list[ObjectGroup], names: dict[str, str]) -> list[Reason]:
    """The "why" summary: per group of objects, the latest outcome and its reason, with the
    earlier outcomes that were not plain successes; then users the engine never evaluated."""
    out = []
    for group in objects:
        last = group.history[-1]
        earlier = [
            f"{o.cycle} {o.action}/{o.status}: {o.reason}"
            for o in group.history[:-1]
            if o.status in _NOTABLE or o.action == "stageddelete"
        ]
        out.append(
            Reason(group.kind, group.names, f"{last.action}/{last.status}", last.reason, earlier)
        )
    logged = {oid for _, oid, _ in result.objects()}
    unevaluated: dict[str, list[str]] = {}
    for user in result.engine_directory.get("users") or []:
        if user["id"] in logged or not user.get("unassignedReason"):
            continue
        # Only users the case named: a generated tenant's thousands stay in the directory view.
        if user["id"] in names:
            unevaluated.setdefault(user["unassignedReason"], []).append(names[user["id"]])
    for reason, who in unevaluated.items():
        out.append(Reason("User", who, "never evaluated (no log entry)", reason, []))
    return sorted(out, key=lambda r: (r.outcome.endswith("success"), -len(r.names)))


# -- the directory as the engine saw it ----------------------------------------------------------


def _assigned(result: CaseResult, item: dict[str, Any], group_names: dict[str, str]) -> list[str]:
    out = []
    for a in item.get("assignments") or []:
        role = result.roles.get(a["appRoleId"], a["appRoleId"])
        if a["principalId"] == item["id"]:
            out.append(f"directly: {role}")
        else:
            out.append(f"via {group_names.get(a['principalId'], a['principalId'])}: {role}")
    return out


def _directory_users(result: CaseResult, names: dict[str, str]) -> list[DirectoryUser]:
    view = result.engine_directory
    group_names = {g["id"]: str(g.get("displayName")) for g in view.get("groups") or []}
    latest: dict[str, str] = {}
    for _name, oid, entries in result.objects():
        latest[oid] = entry_reason(entries[-1])
    grouped: dict[tuple[Any, ...], DirectoryUser] = {}
    order = {oid: i for i, oid in enumerate(names)}
    users = sorted(
        view.get("users") or [],
        key=lambda u: (order.get(u["id"], len(order)), str(u.get("userPrincipalName"))),
    )
    for user in users:
        name = names.get(user["id"]) or str(user.get("userPrincipalName"))
        state = (
            "soft-deleted"
            if user.get("softDeleted")
            else "enabled"
            if user.get("accountEnabled")
            else "disabled"
        )
        groups = sorted(group_names.get(g, g) for g in user.get("memberOf") or [])
        assigned = _assigned(result, user, group_names)
        reason = latest.get(user["id"]) or str(user.get("unassignedReason") or "")
        upn = str(user.get("userPrincipalName") or "")
        key = (state, tuple(groups), tuple(assigned), _normalised(reason, [name, upn]))
        if key in grouped:
            grouped[key].names.append(name)
        else:
            grouped[key] = DirectoryUser([name], state, groups, assigned, reason)
    return list(grouped.values())


def _directory_groups(result: CaseResult, names: dict[str, str]) -> list[DirectoryGroup]:
    """Groups as trees: a group inside another is drawn under it (the engine does not expand
    it); the roots are the groups that are in no other group."""
    view = result.engine_directory
    raw = {g["id"]: g for g in view.get("groups") or []}
    user_names = {
        u["id"]: names.get(u["id"]) or str(u.get("userPrincipalName"))
        for u in view.get("users") or []
    }
    group_names = {gid: str(g.get("displayName")) for gid, g in raw.items()}
    parents: dict[str, list[str]] = {}
    for gid, g in raw.items():
        for inner in g.get("nestedGroups") or []:
            parents.setdefault(inner, []).append(group_names.get(gid, gid))

    def node(gid: str, seen: frozenset[str]) -> DirectoryGroup:
        g = raw[gid]
        return DirectoryGroup(
            name=group_names[gid],
            members=[user_names.get(m, m) for m in g.get("members") or []],
            nested=[
                node(inner, seen | {inner})
                for inner in g.get("nestedGroups") or []
                if inner in raw and inner not in seen
            ],
            assigned=_assigned(result, g, group_names),
            nested_in=sorted(parents.get(gid, [])),
        )

    return [node(gid, frozenset({gid})) for gid in raw if gid not in parents]


# -- requests ----------------------------------------------------------------------------------


def _miro_requests(result: CaseResult) -> list[MiroRequest]:
    return [MiroRequest(**r) for r in result.requests]


_ID = re.compile(r"/(Users|Groups)/[^/?]+")
_FILTER_VALUE = re.compile(r'(eq )"[^"]*"')


def _shape(request: MiroRequest) -> tuple[str, str, int]:
    path = _ID.sub(r"/\1/{id}", request.path)
    query = _FILTER_VALUE.sub(r'\1"…"', request.query)
    return request.method, path + (f"?{query}" if query else ""), request.status


def _probe_owners(result: CaseResult, labels: dict[str, str]) -> list[str]:
    """Who sent each test-connection probe, in order: every cycle starts with one, and so does
    every provision-on-demand call the service accepted."""
    owners = []
    for record in result.steps:
        if record.name == "provision_on_demand" and (record.response or {}).get("status") == 200:
            owners.append("provision on demand")
        owners += [labels.get(c["cycleId"], "cycle") for c in record.cycles]
    return owners


def _requests(result: CaseResult, labels: dict[str, str]) -> list[CycleRequests]:
    """The engine's requests (probes left out) per cycle, failing ones first; requests of one
    shape (method, path with ids and filter values left out, status) are one row."""
    owners = iter(_probe_owners(result, labels))
    buckets: dict[str, list[MiroRequest]] = {}
    current: list[MiroRequest] = buckets.setdefault("before any cycle", [])
    for request in _miro_requests(result):
        if is_probe(request):
            current = buckets.setdefault(next(owners, "after the last cycle"), [])
        else:
            current.append(request)
    out = []
    for label, requests in buckets.items():
        if not requests:
            continue
        rows: dict[tuple[str, str, int], RequestRow] = {}
        for request in requests:
            shape = _shape(request)
            if shape in rows:
                rows[shape].count += 1
                rows[shape].path = shape[1]  # several: the shape, not the first one's ids
            else:
                rows[shape] = RequestRow(
                    request.method,
                    request.line.removeprefix(f"{request.method} "),
                    request.status,
                    1,
                    short_time(request.time),
                    request.body,
                    request.response,
                    request.status >= 400,
                )
        ordered = sorted(rows.values(), key=lambda r: not r.failed)
        failed = sum(r.count for r in ordered if r.failed)
        out.append(CycleRequests(label, len(requests), failed, ordered))
    return out


# -- checks, steps, end state --------------------------------------------------------------------


def _check_view(result: CaseResult, check: Check) -> CheckView:
    if check.step is None:
        where = "end"
    else:
        record = result.steps[check.step]
        label = (record.args or {}).get("label") if isinstance(record.args, dict) else None
        where = f"checkpoint line {record.line}" + (f" ({label})" if label else "")
        where += f" at {short_time(record.began)}"
    return CheckView(
        check.line, where, check.description, check.passed, list(check.diff), check.actual
    )


def _step_view(
    result: CaseResult, index: int, record: StepRecord, labels: dict[str, str]
) -> StepView:
    cycles = cycle_lines(record.cycles, labels)
    if record.response is not None:
        cycles.append(on_demand_text(record.response))
    checkpoint = None
    if record.name == "expect":
        mine = [c for c in result.checks if c.step == index]
        held = sum(1 for c in mine if c.passed)
        checkpoint = f"{held} of {len(mine)} hold"
    return StepView(
        record.line,
        step_text(record),
        short_time(record.began),
        cycles,
        record.error,
        checkpoint,
    )


def _miro_users(result: CaseResult) -> list[dict[str, Any]]:
    grouped: dict[str, list[str]] = {}
    for user in result.miro.get("users") or []:
        state = "active" if user.get("active") is not False else "inactive"
        grouped.setdefault(state, []).append(str(user["userName"]))
    for names in grouped.values():
        names.sort()
    return [{"state": s, "names": n, "count": len(n)} for s, n in grouped.items()]
