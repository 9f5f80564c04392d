"""The decisions ``harness import`` saves beside the case: a replay against the same export
reads them instead of the export, gets exactly what reading the export gives, and reads the
export whenever the file does not fit (another or an edited export, an older format, damage,
a CSV set, ``--anonymise``)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from harness.bench.replay import generate
from harness.replay import decisions_file
from harness.replay.anonymise import DEFAULT_SALT
from harness.replay.importer import import_export
from harness.replay.read_csv import write_csv_set
from harness.replay.replay import recorded_decisions, replay
from harness.replay.sources import read_export

DATA = Path(__file__).resolve().parent / "data"
# Microsoft's samples that hold user records (the other two list service principals only)
SAMPLES = ("graph_beta_list_error.json", "graph_v1_list_error.json", "provision_on_demand_v1.json")


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, Path]:
    """A 60-record export shaped as the engine writes Miro's logs, and its imported case."""
    export, case = tmp_path / "export.json", tmp_path / "case.yaml"
    generate(export, 60)
    import_export([export], case)
    return export, case


def _rows(path: Path) -> tuple[dict[str, object], list[list[object]]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        return header, [json.loads(line) for line in handle]


def _rewrite(path: Path, header: dict[str, object], rows: list[list[object]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for line in [header, *rows]:
            handle.write(json.dumps(line) + "\n")


@pytest.mark.parametrize("sample", SAMPLES)
def test_saved_decisions_are_those_the_export_gives(sample: str, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    result = import_export([DATA / sample], case)
    saved_path = tmp_path / "case.decisions.jsonl.gz"
    assert saved_path in result.written
    saved = decisions_file.read(saved_path, [DATA / sample])
    assert saved is not None
    theirs, cycles, warnings = recorded_decisions([DATA / sample], anonymise=False, salt="")
    assert saved.decisions == theirs  # every field: names, steps, descriptions, when, where
    assert (saved.cycles, saved.warnings) == (cycles, warnings)


def test_saved_decisions_of_a_bench_export_are_those_the_export_gives(
    imported: tuple[Path, Path],
) -> None:
    export, case = imported
    saved = decisions_file.read(decisions_file.decisions_beside(case), [export])
    assert saved is not None and len(saved.decisions) == 60
    theirs, cycles, _ = recorded_decisions([export], anonymise=False, salt="")
    assert saved.decisions == theirs
    assert saved.cycles == cycles == 5


def test_the_replay_takes_the_customers_decisions_from_the_saved_file(
    imported: tuple[Path, Path],
) -> None:
    export, case = imported
    saved_path = decisions_file.decisions_beside(case)
    header, rows = _rows(saved_path)
    rows[7][3] = "delete"  # one decision's action, in the saved file only
    _rewrite(saved_path, header, rows)
    result = replay(case, [export])
    (wrong,) = result.comparison.disagreements
    assert wrong.differences == ["action"]
    assert wrong.theirs is not None and wrong.theirs.action == "delete"
    assert result.comparison.agreed == 59


def test_an_edited_export_is_read_again(imported: tuple[Path, Path]) -> None:
    export, case = imported
    assert replay(case, [export]).comparison.rate == 100.0
    entries = json.loads(export.read_text(encoding="utf-8"))
    entries[0]["provisioningAction"] = "delete"  # same file name, other content
    export.write_text(json.dumps(entries), encoding="utf-8")
    assert decisions_file.read(decisions_file.decisions_beside(case), [export]) is None
    result = replay(case, [export])
    (wrong,) = result.comparison.disagreements
    assert wrong.theirs is not None and wrong.theirs.action == "delete"


def test_a_copy_of_the_export_under_another_folder_fits(
    imported: tuple[Path, Path], tmp_path: Path
) -> None:
    export, case = imported
    (tmp_path / "elsewhere").mkdir()
    copy = shutil.copy(export, tmp_path / "elsewhere" / export.name)
    assert decisions_file.read(decisions_file.decisions_beside(case), [Path(copy)]) is not None
    renamed = shutil.copy(export, tmp_path / "renamed.json")
    assert decisions_file.read(decisions_file.decisions_beside(case), [Path(renamed)]) is None


@pytest.mark.parametrize(
    "damage",
    ["older version", "other format", "a decision missing", "cut short", "not gzip", "bad row"],
)
def test_a_file_that_does_not_fit_is_ignored(damage: str, imported: tuple[Path, Path]) -> None:
    export, case = imported
    saved_path = decisions_file.decisions_beside(case)
    header, rows = _rows(saved_path)
    if damage == "older version":
        _rewrite(saved_path, {**header, "version": 0}, rows)
    elif damage == "other format":
        _rewrite(saved_path, {**header, "format": "something else"}, rows)
    elif damage == "a decision missing":
        _rewrite(saved_path, header, rows[:-1])
    elif damage == "cut short":
        saved_path.write_bytes(saved_path.read_bytes()[:-20])
    elif damage == "not gzip":
        saved_path.write_text("not a decisions file\n", encoding="utf-8")
    else:
        _rewrite(saved_path, header, [*rows[:-1], [1, 2, 3]])
    assert decisions_file.read(saved_path, [export]) is None
    result = replay(case, [export])  # read from the export: all agree
    assert (result.comparison.total, result.comparison.rate) == (60, 100.0)


def test_no_file_for_a_csv_set(imported: tuple[Path, Path], tmp_path: Path) -> None:
    export, _ = imported
    csv_dir = tmp_path / "csv"
    write_csv_set(read_export([export]).records, csv_dir)
    case = tmp_path / "from_csv.yaml"
    stale = decisions_file.decisions_beside(case)
    stale.write_text("from an earlier import", encoding="utf-8")
    result = import_export([csv_dir / "ProvisioningLogs.csv"], case)
    assert not stale.exists()
    assert [p.name for p in result.written] == ["from_csv.yaml"]


def test_no_file_for_an_anonymised_import(imported: tuple[Path, Path]) -> None:
    export, case = imported
    saved_path = decisions_file.decisions_beside(case)
    assert saved_path.exists()
    result = import_export([export], case, anonymise=True, salt=DEFAULT_SALT)
    assert not saved_path.exists()  # the earlier import's file would name the originals
    assert saved_path not in result.written
    assert replay(case, []).comparison.rate == 100.0  # CASE.logs.json, read as before
