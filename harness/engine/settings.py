"""Engine settings: the behaviours the sources disagree on, each with a documented default.

Each field says where its default comes from: what Microsoft documents (with the page), what
was observed (a Microsoft engineer's answer, real logs), or our inference. docs/engine.md
describes every setting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from harness.clock import parse_duration

DIALECTS = ("default", "aadOptscim062020")
# Bounds that keep a mistaken setting from hanging a lab (a 1 ms interval would run billions of
# cycles per virtual month) or overflowing the clock. Not product rules.
MIN_CYCLE_INTERVAL = timedelta(minutes=1)
MAX_DURATION = timedelta(days=3650)
# Counts no lab comes near, that keep a cycle from retrying (or paging) without end.
MAX_COUNT = 1_000_000_000
MAX_THROTTLE_RETRIES = 1_000


def _duration(name: str, value: Any) -> timedelta:
    """A setting's duration, or ValueError naming the setting (also for absurdly large values)."""
    try:
        duration = parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    if duration > MAX_DURATION:
        raise ValueError(f"{name}: {value!r} is longer than {MAX_DURATION.days} days")
    return duration


# Quarantine retries. "documented": the first retry 6 h after the failure, the second 12 h and
# the third 24 h after the first failure, then every 24 h
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status):
# offsets from the series start. "observed": waits between attempts, 30m -> 1h -> 2h -> 4h -> 8h
# (a Microsoft engineer, https://learn.microsoft.com/en-us/answers/questions/1319983/azure-ad-scim-provisioning-application-quarantine),
# doubling up to a day.
QUARANTINE_BACKOFFS = {
    "documented": (timedelta(hours=6), timedelta(hours=12), timedelta(hours=24)),
    "observed": (
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
    ),
}
DAY = timedelta(hours=24)


