"""harness validate's reports (terminal, JSON, JUnit XML read by junitparser as CI tools do,
self-contained HTML) and the command line over real TCP."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import Failure, JUnitXml, Skipped

from harness.cli import main
from harness.servers import ServerThread
from harness.validate.html_report import html_report
from harness.validate.reports import json_report, junit_report, terminal_report
from harness.validate.runner import CHECKS, Report
from tests.harness.validate import broken_app
from tests.harness.validate.conftest import manager_schema


@pytest.fixture
def flawed(validate_broken: Callable[..., Report]) -> Report:
    # One mandatory failure (disable), one optional (pagination), skips (no groups).
    return validate_broken("string_false_ignored", "user_pagination_ignored", groups=False)


def test_junit_xml_is_read_by_a_standard_junit_reader(flawed: Report, tmp_path: Path) -> None:
    path = tmp_path / "validate.xml"
    path.write_text(junit_report(flawed), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert len(cases) == len(CHECKS)
    disable = cases["users.disable: Patch User - Disable User"]
    (failure,) = [r for r in disable.result if isinstance(r, Failure)]
    assert "active = True" in failure.message
    assert failure.type == "mandatory, Entra behaviour"
    assert "in production: Entra logs the disable as successful" in failure.text
    skipped = [c for c in cases.values() if any(isinstance(r, Skipped) for r in c.result)]
    assert {c.classname for c in skipped} >= {"harness.validate.groups"}
    assert xml.failures == 2
    assert xml.skipped == len(skipped)
    # The schema's element names, read with the standard library as well.
    root = ET.fromstring(path.read_bytes())
    assert root.tag == "testsuites" and root.get("failures") == "2"
    assert {s.get("name") for s in root.iter("testsuite")} == {"Discovery", "Users", "Groups"}


def test_json_report_has_every_check_with_its_requests(flawed: Report) -> None:
    data = json.loads(json_report(flawed))
    assert data["exitCode"] == 1
    checks = {c["id"]: c for c in data["checks"]}
    disable = checks["users.disable"]
    assert (disable["level"], disable["basis"], disable["status"]) == (
        "mandatory",
        "Entra behaviour",
        "failed",
    )
    patch = next(r for r in disable["requests"] if r["method"] == "PATCH")
    assert patch["request"]["body"]["Operations"][0]["value"] == "False"
    assert patch["request"]["headers"]["authorization"] == "Bearer ***"
    assert data["labels"]["mandatory"]["failed"] == 1
    assert data["labels"]["optional"]["failed"] == 1


def test_html_report_is_self_contained_and_explains_failures(flawed: Report) -> None:
    page = html_report(flawed)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page
    for check in CHECKS:
        assert f'id="{check.id}"' in page
    assert "Entra logs the disable as successful" in page
    assert "&quot;op&quot;: &quot;Replace&quot;" in page  # the request body, escaped
    assert broken_app.TOKEN not in page


def test_terminal_report_summarises_by_label(flawed: Report) -> None:
    text = terminal_report(flawed, color=False)
    assert "FAIL  Patch User - Disable User" in text
    assert "in production: Entra logs the disable as successful" in text
    assert f"{len(CHECKS)} checks in" in text and "(1 mandatory)" in text
    assert "mandatory: " in text and "Entra behaviour: " in text


@pytest.fixture
def served() -> Callable[..., ServerThread]:
    servers: list[ServerThread] = []

    def serve(*flaws: str) -> ServerThread:
        server = ServerThread(broken_app.create_app(*flaws)).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_command_over_tcp_writes_every_report(
    served: Callable[..., ServerThread], tmp_path: Path
) -> None:
    server = served()
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(manager_schema()), encoding="utf-8")
    code, output = _invoke(
        "--url",
        f"{server.url}/scim",
        "--token",
        broken_app.TOKEN,
        "--schema",
        str(schema),
        "--junit",
        str(tmp_path / "v.xml"),
        "--html",
        str(tmp_path / "v.html"),
        "--json",
        str(tmp_path / "v.json"),
        "--seed",
        "1",
    )
    assert code == 0, output
    assert "OK" in output
    assert json.loads((tmp_path / "v.json").read_text())["counts"] == {"passed": len(CHECKS)}
    assert JUnitXml.fromfile(str(tmp_path / "v.xml")).tests == len(CHECKS)
    assert "harness validate: OK" in (tmp_path / "v.html").read_text()


def test_command_exits_1_on_a_mandatory_failure_only(served: Callable[..., ServerThread]) -> None:
    server = served("string_false_ignored", "user_pagination_ignored")
    base = ["--url", f"{server.url}/scim", "--token", broken_app.TOKEN, "--no-groups"]
    assert _invoke(*base, "--only", "users.pagination")[0] == 0  # optional
    code, output = _invoke(*base, "--only", "users.disable")
    assert code == 1
    # Run alone, the disable check creates its user as a setup step.
    assert "FAIL  Patch User - Disable User" in output
    code, output = _invoke(*base, "--only", "users.disable", "--flag", "aadOptscim062020")
    assert code == 0, output


def test_command_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    code, output = _invoke("--url", "http://127.0.0.1:9/scim", "--only", "users.nope")
    assert code == 2 and "matches no check" in output
    bad = tmp_path / "schema.json"
    bad.write_text('{"synchronizationRules": [{"objectMappings": 3}]}', encoding="utf-8")
    code, output = _invoke("--url", "http://127.0.0.1:9/scim", "--schema", str(bad))
    assert code == 2 and "objectMappings must be a list" in output
    bad.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, output = _invoke("--url", "http://127.0.0.1:9/scim", "--schema", str(bad))
    assert code == 2 and f"{bad}: nested too deeply to read" in output
    values = tmp_path / "values.yaml"
    values.write_text("User:\n  userName: '{%generateSomething 4%}'\n", encoding="utf-8")
    code, output = _invoke("--url", "http://127.0.0.1:9/scim", "--values", str(values))
    assert code == 2 and "unknown value generator" in output
    code, output = _invoke("--token", "x")
    assert code == 2 and "--url is required" in output


def test_command_lists_the_checks() -> None:
    code, output = _invoke("--list")
    assert code == 0
    assert output.count("\n") == len(CHECKS)
    assert "users.disable" in output and "mandatory" in output
