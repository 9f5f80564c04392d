"""What each Graph type has: properties, which are returned by default, which are writable,
and which ``$filter`` operators work with and without an advanced query
(Microsoft documents them per type, e.g. https://learn.microsoft.com/en-us/graph/api/resources/user,
and the filter operators in https://learn.microsoft.com/en-us/graph/aad-advanced-queries).

Operator vocabulary: eq, ne, not, in, startsWith, endsWith, ge, le (gt/lt count as ge/le),
eqnull (``eq null``/``ne null``) and any (lambda on a collection).
"""

from __future__ import annotations

from dataclasses import dataclass

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
# The app roles a non-gallery enterprise application starts with.
DEFAULT_APP_ROLES = [
    {
        "id": "18d14569-c3bd-439b-9a66-3a2aee01d14f",
        "allowedMemberTypes": ["User"],
        "displayName": "User",
        "description": "User",
        "value": None,
        "isEnabled": True,
        "origin": "Application",
    },
    {
        "id": "b9632174-c057-4f7e-951b-be3adc52bfe6",
        "allowedMemberTypes": ["User"],
        "displayName": "msiam_access",
        "description": "msiam_access",
        "value": None,
        "isEnabled": True,
        "origin": "Application",
    },
]


@dataclass(frozen=True)
class Prop:
    name: str
    type: str  # string | bool | datetime | guid | strings | complex | approles | int | records
    default: bool  # returned without $select
    writable: bool
    filter_default: frozenset[str]
    filter_adv: frozenset[str]
    orderby: str = "no"  # "default" | "adv" | "no"


def _p(
    name: str,
    type_: str = "string",
    *,
    default: bool = False,
    writable: bool = True,
    ops: str = "",
    adv: str = "",
    orderby: str = "no",
) -> Prop:
    return Prop(
        name, type_, default, writable, frozenset(ops.split()), frozenset(adv.split()), orderby
    )


STR_DEFAULT = "eq ge le in startsWith"
STR_ADV = "ne not eqnull"


@dataclass(frozen=True)
class EntityType:
    name: str  # microsoft.graph.<name>
    resource: str  # as named in Graph's error messages
    props: dict[str, Prop]

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.name}"

    def default_props(self) -> list[str]:
        return [p.name for p in self.props.values() if p.default]


def _type(name: str, resource: str, props: list[Prop]) -> EntityType:
    return EntityType(name, resource, {p.name: p for p in props})


USER = _type(
    "user",
    "User",
    [
        _p("id", default=True, writable=False, ops="eq in", adv="ne not"),
        _p("businessPhones", "strings", default=True, ops="any", adv="not"),
        _p(
            "displayName",
            default=True,
            ops="eq in startsWith ge le",
            adv="ne not eqnull endsWith",
            orderby="default",
        ),
        _p("givenName", default=True, ops=STR_DEFAULT, adv=STR_ADV),
        _p("surname", default=True, ops=STR_DEFAULT, adv=STR_ADV),
        _p("jobTitle", default=True, ops=STR_DEFAULT, adv=STR_ADV),
        _p("mail", default=True, ops=STR_DEFAULT, adv="ne not eqnull endsWith"),
        _p("mobilePhone", default=True, adv=STR_DEFAULT + " " + STR_ADV),
        _p("officeLocation", default=True, adv=STR_DEFAULT + " " + STR_ADV),
        _p("preferredLanguage", default=True, adv=STR_DEFAULT + " " + STR_ADV),
        _p(
            "userPrincipalName",
            default=True,
            ops="eq le ge in startsWith",
            adv="ne not endsWith",
            orderby="default",
        ),
        _p("accountEnabled", "bool", ops="eq in", adv="ne not ge le"),
        _p("mailNickname", ops=STR_DEFAULT, adv=STR_ADV),
        _p("department", ops=STR_DEFAULT, adv=STR_ADV),
        _p("employeeId", ops="eq startsWith", adv="ne not le ge in eqnull"),
        _p("employeeType", adv=STR_DEFAULT + " " + STR_ADV),
        _p("employeeHireDate", "datetime", adv="eq ne not ge le in eqnull"),
        _p("companyName", adv=STR_DEFAULT + " " + STR_ADV),
        _p("usageLocation", ops=STR_DEFAULT, adv="ne not"),
        _p("userType", ops="eq in", adv="ne not eqnull"),
        _p("city", ops=STR_DEFAULT, adv=STR_ADV),
        _p("state", ops=STR_DEFAULT, adv=STR_ADV),
        _p("country", ops=STR_DEFAULT, adv=STR_ADV),
        _p("streetAddress", adv=STR_DEFAULT + " " + STR_ADV),
        _p("postalCode", adv=STR_DEFAULT + " " + STR_ADV),
        _p("faxNumber", adv=STR_DEFAULT + " " + STR_ADV),
        _p("preferredDataLocation", ops=STR_DEFAULT, adv=STR_ADV),
        _p("onPremisesImmutableId", adv="eq ne not ge le in"),
        _p("onPremisesSamAccountName", ops=STR_DEFAULT, adv=STR_ADV),
        _p("onPremisesSyncEnabled", "bool", ops="eq in", adv="ne not eqnull"),
        # sub-properties (employeeOrgData/costCenter, onPremisesExtensionAttributes/extensionAttribute1)
        _p("onPremisesExtensionAttributes", "complex", adv=STR_DEFAULT + " " + STR_ADV),
        _p("employeeOrgData", "complex", adv=STR_DEFAULT + " " + STR_ADV),
        _p("otherMails", "strings", ops="any", adv="not"),
        _p("proxyAddresses", "strings", ops="any", adv="not"),
        _p(
            "createdDateTime",
            "datetime",
            writable=False,
            ops="eq ge le",
            adv="ne not in",
            orderby="adv",
        ),
        _p(
            "deletedDateTime",
            "datetime",
            writable=False,
            ops="eq ge le",
            adv="ne not in",
            orderby="adv",
        ),
        _p("passwordProfile", "complex"),  # write-only: never echoed back
        _p("passwordPolicies"),
        _p("ageGroup"),
        _p("externalUserState", writable=False),
    ],
)

