"""What Entra does in production with a failure, from the engine's own classification of the
answer (``harness.engine.errors``): the error code it logs, and whether it escrows the object and
retries it, quarantines the job, or skips the object.

Sources: "Application provisioning in quarantine status"
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status)
and "How application provisioning works"
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).
"""

from __future__ import annotations

from harness.engine.errors import ErrorInfo

__all__ = ["ESCROW", "QUARANTINE", "for_error"]

ESCROW = (
    "escrows it: it is retried in later cycles, waiting longer each time, and the job goes "
    "into quarantine if failures like this reach the escrow thresholds"
)
QUARANTINE = (
    "puts the job in quarantine at once: nothing is provisioned until a retry succeeds "
    "(after 6 h, 12 h, then every 24 h; the job is disabled after four weeks)"
)


def for_error(info: ErrorInfo, what: str) -> str:
    """One sentence: the code Entra logs for ``what`` (e.g. "user") and what follows."""
    if info.quarantine:
        follows = QUARANTINE
    elif info.retryable:
        follows = ESCROW
    else:
        follows = "skips it"
    return f"Entra logs {info.code} for the {what} and {follows}."
