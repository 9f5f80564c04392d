"""Microsoft Graph's application permissions: the Microsoft Graph service principal's app roles
(Microsoft's published ids and values, https://learn.microsoft.com/en-us/graph/permissions-reference)
and, for each route the fake serves, the permissions it needs (each route's Microsoft Learn page,
"Permissions" table, Application row: the least privileged one or any higher one listed there).

Used only when the app checks identities (``create_app(check_permissions=True)``,
``harness serve --strict-auth``): a token's ``roles`` must satisfy every clause of the route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
MICROSOFT_GRAPH_NAME = "Microsoft Graph"
# The tenant Microsoft's first-party applications belong to (appOwnerOrganizationId).
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

# value -> (id, display name): the application permissions the served routes name.
GRAPH_APPLICATION_PERMISSIONS: dict[str, tuple[str, str]] = {
    "Application.Read.All": ("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Read all applications"),
    "Application.ReadWrite.All": (
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Read and write all applications",
    ),
    "Application.ReadWrite.OwnedBy": (
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
        "Manage apps that this app creates or owns",
    ),
    "AppRoleAssignment.ReadWrite.All": (
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "Manage app permission grants and app role assignments",
    ),
    "AuditLog.Read.All": ("b0afded3-3588-46d8-8b3d-9842eff778da", "Read all audit log data"),
    "Directory.Read.All": ("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Read directory data"),
    "Directory.ReadWrite.All": (
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Read and write directory data",
    ),
    "Group.Read.All": ("5b567255-7703-4780-807c-7be8301ae99b", "Read all groups"),
    "Group.ReadWrite.All": ("62a82d76-70ea-41e2-9197-370581804d09", "Read and write all groups"),
    "GroupMember.Read.All": (
        "98830695-27a2-44f7-8c18-0c3ebc9698f6",
        "Read all group memberships",
    ),
    "GroupMember.ReadWrite.All": (
        "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
        "Read and write all group memberships",
    ),
    "Organization.Read.All": (
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        "Read organization information",
    ),
    "Organization.ReadWrite.All": (
        "292d869f-3427-49a8-9dab-8c70152b74e9",
        "Read and write organization information",
    ),
    "Synchronization.Read.All": (
        "5ba43d2f-fa88-4db2-bd1c-a67c5f0fb1ce",
        "Read all Azure AD synchronization data",
    ),
    "Synchronization.ReadWrite.All": (
        "9b50c33d-700f-43b1-b2eb-87e89b703581",
        "Read and write all Azure AD synchronization data",
    ),
    "User.Read.All": ("df021288-bdef-4463-88db-98f22de89214", "Read all users' full profiles"),
    "User.ReadWrite.All": (
        "741f803b-c850-494e-b5df-cde7c675a1ca",
        "Read and write all users' full profiles",
    ),
}


def graph_app_roles() -> list[dict[str, object]]:
    """The Microsoft Graph service principal's ``appRoles`` (application permissions)."""
    return [
        {
            "allowedMemberTypes": ["Application"],
            "description": f"Allows the app to {name[0].lower()}{name[1:]} without a signed-in user.",
            "displayName": name,
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": value,
        }
        for value, (role_id, name) in sorted(GRAPH_APPLICATION_PERMISSIONS.items())
    ]


# An application that administers the Miro app (the ready file's client): what it is granted.
ADMIN_PERMISSIONS = (
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Synchronization.ReadWrite.All",
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "AuditLog.Read.All",
    # List provisioningObjectSummary needs "AuditLog.Read.All and Directory.Read.All".
    "Directory.Read.All",
)

