"""The harness's pytest plugin (registered through the ``pytest11`` entry point).

- ``--harness-backend inprocess|thread|container`` (default: ``$HARNESS_BACKEND``, else
  ``inprocess``) chooses where each test's lab runs.
- Fixtures: ``lab`` (a fresh lab per test, seeded from the test's node id), ``served_lab``
  (always served over loopback sockets), ``driver`` and ``served_driver`` (the readable
  helpers of ``harness.scenario`` over those labs), ``harness_backend``, ``lab_seed``.
- Support-case files are collected as tests: ``*.yaml``/``*.yml`` files in a folder named
  ``cases``, and ``case_*.yaml`` / ``*.case.yaml`` anywhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.backends import BACKEND_ENV, BACKENDS, DEFAULT_BACKEND, check_backend, open_lab
from harness.scenario import Driver


def stable_seed(node_id: str) -> int:
    """A seed from a test's node id that is the same in every process and run (unlike
    ``hash()``, which Python salts per process)."""
    return int.from_bytes(hashlib.sha256(node_id.encode()).digest()[:4], "big")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "Entra -> Miro provisioning harness")
    group.addoption(
        "--harness-backend",
        action="store",
        dest="harness_backend",
        default=None,
        choices=BACKENDS,
        help=f"where labs run: {', '.join(BACKENDS)} (default: ${BACKEND_ENV} or {DEFAULT_BACKEND})",
    )


def _backend(config: pytest.Config) -> str:
    chosen = config.getoption("harness_backend", default=None)
    return check_backend(chosen or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND)


@pytest.fixture(scope="session")
def harness_backend(request: pytest.FixtureRequest) -> str:
    return _backend(request.config)


@pytest.fixture
def lab_seed(request: pytest.FixtureRequest) -> int:
    return stable_seed(request.node.nodeid)


@pytest.fixture
def lab(harness_backend: str, lab_seed: int) -> Iterator[Any]:
    """A fresh lab: both fakes, the Miro job pointed at the Miro fake, a virtual clock."""
    with open_lab(harness_backend, lab_seed) as fresh:
        yield fresh


@pytest.fixture
def served_lab(harness_backend: str, lab_seed: int) -> Iterator[Any]:
    """The same lab served over loopback sockets on free ports."""
    backend = "thread" if harness_backend == "inprocess" else harness_backend
    with open_lab(backend, lab_seed) as fresh:
        yield fresh


@pytest.fixture
def driver(lab: Any) -> Driver:
    return Driver(lab)


@pytest.fixture
def served_driver(served_lab: Any) -> Driver:
    return Driver(served_lab)


# -- support cases ------------------------------------------------------------------------


def is_case_file(path: Path) -> bool:
    name = path.name
    if not name.endswith((".yaml", ".yml")):
        return False
    return path.parent.name == "cases" or name.startswith("case_") or name.endswith(
        (".case.yaml", ".case.yml"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from harness.cases.loader import CaseError, load_case

        try:
            case = load_case(self.path)
        except CaseError as exc:
            raise self.CollectError(str(exc)) from None
        item = CaseItem.from_parent(self, name=case.name, case=case)
        if case.xfail:
            item.add_marker(pytest.mark.xfail(strict=True, reason=case.xfail))
        yield item


class CaseFailed(Exception):
    """A case ran and at least one expectation failed (the report says which)."""


class CaseItem(pytest.Item):
    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.result: Any = None

    def runtest(self) -> None:
        from harness.cases.runner import run_case

        self.result = run_case(self.case, backend=_backend(self.config))
        if not self.result.passed:
            raise CaseFailed()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailed) and self.result is not None:
            from harness.cases.report import terminal_report

            return terminal_report(self.result, color=False, failures_only=True)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"case: {self.case.title}"
