"""``harness serve``: both fakes and the engine as real servers."""

from harness.serve.command import serve
from harness.serve.demo import seed_demo
from harness.serve.served import ServeConfig, ServedHarness

__all__ = ["ServeConfig", "ServedHarness", "seed_demo", "serve"]
