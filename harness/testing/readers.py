"""Readers of what a lab shows: provisioning-log entries (``GET /v1.0/auditLogs/provisioning``),
the Miro fake's journal (``GET /_fake/journal``) and the job's status.

Pure functions over the JSON the lab answers with; no HTTP. The scenario driver, the lab steps,
the case runner and its reports, the scenarios and the tests all read through these, so a word
means one thing everywhere. Where two meanings are both wanted, the names say which:
``entry_skip_reason`` (any step's) and ``entry_skip_step_reason`` (the skip step's only);
``lines`` (requests, probes left out) and ``journal_lines`` (raw journal entries, every one).
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from harness.lab.surface import LAB_USER_AGENT

SCIM_PREFIX = "/api/v1/scim"
SKIP_STEP = "EntrySynchronizationSkip"

# -- provisioning-log entries -----------------------------------------------------------------


def entry_status(entry: dict[str, Any]) -> str:
    """``provisioningStatusInfo.status``: success, failure, skipped or warning."""
    return str((entry.get("provisioningStatusInfo") or {}).get("status", ""))


def entry_error(entry: dict[str, Any]) -> dict[str, Any]:
    """``provisioningStatusInfo.errorInformation`` (empty when the entry has none)."""
    return dict((entry.get("provisioningStatusInfo") or {}).get("errorInformation") or {})


def entry_steps(entry: dict[str, Any]) -> list[str]:
    """The names of the entry's provisioning steps, in order."""
    return [str(s.get("name")) for s in entry.get("provisioningSteps") or []]


def entry_skip_reason(entry: dict[str, Any]) -> str | None:
    """The ``SkipReason`` whichever step gives it: the skip step's, or ``StagedDelete`` from a
    deletion held back by the accidental-deletions threshold."""
    for step in entry.get("provisioningSteps") or []:
        reason = (step.get("details") or {}).get("SkipReason")
        if reason:
            return str(reason)
    return None


def entry_skip_step_reason(entry: dict[str, Any]) -> str | None:
    """The ``SkipReason`` of the ``EntrySynchronizationSkip`` step only (None for an entry
    without one, a staged delete among them)."""
    for step in entry.get("provisioningSteps") or []:
        if step.get("name") == SKIP_STEP:
            reason = (step.get("details") or {}).get("SkipReason")
            return None if reason is None else str(reason)
    return None


SCOPING_STEP = "EntrySynchronizationScoping"
STAGED_STEP = "EntrySynchronizationStagedDelete"


def entry_reason(entry: dict[str, Any]) -> str:
    """The engine's own reason for an entry's outcome, in one line, taken from where the entry
    says it (nothing is inferred): a failure's ``errorInformation``, a held deletion's step, a
    skip step's description (for "not effectively entitled", the scoping step's ``Reason``,
    which says which rule applied), else the scoping step's ``Reason``, else the last step's
    description."""
    error = entry_error(entry)
    if entry_status(entry) == "failure" and (error.get("errorCode") or error.get("reason")):
        return f"{error.get('errorCode', '')}: {error.get('reason', '')}".strip(": ")
    steps = entry.get("provisioningSteps") or []
    scoping: dict[str, Any] = next((s for s in steps if s.get("name") == SCOPING_STEP), {})
    scope_reason = str((scoping.get("details") or {}).get("Reason") or "")
    for step in steps:
        if step.get("name") == STAGED_STEP:
            return str(step.get("description", ""))
    for step in steps:
        if step.get("name") == SKIP_STEP:
            why = (step.get("details") or {}).get("SkipReason")
            if why == "NotEffectivelyEntitled" and scope_reason:
                return scope_reason
            return str(step.get("description", ""))
    if scope_reason:
        return scope_reason
    return str(steps[-1].get("description", "")) if steps else ""


