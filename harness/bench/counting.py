"""Count the requests a fake serves (control plane excluded), in-process or over a socket alike.

Wraps the Flask app's ``wsgi_app`` on the lab's own app object: no fake's file is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from harness.bench.progress import Progress


class RequestCounter:
    def __init__(self, app: Flask, progress: Progress | None = None) -> None:
        self.count = 0
        self.progress = progress
        self._inner: Callable[..., Iterable[bytes]] = app.wsgi_app
        # Flask's documented way to wrap an app in middleware; mypy sees a method assigned.
        app.wsgi_app = self  # type: ignore[method-assign]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith("/_fake"):
            self.count += 1
            if self.progress is not None:
                self.progress.add()
        return self._inner(environ, start_response)

    def take(self) -> int:
        """The count since the last call, and reset."""
        count, self.count = self.count, 0
        return count
