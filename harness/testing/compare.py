"""Comparing expected with actual state: SCIM resources by dotted path, provisioning-log entries
by the fields scenarios and support cases name. Each comparison answers with the differences in
words, so a failure says what differs."""

from __future__ import annotations

import json
from typing import Any

from harness.testing.readers import (
    entry_error,
    entry_modified,
    entry_skip_reason,
    entry_status,
    entry_steps,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# What ``lookup`` answers for a path the resource does not have.
MISSING = object()

# Short names for the attributes scenarios check most (a dotted path works for anything).
ALIASES = {
    "department": f"{ENTERPRISE}.department",
    "employeeNumber": f"{ENTERPRISE}.employeeNumber",
    "givenName": "name.givenName",
    "familyName": "name.familyName",
    "email": "emails",
}


def lookup(resource: Any, path: str) -> Any:
    """A dotted path into a SCIM resource (the enterprise URN counts as one segment)."""
    path = ALIASES.get(path, path)
    current = resource
    if path.startswith(ENTERPRISE + "."):
        current = (current or {}).get(ENTERPRISE, MISSING) if isinstance(current, dict) else MISSING
        path = path[len(ENTERPRISE) + 1 :]
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return MISSING
        current = current[part]
    if path == "emails" and isinstance(current, list):
        # "email" compares the work address, the one Entra maps.
        work = [e.get("value") for e in current if isinstance(e, dict) and e.get("type") == "work"]
        return work[0] if work else MISSING
    return current


def compact(resource: dict[str, Any]) -> str:
    """A resource on one line, without the noise (schemas, meta, group back-references)."""
    kept = {k: v for k, v in resource.items() if k not in ("schemas", "meta", "groups")}
    return json.dumps(kept, sort_keys=True)[:1500]


def differences(actual: Any, expected: dict[str, Any]) -> list[str]:
    out = []
    for key, want in expected.items():
        got = lookup(actual, key)
        if got is MISSING:
            if want is not None:
                out.append(f"{key}: expected {want!r}, missing")
        elif got != want:
            out.append(f"{key}: expected {want!r}, got {got!r}")
    return out


def log_mismatches(entry: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """How a log entry differs from ``expected``: ``action``, ``status``, ``skip_reason`` (any
    step's), ``error_code``, ``step`` (a step name present), ``modified`` (name -> (old, new)),
    ``description`` (a substring of the steps' descriptions)."""
    actual: dict[str, Any] = {
        "action": entry.get("provisioningAction"),
        "status": entry_status(entry),
        "skip_reason": entry_skip_reason(entry),
        "error_code": entry_error(entry).get("errorCode"),
    }
    out = []
    for key, want in expected.items():
        if key == "step":
            if want not in entry_steps(entry):
                out.append(f"step: {want!r} not in {entry_steps(entry)}")
        elif key == "modified":
            got = entry_modified(entry)
            for name, pair in want.items():
                if got.get(name) != tuple(pair):
                    out.append(f"modified {name}: expected {tuple(pair)!r}, got {got.get(name)!r}")
        elif key == "description":
            steps = entry.get("provisioningSteps") or [{}]
            text = " | ".join(str(s.get("description", "")) for s in steps)
            if want not in text:
                out.append(f"description: {want!r} not in {text!r}")
        elif key in actual:
            if actual[key] != want:
                out.append(f"{key}: expected {want!r}, got {actual[key]!r}")
        else:
            raise KeyError(f"unknown log expectation {key!r}")
    return out
