"""``python -m harness.serve``: the same command as ``harness serve``."""

from harness.serve.command import serve

serve(prog_name="harness serve")
