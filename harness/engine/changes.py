"""The small records a cycle keeps about changes, and the texts and helpers the pipelines
share."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.engine.directory import DirectoryError
from harness.engine.errors import ErrorInfo
from harness.engine.logs.entries import EntryBuilder
from harness.engine.rules.log_values import log_value
from harness.engine.scope import (
    DISABLED,
    FILTERED,
    HARD_DELETED,
    NOT_ENTITLED,
    SOFT_DELETED,
    UNASSIGNED,
    Verdict,
)

ADD, UPDATE, DELETE = "Add", "Update", "Delete"
# Where the mirror keeps a user's manager (the Graph object id, from ``manager@delta``).
MANAGER_KEY = "@managerId"


@dataclass
class Touch:
    """Why a group is looked at in this cycle."""

    change: str = UPDATE
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    full_member_sync: bool = False


@dataclass
class HeldDeletion:
    entry: EntryBuilder
    action: str
    export: Callable[[], None]
    hard: bool
    attrs: dict[str, Any]


def guest_upn(upn: str) -> str:
    """For B2B users the source ``userPrincipalName`` is rewritten from
    ``alias_theirdomain#EXT#@yourdomain`` to ``alias@theirdomain``;
    ``originalUserPrincipalName`` keeps the full value
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works)."""
    local = upn.split("#EXT#", 1)[0]
    alias, sep, domain = local.rpartition("_")
    return f"{alias}@{domain}" if sep and alias and domain else upn


def why_out(verdict: Verdict) -> str:
    return {
        UNASSIGNED: "it is no longer assigned to the application in Azure Active Directory",
        NOT_ENTITLED: "it no longer has a role that entitles it to provisioning",
        FILTERED: "it no longer passes the scoping filters",
        DISABLED: "it is disabled in Azure Active Directory",
        SOFT_DELETED: "it was deleted in Azure Active Directory",
        HARD_DELETED: "it was deleted in Azure Active Directory",
    }.get(verdict.reason or "", "it is out of scope")


def source_details(attrs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in attrs.items()
        if not k.startswith("@") and not isinstance(v, dict | list) and v is not None
    }


def group_modified(source: dict[str, Any]) -> list[dict[str, Any]]:
    names = ("objectId", "displayName", "mailEnabled", "securityEnabled")
    return [
        {"displayName": n, "oldValue": None, "newValue": log_value(source.get(n))}
        for n in names
        if source.get(n) is not None
    ]


def stable_guid(kind: str, seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"harness:{kind}:{seed}"))


def directory_error(exc: DirectoryError) -> ErrorInfo:
    return ErrorInfo(
        "InternalError",
        f"Message: Reading Azure Active Directory failed: {exc.status} {exc.code}: {exc.message}.",
        category="failure",
        retryable=True,
    )
