"""Run any WSGI app on a real socket in a background thread.

Port 0 (the default) lets the OS pick a free port, and start-up waits a bounded time for the
socket to answer: a fixed port plus an unbounded wait is how test servers deadlock under xdist.

Three multi-threaded WSGI servers can carry the app (``server=``): werkzeug's development server
(the default for test labs: no extra dependency), waitress and cheroot. ``harness serve`` uses
:data:`PRODUCTION_SERVER`, cheroot, chosen by measurement on the fakes (docs/serve.md gives
the figures: the highest median requests/second of the three, on both fakes).

``AppSlot`` and ``mounted_on`` let a long-lived listener carry a lab that is rebuilt behind it:
inside ``with mounted_on({"graph": Mount(listener, slot)}):`` a ``ServerThread(app,
name="graph")`` binds no socket; it mounts ``app`` on the slot and reports the listener's host and
port until stopped. So ``Lab(served=True)`` can be rebuilt (reset) behind fixed public ports.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any, Protocol

from werkzeug.serving import WSGIRequestHandler, make_server

from harness.tls import RunAuthority

WSGIApp = Callable[..., Any]
# What a server answers a request it refuses before any app sees it (a malformed request line,
# a bad header): (status, reason) -> (content type, body). None keeps the server's plain text.
RawErrorBody = Callable[[int, str], tuple[str, bytes]]

SERVER_KINDS = ("werkzeug", "waitress", "cheroot")
DEFAULT_SERVER = "werkzeug"
# Chosen by measurement on the fakes (docs/serve.md).
PRODUCTION_SERVER = "cheroot"
DEFAULT_THREADS = 8


class ServerStartError(RuntimeError):
    """The server did not come up within its start-up timeout."""


class _Engine(Protocol):
    """What ServerThread needs from a WSGI server implementation."""

    address: tuple[str, int]

    def serve(self, ready: threading.Event) -> None: ...

    def shutdown(self) -> None: ...


class _QuietRequestHandler(WSGIRequestHandler):
    """No console line per request: :class:`AccessLog` is the one request log, when wanted."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _Werkzeug:
    def __init__(
        self,
        app: WSGIApp,
        sock: socket.socket,
        threads: int,
        raw_error: RawErrorBody | None,
        tls: RunAuthority | None,
    ) -> None:
        host, port = sock.getsockname()[:2]
        handler: type[WSGIRequestHandler] = _QuietRequestHandler
        if raw_error is not None:
            handler = type("ApiErrorRequestHandler", (_ApiErrorRequestHandler,), {})
            handler.raw_error = staticmethod(raw_error)  # type: ignore[attr-defined]
        self._server = make_server(
            host,
            port,
            app,
            threaded=True,
            fd=sock.fileno(),
            request_handler=handler,
            ssl_context=tls.server_context() if tls is not None else None,
        )
        # make_server(threaded=True) gives a ThreadingMixIn server; its type says BaseWSGIServer.
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self.address = (str(host), int(port))

    def serve(self, ready: threading.Event) -> None:
        ready.set()
        self._server.serve_forever(poll_interval=0.05)

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _ApiErrorRequestHandler(_QuietRequestHandler):
    """werkzeug's (http.server's) own refusals in the API's error format, not an HTML page."""

    raw_error: RawErrorBody

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        reason = message or self.responses.get(code, ("Error",))[0]
        content_type, body = self.raw_error(code, reason)
        if self.request_version == "HTTP/0.9":  # a line too broken to name a version: no
            self.request_version = "HTTP/1.0"  # status line or headers would be written
        self.send_response(code, reason)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)


# waitress (a test extra) and cheroot are imported when a server of their kind starts: test labs
# run on werkzeug and need neither.


