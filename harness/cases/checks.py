"""Checking a case's expectations against both sides after its steps."""

from __future__ import annotations

import re
from typing import Any

import httpx

from harness.cases.loader import Case
from harness.cases.result import CaseResult, Check
from harness.testing.compare import compact, differences, log_mismatches
from harness.testing.driver import Driver
from harness.testing.readers import describe_entry, is_probe, status_fields

# -- expectations --------------------------------------------------------------------------


def check(case: Case, d: Driver, result: CaseResult) -> None:
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
        return (
            f"Miro has no user {name}",
            user is None,
            "absent",
            compact(user) if user else "absent",
        )
    wanted = {k: v for k, v in spec.items() if k not in ("userName", "absent")}
    if user is None:
        return f"Miro user {name}", False, wanted or "present", "absent"
    problems = differences(user, wanted)
    return (
        f"Miro user {name}" + (f" has {_fmt(wanted)}" if wanted else " exists"),
        not problems,
        wanted,
        "; ".join(problems) if problems else compact(user),
    )


def _check_team(d: Driver, spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    name = spec["name"]
    team = d.miro_team(name)
    if spec.get("absent"):
        return (
            f"Miro has no team {name}",
            team is None,
            "absent",
            "absent" if team is None else "present",
        )
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
    fields = {
        k: (tuple(v) if k == "modified" else v)
        for k, v in spec.items()
        if k not in ("object", "latest", "count")
    }
    if "modified" in fields:
        fields["modified"] = {k: tuple(v) for k, v in spec["modified"].items()}
    entries = d.logs(obj)
    candidates = entries[-1:] if spec.get("latest") else entries
    matching = [e for e in candidates if not log_mismatches(e, fields)]
    count = spec.get("count")
    passed = len(matching) == count if count is not None else bool(matching)
    what = (
        "latest entry"
        if spec.get("latest")
        else f"{count} entries"
        if count is not None
        else "an entry"
    )
    description = f"log for {obj}: {what} with {_fmt(fields)}"
    if passed:
        actual: Any = [describe_entry(e) for e in matching[-3:]]
    elif not entries:
        actual = "no log entry for this object"
    elif count is not None and matching:
        actual = f"{len(matching)} matching entries: " + " / ".join(
            describe_entry(e) for e in matching[-3:]
        )
    else:
        actual = [describe_entry(e) for e in entries[-5:]]
    return description, passed, fields, actual


def _check_job(d: Driver, spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    actual = status_fields(d.status())
    got = {k: actual[k] for k in spec}
    return f"job status {_fmt(dict(spec))}", got == dict(spec), dict(spec), got


def _check_requests(requests: list[Any], spec: dict[str, Any]) -> tuple[str, bool, Any, Any]:
    found = [r for r in requests if _request_matches(r, spec)]
    count = spec.get("count")
    passed = len(found) == count if count is not None else bool(found)
    shown = {k: v for k, v in spec.items() if k != "count"}
    how_many = f"{count} request(s)" if count is not None else "a request"
    actual = (
        [f"{r.status} {r.line}" for r in found[:5]]
        if found
        else [f"{r.status} {r.line}" for r in requests if not is_probe(r)][-8:]
    )
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
        return isinstance(actual, dict) and all(
            k in actual and subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual)


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())
