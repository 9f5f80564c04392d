"""Run any WSGI app on a real socket in a background thread.

Port 0 (the default) lets the OS pick a free port, and start-up waits a bounded time for the
socket to answer: a fixed port plus an unbounded wait is how test servers deadlock under xdist.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[..., Any]


class ServerStartError(RuntimeError):
    """The server did not come up within its start-up timeout."""


class ServerThread:
    """A WSGI app served on ``host:port`` from a daemon thread.

    >>> with ServerThread(app) as server:
    ...     httpx.get(server.url + "/")
    """

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        startup_timeout: float = 10.0,
        name: str = "wsgi-server",
    ) -> None:
        self.app = app
        self.requested_host = host
        self.requested_port = port
        self.startup_timeout = startup_timeout
        self.name = name
        self.ready = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running")
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already running on {self.url}")
        # Bind here rather than in werkzeug, which exits the process when a port is taken.
        try:
            sock = socket.create_server((self.requested_host, self.requested_port))
        except OSError as exc:
            raise ServerStartError(
                f"{self.name} could not bind {self.requested_host}:{self.requested_port}: {exc}"
            ) from exc
        with sock:
            host, port = sock.getsockname()[:2]
            self._server = make_server(host, port, self.app, threaded=True, fd=sock.fileno())
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
        self._thread.start()
        if not self.ready.wait(self.startup_timeout) or not self._answers(self.startup_timeout):
            self.stop()
            raise ServerStartError(
                f"{self.name} did not answer on {self.requested_host}:{self.requested_port} "
                f"within {self.startup_timeout:.1f}s"
            )
        return self

    def _serve(self) -> None:
        assert self._server is not None
        self.ready.set()
        self._server.serve_forever(poll_interval=0.05)

    def _answers(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.01)
        return False

    def stop(self, timeout: float = 5.0) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout)
        self._server = None
        self._thread = None
        self.ready.clear()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
