"""The fake's switches: where Miro's sources disagree or behaviour varies per organisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

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
        """Apply a partial update, validating every field first (all or nothing)."""
        if not isinstance(changes, dict):
            raise ValueError("settings must be a JSON object")
        known = {f.name: f for f in fields(self)}
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
            checked[key] = _check(key, value)
        for key, value in checked.items():
            setattr(self, key, value)


def _check(key: str, value: Any) -> Any:
    if key == "model":
        if value not in ("teams", "user_groups"):
            raise ValueError("model must be 'teams' or 'user_groups'")
        return value
    if key == "duplicate_user_error":
        if value not in (409, 400) or isinstance(value, bool):
            raise ValueError("duplicate_user_error must be 409 or 400")
        return value
    if key == "allowed_domains":
        if not isinstance(value, list) or not all(isinstance(d, str) and d for d in value):
            raise ValueError("allowed_domains must be a list of domain names")
        return [d.lower().lstrip("@") for d in value]
    if key in ("rate_limits", "scim_enabled", "patch_strict", "meta_timestamps"):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    if key in ("token", "default_team_name"):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{key} must be a non-empty string")
        return value
    if key in ("max_payload_bytes", "max_members_per_patch", "journal_limit"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive integer")
        return value
    raise ValueError(f"unknown setting {key!r}")  # pragma: no cover
