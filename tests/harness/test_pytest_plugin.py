"""The pytest plugin: options, fixtures, deterministic seeds and the collection of case files.
Runs pytest inside pytest (``pytester``), with the plugin loaded through its entry point."""

from __future__ import annotations

import os
import subprocess
import sys

# Imported here, before pytester's in-process runs: pytester unloads the modules a run imported
# first, and some cannot be imported twice in one process. PyYAML's C parser keeps the first
# import's node classes (a later run could not read a case file); httpx imports httpcore lazily
# and maps its errors by class (a later test in this worker saw httpcore's ConnectError).
import httpcore  # noqa: F401
import pytest

import harness.cases.loader  # noqa: F401
import harness.cases.report  # noqa: F401
import harness.cases.runner  # noqa: F401
from harness.pytest_plugin import is_case_file, stable_seed

pytest_plugins = ("pytester",)

CASE = """\
title: plugin smoke
directory:
  users:
    - {name: alice, role: User}
steps:
  - sync
expect:
  miro:
    users:
      - {userName: alice@contoso.com, active: true}
"""


def test_the_seed_comes_from_the_node_id_and_is_stable() -> None:
    a = stable_seed("scenarios/test_x.py::test_a")
    assert a == stable_seed("scenarios/test_x.py::test_a")
    assert a != stable_seed("scenarios/test_x.py::test_b")
    # The same in another process with another string-hash salt (hash() would differ).
    code = "from harness.pytest_plugin import stable_seed; print(stable_seed('scenarios/test_x.py::test_a'))"
    for salt in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": salt},
        )
        assert int(out.stdout) == a


@pytest.mark.parametrize(
    ("path", "collected"),
    [
        ("scenarios/cases/default_access.yaml", True),
        ("anywhere/case_login.yaml", True),
        ("anywhere/login.case.yml", True),
        ("anywhere/config.yaml", False),
        ("cases/notes.txt", False),
    ],
)
def test_which_yaml_files_are_cases(path: str, collected: bool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert is_case_file(tmp_path / path) is collected


def test_fixtures_give_a_fresh_seeded_lab_and_a_driver(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_labs="""
        def test_lab(lab, lab_seed, request):
            from harness.pytest_plugin import stable_seed
            assert lab_seed == stable_seed(request.node.nodeid)
            assert lab.graph_client.get("/_fake/clock").status_code == 200

        def test_driver(driver):
            driver.add_user("alice")
            driver.assign("alice")
            driver.sync()
            driver.expect_miro_user("alice@contoso.com", active=True)

        def test_each_test_has_its_own_lab(driver):
            assert driver.miro_users() == {}

        def test_served(served_lab, harness_backend):
            assert harness_backend == "inprocess"
            assert served_lab.graph_url.startswith("http://127.0.0.1:")
            assert served_lab.graph_client.get("/_fake/clock").status_code == 200
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_the_backend_option_and_its_environment_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_backend="""
        def test_backend(harness_backend, lab):
            import os
            assert harness_backend == os.environ["EXPECTED_BACKEND"]
            assert lab.graph_url.startswith(
                "http://127.0.0.1:" if harness_backend == "thread" else "http://graph.local")
    """
    )
    monkeypatch.setenv("EXPECTED_BACKEND", "thread")
    pytester.runpytest("--harness-backend", "thread").assert_outcomes(passed=1)
    monkeypatch.setenv("HARNESS_BACKEND", "thread")
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("EXPECTED_BACKEND", "inprocess")
    pytester.runpytest("--harness-backend", "inprocess").assert_outcomes(passed=1)
    bad = pytester.runpytest("--harness-backend", "cloud")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(
        ["*unknown harness backend 'cloud': choose one of inprocess, thread, container*"]
    )
    monkeypatch.setenv("HARNESS_BACKEND", "cloud")
    from_env = pytester.runpytest()
    assert from_env.ret == pytest.ExitCode.USAGE_ERROR
    from_env.stderr.fnmatch_lines(["*unknown harness backend 'cloud'*"])


def test_case_files_are_collected_and_run(pytester: pytest.Pytester) -> None:
    pytester.mkdir("cases")
    (pytester.path / "cases" / "smoke.yaml").write_text(CASE)
    (pytester.path / "case_failing.yaml").write_text(CASE.replace("active: true", "active: false"))
    (pytester.path / "settings.yaml").write_text("not: a case\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAIL line 10: Miro user alice@contoso.com has active=False*",
            "*active: expected false, got true*",
        ]
    )


def test_a_known_gap_case_is_a_strict_xfail(pytester: pytest.Pytester) -> None:
    failing = CASE.replace("active: true", "active: false").replace(
        "title: plugin smoke", "title: gap\nxfail: engine does not do it yet"
    )
    (pytester.path / "case_gap.yaml").write_text(failing)
    (pytester.path / "case_fixed.yaml").write_text(
        CASE.replace("title: plugin smoke", "title: fixed\nxfail: was a gap")
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-o", "xfail_strict=false")
    result.assert_outcomes(xfailed=1, failed=1)  # strict: an unexpected pass fails


def test_an_invalid_case_is_a_collection_error_naming_file_line_and_field(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "case_bad.yaml").write_text(CASE.replace("  - sync", "  - synk"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*case_bad.yaml:6: steps[[]0[]]: unknown step 'synk' (did you mean 'sync'?)*"]
    )


def test_a_failing_scenario_shows_what_the_lab_saw(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_story="""
        def test_story(driver):
            driver.add_user("alice")
            driver.assign("alice")
            driver.sync()
            assert driver.writes() == []
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*harness: what the lab saw*",
            "provisioning log (1 entries):",
            "*User 'alice@contoso.com' create/success [[]EntryExportAdd[]]*",
            "*201 POST /Users",
            "job status: Active",
        ]
    )
