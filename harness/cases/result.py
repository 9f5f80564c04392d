"""The outcome of a case run: its steps, its checks, and everything collected from the lab."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    """One expectation and how it went."""

    section: str
    line: int
    description: str
    passed: bool
    expected: Any = None
    actual: Any = None
    # Only what differs, field by field: [{"field", "expected", "actual"}].
    diff: list[dict[str, Any]] = field(default_factory=list)
    # The checkpoint step (index in ``CaseResult.steps``) it was checked at; None: at the end.
    step: int | None = None


@dataclass
class StepRecord:
    line: int
    name: str
    args: Any
    cycles: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    response: Any = None
    # A bulk step: the objects it touched, in order.
    targets: list[str] | None = None
    # Virtual time before and after the step, and the job's status after it.
    began: str | None = None
    ended: str | None = None
    status: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseResult:
    path: str
    title: str
    description: str
    seed: int
    backend: str
    xfail: str | None = None
    ticket: str = ""
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
    # The directory as the engine last read it (GET /_fake/engine/jobs/{id}/directory).
    engine_directory: dict[str, Any] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # notification e-mails
    # Engine settings, secrets, job settings, Miro settings: {"defaults": ..., "case": ...}.
    settings: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # app role id -> display name

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
