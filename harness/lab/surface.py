"""The HTTP-facing surface shared by the in-process :class:`harness.lab.local.Lab` and the
:class:`harness.lab.remote.RemoteLab`: job paths, start, advance, job, provisioning logs.

Everything here goes through the lab's two clients, so it behaves the same whichever
backend serves the fakes. Imports only httpx (the scenario driver uses it without a lab).
"""

from __future__ import annotations

from typing import Any, Self

import httpx

# The lab's own clients say who they are, so journals tell test set-up from engine traffic.
LAB_USER_AGENT = "harness-lab"
# The Miro fake does not count a request carrying this header against Miro's rate limits:
# a test's own reads must not spend the budget of the engine under test (docs/miro-fake.md).
UNMETERED_HEADER = "X-Fake-Unmetered"
# The header that carries ``harness serve``'s control token (docs/control-plane.md): required on
# the ``/_fake/`` routes of a harness served beyond loopback.
CONTROL_TOKEN_HEADER = "X-Harness-Control-Token"
# The environment variable ``harness serve`` reads the control token from (``--control-token``).
CONTROL_TOKEN_ENV = "HARNESS_CONTROL_TOKEN"


def ok(response: httpx.Response) -> httpx.Response:
    """The response, or an AssertionError naming the request and showing the body."""
    if response.status_code >= 400:
        raise AssertionError(
            f"{response.request.method} {response.request.url} -> {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response


class LabSurface:
    """Shortcuts over ``graph_client``; the class sets the clients and the two ids."""

    graph_client: httpx.Client
    miro_client: httpx.Client
    service_principal_id: str
    job_id: str
    # The read timeout of ``advance`` (the cycles run inside that request).
    advance_timeout: Any = httpx.USE_CLIENT_DEFAULT

    @property
    def sync_path(self) -> str:
        return f"/v1.0/servicePrincipals/{self.service_principal_id}/synchronization"

    @property
    def job_path(self) -> str:
        return f"{self.sync_path}/jobs/{self.job_id}"

    def start(self) -> None:
        ok(self.graph_client.post(f"{self.job_path}/start"))

    def advance(self, duration: str | int | float = "40m") -> list[dict[str, Any]]:
        response = ok(
            self.graph_client.post(
                "/_fake/clock", json={"advance": duration}, timeout=self.advance_timeout
            )
        )
        return list(response.json()["cycles"])

    def job(self) -> dict[str, Any]:
        return dict(ok(self.graph_client.get(self.job_path)).json())

    def provisioning_logs(self, filter: str | None = None) -> list[dict[str, Any]]:
        """Every log entry (all pages), oldest first."""
        params = {"$orderby": "activityDateTime asc", "$top": "1000"}
        if filter:
            params["$filter"] = filter
        entries: list[dict[str, Any]] = []
        response = ok(self.graph_client.get("/v1.0/auditLogs/provisioning", params=params))
        while True:
            body = response.json()
            entries.extend(body["value"])
            link = body.get("@odata.nextLink")
            if not link:
                return entries
            response = ok(self.graph_client.get(link))

    def close(self) -> None:
        self.graph_client.close()
        self.miro_client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