class _Waitress:
    """waitress writes its own refusals (a malformed request line, a bad header) in plain text
    from deep inside its channel; there is no hook for another format, so ``raw_error`` is not
    used here. waitress speaks no TLS: a TLS listener needs cheroot or werkzeug."""

    def __init__(
        self,
        app: WSGIApp,
        sock: socket.socket,
        threads: int,
        raw_error: RawErrorBody | None,
        tls: RunAuthority | None,
    ) -> None:
        from waitress.server import create_server

        if tls is not None:
            raise ValueError("waitress serves no TLS: use cheroot or werkzeug with --tls")

        host, port = sock.getsockname()[:2]
        # Every dispatcher of this server (listener and connections) registers in this map.
        self._socket_map: dict[int, Any] = {}
        # waitress takes over the socket; its select loop wakes every 0.1 s to notice a stop.
        self._server = create_server(
            app,
            map=self._socket_map,
            sockets=[socket.socket(sock.family, sock.type, fileno=sock.detach())],
            threads=threads,
            asyncore_loop_timeout=0.1,
            ident="harness",
            clear_untrusted_proxy_headers=True,
        )
        self.address = (str(host), int(port))
        self._stopping = False

    def serve(self, ready: threading.Event) -> None:
        ready.set()
        try:
            self._server.run()
        except (OSError, ValueError):
            # A descriptor closed under select() by shutdown(): the loop is over.
            if not self._stopping:
                raise

    def shutdown(self) -> None:
        self._stopping = True
        # Let running tasks finish first: they wake the loop through its trigger, which must
        # still be open. Then closing every dispatcher empties waitress's map: its loop ends.
        self._server.task_dispatcher.shutdown(timeout=2)
        for dispatcher in list(self._socket_map.values()):
            dispatcher.close()


class _HeldWrites:
    """Stands in for a connection's write file while cheroot writes a response head into it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def data(self) -> bytes:
        return b"".join(self._parts)


class _Cheroot:
    def __init__(
        self,
        app: WSGIApp,
        sock: socket.socket,
        threads: int,
        raw_error: RawErrorBody | None,
        tls: RunAuthority | None,
    ) -> None:
        from cheroot.server import HTTPConnection, HTTPRequest
        from cheroot.wsgi import Server

        adopted = socket.socket(sock.family, sock.type, fileno=sock.detach())
        adopted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        class ApiErrorRequest(HTTPRequest):
            """cheroot's own refusals (``simple_response``: a malformed request line or header,
            a request line too long) in the API's error format instead of plain text.

            A response's head is held back and written with the first chunk of its body (or
            at its end): cheroot writes them in two sends, which wakes the client twice and
            costs both ends a second round of system calls per request. Chunked responses
            keep cheroot's own order of writes."""

            held_head = b""

            def send_headers(self) -> None:
                wfile, holder = self.conn.wfile, _HeldWrites()
                self.conn.wfile = holder
                try:
                    super().send_headers()
                finally:
                    self.conn.wfile = wfile
                if self.chunked_write:
                    wfile.write(holder.data())
                else:
                    self.held_head = holder.data()

            def write(self, chunk: bytes) -> None:
                head, self.held_head = self.held_head, b""
                if head and not self.chunked_write:
                    self.conn.wfile.write(head + chunk)
                else:
                    super().write(chunk)

            def respond(self) -> None:
                try:
                    super().respond()
                finally:
                    head, self.held_head = self.held_head, b""
                    if head:
                        self.conn.wfile.write(head)

            def simple_response(self, status: Any, msg: Any = "") -> None:
                code = int(str(status)[:3])
                if raw_error is None or code < 400:
                    super().simple_response(status, msg)
                    return
                text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
                content_type, body = raw_error(code, text or str(status)[4:])
                head = (
                    f"{self.server.protocol} {status}\r\nContent-Length: {len(body)}\r\n"
                    f"Content-Type: {content_type}\r\nConnection: close\r\n\r\n"
                )
                self.close_connection = True
                with contextlib.suppress(OSError):  # the client has gone: nothing to tell it
                    self.conn.wfile.write(head.encode("latin-1") + body)

        class ApiErrorConnection(HTTPConnection):
            RequestHandlerClass = ApiErrorRequest

        class AdoptingServer(Server):
            """cheroot serving a socket bound beforehand (no close-and-rebind race)."""

            ConnectionClass = ApiErrorConnection

            def bind(self, family: int, type: int, proto: int = 0) -> socket.socket:
                self.socket = adopted
                self.bind_addr = adopted.getsockname()[:2]
                return adopted

        host, port = adopted.getsockname()[:2]
        self._server = AdoptingServer(
            (host, port),
            app,
            numthreads=threads,
            server_name="harness",
            request_queue_size=128,
        )
        if tls is not None:
            from cheroot.ssl.builtin import BuiltinSSLAdapter

            self._server.ssl_adapter = BuiltinSSLAdapter(str(tls.certificate), str(tls.private_key))
        # Its select loop wakes this often to notice a stop (default 0.5 s): stop() waits for it,
        # and a served lab stops two servers (at 0.1 s, a fifth of a second per served test).
        self._server.expiration_interval = 0.01
        self._server.prepare()
        self.address = (str(host), int(port))

    def serve(self, ready: threading.Event) -> None:
        ready.set()
        self._server.serve()

    def shutdown(self) -> None:
        self._server.stop()


