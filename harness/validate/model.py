"""What a check is, and what running it gave.

Labels: **mandatory** checks test a request Entra's provisioning engine sends in production and
cannot do without (a failure fails users or groups, or quarantines the job); **optional** ones
test what Entra meets only in edge cases or never sends, as Microsoft's validator marks its
optional and preview tests. The basis says whose rule the expectation is: **RFC 7643/7644**, or
**Entra behaviour** where Entra's client relies on something the RFCs do not require (string
booleans and capitalised ``op`` in the default PATCH dialect, ``Remove`` of members with a value
list, a path-less ``replace`` keyed by attribute paths, Microsoft's group schema URN).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.engine import rules
from harness.validate.exchanges import Exchange
from harness.validate.verdicts import CheckFailed, CheckSkipped

if TYPE_CHECKING:
    from harness.validate.session import Session

__all__ = [
    "ENTRA",
    "FAILED",
    "PASSED",
    "RFC",
    "SKIPPED",
    "Check",
    "CheckFailed",
    "CheckSkipped",
    "Result",
]

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
RFC, ENTRA = "RFC 7643/7644", "Entra behaviour"


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    resource: str  # Users, Groups or Discovery
    mandatory: bool
    expected: str
    reference: str  # the RFC section or the Microsoft Learn page behind the expectation
    run: Callable[[Session], str]  # returns what was seen; raises CheckFailed / CheckSkipped
    entra: bool = False  # an Entra behaviour in both dialects
    patch: bool = False  # sends Entra's PATCH: an Entra behaviour in the default dialect
    entra_with_flag: bool = False  # an Entra behaviour with aadOptscim062020 only

    def basis(self, dialect: str) -> str:
        default = dialect == rules.scim_payloads.DEFAULT
        if self.entra or (self.patch and default) or (self.entra_with_flag and not default):
            return ENTRA
        return RFC

    @property
    def level(self) -> str:
        return "mandatory" if self.mandatory else "optional"


@dataclass
class Result:
    check: Check
    status: str
    basis: str
    actual: str = ""
    reason: str = ""  # why skipped
    production: str = ""  # what Entra does with this in production (failures)
    error_code: str | None = None
    limitation: bool = False
    exchanges: list[Exchange] = field(default_factory=list)
    elapsed_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        check = self.check
        return {
            "id": check.id,
            "name": check.name,
            "resource": check.resource,
            "level": check.level,
            "basis": self.basis,
            "reference": check.reference,
            "status": self.status,
            "expected": check.expected,
            "actual": self.actual,
            "reason": self.reason,
            "production": self.production,
            "errorCode": self.error_code,
            "limitation": self.limitation,
            "elapsedMs": round(self.elapsed_ms, 1),
            "requests": [e.to_json() for e in self.exchanges],
        }
