"""Checkpoints, bulk forms and the reports drawn from one model: what each part shows, that the
engine's own reasons reach them, and that a large case stays small."""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cases.command import run
from harness.cases.loader import load_case
from harness.cases.model import build_report
from harness.cases.report import html_report, json_report, terminal_report
from harness.cases.runner import run_case

CASES = Path(__file__).resolve().parents[3] / "scenarios" / "cases"


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


BULK = """\
title: bulk and checkpoints
seed: 2
directory:
  users:
    - name: u{n:02}
      count: 6
      role: User
      department: "Dept {n}"
  groups:
    - name: Team {n}
      count: 2
      members: ["u0{n}"]
steps:
  - sync
  - expect:
      label: all six are in Miro
      miro: {user_count: 6}
      logs: [{object: u03, action: create, status: success}]
  - unassign: {pattern: "u{n:02}", from: 4, to: 6}
  - disable: [u01, u02]
  - update_user: {user: {pattern: "u{n:02}", from: 1, to: 2}, jobTitle: "Title {n}"}
  - next_cycle
  - expect:
      label: a checkpoint that fails
      job: {code: Quarantine}
expect:
  miro:
    users:
      - {userName: u04@contoso.com, active: false}
      - {userName: u06@contoso.com, active: false}
      - {userName: u01@contoso.com, active: false}
      - {userName: u03@contoso.com, active: true, department: Dept 3}
  logs:
    - {object: u05, action: disable, status: success}
"""


def test_bulk_steps_and_generated_directories_expand_and_checkpoints_check_in_place(
    tmp_path: Path,
) -> None:
    case = load_case(write(tmp_path, BULK))
    users = case.directory["users"]
    assert [u["name"] for u in users] == ["u01", "u02", "u03", "u04", "u05", "u06"]
    assert users[2]["department"] == "Dept 3" and users[2].line == 5  # the entry's line
    assert [g["members"] for g in case.directory["groups"]] == [["u01"], ["u02"]]
    unassign, disable, update = case.steps[2:5]
    assert unassign.items == [{"principal": "u04"}, {"principal": "u05"}, {"principal": "u06"}]
    assert disable.items == ["u01", "u02"]
    assert update.items == [
        {"user": "u01", "jobTitle": "Title 1"},
        {"user": "u02", "jobTitle": "Title 2"},
    ]

    result = run_case(case)
    checkpoints = [(c.step, c.passed) for c in result.checks if c.step is not None]
    assert checkpoints == [(1, True), (1, True), (6, False)]  # at steps 1 and 6, in order
    assert [c.passed for c in result.checks if c.step is None] == [True] * 5
    assert not result.passed  # the failing checkpoint fails the case
    assert result.steps[2].targets == ["u04", "u05", "u06"]
    text = terminal_report(result, color=False)
    assert "unassign 3: u04, u05, u06" in text
    assert "◆ checkpoint: all six are in Miro: 2 of 2 hold" in text
    assert "FAIL line 25 (checkpoint line 23 (a checkpoint that fails) at 2026-01-05 09:40)" in text
    assert "code: expected Quarantine, got Active" in text


def test_a_failed_expectation_shows_only_the_fields_that_differ(tmp_path: Path) -> None:
    text = """\
    title: diff
    directory:
      users:
        - {name: alice, role: User, department: Design}
    steps:
      - sync
    expect:
      miro:
        users:
          - {userName: alice@contoso.com, active: true, department: Sales, displayName: Alice Example}
      logs:
        - {object: alice, action: update, status: success}
      job: {code: Active, last_state: Failed}
    """
    result = run_case(load_case(write(tmp_path, text)))
    diffs = {c.section: c.diff for c in result.checks}
    assert diffs["miro.users"] == [
        {"field": "department", "expected": "Sales", "actual": "Design"}
    ]  # active and displayName match: not shown
    assert diffs["logs"] == [{"field": "action", "expected": "update", "actual": "create"}]
    assert diffs["job"] == [{"field": "last_state", "expected": "Failed", "actual": "Succeeded"}]
    page = html_report(result)
    assert '<td class="expected"><code>Sales</code></td>' in page
    assert '<td class="actual"><code>Design</code></td>' in page


def test_a_reproduction_case_reads_reproduced(tmp_path: Path) -> None:
    text = """\
    title: repro
    ticket: Alice is missing.
    directory:
      users: [{name: alice}]
    steps: [sync]
    expect:
      miro: {user_count: 0}
    """
    result = run_case(load_case(write(tmp_path, text)))
    report = build_report(result)
    assert report.verdict == "REPRODUCED"
    assert terminal_report(result, color=False).startswith("CASE repro  REPRODUCED")
    assert 'ticket: "Alice is missing."' in terminal_report(result, color=False)
    failing = run_case(load_case(write(tmp_path, text.replace("count: 0", "count: 1"))))
    assert build_report(failing).verdict == "NOT REPRODUCED"


