"""How a check ends when it does not pass: failed (with what Entra does about it) or skipped."""

from __future__ import annotations

from harness.engine.errors import ErrorInfo

__all__ = ["CheckFailed", "CheckSkipped"]


class CheckFailed(Exception):
    """The endpoint did not do what the check expects."""

    def __init__(
        self, actual: str, *, production: str | None = None, info: ErrorInfo | None = None
    ) -> None:
        super().__init__(actual)
        self.actual = actual
        self.production = production
        self.info = info
        self.limitation = False  # a refusal an app may document (Miro's teams)


class CheckSkipped(Exception):
    """The check cannot run here (an attribute the schema does not map, a check it needs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
