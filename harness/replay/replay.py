"""``harness replay``: run a case, then compare our decisions with the ones a customer's export
recorded, per object and cycle."""

from __future__ import annotations

from pathlib import Path

from harness.cases.loader import load_case
from harness.lab.backends import DEFAULT_BACKEND
from harness.replay import decisions_file
from harness.replay.anonymise import DEFAULT_SALT
from harness.replay.collector import fewer_collections
from harness.replay.compare import Decision, compare
from harness.replay.importer import load_for_replay
from harness.replay.records import ReadError
from harness.replay.report import ReplayResult
from harness.replay.runner import run_for_replay


def logs_beside(case_file: Path) -> Path:
    """Where ``harness import --anonymise`` (or ``--logs-out``) put the export beside a case."""
    stem = case_file.name.removesuffix(".yaml").removesuffix(".yml")
    return case_file.with_name(f"{stem}.logs.json")


@fewer_collections
def replay(
    case_file: Path,
    exports: list[Path],
    *,
    backend: str = DEFAULT_BACKEND,
    anonymise: bool = False,
    salt: str = DEFAULT_SALT,
) -> ReplayResult:
    """Raises ``CaseError`` for an invalid case and ``ReadError`` for an unreadable export."""
    case = load_case(case_file)
    if not exports:
        beside = logs_beside(case_file)
        if not beside.exists():
            raise ReadError(
                str(case_file),
                "",
                "",
                f"name the export to compare with (no {beside.name} beside the case)",
            )
        exports = [beside]
    saved = (
        None
        if anonymise
        else decisions_file.read(decisions_file.decisions_beside(case_file), exports)
    )
    if saved is not None:
        theirs, cycles, warnings = saved.decisions, saved.cycles, saved.warnings
    else:
        theirs, cycles, warnings = recorded_decisions(exports, anonymise=anonymise, salt=salt)
    ours = run_for_replay(case, backend)
    comparison = compare(theirs, ours.decisions, cycles)
    return ReplayResult(
        case=str(case_file),
        title=case.title,
        export=[str(p) for p in exports],
        backend=backend,
        comparison=comparison,
        error=ours.error,
        outside=ours.outside,
        warnings=warnings,
    )


def recorded_decisions(
    exports: list[Path], *, anonymise: bool, salt: str
) -> tuple[list[Decision], int, list[str]]:
    """The customer's decisions, named as the import named the objects; the records themselves
    are dropped here (a replay of a quarter of a million records needs the room)."""
    export, timeline = load_for_replay(exports, anonymise=anonymise, salt=salt)
    decisions = list(decisions_file.of_timeline(timeline))
    return decisions, len(timeline.cycles), export.warnings
