"""The fake's switches: where Miro's sources disagree or behaviour varies per organisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Annotated, Any, Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from fakekit.validation import STRICT, validate

DEFAULT_TOKEN = "miro-scim-token"

MAX_PAYLOAD_BYTES = 800_000  # https://developers.miro.com/docs/scim-rate-limits
MAX_MEMBERS_PER_PATCH = 8_000  # https://developers.miro.com/docs/scim-rate-limits


# The SCIM token's owner: a real organisation always has the admin who generated the token
# (https://developers.miro.com/docs/how-to-enable-scim).
DEFAULT_TOKEN_OWNER = "scim.admin@miro-org.example"
MAX_RESULTS = 200  # ServiceProviderConfig filter.maxResults (https://developers.miro.com/reference)


@dataclass
class Settings:
    """Defaults follow Miro's documentation; each lenient or older behaviour is a setting
    (docs/miro-fake.md lists them with their sources)."""

    model: str = "teams"  # "teams" (legacy: SCIM Group = team) or "user_groups"
    # 400 invalidValue "not unique", the only body Miro publishes
    # (https://developers.miro.com/docs/errors), or 409 uniqueness (RFC 7644's reading).
    duplicate_user_error: int = 400
    allowed_domains: list[str] = field(default_factory=list)  # empty = any domain
    # Miro's per-endpoint limits per 30-second window
    # (https://developers.miro.com/docs/scim-rate-limits), on the fake's clock.
    rate_limits: bool = True
    # Miro documents no Retry-After on SCIM: None sends none; an integer sends that many
    # seconds; "window" sends the seconds until the throttled window frees a slot.
    rate_limit_retry_after: int | str | None = None
    scim_enabled: bool = True
    token: str = DEFAULT_TOKEN
    # Strict PATCH follows Miro's PatchUser and PatchGroup references
    # (https://developers.miro.com/reference/patchuser): schemas, op and path required, value
    # for add and replace, only documented and writable paths. Lenient ignores unknown paths.
    patch_strict: bool = True
    # Entra's aadOptscim062020 path-less user ``replace``
    # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility):
    # refused by strict PATCH (Miro's PatchUser requires a path) unless this is on.
    patch_pathless_replace: bool = False
    # The SCIM token's owner, an organisation admin in the Default team of a fresh organisation
    # (after reset and after seed); None starts an empty organisation (the older behaviour).
    token_owner: str | None = DEFAULT_TOKEN_OWNER
    # A user in more than one organisation: "details" refuses any change (409, Miro's errors
    # page), "userName" only an e-mail change (the help centre's narrower reading).
    multi_org_refuses: str = "details"
    # The largest page served: filter.maxResults in Miro's ServiceProviderConfig (200); Miro's
    # list parameters allow count up to 1000, the older cap.
    max_results: int = MAX_RESULTS
    default_team_name: str = "Default team"
    meta_timestamps: bool = False  # Miro's examples carry no meta.created/lastModified
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_members_per_patch: int = MAX_MEMBERS_PER_PATCH
    journal_limit: int = 100_000

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, validating every field first (all or nothing): types,
        ranges and names by :class:`SettingsUpdate`; a refused value is never stored."""
        if not isinstance(changes, dict):
            raise ValueError("settings must be a JSON object")
        unknown = sorted(map(str, set(changes) - {f.name for f in fields(self)}))
        if unknown:
            known = ", ".join(sorted(f.name for f in fields(self)))
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {known}")
        checked: dict[str, Any] = dict(validate(SettingsUpdate, changes, prefix="settings"))
        if "allowed_domains" in checked:
            checked["allowed_domains"] = [d.lower().lstrip("@") for d in checked["allowed_domains"]]
        for key, value in checked.items():
            setattr(self, key, value)


NonEmpty = Annotated[str, Field(min_length=1, max_length=1024)]
# A bearer token travels in a header: visible ASCII only, or no client could ever send it.
Token = Annotated[str, Field(pattern=r"^[!-~]{1,4096}$")]
# An e-mail as Miro's userName must be one: local part, @, a dotted domain.
Email = Annotated[str, Field(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=254)]


@with_config(STRICT)
class SettingsUpdate(TypedDict, total=False):
    """What ``PUT /_fake/settings`` may set, with the ranges the fake can hold (a journal of
    1e20 entries, say, is refused, not stored)."""

    model: Literal["teams", "user_groups"]
    duplicate_user_error: Literal[409, 400]
    allowed_domains: list[Annotated[str, Field(min_length=1, max_length=253)]]
    rate_limits: bool
    rate_limit_retry_after: Annotated[int, Field(ge=0, le=86_400)] | Literal["window"] | None
    scim_enabled: bool
    token: Token
    patch_strict: bool
    patch_pathless_replace: bool
    token_owner: Email | None
    multi_org_refuses: Literal["details", "userName"]
    max_results: Annotated[int, Field(ge=1, le=1_000_000)]
    default_team_name: NonEmpty
    meta_timestamps: bool
    max_payload_bytes: Annotated[int, Field(ge=1, le=1024**3)]
    max_members_per_patch: Annotated[int, Field(ge=1, le=1_000_000)]
    journal_limit: Annotated[int, Field(ge=1, le=10_000_000)]
