"""The replay's and the import's collector thresholds: raised while they run, restored after."""

from __future__ import annotations

import gc

import pytest

from harness.replay.collector import OLDEST_THRESHOLD, YOUNG_THRESHOLD, fewer_collections


def test_the_thresholds_are_raised_during_the_call_and_restored_after() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    @fewer_collections
    def work() -> str:
        seen.append(gc.get_threshold())
        return "done"

    try:
        gc.set_threshold(700, 10, 10)
        assert work() == "done"
        assert seen == [(YOUNG_THRESHOLD, 10, OLDEST_THRESHOLD)]
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_higher_threshold_is_kept_and_an_exception_still_restores() -> None:
    before = gc.get_threshold()

    @fewer_collections
    def fails() -> None:
        assert gc.get_threshold() == (50_000, 5, 500)
        raise RuntimeError("boom")

    try:
        gc.set_threshold(50_000, 5, 500)
        with pytest.raises(RuntimeError, match="boom"):
            fails()
        assert gc.get_threshold() == (50_000, 5, 500)
    finally:
        gc.set_threshold(*before)