# Higher permissions that include a lower one (each Learn page lists them as "higher").
_READ_USERS = (
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
_WRITE_USERS = ("User.ReadWrite.All", "Directory.ReadWrite.All")
_READ_GROUPS = (
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
_WRITE_GROUPS = ("Group.ReadWrite.All", "Directory.ReadWrite.All")
_READ_MEMBERS = ("GroupMember.Read.All", *_READ_GROUPS, "GroupMember.ReadWrite.All")
_WRITE_MEMBERS = ("GroupMember.ReadWrite.All", *_WRITE_GROUPS)
_READ_APPS = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
# Application.ReadWrite.OwnedBy is the least privileged for writes, but only on applications
# the caller owns; the fake keeps no owners, so it asks for Application.ReadWrite.All.
_WRITE_APPS = ("Application.ReadWrite.All",)
_ASSIGN = ("AppRoleAssignment.ReadWrite.All",)
_READ_SYNC = ("Synchronization.Read.All", "Synchronization.ReadWrite.All")
_WRITE_SYNC = ("Synchronization.ReadWrite.All",)
_READ_ORG = (
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
_READ_DIRECTORY = ("Directory.Read.All", "Directory.ReadWrite.All")
_AUDIT = ("AuditLog.Read.All",)
_DELETED_READ = (*_READ_USERS, *_READ_GROUPS, *_READ_APPS)
_DELETED_WRITE = (*_WRITE_USERS, *_WRITE_GROUPS, *_WRITE_APPS)

Clause = tuple[str, ...]  # any one of these permissions satisfies the clause


@dataclass(frozen=True)
class RoutePermission:
    """Methods and a path pattern (below the version prefix), and the clauses it needs."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    clauses: tuple[Clause, ...]
    source: str


def _rule(methods: str, pattern: str, *clauses: Clause, source: str) -> RoutePermission:
    return RoutePermission(
        frozenset(methods.split()),
        re.compile(pattern),
        clauses,
        f"https://learn.microsoft.com/en-us/graph/api/{source}",
    )


_SEG = r"[^/]+"
_SP = rf"/servicePrincipals(?:/{_SEG}|\(appId='[^']*'\))"
_APP = rf"/applications(?:/{_SEG}|\(appId='[^']*'\))"

# First match wins: specific paths before their prefixes.
ROUTE_PERMISSIONS: tuple[RoutePermission, ...] = (
    _rule(
        "GET",
        r"/auditLogs/provisioning(/.*)?",
        _AUDIT,
        _READ_DIRECTORY,
        source="provisioningobjectsummary-list",
    ),
    _rule("GET", r"/auditLogs/directoryAudits(/.*)?", _AUDIT, source="directoryaudit-list"),
    _rule(
        "GET",
        rf"{_SP}/synchronization(/.*)?",
        _READ_SYNC,
        source="synchronization-synchronizationjob-get",
    ),
    _rule(
        "POST PUT PATCH DELETE",
        rf"{_SP}/synchronization(/.*)?",
        _WRITE_SYNC,
        source="synchronization-synchronizationjob-start",
    ),
    _rule(
        "GET",
        rf"{_SP}/appRoleAssignedTo(/.*)?",
        _READ_APPS,
        source="serviceprincipal-list-approleassignedto",
    ),
    _rule(
        "POST DELETE",
        rf"{_SP}/appRoleAssignedTo(/.*)?",
        _ASSIGN,
        source="serviceprincipal-post-approleassignedto",
    ),
    _rule(
        "GET",
        rf"{_SP}/appRoleAssignments(/.*)?",
        _READ_APPS,
        source="serviceprincipal-list-approleassignments",
    ),
    _rule(
        "POST DELETE",
        rf"{_SP}/appRoleAssignments(/.*)?",
        _ASSIGN,
        source="serviceprincipal-post-approleassignments",
    ),
    _rule(
        "GET", rf"/servicePrincipals(/\$count)?|{_SP}", _READ_APPS, source="serviceprincipal-list"
    ),
    _rule(
        "POST PATCH DELETE",
        rf"/servicePrincipals|{_SP}",
        _WRITE_APPS,
        source="serviceprincipal-post-serviceprincipals",
    ),
    _rule(
        "POST",
        rf"{_APP}/(addPassword|removePassword)",
        _WRITE_APPS,
        source="application-addpassword",
    ),
    _rule("GET", rf"/applications(/\$count)?|{_APP}", _READ_APPS, source="application-list"),
    _rule(
        "POST PATCH DELETE",
        rf"/applications|{_APP}",
        _WRITE_APPS,
        source="application-post-applications",
    ),
    _rule("GET", r"/applicationTemplates(/[^/]+)?", _READ_APPS, source="applicationtemplate-list"),
    _rule(
        "POST",
        r"/applicationTemplates/[^/]+/instantiate",
        _WRITE_APPS,
        source="applicationtemplate-instantiate",
    ),
    _rule(
        "GET",
        rf"/users/{_SEG}/appRoleAssignments(/.*)?",
        _READ_USERS,
        source="user-list-approleassignments",
    ),
    _rule(
        "POST DELETE",
        rf"/users/{_SEG}/appRoleAssignments(/.*)?",
        _ASSIGN,
        source="user-post-approleassignments",
    ),
    _rule(
        "GET",
        rf"/users/{_SEG}/(memberOf|transitiveMemberOf)(/.*)?",
        _READ_USERS,
        source="user-list-memberof",
    ),
    _rule("PUT DELETE", rf"/users/{_SEG}/manager/\$ref", _WRITE_USERS, source="user-post-manager"),
    _rule("GET", r"/users(/.*)?", _READ_USERS, source="user-list"),
    _rule("POST PATCH DELETE", r"/users(/.*)?", _WRITE_USERS, source="user-post-users"),
    _rule(
        "GET",
        rf"/groups/{_SEG}/appRoleAssignments(/.*)?",
        _READ_GROUPS,
        source="group-list-approleassignments",
    ),
    _rule(
        "POST DELETE",
        rf"/groups/{_SEG}/appRoleAssignments(/.*)?",
        _ASSIGN,
        source="group-post-approleassignments",
    ),
    _rule(
        "GET",
        rf"/groups/{_SEG}/(members|transitiveMembers)(/.*)?",
        _READ_MEMBERS,
        source="group-list-members",
    ),
    _rule(
        "POST DELETE", rf"/groups/{_SEG}/members(/.*)?", _WRITE_MEMBERS, source="group-post-members"
    ),
    _rule("GET", r"/groups(/.*)?", _READ_GROUPS, source="group-list"),
    _rule("POST PATCH DELETE", r"/groups(/.*)?", _WRITE_GROUPS, source="group-post-groups"),
    _rule(
        "GET", r"/directory/deletedItems(/.*)?", _DELETED_READ, source="directory-deleteditems-list"
    ),
    _rule(
        "POST DELETE",
        r"/directory/deletedItems(/.*)?",
        _DELETED_WRITE,
        source="directory-deleteditems-restore",
    ),
    _rule("GET POST", r"/directoryObjects/.*", _READ_DIRECTORY, source="directoryobject-get"),
    _rule("GET", r"/organization(/.*)?", _READ_ORG, source="organization-get"),
    # $batch needs nothing itself: each request in it is checked on its own.
    _rule("POST", r"/\$batch", source="json-batching"),
)
# A route no rule names needs the broadest directory permission (there is none today: a test
# checks every served route against the table).
FALLBACK = {"GET": (_READ_DIRECTORY,)}
FALLBACK_WRITE: tuple[Clause, ...] = (("Directory.ReadWrite.All",),)


def rule_for(method: str, path: str) -> RoutePermission | None:
    """The first rule naming ``method`` and matching ``path`` (below /v1.0 or /beta)."""
    for rule in ROUTE_PERMISSIONS:
        if method in rule.methods and rule.pattern.fullmatch(path):
            return rule
    return None


def required_clauses(method: str, path: str) -> tuple[Clause, ...]:
    rule = rule_for(method, path)
    if rule is not None:
        return rule.clauses
    return FALLBACK.get(method, FALLBACK_WRITE)


def permitted(roles: frozenset[str] | set[str], method: str, path: str) -> bool:
    """Whether a token with these ``roles`` may call ``method path``."""
    return all(any(p in roles for p in clause) for clause in required_clauses(method, path))
