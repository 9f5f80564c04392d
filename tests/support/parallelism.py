"""How many pytest-xdist workers ``-n auto`` (the default in pyproject's addopts) starts.

A worker costs a Python start-up, the plugins, the harness's imports and a full collection of
its own before it runs a test: about 2 s of CPU on the 2-core machines this project runs on.
The scenario suite in-process (about 100 tests, ~30 ms each) is done sooner than two workers
are ready, so a small run gets none; a large one (the full ``pytest``, or the scenarios over
loopback sockets, where each test serves both fakes) gets xdist's own choice, one per CPU.

The size is estimated before collection (xdist decides how many workers to start before any
test is collected): the test functions and support-case files under the paths pytest was
given, weighted by what a test of the chosen harness backend costs. docs/testing.md gives the
measurements behind :data:`SERIAL_BELOW` and :data:`BACKEND_WEIGHT`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from pathlib import Path

# Weighted tests below which the run stays in one process. Measured (docs/benchmarks.md):
# `pytest scenarios/` (102 tests) is ~1.8x faster without workers; over loopback (x10) it is
# faster with them. The full `pytest` (~1,650) is far above either side.
SERIAL_BELOW = 400
# A test of a served backend costs about ten in-process ones (two servers started and stopped).
BACKEND_WEIGHT = {"inprocess": 1, "thread": 10, "container": 10}
TEST_FUNCTION = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+test", re.MULTILINE)
SKIPPED_DIRS = {".git", ".venv", ".ci-venv", "node_modules", "__pycache__", "site", "build"}


def count_tests(
    paths: Iterable[Path],
    python_files: Iterable[str],
    is_case_file: Callable[[Path], bool],
) -> int:
    """Test functions in the Python test files under ``paths``, plus support-case files.

    A ``file::name`` argument counts as one test. Parametrized tests count once and ``-k`` is
    ignored: the estimate only has to tell a small run from a large one.
    """
    patterns = tuple(python_files)
    total = 0
    for given in paths:
        text = str(given)
        if "::" in text:
            total += 1
            continue
        path = Path(text)
        files = [path] if path.is_file() else _files_under(path)
        for file in files:
            if any(fnmatch.fnmatch(file.name, pattern) for pattern in patterns):
                total += len(TEST_FUNCTION.findall(file.read_bytes()))
            elif is_case_file(file):
                total += 1
    return total


def _files_under(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            if entry.name not in SKIPPED_DIRS and not entry.name.startswith("."):
                yield from _files_under(entry)
        else:
            yield entry


def auto_workers(tests: int, backend: str) -> int | None:
    """0 (no xdist) for a run too small to repay its workers' start-up; None otherwise, so
    xdist picks its own number (one per CPU)."""
    weighted = tests * BACKEND_WEIGHT.get(backend, max(BACKEND_WEIGHT.values()))
    return 0 if weighted < SERIAL_BELOW else None
