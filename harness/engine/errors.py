"""Error classification: a target's answer (or a transport failure) -> the provisioning log's
``errorInformation`` and what the engine does next. Error codes as Microsoft lists them in
"Understand how provisioning logs work"
(https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs).

One function decides, so escrow, quarantine and throttling policies read the same
verdict the log shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SERVICE_INCOMPATIBLE = "SystemForCrossDomainIdentityManagementServiceIncompatible"
# The codes the error table says are retried automatically ("retried in 40 minutes", "This
# attempt is automatically retried"): a failure of the moment, not of the configuration.
TRANSIENT_CODES = frozenset(
    {
        "InternalServerError",
        "WebExceptionProtocolError",
        "InternalError",
        "Timeout",
        "TooManyRequests",
    }
)


@dataclass
class ErrorInfo:
    code: str
    reason: str
    # failure | nonServiceFailure
    # (https://learn.microsoft.com/en-us/graph/api/resources/provisioningerrorinfo)
    category: str = "nonServiceFailure"
    status: int | None = None
    retryable: bool = False  # escrow and retry on a later cycle
    quarantine: bool = False  # quarantine at once (credentials, SCIM compliance)
    retry_after: float | None = None
    additional_details: str | None = None
    recommended_action: str | None = None

    @property
    def transient(self) -> bool:
        """A failure of the moment (5xx, timeout, connection, throttling): retried later."""
        return self.code in TRANSIENT_CODES

    def to_json(self) -> dict[str, Any]:
        return {
            "errorCode": self.code,
            "reason": self.reason,
            "additionalDetails": self.additional_details,
            "errorCategory": self.category,
            "recommendedAction": self.recommended_action,
        }


class TargetError(Exception):
    """A target request failed; carries its classification."""

    def __init__(self, info: ErrorInfo, request_line: str = "") -> None:
        super().__init__(f"{info.code}: {info.reason}")
        self.info = info
        self.request_line = request_line


def app_prefix(app_name: str) -> str:
    """``Miro`` -> ``Miro``; ``Contoso App`` -> ``ContosoApp`` (the ``<App>EntryConflict`` form)."""
    return re.sub(r"[^A-Za-z0-9]", "", app_name) or "Target"


def scim_detail(body: Any) -> str:
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("error")
        if detail:
            return str(detail)
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return ""


def classify_response(
    app_name: str,
    status: int,
    body: Any,
    *,
    operation: str,
    filter_query: bool = False,
    retry_after: float | None = None,
) -> ErrorInfo:
    """Classify an HTTP error answer. ``operation`` is ``query``, ``get``, ``create``, ``update``
    or ``delete``; ``filter_query`` marks a ``?filter=`` list request."""
    detail = scim_detail(body)
    if detail and not detail.rstrip().endswith((".", "!", "?")):
        detail = detail.rstrip() + "."  # the next sentence follows
    said = f" The error returned was: {detail}" if detail else ""
    base = f"{app_name} returned an error response with the HTTP status code {status}.{said}"
    if status == 401:
        return ErrorInfo(
            "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
            f"Message: {base} The credentials provided for {app_name} are not valid.",
            category="failure",
            status=status,
            quarantine=True,
            # Escrowed as well: the object is retried once the quarantine lifts, not lost.
            retryable=True,
        )
    if status == 404 and filter_query:
        return ErrorInfo(
            SERVICE_INCOMPATIBLE,
            f"Message: {base} A query with a filter must answer 200 with a ListResponse, "
            "even when nothing matches.",
            category="failure",
            status=status,
            quarantine=True,
            retryable=True,
        )
    if status == 404 and operation in ("get", "update", "delete"):
        return ErrorInfo(
            "InvalidAnchor",
            f"Message: {base} The object previously created or matched no longer exists in "
            f"{app_name}.",
            status=status,
            retryable=True,
        )
    if status == 400:
        return ErrorInfo(
            "SystemForCrossDomainIdentityManagementBadRequest",
            f"Message: {base} The SCIM endpoint is not fully compatible with the Azure Active "
            "Directory SCIM client.",
            status=status,
            retryable=True,
        )
    if status == 409:
        return ErrorInfo(
            f"{app_prefix(app_name)}EntryConflict",
            f"Message: {base} This response indicates that a user or a group already exisits "
            f"with the same name. This can be avoided by identifying and removing the "
            f"conflicting user from {app_name} via the {app_name} administrative user "
            f"interface, or removing the current user from the scope of provisioning either by "
            f"removing their assignment to the {app_name} application in Azure Active Directory "
            f"or adding a scoping filter to exclude the user.",
            status=status,
            retryable=True,
        )
    if status == 403:
        return ErrorInfo("InsufficientRights", f"Message: {base}", status=status, retryable=True)
    if status == 405:
        return ErrorInfo("MethodNotAllowed", f"Message: {base}", status=status, retryable=True)
    if status == 429:
        return ErrorInfo(
            "TooManyRequests",
            f"Message: {base} This attempt is automatically retried.",
            category="failure",
            status=status,
            retryable=True,
            retry_after=retry_after,
        )
    if status == 501:
        return ErrorInfo("NotImplemented", f"Message: {base}", status=status, retryable=True)
    if status == 422 or status == 413:
        return ErrorInfo("UnprocessableEntity", f"Message: {base}", status=status, retryable=True)
    if status >= 500:
        return ErrorInfo(
            "InternalServerError",
            f"Message: {base}",
            category="failure",
            status=status,
            retryable=True,
        )
    return ErrorInfo(
        "SystemForCrossDomainIdentityManagementBadRequest",
        f"Message: {base}",
        status=status,
        retryable=True,
    )


def classify_transport(app_name: str, exc: Exception) -> ErrorInfo:
    name = type(exc).__name__
    if "Timeout" in name:
        return ErrorInfo(
            "Timeout",
            f"Message: {app_name} did not answer in time.",
            category="failure",
            retryable=True,
        )
    return ErrorInfo(
        "WebExceptionProtocolError",
        f"Message: The request to {app_name} failed at the HTTP protocol level ({name}: {exc}).",
        category="failure",
        retryable=True,
    )


def incompatible(app_name: str, what: str, status: int | None = None) -> ErrorInfo:
    return ErrorInfo(
        SERVICE_INCOMPATIBLE,
        f"Message: The response from {app_name} could not be understood: {what}",
        category="failure",
        status=status,
        retryable=True,
    )


MULTIPLE_ENTRIES = "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse"


def multiple_entries(app_name: str, what: str) -> ErrorInfo:
    """A GET answered several resources where one was expected (e.g. a group
    GET that returned its members)."""
    return ErrorInfo(
        MULTIPLE_ENTRIES,
        f"Message: {app_name} returned more than was asked for: {what}",
        category="failure",
        retryable=True,
    )
