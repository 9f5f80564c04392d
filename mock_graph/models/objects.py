"""The stored objects (directory objects, app role assignments) and how they become Graph JSON:
default property sets, ``$select`` projection and the ``@odata.type`` discriminator msgraph-sdk
needs on mixed directoryObject collections."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from mock_graph.schemas import TYPES


@dataclass
class DirObject:
    """A user, group, application or servicePrincipal: its kind and its Graph properties."""

    kind: str
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.kind}"


@dataclass
class Assignment:
    """An appRoleAssignment: ``principal_id`` holds ``app_role_id`` on ``resource_id``."""

    id: str
    app_role_id: str
    principal_id: str
    principal_type: str
    principal_display_name: str | None
    resource_id: str
    resource_display_name: str | None
    created: str

    def data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "appRoleId": self.app_role_id,
            "principalId": self.principal_id,
            "principalType": self.principal_type,
            "principalDisplayName": self.principal_display_name,
            "resourceId": self.resource_id,
            "resourceDisplayName": self.resource_display_name,
            "createdDateTime": self.created,
            "deletedDateTime": None,
        }


WRITE_ONLY = {"passwordProfile"}


def project(
    kind: str, data: dict[str, Any], select: list[str] | None, *, with_type: bool = False
) -> dict[str, Any]:
    """The object as Graph returns it: default properties, or exactly ``select`` (plus id)."""
    etype = TYPES[kind]
    names = select if select is not None else etype.default_props()
    out: dict[str, Any] = {}
    if with_type:
        out["@odata.type"] = etype.odata_type
    out["id"] = data.get("id")
    for name in names:
        if name == "id" or name not in etype.props:
            continue
        value = None if name in WRITE_ONLY else data.get(name)
        out[name] = copy.deepcopy(value) if isinstance(value, list | dict) else value
    return out
