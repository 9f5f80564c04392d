"""The application gallery: ``applicationTemplate`` resources
(https://learn.microsoft.com/en-us/graph/api/resources/applicationtemplate) and the app roles an
instance of each starts with.

The fake knows no application by itself except the documented non-gallery template
(``8adf8e6e-67b2-4cf2-a259-e3dc5476c621``, "Use the following ID for applicationTemplate" in
https://learn.microsoft.com/en-us/graph/api/applicationtemplate-instantiate): whoever builds the
fake adds gallery entries (the harness adds Miro). The gallery is Microsoft's catalogue, not
tenant data: a directory reset or a state load leaves it alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from mock_graph.models.values import is_guid
from mock_graph.schemas import DEFAULT_APP_ROLES

NON_GALLERY_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
TEMPLATE_FIELDS = (
    "id",
    "displayName",
    "homePageUrl",
    "logoUrl",
    "publisher",
    "categories",
    "description",
    "supportedProvisioningTypes",
    "supportedSingleSignOnModes",
)


@dataclass(frozen=True)
class GalleryEntry:
    template: dict[str, Any]  # the applicationTemplate resource
    app_roles: list[dict[str, Any]]  # what an instance's application and service principal get


class ApplicationGallery:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, GalleryEntry] = {}
        self.add(
            {
                "id": NON_GALLERY_TEMPLATE_ID,
                # The name is not documented; this is how the admin center labels the choice.
                "displayName": "Create your own application",
                "homePageUrl": None,
                "logoUrl": None,
                "publisher": "Microsoft Corporation",
                "categories": [],
                "description": "Integrate any other application you don't find in the gallery.",
                "supportedProvisioningTypes": ["sync"],
                "supportedSingleSignOnModes": ["password", "saml", "notSupported"],
            },
            DEFAULT_APP_ROLES,
        )

    def add(self, template: dict[str, Any], app_roles: list[dict[str, Any]]) -> None:
        """Add (or replace) an entry; ``template`` needs a GUID ``id`` and a ``displayName``."""
        if not is_guid(str(template.get("id", ""))):
            raise ValueError("an application template needs a GUID id")
        if not isinstance(template.get("displayName"), str) or not template["displayName"]:
            raise ValueError("an application template needs a displayName")
        resource = {name: template.get(name) for name in TEMPLATE_FIELDS}
        for name in ("categories", "supportedProvisioningTypes", "supportedSingleSignOnModes"):
            resource[name] = list(resource[name] or [])
        entry = GalleryEntry(resource, [dict(role) for role in app_roles])
        with self._lock:
            self._entries[str(template["id"]).lower()] = entry

    def templates(self) -> list[dict[str, Any]]:
        """Every template, by display name (then id)."""
        with self._lock:
            entries = list(self._entries.values())
        return [
            dict(e.template)
            for e in sorted(entries, key=lambda e: (e.template["displayName"], e.template["id"]))
        ]

    def get(self, template_id: str) -> GalleryEntry | None:
        with self._lock:
            return self._entries.get(template_id.lower())
