"""Support cases: the YAML format's validation (file, line, field), the runner, the reports and
``harness run``."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cases.checks import subset
from harness.cases.command import run
from harness.cases.loader import CaseError, load_case
from harness.cases.report import html_report, terminal_report
from harness.cases.runner import run_case
from harness.cases.schema import load_yaml

CASES = Path(__file__).resolve().parents[3] / "scenarios" / "cases"

PASSING = """\
title: Alice is provisioned
seed: 3
directory:
  users:
    - name: alice
      department: Design
      role: User
steps:
  - sync
expect:
  miro:
    users:
      - userName: alice@contoso.com
        active: true
        department: Design
  logs:
    - object: alice
      action: create
      status: success
  requests:
    - method: POST
      path: ^/Users$
      count: 1
  job:
    code: Active
"""


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(CaseError) as info:
        load_case(path)
    return [f"{p.line}: {p.field}: {p.message}" for p in info.value.problems]


# -- validation ------------------------------------------------------------------------------


def test_a_valid_case_loads_with_its_steps_and_lines(tmp_path: Path) -> None:
    case = load_case(write(tmp_path, PASSING))
    assert case.title == "Alice is provisioned" and case.seed == 3
    assert [(s.name, s.args, s.line) for s in case.steps] == [("sync", None, 9)]
    assert case.name == "case"


def test_an_unknown_field_names_the_line_and_suggests_the_right_one(tmp_path: Path) -> None:
    found = problems(tmp_path, PASSING.replace("  logs:", "  logz:"))
    assert found == [
        "16: expect.logz: unknown field 'logz' (did you mean 'logs'?); "
        "known: job, logs, miro, requests"
    ]


def test_a_wrong_type_names_the_line_and_field(tmp_path: Path) -> None:
    found = problems(tmp_path, PASSING.replace("active: true", "active: maybe"))
    assert found == ["14: expect.miro.users[0].active: expected true or false, got 'maybe'"]


def test_a_misspelt_miro_attribute_is_caught_before_running(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        PASSING.replace("        department: Design\n  logs", "        departmnt: Design\n  logs"),
    )
    assert found == [
        "15: expect.miro.users[0].departmnt: 'departmnt' is not a SCIM user attribute "
        "(did you mean 'department'?); use a dotted path such as name.givenName"
    ]


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    text = PASSING.replace("    - object: alice\n      action: create", "    - action: create")
    assert problems(tmp_path, text) == ["17: expect.logs[0].object: is required"]


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = PASSING.replace("seed: 3", "seed: three").replace("  - sync", "  - synk\n  - advance")
    found = problems(tmp_path, text)
    assert found == [
        "2: seed: expected a whole number, got 'three'",
        "9: steps[0]: unknown step 'synk' (did you mean 'sync'?); known: "
        + found[1].split("known: ")[1],
        "10: steps[1]: step 'advance' needs arguments (advance: ...)",
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("advance: soon", "10: steps[1].advance: "),
        (
            "fault: {path: '([', status: 500}",
            "10: steps[1].fault.path: not a valid regular expression",
        ),
        (
            "scoping: {User: [{clauses: [{attribute: department, operator: LIKE}]}]}",
            "10: steps[1].scoping.User[0].clauses[0].operator: unknown scoping filter operator 'LIKE'",
        ),
        ("start: now", "10: steps[1].start: takes no arguments"),
        ("{sync: null, start: null}", "10: steps[1]: a step is a name"),
        ("assign: [[alice]]", "10: steps[1].assign[0]: expected a string or a mapping"),
        (
            "unassign: {pattern: user, from: 1, to: 3}",
            "10: steps[1].unassign.pattern: a name pattern needs {n}",
        ),
        (
            "unassign: {pattern: 'u{n}', from: 5, to: 3}",
            "10: steps[1].unassign: 'to' (3) is before 'from' (5)",
        ),
        (
            "unassign: {principal: alice, pattern: 'u{n}', from: 1, to: 3}",
            "10: steps[1].unassign: give either 'principal' or 'pattern'",
        ),
        ("disable: {pattern: 'u{n}{x}', from: 1, to: 2}", "10: steps[1].disable.pattern: not a"),
        ("add_user: {name: u, count: 3}", "10: steps[1].add_user: with 'count', 'name' must"),
        ("expect: {jobs: {}}", "10: steps[1].expect.jobs: unknown field 'jobs'"),
    ],
)
def test_step_arguments_are_checked(tmp_path: Path, step: str, message: str) -> None:
    found = problems(tmp_path, PASSING.replace("  - sync", f"  - sync\n  - {step}"))
    assert len(found) == 1 and found[0].startswith(message), found


def test_invalid_yaml_and_duplicate_keys_give_the_line(tmp_path: Path) -> None:
    assert problems(tmp_path, "title: [unclosed\nsteps: []\n")[0].startswith("2: : invalid YAML")
    found = problems(tmp_path, PASSING.replace("seed: 3", "seed: 3\nseed: 4"))
    assert found[0].startswith("3: : invalid YAML") and "duplicate key 'seed'" in found[0]


def test_an_empty_file_and_a_top_level_list_are_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "") == ["1: : the file is empty"]
    assert problems(tmp_path, "- a\n- b\n") == [
        "1: : expected a mapping (key: value lines), got a list"
    ]


def test_a_log_expectation_must_name_an_object_of_the_case(tmp_path: Path) -> None:
    found = problems(tmp_path, PASSING.replace("    - object: alice", "    - object: alicia"))
    assert found == [
        "17: expect.logs[0].object: 'alicia' is not a user or group of this case; known: alice"
    ]


def test_a_missing_schema_file_is_reported_with_its_line(tmp_path: Path) -> None:
    text = PASSING.replace("steps:", "job:\n  schema_file: exported.json\nsteps:")
    found = problems(tmp_path, text)
    assert len(found) == 1 and found[0].startswith("9: job.schema_file: cannot read")


def test_an_attachment_nested_past_pythons_parser_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "exported.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    text = PASSING.replace("steps:", "job:\n  schema_file: exported.json\nsteps:")
    found = problems(tmp_path, text)
    assert found == [
        f"9: job.schema_file: {tmp_path.resolve() / 'exported.json'} is nested too deeply to read"
    ]


def test_the_error_text_starts_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, PASSING.replace("active: true", "active: maybe"))
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert (
        str(info.value)
        == f"{path}:14: expect.miro.users[0].active: expected true or false, got 'maybe'"
    )


def test_every_shipped_case_is_valid() -> None:
    files = sorted(CASES.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        load_case(path)


# -- running -------------------------------------------------------------------------------


def test_a_passing_case_checks_both_sides(tmp_path: Path) -> None:
    result = run_case(load_case(write(tmp_path, PASSING)))
    assert result.passed, terminal_report(result, color=False)
    assert [c.section for c in result.checks] == ["miro.users", "logs", "job", "requests"]
    assert [c.line for c in result.checks] == [13, 17, 24, 21]
    assert [u["userName"] for u in result.miro["users"]] == ["alice@contoso.com"]
    assert result.logs and result.logs[0]["provisioningAction"] == "create"
    assert any(r["method"] == "POST" for r in result.requests)


def test_a_failing_expectation_says_which_line_and_what_was_seen(tmp_path: Path) -> None:
    text = PASSING.replace("department: Design\n  logs", "department: Sales\n  logs")
    result = run_case(load_case(write(tmp_path, text)))
    assert not result.passed
    [failed] = result.failed_checks
    assert failed.line == 13
    assert failed.actual == "department: expected 'Sales', got 'Design'"


def test_a_step_that_cannot_be_done_stops_the_case_with_its_line(tmp_path: Path) -> None:
    text = PASSING.replace("  - sync", "  - sync\n  - disable: nobody")
    result = run_case(load_case(write(tmp_path, text)))
    assert not result.passed
    assert result.checks[-1].section == "steps" and result.checks[-1].line == 10
    assert "nobody" in str(result.checks[-1].actual)


def test_the_same_case_gives_the_same_result() -> None:
    case = load_case(CASES / "group_creation_errors.yaml")
    first, second = run_case(case).to_json(), run_case(case).to_json()
    assert first == second
    assert first["logs"] and first["journal"]


def test_many_step_kinds_run(tmp_path: Path) -> None:
    text = """\
    title: kitchen sink
    directory:
      generate: {seed: 2, users: 3, groups: 1}
      users:
        - {name: ann, role: User}
        - {name: ben, upn: ben@fabrikam.com}
      groups:
        - {name: Ops, members: [ben]}
      assignments:
        - {principal: Ops, role: User}
    miro:
      settings: {model: user_groups}
      users:
        - {userName: old@contoso.com, displayName: Old, active: false, department: X, teams: [Legacy]}
    job:
      settings: {skip_default_access: false}
      secrets: {SyncAll: false}
      job_settings: {QuarantineTooManyDeletesThreshold: 500}
      flows: {Group: "Add, Update"}
      mappings:
        User:
          - {target: displayName, expression: 'Join(" ", [givenName], "X")'}
      scoping:
        User:
          - clauses: [{attribute: accountEnabled, operator: IS TRUE}]
    steps:
      - sync
      - note: a remark
      - add_user: {name: cy, role: User}
      - add_group: {name: Pilot, members: [cy], role: User}
      - update_user: {user: ann, department: Sales}
      - rename_group: {group: Ops, to: Ops2}
      - add_member: {group: Pilot, member: ann}
      - remove_member: {group: Pilot, member: ann}
      - fault: {method: POST, path: ^/api/v1/scim/Users$, status: 500, times: 1}
      - clear_faults
      - miro_add_user: {userName: extra@contoso.com}
      - miro_delete_user: extra@contoso.com
      - next_cycle
      - unassign: cy
      - assign: {principal: cy, role: User}
      - disable: ann
      - enable: ann
      - soft_delete: ann
      - restore: ann
      - secrets: {SkipOutOfScopeDeletions: true}
      - settings: {cycle_interval: 1h}
      - job_settings: {QuarantineTooManyDeletesThreshold: 400}
      - flows: {User: "Add, Update, Delete"}
      - mappings: {User: [{target: displayName, remove: true}]}
      - scoping: {User: []}
      - miro_settings: {duplicate_user_error: 400}
      - pause
      - start
      - restart
      - restart: {scope: Full}
      - hard_delete: ann
      - delete_group: Pilot
      - advance: 2h
    expect:
      miro:
        users:
          - {userName: old@contoso.com, active: false}
        teams:
          - {name: Legacy, members: [old@contoso.com]}
      logs:
        - {object: cy, action: create, status: success}
    """
    result = run_case(load_case(write(tmp_path, text)))
    assert result.error is None, result.error
    assert result.passed, terminal_report(result, color=False, failures_only=True)
    assert [s.name for s in result.steps][:3] == ["sync", "note", "add_user"]
    displays = {u["userName"]: u["displayName"] for u in result.miro["users"]}
    assert displays["cy@contoso.com"] == "Cy X"  # the mapping edit reached the engine


def test_subset_matches_mappings_by_key_and_lists_item_by_item() -> None:
    assert subset({"a": 1}, {"a": 1, "b": 2})
    assert not subset({"a": 1}, {"a": 2})
    assert subset({"Operations": [{"op": "Add"}]}, {"Operations": [{"op": "Add", "path": "x"}]})
    assert not subset(
        {"Operations": [{"op": "Add"}]}, {"Operations": [{"op": "Add"}, {"op": "Add"}]}
    )
    assert not subset([1], "x")


# -- reports and the command ---------------------------------------------------------------


def test_harness_run_prints_the_report_and_exits_0_on_success(tmp_path: Path) -> None:
    out = CliRunner().invoke(run, [str(write(tmp_path, PASSING)), "--no-color"])
    assert out.exit_code == 0, out.output
    text = out.output
    assert text.startswith("CASE Alice is provisioned  PASSED")
    for section in (
        "Why: the engine's reasons, per object",
        "Timeline (virtual time)",
        "What happened, per object (provisioning log)",
        "The directory as the engine saw it",
        "Requests Miro received from the engine",
        "End state",
        "Expectations: 4 passed, 0 failed",
    ):
        assert section in text
    assert "create/success" in text and "201 POST /Users" in text
    assert "alice: create/success — in scope: assigned directly with role User" in text
    assert "Miro users: 1 active (alice@contoso.com)" in text


def test_harness_run_exits_1_and_names_the_failed_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, PASSING.replace("count: 1", "count: 2"))
    out = CliRunner().invoke(run, [str(path), "--no-color", "-q"])
    assert out.exit_code == 1
    assert "FAILED" in out.output
    assert "FAIL line 21: Miro received 2 request(s) method='POST', path='^/Users$'" in out.output


def test_harness_run_exits_2_on_an_invalid_file(tmp_path: Path) -> None:
    path = write(tmp_path, PASSING.replace("title:", "titel:"))
    out = CliRunner().invoke(run, [str(path)])
    assert out.exit_code == 2
    assert f"{path}:1: titel: unknown field 'titel' (did you mean 'title'?)" in out.output


def test_harness_run_exits_2_on_a_missing_file(tmp_path: Path) -> None:
    out = CliRunner().invoke(run, [str(tmp_path / "nope.yaml")])
    assert out.exit_code == 2
    assert "nope.yaml:0: (top level): cannot read the file" in out.output


def test_harness_run_exits_2_when_the_backend_has_no_lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.delenv("HARNESS_REQUIRE_DOCKER", raising=False)
    out = CliRunner().invoke(run, [str(write(tmp_path, PASSING)), "--backend", "container"])
    assert out.exit_code == 2
    assert "cannot run the case: container backend skipped" in out.output
    assert "Traceback" not in out.output


def test_json_output_holds_logs_journal_and_both_states(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    out = CliRunner().invoke(run, [str(write(tmp_path, PASSING)), "--json", str(target)])
    assert out.exit_code == 0, out.output
    data = json.loads(target.read_text())
    assert data["passed"] is True
    assert {"logs", "journal", "requests", "miro", "directory", "job", "checks", "steps"} <= set(
        data
    )
    assert data["miro"]["state"]["users"]
    assert [u["userPrincipalName"] for u in data["directory"]["users"]] == ["alice@contoso.com"]
    assert data["job"]["status"]["code"] == "Active"

    to_stdout = CliRunner().invoke(run, [str(write(tmp_path, PASSING)), "--json", "-"])
    assert json.loads(to_stdout.stdout)["passed"] is True


def test_html_output_is_one_self_contained_page(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    out = CliRunner().invoke(
        run,
        [str(write(tmp_path, PASSING.replace("Design", "<b>Design</b>"))), "--html", str(target)],
    )
    assert out.exit_code == 0, out.output
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "&lt;b&gt;Design&lt;/b&gt;" in page and "<b>Design</b>" not in page
    assert "What happened, per object" in page and "<svg" in page
    assert "Miro journal (raw)" not in page  # the raw data only with --verbose

    out = CliRunner().invoke(run, [str(write(tmp_path, PASSING)), "--html", str(target), "-v"])
    assert out.exit_code == 0 and "Miro journal (raw)" in target.read_text()


def test_the_terminal_report_folds_idle_cycles(tmp_path: Path) -> None:
    result = run_case(
        load_case(write(tmp_path, PASSING.replace("  - sync", "  - sync\n  - advance: 4h")))
    )
    text = terminal_report(result, color=False)
    assert "6 quiet cycles: incremental, nothing to do (… 2026-01-05 13:00)" in text
    assert "<html" in html_report(result)


def test_a_miro_state_file_sets_the_scene(tmp_path: Path) -> None:
    result = run_case(load_case(write(tmp_path, PASSING)))
    dump = result.miro["state"]  # Alice already in Miro: a customer's organisation
    (tmp_path / "org.json").write_text(json.dumps(dump))
    text = (
        PASSING.replace("steps:", "miro:\n  state_file: org.json\nsteps:")
        .replace("count: 1", "count: 0")
        .replace("action: create\n      status: success", "skip_reason: RedundantExport")
    )
    second = run_case(load_case(write(tmp_path, text, "second.yaml")))
    assert second.passed, terminal_report(second, color=False, failures_only=True)
    assert [u["userName"] for u in second.miro["users"]] == ["alice@contoso.com"]


def test_on_demand_steps_show_their_result(tmp_path: Path) -> None:
    result = run_case(load_case(CASES / "scoping_on_demand.yaml"))
    assert result.passed
    text = terminal_report(result, color=False)
    assert "→ on demand: HTTP 200, Skipped (NotEffectivelyEntitled)" in text
    assert "→ on demand: HTTP 200, Success" in text
    assert "on demand 2026-01-05 09:00  other/skipped" in text


def test_a_saved_lab_is_the_starting_point(tmp_path: Path) -> None:
    from harness.lab.local import Lab
    from harness.lab.state_files import dump_lab_state
    from harness.testing.driver import Driver

    with Lab(seed=5) as lab:  # the customer's lab, as harness serve would save it
        d = Driver(lab)
        d.add_user("olga", department="Design")
        d.assign("olga")
        d.sync()
        (tmp_path / "lab.json").write_text(json.dumps(dump_lab_state(lab)))
    text = """\
    title: continues from a saved lab
    lab_state_file: lab.json
    steps:
      - update_user: {user: olga@contoso.com, department: Sales}
      - next_cycle
    expect:
      miro:
        users:
          - {userName: olga@contoso.com, department: Sales}
      logs:
        - {object: olga@contoso.com, action: update, status: success}
      requests:
        - {method: POST, count: 0}
        - {method: PATCH, path: ^/Users/}
    """
    result = run_case(load_case(write(tmp_path, text)))
    assert result.passed, terminal_report(result, color=False, failures_only=True)
    assert [c["type"] for c in result.cycles()] == ["incremental"]  # the job went on where it was


def test_a_bad_lab_state_file_stops_the_case_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "lab.json").write_text('{"format": "something else"}')
    text = PASSING.replace("seed: 3", "seed: 3\nlab_state_file: lab.json")
    result = run_case(load_case(write(tmp_path, text)))
    assert not result.passed
    assert result.checks[-1].line == 3
    assert "not a harness state file" in str(result.checks[-1].actual)


def test_repeated_scalars_are_shared_but_keep_their_own_types_and_lines(tmp_path: Path) -> None:
    # The loader resolves and constructs each distinct scalar once (imported cases repeat
    # them some 100,000 times); a quoted "1" or "yes" is still a string, plain ones are not.
    path = tmp_path / "shared.yaml"
    path.write_text(
        "a: {n: 1, flag: yes, when: 2025-01-01, text: Sales}\n"
        "b: {n: '1', flag: 'yes', when: '2025-01-01', text: Sales}\n"
        "c:\n  - {n: 1, flag: yes, text: Sales}\n  - 1\n  - '1'\n",
        encoding="utf-8",
    )
    doc = load_yaml(path)
    assert doc["a"] == {"n": 1, "flag": True, "when": date(2025, 1, 1), "text": "Sales"}
    assert doc["b"] == {"n": "1", "flag": "yes", "when": "2025-01-01", "text": "Sales"}
    assert doc["c"] == [{"n": 1, "flag": True, "text": "Sales"}, 1, "1"]
    assert doc["a"]["text"] is doc["b"]["text"] is doc["c"][0]["text"]
    assert (doc.line_of("b"), doc["c"].line, doc["c"].line_of(2)) == (2, 4, 6)
