"""The main job: the scenario suite's wall time as the README runs it (``pytest scenarios/``,
the project's default options), and with ``-n 0`` / ``-n 2`` for comparison; its collection
time; and the mean cost of one scenario (setup, call and teardown, from pytest's JUnit XML)."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.bench.process import ROOT

_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")
_COLLECTED = re.compile(r"(\d+) tests? collected in ([\d.]+)s")
QUIET = ["-q", "-p", "no:cacheprovider"]


def _pytest(args: list[str], timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    command = [sys.executable, "-m", "pytest", *args]
    began = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - began


def label(workers: int | None) -> str:
    return "default options" if workers is None else f"-n {workers}"


def run(path: str, workers: int | None, timeout: float = 3600) -> dict[str, Any]:
    """``workers`` None: the command exactly as the README gives it (pyproject's addopts decide
    on xdist); a number: ``-n N``."""
    extra = [] if workers is None else ["-n", str(workers)]
    with tempfile.TemporaryDirectory(prefix="harness-bench-suite-") as folder:
        junit = Path(folder) / "junit.xml"
        try:
            proc, wall = _pytest([path, *extra, *QUIET, f"--junitxml={junit}"], timeout)
        except subprocess.TimeoutExpired:
            return {"workers": workers, "error": f"timed out after {timeout:.0f}s"}
        per_test = _test_seconds(junit)
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    outcomes = {
        name.rstrip("s") if name.startswith("error") else name: int(n)
        for n, name in _OUTCOME.findall(tail)
    }
    out: dict[str, Any] = {
        "workers": workers,
        "label": label(workers),
        "command": " ".join(["pytest", path, *extra]),
        "wall_s": round(wall, 2),
        "exit_code": proc.returncode,
        "outcomes": outcomes,
        "summary": tail,
        "tests_timed": len(per_test),
        # Setup + call + teardown of each test (pytest's JUnit times), averaged.
        "test_mean_ms": round(statistics.fmean(per_test) * 1000, 1) if per_test else None,
    }
    if proc.returncode not in (0, 5):  # 5: no tests collected
        out["error"] = f"pytest exited with {proc.returncode}: {tail}"
    return out


def collect(path: str, timeout: float = 600) -> dict[str, Any]:
    """``pytest PATH --collect-only``: the whole command's wall time, and the collection time
    pytest itself reports (imports of the test modules and the harness included)."""
    try:
        proc, wall = _pytest([path, "--collect-only", *QUIET], timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    found = _COLLECTED.search(proc.stdout)
    if proc.returncode != 0 or found is None:
        tail = (proc.stdout.strip().splitlines() or [""])[-1]
        return {"error": f"pytest --collect-only exited with {proc.returncode}: {tail}"}
    return {
        "tests": int(found.group(1)),
        "collection_s": float(found.group(2)),
        "command_wall_s": round(wall, 2),
    }


def _test_seconds(junit: Path) -> list[float]:
    if not junit.exists():
        return []
    return [float(case.get("time", 0)) for case in ET.parse(junit).getroot().iter("testcase")]
