"""Wall time of the scenario suite with 0 (no xdist), 1 and 2 workers (``pytest -n N``)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

from harness.bench.process import ROOT

_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


def run(path: str, workers: int, timeout: float = 3600) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        path,
        "-n",
        str(workers),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    began = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"workers": workers, "error": f"timed out after {timeout:.0f}s"}
    wall = time.perf_counter() - began
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    outcomes = {
        name.rstrip("s") if name.startswith("error") else name: int(n)
        for n, name in _OUTCOME.findall(tail)
    }
    out: dict[str, Any] = {
        "workers": workers,
        "wall_s": round(wall, 2),
        "exit_code": proc.returncode,
        "outcomes": outcomes,
        "summary": tail,
    }
    if proc.returncode not in (0, 5):  # 5: no tests collected
        out["error"] = f"pytest exited with {proc.returncode}: {tail}"
    return out
