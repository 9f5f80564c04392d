"""Time for a lab: one clock shared by both fakes and the engine.

Virtual by default: nothing happens on its own, and time moves only when told to. The fakes take
any ``Callable[[], datetime]`` (they never import the harness); pass ``clock.now``.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# A fixed, recognisable start so that seeded runs give identical timestamps.
EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


def parse_duration(text: str | int | float) -> timedelta:
    """``"40m"``, ``"1d"``, ``"1h30m"``, ``"0"``, or a number of seconds, as a timedelta.

    ISO 8601 durations (``PT40M``, ``P1D``) are accepted too, as Graph writes them. Anything
    else, including a duration longer than a timedelta holds, is a ValueError.
    """
    try:
        return _parse_duration(text)
    except OverflowError as exc:
        raise ValueError(f"duration too large: {text!r}") from exc


def _parse_duration(text: str | int | float) -> timedelta:
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"duration must not be negative: {text}")
        return timedelta(seconds=text)
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string like '40m' or a number, not {text!r}")
    raw = text.strip()
    if raw.upper().startswith("P"):
        return _parse_iso_duration(raw)
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return timedelta(seconds=float(raw))
    pos, seconds = 0, 0.0
    for match in _DURATION.finditer(raw):
        if raw[pos : match.start()].strip():
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if pos == 0 or raw[pos:].strip():
        raise ValueError(
            f"not a duration: {text!r} (use e.g. '40m', '1h30m', '1d', '30s', 'PT40M')"
        )
    return timedelta(seconds=seconds)


def _parse_iso_duration(raw: str) -> timedelta:
    match = re.fullmatch(
        r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?",
        raw.upper(),
    )
    if not match or raw.upper() in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {raw!r}")
    weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """ISO 8601 form, as Graph writes intervals (``PT40M``)."""
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if v)
    out = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0S"


class VirtualClock:
    """A clock that moves only when advanced. Thread-safe."""

    def __init__(self, start: datetime = EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start must be timezone-aware")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            if when < self._now:
                raise ValueError("a clock does not go backwards")
            self._now = when

    def advance(self, by: timedelta | str | int | float) -> datetime:
        delta = by if isinstance(by, timedelta) else parse_duration(by)
        if delta < timedelta(0):
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += delta
            return self._now