@dataclass
class EngineSettings:
    # The Miro tutorial excludes users whose only role is Default Access ("not effectively
    # entitled", https://learn.microsoft.com/en-us/entra/identity/saas-apps/miro-provisioning-tutorial);
    # provisioning configurations created after 2020-04-16 evaluate them like any other role
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-no-users-provisioned).
    # Default follows the Miro tutorial.
    skip_default_access: bool = True
    # None = from BaseAddress (``?aadOptscim062020`` selects the RFC-compliant dialect,
    # https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility).
    patch_dialect: str | None = None
    # "approximately every 40 minutes"
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups);
    # not configurable in the product
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues).
    cycle_interval: str = "40m"
    # After an unassign-disable the user is no longer managed
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).
    unassign_releases_management: bool = True
    # Skipped entries for out-of-scope changes are expected
    # (https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs).
    # Initial cycles in "sync assigned" only evaluate assigned users (our inference),
    # incremental ones log every changed user.
    log_out_of_scope_changes: bool = True
    # Display name of the target system in log texts; None = the service principal's name.
    target_display_name: str | None = None
    # Per-cycle safety net (not a product rule): a cycle never follows more Graph pages than this.
    max_graph_pages: int = 100_000
    # Observed sources conflict on 429. "honour" = wait Retry-After within the cycle and retry
    # only the throttled request (a 2025 Microsoft Q&A answer,
    # https://learn.microsoft.com/en-us/answers/questions/2284725/understanding-scim-client-request-behavior-and-exp);
    # "escrow" = log TooManyRequests and retry on a later cycle (an older Azure feedback thread).
    throttle_policy: str = "honour"
    # How long the engine waits for the SCIM target to answer one request before it gives up
    # with a Timeout (retried on a later cycle). The product's value is undocumented.
    target_timeout: str = "30s"
    # In-cycle retries of one throttled request before it is escrowed; the first wait when a
    # 429 carries no Retry-After (doubled on each further retry).
    throttle_max_retries: int = 5
    throttle_default_wait: str = "1s"
    # Failed object operations are retried on later cycles, "gradually scaling back"
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works);
    # the schedule is undocumented. Retry n waits cycle_interval * 2**(n-1), capped here.
    escrow_retry_cap: str = "24h"
    # Quarantine retry schedule (QUARANTINE_BACKOFFS above): "documented" (6h, 12h, 24h after
    # the first failure, then every 24h) or "observed" (30m, 1h, 2h, 4h, 8h, ... up to a day).
    quarantine_backoff: str = "documented"
    # "If most, or all, of the calls made against the target system consistently fail" the job
    # is quarantined (the quarantine page); invalid credentials and SCIM-compliance answers
    # quarantine at once, but a transient failure (5xx, timeout, connection) of a whole cycle is
    # retried on the next cycle. How many such failures in a row make "consistently" is not
    # documented: 3 (two hours at the 40-minute rhythm) is our choice.
    quarantine_after_failed_cycles: int = 3
    # Quarantined for longer than this, the job is disabled (documented on the quarantine page).
    quarantine_disable_after: str = "28d"
    # Known issues: a group member out of scope when its group was provisioned is not added when
    # it comes into scope, and a manager out of scope when its report was provisioned is not
    # linked when it comes into scope, until provisioning is restarted
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues).
    # False: both are linked at once.
    late_references_wait_for_restart: bool = True
    # "Microsoft Entra ID currently can't perform filter queries on values containing special
    # characters", so an object with one in a matching (filter) attribute fails
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues).
    # Microsoft lists no set. Default: the characters that carry a meaning in a query string
    # (& # % ?) or end a SCIM filter string (" \). An empty string turns the known issue off.
    filter_special_characters: str = '"\\&#%?'
    # The escrow thresholds the quarantine page documents (settings so scenarios can trip them
    # with small tenants).
    escrow_min_failures: int = 5_000
    escrow_failure_ratio: float = 0.4
    escrow_total_failures: int = 40_000
    escrow_absolute_failures: int = 60_000

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.patch_dialect is not None and self.patch_dialect not in DIALECTS:
            raise ValueError(f"patch_dialect must be one of {DIALECTS} or null")
        interval = _duration("cycle_interval", self.cycle_interval)
        if interval < MIN_CYCLE_INTERVAL:
            raise ValueError("cycle_interval must be at least one minute")
        for name in (
            "skip_default_access",
            "unassign_releases_management",
            "log_out_of_scope_changes",
            "late_references_wait_for_restart",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a boolean")
        if not isinstance(self.filter_special_characters, str):
            raise ValueError("filter_special_characters must be a string of characters")
        if not isinstance(self.max_graph_pages, int) or not 1 <= self.max_graph_pages <= MAX_COUNT:
            raise ValueError(f"max_graph_pages must be an integer from 1 to {MAX_COUNT}")
        if self.throttle_policy not in ("honour", "escrow"):
            raise ValueError("throttle_policy must be 'honour' or 'escrow'")
        retries = self.throttle_max_retries
        if not isinstance(retries, int) or not 0 <= retries <= MAX_THROTTLE_RETRIES:
            raise ValueError(
                f"throttle_max_retries must be an integer from 0 to {MAX_THROTTLE_RETRIES}"
            )
        _duration("throttle_default_wait", self.throttle_default_wait)
        if (
            not timedelta(0)
            < _duration("target_timeout", self.target_timeout)
            <= timedelta(minutes=10)
        ):
            raise ValueError("target_timeout must be more than 0 and at most 10 minutes")
        if self.quarantine_backoff not in QUARANTINE_BACKOFFS:
            raise ValueError(f"quarantine_backoff must be one of {sorted(QUARANTINE_BACKOFFS)}")
        failed = self.quarantine_after_failed_cycles
        if not isinstance(failed, int) or isinstance(failed, bool) or not 1 <= failed <= MAX_COUNT:
            raise ValueError(
                f"quarantine_after_failed_cycles must be an integer from 1 to {MAX_COUNT}"
            )
        for name in ("escrow_retry_cap", "quarantine_disable_after"):
            _duration(name, getattr(self, name))
        for name in ("escrow_min_failures", "escrow_total_failures", "escrow_absolute_failures"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
                raise ValueError(f"{name} must be an integer from 0 to {MAX_COUNT}")
        ratio = self.escrow_failure_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            raise ValueError("escrow_failure_ratio must be a number from 0 to 1")

    def next_quarantine_attempt(
        self, series_began: datetime, now: datetime, series_count: int
    ) -> datetime:
        """When a quarantined job tries again, after attempt ``series_count`` (1 = the failure
        that began the series) ended at ``now``. Never later than ``quarantine_disable_after``
        from the series start: the retries go on "for 28 days after the first failure"."""
        if self.quarantine_backoff == "documented":
            elapsed = now - series_began
            offset = next((o for o in QUARANTINE_BACKOFFS["documented"] if o > elapsed), None)
            if offset is None:  # every 24 h after the third retry
                offset = DAY * (elapsed // DAY + 1)
            attempt = series_began + offset
        else:
            attempt = now + self.observed_quarantine_wait(series_count)
        last = series_began + parse_duration(self.quarantine_disable_after)
        return min(attempt, max(last, now))

    def observed_quarantine_wait(self, series_count: int) -> timedelta:
        """The "observed" back-off: the wait after attempt ``series_count``."""
        steps = QUARANTINE_BACKOFFS["observed"]
        if series_count - 1 < len(steps):
            return steps[series_count - 1]
        # Capped exponent: past 2**10 the wait is far over a day anyway, and 2**n overflows.
        return min(steps[-1] * 2 ** min(series_count - len(steps), 10), DAY)

    def escrow_wait(self, attempts: int) -> timedelta:
        cap = parse_duration(self.escrow_retry_cap)
        wait = self.interval
        # Doubling stops at the cap: 2**attempts itself would overflow timedelta after weeks.
        for _ in range(max(attempts - 1, 0)):
            if wait >= cap:
                break
            wait *= 2
        return min(wait, cap)

    @property
    def target_timeout_seconds(self) -> float:
        return parse_duration(self.target_timeout).total_seconds()

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
            raise ValueError(
                f"unknown engine setting(s): {', '.join(unknown)}; known: {sorted(known)}"
            )
        merged = {**asdict(self), **changes}
        try:
            return EngineSettings(**merged)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc
