"""``harness bench``: performance measurements of the fakes, the engine and the lab
(docs/benchmarks.md).

Each big measurement runs in a fresh child process (``harness.bench.child``) so its peak RSS is
its own; the command gathers them into one JSON report and a readable table.
"""

from harness.bench.command import bench

__all__ = ["bench"]
