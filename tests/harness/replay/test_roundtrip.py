"""Round trips: run a shipped case, export its logs (Graph pages, the CSV three-file set), import
them as a new case, replay that case against the export: every decision agrees. And the
converse: one decision changed in the export is reported as exactly one disagreement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cases.loader import load_case
from harness.cases.runner import run_case
from harness.replay import decisions_file
from harness.replay.importer import import_export
from harness.replay.normalise import Normaliser
from harness.replay.read_csv import write_csv_set
from harness.replay.records import ReadError
from harness.replay.replay import recorded_decisions, replay
from harness.replay.runner import run_for_replay
from harness.replay.sources import read_export

CASES = Path(__file__).resolve().parents[3] / "scenarios" / "cases"
SHIPPED = sorted(p.name for p in CASES.glob("*.yaml"))
PAGE = 3  # small pages, so every export spans several


def export_graph_pages(case_name: str, folder: Path) -> tuple[list[Path], Path | None]:
    """Run the shipped case; save its provisioning logs as Graph ``/auditLogs/provisioning``
    pages, and the job's schema when the case loads one (what a customer would send)."""
    case = load_case(CASES / case_name)
    result = run_case(case)
    assert result.error is None, result.error
    entries = result.logs
    assert entries, f"{case_name} wrote no provisioning log"
    pages = []
    for n, start in enumerate(range(0, len(entries), PAGE), start=1):
        page = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning",
            "value": entries[start : start + PAGE],
        }
        if start + PAGE < len(entries):
            page["@odata.nextLink"] = (
                f"https://graph.microsoft.com/v1.0/auditLogs/provisioning?$skiptoken={n}"
            )
        path = folder / f"page{n:02}.json"
        path.write_text(json.dumps(page), encoding="utf-8")
        pages.append(path)
    schema = None
    if "schema_file" in case.job:
        schema = folder / "schema.json"
        schema.write_text(json.dumps(case.attachments["schema_file"]), encoding="utf-8")
    return pages, schema


@pytest.mark.parametrize("case_name", SHIPPED)
def test_graph_pages_round_trip_agrees_fully(case_name: str, tmp_path: Path) -> None:
    pages, schema = export_graph_pages(case_name, tmp_path)
    case_file = tmp_path / "imported.yaml"
    import_export(pages, case_file, schema=schema)
    # the replay takes the customer's decisions from the import's file: the export's own
    saved = decisions_file.read(decisions_file.decisions_beside(case_file), pages)
    assert saved is not None
    assert saved.decisions == recorded_decisions(pages, anonymise=False, salt="")[0]
    result = replay(case_file, pages)
    assert result.error is None
    assert result.comparison.total == len(read_export(pages).records)
    assert result.comparison.disagreements == []
    assert result.comparison.rate == 100.0


@pytest.mark.parametrize("case_name", SHIPPED)
def test_csv_set_round_trip_agrees_fully(case_name: str, tmp_path: Path) -> None:
    pages, schema = export_graph_pages(case_name, tmp_path)
    csv_dir = tmp_path / "csv"
    write_csv_set(read_export(pages).records, csv_dir)
    export = [csv_dir / "ProvisioningLogs.csv"]  # the other two files are found beside it
    case_file = tmp_path / "imported.yaml"
    import_export(export, case_file, schema=schema)
    result = replay(case_file, export)
    assert result.comparison.total == len(read_export(pages).records)
    assert result.comparison.disagreements == []


def test_one_altered_decision_is_exactly_one_disagreement(tmp_path: Path) -> None:
    pages, _ = export_graph_pages("skip_out_of_scope_deletions.yaml", tmp_path)
    case_file = tmp_path / "imported.yaml"
    import_export(pages, case_file)
    entries = [e for p in pages for e in json.loads(p.read_text())["value"]]
    # dana's second-cycle skip becomes a disable, as if the secret were off in the tenant
    victim = next(
        e
        for e in entries
        if e["sourceIdentity"]["displayName"].startswith("dana")
        and e["provisioningStatusInfo"]["status"] == "skipped"
    )
    victim["provisioningAction"] = "disable"
    victim["provisioningStatusInfo"]["status"] = "success"
    victim["provisioningSteps"][-1] = {
        "name": "EntryExportUpdate",
        "provisioningStepType": "export",
        "status": "success",
        "description": "User 'dana@contoso.com' was updated in Miro",
        "details": {},
    }
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(entries), encoding="utf-8")

    result = replay(case_file, [altered])
    (wrong,) = result.comparison.disagreements
    assert (wrong.object, wrong.cycle) == ("dana", 2)
    assert wrong.differences == ["action", "status", "skip_reason", "steps"]
    assert wrong.first_step == 2
    assert wrong.theirs is not None and wrong.theirs.steps[2][0] == "EntryExportUpdate"
    assert wrong.ours is not None and wrong.ours.steps[2][0] == "EntrySynchronizationSkip"
    assert result.comparison.agreed == result.comparison.total - 1


def test_anonymised_case_replays_against_its_own_logs(tmp_path: Path) -> None:
    pages, _ = export_graph_pages("team_name_mismatch.yaml", tmp_path)
    case_file = tmp_path / "shared.yaml"
    imported = import_export(pages, case_file, anonymise=True)
    logs = tmp_path / "shared.logs.json"
    assert logs in imported.written
    shared = case_file.read_text() + logs.read_text()
    originals = ("alice", "bob", "Design", "contoso", "Bob Example")
    assert [o for o in originals if o.casefold() in shared.casefold()] == []
    result = replay(case_file, [])  # finds shared.logs.json beside the case
    assert result.comparison.disagreements == []
    assert result.comparison.total == imported.records
    # and against the original export, pseudonymised on the fly
    again = replay(case_file, pages, anonymise=True)
    assert again.comparison.disagreements == []


def test_unsupported_filter_value_failures_set_the_special_characters(tmp_path: Path) -> None:
    # The customer's engine refused to filter on an apostrophe the default set leaves out: the
    # imported case adds it, so the replay fails the same user for the same reason.
    pages, _ = export_graph_pages("apostrophe_username.yaml", tmp_path)
    case_file = tmp_path / "imported.yaml"
    import_export(pages, case_file)
    settings = load_case(case_file).job["settings"]
    assert settings["filter_special_characters"].startswith("'")


def test_an_unreadable_entry_of_our_run_is_raised_when_the_run_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Entries are read inside the engine's cycle; the error must reach the caller, not become
    # the engine's own per-object fault.
    read: list[str] = []
    record = Normaliser.record

    def failing_second(self: Normaliser, raw: Any, file: str, where: str) -> Any:
        read.append(where)
        if len(read) == 2:
            raise ReadError(file, where, "id", "not readable")
        return record(self, raw, file, where)

    monkeypatch.setattr(Normaliser, "record", failing_second)
    with pytest.raises(ReadError, match="our run: entry 2: field id: not readable"):
        run_for_replay(load_case(CASES / SHIPPED[0]))
    assert read == ["entry 1", "entry 2"]  # nothing read after the first unreadable entry
