"""The policy behind ``-n auto`` (tests/support/parallelism.py, wired in the root conftest.py)."""

from __future__ import annotations

from pathlib import Path

from harness.pytest_plugin import is_case_file
from tests.support.parallelism import SERIAL_BELOW, auto_workers, count_tests

ROOT = Path(__file__).resolve().parents[1]
PYTHON_FILES = ["test_*.py", "*_test.py"]


def test_counts_test_functions_and_case_files(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "def test_one():\n    pass\n\nasync def test_two():\n    pass\n\n"
        "class TestThree:\n    def test_method(self):\n        pass\n\ndef helper_test():\n    pass\n"
    )
    (tmp_path / "helpers.py").write_text("def test_not_collected():\n    pass\n")
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "one.yaml").write_text("title: x\n")
    (cases / "notes.txt").write_text("")
    hidden = tmp_path / ".venv"
    hidden.mkdir()
    (hidden / "test_vendored.py").write_text("def test_x():\n    pass\n")

    assert count_tests([tmp_path], PYTHON_FILES, is_case_file) == 4
    assert count_tests([tmp_path / "test_a.py"], PYTHON_FILES, is_case_file) == 3
    assert count_tests([Path(f"{tmp_path}/test_a.py::test_one")], PYTHON_FILES, is_case_file) == 1
    assert count_tests([tmp_path / "missing"], PYTHON_FILES, is_case_file) == 0


def test_a_small_run_gets_no_workers_and_a_large_one_gets_xdists_choice() -> None:
    assert auto_workers(SERIAL_BELOW - 1, "inprocess") == 0
    assert auto_workers(SERIAL_BELOW, "inprocess") is None
    # A served test costs about ten in-process ones: the same count is big enough over sockets.
    assert auto_workers(SERIAL_BELOW // 10, "thread") is None
    assert auto_workers(SERIAL_BELOW // 10, "inprocess") == 0


def test_this_projects_runs_are_sized_as_measured() -> None:
    scenarios = count_tests([ROOT / "scenarios"], PYTHON_FILES, is_case_file)
    everything = count_tests([ROOT / "tests", ROOT / "scenarios"], PYTHON_FILES, is_case_file)
    assert auto_workers(scenarios, "inprocess") == 0  # `pytest scenarios/`: one process
    assert auto_workers(scenarios, "thread") is None  # CI's loopback run: workers
    assert auto_workers(everything, "inprocess") is None  # the full `pytest`: workers
