"""Miro's per-endpoint SCIM rate limits, as a sliding-window counter (state only, no Flask)."""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime

# A group PATCH with a body over this many bytes counts as "large" (5 per window, not 100).
GROUP_PATCH_LARGE_BYTES = 500

# Miro's SCIM limits per organisation and 30-second window
# (https://developers.miro.com/docs/scim-rate-limits).
WINDOW_SECONDS = 30
RATE_LIMITS: dict[str, int] = {
    "GET /Users": 200,
    "GET /Users/{id}": 200,
    "POST /Users": 200,
    "PUT /Users/{id}": 100,
    "PATCH /Users/{id}": 100,
    "DELETE /Users/{id}": 20,
    "GET /Groups": 5,
    "GET /Groups/{id}": 20,
    "PATCH /Groups/{id} large": 5,  # body over 500 bytes
    "PATCH /Groups/{id} small": 100,
}


class RateLimiter:
    """Sliding 30-second windows per endpoint, on the fake's clock."""

    def __init__(self) -> None:
        self.windows: dict[str, deque[float]] = {}

    def reset(self) -> None:
        self.windows.clear()

    def hit(self, key: str, now: datetime) -> int | None:
        """Count a request; the Retry-After seconds if it is over the limit, else None."""
        limit = RATE_LIMITS.get(key)
        if limit is None:
            return None
        stamp = now.timestamp()
        window = self.windows.setdefault(key, deque())
        while window and window[0] <= stamp - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - stamp))
        window.append(stamp)
        return None
