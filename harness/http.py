"""The one HTTP client layer: everything the harness sends goes through an httpx client built here.

In-process, a host name (``graph.local``, ``miro.local``) is bound to a WSGI app and requests to
it are handed to that app directly (no socket). Any other host goes over TCP. So the engine is
given URLs only and never knows whether the far side is a fake in the same process, a fake on a
loopback port or a real service.
"""

from __future__ import annotations

import http.client
import io
import select
import ssl
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import httpx

WSGIApp = Callable[..., Any]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@lru_cache(maxsize=256)
def _environ_key(name: bytes) -> str:
    # The WSGI name of a request header, as httpx.WSGITransport spells it (PEP 3333).
    key = name.decode("ascii").upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


class _AppBody(httpx.SyncByteStream):
    """A WSGI app's answer as httpx's ``WSGIByteStream`` reads it: the first non-empty chunk
    fetched at once (an app may call ``start_response`` only then), the rest lazily, the app's
    ``close()`` called when the response is closed."""

    def __init__(self, result: Iterable[bytes]) -> None:
        self._close = getattr(result, "close", None)
        self._chunks = iter(result)
        self._first = b""
        for chunk in self._chunks:
            if chunk:
                self._first = chunk
                break

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            yield self._first
            yield from self._chunks

    def close(self) -> None:
        if self._close is not None:
            self._close()


class WSGIAppTransport(httpx.BaseTransport):
    """``httpx.WSGITransport(app, raise_app_exceptions=False)`` at a third of its cost per
    request: the same environ (keys, values and header order), status, headers and lazily read
    body, built without httpx.URL's decoding properties and with header names converted once.
    A crashing app answers 500 like a server would (the app's own error handler), instead of
    unwinding into the caller. tests/harness/test_http.py checks it against httpx's."""

    def __init__(self, app: WSGIApp, remote_addr: str = "127.0.0.1") -> None:
        self.app = app
        self.remote_addr = remote_addr

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        port = url.port
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(request.read()),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query.decode("ascii"),
            "SERVER_NAME": url.host,
            "SERVER_PORT": str(port) if port else _DEFAULT_PORTS[scheme],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.remote_addr,
        }
        for name, value in request.headers.raw:
            environ[_environ_key(name)] = value.decode("ascii")
        seen: list[Any] = []

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            seen[:] = (status, response_headers)
            return _ignore_write

        body = _AppBody(self.app(environ, start_response))
        if not seen:
            raise RuntimeError("the WSGI app answered without calling start_response")
        status, response_headers = seen
        return httpx.Response(
            int(status.split(None, 1)[0]),
            headers=[(k.encode("ascii"), v.encode("ascii")) for k, v in response_headers],
            stream=body,
        )


def _ignore_write(data: bytes) -> None:
    pass


class _Connection(http.client.HTTPConnection):
    """A kept-alive connection of :class:`PlainHTTPTransport`. What ``endheaders`` sends
    (the head, then the body) is held until :meth:`flush` and goes out in one write: in two,
    the server wakes twice and the kernel does the work twice."""

    def __init__(self, host: str, port: int, timeout: float | None) -> None:
        super().__init__(host, port, timeout=timeout)
        self._held: list[bytes] = []

    def send(self, data: Any) -> None:
        self._held.append(bytes(data))

    def flush(self) -> None:
        held, self._held = b"".join(self._held), []
        if held:
            super().send(held)

    def reusable(self) -> bool:
        """Open, with nothing to read: a server that closed it has sent EOF (httpcore checks
        a kept connection the same way before reusing it)."""
        if self.sock is None:
            return False
        if not hasattr(select, "poll"):  # Windows
            return not select.select([self.sock], [], [], 0)[0]
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return not poller.poll(0)


def _httpx_error(exc: BaseException, stage: str) -> Exception | None:
    """The httpx error (class and message) httpx.HTTPTransport raises for what the standard
    library raised while connecting, writing or reading, so callers classify it alike."""
    if isinstance(exc, http.client.RemoteDisconnected):
        return httpx.RemoteProtocolError("Server disconnected without sending a response.")
    if isinstance(exc, http.client.HTTPException):
        return httpx.RemoteProtocolError(str(exc))
    if isinstance(exc, TimeoutError):
        return _TIMEOUTS[stage](str(exc))
    if isinstance(exc, OSError):
        return _NETWORK_ERRORS[stage](str(exc))
    return None


