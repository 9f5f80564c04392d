"""Lab creation time: scenarios build one lab per test."""

from __future__ import annotations

import statistics
import time
from typing import Any

from harness.lab.local import Lab


def run(count: int) -> dict[str, Any]:
    began = time.perf_counter()
    Lab(0).close()
    first = time.perf_counter() - began
    times: list[float] = []
    for i in range(count):
        began = time.perf_counter()
        lab = Lab(i)
        times.append(time.perf_counter() - began)
        lab.close()
    times.sort()
    return {
        "first_ms": round(first * 1000, 2),
        "labs": count,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))] * 1000, 2),
        "mean_ms": round(statistics.fmean(times) * 1000, 2),
    }