GROUP = _type(
    "group",
    "Group",
    [
        _p("id", default=True, writable=False, ops="eq in", adv="ne not"),
        _p(
            "displayName",
            default=True,
            ops="eq in startsWith ge le",
            adv="ne not eqnull endsWith",
            orderby="default",
        ),
        _p("description", default=True, ops="eq ge le startsWith", adv="ne not eqnull"),
        _p("mailNickname", default=True, ops=STR_DEFAULT, adv=STR_ADV),
        _p("mailEnabled", "bool", default=True, ops="eq", adv="ne not"),
        _p("securityEnabled", "bool", default=True, ops="eq in", adv="ne not"),
        _p("groupTypes", "strings", default=True, ops="any", adv="not"),
        _p("mail", default=True, writable=False, ops=STR_DEFAULT, adv=STR_ADV + " endsWith"),
        _p("visibility", default=True),
        _p("isAssignableToRole", "bool", default=True, ops="eq", adv="ne not"),
        _p("membershipRule", default=True),
        _p("membershipRuleProcessingState", default=True),
        _p("proxyAddresses", "strings", default=True, writable=False, ops="any", adv="not"),
        _p("securityIdentifier", default=True, writable=False),
        _p(
            "onPremisesSyncEnabled",
            "bool",
            default=True,
            writable=False,
            ops="eq",
            adv="ne not eqnull",
        ),
        _p(
            "createdDateTime",
            "datetime",
            default=True,
            writable=False,
            ops="eq ge le in",
            adv="ne not",
            orderby="adv",
        ),
        _p("deletedDateTime", "datetime", default=True, writable=False),
    ],
)

APPLICATION = _type(
    "application",
    "Application",
    [
        _p("id", default=True, writable=False, ops="eq in", adv="ne not"),
        _p("appId", default=True, writable=False, ops="eq in", adv="ne not"),
        _p(
            "displayName",
            default=True,
            ops="eq in startsWith ge le",
            adv="ne not eqnull endsWith",
            orderby="default",
        ),
        _p("description", default=True, ops="eq startsWith", adv="ne not eqnull"),
        _p("appRoles", "approles", default=True),
        _p("applicationTemplateId", default=True, writable=False, ops="eq", adv="ne not"),
        _p("identifierUris", "strings", default=True, ops="any", adv="not"),
        _p("signInAudience", default=True, ops="eq in", adv="ne not"),
        _p("publisherDomain", default=True, writable=False, ops="eq in startsWith", adv="ne not"),
        _p("tags", "strings", default=True, ops="any", adv="not"),
        _p("notes", default=True),
        # Set only by addPassword/removePassword; secretText is never stored (only a hint).
        _p("passwordCredentials", "records", default=True, writable=False),
        _p(
            "createdDateTime",
            "datetime",
            default=True,
            writable=False,
            ops="eq ge le in",
            adv="ne not",
        ),
        _p("deletedDateTime", "datetime", default=True, writable=False),
    ],
)

