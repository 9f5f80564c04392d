"""``python -m harness.bench``: the same command as ``harness bench``."""

from harness.bench import bench

bench(prog_name="harness bench")
