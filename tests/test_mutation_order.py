"""The fastest-first order of mutation runs (tests/support/mutation_order.py, loaded by
``[tool.mutmut]`` in pyproject.toml)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import Phase, settings

from tests.support import mutation_order


@dataclass
class FakeItem:
    nodeid: str


def order(items: list[FakeItem]) -> list[str]:
    mutation_order.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    return [item.nodeid for item in items]


def write_stats(directory: Path, durations: dict[str, float]) -> None:
    stats = {"tests_by_mangled_function_name": {}, "duration_by_test": durations}
    (directory / "mutmut-stats.json").write_text(json.dumps(stats))


def test_runs_the_fastest_tests_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_stats(tmp_path, {"t.py::slow": 20.0, "t.py::quick": 0.01, "t.py::middle": 1.5})
    items = [FakeItem("t.py::slow"), FakeItem("t.py::middle"), FakeItem("t.py::quick")]
    assert order(items) == ["t.py::quick", "t.py::middle", "t.py::slow"]


def test_unknown_tests_come_first_in_their_own_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_stats(tmp_path, {"t.py::slow": 20.0})
    items = [FakeItem("t.py::slow"), FakeItem("t.py::new_b"), FakeItem("t.py::new_a")]
    assert order(items) == ["t.py::new_b", "t.py::new_a", "t.py::slow"]


def test_reads_the_stats_again_when_mutmut_rewrites_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_stats(tmp_path, {"t.py::a": 1.0, "t.py::b": 2.0})
    assert order([FakeItem("t.py::b"), FakeItem("t.py::a")]) == ["t.py::a", "t.py::b"]
    write_stats(tmp_path, {"t.py::a": 3.0, "t.py::b": 2.0, "t.py::c": 0.5})
    assert order([FakeItem("t.py::a"), FakeItem("t.py::b"), FakeItem("t.py::c")]) == [
        "t.py::c",
        "t.py::b",
        "t.py::a",
    ]


@pytest.mark.parametrize("content", [None, "not json", '{"no_durations": {}}'])
def test_keeps_pytests_order_without_usable_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None
) -> None:
    monkeypatch.chdir(tmp_path)
    if content is not None:
        (tmp_path / "mutmut-stats.json").write_text(content)
    items = [FakeItem("t.py::b"), FakeItem("t.py::a")]
    assert order(items) == ["t.py::b", "t.py::a"]


def test_the_mutation_profile_is_derandomised_and_does_not_shrink() -> None:
    profile = settings.get_profile(mutation_order.MUTATION_PROFILE)
    assert profile.derandomize is True
    assert Phase.generate in profile.phases
    assert Phase.shrink not in profile.phases
