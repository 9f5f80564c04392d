"""The request journal: every request and response a fake answered, in arrival order.

Bodies are kept as the bytes on the wire and decoded only when the journal is read: a Graph
delta page holds hundreds of users, and decoding every page as it is answered kept the directory
a second time in memory (and cost ~15 % of a delta round's CPU). Each fake decides what an
entry holds; the journal only stores entries, bounds them and decodes their bodies."""

from __future__ import annotations

import json
import threading
import zlib
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Bodies larger than this are kept zlib-compressed: the journal's limit counts entries, and a
# few hundred delta pages are a whole directory (~8x smaller compressed, ~3 us per user).
COMPRESS_ABOVE = 4096


@dataclass(frozen=True, slots=True)
class RawBody:
    """A body as sent, decoded on read: JSON when the content type says so, text otherwise."""

    data: bytes
    content_type: str | None
    compressed: bool = False

    @classmethod
    def keep(cls, data: bytes, content_type: str | None) -> RawBody:
        if len(data) > COMPRESS_ABOVE:
            return cls(zlib.compress(data, 1), content_type, True)
        return cls(data, content_type)

    def decode(self) -> Any:
        return decode_body(
            zlib.decompress(self.data) if self.compressed else self.data, self.content_type
        )


def decode_body(raw: bytes, content_type: str | None) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    if content_type and "json" in content_type:
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return text
    return text


_CONTENT_KEYS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


@lru_cache(maxsize=1024)
def _header_name(environ_key: str) -> str | None:
    """The header name werkzeug's ``EnvironHeaders`` gives an environ key, or None."""
    if environ_key.startswith("HTTP_") and environ_key not in (
        "HTTP_CONTENT_TYPE",
        "HTTP_CONTENT_LENGTH",
    ):
        return environ_key[5:].replace("_", "-").title()
    if environ_key in _CONTENT_KEYS:
        return environ_key.replace("_", "-").title()
    return None


def request_headers(environ: Mapping[str, Any], leave_out: Collection[str] = ()) -> dict[str, str]:
    """``{name: value for name, value in request.headers.items() if name not in leave_out}``
    for the request of ``environ``, in the same order, without building werkzeug's header view
    and spelling every name again per request (a fifth of a journal entry's cost)."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        name = _header_name(key)
        # CONTENT_TYPE and CONTENT_LENGTH are headers only when not empty (as in werkzeug).
        if name is None or name in leave_out or (not value and key in _CONTENT_KEYS):
            continue
        headers[name] = value
    return headers


class Journal:
    """Entries (dicts) oldest first; ``limit`` keeps only the latest N (None keeps all)."""

    def __init__(self, limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    @property
    def limit(self) -> int | None:
        return self._entries.maxlen

    @limit.setter
    def limit(self, value: int | None) -> None:
        with self._lock:
            if value != self._entries.maxlen:
                self._entries = deque(self._entries, maxlen=value)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """The entries, oldest first, with their bodies decoded."""
        with self._lock:
            stored = list(self._entries)
        return [_decoded(entry) for entry in stored]

    def stored(self) -> list[dict[str, Any]]:
        """The entries as kept, bodies still :class:`RawBody` (to check what memory holds)."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> int:
        """Forget every entry; how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _decoded(entry: dict[str, Any]) -> dict[str, Any]:
    if not any(isinstance(value, RawBody) for value in entry.values()):
        return entry
    return {
        key: value.decode() if isinstance(value, RawBody) else value for key, value in entry.items()
    }
