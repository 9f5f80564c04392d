"""The format of a Miro state dump (``GET/PUT /_fake/state``, the ``miro`` part of a lab state
file), checked before anything is replaced: every key the dump writes, types, ranges, no
unknown keys. The settings inside are checked by :class:`mock_miro.settings.Settings`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from fakekit.validation import MAX_INT, STRICT, validate

Id = Annotated[str, Field(min_length=1, max_length=64)]
Stamp = Annotated[str, Field(max_length=64)] | None


class UserDump(BaseModel):
    model_config = STRICT
    id: Id
    data: dict[str, Any]
    created: Stamp = None
    modified: Stamp = None
    organizations: Annotated[int, Field(ge=1, le=10_000)] = 1


class GroupDump(BaseModel):
    model_config = STRICT
    id: Id
    displayName: Annotated[str, Field(min_length=1, max_length=1024)]
    kind: Literal["team", "user_group"] = "team"
    externalId: Annotated[str, Field(max_length=1024)] | None = None
    members: list[Id] = []
    admins: list[Id] = []
    default: bool = False
    created: Stamp = None
    modified: Stamp = None


class MiroState(BaseModel):
    """``{"version": 1, "settings", "next_id", "default_team_id", "users", "deleted_users",
    "guests", "groups"}``: all required, as :meth:`MiroBackend.dump` writes them, so a stray
    object (``{"displayName": "x"}``) is refused instead of emptying the organisation."""

    model_config = STRICT
    version: Literal[1]
    settings: dict[str, Any]
    next_id: Annotated[int, Field(ge=0, le=MAX_INT)]
    default_team_id: Id | None
    users: list[UserDump]
    deleted_users: list[UserDump]
    guests: list[UserDump]
    groups: list[GroupDump]


def check_state(dump: Any) -> None:
    """Raise :class:`~fakekit.validation.JsonInputError` (a ValueError) naming the first bad
    field of ``dump``."""
    validate(MiroState, dump)
