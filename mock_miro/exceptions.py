"""Typed errors that serialise to Miro's SCIM error body.

Miro sends ``status`` as a string and often omits ``scimType``
(https://developers.miro.com/docs/errors), so ``scim_type`` is
optional here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class ScimError(Exception):
    status: int
    detail: str
    scim_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        out["detail"] = self.detail
        return out


def bad_request(detail: str, scim_type: str | None = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def no_target(detail: str) -> ScimError:
    return ScimError(400, detail, "noTarget")


def unauthorized(
    detail: str = "Miro cannot authorize the organization with the provided token",
) -> ScimError:
    return ScimError(401, detail, None, {"WWW-Authenticate": 'Bearer realm="miro-scim"'})


def scim_disabled() -> ScimError:
    return ScimError(403, "SCIM integration is disabled for this organization")


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)


def method_not_allowed(detail: str = "Miro doesn't support the requested method") -> ScimError:
    return ScimError(405, detail)


def conflict(detail: str, scim_type: str | None = None) -> ScimError:
    return ScimError(409, detail, scim_type)


def too_large(detail: str) -> ScimError:
    return ScimError(413, detail)


def unsupported_media_type(detail: str) -> ScimError:
    return ScimError(415, detail)


def too_many_requests(retry_after: int | None) -> ScimError:
    """Miro's 429 body (https://developers.miro.com/docs/errors); Miro documents no
    Retry-After header, so it is sent only when ``retry_after`` is given."""
    return ScimError(
        429,
        "The user has sent too many requests in a given amount of time",
        "tooManyRequests",
        {} if retry_after is None else {"Retry-After": str(retry_after)},
    )


def not_implemented(detail: str) -> ScimError:
    return ScimError(501, detail)
