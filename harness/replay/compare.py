"""Our decisions against the customer's, per object and recorded cycle.

A decision is what one log record says about one object in one cycle: the provisioning action,
the status, the error code, the skip reason and the step sequence (each step's name, type and
status; descriptions are shown, not compared: they quote values and names). Two decisions agree
when all five are equal. The agreement rate counts every (object, cycle) decision on either side:
one the customer recorded and we did not make (or the other way round) is a disagreement too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from harness.replay.records import Record, iso

FIELDS = ("action", "status", "error_code", "skip_reason", "steps")


@dataclass(frozen=True, slots=True)
class Decision:
    object: str
    kind: str
    cycle: int
    action: str
    status: str
    error_code: str
    skip_reason: str
    steps: tuple[tuple[str, str, str], ...]
    descriptions: tuple[str, ...]
    when: str
    where: str

    @classmethod
    def of(cls, record: Record, name: str, cycle: int) -> Decision:
        return cls(
            object=name,
            kind=record.object_type,
            cycle=cycle,
            action=record.action,
            status=record.status,
            error_code=record.error_code,
            skip_reason=record.skip_reason,
            steps=shared_steps(tuple((s.name, s.type, s.status) for s in record.steps)),
            descriptions=tuple(s.description for s in record.steps),
            when=iso(record.when),
            where=record.where,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "status": self.status,
            "error_code": self.error_code or None,
            "skip_reason": self.skip_reason or None,
            "when": self.when,
            "where": self.where,
            "steps": [
                {"name": n, "type": t, "status": s, "description": d}
                for (n, t, s), d in zip(self.steps, self.descriptions, strict=False)
            ],
        }


@lru_cache(maxsize=4096)
def shared_steps(steps: tuple[tuple[str, str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    """One object per step sequence: a quarter of a million decisions repeat a few dozen."""
    return steps


@dataclass(slots=True)
class Pair:
    object: str
    kind: str
    cycle: int
    theirs: Decision | None
    ours: Decision | None
    differences: list[str] = field(default_factory=list)
    first_step: int | None = None  # index of the first step that differs

    @property
    def agrees(self) -> bool:
        return self.theirs is not None and self.ours is not None and not self.differences


@dataclass
class Comparison:
    pairs: list[Pair]
    cycles: int

    @property
    def total(self) -> int:
        return len(self.pairs)

    @property
    def agreed(self) -> int:
        return sum(1 for p in self.pairs if p.agrees)

    @property
    def rate(self) -> float:
        return 100.0 * self.agreed / self.total if self.total else 100.0

    @property
    def disagreements(self) -> list[Pair]:
        return [p for p in self.pairs if not p.agrees]


def first_difference(
    a: tuple[tuple[str, str, str], ...], b: tuple[tuple[str, str, str], ...]
) -> int | None:
    for i, (x, y) in enumerate(zip_longest(a, b)):
        if x != y:
            return i
    return None


def pair(
    object_name: str, kind: str, cycle: int, theirs: Decision | None, ours: Decision | None
) -> Pair:
    p = Pair(object_name, kind, cycle, theirs, ours)
    if theirs is None or ours is None:
        p.differences = ["missing in our run" if ours is None else "not in the customer's logs"]
        return p
    for name in FIELDS:
        if getattr(theirs, name) != getattr(ours, name):
            p.differences.append(name)
    if "steps" in p.differences:
        p.first_step = first_difference(theirs.steps, ours.steps)
    return p


def compare(theirs: list[Decision], ours: list[Decision], cycles: int) -> Comparison:
    grouped: dict[tuple[int, str], tuple[list[Decision], list[Decision]]] = {}
    kinds: dict[str, str] = {}
    for side, decisions in ((0, theirs), (1, ours)):
        for decision in decisions:
            grouped.setdefault((decision.cycle, decision.object), ([], []))[side].append(decision)
            kinds.setdefault(decision.object, decision.kind)
    pairs = []
    for (cycle, name), (their_list, our_list) in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], kv[0][1].casefold())
    ):
        for a, b in zip_longest(their_list, our_list):
            pairs.append(pair(name, kinds[name], cycle, a, b))
    return Comparison(pairs, cycles)
