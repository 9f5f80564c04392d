"""The customer's decisions, saved by ``harness import`` beside the case so that ``harness
replay`` need not read the export a second time.

Reading a portal-sized export (582 MB of JSON for 250,000 records) and normalising it takes
about 50 CPU seconds; the import has just done it, so it writes what a replay takes from it (the
decisions, named as the case names the objects, the number of cycles and the reader's warnings)
to ``CASE.decisions.jsonl.gz``: a header line, then one JSON line per decision, gzip level 1.

The file is only a shortcut. A replay uses it when its header names this format and version and
the export files it is given are the ones the import read (name, size and SHA-256 of each, in
order: hashing 582 MB costs under a second); anything else (another export, an edited one, a
CSV set, ``--anonymise``, a damaged or older file) and the replay reads the export as before.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.replay.compare import Decision, shared_steps
from harness.replay.sources import expand
from harness.replay.timeline import Timeline

FORMAT = "harness-replay-decisions"
VERSION = 1
_JSON_SUFFIXES = (".json", ".jsonl", ".txt")


@dataclass
class Recorded:
    """What a replay needs of the export: the decisions, the number of cycles, the warnings."""

    decisions: list[Decision]
    cycles: int
    warnings: list[str]


def decisions_beside(case_file: Path) -> Path:
    stem = case_file.name.removesuffix(".yaml").removesuffix(".yml")
    return case_file.with_name(f"{stem}.decisions.jsonl.gz")


def fingerprint(exports: Iterable[Path]) -> list[dict[str, Any]] | None:
    """Name, size and SHA-256 of every file the readers read, in order; None when the export
    holds a CSV file (its set's other files are found beside it, out of this list's sight)."""
    out: list[dict[str, Any]] = []
    for path in expand(exports):
        if path.suffix.casefold() not in _JSON_SUFFIXES:
            return None
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        out.append({"name": path.name, "bytes": path.stat().st_size, "sha256": digest})
    return out


def write(
    path: Path,
    exports: list[Path],
    decisions: Iterable[Decision],
    count: int,
    cycles: int,
    warnings: list[str],
) -> bool:
    """Save the ``count`` decisions for replays against ``exports`` (streamed, not held); False
    (and no file, not even an older one) for an export with a CSV file."""
    prints = fingerprint(exports)
    if prints is None:
        path.unlink(missing_ok=True)
        return False
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exports": prints,
        "cycles": cycles,
        "warnings": warnings,
        "decisions": count,
    }
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as handle:
        handle.write(json.dumps(header, ensure_ascii=False) + "\n")
        for d in decisions:
            row = [d.object, d.kind, d.cycle, d.action, d.status, d.error_code, d.skip_reason]
            row += [d.steps, d.descriptions, d.when, d.where]
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return True


def of_timeline(timeline: Timeline) -> Iterator[Decision]:
    """The customer's decisions, oldest cycle first, each named as the case names its object."""
    for cycle in timeline.cycles:
        for record in cycle.records:
            yield Decision.of(record, timeline.object_of(record).name, cycle.index)


def read(path: Path, exports: list[Path]) -> Recorded | None:
    """The saved decisions if ``path`` was written for exactly these exports; else None."""
    if not path.is_file():
        return None
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            if not _fits(header, exports):
                return None
            decisions = [_decision(json.loads(line)) for line in handle]
    except (OSError, EOFError, ValueError, TypeError, zlib.error):
        return None  # damaged or not ours: the export itself is the truth
    if len(decisions) != header["decisions"]:
        return None
    return Recorded(decisions, int(header["cycles"]), [str(w) for w in header["warnings"]])


def _fits(header: Any, exports: list[Path]) -> bool:
    if not isinstance(header, dict):
        return False
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        return False
    prints = fingerprint(exports)
    return prints is not None and header.get("exports") == prints


def _decision(row: list[Any]) -> Decision:
    obj, kind, cycle, action, status, error_code, skip_reason, steps, descriptions, when, where = (
        row
    )
    # Names and step values repeat across a quarter of a million decisions: share them.
    return Decision(
        object=sys.intern(obj),
        kind=sys.intern(kind),
        cycle=int(cycle),
        action=sys.intern(action),
        status=sys.intern(status),
        error_code=sys.intern(error_code),
        skip_reason=sys.intern(skip_reason),
        steps=shared_steps(
            tuple((sys.intern(n), sys.intern(t), sys.intern(s)) for n, t, s in steps)
        ),
        descriptions=tuple(descriptions),
        when=when,
        where=where,
    )
