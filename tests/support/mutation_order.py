"""A pytest plugin for mutation runs only (``-p tests.support.mutation_order`` in ``[tool.mutmut]``
of pyproject.toml; docs/testing.md, "Mutation testing").

- It runs the selected tests fastest first, by the durations mutmut recorded in its stats run.
  mutmut stops a mutant's run at the first failure (``-x``), so a mutant a quick example test
  notices is killed before the slow property and model-based tests start; in mutmut's own order
  (a set) a 20-second model-based test often ran first. The same tests run.
- It loads the hypothesis profile ``mutation``: derandomised, so every run tries the same
  examples and gives the same verdicts (the table in docs/testing.md can be reproduced), and
  without the shrink phase: a failing example already kills the mutant, and shrinking it to the
  smallest one only costs time (a mutant's time limit is counted in its tests' durations).
  Settings a test gives itself still apply, but a property test's example count, given as
  ``examples(n)`` (tests/support/examples.py), is capped to ``MUTATION_EXAMPLES``: every
  surviving mutant runs every property test that reaches it, and at their full counts those
  tests were two thirds of a whole run (docs/testing.md). ``MUTATION_MAX_EXAMPLES=0`` in the
  environment keeps the full counts.
- At the start of every mutant's session it empties the ``functools`` caches of the mutated
  packages: mutmut forks each mutant's run from a process that has already run every test once
  (its stats run), so a cache such as ``parse_expression``'s held the original parser's results
  and a mutant of the parser was never called for an expression a test had parsed before.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from tests.support.examples import MUTATION_MAX_EXAMPLES

# mutmut runs pytest inside mutants/, where it keeps the stats (a test's duration in seconds).
STATS = Path("mutmut-stats.json")

_cache: dict[tuple[int, int], dict[str, float]] = {}


def _durations() -> dict[str, float]:
    try:
        stat = STATS.stat()
    except OSError:
        return {}
    key = (stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        try:
            durations = json.loads(STATS.read_text("utf-8"))["duration_by_test"]
        except (OSError, ValueError, KeyError):
            durations = {}
        _cache.clear()
        _cache[key] = durations
    return _cache[key]


MUTATION_PROFILE = "mutation"
MUTATION_EXAMPLES = 25
settings.register_profile(
    MUTATION_PROFILE,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile(MUTATION_PROFILE)
    # Before collection imports the test modules, whose decorators read it.
    os.environ.setdefault(MUTATION_MAX_EXAMPLES, str(MUTATION_EXAMPLES))


# The packages mutmut mutates ([tool.mutmut] only_mutate in pyproject.toml).
MUTATED_PACKAGES = ("harness.engine.rules", "mock_miro", "mock_graph")


def pytest_sessionstart(session: pytest.Session) -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith(MUTATED_PACKAGES):
            for value in list(vars(module).values()):
                # functools.cache / lru_cache wrappers; asked of the type, as a module may hold
                # a proxy (Flask's current_app) that fails any attribute look-up of its own.
                if callable(getattr(type(value), "cache_clear", None)):
                    value.cache_clear()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    durations = _durations()
    if durations:
        # Stable: tests of equal (or unknown, i.e. new) duration keep pytest's order.
        items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
