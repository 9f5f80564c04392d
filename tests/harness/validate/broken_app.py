"""A small SCIM 2.0 app that behaves well, except for the flaws it is asked to have: the third
target of ``harness validate``'s tests, where each flaw must make exactly its check fail.

It understands what Entra sends (both PATCH dialects: capitalised ``op``, string booleans,
filtered and extension paths, the path-less ``replace`` keyed by attribute path, member removal
by value list or by value filter) and nothing more than the validator needs.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask import Flask, Response, jsonify, request

TOKEN = "broken-token"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

# Each flaw, and the one check it must make fail.
FLAWS = {
    "spc_without_patch": "discovery.service-provider-config",
    "no_schemas": "discovery.schemas",
    "duplicate_users_allowed": "users.create-duplicate",
    "case_sensitive_user_filter": "users.filter-different-case",
    "username_immutable": "users.update-username",
    "add_filtered_path_refused": "users.add-attributes",
    "manager_remove_ignored": "users.remove-manager",
    "string_false_ignored": "users.disable",
    "string_true_ignored": "users.reenable",
    "empty_and_null_ignored": "users.null-and-empty",
    "user_pagination_ignored": "users.pagination",
    "user_soft_delete": "users.delete",
    "group_create_refuses_adscim": "groups.create",
    "group_rename_ignored": "groups.update-display-name",
    "members_despite_exclusion": "groups.get-excluding-members",
}

_FILTER = re.compile(r'^\s*(?P<attr>[\w.:\[\]" -]+?)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$')
_PATH = re.compile(
    r"^(?:(?P<urn>urn:[^\[]*:(?:User|Group)):)?(?P<attr>\w+)"
    r'(?:\[(?P<fattr>\w+)\s+eq\s+"(?P<fval>[^"]*)"\])?(?:\.(?P<sub>\w+))?$'
)


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    response = jsonify(body)
    response.status_code = status
    return response


def _schemas() -> list[dict[str, Any]]:
    def attrs(*names: str, subs: dict[str, tuple[str, ...]] | None = None) -> list[dict[str, Any]]:
        subs = subs or {}
        return [
            {
                "name": n,
                "type": "complex" if n in subs else "string",
                "subAttributes": [{"name": s, "type": "string"} for s in subs.get(n, ())],
            }
            for n in names
        ]

    return [
        {
            "id": CORE_USER,
            "name": "User",
            "attributes": attrs(
                "userName",
                "displayName",
                "active",
                "name",
                "emails",
                subs={"name": ("givenName", "familyName"), "emails": ("value", "type", "primary")},
            ),
        },
        {
            "id": ENTERPRISE,
            "name": "EnterpriseUser",
            "attributes": attrs(
                "department", "employeeNumber", "manager", subs={"manager": ("value",)}
            ),
        },
        {"id": CORE_GROUP, "name": "Group", "attributes": attrs("displayName", "members")},
    ]


def create_app(*flaws: str) -> Flask:
    unknown = set(flaws) - set(FLAWS)
    assert not unknown, unknown
    flawed = set(flaws)
    app = Flask(__name__)
    store: dict[str, dict[str, dict[str, Any]]] = {"Users": {}, "Groups": {}}
    ids = itertools.count(1)

    @app.before_request
    def _auth() -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "Unauthorized")
        return None

    @app.get("/scim/ServiceProviderConfig")
    def spc() -> Response:
        return jsonify(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": {"supported": "spc_without_patch" not in flawed},
                "filter": {"supported": True, "maxResults": 100},
            }
        )

    @app.get("/scim/ResourceTypes")
    def resource_types() -> Response:
        return jsonify(
            {
                "schemas": [LIST],
                "totalResults": 2,
                "Resources": [
                    {"id": "User", "name": "User", "endpoint": "/Users", "schema": CORE_USER},
                    {"id": "Group", "name": "Group", "endpoint": "/Groups", "schema": CORE_GROUP},
                ],
            }
        )

    @app.get("/scim/Schemas")
    def schemas() -> Response:
        if "no_schemas" in flawed:
            return _error(404, "Not found")
        found = _schemas()
        return jsonify({"schemas": [LIST], "totalResults": len(found), "Resources": found})

    def _view(resource: str, item: dict[str, Any]) -> dict[str, Any]:
        out = dict(item)
        excluded = (request.args.get("excludedAttributes") or "").casefold()
        if (
            resource == "Groups"
            and "members" in excluded
            and "members_despite_exclusion" not in flawed
        ):
            out.pop("members", None)
        return out

    def _value_at(item: dict[str, Any], attr: str) -> Any:
        match = _PATH.match(attr)
        if not match:
            return None
        container = item.get(match["urn"], {}) if match["urn"] else item
        value = container.get(match["attr"])
        if match["fattr"]:
            value = next(
                (e for e in value or [] if str(e.get(match["fattr"])) == match["fval"]), None
            )
        if match["sub"] and isinstance(value, dict):
            value = value.get(match["sub"])
        return value

    @app.get("/scim/<resource>")
    def listing(resource: str) -> Response:
        if resource not in store:
            return _error(404, "Not found")
        items = list(store[resource].values())
        raw = request.args.get("filter")
        if raw:
            match = _FILTER.match(raw)
            if not match:
                return _error(400, f"Unsupported filter {raw!r}", "invalidFilter")
            wanted = match["value"].replace('\\"', '"')
            exact = resource == "Users" and "case_sensitive_user_filter" in flawed
            items = [
                i
                for i in items
                if (
                    str(_value_at(i, match["attr"])) == wanted
                    if exact
                    else str(_value_at(i, match["attr"])).casefold() == wanted.casefold()
                )
            ]
        total = len(items)
        start = int(request.args.get("startIndex", 1))
        count = int(request.args.get("count", 100))
        if resource == "Users" and "user_pagination_ignored" in flawed:
            start, count = 1, 100
        page = items[start - 1 : start - 1 + count]
        return jsonify(
            {
                "schemas": [LIST],
                "totalResults": total,
                "startIndex": start,
                "itemsPerPage": len(page),
                "Resources": [_view(resource, i) for i in page],
            }
        )

    @app.post("/scim/<resource>")
    def create(resource: str) -> Response:
        body = request.get_json()
        if resource == "Groups":
            if "group_create_refuses_adscim" in flawed and ADSCIM in body.get("schemas", []):
                return _error(400, f"Unknown schema {ADSCIM}", "invalidValue")
            key = "displayName"
        else:
            key = "userName"
        clash = [
            i
            for i in store[resource].values()
            if str(i.get(key)).casefold() == str(body.get(key)).casefold()
        ]
        if clash and not (resource == "Users" and "duplicate_users_allowed" in flawed):
            return _error(409, f"{key} already exists", "uniqueness")
        item = {k: v for k, v in body.items() if k not in ("meta", "id")}
        item["id"] = str(next(ids))
        if resource == "Groups":
            item.setdefault("members", [])
        store[resource][item["id"]] = item
        response = jsonify(item)
        response.status_code = 201
        return response

    def _find(resource: str, rid: str) -> dict[str, Any] | None:
        return store.get(resource, {}).get(rid)

    @app.get("/scim/<resource>/<rid>")
    def read(resource: str, rid: str) -> Response:
        item = _find(resource, rid)
        return jsonify(_view(resource, item)) if item is not None else _error(404, "Not found")

    @app.delete("/scim/<resource>/<rid>")
    def delete(resource: str, rid: str) -> Response:
        item = store.get(resource, {}).get(rid)
        if item is None:
            return _error(404, "Not found")
        if resource == "Users" and "user_soft_delete" in flawed:
            item["active"] = False  # still readable and found: the flaw
        else:
            del store[resource][rid]
        return Response(status=204)

    def _boolean(value: Any) -> Any:
        if value == "False":
            return "keep" if "string_false_ignored" in flawed else False
        if value == "True":
            return "keep" if "string_true_ignored" in flawed else True
        return value

    def _set(item: dict[str, Any], path: str, value: Any, op: str) -> Response | None:
        match = _PATH.match(path)
        if not match:
            return _error(400, f"Bad path {path!r}", "invalidPath")
        if value in ("", None) and "empty_and_null_ignored" in flawed:
            return None
        attr, sub = match["attr"], match["sub"]
        container = item.setdefault(match["urn"], {}) if match["urn"] else item
        if attr == "userName" and "username_immutable" in flawed:
            return _error(400, "userName is immutable", "mutability")
        if attr == "active":
            value = _boolean(value)
            if value == "keep":
                return None
        if match["fattr"]:
            if op == "add" and "add_filtered_path_refused" in flawed:
                return _error(400, "no value matches the path filter", "noTarget")
            entries = container.setdefault(attr, [])
            entry = next((e for e in entries if str(e.get(match["fattr"])) == match["fval"]), None)
            if entry is None:
                entry = {match["fattr"]: match["fval"]}
                entries.append(entry)
            if value in ("", None):
                entry.pop(sub or "value", None)
            else:
                entry[sub or "value"] = value
            return None
        if sub:
            parent = container.setdefault(attr, {})
            if value in ("", None):
                parent.pop(sub, None)
            else:
                parent[sub] = value
            return None
        if value in ("", None):
            container.pop(attr, None)
        else:
            container[attr] = value
        return None

    def _remove(item: dict[str, Any], path: str, value: Any) -> Response | None:
        member = re.match(r'^members\[value eq "([^"]*)"\]$', path)
        if member:
            item["members"] = [m for m in item.get("members", []) if m["value"] != member[1]]
            return None
        if path == "members":
            drop = {m["value"] for m in value or []}
            item["members"] = [m for m in item.get("members", []) if m["value"] not in drop]
            return None
        match = _PATH.match(path)
        if not match:
            return _error(400, f"Bad path {path!r}", "invalidPath")
        if match["attr"] == "manager" and "manager_remove_ignored" in flawed:
            return None
        container = item.get(match["urn"], {}) if match["urn"] else item
        container.pop(match["attr"], None)
        return None

    @app.patch("/scim/<resource>/<rid>")
    def patch(resource: str, rid: str) -> Response:
        item = _find(resource, rid)
        if item is None:
            return _error(404, "Not found")
        for operation in request.get_json().get("Operations", []):
            op = str(operation.get("op", "")).casefold()
            path, value = operation.get("path"), operation.get("value")
            if op == "remove":
                refused = _remove(item, path, value)
            elif path == "members" and op == "add":
                known = {m["value"] for m in item.setdefault("members", [])}
                item["members"] += [{"value": m["value"]} for m in value if m["value"] not in known]
                refused = None
            elif path is None and isinstance(value, dict):
                refused = next(
                    (r for k, v in value.items() if (r := _set(item, k, v, op)) is not None), None
                )
            elif (
                resource == "Groups" and path == "displayName" and "group_rename_ignored" in flawed
            ):
                refused = None
            else:
                refused = _set(item, path, value, op)
            if refused is not None:
                return refused
        if resource == "Groups":
            return Response(status=204)
        return jsonify(item)

    return app
