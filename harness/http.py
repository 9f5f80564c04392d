"""The one HTTP client layer: everything the harness sends goes through an httpx client built here.

In-process, a host name (``graph.local``, ``miro.local``) is bound to a WSGI app and requests to
it are handed to that app directly (no socket). Any other host goes over TCP. So the engine is
given URLs only and never knows whether the far side is a fake in the same process, a fake on a
loopback port or a real service.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import httpx

WSGIApp = Callable[..., Any]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class RoutingTransport(httpx.BaseTransport):
    """Sends each request to the WSGI app bound to its host, or over TCP when none is bound."""

    def __init__(
        self,
        apps: Mapping[str, WSGIApp] | None = None,
        fallback: httpx.BaseTransport | None = None,
    ) -> None:
        self._apps: dict[str, httpx.WSGITransport] = {}
        self._lock = threading.Lock()
        self._fallback = fallback
        for host, app in (apps or {}).items():
            self.bind(host, app)

    def bind(self, host: str, app: WSGIApp) -> None:
        """Route ``host`` (``name`` or ``name:port``, case-insensitive) to ``app`` in-process."""
        # raise_app_exceptions=False: a crashing app answers 500 like a server would,
        # instead of unwinding into the caller (the engine classifies it as a target error).
        transport = httpx.WSGITransport(app=app, raise_app_exceptions=False)
        with self._lock:
            self._apps[host.lower()] = transport

    def unbind(self, host: str) -> None:
        with self._lock:
            self._apps.pop(host.lower(), None)

    def bound_hosts(self) -> list[str]:
        with self._lock:
            return sorted(self._apps)

    def _lookup(self, url: httpx.URL) -> httpx.WSGITransport | None:
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
                    self._fallback = httpx.HTTPTransport()
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


class HarnessClient(httpx.Client):
    """An ``httpx.Client`` whose ``cookies`` is a :class:`_Cookies` (public API only: the
    constructor argument and the ``cookies`` property), and whose requests to an absolute URL
    parse it once with their query parameters instead of three times."""

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = cookies

    def build_request(
        self, method: str, url: httpx.URL | str, *, params: Any = None, **kwargs: Any
    ) -> httpx.Request:
        if isinstance(url, str) and url.startswith(("http://", "https://")) and not self.params:
            if not params:
                url, params = _absolute_url(url), None
            elif "?" not in url and "#" not in url:
                # What httpx builds from ``url`` and ``params``: the parameters encoded as
                # httpx.QueryParams encodes them, appended as the query.
                url, params = _absolute_url(f"{url}?{httpx.QueryParams(params)}"), None
        return super().build_request(method, url, params=params, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._harness_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._harness_cookies = _Cookies(cookies)


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
        transport = httpx.WSGITransport(app=app, raise_app_exceptions=False)
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
