"""Progress of long benchmark steps (count, total, rate) on stderr.

On a terminal, one line redrawn in place. Otherwise (a CI log, a file, a pipe) plain lines that
never redraw: one when a step begins, one every ``LINE_SECONDS`` while it runs, one when it
ends, so a long run is never silent for minutes. A small hand-written display rather than a new
dependency (tqdm/rich): the benchmark needs counts and a rate, nothing more.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REFRESH_SECONDS = 0.2  # terminal redraws
LINE_SECONDS = 15.0  # plain lines while a step runs
MODES = ("terminal", "lines", "off")


def mode_for(stream: TextIO | None = None) -> str:
    """``terminal`` when the stream is one, else ``lines``."""
    stream = stream or sys.stderr
    return "terminal" if getattr(stream, "isatty", lambda: False)() else "lines"


class Progress:
    """``label  done/total  rate/s``: redrawn in place on a terminal, plain lines elsewhere."""

    def __init__(self, mode: str | bool = "off", stream: TextIO | None = None) -> None:
        if isinstance(mode, bool):  # the older on/off form: on meant a terminal
            mode = "terminal" if mode else "off"
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.stream = stream or sys.stderr
        self.label = ""
        self.total = 0
        self.done = 0
        self._started = 0.0
        self._drawn = 0.0

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    @classmethod
    def for_terminal(cls, stream: TextIO | None = None) -> Progress:
        """Redrawn on a terminal, plain lines anywhere else."""
        stream = stream or sys.stderr
        return cls(mode_for(stream), stream)

    def note(self, text: str) -> None:
        """A line of its own (a measurement starts), in either mode."""
        if self.enabled:
            self.stream.write(text + "\n")
            self.stream.flush()

    def begin(self, label: str, total: int = 0) -> None:
        self.label, self.total, self.done = label, total, 0
        self._started = self._drawn = time.monotonic()
        if self.mode == "terminal":
            self._draw()
        elif self.mode == "lines":
            self._line(f"{label} ..." + (f" ({total:,} to do)" if total else ""))

    def add(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        wait = REFRESH_SECONDS if self.mode == "terminal" else LINE_SECONDS
        if time.monotonic() - self._drawn >= wait:
            if self.mode == "terminal":
                self._draw()
            else:
                self._drawn = time.monotonic()
                self._line(self._status())

    def end(self) -> None:
        if self.mode == "terminal":
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
        elif self.mode == "lines":
            self._line(self._status() + "  done")

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            total = max(self.total, self.done)  # totals are estimates for cycles
            count = f"{self.done:,}/{total:,}"
        else:
            count = f"{self.done:,}"
        return f"{self.label}: {count}  {rate:,.0f}/s  {elapsed:,.1f}s"

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        now = time.monotonic()
        self._drawn = now
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            total = max(self.total, self.done)
            filled = int(self.done / total * 20)
            bar = "#" * filled + "." * (20 - filled)
            count = f"[{bar}] {self.done:,}/{total:,}"
        else:
            count = f"{self.done:,}"
        line = f"{self.label}  {count}  {rate:,.0f}/s  {elapsed:,.1f}s"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
