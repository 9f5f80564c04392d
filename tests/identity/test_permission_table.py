"""Every Graph route the harness serves asks for a permission Microsoft Learn names for it
(mock_graph/permissions.py), and the Microsoft Graph service principal carries them."""

from __future__ import annotations

import re

import pytest

from harness.lab.local import Lab
from mock_graph.permissions import (
    ADMIN_PERMISSIONS,
    GRAPH_APPLICATION_PERMISSIONS,
    ROUTE_PERMISSIONS,
    graph_app_roles,
    permitted,
    rule_for,
)


def served_routes() -> list[tuple[str, str]]:
    """(method, path below the version) of every /v1.0 and /beta route of a lab's Graph app,
    the harness's synchronization and audit-log routes included; ``<x>`` becomes a sample."""
    lab = Lab(0)
    try:
        routes = []
        for rule in lab.graph_app.url_map.iter_rules():
            if not rule.rule.startswith(("/v1.0/", "/beta/")):
                continue
            path = re.sub(r"<[^>]+>", "sample", rule.rule.split("/", 2)[2])
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, "/" + path))
        return routes
    finally:
        lab.close()


ROUTES = served_routes()


def test_the_lab_serves_many_routes() -> None:
    assert len(ROUTES) > 100


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_served_route_has_a_rule(method: str, path: str) -> None:
    assert rule_for(method, path) is not None


def test_every_rule_names_known_permissions_and_a_learn_page() -> None:
    for rule in ROUTE_PERMISSIONS:
        assert rule.source.startswith("https://learn.microsoft.com/en-us/graph/api/")
        for clause in rule.clauses:
            assert clause and set(clause) <= set(GRAPH_APPLICATION_PERMISSIONS)


def test_the_graph_service_principal_roles_use_microsofts_ids() -> None:
    roles = {r["value"]: r for r in graph_app_roles()}
    assert roles["Application.ReadWrite.All"]["id"] == "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"
    assert roles["AppRoleAssignment.ReadWrite.All"]["id"] == "06b708a9-e830-4db3-a914-8e69da51d44f"
    assert roles["Synchronization.ReadWrite.All"]["id"] == "9b50c33d-700f-43b1-b2eb-87e89b703581"
    assert roles["User.ReadWrite.All"]["id"] == "741f803b-c850-494e-b5df-cde7c675a1ca"
    assert roles["Group.ReadWrite.All"]["id"] == "62a82d76-70ea-41e2-9197-370581804d09"
    assert roles["AuditLog.Read.All"]["id"] == "b0afded3-3588-46d8-8b3d-9842eff778da"
    assert all(r["allowedMemberTypes"] == ["Application"] for r in roles.values())


@pytest.mark.parametrize(
    ("roles", "method", "path", "allowed"),
    [
        ({"User.Read.All"}, "GET", "/users", True),
        ({"User.Read.All"}, "POST", "/users", False),
        ({"Directory.Read.All"}, "GET", "/users/x", True),
        ({"GroupMember.Read.All"}, "GET", "/groups/g/members", True),
        ({"GroupMember.Read.All"}, "GET", "/groups", False),
        ({"GroupMember.ReadWrite.All"}, "POST", "/groups/g/members/$ref", True),
        ({"Application.Read.All"}, "GET", "/servicePrincipals/s/appRoleAssignedTo", True),
        ({"Application.Read.All"}, "POST", "/servicePrincipals/s/appRoleAssignedTo", False),
        (
            {"AppRoleAssignment.ReadWrite.All"},
            "POST",
            "/servicePrincipals/s/appRoleAssignedTo",
            True,
        ),
        ({"Synchronization.Read.All"}, "GET", "/servicePrincipals/s/synchronization/jobs", True),
        (
            {"Synchronization.Read.All"},
            "POST",
            "/servicePrincipals/s/synchronization/jobs/j/start",
            False,
        ),
        (
            {"Synchronization.ReadWrite.All"},
            "PUT",
            "/servicePrincipals/s/synchronization/secrets",
            True,
        ),
        ({"AuditLog.Read.All"}, "GET", "/auditLogs/provisioning", False),  # and Directory.Read.All
        ({"AuditLog.Read.All", "Directory.Read.All"}, "GET", "/auditLogs/provisioning", True),
        ({"Application.ReadWrite.All"}, "POST", "/applicationTemplates/t/instantiate", True),
        ({"Application.Read.All"}, "POST", "/applications/a/addPassword", False),
        (set(), "POST", "/$batch", True),
    ],
)
def test_least_privileged_or_higher(roles: set[str], method: str, path: str, allowed: bool) -> None:
    assert permitted(frozenset(roles), method, path) is allowed


def test_the_admin_client_can_administer_the_miro_app() -> None:
    steps = [
        ("GET", "/applicationTemplates"),
        ("POST", "/applicationTemplates/t/instantiate"),
        ("GET", "/servicePrincipals/s/synchronization/templates"),
        ("POST", "/servicePrincipals/s/synchronization/jobs"),
        ("PUT", "/servicePrincipals/s/synchronization/secrets"),
        ("POST", "/servicePrincipals/s/appRoleAssignedTo"),
        ("POST", "/servicePrincipals/s/synchronization/jobs/j/start"),
        ("GET", "/auditLogs/provisioning"),
        ("POST", "/users"),
        ("POST", "/groups"),
    ]
    assert [s for s in steps if not permitted(frozenset(ADMIN_PERMISSIONS), *s)] == []
