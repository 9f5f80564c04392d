"""In-process use through httpx.WSGITransport with a made-up host, as the harness engine does:
links must point at that host and be followable as they are."""

from __future__ import annotations

import httpx

from mock_graph import create_app
from tests.support.graph import AUTH, Clock


def test_links_use_the_request_host() -> None:
    app = create_app(clock=Clock().now)
    backend = app.extensions["mock_graph"]
    backend.settings.delta_page_size = 4
    backend.seed(3, users=10, groups=1)
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://graph.local", headers=AUTH
    ) as http:
        page = http.get("/v1.0/users", params={"$top": "3"}).json()
        assert page["@odata.nextLink"].startswith("http://graph.local/v1.0/users?$skiptoken=")
        seen = len(page["value"])
        while "@odata.nextLink" in page:
            page = http.get(page["@odata.nextLink"]).json()
            seen += len(page["value"])
        assert seen == 10
        url = "/v1.0/users/delta()"
        rounds = 0
        while True:
            body = http.get(url).json()
            rounds += 1
            if "@odata.deltaLink" in body:
                assert body["@odata.deltaLink"].startswith(
                    "http://graph.local/v1.0/users/delta()?$deltatoken="
                )
                break
            url = body["@odata.nextLink"]
        assert rounds == 3
        assert http.get(body["@odata.deltaLink"]).json()["value"] == []
