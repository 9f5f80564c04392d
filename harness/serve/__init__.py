"""``harness serve``: both fakes and the engine as real servers."""

from harness.serve.command import serve

__all__ = ["serve"]
