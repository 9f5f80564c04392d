"""Running a case for a replay: play it as ``harness run`` does, then read every log entry it
produced and tell which recorded cycle each stands for.

The imported case marks each recorded cycle with a ``note`` ("recorded cycle 2 of 5: ...");
the cycles that run after a marker (and the provision-on-demand calls) stand for that cycle.
A case without markers is aligned by order: our n-th cycle with entries against their n-th.
The case's own ``expect`` section is not checked here (``harness run`` does that), and no step
of a replay reads the logs. In an in-process lab the directory set-up skips HTTP
(``harness.replay.direct``) and the engine's log store is diverted: each entry is read as the
engine makes it and never stored (a quarter of a million entries never sit in memory, nor are
they packed and unpacked); other labs' logs are paged over ``/auditLogs/provisioning`` at the
end, so they never sit in memory as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from harness.cases.loader import Case
from harness.cases.result import StepRecord
from harness.cases.scene import StepFailed, at, play, set_up
from harness.lab.backends import DEFAULT_BACKEND, open_lab
from harness.lab.local import Lab
from harness.replay.compare import Decision
from harness.replay.direct import driver_for
from harness.replay.normalise import Normaliser
from harness.replay.records import ReadError
from harness.replay.timeline import MARKER_PATTERN
from harness.testing.driver import Driver

PAGE = 1000


@dataclass
class OurRun:
    decisions: list[Decision] = field(default_factory=list)
    error: str | None = None
    outside: int = 0  # entries of cycles no marker claims (a warm-up, say)
    entries: int = 0


def run_for_replay(case: Case, backend: str = DEFAULT_BACKEND) -> OurRun:
    run = OurRun()
    cycle_of: dict[str, int] = {}
    markers = False
    ours = _OurEntries()
    with open_lab(backend, case.seed) as lab, ExitStack() as diverting:
        d = driver_for(lab, case)
        try:
            _load_lab_state(case, lab)
            if isinstance(lab, Lab):
                ours.take(lab)  # entries the lab state brought
                diverting.enter_context(lab.logs.diverted(ours.add_one))
            set_up(case, d)
            current = 0
            for step in case.steps:
                match = MARKER_PATTERN.match(str(step.args)) if step.name == "note" else None
                if match:
                    current, markers = int(match.group(1)), True
                    continue
                record = StepRecord(step.line, step.name, step.args)
                try:
                    play(d, step, record)
                except StepFailed as exc:
                    run.error = str(exc)
                    break
                if current:
                    for cycle_id in _cycle_ids(record):
                        cycle_of[cycle_id] = current
        except StepFailed as exc:
            run.error = str(exc)
        d.clear_faults()
        if not isinstance(lab, Lab):
            for page in _pages(d):
                ours.add(page)
        if ours.unreadable is not None:
            raise ours.unreadable
        names: dict[str, str] = {}
        for name, object_id in d.names.items():
            names.setdefault(object_id, name)
        ours.decide(names, cycle_of if markers else None, run)
    return run


def _load_lab_state(case: Case, lab: Any) -> None:
    if "lab_state_file" not in case.raw:
        return
    with at(case.line_of(case.raw, "lab_state_file"), "lab_state_file"):
        state = case.attachments["lab_state_file"]
        if hasattr(lab, "load_state"):
            lab.load_state(state)
        else:
            from harness.lab.state_files import load_lab_state

            load_lab_state(lab, state)


def _cycle_ids(record: StepRecord) -> list[str]:
    ids = [str(c.get("cycleId")) for c in record.cycles if c.get("cycleId")]
    response = record.response
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        value = response["body"].get("value")
        try:
            entry = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            entry = None
        if isinstance(entry, dict) and entry.get("cycleId"):
            ids.append(str(entry["cycleId"]))
    return ids


class _OurEntries:
    """Our run's log entries, read as the run goes: an in-process lab's as the engine makes
    them (250,000 entries held in its store are some 450 MB), the rest paged over HTTP at the
    end. Names and recorded cycles are given at the end, as the whole run decides them."""

    def __init__(self) -> None:
        self.normaliser = Normaliser(keep_details=False)
        self.entries = 0
        # (cycleId, source id, source display name, the decision without its name and cycle)
        self.pending: list[tuple[str, str, str, Decision]] = []
        self.unreadable: ReadError | None = None

    def take(self, lab: Lab) -> None:
        if len(lab.logs):
            self.add(lab.logs.take())

    def add(self, entries: Iterable[dict[str, Any]]) -> None:
        for raw in entries:
            self.add_one(raw)

    def add_one(self, raw: dict[str, Any]) -> None:
        if self.unreadable is not None:
            return
        self.entries += 1
        try:
            record = self.normaliser.record(raw, "our run", f"entry {self.entries}")
        except ReadError as exc:
            # Raised when the run ends: inside a cycle the engine would take it for its own fault.
            self.unreadable = exc
            return
        decision = Decision.of(record, "", 0)
        self.pending.append((record.cycle_id, record.source.id, record.source.display, decision))

    def decide(self, names: dict[str, str], cycle_of: dict[str, int] | None, run: OurRun) -> None:
        by_order: dict[str, int] = {}
        run.entries = self.entries
        pending, self.pending = self.pending, []
        pending.reverse()
        while pending:  # each pending decision goes as its final one is made
            cycle_id, source_id, display, decision = pending.pop()
            if cycle_of is not None:
                cycle = cycle_of.get(cycle_id)
            else:
                cycle = by_order.setdefault(cycle_id, len(by_order) + 1)
            if cycle is None:
                run.outside += 1
                continue
            name = names.get(source_id) or display
            run.decisions.append(replace(decision, object=name, cycle=cycle))


def _pages(d: Driver) -> Iterator[list[dict[str, Any]]]:
    """Every provisioning-log entry, oldest first, a page at a time, over HTTP."""
    params = {"$orderby": "activityDateTime asc", "$top": str(PAGE)}
    response = d.graph.get("/v1.0/auditLogs/provisioning", params=params, timeout=None)
    while True:
        response.raise_for_status()
        body = response.json()
        yield body.get("value") or []
        link = body.get("@odata.nextLink")
        if not link:
            return
        response = d.graph.get(link, timeout=None)
