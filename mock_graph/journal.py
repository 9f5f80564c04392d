"""The request journal: every request and response the fake answered, in arrival order."""

from __future__ import annotations

import threading
from typing import Any


class Journal:
    def __init__(self, limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self.limit = limit

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)
            if self.limit is not None and len(self._entries) > self.limit:
                del self._entries[: len(self._entries) - self.limit]

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
