"""Engine settings: the behaviours the sources disagree on, each with a documented default.

The reference (``entra-provisioning.md``) is cited per field; ``[D]`` documented, ``[O]``
observed, ``[I]`` inferred.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any

from harness.clock import parse_duration

DIALECTS = ("default", "aadOptscim062020")


@dataclass
class EngineSettings:
    # §2.3: the Miro tutorial excludes users whose only role is Default Access ("not effectively
    # entitled"); provisioning configurations created after 2020-04-16 evaluate them like any
    # other role. Default follows the Miro tutorial.
    skip_default_access: bool = True
    # §3.10: None = from BaseAddress (``?aadOptscim062020`` selects the RFC-compliant dialect).
    patch_dialect: str | None = None
    # §1.4: "approximately every 40 minutes"; not configurable in the product.
    cycle_interval: str = "40m"
    # §3.5 [D][HPW]: after an unassign-disable the user is no longer managed.
    unassign_releases_management: bool = True
    # §1.3 [D][TIME][ANALYZE]: skipped entries for out-of-scope changes are expected. Initial
    # cycles in "sync assigned" only evaluate assigned users (§1.2 [I]), incremental ones log
    # every changed user.
    log_out_of_scope_changes: bool = True
    # Display name of the target system in log texts; None = the service principal's name.
    target_display_name: str | None = None
    # Per-cycle safety net (not a product rule): a cycle never follows more Graph pages than this.
    max_graph_pages: int = 100_000

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.patch_dialect is not None and self.patch_dialect not in DIALECTS:
            raise ValueError(f"patch_dialect must be one of {DIALECTS} or null")
        try:
            interval = parse_duration(self.cycle_interval)
        except ValueError as exc:
            raise ValueError(f"cycle_interval: {exc}") from exc
        if interval <= timedelta(0):
            raise ValueError("cycle_interval must be positive")
        for name in ("skip_default_access", "unassign_releases_management", "log_out_of_scope_changes"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a boolean")
        if not isinstance(self.max_graph_pages, int) or self.max_graph_pages < 1:
            raise ValueError("max_graph_pages must be a positive integer")

    @property
    def interval(self) -> timedelta:
        return parse_duration(self.cycle_interval)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> EngineSettings:
        """A copy with ``changes`` applied; unknown names and bad values raise ValueError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown engine setting(s): {', '.join(unknown)}; known: {sorted(known)}")
        merged = {**asdict(self), **changes}
        try:
            return EngineSettings(**merged)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc
