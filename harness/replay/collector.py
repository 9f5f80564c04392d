"""A larger young generation for Python's cyclic garbage collector while a replay or an import runs.

Both allocate hundreds of thousands of short-lived containers per 25,000 records (log entries,
request and response dicts, normalised steps). With the default threshold (700) the collector
runs about 4,000 young collections per 25,000-record replay, a tenth of its CPU; at 10,000 (the
figure the pytest plugin uses for lab runs) it runs a few hundred. Nothing the code computes
changes: only how often the collector looks for reference cycles.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

YOUNG_THRESHOLD = 10_000

P = ParamSpec("P")
R = TypeVar("R")


def larger_young_generation(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the young generation's threshold at least ``YOUNG_THRESHOLD``,
    then put the thresholds back as they were."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
        try:
            return function(*args, **kwargs)
        finally:
            gc.set_threshold(*thresholds)

    return wrapper
