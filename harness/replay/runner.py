"""Running a case for a replay: play it as ``harness run`` does, then read every log entry it
produced and tell which recorded cycle each stands for.

The imported case marks each recorded cycle with a ``note`` ("recorded cycle 2 of 5: ...");
the cycles that run after a marker (and the provision-on-demand calls) stand for that cycle.
A case without markers is aligned by order: our n-th cycle with entries against their n-th.
The case's own ``expect`` section is not checked here (``harness run`` does that); the logs are
read page by page so a quarter of a million entries never sit in memory as JSON. In an
in-process lab the directory set-up skips HTTP (``harness.replay.direct``) and the pages come
from the engine's log store itself, as the ``/auditLogs/provisioning`` route would serve them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.cases.loader import Case
from harness.cases.result import StepRecord
from harness.cases.scene import StepFailed, at, play, set_up
from harness.lab.backends import DEFAULT_BACKEND, open_lab
from harness.lab.local import Lab
from harness.replay.compare import Decision
from harness.replay.direct import driver_for
from harness.replay.normalise import Normaliser
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
    with open_lab(backend, case.seed) as lab:
        d = driver_for(lab, case)
        try:
            _load_lab_state(case, lab)
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
        names: dict[str, str] = {}
        for name, object_id in d.names.items():
            names.setdefault(object_id, name)
        _read_ours(d, names, cycle_of if markers else None, run)
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


def _read_ours(
    d: Driver, names: dict[str, str], cycle_of: dict[str, int] | None, run: OurRun
) -> None:
    normaliser = Normaliser(keep_details=False)
    by_order: dict[str, int] = {}
    for page in _pages(d):
        for raw in page:
            run.entries += 1
            record = normaliser.record(raw, "our run", f"entry {run.entries}")
            cycle_id = record.cycle_id
            if cycle_of is not None:
                cycle = cycle_of.get(cycle_id)
            else:
                cycle = by_order.setdefault(cycle_id, len(by_order) + 1)
            if cycle is None:
                run.outside += 1
                continue
            name = names.get(record.source.id) or record.source.display
            run.decisions.append(Decision.of(record, name, cycle))


def _pages(d: Driver) -> Iterator[list[dict[str, Any]]]:
    """Every provisioning-log entry, oldest first, a page at a time."""
    if isinstance(d.lab, Lab):  # the store the route reads, without encoding it as JSON
        after: int | None = None
        more = True
        while more:
            page, more = d.lab.logs.query(None, descending=False, after=after, limit=PAGE)
            if page:
                after = page[-1][0]
            yield [entry for _, entry in page]
        return
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
