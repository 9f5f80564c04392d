"""Fault rules: answer matching requests with a chosen status and body, after a delay, for N
times or with a probability. Probability draws come from one seeded generator per fault book,
so a run repeats. State only: each fake turns a fired fault into a response in its own wire
format."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from fakekit.errors import bad_input

# "Any method" is written "*"; a missing or null method means the same on input.
ANY_METHOD = "*"
# RFC 9110 section 9 and PATCH (RFC 5789).
HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
MAX_LATENCY_MS = 600_000
FIELDS = frozenset(
    {"method", "path", "status", "body", "retry_after", "latency_ms", "times", "probability"}
)


@dataclass
class Fault:
    """One rule: requests whose method matches and whose path the ``path`` regex finds."""

    id: str
    path: str
    method: str = ANY_METHOD
    status: int | None = None
    body: Any = None
    retry_after: int | None = None
    latency_ms: float = 0
    times: int | None = None
    probability: float | None = None
    hits: int = 0
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.pattern = re.compile(self.path)

    def fires(self, method: str, path: str, draws: random.Random) -> bool:
        """Whether this request is hit (counted when it is); ``draws`` decides probabilities."""
        if self.method not in (ANY_METHOD, method) or not self.pattern.search(path):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.probability is not None and draws.random() >= self.probability:
            return False
        self.hits += 1
        return True

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "times": self.times,
            "probability": self.probability,
            "hits": self.hits,
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_fault(spec: Any, fault_id: str, *, retry_after_for_429: int | None = None) -> Fault:
    """A fault from its JSON form; bad input raises :class:`~fakekit.errors.ControlError`."""
    if not isinstance(spec, dict):
        raise bad_input("A fault is a JSON object.")
    unknown = set(spec) - FIELDS
    if unknown:
        raise bad_input(f"Unknown fault field(s): {', '.join(sorted(map(str, unknown)))}.")
    method = spec.get("method")
    if method is None:
        method = ANY_METHOD
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS | {ANY_METHOD}:
        raise bad_input('Fault \'method\' must be an HTTP method such as "GET", or "*" for any.')
    path = spec.get("path", ".*")
    if not isinstance(path, str):
        raise bad_input("Fault 'path' must be a regular expression string.")
    try:
        re.compile(path)
    except re.error as exc:
        raise bad_input(f"Fault 'path' is not a valid regular expression: {exc}.") from exc
    status = spec.get("status")
    if status is not None and (not _is_int(status) or not 100 <= status <= 599):
        raise bad_input("Fault 'status' must be an HTTP status code (100 to 599).")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (not _is_int(retry_after) or retry_after < 0):
        raise bad_input("Fault 'retry_after' must be a non-negative integer (seconds).")
    latency = spec.get("latency_ms", 0)
    if not _is_number(latency) or not 0 <= latency <= MAX_LATENCY_MS:
        raise bad_input(f"Fault 'latency_ms' must be a number between 0 and {MAX_LATENCY_MS}.")
    times, probability = spec.get("times"), spec.get("probability")
    if times is not None and probability is not None:
        raise bad_input("Give a fault either 'times' or 'probability', not both.")
    if times is not None and (not _is_int(times) or times < 1):
        raise bad_input("Fault 'times' must be a positive integer.")
    if probability is not None and (not _is_number(probability) or not 0 <= probability <= 1):
        raise bad_input("Fault 'probability' must be a number between 0 and 1.")
    if status is None and not latency:
        raise bad_input("A fault needs a 'status', a 'latency_ms', or both.")
    if status == 429 and retry_after is None:
        retry_after = retry_after_for_429
    return Fault(
        fault_id,
        path,
        method.upper(),
        status,
        spec.get("body"),
        retry_after,
        latency,
        times,
        probability,
    )


class FaultBook:
    """The faults of one fake, in the order added; the first that fires wins. Thread-safe.

    ``retry_after_for_429``: the ``retry_after`` a 429 fault gets when it names none (the Graph
    fake gives 1, so msgraph-sdk's retry handler has a header to read; the Miro fake none).
    ``seed`` seeds the probability draws; :meth:`reset` starts them over."""

    def __init__(self, *, retry_after_for_429: int | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._numbered = 0
        self._seed = seed
        self._draws = random.Random(seed)
        self.retry_after_for_429 = retry_after_for_429

    def add(self, spec: Any) -> Fault:
        with self._lock:
            fault = parse_fault(
                spec, f"fault-{self._numbered + 1}", retry_after_for_429=self.retry_after_for_429
            )
            self._numbered += 1
            self._faults.append(fault)
            return fault

    def match(self, method: str, path: str) -> Fault | None:
        """The first fault that fires for this request (counted), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.fires(method, path, self._draws):
                    return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.public() for fault in self._faults]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Remove every fault; ids keep counting."""
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """As new: no faults, the next one is ``fault-1`` again, the draws start over."""
        with self._lock:
            self._faults.clear()
            self._numbered = 0
            self._draws = random.Random(self._seed)

    def __len__(self) -> int:
        return len(self._faults)  # a read of one list's length: no lock needed
