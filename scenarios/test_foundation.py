"""Scenario zero: the pieces a lab is built from come up side by side on free ports."""

from __future__ import annotations

import httpx
from flask import Flask

from harness.servers import ServerThread


def test_two_fake_services_run_side_by_side_on_loopback() -> None:
    graph, miro = Flask("graph"), Flask("miro")
    graph.get("/v1.0/")(lambda: {"service": "graph"})
    miro.get("/api/v1/scim/")(lambda: {"service": "miro"})
    with ServerThread(graph, name="graph") as g, ServerThread(miro, name="miro") as m:
        assert g.port != m.port
        assert httpx.get(g.url + "/v1.0/").json() == {"service": "graph"}
        assert httpx.get(m.url + "/api/v1/scim/").json() == {"service": "miro"}
