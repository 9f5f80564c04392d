"""From a customer's records to what happened: objects with case names, and cycles in order.

A *cycle* is the records of one ``cycleId`` (provision on demand has one per call); cycles are
ordered by their first record. An *object* is one source identity (User or Group); its case name
is the local part of its UPN (users) or its display name (groups), made unique. The same records
always give the same names and cycles: ``harness replay`` rebuilds them from the export to know
which of its entries stands for which of the case's objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from harness.replay.records import Record

MARKER = "recorded cycle"
MARKER_PATTERN = re.compile(rf"^{MARKER} (\d+)\b")
CYCLE_INTERVAL_S = 40 * 60  # incremental cycles run about every 40 minutes


@dataclass
class Cycle:
    index: int  # 1-based, in time order
    id: str
    began: datetime
    records: list[Record] = field(default_factory=list)

    @property
    def on_demand(self) -> bool:
        return bool(self.records) and all(r.on_demand for r in self.records)

    def marker(self, total: int) -> str:
        """The ``note`` the case writes before the steps that reproduce this cycle."""
        kind = "on demand" if self.on_demand else "cycle"
        when = self.began.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{MARKER} {self.index} of {total}: {kind} at {when} (cycleId {self.id or '-'})"


@dataclass
class Obj:
    key: tuple[str, str]  # (User|Group, source id)
    kind: str
    name: str
    records: list[tuple[int, Record]] = field(default_factory=list)  # (cycle index, record)

    @property
    def source_id(self) -> str:
        return self.key[1]


@dataclass
class Timeline:
    cycles: list[Cycle]
    objects: dict[tuple[str, str], Obj]

    def object_of(self, record: Record) -> Obj:
        return self.objects[(record.object_type, record.source.id)]

    def by_name(self) -> dict[str, Obj]:
        return {o.name: o for o in self.objects.values()}


def upn_of(record: Record) -> str:
    """A user's UPN as the record shows it: import details, else the source display name."""
    for step in record.steps:
        if step.type == "import":
            upn = step.detail("userPrincipalName") or step.detail("originalUserPrincipalName")
            if upn:
                return upn
    return record.source.display


def build(records: Iterable[Record]) -> Timeline:
    cycles: dict[str, Cycle] = {}
    objects: dict[tuple[str, str], Obj] = {}
    order: list[Cycle] = []
    used: set[str] = set()
    for record in records:
        cycle_key = record.cycle_id or f"record:{record.id or record.change_id or len(order)}"
        cycle = cycles.get(cycle_key)
        if cycle is None:
            cycle = Cycle(0, record.cycle_id, record.when)
            cycles[cycle_key] = cycle
            order.append(cycle)
        cycle.records.append(record)
    order.sort(key=lambda c: c.began)  # stable: ties keep first appearance
    for i, cycle in enumerate(order, start=1):
        cycle.index = i
        for record in cycle.records:
            key = (record.object_type, record.source.id)
            obj = objects.get(key)
            if obj is None:
                obj = Obj(key, record.object_type, _unique(_base_name(record), used))
                objects[key] = obj
            obj.records.append((i, record))
    return Timeline(order, objects)


def _base_name(record: Record) -> str:
    if record.object_type == "Group":
        return record.source.display.strip() or f"group-{record.source.id[:8]}"
    upn = upn_of(record)
    local = upn.split("#EXT#")[0].split("@")[0] if upn else ""
    name = re.sub(r"[^A-Za-z0-9._-]", "", local).lower().strip(".-_")
    return name or f"user-{record.source.id[:8]}"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.casefold() in used:
        candidate = f"{name}-{n}"
        n += 1
    used.add(candidate.casefold())
    return candidate
