"""Reading a customer's export, whatever its format: files and folders in, records out.

``read_export(paths)`` picks the reader per file: JSON (download, Graph pages, JSON Lines, Log
Analytics, Azure Monitor archives, provisionOnDemand answers) or CSV (the three-file set, its
siblings found beside ``ProvisioningLogs.csv``; or Log Analytics rows). Records come back in
time order, oldest first, whatever order the export used (the admin center lists newest first).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.replay.normalise import Normaliser
from harness.replay.read_csv import (
    classify,
    is_log_analytics,
    read_csv_set,
    read_log_analytics_csv,
    siblings,
)
from harness.replay.read_json import read_json
from harness.replay.records import OBJECT_TYPES, ReadError, Record


@dataclass
class Export:
    records: list[Record]
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    left_out: int = 0  # records of other object types (roles, service principals, ...)


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a folder stands for the JSON and CSV files in it."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(
                p
                for p in path.iterdir()
                if p.suffix.casefold() in (".json", ".jsonl", ".csv", ".txt")
            )
        elif path.exists():
            out.append(path)
        else:
            raise ReadError(str(path), "", "", "no such file")
    return out


def iter_records(
    paths: Iterable[Path], normaliser: Normaliser
) -> Iterator[tuple[Path, list[Record]]]:
    """Per file (or CSV set), its records in file order."""
    files = expand(paths)
    csvs = [p for p in files if p.suffix.casefold() == ".csv"]
    for path in files:
        if path.suffix.casefold() == ".csv":
            continue
        yield path, list(read_json(path, normaliser))
    if not csvs:
        return
    la = [p for p in csvs if is_log_analytics(p)]
    for path in la:
        yield path, list(read_log_analytics_csv(path, normaliser))
    rest = [p for p in csvs if p not in la]
    if not rest:
        return
    logs, steps, modified = classify(rest)
    if logs is None:
        raise ReadError(
            ", ".join(p.name for p in rest), "", "", "a CSV set needs its ProvisioningLogs file too"
        )
    if steps is None or modified is None:
        found = classify([logs, *siblings(logs)])
        steps, modified = steps or found[1], modified or found[2]
    yield logs, list(read_csv_set(logs, steps, modified, normaliser))


def read_export(paths: Iterable[Path], *, keep_details: bool = True) -> Export:
    """Every User and Group record of the export, oldest first."""
    normaliser = Normaliser(keep_details=keep_details)
    records: list[Record] = []
    files: list[str] = []
    left_out = 0
    for path, found in iter_records(paths, normaliser):
        files.append(str(path))
        if len(found) > 1 and found[0].when > found[-1].when:
            found.reverse()  # newest first, as the admin center lists them
        for record in found:
            if record.object_type in OBJECT_TYPES:
                records.append(record)
            else:
                left_out += 1
                normaliser.warn_once(
                    f"type:{record.object_type}",
                    f"{record.where}: a {record.source.type or 'untyped'} object, not a user or "
                    "group; records of this type are left out",
                )
    records.sort(key=lambda r: r.when)  # stable: ties keep the export's order
    return Export(records, normaliser.warnings, files, left_out)
