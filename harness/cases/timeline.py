"""The timeline of a case run, on the virtual clock: the case's steps and checkpoints, the cycles
they ran (type, state, counts, escrows, throttling), the job's status after each (quarantine and
pause as spans from their start), and the notification e-mails the admin got.

It is a list of columns in the order things happened; quiet runs of incremental cycles (nothing
to do, nothing wrong) are folded into one column, so thirty days of cycles stay one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from harness.cases.result import CaseResult, StepRecord

COUNTED = ("create", "update", "disable", "delete", "staged", "skipped", "failed")


def short_time(value: Any) -> str:
    """``2026-01-05T09:40:00Z`` -> ``2026-01-05 09:40``."""
    return str(value or "")[:16].replace("T", " ")


def cycle_labels(result: CaseResult) -> dict[str, str]:
    return {
        c["cycleId"]: f"cycle {i} ({c.get('type', '?')})" for i, c in enumerate(result.cycles(), 1)
    }


def counts_text(cycle: dict[str, Any]) -> str:
    counts = cycle.get("counts") or {}
    parts = [f"{counts[k]} {k}" for k in COUNTED if counts.get(k)]
    if counts.get("throttled"):
        parts.append(f"{counts['throttled']} throttled (429, waited)")
    return ", ".join(parts) or "nothing to do"


def _idle(cycle: dict[str, Any]) -> bool:
    counts = cycle.get("counts") or {}
    return (
        cycle.get("type") == "incremental"
        and cycle.get("state") in (None, "Succeeded")
        and not any(counts.get(k) for k in (*COUNTED, "throttled"))
        and not cycle.get("escrowed")
    )


def cycle_lines(cycles: list[dict[str, Any]], labels: dict[str, str] | None = None) -> list[str]:
    """One line per cycle, runs of cycles with nothing to do folded into one line."""
    labels = labels or {}
    out: list[str] = []
    quiet: list[dict[str, Any]] = []

    def flush() -> None:
        if len(quiet) == 1:
            out.append(_cycle_line(quiet[0], labels))
        elif quiet:
            first, last = short_time(quiet[0].get("began")), short_time(quiet[-1].get("began"))
            out.append(f"{len(quiet)} incremental cycles with nothing to do ({first} … {last})")
        quiet.clear()

    for cycle in cycles:
        if _idle(cycle) and (cycle.get("jobStatus") or {}).get("code", "Active") == "Active":
            quiet.append(cycle)
            continue
        flush()
        out.append(_cycle_line(cycle, labels))
    flush()
    return out


def _cycle_line(cycle: dict[str, Any], labels: dict[str, str]) -> str:
    name = labels.get(cycle.get("cycleId", ""), f"{cycle.get('type')} cycle")
    text = f"{name} at {short_time(cycle.get('began'))}: {counts_text(cycle)}"
    if cycle.get("state") not in (None, "Succeeded"):
        text += f" [{cycle['state']}]"
    return text


def on_demand_text(response: dict[str, Any]) -> str:
    """provisionOnDemand's answer: the result and the reason, from the ``key`` JSON."""
    body = response.get("body")
    try:
        key = json.loads(body["key"]) if isinstance(body, dict) else {}
    except (KeyError, TypeError, ValueError):
        key = {}
    details = key.get("details") or {}
    why = f" ({details['errorCode']})" if details.get("errorCode") else ""
    return f"on demand: HTTP {response.get('status')}, {key.get('result', '?')}{why}"


def step_text(record: StepRecord) -> str:
    """A step in one line; a bulk step names how many objects and the first and last."""
    args = record.args
    if record.name == "expect":
        label = args.get("label") if isinstance(args, dict) else None
        return "checkpoint" + (f": {label}" if label else "")
    if record.targets is not None:
        targets = record.targets
        shown = ", ".join(targets) if len(targets) <= 4 else f"{targets[0]} … {targets[-1]}"
        extra = ""
        if isinstance(args, dict):
            rest = {
                k: v
                for k, v in args.items()
                if k
                not in ("pattern", "from", "to", "user", "member", "principal", "name", "count")
            }
            extra = "".join(f", {k}={v}" for k, v in rest.items())
        return f"{record.name} {len(targets)}: {shown}{extra}"
    if args is None:
        return record.name
    if isinstance(args, dict):
        return f"{record.name} " + ", ".join(f"{k}={v}" for k, v in args.items())
    return f"{record.name} {args}"


@dataclass
class Column:
    kind: str  # step | checkpoint | cycle | idle
    at: str  # ISO time
    label: str  # "line 12" or "cycle 3 (incremental)" or "27 quiet cycles"
    text: str  # the step, or the cycle's counts
    status: str  # the job's status code after it
    state: str = ""  # a cycle's state: Succeeded | EntryLevelErrors | Failed
    escrowed: int = 0
    throttled: int = 0
    held: int = 0  # deletions held by the accidental-deletions threshold
    quarantine: str = ""  # the reason, while quarantined
    quarantine_since: str = ""  # the series start
    emails: list[str] = field(default_factory=list)
    passed: bool | None = None  # a checkpoint: all its checks held
    until: str = ""  # a folded run: the last cycle's time
    error: str = ""


@dataclass
class Span:
    kind: str  # quarantine | paused
    first: int  # column index
    last: int  # column index (included)
    label: str
    since: str
    open: bool  # still so at the end of the case


@dataclass
class Timeline:
    columns: list[Column]
    spans: list[Span]
    start: str
    end: str


