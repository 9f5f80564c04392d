"""The harness's pytest plugin (registered through the ``pytest11`` entry point).

- ``--harness-backend inprocess|thread|container`` (default: ``$HARNESS_BACKEND``, else
  ``inprocess``) chooses where each test's lab runs.
- Fixtures: ``lab`` (a fresh lab per test, seeded from the test's node id), ``served_lab``
  (always served over loopback sockets), ``driver`` and ``served_driver`` (the readable
  helpers of ``harness.testing.driver`` over those labs), ``harness_backend``, ``lab_seed``.
- Support-case files are collected as tests: ``*.yaml``/``*.yml`` files in a folder named
  ``cases``, and ``case_*.yaml`` / ``*.case.yaml`` anywhere.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.testing.driver import Driver

# The plugin loads in every pytest run of a project that installs the package, so `pytest --help`
# must stay fast: harness.lab.backends (and with it both fakes and Flask), harness.testing
# (httpx) and harness.cases are imported inside the hooks and fixtures that need them.
BACKEND_ENV = "HARNESS_BACKEND"
DEFAULT_BACKEND = "inprocess"


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
        help=f"where labs run: inprocess, thread or container (default: ${BACKEND_ENV} or {DEFAULT_BACKEND})",
    )
    group.addoption(
        "--harness-tls",
        action="store_true",
        dest="harness_tls",
        default=False,
        help="served labs (thread, container) listen on HTTPS with a CA their clients trust",
    )
    group.addoption(
        "--harness-strict-auth",
        action="store_true",
        dest="harness_strict_auth",
        default=False,
        help="the Graph fake checks client secrets and application permissions",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("harness_backend", default=None) or os.environ.get(BACKEND_ENV):
        try:
            _backend(config)
        except ValueError as exc:  # e.g. HARNESS_BACKEND=cloud: say so once, not in every test
            raise pytest.UsageError(str(exc)) from None


def selected_backend(config: pytest.Config) -> str:
    """The backend named by ``--harness-backend`` or ``$HARNESS_BACKEND`` (not yet checked)."""
    chosen = config.getoption("harness_backend", default=None)
    return str(chosen or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND)


def _backend(config: pytest.Config) -> str:
    name = selected_backend(config)
    if name == DEFAULT_BACKEND:
        return name
    from harness.lab.backends import check_backend

    return check_backend(name)


@pytest.fixture(scope="session")
def harness_backend(request: pytest.FixtureRequest) -> str:
    return _backend(request.config)


@pytest.fixture(scope="session")
def harness_identity(request: pytest.FixtureRequest) -> dict[str, bool]:
    """``--harness-tls`` and ``--harness-strict-auth``, as ``open_lab`` takes them."""
    return {
        "tls": bool(request.config.getoption("harness_tls", default=False)),
        "strict_auth": bool(request.config.getoption("harness_strict_auth", default=False)),
    }


@pytest.fixture
def lab_seed(request: pytest.FixtureRequest) -> int:
    return stable_seed(request.node.nodeid)


@pytest.fixture
def lab(harness_backend: str, lab_seed: int, harness_identity: dict[str, bool]) -> Iterator[Any]:
    """A fresh lab: both fakes, the Miro job pointed at the Miro fake, a virtual clock."""
    from harness.lab.backends import open_lab

    with open_lab(harness_backend, lab_seed, **harness_identity) as fresh:
        yield fresh


@pytest.fixture
def served_lab(
    harness_backend: str, lab_seed: int, harness_identity: dict[str, bool]
) -> Iterator[Any]:
    """The same lab served over loopback sockets on free ports."""
    from harness.lab.backends import open_lab

    backend = "thread" if harness_backend == "inprocess" else harness_backend
    with open_lab(backend, lab_seed, **harness_identity) as fresh:
        yield fresh


@pytest.fixture
def driver(lab: Any) -> Driver:
    from harness.testing.driver import Driver

    return Driver(lab)


@pytest.fixture
def served_driver(served_lab: Any) -> Driver:
    from harness.testing.driver import Driver

    return Driver(served_lab)


LAB_FIXTURES = frozenset({"lab", "served_lab"})
# Python's default (700) starts a young collection every few hundred objects; a lab allocates
# tens of thousands (two Flask apps and their URL maps). Python 3.13 raised it to 2,000.
LAB_RUN_GC_THRESHOLD = 10_000


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """In a run with labs, keep the garbage collector off what collection leaves for good
    (modules, test items): ``gc.freeze()`` moves it out of the collected generations, so the
    collections each lab's garbage triggers no longer rescan it (a third of the scenario
    suite's time went to collections before). Measured in docs/benchmarks.md."""
    if not any(_uses_a_lab(item) for item in session.items):
        return
    gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, LAB_RUN_GC_THRESHOLD), *older)


def _uses_a_lab(item: pytest.Item) -> bool:
    return isinstance(item, CaseItem) or not LAB_FIXTURES.isdisjoint(
        getattr(item, "fixturenames", ())
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """When a test that used the driver fails, add what the lab saw: every provisioning-log
    line and every request the engine sent to Miro (probes left out)."""
    report = yield
    if call.when == "call" and report.failed and "harness.testing.driver" in sys.modules:
        from harness.testing.driver import Driver

        funcargs = getattr(item, "funcargs", {})
        driver = next((v for v in funcargs.values() if isinstance(v, Driver)), None)
        if driver is not None:
            report.sections.append(("harness: what the lab saw", lab_summary(driver)))
    return report


def lab_summary(driver: Driver) -> str:
    from harness.testing.readers import describe_entry, is_probe

    try:
        entries = driver.logs()
        requests = [r for r in driver.requests(since_mark=False) if not is_probe(r)]
        status = driver.status()
    except Exception as exc:  # the lab may be the thing that broke; never hide the failure
        return f"(could not read the lab: {exc})"
    lines = [f"provisioning log ({len(entries)} entries):"]
    lines += [f"  {describe_entry(e)}" for e in entries] or ["  (none)"]
    lines.append(f"requests Miro received from the engine ({len(requests)}, probes left out):")
    lines += [f"  {r.status} {r.line}" for r in requests] or ["  (none)"]
    quarantine = (status.get("quarantine") or {}).get("reason")
    lines.append(
        f"job status: {status.get('code')}" + (f", quarantine {quarantine}" if quarantine else "")
    )
    return "\n".join(lines)


# -- support cases ------------------------------------------------------------------------


def is_case_file(path: Path) -> bool:
    name = path.name
    if not name.endswith((".yaml", ".yml")):
        return False
    return (
        path.parent.name == "cases"
        or name.startswith("case_")
        or name.endswith((".case.yaml", ".case.yml"))
    )


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
