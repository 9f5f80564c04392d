"""CSV exports: the admin center's three-file set, and Log Analytics rows saved as CSV.

Microsoft documents that the CSV download is three files, ``ProvisioningLogs``,
``ProvisioningLogs_ProvisioningSteps`` and ``ProvisioningLogs_ModifiedProperties``, joined on
the change ID (https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs);
their column headers are not documented. Columns are therefore matched by name, ignoring case,
spaces and punctuation, against the aliases below; every column that matches none is reported
as not understood. ``write_csv_set`` writes the set with the harness's own headers (the Graph
property paths), which the reader reads back.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.replay.normalise import Normaliser
from harness.replay.records import ReadError, Record, Step, iso

# canonical field -> the normalised header names that mean it
LOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "activityid", "logid", "entryid"),
    "activityDateTime": (
        "activitydatetime",
        "date",
        "dateutc",
        "datetime",
        "datetimeutc",
        "timestamp",
        "timegenerated",
        "activitydate",
        "time",
    ),
    "tenantId": ("tenantid", "aadtenantid"),
    "jobId": ("jobid",),
    "cycleId": ("cycleid",),
    "changeId": ("changeid",),
    "provisioningAction": ("provisioningaction", "action"),
    "status": (
        "status",
        "provisioningstatus",
        "provisioningstatusinfostatus",
        "statusinfostatus",
        "resulttype",
        "result",
    ),
    "errorCode": (
        "errorcode",
        "provisioningstatusinfoerrorinformationerrorcode",
        "statusinfoerrorcode",
        "resultsignature",
    ),
    "reason": (
        "reason",
        "errorreason",
        "statusreason",
        "errordescription",
        "failurereason",
        "provisioningstatusinfoerrorinformationreason",
        "statusinforeason",
        "resultdescription",
    ),
    "durationInMilliseconds": ("durationinmilliseconds", "durationms", "duration"),
    "sourceIdentity.id": ("sourceidentityid", "sourceid", "sourceobjectid"),
    "sourceIdentity.displayName": (
        "sourceidentitydisplayname",
        "sourceidentityname",
        "sourcename",
        "sourcedisplayname",
        "sourceidentity",
    ),
    "sourceIdentity.identityType": (
        "sourceidentityidentitytype",
        "sourceidentitytype",
        "sourcetype",
        "identitytype",
        "objecttype",
        "sourceobjecttype",
    ),
    "targetIdentity.id": ("targetidentityid", "targetid", "targetobjectid"),
    "targetIdentity.displayName": (
        "targetidentitydisplayname",
        "targetidentityname",
        "targetname",
        "targetdisplayname",
        "targetidentity",
    ),
    "targetIdentity.identityType": (
        "targetidentityidentitytype",
        "targetidentitytype",
        "targettype",
        "targetobjecttype",
    ),
    "sourceSystem.displayName": ("sourcesystem", "sourcesystemdisplayname", "sourcesystemname"),
    "targetSystem.displayName": ("targetsystem", "targetsystemdisplayname", "targetsystemname"),
    "servicePrincipal.id": ("serviceprincipalid", "applicationid", "appid"),
    "servicePrincipal.displayName": (
        "serviceprincipaldisplayname",
        "serviceprincipalname",
        "serviceprincipal",
        "application",
        "applicationname",
        "appname",
    ),
    "initiatedBy.displayName": ("initiatedby", "initiatedbydisplayname", "initiator"),
    "initiatedBy.initiatorType": (
        "initiatortype",
        "initiatingtype",
        "initiatedbyinitiatortype",
        "initiatedbyinitiatingtype",
        "initiatedbytype",
    ),
}
# Understood but not needed: read, never reported as unknown.
LOG_IGNORED = (
    "errorcategory",
    "recommendedaction",
    "additionaldetails",
    "sourcesystemid",
    "targetsystemid",
    "initiatedbyid",
    "statusinfoerrorcategory",
    "category",
    "operationname",
    "operationversion",
    "correlationid",
    "type",
    "sourcesystemdetails",
    "targetsystemdetails",
    "provisioningstatusinfoerrorinformationerrorcategory",
    "provisioningstatusinfoerrorinformationrecommendedaction",
    "provisioningstatusinfoerrorinformationadditionaldetails",
    "reportableidentifier",
    "billedsize",
    "isbillable",
    "resourceid",
    "targetsystemdetailsapplicationid",
    "targetsystemdetailsserviceprincipalid",
    "targetsystemdetailsserviceprincipaldisplayname",
)
STEP_COLUMNS: dict[str, tuple[str, ...]] = {
    "changeId": ("changeid",),
    "order": ("stepnumber", "order", "index", "stepindex", "sequence", "step", "stepno"),
    "name": ("name", "stepname", "provisioningstepname"),
    "provisioningStepType": ("provisioningsteptype", "steptype", "type"),
    "status": ("status", "stepstatus"),
    "description": ("description", "stepdescription"),
    "details": ("details", "stepdetails"),
}
STEP_IGNORED = ("id", "timestamp", "activitydatetime", "cycleid", "jobid")
MODIFIED_COLUMNS: dict[str, tuple[str, ...]] = {
    "changeId": ("changeid",),
    "displayName": (
        "displayname",
        "name",
        "propertyname",
        "property",
        "attribute",
        "attributename",
        "modifiedproperty",
    ),
    "oldValue": ("oldvalue", "old", "previousvalue", "before"),
    "newValue": ("newvalue", "new", "value", "after"),
}
MODIFIED_IGNORED = ("id", "activitydatetime", "cycleid", "jobid")
# Log Analytics rows carry the steps themselves, as a JSON string.
LA_MARKER = "provisioningsteps"

STEPS_FILE = re.compile(r"provisioning_?steps", re.IGNORECASE)
MODIFIED_FILE = re.compile(r"modified_?properties", re.IGNORECASE)


def header_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold().lstrip("\ufeff"))


class Columns:
    """A CSV header mapped onto canonical fields; ``unknown`` lists the columns matching none."""

    def __init__(
        self,
        file: str,
        header: list[str],
        known: dict[str, tuple[str, ...]],
        ignored: Iterable[str] = (),
    ) -> None:
        self.file = file
        self.index: dict[str, int] = {}
        self.unknown: list[str] = []
        skip = set(ignored)
        aliases = {alias: canonical for canonical, names in known.items() for alias in names}
        for i, column in enumerate(header):
            key = header_key(column)
            canonical = aliases.get(key)
            if canonical is not None and canonical not in self.index:
                self.index[canonical] = i
            elif key not in skip and column.strip():
                self.unknown.append(column.strip())

    def value(self, row: list[str], name: str) -> str | None:
        i = self.index.get(name)
        if i is None or i >= len(row):
            return None
        return row[i]

    def require(self, *names: str) -> None:
        missing = [n for n in names if n not in self.index]
        if missing:
            raise ReadError(
                self.file,
                "line 1",
                missing[0],
                f"no column for {', '.join(missing)} (the header has: {', '.join(self.unknown) or '-'})",
            )


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield reader.line_num, row
        except csv.Error as exc:
            raise ReadError(
                path.name, f"line {reader.line_num}", "", f"not valid CSV: {exc}"
            ) from None


def _header(path: Path) -> list[str]:
    for _, row in _rows(path):
        return row
    raise ReadError(path.name, "", "", "the file is empty")


def is_log_analytics(path: Path) -> bool:
    return LA_MARKER in {header_key(c) for c in _header(path)}


def read_log_analytics_csv(path: Path, normaliser: Normaliser) -> Iterator[Record]:
    rows = _rows(path)
    _, header = next(rows)
    for n, (line, row) in enumerate(rows, start=1):
        raw = dict(zip(header, row, strict=False))
        yield normaliser.record(raw, path.name, f"line {line} (row {n})")


def classify(paths: list[Path]) -> tuple[Path | None, Path | None, Path | None]:
    """(logs, steps, modified properties) among CSV files, by file name, then by header."""
    logs = steps = modified = None
    for path in paths:
        if STEPS_FILE.search(path.stem):
            steps = path
        elif MODIFIED_FILE.search(path.stem):
            modified = path
        else:
            keys = {header_key(c) for c in _header(path)}
            if "provisioningsteptype" in keys or "steptype" in keys:
                steps = path
            elif "oldvalue" in keys and "newvalue" in keys and "action" not in keys:
                modified = path
            else:
                logs = path
    return logs, steps, modified


def siblings(logs: Path) -> list[Path]:
    """The other two files of a set, beside the main one: named after it
    (``<name>_ProvisioningSteps.csv``), or the only such files in its folder."""
    steps = [p for p in sorted(logs.parent.glob("*.csv")) if STEPS_FILE.search(p.stem)]
    modified = [p for p in sorted(logs.parent.glob("*.csv")) if MODIFIED_FILE.search(p.stem)]
    found = []
    for group in (steps, modified):
        named = [p for p in group if p.stem.casefold().startswith(logs.stem.casefold())]
        if len(named) == 1:
            found.append(named[0])
        elif len(group) == 1:
            found.append(group[0])
    return found


def read_csv_set(
    logs: Path, steps: Path | None, modified: Path | None, normaliser: Normaliser
) -> Iterator[Record]:
    """The three-file set, joined on the change ID."""
    if steps is None:
        normaliser.warn_once(
            f"nosteps:{logs}",
            f"{logs.name}: no ProvisioningLogs_ProvisioningSteps file beside it; records are "
            "read without their steps (step sequences cannot be compared)",
        )
    steps_by_change = _read_steps(steps, normaliser) if steps else {}
    modified_by_change = _read_modified(modified, normaliser) if modified else {}
    rows = _rows(logs)
    try:
        _, header = next(rows)
    except StopIteration:
        raise ReadError(logs.name, "", "", "the file is empty") from None
    cols = Columns(logs.name, header, LOG_COLUMNS, LOG_IGNORED)
    _report_unknown(normaliser, cols)
    cols.require("changeId", "activityDateTime", "sourceIdentity.id")
    for n, (line, row) in enumerate(rows, start=1):
        where = f"line {line} (row {n})"
        change = (cols.value(row, "changeId") or "").strip()
        if not change:
            raise ReadError(
                logs.name, where, "changeId", "empty: the record cannot be joined with its steps"
            )
        raw = _log_raw(cols, row)
        record = normaliser.record(raw, logs.name, where)
        record.steps = steps_by_change.pop(change, ())
        record.modified = modified_by_change.pop(change, ())
        yield record
    for change in list(steps_by_change)[:1]:
        normaliser.warn_once(
            f"orphansteps:{logs}",
            f"{steps.name if steps else ''}: steps for {len(steps_by_change)} change ID(s) that "
            f"{logs.name} does not have (e.g. {change}); left out",
        )


def _log_raw(cols: Columns, row: list[str]) -> dict[str, Any]:
    def v(name: str) -> str | None:
        value = cols.value(row, name)
        return value if value not in (None, "") else None

    def nested(prefix: str, *keys: str) -> dict[str, Any]:
        return {k: v(f"{prefix}.{k}") for k in keys}

    error = {"errorCode": v("errorCode"), "reason": v("reason")}
    return {
        "id": v("id"),
        "activityDateTime": v("activityDateTime"),
        "tenantId": v("tenantId"),
        "jobId": v("jobId"),
        "cycleId": v("cycleId"),
        "changeId": v("changeId"),
        "provisioningAction": v("provisioningAction"),
        "provisioningStatusInfo": {"status": v("status"), "errorInformation": error},
        "durationInMilliseconds": v("durationInMilliseconds"),
        "sourceIdentity": nested("sourceIdentity", "id", "displayName", "identityType"),
        "targetIdentity": nested("targetIdentity", "id", "displayName", "identityType"),
        "targetSystem": {"displayName": v("targetSystem.displayName")},
        "servicePrincipal": nested("servicePrincipal", "id", "displayName"),
        "initiatedBy": nested("initiatedBy", "displayName", "initiatorType"),
    }


def _report_unknown(normaliser: Normaliser, cols: Columns) -> None:
    if cols.unknown:
        normaliser.warnings.append(
            f"{cols.file}: columns not understood (ignored): {', '.join(cols.unknown)}"
        )


def _read_steps(path: Path, normaliser: Normaliser) -> dict[str, tuple[Step, ...]]:
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        return {}
    cols = Columns(path.name, header, STEP_COLUMNS, STEP_IGNORED)
    _report_unknown(normaliser, cols)
    cols.require("changeId", "name", "provisioningStepType")
    collected: dict[str, list[tuple[float, int, Step]]] = {}
    for n, (line, row) in enumerate(rows, start=1):
        where = f"line {line}"
        change = (cols.value(row, "changeId") or "").strip()
        if not change:
            raise ReadError(path.name, where, "changeId", "empty")
        raw = {
            "name": cols.value(row, "name"),
            "provisioningStepType": cols.value(row, "provisioningStepType"),
            "status": cols.value(row, "status") or None,
            "description": cols.value(row, "description"),
            "details": cols.value(row, "details") or None,
        }
        step = normaliser.step(raw, path.name, where, "step")
        order_text = (cols.value(row, "order") or "").strip()
        try:
            order = float(order_text) if order_text else float(n)
        except ValueError:
            raise ReadError(
                path.name, where, "stepNumber", f"not a number: {order_text!r}"
            ) from None
        collected.setdefault(change, []).append((order, n, step))
    return {
        k: tuple(s for _, _, s in sorted(v, key=lambda t: (t[0], t[1])))
        for k, v in collected.items()
    }


def _read_modified(
    path: Path, normaliser: Normaliser
) -> dict[str, tuple[tuple[str, str | None, str | None], ...]]:
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        return {}
    cols = Columns(path.name, header, MODIFIED_COLUMNS, MODIFIED_IGNORED)
    _report_unknown(normaliser, cols)
    cols.require("changeId", "displayName")
    out: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for line, row in rows:
        change = (cols.value(row, "changeId") or "").strip()
        if not change:
            raise ReadError(path.name, f"line {line}", "changeId", "empty")
        old, new = cols.value(row, "oldValue"), cols.value(row, "newValue")
        out.setdefault(change, []).append(
            (
                cols.value(row, "displayName") or "",
                old if old != "" else None,
                new if new != "" else None,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


# -- writing -----------------------------------------------------------------------------------

LOG_HEADER = (
    "id",
    "activityDateTime",
    "tenantId",
    "jobId",
    "cycleId",
    "changeId",
    "provisioningAction",
    "status",
    "errorCode",
    "reason",
    "durationInMilliseconds",
    "initiatedBy.initiatorType",
    "servicePrincipal.id",
    "servicePrincipal.displayName",
    "targetSystem.displayName",
    "sourceIdentity.id",
    "sourceIdentity.displayName",
    "sourceIdentity.identityType",
    "targetIdentity.id",
    "targetIdentity.displayName",
    "targetIdentity.identityType",
)
STEP_HEADER = (
    "changeId",
    "stepNumber",
    "name",
    "provisioningStepType",
    "status",
    "description",
    "details",
)
MODIFIED_HEADER = ("changeId", "displayName", "oldValue", "newValue")
SET_NAMES = (
    "ProvisioningLogs.csv",
    "ProvisioningLogs_ProvisioningSteps.csv",
    "ProvisioningLogs_ModifiedProperties.csv",
)


def write_csv_set(records: Iterable[Record], directory: Path) -> list[Path]:
    """The three-file set (UTF-8 with a BOM, as spreadsheet programs expect) for ``records``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / name for name in SET_NAMES]
    with (
        paths[0].open("w", newline="", encoding="utf-8-sig") as logs_file,
        paths[1].open("w", newline="", encoding="utf-8-sig") as steps_file,
        paths[2].open("w", newline="", encoding="utf-8-sig") as modified_file,
    ):
        logs, steps, modified = (csv.writer(f) for f in (logs_file, steps_file, modified_file))
        logs.writerow(LOG_HEADER)
        steps.writerow(STEP_HEADER)
        modified.writerow(MODIFIED_HEADER)
        for r in records:
            logs.writerow(
                (
                    r.id,
                    iso(r.when),
                    r.tenant_id,
                    r.job_id,
                    r.cycle_id,
                    r.change_id,
                    r.action,
                    r.status,
                    r.error_code,
                    r.error_reason,
                    r.duration_ms,
                    r.initiator,
                    r.service_principal[0],
                    r.service_principal[1],
                    r.target_system,
                    r.source.id,
                    r.source.display,
                    r.source.type,
                    r.target.id,
                    r.target.display,
                    r.target.type,
                )
            )
            for i, s in enumerate(r.steps, start=1):
                details = json.dumps(dict(s.details), ensure_ascii=False) if s.details else ""
                steps.writerow((r.change_id, i, s.name, s.type, s.status, s.description, details))
            for name, old, new in r.modified:
                modified.writerow(
                    (r.change_id, name, "" if old is None else old, "" if new is None else new)
                )
    return paths
