"""scim2-client over a real socket, for tests that serve a SCIM endpoint."""

from __future__ import annotations

from typing import Any

import httpx
from scim2_client import BaseSyncSCIMClient


class HttpxSCIMClient(BaseSyncSCIMClient):
    """scim2-client over a real socket with httpx (scim2-client's own engine needs httpx2)."""

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        base = self.client.base_url
        return (url.scheme, url.host, url.port) == (
            base.scheme,
            base.host,
            base.port,
        ) and url.raw_path.startswith(base.raw_path.rstrip(b"/"))

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)
