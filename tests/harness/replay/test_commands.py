"""``harness import`` and ``harness replay`` as a support engineer runs them: exit codes, the
three reports, the same case from the same export, and pseudonyms that hide every identifier."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.replay.sources import read_export

DATA = Path(__file__).resolve().parent / "data"


def user_entry(
    oid: str,
    upn: str,
    display: str,
    *,
    cycle: str,
    when: str,
    change: str,
    action: str = "create",
    status: str = "success",
    import_step: str = "EntryImportAdd",
) -> dict[str, object]:
    """A user's record as the harness's engine writes it for Miro."""
    exported = status != "skipped"
    steps: list[dict[str, object]] = [
        {
            "name": import_step,
            "provisioningStepType": "import",
            "status": "success",
            "description": f"Received User '{upn}' change of type (Add) from Azure Active Directory",
            "details": {
                "accountEnabled": "True",
                "displayName": display,
                "givenName": display.split()[0],
                "surname": display.split()[-1],
                "id": oid,
                "mail": upn,
                "mailNickname": upn.split("@")[0],
                "userPrincipalName": upn,
                "userType": "Member",
            },
        },
        {
            "name": "EntrySynchronizationScoping",
            "provisioningStepType": "scoping",
            "status": "success" if exported else "skipped",
            "description": "Determine if User in scope by evaluating against each scoping filter",
            "details": {
                "Active in the source system": "True",
                "Assigned to the application": "True",
                "User has the required role": "True" if exported else "False",
                "Scoping filter evaluation passed": "True",
            },
        },
    ]
    if not exported:  # assigned with the Default Access role
        steps.append(
            {
                "name": "EntrySynchronizationSkip",
                "provisioningStepType": "processing",
                "status": "skipped",
                "description": f"The User '{upn}' will be skipped",
                "details": {"SkipReason": "NotEffectivelyEntitled"},
            }
        )
    if exported:
        steps += [
            {
                "name": "EntrySynchronizationAdd",
                "provisioningStepType": "matching",
                "status": "success",
                "description": f"User '{upn}' will be created in Miro",
                "details": {},
            },
            {
                "name": "EntryExportAdd",
                "provisioningStepType": "export",
                "status": "success",
                "description": f"User '{upn}' was created in Miro",
                "details": {"ReportableIdentifier": upn},
            },
        ]
    return {
        "id": f"0000000{change}-0000-4000-8000-000000000000",
        "activityDateTime": when,
        "tenantId": "9f8e7d6c-5b4a-4321-8fed-cba987654321",
        "jobId": "miro.9f8e7d6c5b4a43218fedcba987654321.0123456789abcdef0123456789abcdef",
        "cycleId": cycle,
        "changeId": f"1111111{change}-0000-4000-8000-000000000000",
        "provisioningAction": action,
        "provisioningStatusInfo": {"status": status, "errorInformation": None},
        "servicePrincipal": {"id": "5a5a5a5a-0000-4000-8000-000000000000", "displayName": "Miro"},
        "sourceIdentity": {"id": oid, "displayName": upn, "identityType": "User"},
        "targetIdentity": {
            "id": "3074457345600000042" if exported else "",
            "displayName": upn if exported else "",
            "identityType": "urn:ietf:params:scim:schemas:core:2.0:User",
        },
        "provisioningSteps": steps,
        "modifiedProperties": [
            {"displayName": "userName", "oldValue": None, "newValue": upn},
            {"displayName": "displayName", "oldValue": None, "newValue": display},
        ]
        if exported
        else [],
    }


CYCLE = "aaaaaaaa-1111-4111-8111-111111111111"
PEOPLE = (
    ("c1c1c1c1-0000-4000-8000-000000000001", "ada.lovelace@fabrikam.com", "Ada Lovelace"),
    ("c1c1c1c1-0000-4000-8000-000000000002", "grace.hopper@northwind.net", "Grace Hopper"),
    ("c1c1c1c1-0000-4000-8000-000000000003", "alan.turing@fabrikam.com", "Alan Turing"),
)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    entries = [
        user_entry(oid, upn, name, cycle=CYCLE, when="2025-02-03T08:00:00Z", change=str(i))
        for i, (oid, upn, name) in enumerate(PEOPLE[:2], start=1)
    ]
    oid, upn, name = PEOPLE[2]
    entries.append(
        user_entry(
            oid,
            upn,
            name,
            cycle=CYCLE,
            when="2025-02-03T08:00:00Z",
            change="3",
            action="other",
            status="skipped",
        )
    )
    path = tmp_path / "customer.json"
    path.write_text(json.dumps(entries[::-1]), encoding="utf-8")  # the admin center: newest first
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_import_then_replay_agrees_and_exits_0(export: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    code, out, _ = invoke("import", str(export), "-o", str(case))
    assert code == 0 and "3 records, 3 objects, 1 cycles" in out
    text = case.read_text()
    assert "upn: ada.lovelace@fabrikam.com" in text
    assert (
        "{object: alan.turing, action: other, status: skipped, skip_reason: NotEffectivelyEntitled, count: 1}"
        in text
    )

    code, out, _ = invoke("replay", str(case), str(export), "--no-color")
    assert code == 0, out
    assert "100.0 % agreement (3 of 3 decisions, 1 recorded cycle(s))" in out

    code, out, _ = invoke("run", str(case), "--no-color", "-q")
    assert code == 0, out  # the expect entries hold too


def test_replay_reports_a_disagreement_three_ways_and_exits_1(export: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    invoke("import", str(export), "-o", str(case))
    entries = json.loads(export.read_text())
    ada = next(e for e in entries if e["sourceIdentity"]["displayName"].startswith("ada"))
    ada["provisioningStatusInfo"] = {
        "status": "failure",
        "errorInformation": {"errorCode": "EntryConflict"},
    }
    ada["provisioningSteps"][-1]["status"] = "failure"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(entries))
    html, js = tmp_path / "replay.html", tmp_path / "replay.json"
    code, out, _ = invoke(
        "replay", str(case), str(changed), "--no-color", "--html", str(html), "--json", str(js)
    )
    assert code == 1
    assert "66.7 % agreement (2 of 3 decisions" in out
    assert "> step 4" in out and "<- first difference" in out
    report = json.loads(js.read_text())
    (wrong,) = report["disagreements"]
    assert (wrong["object"], wrong["differences"], wrong["first_differing_step"]) == (
        "ada.lovelace",
        ["status", "error_code", "steps"],
        3,
    )
    assert wrong["theirs"]["error_code"] == "EntryConflict" and wrong["ours"]["error_code"] is None
    page = html.read_text()
    assert '<tr class="first"><td>step 4 ← first difference</td>' in page


def test_unreadable_export_and_case_exit_2_without_traceback(export: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(export.read_text()[:-200])
    code, out, err = invoke("import", str(cut), "-o", str(tmp_path / "x.yaml"))
    assert code == 2
    assert "invalid export:" in err and "cut.json: record 3: the file ends in the middle" in err
    assert "Traceback" not in out + err

    case = tmp_path / "case.yaml"
    invoke("import", str(export), "-o", str(case))
    code, _, err = invoke("replay", str(case), str(cut))
    assert code == 2 and "cut.json: record 3" in err
    code, _, err = invoke("replay", str(case))
    assert code == 2 and "no case.logs.json beside the case" in err
    bad_case = tmp_path / "bad.yaml"
    bad_case.write_text("title: x\nsteps: [sync]\nexpect: {logs: [{object: nobody}]}\n")
    code, _, err = invoke("replay", str(bad_case), str(export))
    assert code == 2 and "invalid case file" in err


def test_same_export_same_case(export: Path, tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = tmp_path / "one" / "case.yaml", tmp_path / "two" / "case.yaml"
    invoke("import", str(export), "-o", str(first), "--anonymise")
    invoke("import", str(export), "-o", str(second), "--anonymise")
    assert first.read_text() == second.read_text()
    logs = [p.parent / "case.logs.json" for p in (first, second)]
    assert logs[0].read_bytes() == logs[1].read_bytes()
    assert "Person " in first.read_text()  # pseudonyms, not the originals


def identifiers(path: Path) -> set[str]:
    """Every name, e-mail, UPN, id, domain and display name in an export."""
    found: set[str] = set()
    for record in read_export([path]).records:
        found |= {record.id, record.cycle_id, record.change_id, record.tenant_id, record.source.id}
        found |= {record.target.id, record.source.display, record.target.display, record.job_id}
        for step in record.steps:
            for key, value in step.details:
                if key in (
                    "displayName",
                    "givenName",
                    "surname",
                    "mail",
                    "mailNickname",
                    "userPrincipalName",
                    "id",
                ):
                    found.add(value)
        for _, old, new in record.modified:
            found |= {old or "", new or ""}
    found |= {upn.split("@")[1] for _, upn, _ in PEOPLE}
    found |= {part for _, _, name in PEOPLE for part in name.split()}
    found |= {
        part
        for part in list(found)
        if "." in part
        for part in re.split(r"[.]", part)
        if len(part) > 8
    }
    return {f for f in found if f and f not in ("Miro",)}


def test_anonymised_case_keeps_no_original_identifier(export: Path, tmp_path: Path) -> None:
    case = tmp_path / "shared.yaml"
    code, _, _ = invoke(
        "import", str(export), "-o", str(case), "--anonymise", "--salt", "ticket-4711"
    )
    assert code == 0
    written = case.read_text() + (tmp_path / "shared.logs.json").read_text()
    originals = identifiers(export)
    assert len(originals) > 20
    survivors = sorted(o for o in originals if o.casefold() in written.casefold())
    assert survivors == []
    # domains stay distinct, and a person's UPN and mail keep sharing their pseudonym
    domains = set(re.findall(r"@(d[0-9a-f]{6}\.example)", written))
    assert len(domains) == 2
    code, out, _ = invoke("replay", str(case), "--no-color")
    assert code == 0 and "100.0 % agreement (3 of 3" in out
