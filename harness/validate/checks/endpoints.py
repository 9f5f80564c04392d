"""The discovery endpoints (RFC 7644 §4). Entra's engine reads none of them for a custom app;
gallery apps with schema discovery have ``/Schemas`` read when the admin saves the provisioning
configuration (Microsoft's SCIM guide:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups),
and Microsoft's validator can build its tests from it."""

from __future__ import annotations

from typing import Any

from harness.validate.checks.common import answered, last
from harness.validate.discovery import CORE, supports
from harness.validate.model import Check, CheckFailed, CheckSkipped
from harness.validate.session import Session

SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
NOT_READ = (
    "Entra's engine does not read this endpoint for a custom app: provisioning is not affected."
)


def _get(s: Session, path: str) -> Any:
    response = s.send("GET", path)
    if response.status_code != 200:
        raise CheckFailed(f"GET {path} answered {answered(last(s))}", production=NOT_READ)
    try:
        return response.json()
    except ValueError:
        raise CheckFailed(f"GET {path} answered 200 without JSON", production=NOT_READ) from None


def service_provider_config(s: Session) -> str:
    body = _get(s, "/ServiceProviderConfig")
    if not isinstance(body, dict) or SPC not in (body.get("schemas") or []):
        raise CheckFailed(f"the answer does not list the schema {SPC}", production=NOT_READ)
    patch = body.get("patch")
    if not isinstance(patch, dict) or patch.get("supported") is not True:
        raise CheckFailed(
            f"patch.supported is {patch.get('supported') if isinstance(patch, dict) else None!r}",
            production="Entra updates users and groups only with PATCH: declare it supported.",
        )
    return "200 with patch.supported true"


def resource_types(s: Session) -> str:
    body = _get(s, "/ResourceTypes")
    resources = body.get("Resources") if isinstance(body, dict) else body
    names = {str(r.get("name") or r.get("id")) for r in resources or [] if isinstance(r, dict)}
    wanted = {"User", "Group"} if s.group_mapping is not None and s.groups_on else {"User"}
    missing = sorted(wanted - names)
    if missing:
        raise CheckFailed(
            f"the resource types are {sorted(names)}; missing {missing}", production=NOT_READ
        )
    return f"200 listing {', '.join(sorted(names))}"


def schemas(s: Session) -> str:
    exchange = s.schemas_exchange
    if exchange is None:
        raise CheckSkipped("/Schemas was not read")
    if exchange.status != 200:
        raise CheckFailed(f"GET /Schemas answered {answered(exchange)}", production=NOT_READ)
    if s.declared is None:
        raise CheckFailed("GET /Schemas answered no schema definitions", production=NOT_READ)
    user_urn = CORE["user"].casefold()
    if not any(n.startswith(user_urn + ":") for n in s.declared):
        raise CheckFailed(f"/Schemas does not define {CORE['user']}", production=NOT_READ)
    kinds = ["User"] + (["Group"] if s.group_mapping is not None and s.groups_on else [])
    undeclared = [
        f"{kind}.{attr.target}"
        for kind in kinds
        for attr in s.mapping(kind).attribute_mappings
        if attr.is_mapped and not supports(s.declared, kind, attr.target)
    ]
    if undeclared:
        raise CheckFailed(
            f"mapped attributes /Schemas does not declare: {', '.join(undeclared)}",
            production="For a gallery app with schema discovery, Entra offers only declared "
            "attributes in the mapping editor; a custom app is not affected.",
        )
    dropped = (
        f"; not declared, so left out of the tests: {', '.join(s.dropped)}" if s.dropped else ""
    )
    return f"200; every mapped attribute is declared{dropped}"


def _check(id_: str, name: str, run: Any, expected: str) -> Check:
    return Check(id_, name, "Discovery", False, expected, "RFC 7644 §4; RFC 7643 §5-7", run)


CHECKS = [
    _check(
        "discovery.service-provider-config",
        "Discovery - ServiceProviderConfig",
        service_provider_config,
        "200 with the ServiceProviderConfig schema and patch.supported true",
    ),
    _check(
        "discovery.resource-types",
        "Discovery - ResourceTypes",
        resource_types,
        "200 listing the User resource type (and Group when groups are tested)",
    ),
    _check(
        "discovery.schemas",
        "Discovery - Schemas",
        schemas,
        "200 defining the User schema (and Group), with every mapped attribute declared",
    ),
]
