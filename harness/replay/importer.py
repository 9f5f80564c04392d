"""``harness import``: a customer's export (and optionally the job's schema) becomes a case file.

Read the export, pseudonymise it if asked, rebuild the cycles and objects, infer the case, write
it; with ``--anonymise`` (or ``--logs-out``) the export is also written in its pseudonymised
form beside the case, so case, schema and logs can be shared together and replayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.replay import decisions_file
from harness.replay.anonymise import DEFAULT_SALT, Pseudonymiser
from harness.replay.case_writer import render
from harness.replay.collector import fewer_collections
from harness.replay.inference import Builder, Draft
from harness.replay.read_csv import write_csv_set
from harness.replay.read_json import write_records
from harness.replay.records import ReadError, Record, iso
from harness.replay.sources import Export, read_export
from harness.replay.timeline import Timeline, build

DEFAULT_MAX_EXPECT = 500


@dataclass
class ImportResult:
    case_file: Path
    records: int
    objects: int
    cycles: int
    todos: list[str]
    warnings: list[str]
    written: list[Path] = field(default_factory=list)


def anonymised(records: list[Record], salt: str) -> tuple[list[Record], Pseudonymiser]:
    pseudo = Pseudonymiser(salt)
    for record in records:
        pseudo.learn(record)
    return [pseudo.record(r) for r in records], pseudo


def load_for_replay(paths: list[Path], *, anonymise: bool, salt: str) -> tuple[Export, Timeline]:
    """The export as ``harness replay`` needs it: the same records and names the import saw."""
    export = read_export(paths, keep_details=False)
    if anonymise:
        export.records, _ = anonymised(export.records, salt)
    return export, build(export.records)


@fewer_collections
def import_export(
    paths: list[Path],
    out: Path,
    *,
    schema: Path | None = None,
    anonymise: bool = False,
    salt: str = DEFAULT_SALT,
    title: str | None = None,
    seed: int = 0,
    max_expect: int = DEFAULT_MAX_EXPECT,
    logs_out: Path | None = None,
    csv_out: Path | None = None,
) -> ImportResult:
    export = read_export(paths)
    if not export.records:
        where = ", ".join(export.files) or ", ".join(str(p) for p in paths)
        raise ReadError(where, "", "", "no user or group records in the export")
    records = export.records
    pseudo: Pseudonymiser | None = None
    if anonymise:
        records, pseudo = anonymised(records, salt)
    timeline = build(records)
    draft = Builder(timeline, has_schema=schema is not None, max_expect=max_expect).build()
    written: list[Path] = []

    schema_name = None
    if schema is not None:
        loaded = _read_schema(schema)
        if pseudo is not None:
            loaded = pseudo.schema(loaded)
        schema_path = out.with_name(
            out.name.removesuffix(".yaml").removesuffix(".yml") + ".schema.json"
        )
        schema_path.write_text(
            json.dumps(loaded, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        schema_name = schema_path.name
        written.append(schema_path)
    if anonymise and logs_out is None:
        logs_out = out.with_name(out.name.removesuffix(".yaml").removesuffix(".yml") + ".logs.json")
    if logs_out is not None:
        write_records(records, logs_out)
        written.append(logs_out)
    if csv_out is not None:
        written += write_csv_set(records, csv_out)

    sources = [p.name for p in (Path(f) for f in export.files)]
    text = render(
        draft,
        title=title or _title(timeline),
        description=_description(timeline, records, draft, anonymise),
        seed=seed,
        sources=[Path(logs_out).name] if anonymise and logs_out else sources,
        schema_file=schema_name,
        warnings=[] if anonymise else export.warnings,
    )
    out.write_text(text, encoding="utf-8")
    written.insert(0, out)
    # A replay against the same export reads these instead of the export (decisions_file).
    saved = decisions_file.decisions_beside(out)
    if anonymise:  # a replay of a shared case reads CASE.logs.json or pseudonymises on the fly
        saved.unlink(missing_ok=True)
    elif decisions_file.write(
        saved,
        paths,
        decisions_file.of_timeline(timeline),
        len(records),
        len(timeline.cycles),
        export.warnings,
    ):
        written.append(saved)
    return ImportResult(
        case_file=out,
        records=len(records),
        objects=len(timeline.objects),
        cycles=len(timeline.cycles),
        todos=draft.todos,
        warnings=export.warnings,
        written=written,
    )


def _read_schema(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ReadError(str(path), "", "", f"cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise ReadError(
            path.name, f"line {getattr(exc, 'lineno', '?')}", "", f"not valid JSON: {exc}"
        ) from None
    except RecursionError:
        raise ReadError(path.name, "", "", "nested too deeply to read") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("synchronizationRules"), list):
        raise ReadError(
            path.name,
            "",
            "synchronizationRules",
            "not a synchronizationSchema (no synchronizationRules list)",
        )
    return loaded


def _title(timeline: Timeline) -> str:
    users = sum(1 for o in timeline.objects.values() if o.kind == "User")
    groups = len(timeline.objects) - users
    return f"Imported provisioning logs: {users} user(s), {groups} group(s), {len(timeline.cycles)} cycle(s)"


def _description(timeline: Timeline, records: list[Record], draft: Draft, anonymise: bool) -> str:
    first, last = records[0].when, records[-1].when
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[f"{r.action}/{r.status}"] = outcomes.get(f"{r.action}/{r.status}", 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items(), key=lambda kv: -kv[1]))
    text = (
        f"Rebuilt from {len(records)} provisioning-log records between {iso(first)} and {iso(last)} "
        f"({summary}). "
    )
    if anonymise:
        text += "Names, e-mail addresses, UPNs, ids and display names are pseudonyms. "
    if draft.todos:
        text += f"{len(draft.todos)} open question(s): see the TODOs at the top."
    return text
