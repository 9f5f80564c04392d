"""Small steps the engine's end-to-end tests take on a :class:`~harness.lab.Lab`, all over HTTP
(Graph calls, the synchronization API, Miro's SCIM API and control plane). What they read back
is read with :mod:`harness.testing.readers`."""

from __future__ import annotations

from typing import Any

import httpx

from harness.lab.local import Lab
from harness.testing.readers import from_engine, source_filter

ZERO = "00000000-0000-0000-0000-000000000000"


def ok(response: httpx.Response, status: int | None = None) -> httpx.Response:
    expected = (status,) if status else (200, 201, 204)
    assert response.status_code in expected, (
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
    )
    return response


def add_user(lab: Lab, nick: str, **extra: Any) -> str:
    body = {
        "accountEnabled": True,
        "displayName": nick.capitalize() + " Tester",
        "givenName": nick.capitalize(),
        "surname": "Tester",
        "mailNickname": nick,
        "userPrincipalName": f"{nick}@contoso.com",
        "mail": f"{nick}@contoso.com",
        "passwordProfile": {"password": "Passw0rd!Passw0rd"},
    }
    body.update(extra)
    return str(ok(lab.graph_client.post("/v1.0/users", json=body)).json()["id"])


def update_user(lab: Lab, user_id: str, **changes: Any) -> None:
    ok(lab.graph_client.patch(f"/v1.0/users/{user_id}", json=changes), 204)


def delete_user(lab: Lab, user_id: str) -> None:
    ok(lab.graph_client.delete(f"/v1.0/users/{user_id}"), 204)


def restore_user(lab: Lab, user_id: str) -> None:
    ok(lab.graph_client.post(f"/v1.0/directory/deletedItems/{user_id}/restore"))


def assign(lab: Lab, principal_id: str, role: str = "User") -> str:
    role_id = ZERO if role == "Default Access" else lab.app_roles[role]
    body = {
        "principalId": principal_id,
        "resourceId": lab.service_principal_id,
        "appRoleId": role_id,
    }
    response = lab.graph_client.post(
        f"/v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo", json=body
    )
    return str(ok(response, 201).json()["id"])


def unassign(lab: Lab, assignment_id: str) -> None:
    ok(
        lab.graph_client.delete(
            f"/v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo/{assignment_id}"
        ),
        204,
    )


def add_group(lab: Lab, name: str) -> str:
    body = {
        "displayName": name,
        "mailEnabled": False,
        # Only what every group alias may hold: names such as "R&D (EMEA) #1" are fine.
        "mailNickname": "".join(c for c in name if c.isascii() and c.isalnum()).lower() or "group",
        "securityEnabled": True,
    }
    return str(ok(lab.graph_client.post("/v1.0/groups", json=body), 201).json()["id"])


def add_member(lab: Lab, group_id: str, member_id: str) -> None:
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{member_id}"}
    ok(lab.graph_client.post(f"/v1.0/groups/{group_id}/members/$ref", json=ref), 204)


def remove_member(lab: Lab, group_id: str, member_id: str) -> None:
    ok(lab.graph_client.delete(f"/v1.0/groups/{group_id}/members/{member_id}/$ref"), 204)


def put_secrets(lab: Lab, **pairs: str) -> None:
    """Set some secrets, keeping the others: Graph's PUT replaces the whole set, so the current
    set (unmasked, from the harness's control plane) is sent back with ``pairs`` applied."""
    path = f"/_fake/engine/secrets/{lab.service_principal_id}"
    current = {p["key"]: p["value"] for p in ok(lab.graph_client.get(path)).json()["value"]}
    body = {"value": [{"key": k, "value": v} for k, v in {**current, **pairs}.items()]}
    ok(lab.graph_client.put(f"{lab.sync_path}/secrets", json=body), 204)


def get_schema(lab: Lab) -> dict[str, Any]:
    return dict(ok(lab.graph_client.get(f"{lab.job_path}/schema")).json())


def put_schema(lab: Lab, schema: dict[str, Any]) -> httpx.Response:
    return lab.graph_client.put(f"{lab.job_path}/schema", json=schema)


def mapping(schema: dict[str, Any], source_object: str) -> dict[str, Any]:
    for rule in schema["synchronizationRules"]:
        for object_mapping in rule["objectMappings"]:
            if object_mapping["sourceObjectName"] == source_object:
                return object_mapping
    raise AssertionError(f"no {source_object} mapping")


