"""Injected faults and the per-endpoint rate limiter (state only, no Flask)."""

from __future__ import annotations

import math
import random
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "*"})


@dataclass
class Fault:
    id: str
    method: str  # "*" for any
    path: str  # regex, searched in the request path
    status: int | None
    body: Any = None
    retry_after: int | None = None
    latency_ms: int = 0
    times: int | None = None  # None with probability None: every matching request
    probability: float | None = None
    hits: int = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path)

    def to_dict(self) -> dict[str, Any]:
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


def parse_fault(spec: Any, fault_id: str) -> Fault:
    if not isinstance(spec, dict):
        raise ValueError("a fault must be a JSON object")
    known = {
        "method",
        "path",
        "status",
        "body",
        "retry_after",
        "latency_ms",
        "times",
        "probability",
    }
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    method = str(spec.get("method", "*")).upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}")
    path = spec.get("path", ".*")
    if not isinstance(path, str):
        raise ValueError("path must be a regular expression string")
    try:
        re.compile(path)
    except re.error as exc:
        raise ValueError(f"path is not a valid regular expression: {exc}") from exc
    status = spec.get("status")
    if status is not None and (
        not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599
    ):
        raise ValueError("status must be an HTTP status code")
    latency = spec.get("latency_ms", 0)
    if (
        not isinstance(latency, int | float)
        or isinstance(latency, bool)
        or not 0 <= latency <= 600_000
    ):
        raise ValueError("latency_ms must be a number between 0 and 600000")
    if status is None and not latency:
        raise ValueError("a fault needs a status, a latency_ms, or both")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (
        not isinstance(retry_after, int) or isinstance(retry_after, bool) or retry_after < 0
    ):
        raise ValueError("retry_after must be a non-negative integer (seconds)")
    times, probability = spec.get("times"), spec.get("probability")
    if times is not None and probability is not None:
        raise ValueError("give either times or probability, not both")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ValueError("times must be a positive integer")
    if probability is not None and (
        not isinstance(probability, int | float)
        or isinstance(probability, bool)
        or not 0 <= probability <= 1
    ):
        raise ValueError("probability must be between 0 and 1")
    return Fault(
        fault_id,
        method,
        path,
        status,
        spec.get("body"),
        retry_after,
        int(latency),
        times,
        float(probability) if probability is not None else None,
    )


class FaultBook:
    """Faults in the order added; the first that matches and fires wins."""

    def __init__(self, seed: int = 0) -> None:
        self.faults: list[Fault] = []
        self.rng = random.Random(seed)
        self.counter = 0

    def add(self, spec: Any) -> Fault:
        self.counter += 1
        fault = parse_fault(spec, f"fault-{self.counter}")
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def fire(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method not in ("*", method) or not fault._regex.search(path):
                continue
            if fault.probability is not None and self.rng.random() >= fault.probability:
                continue
            fault.hits += 1
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault
        return None


# Miro's SCIM limits per organisation and 30-second window (DOC-RL).
WINDOW_SECONDS = 30
RATE_LIMITS: dict[str, int] = {
    "GET /Users": 200,
    "GET /Users/{id}": 200,
    "POST /Users": 200,
    "PUT /Users/{id}": 100,
    "PATCH /Users/{id}": 100,
    "DELETE /Users/{id}": 20,
    "GET /Groups": 5,
    "GET /Groups/{id}": 20,
    "PATCH /Groups/{id} large": 5,  # body over 500 bytes
    "PATCH /Groups/{id} small": 100,
}


class RateLimiter:
    """Sliding 30-second windows per endpoint, on the fake's clock."""

    def __init__(self) -> None:
        self.windows: dict[str, deque[float]] = {}

    def reset(self) -> None:
        self.windows.clear()

    def hit(self, key: str, now: datetime) -> int | None:
        """Count a request; the Retry-After seconds if it is over the limit, else None."""
        limit = RATE_LIMITS.get(key)
        if limit is None:
            return None
        stamp = now.timestamp()
        window = self.windows.setdefault(key, deque())
        while window and window[0] <= stamp - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - stamp))
        window.append(stamp)
        return None
