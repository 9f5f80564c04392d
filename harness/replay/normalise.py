"""Any spelling of a provisioning-log record -> :class:`~harness.replay.records.Record`.

Accepted, in any mix (each is a public Microsoft format or sample):

- Graph v1.0 ``provisioningObjectSummary``: ``provisioningAction``, ``provisioningStatusInfo``
  with ``errorInformation`` (https://learn.microsoft.com/en-us/graph/api/resources/provisioningobjectsummary);
- the older beta names ``action`` ("Create", or even a step name such as "EntryExportUpdate" in
  Microsoft's beta sample) and ``statusInfo`` with the error fields beside ``status``
  (https://learn.microsoft.com/en-us/graph/api/resources/provisioningobjectsummary?view=graph-rest-beta);
- ``initiatedBy.initiatorType`` or ``initiatingType`` (Microsoft's samples use both);
  ``servicePrincipal`` as an object or a collection (the resource page says collection, the
  samples show an object);
- step types and statuses in any case ("Import", "import"), or as the numbers Azure Monitor
  writes (0 import ... 5 export; 0 success, 1 failure, 2 skipped);
- the ``value`` of a ``provisionOnDemand`` answer (``type`` instead of ``provisioningStepType``
  and ``identityType``, ``name`` instead of ``displayName``, ``startTime`` instead of
  ``activityDateTime``; https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-provisionondemand);
- Log Analytics ``AADProvisioningLogs`` rows: PascalCase columns whose nested values are JSON
  strings, ``ResultType`` / ``ResultSignature`` / ``ResultDescription``
  (https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadprovisioninglogs).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from harness.replay.records import ACTIONS, STATUSES, STEP_TYPES, Identity, ReadError, Record, Step

# Azure Monitor's numeric encodings, observed in exported rows (our reading of real data).
STEP_TYPE_CODES = {
    "0": "import",
    "1": "scoping",
    "2": "matching",
    "3": "processing",
    "4": "referenceResolution",
    "5": "export",
}
STATUS_CODES = {"0": "success", "1": "failure", "2": "skipped", "3": "warning"}
_STEP_TYPES = {t.casefold(): t for t in STEP_TYPES}
_STEP_TYPE_NAMES, _STATUS_NAMES = frozenset(STEP_TYPES), frozenset(STATUSES)
# A step name standing where an action belongs (Microsoft's beta sample does this).
_ACTION_OF_STEP = {
    "entryexportadd": "create",
    "entryexportupdate": "update",
    "entryexportdelete": "delete",
    "entryexportupdatesoftdelete": "disable",
}
_ACTION_WORDS = {a: a for a in ACTIONS} | {"staged delete": "stageddelete", "none": "other"}


# The details a replay keeps (the import keeps them all).
_KEPT_DETAILS = frozenset({"SkipReason", "userPrincipalName", "originalUserPrincipalName"})


class Fields:
    """A mapping read without regard to the case of its keys; JSON-string values decoded.

    A name is looked up as written first (every Graph record spells its keys so); the
    case-folded index of the keys is built only when that misses (Log Analytics' PascalCase),
    which keeps it out of most of a quarter of a million records' steps."""

    __slots__ = ("_folded", "raw")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._folded: dict[str, Any] | None = None

    def _key(self, name: str) -> Any:
        if name in self.raw:
            return name
        if self._folded is None:
            self._folded = {str(k).casefold(): k for k in self.raw}
        return self._folded.get(name.casefold())

    def has(self, *names: str) -> bool:
        return any(self._key(n) is not None for n in names)

    def get(self, *names: str) -> Any:
        for name in names:
            key = self._key(name)
            if key is not None and self.raw[key] is not None:
                return self.raw[key]
        return None

    def text(self, *names: str) -> str:
        value = self.get(*names)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "True" if value else "False"
        return str(value)

    def nested(self, *names: str) -> Any:
        """A nested object or list, decoded when the export wrote it as a JSON string."""
        value = self.get(*names)
        if isinstance(value, str):
            stripped = value.strip()
            if not stripped:
                return None
            if stripped[0] in "[{":
                return json.loads(stripped)
        return value


class Normaliser:
    """Turns raw records into :class:`Record`; collects warnings (unknown values, left-out
    records) instead of failing where a record can still be read."""

    def __init__(self, keep_details: bool = True) -> None:
        self.keep_details = keep_details
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(message)

    def record(self, raw: Any, file: str, where: str) -> Record:
        if not isinstance(raw, Mapping):
            raise ReadError(file, where, "", f"a record must be a JSON object, not {_kind(raw)}")
        f = Fields(raw)
        if len(raw) <= 3 and f.has("key") and f.has("value") and isinstance(f.get("value"), str):
            # A provisionOnDemand answer: the record is the JSON string in "value".
            try:
                inner = json.loads(f.get("value"))
            except ValueError as exc:
                raise ReadError(file, where, "value", f"not valid JSON: {exc}") from None
            except RecursionError:
                raise ReadError(file, where, "value", "nested too deeply to read") from None
            return self.record(inner, file, where)
        try:
            return self._record(f, file, where)
        except (ValueError, TypeError, AttributeError) as exc:
            if isinstance(exc, ReadError):
                raise
            raise ReadError(file, where, "", f"unreadable record: {exc}") from None
        except RecursionError:  # a JSON-string field nested past what Python's parser reads
            raise ReadError(file, where, "", "unreadable record: nested too deeply") from None

    def _record(self, f: Fields, file: str, where: str) -> Record:
        def bad(field_name: str, message: str) -> ReadError:
            return ReadError(file, where, field_name, message)

        when_raw = f.get("activityDateTime", "ActivityDateTime", "startTime", "TimeGenerated")
        if when_raw is None:
            raise bad(
                "activityDateTime", "missing (no activityDateTime, startTime or TimeGenerated)"
            )
        when = parse_time(when_raw)
        if when is None:
            raise bad("activityDateTime", f"not a date and time: {when_raw!r}")

        source = self._identity(f, "sourceIdentity", file, where)
        if not source.id:
            raise bad("sourceIdentity.id", "missing: the record names no source object")
        target = self._identity(f, "targetIdentity", file, where)

        status, code, reason = self._status(f, file, where)
        action = self._action(f, file, where)
        steps = self._steps(f, file, where)
        modified = self._modified(f, file, where)

        initiated = _object(f.nested("initiatedBy"))
        sp = f.nested("servicePrincipal")
        if isinstance(sp, list):
            sp = sp[0] if sp else None
        sp_f = Fields(_object(sp))
        target_system = Fields(_object(f.nested("targetSystem")))
        duration = f.get("durationInMilliseconds", "DurationMs")
        return Record(
            where=f"{file}: {where}",
            id=f.text("id"),
            when=when,
            cycle_id=f.text("cycleId"),
            change_id=f.text("changeId"),
            job_id=f.text("jobId"),
            action=action,
            status=status,
            error_code=code,
            error_reason=reason,
            source=source,
            target=target,
            steps=steps,
            modified=modified,
            initiator=Fields(initiated).text("initiatorType", "initiatingType").casefold(),
            service_principal=(sp_f.text("id"), sp_f.text("displayName", "name")),
            target_system=target_system.text("displayName", "name"),
            tenant_id=f.text("tenantId", "AADTenantId"),
            duration_ms=_int(duration),
        )

    def _identity(self, f: Fields, name: str, file: str, where: str) -> Identity:
        try:
            raw = f.nested(name)
        except ValueError as exc:
            raise ReadError(file, where, name, f"not valid JSON: {exc}") from None
        if raw is None:
            return Identity("", "", "")
        if not isinstance(raw, Mapping):
            raise ReadError(file, where, name, f"must be an object, not {_kind(raw)}")
        i = Fields(raw)
        return Identity(i.text("id"), i.text("displayName", "name"), i.text("identityType", "type"))

    def _status(self, f: Fields, file: str, where: str) -> tuple[str, str, str]:
        field_name = "provisioningStatusInfo"
        try:
            info = f.nested("provisioningStatusInfo", "statusInfo")
        except ValueError as exc:
            raise ReadError(file, where, field_name, f"not valid JSON: {exc}") from None
        if info is not None and not isinstance(info, Mapping):
            raise ReadError(file, where, field_name, f"must be an object, not {_kind(info)}")
        s = Fields(info or {})
        raw_status = s.get("status")
        if raw_status is None:
            raw_status = f.get("ResultType", "status")
        if raw_status is None:
            raise ReadError(file, where, f"{field_name}.status", "missing")
        status = self.status(raw_status, file, where, f"{field_name}.status")
        error = Fields(_object(s.nested("errorInformation")))
        code = error.text("errorCode") or s.text("errorCode") or f.text("ResultSignature")
        reason = error.text("reason") or s.text("reason") or f.text("ResultDescription")
        if code.casefold() in ("none", "null", "0"):
            code = ""
        return status, code, reason

    def status(self, raw: Any, file: str, where: str, field_name: str) -> str:
        text = str(raw).strip()
        value = STATUS_CODES.get(text) or text.casefold()
        if value not in STATUSES:
            raise ReadError(
                file, where, field_name, f"unknown status {raw!r}; expected one of {STATUSES}"
            )
        return value

    def _action(self, f: Fields, file: str, where: str) -> str:
        raw = f.get("provisioningAction", "action")
        if raw is None:
            raise ReadError(file, where, "provisioningAction", "missing (nor action)")
        text = str(raw).strip().casefold()
        if text in _ACTION_WORDS:
            return _ACTION_WORDS[text]
        if text in _ACTION_OF_STEP:
            self.warn_once(
                f"action-step:{text}",
                f"{file}: {where}: action {raw!r} is a step name; read as "
                f"{_ACTION_OF_STEP[text]!r} (Microsoft's beta sample writes actions this way)",
            )
            return _ACTION_OF_STEP[text]
        raise ReadError(
            file, where, "provisioningAction", f"unknown action {raw!r}; expected one of {ACTIONS}"
        )

    def _steps(self, f: Fields, file: str, where: str) -> tuple[Step, ...]:
        try:
            raw = f.nested("provisioningSteps")
        except ValueError as exc:
            raise ReadError(file, where, "provisioningSteps", f"not valid JSON: {exc}") from None
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise ReadError(file, where, "provisioningSteps", f"must be a list, not {_kind(raw)}")
        return tuple(
            self.step(item, file, where, f"provisioningSteps[{i}]") for i, item in enumerate(raw)
        )

    def step(self, raw: Any, file: str, where: str, field_name: str) -> Step:
        if type(raw) is dict:
            canonical = self._canonical_step(raw)
            if canonical is not None:
                return canonical
        if not isinstance(raw, Mapping):
            raise ReadError(file, where, field_name, f"must be an object, not {_kind(raw)}")
        s = Fields(raw)
        raw_type = s.get("provisioningStepType", "type", "stepType")
        step_type = self.step_type(raw_type, file, where, f"{field_name}.provisioningStepType")
        raw_status = s.get("status")
        status = (
            self.status(raw_status, file, where, f"{field_name}.status")
            if raw_status is not None
            else ""
        )
        details: tuple[tuple[str, str], ...] = ()
        if self.keep_details:
            details = _details(s.nested("details"))
        else:  # only what names objects and tells skips apart: a replay holds many records
            details = _details(_safe_nested(s, "details"), _KEPT_DETAILS)
        return Step(
            name=sys.intern(s.text("name")),
            type=sys.intern(step_type),
            status=sys.intern(status),
            description=s.text("description"),
            details=details,
        )

    def _canonical_step(self, raw: dict[str, Any]) -> Step | None:
        """A step spelt as Graph v1.0 spells it (the download, our own logs: four of five
        fields a replay reads), read without the general path's lookups; the same ``Step`` the
        general path gives (it too reads the exact key first). None for any other spelling."""
        step_type, status = raw.get("provisioningStepType"), raw.get("status")
        name, description = raw.get("name"), raw.get("description")
        details = raw.get("details")
        if (
            step_type not in _STEP_TYPE_NAMES
            or status not in _STATUS_NAMES
            or type(name) is not str
            or type(description) is not str
            or not (details is None or type(details) is dict)
        ):
            return None
        return Step(
            name=sys.intern(name),
            type=sys.intern(step_type),
            status=sys.intern(status),
            description=description,
            details=_details(details, None if self.keep_details else _KEPT_DETAILS),
        )

    def step_type(self, raw: Any, file: str, where: str, field_name: str) -> str:
        if raw is None:
            raise ReadError(file, where, field_name, "missing")
        text = str(raw).strip()
        value = STEP_TYPE_CODES.get(text) or _STEP_TYPES.get(text.casefold())
        if value is None:
            self.warn_once(
                f"steptype:{text.casefold()}",
                f"{file}: {where}: {field_name}: unknown step type {raw!r}, kept as given",
            )
            return text.casefold()
        return value

    def _modified(
        self, f: Fields, file: str, where: str
    ) -> tuple[tuple[str, str | None, str | None], ...]:
        try:
            raw = f.nested("modifiedProperties")
        except ValueError as exc:
            raise ReadError(file, where, "modifiedProperties", f"not valid JSON: {exc}") from None
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise ReadError(file, where, "modifiedProperties", f"must be a list, not {_kind(raw)}")
        out = []
        for i, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise ReadError(
                    file, where, f"modifiedProperties[{i}]", f"must be an object, not {_kind(item)}"
                )
            m = Fields(item)
            out.append(
                (m.text("displayName", "name"), _opt(m.get("oldValue")), _opt(m.get("newValue")))
            )
        return tuple(out)


_FRACTION = re.compile(r"(\.\d{6})\d+")
_US_TIME = ("%m/%d/%Y, %I:%M:%S %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


def parse_time(raw: Any) -> datetime | None:
    """ISO 8601 (.NET's seven fraction digits too), or the portal's US date and time."""
    value: datetime | None = raw if isinstance(raw, datetime) else None
    if value is None:
        text = _FRACTION.sub(r"\1", str(raw).strip()).replace("Z", "+00:00")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            for pattern in _US_TIME:
                try:
                    value = datetime.strptime(str(raw).strip().removesuffix(" UTC"), pattern)
                    break
                except ValueError:
                    continue
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _details(raw: Any, only: frozenset[str] | None = None) -> tuple[tuple[str, str], ...]:
    """A step's details as ``(key, text)`` pairs; with ``only``, just those keys (the rest are
    not even converted: a replay reads a quarter of a million records)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip().startswith("{") else {}
        except ValueError:
            return (("", raw),) if only is None else ()
    if not isinstance(raw, Mapping):
        return ()
    # Keys and short values repeat across records ("accountEnabled", "True"): share them.
    return tuple(
        (sys.intern(str(k)), _shared(_text(v)))
        for k, v in raw.items()
        if only is None or str(k) in only
    )


def _shared(text: str) -> str:
    return sys.intern(text) if len(text) <= 16 else text


def _safe_nested(f: Fields, name: str) -> Any:
    try:
        return f.nested(name)
    except ValueError:
        return None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _opt(value: Any) -> str | None:
    return None if value is None else _text(value)


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return kinds.get(type(value), type(value).__name__)
