"""The support-case format: the declarative schema every case file is validated against.

The field-by-field documentation is docs/support-cases.md; the ``doc``
strings here are the short form. Keys that name Graph user attributes or engine settings are
passed through (the service behind them rejects unknown ones, and the runner reports that
with the line of the entry).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from harness.cases.schema import ANY, OPTIONAL, SCALAR, B, I, L, M, S, Spec, U
from harness.clock import parse_duration
from harness.engine.rules.scoping import ScopeError, canonical_operator


def _duration(value: Any) -> str | None:
    try:
        parse_duration(value)
    except ValueError as exc:
        return str(exc)
    return None


def _operator(value: Any) -> str | None:
    try:
        canonical_operator(str(value))
    except ScopeError as exc:
        return str(exc)
    return None


def _regex(value: Any) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return None


# Bulk forms: a name pattern numbered n = from..to (user{n:02} -> user01, user02, ...).
MAX_BULK = 10_000


def _pattern(value: Any) -> str | None:
    if "{n" not in value:
        return "a name pattern needs {n}, e.g. user{n:02}"
    return _template(value)


def _template(value: Any) -> str | None:
    try:
        value.format(n=1)
    except (KeyError, IndexError, ValueError) as exc:
        return f"not a template with {{n}} only: {exc!r}"
    return None


def _bounds(first: Any, last: Any) -> str | None:
    if not isinstance(first, int) or not isinstance(last, int):
        return None  # the field checks say so
    if last < first:
        return f"'to' ({last}) is before 'from' ({first})"
    if last - first + 1 > MAX_BULK:
        return f"{last - first + 1} objects is more than {MAX_BULK:,}"
    return None


def _range(value: dict[str, Any]) -> str | None:
    return _bounds(value.get("from"), value.get("to"))


def _principal_or_range(value: dict[str, Any]) -> str | None:
    ranged = [k for k in ("pattern", "from", "to") if k in value]
    if "principal" in value and ranged:
        return "give either 'principal' or 'pattern', 'from' and 'to', not both"
    if "principal" not in value and len(ranged) != 3:
        return "give 'principal', or 'pattern', 'from' and 'to'"
    return _range(value) if ranged else None


def _generated(value: dict[str, Any]) -> str | None:
    """A directory entry with ``count`` generates that many objects from its templates."""
    if "count" not in value:
        return "'from' needs 'count'" if "from" in value else None
    if "{n" not in str(value.get("name", "")):
        return "with 'count', 'name' must be a pattern with {n}, e.g. user{n:02}"
    for key, item in value.items():
        if isinstance(item, str) and (problem := _template(item)):
            return f"{key}: {problem}"
    first = value.get("from", 1)
    return _bounds(first, first + value["count"] - 1) if isinstance(first, int) else None


RANGE_FIELDS = {
    "pattern": S(check=_pattern, doc="a name pattern with {n}, e.g. user{n:02}"),
    "from": I(doc="first n"),
    "to": I(doc="last n (included)"),
}
NAME_RANGE = M(RANGE_FIELDS, "pattern", "from", "to", check=_range)
NAMES = U(S(), L(S()), NAME_RANGE, doc="a name, a list of names, or {pattern, from, to}")

DURATION = U(S(check=_duration), I(), doc='a duration such as "40m", "1d", "PT40M" or seconds')
ACTIONS = ("create", "update", "delete", "disable", "stageddelete", "other")
STATUSES = ("success", "failure", "skipped", "warning")
JOB_CODES = ("NotConfigured", "NotRun", "Active", "Paused", "Quarantine")
OBJECTS = ("User", "Group")

# A Graph user: ``name`` is how the case refers to it; other keys are Graph user attributes.
USER = M(
    {
        "name": S(doc="the case's name for the user; alice -> alice@contoso.com"),
        "upn": S(doc="userPrincipalName, if not <name>@contoso.com"),
        "role": S(doc="assign the user to Miro with this app role (e.g. User, Default Access)"),
        "accountEnabled": B,
        "count": I(doc="generate this many users; name and string values are {n} templates"),
        "from": I(doc="the first n when generating (default 1)"),
    },
    "name",
    values=U(SCALAR, L(ANY)),
    check=_generated,
)

GROUP = M(
    {
        "name": S(doc="the group's displayName"),
        "members": U(L(S()), NAME_RANGE, doc="names of users or groups, or {pattern, from, to}"),
        "role": S(doc="assign the group to Miro with this app role"),
        "count": I(doc="generate this many groups; name and members are {n} templates"),
        "from": I(doc="the first n when generating (default 1)"),
    },
    "name",
    values=SCALAR,
    check=_generated,
)

ASSIGNMENT = M({"principal": S(), "role": S()}, "principal")
# One principal, or a numbered range of them, with an optional role.
ASSIGNMENTS = U(
    S(),
    L(U(S(), ASSIGNMENT)),
    M({"principal": S(), "role": S(), **RANGE_FIELDS}, check=_principal_or_range),
    doc="a name, a list, {principal, role} or {pattern, from, to, role}",
)

MIRO_USER = M(
    {
        "userName": S(),
        "active": B,
        "displayName": S(),
        "givenName": S(),
        "familyName": S(),
        "email": S(),
        "externalId": S(),
        "department": S(),
        "userType": S(),
        "teams": L(S(), doc="Miro teams the user belongs to"),
    },
    "userName",
)

CLAUSE = M(
    {
        "attribute": S(doc="source attribute, e.g. department"),
        "operator": S(check=_operator, doc="EQUALS, NOT EQUALS, IS NULL, REGEX MATCH, ..."),
        "value": U(SCALAR, L(SCALAR)),
    },
    "attribute",
    "operator",
)
SCOPING_FILTER = M({"name": S(), "clauses": L(CLAUSE)}, "clauses")
MAPPING_EDIT = M(
    {
        "target": S(doc="targetAttributeName, e.g. displayName"),
        "expression": S(doc="source expression, e.g. [userPrincipalName] or Join(...)"),
        "remove": B,
        "matchingPriority": I(),
    },
    "target",
)
PER_OBJECT_FLOWS = M({"User": S(), "Group": S()})
PER_OBJECT_SCOPING = M({"User": L(SCOPING_FILTER), "Group": L(SCOPING_FILTER)})
PER_OBJECT_MAPPINGS = M({"User": L(MAPPING_EDIT), "Group": L(MAPPING_EDIT)})

FAULT = M(
    {
        "method": S("GET", "POST", "PUT", "PATCH", "DELETE", "*"),
        "path": S(check=_regex, doc="regex on the request path, e.g. ^/api/v1/scim/Users$"),
        "status": I(),
        "times": I(),
        "probability": Spec("number"),
        "body": ANY,
        "retry_after": I(),
        "latency_ms": I(),
    }
)

STEPS: dict[str, Spec | None] = {
    "start": None,
    "pause": None,
    "sync": None,
    "next_cycle": None,
    "clear_faults": None,
    "advance": DURATION,
    "restart": OPTIONAL(
        U(S(), M({"scope": S()}), doc="optional resetScope, e.g. Full or ForceDeletes")
    ),
    "add_user": USER,
    "update_user": M(
        {"user": NAMES}, "user", values=U(SCALAR, L(ANY)), doc="with a range, values are templates"
    ),
    "disable": NAMES,
    "enable": NAMES,
    "soft_delete": NAMES,
    "restore": NAMES,
    "hard_delete": NAMES,
    "add_group": GROUP,
    "add_member": M({"group": S(), "member": NAMES}, "group", "member"),
    "remove_member": M({"group": S(), "member": NAMES}, "group", "member"),
    "rename_group": M({"group": S(), "to": S()}, "group", "to"),
    "delete_group": NAMES,
    "assign": ASSIGNMENTS,
    "unassign": ASSIGNMENTS,
    "secrets": M({}, values=SCALAR),
    "settings": M({}, values=ANY),
    "job_settings": M({}, values=SCALAR),
    "flows": PER_OBJECT_FLOWS,
    "scoping": PER_OBJECT_SCOPING,
    "mappings": PER_OBJECT_MAPPINGS,
    "fault": FAULT,
    "miro_settings": M({}, values=ANY),
    "miro_add_user": MIRO_USER,
    "miro_delete_user": NAMES,
    "provision_on_demand": U(S(), M({"subject": S(), "members": L(S())}, "subject")),
    "note": S(doc="a remark shown in the report"),
}

SCIM_USER_ATTRIBUTES = (
    "id",
    "externalId",
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "emails",
    "phoneNumbers",
    "photos",
    "roles",
    "groups",
    "employeeNumber",
    "department",
    "givenName",
    "familyName",
    "email",
)


def _scim_path(key: str) -> str | None:
    """Extra keys of a Miro user expectation are SCIM attribute paths."""
    if "." in key or key.startswith("urn:") or key in SCIM_USER_ATTRIBUTES:
        return None
    close = difflib.get_close_matches(key, SCIM_USER_ATTRIBUTES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{key!r} is not a SCIM user attribute{hint}; use a dotted path such as name.givenName"


EXPECT_MIRO_USER = M(
    {
        "userName": S(),
        "absent": B,
        "active": B,
        "displayName": S(),
        "externalId": S(),
        "department": S(),
        "givenName": S(),
        "familyName": S(),
        "email": S(),
        "userType": S(),
    },
    "userName",
    values=U(SCALAR, L(ANY), M({}, values=ANY)),
    key_check=_scim_path,
)
EXPECT_TEAM = M({"name": S(), "members": L(S()), "absent": B}, "name")
EXPECT_LOG = M(
    {
        "object": S(doc="the case's name of a user or group"),
        "action": S(*ACTIONS),
        "status": S(*STATUSES),
        "skip_reason": S(),
        "error_code": S(),
        "step": S(doc="a provisioning step name that must be present"),
        "description": S(doc="text the entry's step descriptions must contain"),
        "modified": M({}, values=L(ANY)),
        "latest": B,
        "count": I(),
    },
    "object",
)
EXPECT_JOB = M(
    {
        "code": S(*JOB_CODES),
        "quarantine_reason": S(),
        "quarantine_since": S(),
        "last_state": S(),
        "escrowed": I(),
    }
)
EXPECT_REQUEST = M(
    {
        "method": S("GET", "POST", "PUT", "PATCH", "DELETE"),
        "path": S(check=_regex, doc="regex on the path after /api/v1/scim, e.g. ^/Users$"),
        "query": S(doc="text the decoded query must contain"),
        "status": I(),
        "body": ANY,
        "count": I(),
    }
)

EXPECT_FIELDS = {
    "miro": M({"users": L(EXPECT_MIRO_USER), "teams": L(EXPECT_TEAM), "user_count": I()}),
    "logs": L(EXPECT_LOG),
    "job": EXPECT_JOB,
    "requests": L(EXPECT_REQUEST),
}
# A checkpoint: expectations checked at that moment of the steps.
STEPS["expect"] = M(
    {**EXPECT_FIELDS, "label": S(doc="what this checkpoint shows, e.g. the symptom")},
    doc="expectations checked at this moment",
)

CASE = M(
    {
        "title": S(),
        "ticket": S(
            doc="the customer's words: the case reproduces them (a pass reads 'reproduced')"
        ),
        "description": S(),
        "seed": I(),
        "lab_state_file": S(
            doc="a whole lab saved by harness serve (format harness-lab-state), "
            "loaded before everything else; relative to the case file"
        ),
        "xfail": S(
            doc="known to fail (an engine or fake gap): the reason; pytest marks it xfail(strict)"
        ),
        "directory": M(
            {
                "users": L(USER),
                "groups": L(GROUP),
                "generate": M({"seed": I(), "users": I(), "groups": I()}),
                "assignments": L(ASSIGNMENT),
            }
        ),
        "miro": M(
            {
                "settings": M({}, values=ANY),
                "teams": L(S()),
                "users": L(MIRO_USER),
                "state_file": S(doc="a GET /_fake/state dump, relative to the case file"),
            }
        ),
        "job": M(
            {
                "settings": M({}, values=ANY, doc="engine settings (PUT /_fake/engine/settings)"),
                "secrets": M(
                    {}, values=SCALAR, doc="SyncAll, SkipOutOfScopeDeletions, SecretToken, ..."
                ),
                "job_settings": M({}, values=SCALAR, doc="QuarantineTooManyDeletesThreshold, ..."),
                "schema_file": S(
                    doc="a synchronizationSchema exported from a tenant, relative path"
                ),
                "flows": PER_OBJECT_FLOWS,
                "scoping": PER_OBJECT_SCOPING,
                "mappings": PER_OBJECT_MAPPINGS,
            }
        ),
        "steps": Spec("steps", steps=STEPS),
        "expect": M(EXPECT_FIELDS),
    },
    "title",
    "steps",
    "expect",
)
