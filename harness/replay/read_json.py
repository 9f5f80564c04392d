"""JSON exports, read as a stream (a 250,000-record download does not fit in memory as a tree).

One reader for every JSON shape a customer may send:

- the admin center's JSON download (a list of records),
- Graph ``GET /auditLogs/provisioning`` pages (``{"@odata.context", "value": [...], ...}``), one
  or several files, or pages saved one per line,
- JSON Lines (one record per line),
- Log Analytics rows (a list of ``AADProvisioningLogs`` rows, or the query API's
  ``{"tables": [{"columns", "rows"}]}``), and Azure Monitor's ``{"records": [...]}`` archives,
- a ``provisionOnDemand`` answer (``{"key", "value"}``).

Streaming is ijson's (its C backend parses ~100 MB/s); Microsoft's own v1.0 sample has a
trailing comma, so a file that is not strict JSON is read again, leniently, with json5 when it
is small enough to hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from harness.replay.normalise import Normaliser
from harness.replay.records import ReadError, Record

LENIENT_LIMIT = 64 * 2**20  # bytes: larger files must be strict JSON
_CONTAINERS = {"value": "value.item", "records": "records.item"}
_PAGE_KEYS = ("@odata.context", "@odata.nextlink", "@odata.count", "@odata.deltalink")


def read_json(path: Path, normaliser: Normaliser) -> Iterator[Record]:
    """Every record of a JSON export, in file order."""
    name = path.name
    first = _first_char(path)
    if first == "":
        raise ReadError(name, "", "", "the file is empty")
    if first not in "[{":
        raise ReadError(name, "line 1", "", f"not JSON: it starts with {first!r}")
    reader = _Reader(path, normaliser)
    try:
        yield from reader.stream(first)
    except ijson.JSONError as exc:
        if reader.count == 0 and _is_syntax_error(exc) and path.stat().st_size <= LENIENT_LIMIT:
            yield from reader.lenient(exc)
            return
        raise reader.error(exc) from None


class _Reader:
    def __init__(self, path: Path, normaliser: Normaliser) -> None:
        self.path, self.name, self.normaliser = path, path.name, normaliser
        self.count = 0  # records read so far

    def emit(self, raw: Any) -> Iterator[Record]:
        if isinstance(raw, dict):
            f = {str(k).casefold(): k for k in raw}
            for key in ("value", "records"):
                if key in f and isinstance(raw[f[key]], list):
                    for item in raw[f[key]]:
                        yield from self.emit(item)
                    return
            if "tables" in f and isinstance(raw[f["tables"]], list):
                for table in raw[f["tables"]]:
                    yield from self._table(table)
                return
            if "properties" in f and isinstance(raw[f["properties"]], dict):
                raw = {**raw, **raw[f["properties"]]}  # Azure Monitor's archived record
        self.count += 1
        yield self.normaliser.record(raw, self.name, f"record {self.count}")

    def _table(self, table: Any) -> Iterator[Record]:
        columns = [str(c.get("name", "")) for c in (table or {}).get("columns") or []]
        for row in (table or {}).get("rows") or []:
            yield from self.emit(dict(zip(columns, row, strict=False)))

    def stream(self, first: str) -> Iterator[Record]:
        with self.path.open("rb") as handle:
            if first == "[":
                for raw in ijson.items(handle, "item", use_float=True):
                    yield from self.emit(raw)
                return
            prefix = self._container()
            handle.seek(0)
            if prefix is None:  # records (or pages) one after another, JSON Lines
                for raw in ijson.items(handle, "", multiple_values=True, use_float=True):
                    yield from self.emit(raw)
            elif prefix == "tables":
                for table in ijson.items(handle, "tables.item", use_float=True):
                    yield from self._table(table)
            else:
                for raw in ijson.items(handle, prefix, use_float=True):
                    yield from self.emit(raw)

    def _container(self) -> str | None:
        """The stream prefix of the first top-level object's records: a page's ``value``, an
        archive's ``records``, the query API's ``tables``; None when the object is a record."""
        with self.path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle, multiple_values=True):
                if prefix != "" or event != "map_key":
                    if event == "end_map" and prefix == "":
                        return None
                    continue
                key = str(value).casefold()
                if key in _CONTAINERS:
                    return _CONTAINERS[key]
                if key == "tables":
                    return "tables"
                if key not in _PAGE_KEYS:
                    return None
        return None

    def lenient(self, strict_error: Exception) -> Iterator[Record]:
        import json5

        text = self.path.read_text(encoding="utf-8-sig")
        try:
            loaded = json5.loads(text)
        except ValueError:
            raise self.error(strict_error) from None
        self.normaliser.warn_once(
            f"lenient:{self.name}",
            f"{self.name}: not strict JSON ({_first_line(strict_error)}); read leniently "
            "(trailing commas and the like are accepted)",
        )
        for raw in loaded if isinstance(loaded, list) else [loaded]:
            yield from self.emit(raw)

    def error(self, exc: Exception) -> ReadError:
        where = f"record {self.count + 1}"
        if "premature eof" in str(exc).casefold():
            return ReadError(
                self.name,
                where,
                "",
                f"the file ends in the middle of this record (truncated?); "
                f"{self.count} complete record(s) before it",
            )
        return ReadError(self.name, where, "", f"not valid JSON: {_first_line(exc)}")


def _is_syntax_error(exc: Exception) -> bool:
    return "premature eof" not in str(exc).casefold()


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


def _first_char(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4096)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    return text[:1]


def record_json(record: Record) -> dict[str, Any]:
    """A record as Graph v1.0 writes a ``provisioningObjectSummary`` (what the reader reads)."""
    from harness.replay.records import iso

    error = (
        {"errorCode": record.error_code, "reason": record.error_reason}
        if record.error_code or record.error_reason
        else None
    )
    return {
        "id": record.id,
        "activityDateTime": iso(record.when),
        "tenantId": record.tenant_id,
        "jobId": record.job_id,
        "cycleId": record.cycle_id,
        "changeId": record.change_id,
        "provisioningAction": record.action,
        "durationInMilliseconds": record.duration_ms,
        "initiatedBy": {"initiatorType": record.initiator},
        "servicePrincipal": {
            "id": record.service_principal[0],
            "displayName": record.service_principal[1],
        },
        "targetSystem": {"displayName": record.target_system},
        "sourceIdentity": {
            "id": record.source.id,
            "displayName": record.source.display,
            "identityType": record.source.type,
        },
        "targetIdentity": {
            "id": record.target.id,
            "displayName": record.target.display,
            "identityType": record.target.type,
        },
        "provisioningStatusInfo": {"status": record.status, "errorInformation": error},
        "provisioningSteps": [
            {
                "name": s.name,
                "provisioningStepType": s.type,
                "status": s.status,
                "description": s.description,
                "details": dict(s.details),
            }
            for s in record.steps
        ],
        "modifiedProperties": [
            {"displayName": n, "oldValue": o, "newValue": v} for n, o, v in record.modified
        ],
    }


def write_records(records: list[Record], path: Path) -> None:
    """Records as the admin center's JSON download: one list, one record per line."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[\n")
        for i, record in enumerate(records):
            handle.write(
                ("," if i else "") + json.dumps(record_json(record), ensure_ascii=False) + "\n"
            )
        handle.write("]\n")
