"""Plain-HTTP tests of the application gallery: ``GET /applicationTemplates`` (``$filter``,
``$select``, paging), ``GET /applicationTemplates/{id}`` and ``instantiate``
(https://learn.microsoft.com/en-us/graph/api/applicationtemplate-instantiate)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_graph import GraphBackend
from mock_graph.models.gallery import NON_GALLERY_TEMPLATE_ID
from tests.support.graph import GraphClient

ACME_ID = "3f1b0a52-8a8e-4f36-9a0c-6f1f3c6a9d21"
ACME_ROLES = [
    {
        "id": "5b8d3c4e-1f2a-4b6c-8d7e-9f0a1b2c3d4e",
        "allowedMemberTypes": ["User"],
        "displayName": "Reader",
        "description": "Reader",
        "value": "reader",
        "isEnabled": True,
        "origin": "Application",
    }
]


@pytest.fixture
def acme(backend: GraphBackend) -> dict[str, Any]:
    template = {"id": ACME_ID, "displayName": "Acme", "publisher": "Acme Inc."}
    backend.gallery.add(template, ACME_ROLES)
    return template


def test_templates_list_filter_select_and_page(client: GraphClient, acme: dict[str, Any]) -> None:
    listed = client.get("/v1.0/applicationTemplates")
    assert listed.status_code == 200
    assert listed.json["@odata.context"].endswith("$metadata#applicationTemplates")
    ids = [t["id"] for t in listed.json["value"]]
    assert set(ids) == {ACME_ID, NON_GALLERY_TEMPLATE_ID}
    found = client.get("/v1.0/applicationTemplates?$filter=displayName eq 'Acme'").json["value"]
    assert [t["id"] for t in found] == [ACME_ID]
    assert found[0]["supportedProvisioningTypes"] == [] and found[0]["publisher"] == "Acme Inc."
    selected = client.get("/v1.0/applicationTemplates?$select=displayName&$top=1").json
    assert set(selected["value"][0]) == {"id", "displayName"}
    second = client.get(selected["@odata.nextLink"].split("localhost", 1)[-1]).json
    assert len(second["value"]) == 1 and "@odata.nextLink" not in second
    bad = client.get("/v1.0/applicationTemplates?$filter=nope eq 'x'")
    assert bad.status_code == 400


def test_get_one_template_and_an_unknown_one(client: GraphClient, acme: dict[str, Any]) -> None:
    one = client.get(f"/v1.0/applicationTemplates/{ACME_ID}")
    assert one.status_code == 200 and one.json["displayName"] == "Acme"
    missing = client.get("/v1.0/applicationTemplates/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "Request_ResourceNotFound"


def test_instantiate_adds_the_application_and_its_service_principal(
    client: GraphClient, backend: GraphBackend, acme: dict[str, Any]
) -> None:
    made = client.post(
        f"/v1.0/applicationTemplates/{ACME_ID}/instantiate", json={"displayName": "Acme EU"}
    )
    assert made.status_code == 201
    body = made.json
    assert body["@odata.context"].endswith("$metadata#microsoft.graph.applicationServicePrincipal")
    app, sp = body["application"], body["servicePrincipal"]
    assert app["displayName"] == sp["displayName"] == "Acme EU"
    assert app["applicationTemplateId"] == sp["applicationTemplateId"] == ACME_ID
    assert sp["appRoles"] == app["appRoles"] == ACME_ROLES
    assert sp["appRoleAssignmentRequired"] is True
    assert "WindowsAzureActiveDirectoryIntegratedApp" in sp["tags"]
    got = client.get(f"/v1.0/servicePrincipals/{sp['id']}").json
    assert got["appId"] == app["appId"] and got["applicationTemplateId"] == ACME_ID
    by_template = client.get(f"/v1.0/applications?$filter=applicationTemplateId eq '{ACME_ID}'")
    assert [a["id"] for a in by_template.json["value"]] == [app["id"]]


def test_the_non_gallery_template_gives_the_default_roles(client: GraphClient) -> None:
    made = client.post(
        f"/v1.0/applicationTemplates/{NON_GALLERY_TEMPLATE_ID}/instantiate",
        json={"displayName": "My SCIM app"},
    )
    assert made.status_code == 201
    names = {r["displayName"] for r in made.json["servicePrincipal"]["appRoles"]}
    assert names == {"User", "msiam_access"}


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": 5}])
def test_a_bad_instantiate_changes_nothing(
    client: GraphClient, backend: GraphBackend, acme: dict[str, Any], body: dict[str, Any]
) -> None:
    before = client.get("/v1.0/applications").json["value"]
    made = client.post(f"/v1.0/applicationTemplates/{ACME_ID}/instantiate", json=body)
    assert made.status_code == 400 and made.json["error"]["message"]
    assert client.get("/v1.0/applications").json["value"] == before
    unknown = client.post(
        "/v1.0/applicationTemplates/00000000-0000-0000-0000-000000000001/instantiate",
        json={"displayName": "x"},
    )
    assert unknown.status_code == 404
