"""One measurement in a fresh process: ``python -m harness.bench.child '<json task>'``.

Prints one JSON object on stdout: the measurement, or ``{"error": ...}``. The parent reads the
child's peak RSS from ``os.wait4`` so tenants do not contaminate each other's figures.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

from harness.bench.progress import Progress


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    # werkzeug's dev server logs every request to stderr; a benchmark prints nothing extra.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    progress = Progress(task.get("progress") or "off", sys.stderr)
    kind = task["kind"]
    # Each measurement imports only its own modules: the child's peak RSS is the measurement's.
    if kind == "cycles":
        from harness.bench import cycles

        return cycles.run(
            int(task["users"]),
            served=bool(task["served"]),
            progress=progress,
            incremental=bool(task.get("incremental", True)),
            server=task.get("server"),
            raw_sequences=int(task.get("raw_sequences", 0)),
            in_process_beside=bool(task.get("in_process_beside", False)),
        )
    if kind == "raw":
        from harness.bench import raw

        return raw.run(int(task["users"]), int(task["sequences"]), progress)
    if kind == "graph":
        from harness.bench import graph_read

        return graph_read.run(int(task["users"]), progress)
    if kind == "replay":
        from harness.bench import replay

        return replay.run_task(task)
    if kind == "labs":
        from harness.bench import labs

        return labs.run(int(task["count"]))
    raise ValueError(f"unknown benchmark task {kind!r}")


def main(argv: list[str]) -> int:
    try:
        result = run_task(json.loads(argv[1]))
    except Exception as exc:  # reported in the benchmark report, not as a crash
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
