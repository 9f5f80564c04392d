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


@dataclass
class Settings:
    model: str = "teams"  # "teams" (legacy: SCIM Group = team) or "user_groups"
    # 409 uniqueness, or 400 invalidValue "not unique" (https://developers.miro.com/docs/errors)
    duplicate_user_error: int = 409
    allowed_domains: list[str] = field(default_factory=list)  # empty = any domain
    rate_limits: bool = False
    scim_enabled: bool = True
    token: str = DEFAULT_TOKEN
    # Strict PATCH follows Miro's API reference (op, path and value required; only documented
    # paths: https://developers.miro.com/reference/patchgroup).
    # Lenient (default) accepts Entra's path-less replace and ignores unknown attributes.
    patch_strict: bool = False
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


@with_config(STRICT)
class SettingsUpdate(TypedDict, total=False):
    """What ``PUT /_fake/settings`` may set, with the ranges the fake can hold (a journal of
    1e20 entries, say, is refused, not stored)."""

    model: Literal["teams", "user_groups"]
    duplicate_user_error: Literal[409, 400]
    allowed_domains: list[Annotated[str, Field(min_length=1, max_length=253)]]
    rate_limits: bool
    scim_enabled: bool
    token: Token
    patch_strict: bool
    default_team_name: NonEmpty
    meta_timestamps: bool
    max_payload_bytes: Annotated[int, Field(ge=1, le=1024**3)]
    max_members_per_patch: Annotated[int, Field(ge=1, le=1_000_000)]
    journal_limit: Annotated[int, Field(ge=1, le=10_000_000)]
