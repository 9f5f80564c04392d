"""Issue 9's performance targets, checked against a report's measurements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TARGET_USERS = 10_000  # the targets are stated for a 10,000-user tenant (and 10x that)
GROWTH_FLOOR_S = 0.02  # below this, an incremental cycle's time is timer noise


@dataclass(frozen=True)
class Target:
    key: str
    text: str
    unit: str
    limit: float
    at_most: bool  # True: value <= limit; False: value >= limit
    read: Callable[[dict[str, Any]], float | None]

    def check(self, report: dict[str, Any]) -> dict[str, Any]:
        try:
            value = self.read(report)
        except (KeyError, TypeError, ZeroDivisionError):
            value = None
        met = (
            None
            if value is None
            else (value <= self.limit if self.at_most else value >= self.limit)
        )
        return {
            "key": self.key,
            "target": self.text,
            "value": value,
            "limit": self.limit,
            "unit": self.unit,
            "met": met,
        }


def _cycle(report: dict[str, Any], role: str, phase: str) -> float | None:
    run = report["cycles"].get(role)
    if run is None or "error" in run:
        return None
    return float(run[phase]["wall_s"])


def _growth(report: dict[str, Any]) -> float | None:
    small, large = (
        _cycle(report, "small", "incremental_0"),
        _cycle(report, "large", "incremental_0"),
    )
    if small is None or large is None:
        return None
    return round(max(large, GROWTH_FLOOR_S) / max(small, GROWTH_FLOOR_S), 2)


def _xl_rss(report: dict[str, Any]) -> float | None:
    run = report["cycles"].get("xl")
    return None if run is None or "error" in run else float(run["peak_rss_mb"])


TARGETS = (
    Target(
        "initial_in_process",
        "initial cycle, base tenant, in-process <= 15 s",
        "s",
        15,
        True,
        lambda r: _cycle(r, "base", "initial"),
    ),
    Target(
        "initial_loopback",
        "initial cycle, base tenant, over loopback <= 30 s",
        "s",
        30,
        True,
        lambda r: _cycle(r, "loopback", "initial"),
    ),
    Target(
        "incremental_0",
        "incremental cycle, 0 changes, base tenant <= 0.5 s",
        "s",
        0.5,
        True,
        lambda r: _cycle(r, "base", "incremental_0"),
    ),
    Target(
        "incremental_0_growth",
        "incremental cycle, 0 changes, not growing: large / small tenant <= 2x",
        "x",
        2,
        True,
        _growth,
    ),
    Target(
        "miro_vs_scim2_server",
        "Miro fake >= 1.5x scim2-server req/s",
        "x",
        1.5,
        False,
        lambda r: r["raw"]["miro_vs_scim2_server"],
    ),
    Target(
        "miro_vs_bare_flask",
        "Miro fake >= 50 % of the bare-Flask ceiling",
        "x",
        0.5,
        False,
        lambda r: r["raw"]["miro_vs_bare_flask"],
    ),
    Target(
        "initial_xl",
        "initial cycle, 10x tenant, in-process <= 180 s",
        "s",
        180,
        True,
        lambda r: _cycle(r, "xl", "initial"),
    ),
    Target("xl_peak_rss", "peak RSS, 10x tenant <= 1.5 GB", "MB", 1536, True, _xl_rss),
    Target(
        "lab_creation",
        "lab creation (median) <= 20 ms",
        "ms",
        20,
        True,
        lambda r: r["labs"]["median_ms"],
    ),
)


def check_all(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [target.check(report) for target in TARGETS]
