"""The replay's and the import's collector setting: raised while they run, restored after."""

from __future__ import annotations

import gc

import pytest

from harness.replay.collector import YOUNG_THRESHOLD, larger_young_generation


def test_the_young_threshold_is_raised_during_the_call_and_restored_after() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    @larger_young_generation
    def work() -> str:
        seen.append(gc.get_threshold())
        return "done"

    try:
        gc.set_threshold(700, 10, 10)
        assert work() == "done"
        assert seen == [(YOUNG_THRESHOLD, 10, 10)]
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_higher_threshold_is_kept_and_an_exception_still_restores() -> None:
    before = gc.get_threshold()

    @larger_young_generation
    def fails() -> None:
        assert gc.get_threshold() == (50_000, 5, 5)
        raise RuntimeError("boom")

    try:
        gc.set_threshold(50_000, 5, 5)
        with pytest.raises(RuntimeError, match="boom"):
            fails()
        assert gc.get_threshold() == (50_000, 5, 5)
    finally:
        gc.set_threshold(*before)