def test_the_engine_reasons_reach_the_report_unchanged(tmp_path: Path) -> None:
    """Default Access, a scoping filter and a nested group: each object's line is the engine's."""
    text = """\
    title: reasons
    directory:
      users:
        - {name: dan, role: Default Access}
        - {name: sam, role: User, department: Sales}
        - {name: ned}
      groups:
        - {name: Inner, members: [ned]}
        - {name: Outer, members: [Inner], role: User}
    job:
      scoping:
        User:
          - name: Design only
            clauses: [{attribute: department, operator: EQUALS, value: Design}]
    steps: [sync]
    expect:
      miro: {user_count: 0}
    """
    report = build_report(run_case(load_case(write(tmp_path, text))))
    reasons = {tuple(r.names): r.reason for r in report.reasons}
    assert reasons[("dan",)].startswith("only Default Access: excluded from provisioning")
    assert reasons[("sam",)] == (
        "scoped out by the scoping filters: failed every scoping filter ('Design only': "
        "department EQUALS ['Design'] is false (department = 'Sales'))"
    )
    assert reasons[("ned",)] == (
        "member of 'Inner', which is nested in the assigned group 'Outer': nested groups are "
        "not expanded"
    )
    (outer,) = report.directory_groups
    assert outer.name == "Outer" and [g.name for g in outer.nested] == ["Inner"]
    assert outer.nested[0].members == ["ned"]


def test_the_deletion_case_explains_itself_in_a_small_report(tmp_path: Path) -> None:
    result = run_case(load_case(CASES / "deletion_threshold.yaml"))
    assert result.passed
    report = build_report(result)
    assert report.verdict == "REPRODUCED"
    assert [(s.where, s.name, s.value) for s in report.settings][-1] == (
        "job",
        "QuarantineTooManyDeletesThreshold",
        "30",
    )
    (quarantine,) = report.timeline.spans
    assert quarantine.label == "Quarantine: TooManyDeletes" and not quarantine.open
    assert quarantine.since == "2026-01-05T09:40:00Z"
    mailed = [c for c in report.timeline.columns if c.emails]
    assert mailed[0].label == "cycle 2 (incremental)"
    held = report.reasons[0]
    assert len(held.names) == 40 and "accidental deletions threshold of 30" in held.history[0]

    text = terminal_report(result, color=False)
    lines = text.splitlines()
    assert len(lines) < 200
    first_screen = "\n".join(lines[:40])
    assert "threshold of 30" in first_screen and "Quarantine TooManyDeletes" in first_screen
    assert "40 users: user21, user22 … user60" in first_screen
    page = html_report(result)
    assert len(page.encode()) < 300_000
    assert page.count('class="span span-quarantine"') == 1

    verbose = terminal_report(result, color=False, verbose=True)
    assert len(verbose.splitlines()) > 10 * len(lines)  # every object and entry apart
    assert "Troubleshooting" not in text and "Summary" in verbose


def test_requests_are_grouped_by_cycle_with_failures_first(tmp_path: Path) -> None:
    text = """\
    title: requests
    directory:
      users: [{name: ann, role: User}, {name: bob, role: User}]
    steps:
      - sync
      - update_user: {user: ann, department: Sales}
      - fault: {method: PATCH, path: "^/api/v1/scim/Users/", status: 500, times: 1}
      - next_cycle
    expect:
      logs: [{object: ann, status: failure}]
    """
    report = build_report(run_case(load_case(write(tmp_path, text))))
    first, second = report.requests
    assert first.label == "cycle 1 (initial)" and first.total == 4 and first.failed == 0
    assert [(r.method, r.count) for r in first.rows] == [("GET", 2), ("POST", 2)]
    assert second.failed == 1 and second.rows[0].failed and second.rows[0].status == 500
    assert second.rows[0].time == "2026-01-05 09:40"


def test_json_holds_the_model_beside_the_full_result(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    path = write(tmp_path, BULK)
    out = CliRunner().invoke(run, [str(path), "--json", str(target)])
    assert out.exit_code == 1
    data = json.loads(target.read_text())
    assert {"logs", "journal", "checks", "steps", "report"} <= set(data)
    report = data["report"]
    assert report["verdict"] == "FAILED"
    assert report["failed_checks"][0]["diff"] == [
        {"field": "code", "expected": "Quarantine", "actual": "Active"}
    ]
    assert [c["kind"] for c in report["timeline"]["columns"]][:3] == ["step", "cycle", "checkpoint"]
    assert (
        json_report(run_case(load_case(path)))["report"] == report
    )  # the same run, the same model


@pytest.mark.parametrize("name", ["deletion_threshold.yaml", "nested_groups.yaml"])
def test_shipped_tickets_state_the_cause_in_the_first_screen(name: str) -> None:
    result = run_case(load_case(CASES / name))
    first_screen = "\n".join(terminal_report(result, color=False).splitlines()[:40])
    cause = {
        "deletion_threshold.yaml": "more than the accidental deletions threshold of 30",
        "nested_groups.yaml": "which is nested in the assigned group 'Engineering': nested "
        "groups are not expanded",
    }[name]
    assert cause in first_screen.replace("\n    ", " ").replace("\n        ", " ")
    page = html_report(result)
    assert "<svg" in page and html.escape(cause) in page