def _incomplete(received: int, expected: int | None) -> str:
    # h11's words for a body cut off: by a Content-Length, or in a chunked body.
    if expected is None:
        return (
            "peer closed connection without sending complete message body (incomplete chunked read)"
        )
    return (
        "peer closed connection without sending complete message body "
        f"(received {received} bytes, expected {expected})"
    )


_TIMEOUTS: dict[str, type[httpx.TimeoutException]] = {
    "connect": httpx.ConnectTimeout,
    "write": httpx.WriteTimeout,
    "read": httpx.ReadTimeout,
}
_NETWORK_ERRORS: dict[str, type[httpx.NetworkError]] = {
    "connect": httpx.ConnectError,
    "write": httpx.WriteError,
    "read": httpx.ReadError,
}


class _ConnectionBody(httpx.SyncByteStream):
    """A response body read off its connection, which goes back to the transport's pool once
    the whole body is read (closed instead if the server will close it, or the reader stopped
    early)."""

    def __init__(
        self,
        give_back: Callable[[_Connection], None],
        connection: _Connection,
        response: http.client.HTTPResponse,
    ) -> None:
        self._give_back = give_back
        self._connection: _Connection | None = connection
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        expected, received = response.length, 0
        try:
            while chunk := response.read(65536):
                received += len(chunk)
                yield chunk
        except http.client.IncompleteRead as exc:
            expected = None if response.chunked else expected
            raise httpx.RemoteProtocolError(_incomplete(received, expected)) from exc
        except Exception as exc:
            mapped = _httpx_error(exc, "read")
            if mapped is None:
                raise
            raise mapped from exc
        if response.length:  # the server closed before the Content-Length it announced
            raise httpx.RemoteProtocolError(_incomplete(received, expected))

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._response.isclosed() and not self._response.will_close:
            self._give_back(connection)
        else:
            self._response.close()
            connection.close()


