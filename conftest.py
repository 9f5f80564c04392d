"""Project-wide pytest policy (loaded for every run from this checkout, before collection).

- ``-n auto`` starts xdist workers only when the run is big enough to repay their start-up
  (tests/support/parallelism.py): ``pytest scenarios/`` runs in one process, the full
  ``pytest`` and the scenarios over loopback sockets run in parallel. An explicit ``-n N`` and
  ``PYTEST_XDIST_AUTO_NUM_WORKERS`` are obeyed as always.
- Hypothesis's pytest plugin imports all of Hypothesis when the run ends, even when no test
  used it (~0.4 s, more where Python writes no bytecode cache). A run whose collected tests
  never imported Hypothesis unregisters it after collection: nothing can need it any more.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.parallelism import auto_workers, count_tests

HYPOTHESIS_PLUGIN = "hypothesispytest"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    from harness.pytest_plugin import is_case_file, selected_backend

    here = config.invocation_params.dir
    paths = [Path(arg) if "::" in arg else here / arg for arg in config.args]
    tests = count_tests(paths, config.getini("python_files"), is_case_file)
    return auto_workers(tests, selected_backend(config))


def pytest_collection_finish(session: pytest.Session) -> None:
    if "hypothesis" not in sys.modules:
        plugin = session.config.pluginmanager.get_plugin(HYPOTHESIS_PLUGIN)
        if plugin is not None:
            session.config.pluginmanager.unregister(plugin)