def build_timeline(result: CaseResult) -> Timeline:
    labels = cycle_labels(result)
    columns: list[Column] = []
    before = Column("step", "", "", "", "")  # the job's status before the first step
    for index, record in enumerate(result.steps):
        column = _step_column(result, index, record)
        if record.cycles:
            # The step's own column shows the status it found; its cycles show what followed.
            column.status, column.quarantine = before.status, before.quarantine
            column.quarantine_since = before.quarantine_since
        columns.append(column)
        before = _step_column(result, index, record)
        quiet: list[dict[str, Any]] = []
        for cycle in record.cycles:
            status = cycle.get("jobStatus") or {}
            if _idle(cycle) and status.get("code", "Active") == "Active":
                quiet.append(cycle)
                continue
            _fold(columns, quiet)
            columns.append(_cycle_column(cycle, labels))
        _fold(columns, quiet)
    columns = _fold_steps(columns, result)
    end = str(result.clock.get("now") or (columns[-1].at if columns else ""))
    return Timeline(columns, _spans(columns), columns[0].at if columns else end, end)


def _fold_steps(columns: list[Column], result: CaseResult) -> list[Column]:
    """Consecutive plain steps of one kind (``unassign`` forty times, say) become one column:
    ``lines 132-171: unassign 40: user21 … user60``."""
    records = {f"line {r.line}": r for r in result.steps}
    out: list[Column] = []
    run: list[Column] = []

    def flush() -> None:
        if len(run) < 3:
            out.extend(run)
        else:
            first, last = records[run[0].label], records[run[-1].label]
            targets = [
                t for c in run for t in records[c.label].targets or [_target(records[c.label])]
            ]
            shown = ", ".join(targets) if len(targets) <= 4 else f"{targets[0]} … {targets[-1]}"
            out.append(
                replace(
                    run[-1],
                    at=run[0].at,
                    label=f"lines {first.line}-{last.line}",
                    text=f"{first.name} x{len(run)}: {shown}",
                )
            )
        run.clear()

    for column in columns:
        record = records.get(column.label) if column.kind == "step" else None
        plain = record is not None and not record.cycles and not column.error
        if (
            record is not None
            and plain
            and run
            and records[run[-1].label].name == record.name
            and run[-1].status == column.status
        ):
            run.append(column)
            continue
        flush()
        if plain:
            run.append(column)
        else:
            out.append(column)
    flush()
    return out


def _target(record: StepRecord) -> str:
    args = record.args
    if isinstance(args, dict):
        for key in ("principal", "user", "member", "name", "group"):
            if key in args:
                return str(args[key])
    return str(args)


def _step_column(result: CaseResult, index: int, record: StepRecord) -> Column:
    status = record.status or {}
    column = Column(
        kind="checkpoint" if record.name == "expect" else "step",
        at=str(record.began or ""),
        label=f"line {record.line}",
        text=step_text(record),
        status=str(status.get("code") or ""),
        quarantine=str(status.get("quarantine_reason") or ""),
        quarantine_since=str(status.get("quarantine_since") or ""),
        error=record.error or "",
    )
    if record.name == "expect":
        mine = [c for c in result.checks if c.step == index]
        column.passed = all(c.passed for c in mine)
        column.text += f": {sum(c.passed for c in mine)} of {len(mine)} hold"
    if record.response is not None:
        column.text += f" → {on_demand_text(record.response)}"
    return column


def _cycle_column(cycle: dict[str, Any], labels: dict[str, str]) -> Column:
    status = cycle.get("jobStatus") or {}
    quarantine = status.get("quarantine") or {}
    return Column(
        kind="cycle",
        at=str(cycle.get("began") or ""),
        label=labels.get(cycle.get("cycleId", ""), str(cycle.get("type"))),
        text=counts_text(cycle),
        status=str(status.get("code") or ""),
        state=str(cycle.get("state") or ""),
        escrowed=int(cycle.get("escrowed") or 0),
        throttled=int((cycle.get("counts") or {}).get("throttled") or 0),
        held=int((cycle.get("counts") or {}).get("staged") or 0),
        quarantine=str(quarantine.get("reason") or ""),
        quarantine_since=str(quarantine.get("seriesBegan") or ""),
        error=str((cycle.get("error") or {}).get("errorCode") or ""),
        emails=[str(m.get("subject") or "") for m in cycle.get("notifications") or []],
    )


def _fold(columns: list[Column], quiet: list[dict[str, Any]]) -> None:
    if not quiet:
        return
    first, last = quiet[0], quiet[-1]
    columns.append(
        Column(
            kind="idle",
            at=str(first.get("began") or ""),
            label=f"{len(quiet)} quiet cycle{'s' if len(quiet) > 1 else ''}",
            text="incremental, nothing to do",
            status="Active",
            state="Succeeded",
            until=str(last.get("began") or ""),
        )
    )
    quiet.clear()


def _spans(columns: list[Column]) -> list[Span]:
    """Quarantine and pause as spans over the columns, from their start (for a quarantine, the
    series start the job status gives, not the latest attempt)."""
    spans: list[Span] = []
    current: Span | None = None
    started = False
    for i, column in enumerate(columns):
        if column.kind == "checkpoint":
            if current is not None:
                current.last = i
            continue
        kind = {"Quarantine": "quarantine", "Paused": "paused"}.get(column.status)
        if column.status == "Active" or column.kind in ("cycle", "idle"):
            started = True
        if kind == "paused" and not started:
            kind = None  # a job not started yet is not "paused" in any useful sense
        if current is not None and (kind != current.kind):
            spans.append(current)
            current = None
        if kind is None:
            continue
        if current is None:
            if kind == "quarantine":
                label = f"Quarantine: {column.quarantine}"
                since = column.quarantine_since
            else:
                label, since = "Paused", column.at
            current = Span(kind, i, i, label, since, False)
        current.last = i
    if current is not None:
        current.open = True
        spans.append(current)
    return spans
