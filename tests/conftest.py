"""The hostile-input suite's figures (tests/hostile), added up over xdist workers and printed at
the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.hostile import TALLY, add_figures

_from_workers: dict[str, int] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker: hand its figures to the controller
        output["hostile_figures"] = TALLY.figures()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    figures = getattr(node, "workeroutput", {}).get("hostile_figures")
    if figures:
        add_figures(_from_workers, figures)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = dict(_from_workers)
    add_figures(total, TALLY.figures())
    if not total.get("requests"):
        return
    terminalreporter.section("hostile input")
    terminalreporter.write_line(
        f"{total['requests']} requests sent; answers >= 500: {total['server_errors']}; "
        f"wrong format: {total['wrong_format']}; state changes after a rejection: "
        f"{total['state_changes']}; unauthenticated API routes: {total['unauthenticated']}; "
        f"users lost or wrongly reactivated: {total['users_lost']}"
    )
