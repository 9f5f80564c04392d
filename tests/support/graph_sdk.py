"""msgraph-sdk pointed at a local server: a static token provider, the SDK's default middleware,
and base_url without a trailing slash (see docs/serve.md for connecting real clients)."""

from __future__ import annotations

from typing import Any

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption, UrlReplaceHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory


class StaticTokenProvider(AccessTokenProvider):
    def __init__(self, token: str = "fake-token") -> None:
        self._token = token

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        return self._token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])


def fake_graph_client(
    base_url: str, retries: int | None = 0, token: str = "fake-token"
) -> GraphServiceClient:
    auth = BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token))
    http = None
    if retries is not None:
        http = GraphClientFactory.create_with_default_middleware(
            options={
                RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=retries),
                UrlReplaceHandlerOption.get_key(): UrlReplaceHandlerOption(
                    enabled=True, replacement_pairs={"/users/me-token-to-replace": "/me"}
                ),
            }
        )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter)