SERVICE_PRINCIPAL = _type(
    "servicePrincipal",
    "ServicePrincipal",
    [
        _p("id", default=True, writable=False, ops="eq in", adv="ne not"),
        _p("appId", default=True, ops="eq in", adv="ne not"),
        _p(
            "displayName",
            default=True,
            ops="eq in startsWith ge le",
            adv="ne not eqnull endsWith",
            orderby="default",
        ),
        _p(
            "appDisplayName",
            default=True,
            writable=False,
            ops="eq in startsWith",
            adv="ne not eqnull",
        ),
        _p("appRoles", "approles", default=True),
        _p("applicationTemplateId", default=True, writable=False, ops="eq", adv="ne not"),
        _p("appRoleAssignmentRequired", "bool", default=True, ops="eq", adv="ne not"),
        _p("accountEnabled", "bool", default=True, ops="eq in", adv="ne not"),
        _p("servicePrincipalType", default=True, ops="eq in", adv="ne not"),
        _p(
            "appOwnerOrganizationId",
            "guid",
            default=True,
            writable=False,
            ops="eq in",
            adv="ne not",
        ),
        _p("servicePrincipalNames", "strings", default=True, ops="any", adv="not"),
        _p("tags", "strings", default=True, ops="any", adv="not"),
        _p("preferredSingleSignOnMode", default=True, ops="eq in", adv="ne not"),
        _p("description", default=True),
        _p("notes", default=True),
        _p("homepage", default=True),
        _p("loginUrl", default=True),
        _p("createdDateTime", "datetime", default=True, writable=False),
        _p("deletedDateTime", "datetime", default=True, writable=False),
    ],
)

APP_ROLE_ASSIGNMENT = _type(
    "appRoleAssignment",
    "AppRoleAssignment",
    [
        _p("id", default=True, writable=False, ops="eq in"),
        _p("appRoleId", "guid", default=True, ops="eq"),
        _p("principalId", "guid", default=True, ops="eq"),
        _p("principalType", default=True, writable=False, ops="eq"),
        _p("principalDisplayName", default=True, writable=False, ops="eq startsWith"),
        _p("resourceId", "guid", default=True, ops="eq"),
        _p("resourceDisplayName", default=True, writable=False, ops="eq startsWith"),
        _p("createdDateTime", "datetime", default=True, writable=False),
        _p("deletedDateTime", "datetime", default=True, writable=False),
    ],
)

# Gallery entries (https://learn.microsoft.com/en-us/graph/api/resources/applicationtemplate):
# not a directory object, so not in TYPES.
APPLICATION_TEMPLATE = _type(
    "applicationTemplate",
    "ApplicationTemplate",
    [
        _p("id", default=True, writable=False, ops="eq"),
        _p("displayName", default=True, writable=False, ops="eq startsWith", orderby="default"),
        _p("homePageUrl", default=True, writable=False),
        _p("logoUrl", default=True, writable=False),
        _p("publisher", default=True, writable=False, ops="eq startsWith"),
        _p("categories", "strings", default=True, writable=False, ops="any"),
        _p("description", default=True, writable=False),
        _p("supportedProvisioningTypes", "strings", default=True, writable=False, ops="any"),
        _p("supportedSingleSignOnModes", "strings", default=True, writable=False, ops="any"),
    ],
)

TYPES: dict[str, EntityType] = {
    t.name: t for t in (USER, GROUP, APPLICATION, SERVICE_PRINCIPAL, APP_ROLE_ASSIGNMENT)
}

# Create requires these (user.md, group-post-groups.md).
REQUIRED_ON_CREATE = {
    "user": (
        "accountEnabled",
        "displayName",
        "mailNickname",
        "passwordProfile",
        "userPrincipalName",
    ),
    "group": ("displayName", "mailEnabled", "mailNickname", "securityEnabled"),
    "application": ("displayName",),
    "servicePrincipal": ("appId",),
}


def cast_kind(segment: str) -> str | None:
    """``graph.user`` / ``microsoft.graph.user`` -> ``user`` (None if not a cast segment)."""
    for prefix in ("microsoft.graph.", "graph."):
        if segment.startswith(prefix):
            name = segment[len(prefix) :]
            return name if name in TYPES else None
    return None


def is_cast(segment: str) -> bool:
    return segment.startswith(("microsoft.graph.", "graph."))