ENTERPRISE_MANAGER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"


def map_manager(lab: Lab) -> None:
    """Map Entra's ``manager`` to the enterprise extension's manager (the template has none)."""
    schema = get_schema(lab)
    mapping(schema, "User")["attributeMappings"].append(
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "targetAttributeName": ENTERPRISE_MANAGER,
            "source": {
                "expression": "[manager]",
                "name": "manager",
                "parameters": [],
                "type": "Attribute",
            },
        }
    )
    ok(put_schema(lab, schema), 204)


def set_manager(lab: Lab, user_id: str, manager_id: str) -> None:
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{manager_id}"}
    ok(lab.graph_client.put(f"/v1.0/users/{user_id}/manager/$ref", json=ref), 204)


def set_group_flows(lab: Lab, flows: str) -> None:
    schema = get_schema(lab)
    mapping(schema, "Group")["flowTypes"] = flows
    ok(put_schema(lab, schema), 204)


def miro_seed_teams(lab: Lab, *names: str) -> dict[str, str]:
    ok(lab.miro_client.post("/_fake/seed", json={"seed": 1, "users": 0, "teams": list(names)}))
    teams = ok(lab.miro_client.get("/api/v1/scim/Groups")).json()["Resources"]
    return {t["displayName"]: t["id"] for t in teams}


def miro_set(lab: Lab, **settings: Any) -> None:
    ok(lab.miro_client.put("/_fake/settings", json=settings))


def miro_users(lab: Lab, *, with_token_owner: bool = False) -> dict[str, dict[str, Any]]:
    """Miro's users by userName (every page), without the SCIM token's owner whom every
    fresh organisation holds (the ``token_owner`` setting) unless asked for."""
    out: dict[str, dict[str, Any]] = {}
    start = 1
    while True:
        params = {"startIndex": str(start), "count": "200"}
        page = ok(lab.miro_client.get("/api/v1/scim/Users", params=params)).json()
        resources = page.get("Resources") or []
        out.update({u["userName"]: u for u in resources})
        start += len(resources)
        if not resources or start > int(page.get("totalResults", 0)):
            break
    owner = ok(lab.miro_client.get("/_fake/settings")).json().get("token_owner")
    if with_token_owner or not isinstance(owner, str):
        return out
    return {name: u for name, u in out.items() if name.lower() != owner.lower()}


def miro_user(lab: Lab, user_name: str) -> dict[str, Any] | None:
    return miro_users(lab).get(user_name)


def miro_create_user(lab: Lab, user_name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        **extra,
    }
    return dict(ok(lab.miro_client.post("/api/v1/scim/Users", json=body), 201).json())


def miro_group(lab: Lab, group_id: str) -> dict[str, Any]:
    return dict(ok(lab.miro_client.get(f"/api/v1/scim/Groups/{group_id}")).json())


def member_names(lab: Lab, group_id: str) -> set[str]:
    by_id = {u["id"]: name for name, u in miro_users(lab, with_token_owner=True).items()}
    return {by_id.get(m["value"], m["value"]) for m in miro_group(lab, group_id).get("members", [])}


def drain_journal(lab: Lab) -> list[dict[str, Any]]:
    """What Miro received from the engine since the last drain, as raw journal entries (the
    lab's own calls and control-plane calls left out); empties Miro's journal."""
    requests = ok(lab.miro_client.get("/_fake/journal")).json()["requests"]
    ok(lab.miro_client.delete("/_fake/journal"))
    return [r for r in requests if from_engine(r)]


def logs_for(lab: Lab, source_id: str) -> list[dict[str, Any]]:
    return lab.provisioning_logs(source_filter(source_id))


def last_log(lab: Lab, source_id: str) -> dict[str, Any]:
    entries = logs_for(lab, source_id)
    assert entries, f"no provisioning log entry for {source_id}"
    return entries[-1]


def started(lab: Lab) -> Lab:
    """Start the job and run the initial cycle; clear Miro's journal."""
    lab.start()
    cycles = lab.advance("0")
    assert len(cycles) == 1 and cycles[0]["type"] == "initial", cycles
    drain_journal(lab)
    return lab
