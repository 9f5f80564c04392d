"""Checking a case's expectations against both sides: at a checkpoint step, and after the
steps. Each failed check says which fields differ (expected against actual), nothing more."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx

from harness.cases.result import Check
from harness.cases.schema import LocatedDict
from harness.testing.compare import MISSING, compact, differences, log_mismatches, lookup
from harness.testing.driver import Driver
from harness.testing.readers import (
    describe_entry,
    entry_error,
    entry_modified,
    entry_skip_reason,
    entry_status,
    entry_steps,
    is_probe,
    status_fields,
)

# -- expectations --------------------------------------------------------------------------

Outcome = tuple[str, bool, Any, Any, list[dict[str, Any]]]


def _line(section: Any, key: str) -> int:
    return section.line_of(key) if isinstance(section, LocatedDict) else 0


def check(expect: dict[str, Any], d: Driver, step: int | None = None) -> list[Check]:
    """Check one set of expectations now: the case's final ``expect``, or a checkpoint (the
    ``expect`` step at index ``step``)."""
    checks: list[Check] = []

    def safe(section: str, line: int, run: Callable[[], Outcome]) -> None:
        try:
            description, passed, expected, actual, diff = run()
        except (AssertionError, KeyError, ValueError, httpx.HTTPError) as exc:
            description, passed, expected, actual = "could not be checked", False, None, str(exc)
            diff = []
        checks.append(Check(section, line, description, passed, expected, actual, diff, step))

    miro = expect.get("miro") or {}
    for spec in miro.get("users") or []:
        safe("miro.users", spec.line, partial(_check_miro_user, d, spec))
    for spec in miro.get("teams") or []:
        safe("miro.teams", spec.line, partial(_check_team, d, spec))
    if "user_count" in miro:
        safe(
            "miro.user_count",
            _line(miro, "user_count"),
            lambda: _check_count(d, miro["user_count"]),
        )
    for spec in expect.get("logs") or []:
        safe("logs", spec.line, partial(_check_log, d, spec))
    if "job" in expect:
        safe("job", _line(expect, "job"), lambda: _check_job(d, expect["job"]))
    if expect.get("requests"):
        requests = d.requests(since_mark=False)
        for spec in expect["requests"]:
            safe("requests", spec.line, partial(_check_requests, requests, spec))
    return checks


def _diff(key: str, expected: Any, actual: Any) -> dict[str, Any]:
    return {"field": key, "expected": expected, "actual": actual}


def _check_miro_user(d: Driver, spec: dict[str, Any]) -> Outcome:
    name = spec["userName"]
    user = d.miro_user(name)
    if spec.get("absent"):
        return (
            f"Miro has no user {name}",
            user is None,
            "absent",
            compact(user) if user else "absent",
            [] if user is None else [_diff("userName", "absent", f"present (id {user['id']})")],
        )
    wanted = {k: v for k, v in spec.items() if k not in ("userName", "absent")}
    if user is None:
        return (
            f"Miro user {name}",
            False,
            wanted or "present",
            "absent",
            [_diff("userName", "present", "absent")],
        )
    diff = []
    for key, want in wanted.items():
        got = lookup(user, key)
        if got is MISSING and want is not None:
            diff.append(_diff(key, want, "(missing)"))
        elif got is not MISSING and got != want:
            diff.append(_diff(key, want, got))
    return (
        f"Miro user {name}" + (f" has {_fmt(wanted)}" if wanted else " exists"),
        not diff,
        wanted,
        "; ".join(differences(user, wanted)) if diff else compact(user),
        diff,
    )


def _check_team(d: Driver, spec: dict[str, Any]) -> Outcome:
    name = spec["name"]
    team = d.miro_team(name)
    if spec.get("absent"):
        present = team is not None
        return (
            f"Miro has no team {name}",
            not present,
            "absent",
            "present" if present else "absent",
            [_diff("team", "absent", "present")] if present else [],
        )
    if team is None:
        return f"Miro team {name}", False, "present", "absent", [_diff("team", "present", "absent")]
    if "members" not in spec:
        return f"Miro team {name} exists", True, "present", "present", []
    actual = sorted(d.team_members(name))
    wanted = sorted(d.upn(m) for m in spec["members"])
    diff = []
    if missing := sorted(set(wanted) - set(actual)):
        diff.append(_diff("members missing", missing, "not in the team"))
    if extra := sorted(set(actual) - set(wanted)):
        diff.append(_diff("members not expected", "not in the team", extra))
    return f"Miro team {name} has members {wanted}", not diff, wanted, actual, diff


def _check_count(d: Driver, count: int) -> Outcome:
    actual = len(d.miro_users())
    diff = [] if actual == count else [_diff("user_count", count, actual)]
    return f"Miro has {count} users", not diff, count, actual, diff


def _entry_values(entry: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The entry's value of each expected field, in the expectation's terms."""
    out: dict[str, Any] = {}
    for key in fields:
        if key == "action":
            out[key] = entry.get("provisioningAction")
        elif key == "status":
            out[key] = entry_status(entry)
        elif key == "skip_reason":
            out[key] = entry_skip_reason(entry)
        elif key == "error_code":
            out[key] = entry_error(entry).get("errorCode")
        elif key == "step":
            out[key] = entry_steps(entry)
        elif key == "modified":
            modified = entry_modified(entry)
            out[key] = {name: modified.get(name) for name in fields[key]}
        elif key == "description":
            out[key] = " | ".join(
                str(s.get("description", "")) for s in entry.get("provisioningSteps") or []
            )
    return out


def _check_log(d: Driver, spec: dict[str, Any]) -> Outcome:
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
    description = f"log for {obj}: {what}" + (f" with {_fmt(fields)}" if fields else "")
    diff: list[dict[str, Any]] = []
    if passed:
        actual: Any = [describe_entry(e) for e in matching[-3:]]
    elif not entries:
        actual = "no log entry for this object"
        diff = [_diff("entries", "at least one", "none")]
    elif count is not None and matching:
        actual = f"{len(matching)} matching entries: " + " / ".join(
            describe_entry(e) for e in matching[-3:]
        )
        diff = [_diff("count", count, len(matching))]
    else:
        actual = [describe_entry(e) for e in entries[-5:]]
        if count is not None and not matching:
            diff.append(_diff("count", count, 0))
        # The closest entry (fewest differing fields, the latest among equals) shows what differs.
        closest = min(reversed(candidates), key=lambda e: len(log_mismatches(e, fields)))
        values = _entry_values(closest, fields)
        diff += [_diff(k, v, values.get(k)) for k, v in fields.items() if _differs(k, v, values)]
    return description, passed, fields, actual, diff


def _differs(key: str, want: Any, values: dict[str, Any]) -> bool:
    got = values.get(key)
    if key == "step":
        return want not in (got or [])
    if key == "description":
        return str(want) not in str(got)
    if key == "modified":
        return any((got or {}).get(name) != tuple(pair) for name, pair in want.items())
    return bool(got != want)


def _check_job(d: Driver, spec: dict[str, Any]) -> Outcome:
    actual = status_fields(d.status())
    got = {k: actual[k] for k in spec}
    diff = [_diff(k, v, got[k]) for k, v in spec.items() if got[k] != v]
    return f"job status {_fmt(dict(spec))}", not diff, dict(spec), got, diff


def _check_requests(requests: list[Any], spec: dict[str, Any]) -> Outcome:
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
    diff = (
        []
        if passed
        else [_diff("matching requests", count if count is not None else "at least 1", len(found))]
    )
    return f"Miro received {how_many} {_fmt(shown)}", passed, spec, actual, diff


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
