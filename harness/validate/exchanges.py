"""Every request the validator sends and the answer it got, recorded at the transport, so the
reports show exactly what went over the wire (the bearer token masked)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Exchange", "RecordingTransport"]

_MASKED = "Bearer ***"


def _decode(content: bytes) -> Any:
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text[:2000]


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: Any = None
    elapsed_ms: float = 0.0
    error: str | None = None

    @property
    def line(self) -> str:
        """``PATCH /Users/42 → 204`` (the path and query relative to the host)."""
        url = httpx.URL(self.url)
        target = url.raw_path.decode("ascii", errors="replace")
        answer = str(self.status) if self.status is not None else f"failed: {self.error}"
        return f"{self.method} {target} → {answer}"

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request": {"headers": self.request_headers, "body": self.request_body},
            "response": {
                "status": self.status,
                "headers": self.response_headers,
                "body": self.response_body,
            },
            "elapsedMs": round(self.elapsed_ms, 1),
            "error": self.error,
        }


class RecordingTransport(httpx.BaseTransport):
    """Wraps a transport; appends an :class:`Exchange` per request to ``exchanges``."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items()}
        for key in list(headers):
            if key.casefold() == "authorization":
                headers[key] = _MASKED
        exchange = Exchange(request.method, str(request.url), headers, _decode(request.read()))
        self.exchanges.append(exchange)
        start = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
            content = response.read()
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            exchange.elapsed_ms = (time.perf_counter() - start) * 1000
            raise
        exchange.elapsed_ms = (time.perf_counter() - start) * 1000
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers.items())
        exchange.response_body = _decode(content)
        return response

    def close(self) -> None:
        self.inner.close()
