"""One provisioning-log record, whatever export it came from, in one normalised shape.

The vocabulary follows Microsoft Graph's ``provisioningObjectSummary`` (v1.0):
https://learn.microsoft.com/en-us/graph/api/resources/provisioningobjectsummary and
https://learn.microsoft.com/en-us/graph/api/resources/provisioningstep. Exports spell it in
several ways (beta names, any case, numeric codes in Azure Monitor); ``harness.replay.normalise``
maps them onto the values here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

ACTIONS = ("create", "update", "delete", "stageddelete", "disable", "other")
STATUSES = ("success", "warning", "failure", "skipped")
STEP_TYPES = ("import", "scoping", "matching", "processing", "referenceResolution", "export")
OBJECT_TYPES = ("User", "Group")


class ReadError(ValueError):
    """An export that cannot be read: names the file, the record (or line) and the field."""

    def __init__(self, file: str, where: str, field_name: str, message: str) -> None:
        self.file, self.where, self.field, self.message = file, where, field_name, message
        parts = [file]
        if where:
            parts.append(where)
        if field_name:
            parts.append(f"field {field_name}")
        super().__init__(": ".join([*parts, message]))


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    type: str
    status: str
    description: str = ""
    details: tuple[tuple[str, str], ...] = ()

    def detail(self, key: str) -> str | None:
        """A detail's value, the key matched without regard to case."""
        wanted = key.casefold()
        for k, v in self.details:
            if k.casefold() == wanted:
                return v
        return None


@dataclass(frozen=True, slots=True)
class Identity:
    id: str
    display: str
    type: str


@dataclass(slots=True)
class Record:
    """A ``provisioningObjectSummary`` as the harness reads it."""

    where: str  # "logs.json: record 17", for messages
    id: str
    when: datetime
    cycle_id: str
    change_id: str
    job_id: str
    action: str
    status: str
    error_code: str
    error_reason: str
    source: Identity
    target: Identity
    steps: tuple[Step, ...]
    modified: tuple[tuple[str, str | None, str | None], ...] = ()
    initiator: str = ""
    service_principal: tuple[str, str] = ("", "")
    target_system: str = ""
    tenant_id: str = ""
    duration_ms: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def object_type(self) -> str:
        """``User`` or ``Group`` (the source identity's type), or the type as given."""
        kind = self.source.type
        for known in OBJECT_TYPES:
            if kind.casefold() == known.casefold() or kind.casefold().endswith(
                f":{known.casefold()}"
            ):
                return known
        return kind

    @property
    def skip_reason(self) -> str:
        for step in self.steps:
            reason = step.detail("SkipReason")
            if reason:
                return reason
        return ""

    @property
    def on_demand(self) -> bool:
        """Provision on demand reads the object itself: its import step is ``EntryImport``
        ("Retrieved User ...") instead of a received change (``EntryImportAdd``, ...)."""
        first = self.steps[0] if self.steps else None
        return first is not None and first.name == "EntryImport" and first.type == "import"

    @property
    def change_type(self) -> str:
        """``Add``, ``Update`` or ``Delete`` from the import step's name; ``""`` otherwise."""
        for step in self.steps:
            if step.type == "import":
                match = re.fullmatch(r"EntryImport(Add|Update|Delete)", step.name)
                return match.group(1) if match else ""
        return ""

    def step_of(self, step_type: str, name: str | None = None) -> Step | None:
        for step in self.steps:
            if step.type == step_type and (name is None or step.name == name):
                return step
        return None


def utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    text = utc(value).isoformat()
    return text.replace("+00:00", "Z")