def entry_modified(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``modifiedProperties`` as display name -> (old value, new value)."""
    return {
        m["displayName"]: (m.get("oldValue"), m.get("newValue"))
        for m in entry.get("modifiedProperties") or []
    }


def source_filter(object_id: str) -> str:
    """The provisioning-log ``$filter`` clause for one source object's entries."""
    return f"sourceIdentity/id eq '{object_id}'"


def describe_entry(entry: dict[str, Any]) -> str:
    """One line in the provisioning-log vocabulary: when, action, status, why."""
    when = str(entry.get("activityDateTime", ""))[:19].replace("T", " ")
    source = entry.get("sourceIdentity") or {}
    action = entry.get("provisioningAction", "?")
    status = entry_status(entry)
    why = ""
    error = entry_error(entry)
    reason = entry_skip_reason(entry)
    if reason:
        why = f"SkipReason {reason}"
    elif error.get("errorCode"):
        why = f"{error['errorCode']}: {str(error.get('reason', ''))[:160]}"
    steps = entry.get("provisioningSteps") or []
    last = steps[-1] if steps else {}
    text = f"{when} {source.get('identityType', '')} '{source.get('displayName', '')}' {action}/{status}"
    if last:
        text += f" [{last.get('name')}] {str(last.get('description', ''))[:160]}"
    if why:
        text += f" ({why})"
    return text


# -- the Miro fake's journal ------------------------------------------------------------------


def journal_body(entry: dict[str, Any]) -> Any:
    """A journal entry's request body, JSON-decoded when it is JSON (else as recorded)."""
    body = entry.get("body")
    if isinstance(body, str) and body.strip():
        with suppress(ValueError):
            body = json.loads(body)
    return body


@dataclass(frozen=True)
class MiroRequest:
    """One request the engine sent to Miro, as the Miro fake's journal recorded it."""

    method: str
    path: str  # without the /api/v1/scim prefix, e.g. "/Users/3074457345600000001"
    query: str  # decoded, e.g. 'filter=userName eq "alice@contoso.com"'
    status: int
    body: Any
    response: Any
    time: str = ""  # the lab's clock when the fake answered (ISO 8601)

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")

    @property
    def operations(self) -> list[dict[str, Any]]:
        """A PATCH's ``Operations`` (empty for anything else)."""
        if isinstance(self.body, dict):
            return list(self.body.get("Operations") or [])
        return []

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "body": self.body,
            "response": self.response,
            "time": self.time,
        }

    @classmethod
    def from_journal(cls, raw: dict[str, Any]) -> MiroRequest:
        return cls(
            method=str(raw.get("method", "")),
            path=str(raw.get("path", "")).removeprefix(SCIM_PREFIX),
            query=unquote_plus(str(raw.get("query") or "")),
            status=int(raw.get("status") or 0),
            body=journal_body(raw),
            response=raw.get("response"),
            time=str(raw.get("time") or ""),
        )


def from_engine(raw: dict[str, Any]) -> bool:
    """A journal entry sent by the engine (not the lab's own set-up or read-back calls)."""
    if not str(raw.get("path", "")).startswith(SCIM_PREFIX):
        return False
    headers = {str(k).lower(): v for k, v in (raw.get("headers") or {}).items()}
    return headers.get("user-agent") != LAB_USER_AGENT


_PROBE = re.compile(r'^userName eq "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"$')


def is_probe(request: MiroRequest) -> bool:
    """The engine's test-connection probe: a userName filter on a random GUID, sent before
    every cycle. Microsoft documents the probe:
    https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"""
    return (
        request.method == "GET"
        and request.path == "/Users"
        and bool(_PROBE.match(request.query.removeprefix("filter=")))
    )


def lines(requests: list[MiroRequest], probes: bool = False) -> list[str]:
    """``METHOD path?query`` per request; the per-cycle probes left out unless asked for."""
    return [r.line for r in requests if probes or not is_probe(r)]


def journal_lines(entries: list[dict[str, Any]]) -> list[str]:
    """``METHOD path?query`` per raw journal entry (query decoded), every entry, probes too."""
    return [MiroRequest.from_journal(e).line for e in entries]


def journal_writes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The raw journal entries that are not GETs."""
    return [e for e in entries if e["method"] != "GET"]


# -- the job's status ---------------------------------------------------------------------------


def status_fields(status: dict[str, Any]) -> dict[str, Any]:
    """The job status fields expectations name: ``code``, ``quarantine_reason``,
    ``quarantine_since`` (when the quarantine series began, Graph's ``seriesBegan``: not the
    latest attempt), ``last_state`` (of ``lastExecution``) and ``escrowed`` (its
    ``countEscrowed``)."""
    return {
        "code": status.get("code"),
        "quarantine_reason": (status.get("quarantine") or {}).get("reason"),
        "quarantine_since": (status.get("quarantine") or {}).get("seriesBegan"),
        "last_state": (status.get("lastExecution") or {}).get("state"),
        "escrowed": (status.get("lastExecution") or {}).get("countEscrowed"),
    }
