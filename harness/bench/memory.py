"""Resident memory of this process (Linux ``/proc``; ``None`` elsewhere)."""

from __future__ import annotations

import os


def current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
