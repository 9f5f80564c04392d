"""Run a measurement in a fresh child process and read its peak RSS from the kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _max_rss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return round(ru_maxrss * scale / 2**20, 1)


def run_child(task: dict[str, Any]) -> dict[str, Any]:
    """The child's result, plus ``peak_rss_mb`` and ``process_wall_s``."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.bench.child", json.dumps(task)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - began
    lines = [line for line in out.splitlines() if line.strip()]
    try:
        result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {"error": f"unreadable child output: {out[-500:]!r}"}
    if proc.returncode != 0 and "error" not in result:
        result["error"] = f"child exited with {proc.returncode}"
    result["peak_rss_mb"] = _max_rss_mb(usage.ru_maxrss)
    result["process_wall_s"] = round(wall, 2)
    return result
