"""The routes of a served harness, read from the apps' own URL maps (both fakes, the harness's
mounted routes, the serve-level control app), each with a path filled with plausible ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from werkzeug.routing import Rule

from harness.lab.local import Lab
from harness.serve.control import HEALTH_PATH
from harness.serve.served import ServedHarness

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    listener: str  # "graph" or "miro"
    method: str
    rule: str
    path: str

    @property
    def api(self) -> bool:
        return self.rule.startswith(("/v1.0", "/beta", "/api/v1/scim"))

    @property
    def control(self) -> bool:
        return self.rule.startswith("/_fake/") and self.rule != HEALTH_PATH


def _values(lab: Lab) -> dict[str, str]:
    """A plausible value for each URL variable the apps use (real ids where there are)."""
    graph = lab.graph.dump()
    user = next(o["data"]["id"] for o in graph["objects"] if o["kind"] == "user")
    app = next(o["data"] for o in graph["objects"] if o["kind"] == "application")
    miro = lab.miro.dump()
    return {
        "oid": user,
        "key": user,
        "app_id": app["appId"],
        "aid": "x",
        "segment": "microsoft.graph.user",
        "cast": "microsoft.graph.user",
        "sp_id": lab.service_principal_id,
        "job_id": lab.job_id,
        "template_id": "miro",
        "object_id": user,
        "entry_id": "x",
        "uid": miro["users"][0]["id"] if miro["users"] else "1",
        "gid": miro["groups"][0]["id"],
        "rid": "User",
        "urn": "urn:ietf:params:scim:schemas:core:2.0:User",
        "fault_id": "fault-1",
        "tenant": str(lab.graph.tenant_id),
        "filename": "x",
    }


def _fill(rule: Rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)


def enumerate_routes(harness: ServedHarness) -> Iterator[Route]:
    """Every (listener, method, rule) the two apps and the serve-level control app route."""
    lab = harness.current()
    values = _values(lab)
    serve_rules = [r.rule for r in _control_app_rules(harness)]
    for listener, app in (("graph", lab.graph_app), ("miro", lab.miro_app)):
        for rule in app.url_map.iter_rules():
            for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
                yield Route(listener, method, rule.rule, _fill(rule, values))
    for rule in _control_app_rules(harness):
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            yield Route("graph", method, rule.rule, rule.rule)
    assert serve_rules, "the serve-level control routes were not found"


def _control_app_rules(harness: ServedHarness) -> list[Rule]:
    return [r for r in harness.control_app.url_map.iter_rules() if r.rule.startswith("/_fake/")]