_ENGINES: dict[
    str,
    Callable[[WSGIApp, socket.socket, int, RawErrorBody | None, RunAuthority | None], _Engine],
] = {
    "werkzeug": _Werkzeug,
    "waitress": _Waitress,
    "cheroot": _Cheroot,
}


@dataclass(frozen=True)
class Mount:
    """A running listener and the slot (somewhere in its app) that carries the mounted app."""

    listener: ServerThread
    slot: AppSlot


_MOUNTS: ContextVar[Mapping[str, Mount]] = ContextVar(
    "harness_server_mounts", default=MappingProxyType({})
)


@contextmanager
def mounted_on(mounts: Mapping[str, Mount]) -> Iterator[None]:
    """Within the block, a ``ServerThread`` named like a key mounts its app on that slot, and
    reports the listener's host and port, instead of binding a port of its own."""
    token = _MOUNTS.set(MappingProxyType(dict(mounts)))
    try:
        yield
    finally:
        _MOUNTS.reset(token)


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
        server: str = DEFAULT_SERVER,
        threads: int = DEFAULT_THREADS,
        raw_error: RawErrorBody | None = None,
        tls: RunAuthority | None = None,
    ) -> None:
        """``raw_error``: how cheroot and werkzeug word the refusals they write themselves
        (a malformed request line), e.g. in the API's error format; waitress has no hook.
        ``tls``: serve HTTPS with that authority's server certificate (cheroot, werkzeug)."""
        if server not in _ENGINES:
            raise ValueError(
                f"unknown WSGI server {server!r}: choose one of {', '.join(SERVER_KINDS)}"
            )
        if threads < 2:
            # A cycle run from a /_fake/clock request calls back into the same app.
            raise ValueError("a harness server needs at least 2 threads")
        self.app = app
        self.requested_host = host
        self.requested_port = port
        self.startup_timeout = startup_timeout
        self.name = name
        self.server = server
        self.threads = threads
        self.raw_error = raw_error
        self.tls = tls
        self.ready = threading.Event()
        self._server: _Engine | None = None
        self._thread: threading.Thread | None = None
        self._mount: Mount | None = None

    def _address(self) -> tuple[str, int]:
        """(host, port) this server listens on: its own socket or the shared listener's."""
        if self._mount is not None:
            return self._mount.listener.host, self._mount.listener.port
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._server.address

    @property
    def host(self) -> str:
        return self._address()[0]

    @property
    def port(self) -> int:
        return self._address()[1]

    @property
    def scheme(self) -> str:
        """``https`` when this server (or the listener it is mounted on) speaks TLS."""
        tls = self._mount.listener.tls if self._mount is not None else self.tls
        return "https" if tls is not None else "http"

    @property
    def url(self) -> str:
        """The URL to connect to (a wildcard bind is reached on loopback)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        shown = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{shown}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None or self._mount is not None

    def start(self) -> ServerThread:
        if self.running:
            raise RuntimeError(f"{self.name} is already running on {self.url}")
        mount = _MOUNTS.get().get(self.name)
        if mount is not None:
            mount.slot.mount(self.app)
            self._mount = mount
            self.ready.set()
            return self
        # Bind here rather than in werkzeug, which exits the process when a port is taken.
        try:
            sock = socket.create_server((self.requested_host, self.requested_port))
        except OSError as exc:
            raise ServerStartError(
                f"{self.name} could not bind {self.requested_host}:{self.requested_port}: {exc}"
            ) from exc
        app = _CheckedContentLength(self.app, self.raw_error)
        with sock:
            self._server = _ENGINES[self.server](app, sock, self.threads, self.raw_error, self.tls)
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
        self._server.serve(self.ready)

    def _answers(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        host = self.url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, self.port), timeout=0.5) as probe:
                    if (
                        self.tls is not None
                    ):  # a bare connection would be logged as a failed handshake
                        self.tls.client_context().wrap_socket(probe, server_hostname=host).close()
                    return True
            except OSError:
                time.sleep(0.01)
        return False

    def stop(self, timeout: float = 5.0) -> None:
        if self._mount is not None:
            self._mount.slot.unmount(self.app)
            self._mount = None
            self.ready.clear()
            return
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
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


class _CheckedContentLength:
    """A ``Content-Length`` that is not a whole number (cheroot passes ``-5`` on) is a
    malformed request (RFC 9110 section 8.6): 400 here, before the app's body reader fails on
    it with a 500."""

    def __init__(self, app: WSGIApp, raw_error: RawErrorBody | None) -> None:
        self.app = app
        self.raw_error = raw_error

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH", "")
        if not length or length.isdigit():
            return self.app(environ, start_response)
        reason = "Content-Length must be a whole number of bytes"
        if self.raw_error is not None:
            content_type, body = self.raw_error(400, reason)
        else:
            content_type, body = "text/plain", reason.encode()
        start_response(
            "400 Bad Request",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]


class AppSlot:
    """A WSGI app that forwards to whichever app is mounted now (503 while none is)."""

    def __init__(self, name: str = "app") -> None:
        self.name = name
        self._app: WSGIApp | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> WSGIApp | None:
        return self._app

    def mount(self, app: WSGIApp) -> None:
        with self._lock:
            self._app = app

    def unmount(self, app: WSGIApp) -> None:
        """Empty the slot if ``app`` is still the one mounted (a successor stays)."""
        with self._lock:
            if self._app is app:
                self._app = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        app = self._app
        if app is None:
            body = json.dumps({"error": f"{self.name} is starting or resetting; retry"}).encode()
            start_response(
                "503 Service Unavailable",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Retry-After", "1"),
                ],
            )
            return [body]
        return app(environ, start_response)


class AccessLog:
    """WSGI middleware: one log line per request, written when its response has been sent.

    ``graph 127.0.0.1 "GET /v1.0/users?$top=5" 200 1234B 3.1ms``
    """

    def __init__(self, app: WSGIApp, name: str, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.name = name
        self.logger = logger or logging.getLogger("harness.access")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        began = time.perf_counter()
        status: list[str] = []

        def recording_start_response(code: str, headers: list[Any], exc_info: Any = None) -> Any:
            status[:] = [code.split(" ", 1)[0]]
            return start_response(code, headers, exc_info)

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            self._log(environ, status or ["500"], 0, began)  # the server answers 500
            raise
        return _LoggedBody(body, lambda sent: self._log(environ, status, sent, began))

    def _log(self, environ: dict[str, Any], status: list[str], sent: int, began: float) -> None:
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        self.logger.info(
            '%s %s "%s %s" %s %dB %.1fms',
            self.name,
            environ.get("REMOTE_ADDR", "-"),
            environ.get("REQUEST_METHOD", "-"),
            target,
            status[0] if status else "-",
            sent,
            (time.perf_counter() - began) * 1000,
        )


class _LoggedBody:
    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._body = body
        self._done = done
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self._sent)
