"""The format of a Graph state dump (``GET/PUT /_fake/state``, the ``graph`` part of a lab state
file), checked before anything is replaced: every key the dump writes, types, ranges, no
unknown keys. Each object's properties are checked by the directory's own schema on load."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from fakekit.validation import MAX_INT, STRICT, validate

Id = Annotated[str, Field(min_length=1, max_length=256)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


class StoredObject(BaseModel):
    model_config = STRICT
    kind: Literal["user", "group", "application", "servicePrincipal"]
    data: dict[str, Any]


class AssignmentDump(BaseModel):
    model_config = STRICT
    id: Id
    app_role_id: Id
    principal_id: Id
    principal_type: Annotated[str, Field(max_length=64)]
    principal_display_name: str | None
    resource_id: Id
    resource_display_name: str | None
    created: Annotated[str, Field(max_length=64)]


class GraphState(BaseModel):
    """What :meth:`GraphBackend.dump` writes; all keys required, as it writes them all."""

    model_config = STRICT
    version: Literal[1]
    tenant_id: Id
    settings: dict[str, Any]
    # random.Random's state: [version, 625 integers, gauss] (JSON has lists, not tuples)
    rng: Annotated[list[Count | float | list[Count] | None], Field(min_length=3, max_length=3)]
    objects: list[StoredObject]
    deleted: list[StoredObject]
    members: dict[str, list[Id]]
    managers: dict[str, Id]
    assignments: list[AssignmentDump]
    seq: Count
    # per channel: [sequence number, object id, other end or null]
    logs: dict[str, list[Annotated[list[Count | Id | None], Field(min_length=3, max_length=3)]]]
    # passwordCredential keyId -> SHA-256 hex digest of its secret (absent in older dumps)
    client_secrets: dict[Id, Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=dict
    )


def check_state(dump: Any) -> None:
    """Raise :class:`~fakekit.validation.JsonInputError` naming the first bad field."""
    validate(GraphState, dump)
