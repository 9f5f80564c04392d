"""Reading exports: Microsoft's documented samples with their inconsistencies, every format
(JSON download, Graph pages, JSON Lines, the CSV three-file set with unknown headers, Log
Analytics rows), and clear errors for broken files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness.cases.loader import load_case
from harness.replay.importer import import_export
from harness.replay.read_csv import write_csv_set
from harness.replay.records import ReadError
from harness.replay.sources import read_export

DATA = Path(__file__).resolve().parent / "data"


def entry(
    source: str = "11111111-2222-4333-8444-555555555555",
    name: str = "alice@contoso.com",
    *,
    when: str = "2025-03-01T10:00:00Z",
    cycle: str = "c1",
    change: str = "ch1",
    action: str = "create",
    status: str = "success",
) -> dict[str, object]:
    return {
        "id": f"id-{change}",
        "activityDateTime": when,
        "cycleId": cycle,
        "changeId": change,
        "jobId": "miro.job",
        "provisioningAction": action,
        "provisioningStatusInfo": {"status": status, "errorInformation": None},
        "sourceIdentity": {"id": source, "displayName": name, "identityType": "User"},
        "targetIdentity": {
            "id": "",
            "displayName": "",
            "identityType": "urn:ietf:params:scim:schemas:core:2.0:User",
        },
        "provisioningSteps": [
            {
                "name": "EntryImportAdd",
                "provisioningStepType": "import",
                "status": "success",
                "description": f"Received User '{name}' change of type (Add) from Azure Active Directory",
                "details": {"userPrincipalName": name, "accountEnabled": "True"},
            },
            {
                "name": "EntryExportAdd",
                "provisioningStepType": "export",
                "status": status,
                "description": f"User '{name}' was created in Miro",
                "details": {},
            },
        ],
        "modifiedProperties": [{"displayName": "userName", "oldValue": None, "newValue": name}],
    }


# -- Microsoft's samples --------------------------------------------------------------------


def test_v1_error_sample_reads_with_its_object_service_principal(tmp_path: Path) -> None:
    export = read_export([DATA / "graph_v1_list_error.json"])
    (record,) = export.records
    assert (record.object_type, record.source.display) == ("Group", "Self-service Pilot")
    assert (record.action, record.status, record.error_code) == (
        "create",
        "failure",
        "ContosoEntryConflict",
    )
    assert record.service_principal == ("chc46a42-966b-47d7-9774-576b1c8bd0b8", "Contoso")
    assert [s.type for s in record.steps] == ["import", "matching", "export"]
    assert export.warnings == []


def test_v1_success_sample_with_its_trailing_comma_is_read_leniently() -> None:
    export = read_export([DATA / "graph_v1_list_success.json"])
    # Its one record is about a RolesCompound (an AWS role import), not a user or group.
    assert export.records == [] and export.left_out == 1
    assert any("not strict JSON" in w for w in export.warnings)
    assert any("RolesCompound" in w and "left out" in w for w in export.warnings)


def test_beta_samples_use_action_and_status_info() -> None:
    (record,) = read_export([DATA / "graph_beta_list_error.json"]).records
    assert (record.action, record.status) == ("create", "failure")
    assert (record.error_code, record.error_reason[:41]) == (
        "ContosoEntryConflict",
        "Message: Contoso returned an error respon",
    )
    export = read_export([DATA / "graph_beta_list_success.json"])
    assert any("'EntryExportUpdate' is a step name; read as 'update'" in w for w in export.warnings)


def test_initiating_type_and_collection_service_principal_are_read(tmp_path: Path) -> None:
    raw = entry()
    raw["initiatedBy"] = {
        "initiatingType": "System",
        "id": "",
        "displayName": "Azure AD Provisioning Service",
    }
    raw["servicePrincipal"] = [{"id": "sp-1", "displayName": "Miro"}]
    path = tmp_path / "one.json"
    path.write_text(json.dumps([raw]))
    (record,) = read_export([path]).records
    assert record.initiator == "system"
    assert record.service_principal == ("sp-1", "Miro")


def test_provision_on_demand_answer_is_a_record() -> None:
    (record,) = read_export([DATA / "provision_on_demand_v1.json"]).records
    assert record.on_demand
    assert (record.action, record.status, record.skip_reason) == (
        "other",
        "skipped",
        "RedundantExport",
    )
    assert [s.type for s in record.steps] == ["import", "matching", "scoping", "export"]
    assert record.source.type == "User"


@pytest.mark.parametrize("sample", sorted(p.name for p in DATA.glob("*.json")))
def test_every_sample_imports_into_a_valid_case_or_says_why_not(
    sample: str, tmp_path: Path
) -> None:
    out = tmp_path / "case.yaml"
    try:
        result = import_export([DATA / sample], out)
    except ReadError as exc:
        assert "no user or group records" in str(exc)  # the RolesCompound samples
        return
    case = load_case(out)
    assert case.expect["logs"], "the recorded outcome is an expectation"
    assert result.records == 1


# -- formats ----------------------------------------------------------------------------------


def test_download_list_newest_first_comes_back_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "download.json"
    first = entry(change="a", when="2025-03-01T10:00:00Z", cycle="c1")
    second = entry(change="b", when="2025-03-01T10:40:00Z", cycle="c2", action="update")
    path.write_text(json.dumps([second, first]))
    records = read_export([path]).records
    assert [r.change_id for r in records] == ["a", "b"]


def test_json_lines_and_several_pages(tmp_path: Path) -> None:
    lines = tmp_path / "lines.jsonl"
    lines.write_text("\n".join(json.dumps(entry(change=c)) for c in ("a", "b")) + "\n")
    page = tmp_path / "page.json"
    page.write_text(
        json.dumps({"@odata.context": "x", "value": [entry(change="c")], "@odata.nextLink": "y"})
    )
    records = read_export([lines, page]).records
    assert sorted(r.change_id for r in records) == ["a", "b", "c"]


def test_records_and_schemas_nested_past_pythons_parser_are_refused_by_name(
    tmp_path: Path,
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    rows = tmp_path / "la.json"
    rows.write_text(json.dumps([{**entry(), "provisioningSteps": deep}]))
    with pytest.raises(ReadError) as caught:
        read_export([rows])
    assert str(caught.value) == "la.json: record 1: unreadable record: nested too deeply"
    answer = tmp_path / "on-demand.json"
    answer.write_text(json.dumps([{"key": "k", "value": deep}]))
    with pytest.raises(ReadError) as caught:
        read_export([answer])
    assert str(caught.value) == "on-demand.json: record 1: field value: nested too deeply to read"
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"value": [entry()]}))
    schema = tmp_path / "schema.json"
    schema.write_text(deep)
    out = tmp_path / "case.yaml"
    with pytest.raises(ReadError) as caught:
        import_export([page], out, schema=schema)
    assert str(caught.value) == "schema.json: nested too deeply to read"
    assert not out.exists()


def test_log_analytics_rows_with_json_strings_and_numeric_codes(tmp_path: Path) -> None:
    raw = entry()
    steps = raw["provisioningSteps"]
    assert isinstance(steps, list)
    for step in steps:
        step["provisioningStepType"] = {"import": 0, "export": 5}[step["provisioningStepType"]]
        step["status"] = 0
    row = {
        "TimeGenerated": "2025-03-01T10:00:00.1234567Z",
        "Id": "la-1",
        "CycleId": "c1",
        "ChangeId": "ch1",
        "JobId": "miro.job",
        "Action": "Create",
        "ResultType": "Success",
        "ResultSignature": "None",
        "SourceIdentity": json.dumps(raw["sourceIdentity"]),
        "TargetIdentity": json.dumps(raw["targetIdentity"]),
        "ProvisioningSteps": json.dumps(steps),
        "ModifiedProperties": json.dumps(raw["modifiedProperties"]),
        "ServicePrincipal": json.dumps({"Id": "sp", "Name": "Miro"}),
    }
    rows = tmp_path / "la.json"
    rows.write_text(json.dumps([row]))
    tables = tmp_path / "la-api.json"
    tables.write_text(
        json.dumps(
            {
                "tables": [
                    {
                        "name": "PrimaryResult",
                        "columns": [{"name": k} for k in row],
                        "rows": [list(row.values())],
                    }
                ]
            }
        )
    )
    la_csv = tmp_path / "la.csv"
    with la_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(row)
        writer.writerow(row.values())
    for path in (rows, tables, la_csv):
        (record,) = read_export([path]).records
        assert (record.action, record.status, record.error_code) == ("create", "success", "")
        assert [(s.name, s.type, s.status) for s in record.steps] == [
            ("EntryImportAdd", "import", "success"),
            ("EntryExportAdd", "export", "success"),
        ]
        assert record.service_principal == ("sp", "Miro")
        assert record.when.microsecond == 123456


def test_csv_set_round_trips_and_finds_its_siblings(tmp_path: Path) -> None:
    source = tmp_path / "logs.json"
    source.write_text(json.dumps([entry(change="a"), entry(change="b", action="update")]))
    records = read_export([source]).records
    write_csv_set(records, tmp_path / "set")
    again = read_export([tmp_path / "set" / "ProvisioningLogs.csv"]).records
    assert [(r.action, r.steps, r.modified, r.source) for r in again] == [
        (r.action, r.steps, r.modified, r.source) for r in records
    ]


def test_csv_headers_are_matched_by_alias_and_unknown_ones_named(tmp_path: Path) -> None:
    folder = tmp_path / "portal"
    folder.mkdir()
    with (folder / "ProvisioningLogs.csv").open("w", newline="", encoding="utf-8-sig") as handle:
        w = csv.writer(handle)
        w.writerow(
            [
                "Date (UTC)",
                "Change ID",
                "Cycle ID",
                "Action",
                "Status",
                "Source Identity ID",
                "Source Identity Name",
                "Source Identity Type",
                "Mystery Column",
            ]
        )
        w.writerow(
            [
                "3/1/2025, 10:00:00 AM",
                "ch1",
                "c1",
                "Create",
                "Success",
                "11111111-2222-4333-8444-555555555555",
                "alice@contoso.com",
                "User",
                "?",
            ]
        )
    with (folder / "ProvisioningLogs_ProvisioningSteps.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["Change ID", "Step #", "Step Name", "Step Type", "Step Status", "Description"])
        w.writerow(["ch1", "2", "EntryExportAdd", "Export", "Success", "created"])
        w.writerow(["ch1", "1", "EntryImportAdd", "Import", "Success", "received"])
    with (folder / "ProvisioningLogs_ModifiedProperties.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["Change ID", "Property", "Old Value", "New Value"])
        w.writerow(["ch1", "userName", "", "alice@contoso.com"])
    export = read_export([folder])
    (record,) = export.records
    assert record.when.isoformat() == "2025-03-01T10:00:00+00:00"
    assert [s.name for s in record.steps] == ["EntryImportAdd", "EntryExportAdd"]
    assert record.modified == (("userName", None, "alice@contoso.com"),)
    assert export.warnings == [
        "ProvisioningLogs.csv: columns not understood (ignored): Mystery Column"
    ]


# -- broken exports -----------------------------------------------------------------------------


def test_truncated_download_names_file_and_record(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    text = json.dumps([entry(change="a"), entry(change="b"), entry(change="c")])
    path.write_text(text[: len(text) * 2 // 3])
    with pytest.raises(ReadError) as caught:
        read_export([path])
    assert str(caught.value).startswith(
        "cut.json: record 3: the file ends in the middle of this record"
    )


def test_malformed_json_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    good = json.dumps(entry(change="a"))
    path.write_text(f"[{good}, {good[:-1]} oops]")
    with pytest.raises(ReadError) as caught:
        read_export([path])
    assert str(caught.value).startswith("bad.json: record 2: not valid JSON")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e: e.pop("sourceIdentity"), "record 1: field sourceIdentity.id: missing"),
        (
            lambda e: e.update(activityDateTime="yesterday"),
            "record 1: field activityDateTime: not a date",
        ),
        (
            lambda e: e["provisioningStatusInfo"].update(status="fine"),
            "record 1: field provisioningStatusInfo.status: unknown status 'fine'",
        ),
        (
            lambda e: e.update(provisioningSteps="x"),
            "record 1: field provisioningSteps: must be a list",
        ),
        (
            lambda e: e.update(provisioningAction="explode"),
            "record 1: field provisioningAction: unknown action",
        ),
    ],
)
def test_bad_record_names_file_record_and_field(
    tmp_path: Path, change: object, expected: str
) -> None:
    raw = entry()
    assert callable(change)
    change(raw)
    path = tmp_path / "x.json"
    path.write_text(json.dumps([raw]))
    with pytest.raises(ReadError) as caught:
        read_export([path])
    assert str(caught.value).startswith(f"x.json: {expected}")


def test_csv_without_change_id_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ProvisioningLogs.csv"
    path.write_text("Date,Action\n2025-03-01T10:00:00Z,Create\n")
    with pytest.raises(ReadError) as caught:
        read_export([path])
    assert str(caught.value).startswith(
        "ProvisioningLogs.csv: line 1: field changeId: no column for"
    )
