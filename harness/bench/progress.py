"""A one-line progress display (count, total, rate) for long benchmark steps.

Written to stderr only when stderr is a terminal: piped or captured output gets nothing extra.
A small hand-written line rather than a new dependency (tqdm/rich): the benchmark needs counts and
a rate, nothing more.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REFRESH_SECONDS = 0.2


class Progress:
    """``label  done/total  rate/s``, redrawn in place at most every ``REFRESH_SECONDS``."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.label = ""
        self.total = 0
        self.done = 0
        self._started = 0.0
        self._drawn = 0.0

    @classmethod
    def for_terminal(cls, stream: TextIO | None = None) -> Progress:
        stream = stream or sys.stderr
        return cls(bool(getattr(stream, "isatty", lambda: False)()), stream)

    def begin(self, label: str, total: int = 0) -> None:
        self.label, self.total, self.done = label, total, 0
        self._started = self._drawn = time.monotonic()
        self._draw(force=True)

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.enabled and time.monotonic() - self._drawn >= REFRESH_SECONDS:
            self._draw()

    def end(self) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        self._drawn = now
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            total = max(self.total, self.done)  # totals are estimates for cycles
            filled = int(self.done / total * 20)
            bar = "#" * filled + "." * (20 - filled)
            count = f"[{bar}] {self.done:,}/{total:,}"
        else:
            count = f"{self.done:,}"
        line = f"{self.label}  {count}  {rate:,.0f}/s  {elapsed:,.1f}s"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
