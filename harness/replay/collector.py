"""Fewer runs of Python's cyclic garbage collector while a replay or an import runs.

Both allocate hundreds of thousands of short-lived containers per 25,000 records (request and
response dicts, normalised steps) and keep a growing heap (the fakes' objects, the decisions).
With the default thresholds (700, 10, 10) the collector ran about 4,000 young collections per
25,000-record replay, and at 250,000 records some fifteen full collections, each reading the
whole heap again (1 to 3 s apiece). At ``YOUNG_THRESHOLD`` young collections are a few hundred;
at ``OLDEST_THRESHOLD`` a full collection waits for a hundred middle ones instead of ten, one or
two per replay. Nothing the code computes changes: only how often the collector looks for
reference cycles (the replay's own requests leave few since ``HarnessClient`` unties responses).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

YOUNG_THRESHOLD = 10_000  # the figure the pytest plugin uses for lab runs
OLDEST_THRESHOLD = 100

P = ParamSpec("P")
R = TypeVar("R")


def fewer_collections(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the young generation's threshold at least ``YOUNG_THRESHOLD`` and
    the oldest's at least ``OLDEST_THRESHOLD``, then put the thresholds back as they were."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        young, middle, oldest = thresholds = gc.get_threshold()
        gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, max(oldest, OLDEST_THRESHOLD))
        try:
            return function(*args, **kwargs)
        finally:
            gc.set_threshold(*thresholds)

    return wrapper