class PlainHTTPTransport(httpx.BaseTransport):
    """HTTP/1.1 over plain TCP with the standard library's ``http.client``: a third of the CPU
    per request of httpx's own transport (httpcore and h11, pure Python), which a lab served on
    loopback ports pays at every request. Requests go out as httpx built them (method, target,
    header list; headers and body in one write), responses come back as httpx.Response
    streams, connections are kept alive and reused, timeouts are the request's, and errors are
    httpx's (class and message). ``https`` URLs go to httpx's own transport."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._lock = threading.Lock()
        self._tls: httpx.HTTPTransport | None = None
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http":
            with self._lock:
                if self._tls is None:
                    self._tls = httpx.HTTPTransport()
            return self._tls.handle_request(request)
        timeout = request.extensions.get("timeout", {})
        key = (url.raw_host.decode("ascii"), url.port or 80)
        body = request.read()
        connection = self._take(key)
        stage = "connect"
        try:
            if connection is None:
                connection = _Connection(key[0], key[1], timeout=timeout.get("connect"))
                connection.connect()
            stage = "write"
            connection.sock.settimeout(timeout.get("write"))
            connection.putrequest(
                request.method,
                url.raw_path.decode("ascii"),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in request.headers.raw:
                connection.putheader(name, value)
            connection.endheaders(body or None)
            try:
                connection.flush()
            except TimeoutError:
                raise
            except OSError:
                # As httpcore: a server may answer before it has read the whole request and
                # close the connection; its answer is read, and only a failed read is an error.
                pass
            stage = "read"
            connection.sock.settimeout(timeout.get("read"))
            response = connection.getresponse()
        except Exception as exc:
            if connection is not None:
                connection.close()
            mapped = _httpx_error(exc, stage)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            response.status,
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders()],
            stream=_ConnectionBody(lambda done: self._give(key, done), connection, response),
            extensions={
                "http_version": b"HTTP/1.0" if response.version == 10 else b"HTTP/1.1",
                "reason_phrase": response.reason.encode("latin-1"),
            },
        )

    def _take(self, key: tuple[str, int]) -> _Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    return None
                connection = idle.pop()
            if connection.reusable():
                return connection
            connection.close()

    def _give(self, key: tuple[str, int], connection: _Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.setdefault(key, []).append(connection)
                return
        connection.close()  # a response read after the transport was closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = [c for kept in self._idle.values() for c in kept]
            self._idle.clear()
            tls, self._tls = self._tls, None
        for connection in idle:
            connection.close()
        if tls is not None:
            tls.close()


class RoutingTransport(httpx.BaseTransport):
    """Sends each request to the WSGI app bound to its host, or over TCP when none is bound."""

    def __init__(
        self,
        apps: Mapping[str, WSGIApp] | None = None,
        fallback: httpx.BaseTransport | None = None,
    ) -> None:
        self._apps: dict[str, WSGIAppTransport] = {}
        self._lock = threading.Lock()
        self._fallback = fallback
        for host, app in (apps or {}).items():
            self.bind(host, app)

    def bind(self, host: str, app: WSGIApp) -> None:
        """Route ``host`` (``name`` or ``name:port``, case-insensitive) to ``app`` in-process."""
        # A crashing app answers 500 like a server would, instead of unwinding into the
        # caller (the engine classifies it as a target error).
        transport = WSGIAppTransport(app)
        with self._lock:
            self._apps[host.lower()] = transport

    def unbind(self, host: str) -> None:
        with self._lock:
            self._apps.pop(host.lower(), None)

    def bound_hosts(self) -> list[str]:
        with self._lock:
            return sorted(self._apps)

    def _lookup(self, url: httpx.URL) -> WSGIAppTransport | None:
        host = url.host.lower()
        with self._lock:
            if url.port is not None and f"{host}:{url.port}" in self._apps:
                return self._apps[f"{host}:{url.port}"]
            return self._apps.get(host)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._lookup(request.url)
        if transport is not None:
            return transport.handle_request(request)
        if self._fallback is None:
            with self._lock:
                if self._fallback is None:
                    self._fallback = PlainHTTPTransport()
        return self._fallback.handle_request(request)

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()


class _Cookies(httpx.Cookies):
    """A cookie jar that skips its work (a URL re-parse and ``http.cookiejar``'s policy, ~8 %
    of an in-process cycle's CPU) for a response without ``Set-Cookie``: neither Graph nor
    SCIM sets cookies, and when one does it is handled exactly as httpx handles it."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


@lru_cache(maxsize=1024)
def _absolute_url(text: str) -> httpx.URL:
    # httpx.URL is immutable; the engine sends the same few URLs (POST /Users, a team's PATCH)
    # again and again, and parsing one is a tenth of an in-process request's cost.
    return httpx.URL(text)


class _ReadStream(httpx.SyncByteStream):
    """The stream of a response whose body is read and whose stream is closed."""

    def __iter__(self) -> Iterator[bytes]:
        return iter(())


_READ_STREAM = _ReadStream()
_HEADER_SETS_KEPT = 512  # per client: (method, host, header sets, body length) seen


class HarnessClient(httpx.Client):
    """An ``httpx.Client`` whose ``cookies`` is a :class:`_Cookies` (public API only: the
    constructor argument and the ``cookies`` property), and whose requests to an absolute URL
    parse it once with their query parameters instead of three times.

    A request with nothing but a bytes body and a dict of headers (what the engine sends) takes
    its headers from the request httpx built for the same method, host, client headers,
    request headers and body length, instead of merging and normalising them again: a
    third of the client's cost per request. The headers are httpx's own (built by httpx the
    first time), so the request is the one httpx would build."""

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = cookies
        self._built_headers: dict[tuple[Any, ...], httpx.Headers] = {}

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        params: Any = None,
        content: Any = None,
        headers: Any = None,
        **kwargs: Any,
    ) -> httpx.Request:
        if isinstance(url, str) and url.startswith(("http://", "https://")) and not self.params:
            if not params:
                url, params = _absolute_url(url), None
            elif "?" not in url and "#" not in url:
                # What httpx builds from ``url`` and ``params``: the parameters encoded as
                # httpx.QueryParams encodes them, appended as the query.
                url, params = _absolute_url(f"{url}?{httpx.QueryParams(params)}"), None
            if (
                params is None
                and (content is None or type(content) is bytes)
                and (headers is None or type(headers) is dict)
                and _only_defaults(kwargs)
                and not self.cookies
            ):
                return self._request_with_known_headers(method, url, content, headers)
        return super().build_request(
            method, url, params=params, content=content, headers=headers, **kwargs
        )

    def _request_with_known_headers(
        self,
        method: str,
        url: httpx.URL | str,
        content: bytes | None,
        headers: dict[str, str] | None,
    ) -> httpx.Request:
        url = httpx.URL(url)
        key = (
            method,
            url.netloc,
            tuple(self.headers.raw),
            tuple(headers.items()) if headers else (),
            None if content is None else len(content),
        )
        built = self._built_headers.get(key)
        if built is None:
            built = super().build_request(method, url, content=content, headers=headers).headers
            if len(self._built_headers) >= _HEADER_SETS_KEPT:
                self._built_headers.clear()
            self._built_headers[key] = built
        request = httpx.Request(
            method,
            url,
            headers=built,  # copied by httpx.Request: the kept headers stay as built
            stream=httpx.ByteStream(content or b""),
            extensions={"timeout": self.timeout.as_dict()},
        )
        request.read()  # as httpx.Request(content=...) does: the body is known
        return request

    def send(
        self, request: httpx.Request, *, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        response = super().send(request, stream=stream, **kwargs)
        if not stream and response.is_closed:
            # httpx binds a response's stream to the response, a reference cycle that only the
            # cyclic collector frees, with all the response holds (request, headers, the app's
            # answer): some 16 s of a 250,000-record replay went to collecting them. The body
            # is read and the stream closed, so nothing reads the stream again.
            response.stream = _READ_STREAM
        return response

    @property
    def cookies(self) -> httpx.Cookies:
        return self._harness_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._harness_cookies = _Cookies(cookies)


_REQUEST_DEFAULTS = {
    "data": None,
    "files": None,
    "json": None,
    "cookies": None,
    "extensions": None,
}


def _only_defaults(options: dict[str, Any]) -> bool:
    """Whether ``build_request``'s other options are all left as the client's defaults."""
    return all(
        value is httpx.USE_CLIENT_DEFAULT if name == "timeout" else value is None
        for name, value in options.items()
    ) and all(name == "timeout" or name in _REQUEST_DEFAULTS for name in options)


def make_client(
    base_url: str = "",
    *,
    transport: httpx.BaseTransport | None = None,
    app: WSGIApp | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: httpx.Timeout | float | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An httpx client for ``base_url``.

    Give ``app`` to talk to one WSGI app in-process, ``transport`` to share a
    :class:`RoutingTransport`, or neither for plain TCP (``verify``: the TLS context that
    checks the server, e.g. one trusting ``harness serve --tls``'s CA).
    """
    if app is not None and transport is not None:
        raise ValueError("give either app or transport, not both")
    if app is not None:
        transport = WSGIAppTransport(app)
    return HarnessClient(
        base_url=base_url,
        transport=transport,
        headers=dict(headers or {}),
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        follow_redirects=False,
        verify=verify,
    )


class BorrowedTransport(httpx.BaseTransport):
    """A view of a shared transport that a short-lived client may close without closing it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)

    def close(self) -> None:
        pass


class ClientCredentialsAuth(httpx.Auth):
    """Signs a client in again (client-credentials flow) when the token it sent is refused with
    401: a lab's clock can move weeks past a token's hour, as MSAL would then fetch a new one.
    A request that carried its own Authorization header is left as it was answered."""

    requires_response_body = True

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, headers: httpx.Headers
    ) -> None:
        self.token_url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        self._headers = headers  # the client's own: a new token becomes its default

    def auth_flow(self, request: httpx.Request) -> Any:
        sent = request.headers.get("Authorization")
        response = yield request
        if response.status_code != 401 or sent != self._headers.get("Authorization"):
            return
        token = yield httpx.Request("POST", self.token_url, data=self._form)
        if token.status_code != 200:
            return
        value = f"Bearer {token.json()['access_token']}"
        self._headers["Authorization"] = value
        request.headers["Authorization"] = value
        yield request
