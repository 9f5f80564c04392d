"""Discovery documents (ServiceProviderConfig, ResourceTypes, Schemas) and attribute tables.

Miro publishes no full attribute lists; these follow the attributes Miro documents
(https://developers.miro.com/docs/users, https://developers.miro.com/docs/groups) with the
characteristics of RFC 7643 section 8.7 (https://www.rfc-editor.org/rfc/rfc7643#section-8.7).
The same definitions drive the PATCH and filter engines (canonical names, types), so what
/Schemas says is what the fake does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RT_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

ORG_USER_ROLE = "organization_user_role"
ORG_ADMIN_ROLE = "organization_admin_role"
ORG_ROLE_VALUES = ("ORGANIZATION_INTERNAL_ADMIN", "ORGANIZATION_INTERNAL_USER")
LICENSES = ("Full", "Free", "Free Restricted", "Full (Trial)", "Basic", "Standard", "Advanced")


def _attr(
    name: str,
    type_: str = "string",
    *,
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    description: str = "",
    canonical: list[str] | None = None,
    ref_types: list[str] | None = None,
    sub: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if canonical:
        out["canonicalValues"] = canonical
    if ref_types:
        out["referenceTypes"] = ref_types
    if sub is not None:
        out["subAttributes"] = sub
    return out


USER_ATTRIBUTES: list[dict[str, Any]] = [
    _attr(
        "userName",
        required=True,
        uniqueness="server",
        description="Unique login identifier; must be an e-mail address.",
    ),
    _attr(
        "name",
        "complex",
        description="The user's name; given + family name at most 60 characters.",
        sub=[
            _attr("formatted", description="Full name, at most 60 characters."),
            _attr("familyName"),
            _attr("givenName"),
        ],
    ),
    _attr("displayName", description="Name shown in Miro, at most 60 characters."),
    _attr(
        "userType",
        description="Licence: Full, Free, Free Restricted, Full (Trial), Basic, "
        "Standard or Advanced (organisation dependent); no downgrade after creation.",
    ),
    _attr("active", "boolean", description="Deactivated users keep their data and are not billed."),
    _attr("preferredLanguage", description="For example en_US."),
    _attr(
        "emails",
        "complex",
        multi=True,
        description="E-mail addresses.",
        sub=[
            _attr("value"),
            _attr("display"),
            _attr("type", canonical=["work"]),
            _attr("primary", "boolean"),
        ],
    ),
    _attr(
        "photos",
        "complex",
        multi=True,
        description="Profile picture URL (jpg, jpeg, bmp, png, gif).",
        sub=[
            _attr("value", "reference", ref_types=["external"], case_exact=True),
            _attr("type", canonical=["photo"]),
        ],
    ),
    _attr(
        "roles",
        "complex",
        multi=True,
        description="Organisation role (type organization_user_role, "
        "exactly one, primary) and admin roles (type organization_admin_role).",
        sub=[
            _attr("value"),
            _attr("display"),
            _attr("type", canonical=[ORG_USER_ROLE, ORG_ADMIN_ROLE]),
            _attr("primary", "boolean"),
        ],
    ),
    _attr(
        "groups",
        "complex",
        multi=True,
        mutability="readOnly",
        description="Teams (or user groups) the user belongs to.",
        sub=[
            _attr("value", mutability="readOnly"),
            _attr("display", mutability="readOnly"),
            _attr("$ref", "reference", ref_types=["Group"], mutability="readOnly", case_exact=True),
        ],
    ),
]

ENTERPRISE_ATTRIBUTES: list[dict[str, Any]] = [
    _attr("employeeNumber", description="At most 20 characters."),
    _attr("costCenter", description="At most 120 characters."),
    _attr("organization", description="At most 120 characters."),
    _attr("division", description="At most 120 characters."),
    _attr("department", description="At most 120 characters."),
    _attr(
        "manager",
        "complex",
        description="manager.value must be numeric, otherwise it is ignored.",
        sub=[
            _attr("value"),
            _attr("displayName", description="At most 60 characters."),
        ],
    ),
]

GROUP_ATTRIBUTES: list[dict[str, Any]] = [
    _attr("displayName", required=True, description="Team name."),
    _attr(
        "members",
        "complex",
        multi=True,
        description="Team members (users).",
        sub=[
            _attr("value", mutability="immutable"),
            _attr("display", mutability="readOnly", description="The member's full name."),
            _attr("$ref", "reference", ref_types=["User"], mutability="immutable", case_exact=True),
            _attr("type", mutability="immutable", canonical=["User"]),
        ],
    ),
]


def _schema(
    urn: str, name: str, description: str, attributes: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": attributes,
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    USER_SCHEMA: _schema(USER_SCHEMA, "User", "User Account", USER_ATTRIBUTES),
    GROUP_SCHEMA: _schema(GROUP_SCHEMA, "Group", "Team", GROUP_ATTRIBUTES),
    ENTERPRISE_SCHEMA: _schema(
        ENTERPRISE_SCHEMA, "EnterpriseUser", "Enterprise User", ENTERPRISE_ATTRIBUTES
    ),
}

RESOURCE_TYPES: dict[str, dict[str, Any]] = {
    "User": {
        "schemas": [RT_SCHEMA],
        "id": "User",
        "name": "User",
        "description": "User",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
    },
    "Group": {
        "schemas": [RT_SCHEMA],
        "id": "Group",
        "name": "Group",
        "description": "Group",
        "endpoint": "/Groups",
        "schema": GROUP_SCHEMA,
    },
}

SERVICE_PROVIDER_CONFIG: dict[str, Any] = {
    "schemas": [SPC_SCHEMA],
    "documentationUri": "https://developers.miro.com/docs/scim",
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": 200},
    "changePassword": {"supported": False},
    "sort": {"supported": True},
    "etag": {"supported": False},
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth 2.0 Bearer Token",
            "description": "The OAuth 2.0 Bearer Token Authentication scheme. OAuth enables clients to "
            "access protected resources by obtaining an access token.",
            "specUri": "http://tools.ietf.org/html/rfc6750",
            "primary": True,
        }
    ],
}


@dataclass(frozen=True)
class AttrInfo:
    """What the engines need to know about one attribute or sub-attribute."""

    name: str
    type: str
    multi: bool
    case_exact: bool
    mutability: str
    subs: dict[str, AttrInfo]


def _info(defn: dict[str, Any]) -> AttrInfo:
    subs = {s["name"].lower(): _info(s) for s in defn.get("subAttributes", [])}
    return AttrInfo(
        defn["name"], defn["type"], defn["multiValued"], defn["caseExact"], defn["mutability"], subs
    )


def _table(attrs: list[dict[str, Any]]) -> dict[str, AttrInfo]:
    return {a["name"].lower(): _info(a) for a in attrs}


_COMMON = [
    _attr("id", case_exact=True, mutability="readOnly", returned="always"),
    _attr("externalId", case_exact=True),
    _attr(
        "meta",
        "complex",
        mutability="readOnly",
        sub=[
            _attr("resourceType", mutability="readOnly"),
            _attr("location", mutability="readOnly"),
            _attr("created", "dateTime", mutability="readOnly"),
            _attr("lastModified", "dateTime", mutability="readOnly"),
        ],
    ),
]

USER_TABLE: dict[str, AttrInfo] = {**_table(_COMMON), **_table(USER_ATTRIBUTES)}
ENTERPRISE_TABLE: dict[str, AttrInfo] = _table(ENTERPRISE_ATTRIBUTES)
GROUP_TABLE: dict[str, AttrInfo] = {**_table(_COMMON), **_table(GROUP_ATTRIBUTES)}
EXTENSIONS: dict[str, dict[str, AttrInfo]] = {ENTERPRISE_SCHEMA.lower(): ENTERPRISE_TABLE}
