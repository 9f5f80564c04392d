"""The source directory as the engine reads it: Microsoft Graph over HTTP.

Initial cycles start a delta round (which enumerates everything, page by page, through
``@odata.nextLink``); incremental cycles follow the stored ``@odata.deltaLink`` and so read only
changes. Assignments come from the service principal's ``appRoleAssignedTo/delta`` (a
fake-only extension of Graph: the real service reads them internally).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.http import BorrowedTransport, make_client

# Properties the user mappings can read; Graph's delta returns a small default set otherwise.
USER_SELECT = (
    "id,userPrincipalName,displayName,givenName,surname,mail,mailNickname,accountEnabled,"
    "jobTitle,department,employeeId,companyName,usageLocation,officeLocation,mobilePhone,"
    "businessPhones,preferredLanguage,city,country,state,streetAddress,postalCode,userType,"
    "employeeType,faxNumber,otherMails,proxyAddresses,createdDateTime,manager"
)
GROUP_SELECT = (
    "id,displayName,description,mailNickname,mailEnabled,securityEnabled,groupTypes,members"
)


class DirectoryError(Exception):
    """Graph answered an error the cycle cannot continue past."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ResyncRequired(DirectoryError):
    """The delta token expired (``syncStateNotFound``, ``410 Gone``): start a new round."""


@dataclass
class DeltaRound:
    items: list[dict[str, Any]] = field(default_factory=list)
    delta_link: str = ""
    pages: int = 0


class GraphDirectory:
    def __init__(
        self,
        transport: httpx.BaseTransport,
        base_url: str,
        *,
        token: str = "harness-provisioning-engine",
        refresh_token: Callable[[httpx.Client], str | None] | None = None,
        max_pages: int = 100_000,
        user_select: str | None = USER_SELECT,
        group_select: str | None = GROUP_SELECT,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.max_pages = max_pages
        self.user_select = user_select
        self.group_select = group_select
        self.client = make_client(
            transport=BorrowedTransport(transport),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=60.0,
        )
        self.requests = 0
        # Asked once per request that answers 401: a fresh token, or None to give up.
        self.refresh_token = refresh_token

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        if not url.startswith("http"):
            url = self.base + url
        try:
            response = self.client.get(url, params=params)
            if response.status_code == 401 and self.refresh_token is not None:
                fresh = self.refresh_token(self.client)
                if fresh:
                    self.client.headers["Authorization"] = f"Bearer {fresh}"
                    self.requests += 1
                    response = self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise DirectoryError(
                0, "ServiceUnavailable", f"Graph could not be reached: {exc}"
            ) from exc
        self.requests += 1
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            code = str(error.get("code", "UnknownError"))
            message = str(error.get("message", response.text[:200]))
            if response.status_code == 410 or code in ("syncStateNotFound", "resyncRequired"):
                raise ResyncRequired(response.status_code, code, message)
            raise DirectoryError(response.status_code, code, message)
        if not isinstance(body, dict):
            raise DirectoryError(
                response.status_code, "UnknownError", "Graph answered a non-object"
            )
        return body

    def service_principal(self, sp_id: str) -> dict[str, Any]:
        return self.get(f"/v1.0/servicePrincipals/{sp_id}")

    def user(self, user_id: str) -> dict[str, Any] | None:
        """One user (``manager`` is a navigation property: read it with :meth:`manager_of`)."""
        select = ",".join(p for p in (self.user_select or "").split(",") if p and p != "manager")
        try:
            return self.get(f"/v1.0/users/{user_id}", {"$select": select} if select else None)
        except DirectoryError as exc:
            if exc.status == 404:
                return None
            raise

    def manager_of(self, user_id: str) -> str | None:
        try:
            return str(self.get(f"/v1.0/users/{user_id}/manager").get("id") or "") or None
        except DirectoryError as exc:
            if exc.status == 404:
                return None
            raise

    def list_all(self, url: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink``."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        pages = 0
        while next_url is not None and pages < self.max_pages:
            body = self.get(next_url, params)
            params = None
            pages += 1
            items.extend(v for v in body.get("value", []) if isinstance(v, dict))
            link = body.get("@odata.nextLink")
            next_url = str(link) if link else None
        return items

    def group(self, group_id: str) -> dict[str, Any] | None:
        try:
            return self.get(f"/v1.0/groups/{group_id}")
        except DirectoryError as exc:
            if exc.status == 404:
                return None
            raise

    def users_delta(self, link: str | None) -> DeltaRound:
        if link is None:
            params = {"$select": self.user_select} if self.user_select else None
            return self._round("/v1.0/users/delta", params)
        return self._round(link)

    def groups_delta(self, link: str | None) -> DeltaRound:
        if link is None:
            params = {"$select": self.group_select} if self.group_select else None
            return self._round("/v1.0/groups/delta", params)
        return self._round(link)

    def assignments_delta(self, sp_id: str, link: str | None) -> DeltaRound:
        if link is None:
            return self._round(f"/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo/delta")
        return self._round(link)

    def _round(self, url: str, params: dict[str, str] | None = None) -> DeltaRound:
        result = DeltaRound()
        next_url: str | None = url
        while next_url is not None:
            if result.pages >= self.max_pages:
                raise DirectoryError(
                    0, "TooManyPages", f"more than {self.max_pages} pages in a round"
                )
            body = self.get(next_url, params)
            params = None  # links carry the query from here on
            result.pages += 1
            value = body.get("value", [])
            if not isinstance(value, list):
                raise DirectoryError(200, "UnknownError", "a delta page without a 'value' list")
            result.items.extend(v for v in value if isinstance(v, dict))
            if "@odata.nextLink" in body:
                next_url = str(body["@odata.nextLink"])
            else:
                link = body.get("@odata.deltaLink")
                if not link:
                    raise DirectoryError(200, "UnknownError", "a delta page with neither link")
                result.delta_link = str(link)
                next_url = None
        return result
