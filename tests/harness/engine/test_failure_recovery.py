"""The engine under failure, second pass: recovery of a whole directory after a
wrong token, a 401 in the middle of a cycle, every restart scope, transport failures, the
quarantine notice on a new reason, and the exact four-week limit. End to end, in-process, HTTP
only; faults injected on Miro's control plane."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mock_miro
from harness.lab.local import Lab
from harness.testing.lab_steps import (
    add_group,
    add_member,
    add_user,
    assign,
    drain_journal,
    last_log,
    logs_for,
    member_names,
    miro_seed_teams,
    miro_set,
    miro_user,
    miro_users,
    ok,
    put_secrets,
    set_group_flows,
    unassign,
)
from harness.testing.readers import (
    entry_status,
    journal_lines,
)

RETRY_TEXT = "We are retrying an operation that previously failed."


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=23) as lab:
        yield lab


def fault(lab: Lab, **spec: Any) -> None:
    ok(lab.miro_client.post("/_fake/faults", json=spec))


def restart(lab: Lab, reset_scope: str | None) -> None:
    body = {"criteria": {"resetScope": reset_scope}} if reset_scope is not None else {}
    ok(lab.graph_client.post(f"{lab.job_path}/restart", json=body), 204)


def connections(lab: Lab) -> dict[str, Any]:
    return dict(ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/connections")).json())


def all_miro_user_names(lab: Lab) -> list[str]:
    """Every userName in Miro, duplicates kept (a dict keyed by name would hide them), but
    the SCIM token's owner, whom every fresh organisation holds."""
    body = ok(lab.miro_client.get("/api/v1/scim/Users", params={"count": "200"})).json()
    assert body["totalResults"] == len(body["Resources"])
    owner = lab.miro.settings.token_owner
    return sorted(u["userName"] for u in body["Resources"] if u["userName"] != owner)


# --- a wrong token: nothing at all reaches Miro, then everything does ----------------------


def test_a_wrong_token_holds_back_a_whole_directory_and_start_provisions_all_of_it(
    lab: Lab,
) -> None:
    teams = miro_seed_teams(lab, "Crew")
    set_group_flows(lab, "Update")
    group = add_group(lab, "Crew")
    names = ("amy", "ben", "cat", "dov")
    users = {n: add_user(lab, n) for n in names}
    for n in ("amy", "ben"):
        add_member(lab, group, users[n])
    for n in ("cat", "dov"):
        assign(lab, users[n])
    assign(lab, group)
    put_secrets(lab, SecretToken="wrong")
    drain_journal(lab)
    lab.start()
    lab.advance("1d")

    requests = drain_journal(lab)
    assert requests and {r["status"] for r in requests} == {401}
    assert all(
        line.startswith('GET /Users?filter=userName eq "') for line in journal_lines(requests)
    )
    assert lab.provisioning_logs() == []  # no object was processed
    assert all_miro_user_names(lab) == []
    status = lab.job()["status"]
    assert status["code"] == "Quarantine"
    assert status["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert status["quarantine"]["seriesCount"] == len(requests)  # one probe per attempt

    put_secrets(lab, SecretToken=mock_miro.DEFAULT_TOKEN)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["type"] == "initial" and cycle["state"] == "Succeeded"
    assert cycle["counts"]["create"] == 4
    assert all_miro_user_names(lab) == [f"{n}@contoso.com" for n in names]  # each exactly once
    assert member_names(lab, teams["Crew"]) == {"amy@contoso.com", "ben@contoso.com"}
    for user in users.values():
        assert [e["provisioningAction"] for e in logs_for(lab, user)] == ["create"]
    status = lab.job()["status"]
    assert status["code"] == "Active" and status["quarantine"] is None
    assert status["countSuccessiveCompleteFailures"] == 0
    assert status["lastSuccessfulExecution"]["activityIdentifier"] == cycle["cycleId"]


def test_a_401_in_the_middle_of_a_cycle_quarantines_at_once(lab: Lab) -> None:
    for n in ("eve", "fay", "gus"):
        assign(lab, add_user(lab, n))
    fault(
        lab,
        method="POST",
        path="^/api/v1/scim/Users$",
        status=401,
        times=1,
        body={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "401",
            "detail": "token revoked",
        },
    )
    drain_journal(lab)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["quarantine"] == "EncounteredQuarantineException"
    posts = [r for r in drain_journal(lab) if r["method"] == "POST"]
    assert [r["status"] for r in posts] == [401, 201, 201]
    failed = [e for e in lab.provisioning_logs() if entry_status(e) == "failure"]
    assert len(failed) == 1
    assert failed[0]["provisioningStatusInfo"]["errorInformation"]["errorCode"] == (
        "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable"
    )
    quarantine = lab.job()["status"]["quarantine"]
    assert quarantine["reason"] == "EncounteredQuarantineException"
    assert "401" in quarantine["error"]["message"]
    # The failed object is escrowed, not lost: the next attempt (6 hours on, documented
    # schedule) retries it, succeeds and lifts the quarantine.
    assert [e["sourceAnchor"] for e in connections(lab)["escrows"]] == [
        failed[0]["sourceIdentity"]["id"]
    ]
    assert lab.advance("5h") == []
    cycles = lab.advance("1h")
    assert [c["quarantine"] for c in cycles] == [None]
    assert all_miro_user_names(lab) == ["eve@contoso.com", "fay@contoso.com", "gus@contoso.com"]
    assert lab.job()["status"]["code"] == "Active"


# --- restart scopes ------------------------------------------------------------------------
# https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationjobrestartcriteria


def _quarantined_with_an_escrow(lab: Lab) -> tuple[str, str]:
    """A linked user, a group escrowed on Miro's 405, then a wrong token: quarantined."""
    user = add_user(lab, "hal")
    assign(lab, user)
    group = add_group(lab, "Pilot")  # Create checked, team model: POST /Groups is 405
    assign(lab, group)
    lab.start()
    lab.advance("0")
    assert [e["sourceAnchor"] for e in connections(lab)["escrows"]] == [group]
    put_secrets(lab, SecretToken="wrong")
    lab.advance("40m")
    assert lab.job()["status"]["code"] == "Quarantine"
    put_secrets(lab, SecretToken=mock_miro.DEFAULT_TOKEN)
    drain_journal(lab)
    return user, group


def test_the_portal_restart_lifts_quarantine_clears_escrows_and_keeps_links(lab: Lab) -> None:
    _, group = _quarantined_with_an_escrow(lab)
    scim_id = miro_user(lab, "hal@contoso.com")["id"]
    restart(lab, None)  # empty criteria = the portal's Restart
    status = lab.job()["status"]
    assert status["quarantine"] is None and status["code"] == "Active"
    assert connections(lab)["escrows"] == []
    assert connections(lab)["watermarks"] == {"users": None, "groups": None, "assignments": None}
    (cycle,) = lab.advance("0")
    assert cycle["type"] == "initial"
    seen = journal_lines(drain_journal(lab))
    assert f"GET /Users/{scim_id}" in seen  # the link survived: read by id
    assert 'GET /Users?filter=userName eq "hal@contoso.com"' not in seen
    # The group is not retried from an escrow: the new initial cycle evaluates it afresh.
    assert logs_for(lab, group)[-1]["provisioningSteps"][0]["description"] != RETRY_TEXT


def test_restart_with_quarantine_state_only_keeps_escrows_and_watermarks(lab: Lab) -> None:
    _, group = _quarantined_with_an_escrow(lab)
    restart(lab, "QuarantineState")
    assert lab.job()["status"]["quarantine"] is None
    assert [e["sourceAnchor"] for e in connections(lab)["escrows"]] == [group]
    (cycle,) = lab.advance("0")
    assert cycle["type"] == "incremental"
    assert logs_for(lab, group)[-1]["provisioningSteps"][0]["description"] == RETRY_TEXT


def test_restart_with_escrows_only_leaves_the_job_quarantined(lab: Lab) -> None:
    _quarantined_with_an_escrow(lab)
    restart(lab, "Escrows")
    status = lab.job()["status"]
    assert connections(lab)["escrows"] == []
    assert status["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert status["code"] == "Quarantine"  # not "Active" while status.quarantine is set


@pytest.mark.parametrize("scope", ["ConnectorDataStore", "Full"])
def test_resetting_the_connector_data_store_breaks_links_and_re_matches(
    lab: Lab, scope: str
) -> None:
    ivy = add_user(lab, "ivy")
    assign(lab, ivy)
    lab.start()
    lab.advance("0")
    scim_id = miro_user(lab, "ivy@contoso.com")["id"]
    assert [link["targetAnchor"] for link in connections(lab)["value"]] == [scim_id]
    restart(lab, scope)
    assert connections(lab)["value"] == []
    ok(lab.graph_client.patch(f"/v1.0/users/{ivy}", json={"surname": "Moved"}), 204)
    drain_journal(lab)
    lab.advance("0")
    seen = journal_lines(drain_journal(lab))
    assert 'GET /Users?filter=userName eq "ivy@contoso.com"' in seen  # matched again
    assert "POST /Users" not in seen  # ... and found: no duplicate
    assert all_miro_user_names(lab) == ["ivy@contoso.com"]
    assert miro_user(lab, "ivy@contoso.com")["name"]["familyName"] == "Moved"
    assert [link["targetAnchor"] for link in connections(lab)["value"]] == [scim_id]


# --- groups deleted in Entra; the deletion threshold counts groups too ---------------------


def test_a_group_deleted_in_entra_is_deleted_in_miro(lab: Lab) -> None:
    miro_set(lab, model="user_groups")
    group = add_group(lab, "Temp")
    assign(lab, group)
    lab.start()
    lab.advance("0")
    target = last_log(lab, group)["targetIdentity"]["id"]
    ok(lab.graph_client.delete(f"/v1.0/groups/{group}"), 204)
    drain_journal(lab)
    lab.advance("40m")
    deletes = [r for r in drain_journal(lab) if r["method"] == "DELETE"]
    assert [(r["path"], r["status"]) for r in deletes] == [(f"/api/v1/scim/Groups/{target}", 204)]
    entry = last_log(lab, group)
    assert (entry["provisioningAction"], entry_status(entry)) == ("delete", "success")


def test_the_deletion_threshold_counts_group_deletes_with_user_disables(lab: Lab) -> None:
    miro_set(lab, model="user_groups")
    put_secrets(lab, SyncNotificationSettings='{"Enabled":false,"DeleteThresholdEnabled":true}')
    ok(
        lab.graph_client.patch(
            lab.job_path,
            json={
                "synchronizationJobSettings": [
                    {"name": "QuarantineTooManyDeletesThreshold", "value": "2"}
                ]
            },
        ),
        204,
    )
    group = add_group(lab, "Old team")
    group_assignment = assign(lab, group)
    users = [add_user(lab, n) for n in ("jo", "kit")]
    user_assignments = [assign(lab, u) for u in users]
    lab.start()
    lab.advance("0")
    unassign(lab, group_assignment)
    for a in user_assignments:
        unassign(lab, a)
    drain_journal(lab)
    (cycle,) = lab.advance("40m")
    assert cycle["counts"]["staged"] == 3  # 2 disables + 1 group delete > 2
    assert cycle["quarantine"] == "TooManyDeletes"
    assert [r for r in drain_journal(lab) if r["method"] in ("PATCH", "DELETE")] == []
    assert last_log(lab, group)["provisioningAction"] == "stageddelete"

    restart(lab, "ForceDeletes")
    (released,) = lab.advance("0")
    requests = drain_journal(lab)
    assert sorted(r["method"] for r in requests if r["method"] in ("PATCH", "DELETE")) == [
        "DELETE",
        "PATCH",
        "PATCH",
    ]
    assert released["counts"]["delete"] == 1 and released["counts"]["disable"] == 2


# --- transport failures ---------------------------------------------------------------------


def test_an_unreachable_base_address_quarantines_once_it_keeps_failing(lab: Lab) -> None:
    put_secrets(lab, BaseAddress="http://127.0.0.1:9/scim")  # discard port: connection refused
    assign(lab, add_user(lab, "lin"))
    lab.start()
    first, second, third = lab.advance("0") + lab.advance("80m")
    # A connection failure is retried on the next cycle; the third in a row makes "most, or
    # all, of the calls ... consistently fail" (quarantine_after_failed_cycles, default 3).
    assert [c["quarantine"] for c in (first, second, third)] == [
        None,
        None,
        "EncounteredQuarantineException",
    ]
    assert all(c["error"]["errorCode"] == "WebExceptionProtocolError" for c in (first, third))
    assert first["error"]["reason"].endswith(
        "It will be retried again after this date: 2026-01-05T09:40:00.0000000Z UTC"
    )
    assert third["quarantineSince"] == "2026-01-05T10:20:00Z"
    response = lab.graph_client.post(
        f"{lab.job_path}/validateCredentials", json={"useSavedCredentials": True}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_validate_credentials_reports_an_unreachable_given_base_address(lab: Lab) -> None:
    body = {
        "useSavedCredentials": False,
        "credentials": [
            {"key": "BaseAddress", "value": "http://127.0.0.1:9/scim"},
            {"key": "SecretToken", "value": mock_miro.DEFAULT_TOKEN},
        ],
    }
    response = lab.graph_client.post(f"{lab.job_path}/validateCredentials", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] and error["message"]
    # The saved credentials are untouched and still valid.
    ok(
        lab.graph_client.post(
            f"{lab.job_path}/validateCredentials", json={"useSavedCredentials": True}
        ),
        204,
    )


def test_an_unparseable_create_answer_is_a_service_incompatible_failure_and_escrowed(
    lab: Lab,
) -> None:
    mo = add_user(lab, "mo")
    assign(lab, mo)
    fault(
        lab,
        method="POST",
        path="^/api/v1/scim/Users$",
        status=201,
        body="<html>oops</html>",
        times=1,
    )
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["counts"]["failed"] == 1 and cycle["quarantine"] is None
    error = last_log(lab, mo)["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == "SystemForCrossDomainIdentityManagementServiceIncompatible"
    assert [e["sourceAnchor"] for e in connections(lab)["escrows"]] == [mo]


# --- notices and the four-week limit --------------------------------------------------------


def test_a_new_quarantine_reason_sends_a_new_notice(lab: Lab) -> None:
    put_secrets(
        lab,
        SyncNotificationSettings='{"Enabled":true,"DeleteThresholdEnabled":true,'
        '"Recipients":"a@contoso.com;b@contoso.com"}',
    )
    ok(
        lab.graph_client.patch(
            lab.job_path,
            json={
                "synchronizationJobSettings": [
                    {"name": "QuarantineTooManyDeletesThreshold", "value": "1"}
                ]
            },
        ),
        204,
    )
    assignments = [assign(lab, add_user(lab, n)) for n in ("ned", "oda")]
    lab.start()
    lab.advance("0")
    for a in assignments:
        unassign(lab, a)
    lab.advance("40m")  # two disables over a threshold of one: TooManyDeletes
    put_secrets(lab, SecretToken="wrong")
    lab.advance("6h")  # the next attempt fails the probe: a new reason
    messages = ok(lab.graph_client.get("/_fake/outbox")).json()["messages"]
    assert [m["reason"] for m in messages] == ["TooManyDeletes", "EncounteredQuarantineException"]
    assert messages[0]["subject"] == "[Action required] Accidental deletions prevented for Miro"
    assert messages[1]["subject"] == "[Action required] Provisioning for Miro has been quarantined"
    assert all(m["to"] == ["a@contoso.com", "b@contoso.com"] for m in messages)
    ok(lab.graph_client.delete("/_fake/outbox"))
    assert ok(lab.graph_client.get("/_fake/outbox")).json()["messages"] == []


def test_the_job_is_disabled_exactly_four_weeks_after_the_series_began(lab: Lab) -> None:
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    lab.advance("0")
    began = lab.job()["status"]["quarantine"]["seriesBegan"]
    assert began == "2026-01-05T09:00:00Z"
    lab.advance("27d")
    job = lab.job()
    assert job["schedule"]["state"] == "Active" and job["status"]["code"] == "Quarantine"
    cycles = lab.advance("1d")  # the attempt at exactly 28 days ends the series
    assert cycles[-1]["began"] == "2026-02-02T09:00:00Z"
    job = lab.job()
    assert job["schedule"]["state"] == "Disabled"
    assert job["status"]["quarantine"]["seriesBegan"] == began
    assert lab.advance("30d") == []
    # start clears quarantine and runs again
    # (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-start).
    put_secrets(lab, SecretToken=mock_miro.DEFAULT_TOKEN)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["state"] == "Succeeded" and lab.job()["schedule"]["state"] == "Active"


# --- throttling and random 5xx on a fifth of all requests ------------------------------------


def _directory(lab: Lab) -> dict[str, str]:
    miro_seed_teams(lab, "Crew")
    set_group_flows(lab, "Update")
    group = add_group(lab, "Crew")
    users = {n: add_user(lab, n) for n in ("pia", "quy", "rae", "sid", "tam", "uma", "vic", "wes")}
    for n in ("pia", "quy", "rae"):
        add_member(lab, group, users[n])
    for n in ("sid", "tam", "uma", "vic", "wes"):
        assign(lab, users[n])
    assign(lab, group)
    return users


def _end_state(lab: Lab) -> dict[str, Any]:
    teams = ok(lab.miro_client.get("/api/v1/scim/Groups")).json()["Resources"]
    crew = next(t for t in teams if t["displayName"] == "Crew")
    return {
        "users": sorted(  # the engine's users: the SCIM token's owner left out
            (u["userName"], u["active"], u["displayName"], u["name"]["familyName"])
            for u in miro_users(lab).values()
        ),
        "crew": sorted(member_names(lab, crew["id"])),
    }


def _changes_over_several_cycles(lab: Lab, users: dict[str, str]) -> list[dict[str, Any]]:
    """Every user changes in each of four rounds, 40 minutes apart: traffic in every cycle."""
    cycles = lab.advance("0")
    for round_no in range(4):
        for user_id in users.values():
            update_user_surname(lab, user_id, f"Round{round_no}")
        cycles += lab.advance("40m")
    return cycles


def test_429_bursts_and_5xx_on_a_fifth_of_all_requests_end_like_a_fault_free_run() -> None:
    with Lab(seed=29) as clean:
        users = _directory(clean)
        clean.start()
        _changes_over_several_cycles(clean, users)
        clean.advance("1d")
        expected = _end_state(clean)
    assert len(expected["users"]) == 8
    assert {u[3] for u in expected["users"]} == {"Round3"}

    with Lab(seed=29, quarantine_backoff="observed") as lab:
        users = _directory(lab)
        fault(
            lab, method="*", path="^/api/v1/scim/(Users|Groups)", status=429, retry_after=3, times=5
        )
        fault(lab, method="*", path="^/api/v1/scim/(Users|Groups)", status=503, probability=0.2)
        lab.start()
        cycles = _changes_over_several_cycles(lab, users)
        cycles += lab.advance("1d")
        faulted = [
            r
            for r in ok(lab.miro_client.get("/_fake/journal")).json()["requests"]
            if r["status"] == 503 and r["method"] != "GET"
        ]
        ok(lab.miro_client.delete("/_fake/faults"))
        cycles += lab.advance("1d")

        assert faulted  # the random faults did hit writes
        end = _end_state(lab)
        assert end == expected
        names = [u[0] for u in end["users"]]
        assert len(names) == len(set(names)) == 8  # every in-scope user exactly once
        assert sum(c["counts"]["throttled"] for c in cycles) == 5  # Retry-After honoured in-cycle
        logs = lab.provisioning_logs()
        failures = [e for e in logs if entry_status(e) == "failure"]
        assert failures
        assert {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in failures} == {
            "InternalServerError"
        }
        assert all(
            "This operation was retried"
            in e["provisioningStatusInfo"]["errorInformation"]["reason"]
            for e in failures
        )
        retried = Counter(
            e["sourceIdentity"]["id"]
            for e in logs
            if e["provisioningSteps"][0]["description"] == RETRY_TEXT
        )
        assert retried  # escrow retries are visible as such
        # Every failure is followed by a success for the same object: by an escrow retry, or
        # by the object's next change, which supersedes the escrowed operation.
        for position, entry in enumerate(logs):
            if entry_status(entry) == "failure":
                later = [
                    e
                    for e in logs[position + 1 :]
                    if e["sourceIdentity"]["id"] == entry["sourceIdentity"]["id"]
                ]
                assert any(entry_status(e) in ("success", "skipped") for e in later), entry


def update_user_surname(lab: Lab, user_id: str, surname: str) -> None:
    ok(lab.graph_client.patch(f"/v1.0/users/{user_id}", json={"surname": surname}), 204)


# --- a target too slow to answer: Timeout, escrowed, re-matched on the retry ------------------


def test_a_create_that_times_out_is_escrowed_and_the_retry_matches_instead_of_duplicating() -> None:
    with Lab.served(seed=41, target_timeout="500ms") as lab:
        xia = add_user(lab, "xia")
        assign(lab, xia)
        # Miro answers after 1.5 s, and does create the user: the engine gave up at 0.5 s.
        fault(lab, method="POST", path="^/api/v1/scim/Users$", latency_ms=1500, times=1)
        lab.start()
        (first,) = lab.advance("0")
        assert first["counts"]["failed"] == 1 and first["quarantine"] is None
        error = last_log(lab, xia)["provisioningStatusInfo"]["errorInformation"]
        assert error["errorCode"] == "Timeout"
        assert [e["errorCode"] for e in connections(lab)["escrows"]] == ["Timeout"]
        time.sleep(2.5)  # let Miro finish the slow request
        assert all_miro_user_names(lab) == ["xia@contoso.com"]
        drain_journal(lab)

        (retry,) = lab.advance("40m")
        seen = journal_lines(drain_journal(lab))
        assert 'GET /Users?filter=userName eq "xia@contoso.com"' in seen  # matched again
        assert "POST /Users" not in seen
        assert all_miro_user_names(lab) == ["xia@contoso.com"]  # no duplicate
        assert retry["counts"]["failed"] == 0
        assert connections(lab)["escrows"] == []
        assert last_log(lab, xia)["provisioningSteps"][0]["description"] == RETRY_TEXT


def test_the_retry_sentence_follows_the_targets_detail_as_a_new_sentence(lab: Lab) -> None:
    group = add_group(lab, "Pilot")  # Miro's 405 detail has no final full stop
    assign(lab, group)
    lab.start()
    lab.advance("0")
    reason = last_log(lab, group)["provisioningStatusInfo"]["errorInformation"]["reason"]
    assert re.search(
        r"\S[.!?] This operation was retried 0 times\. It will be retried again after "
        r"this date: 2026-01-05T09:40:00\.0000000Z UTC$",
        reason,
    ), reason
    assert ".. This" not in reason


def test_after_four_weeks_the_escrows_are_removed_with_the_job_disabled(lab: Lab) -> None:
    yan = add_user(lab, "yan")
    assign(lab, yan)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=401)  # every create, forever
    lab.start()
    lab.advance("0")
    assert [e["sourceAnchor"] for e in connections(lab)["escrows"]] == [yan]
    lab.advance("27d")
    assert lab.job()["schedule"]["state"] == "Active"
    assert connections(lab)["escrows"] != []
    lab.advance("1d")
    assert lab.job()["schedule"]["state"] == "Disabled"
    assert connections(lab)["escrows"] == []  # documented: "the escrow entry is removed"


# --- several entries where one was expected ----------------------------------------------
# https://learn.microsoft.com/en-us/entra/identity/monitoring-health/howto-analyze-provisioning-logs

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def test_a_team_query_that_returns_members_anyway_is_multiple_entries_in_response(lab: Lab) -> None:
    miro_seed_teams(lab, "Crew")
    set_group_flows(lab, "Update")
    group = add_group(lab, "Crew")
    assign(lab, group)
    fault(
        lab,
        method="GET",
        path="^/api/v1/scim/Groups$",
        status=200,
        times=1,
        body={
            "schemas": [LIST],
            "totalResults": 1,
            "startIndex": 1,
            "itemsPerPage": 1,
            "Resources": [{"id": "t1", "displayName": "Crew", "members": [{"value": "u1"}]}],
        },
    )
    lab.start()
    (cycle,) = lab.advance("0")
    entry = last_log(lab, group)
    assert entry_status(entry) == "failure"
    assert entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == (
        "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse"
    )
    assert cycle["quarantine"] is None
    assert [e["sourceAnchor"] for e in connections(lab)["escrows"]] == [group]
    lab.advance("40m")  # the fault is spent: the retry matches the team
    assert entry_status(last_log(lab, group)) == "success"
    assert connections(lab)["escrows"] == []


def test_a_get_by_id_answering_several_users_is_multiple_entries_in_response(lab: Lab) -> None:
    zed = add_user(lab, "zed")
    assign(lab, zed)
    lab.start()
    lab.advance("0")
    scim_id = miro_user(lab, "zed@contoso.com")["id"]
    fault(
        lab,
        method="GET",
        path=f"^/api/v1/scim/Users/{scim_id}$",
        status=200,
        times=1,
        body={
            "schemas": [LIST],
            "totalResults": 2,
            "Resources": [
                {"id": scim_id, "userName": "zed@contoso.com"},
                {"id": "x", "userName": "x"},
            ],
        },
    )
    ok(lab.graph_client.patch(f"/v1.0/users/{zed}", json={"surname": "Two"}), 204)
    drain_journal(lab)
    lab.advance("40m")
    assert [r for r in drain_journal(lab) if r["method"] == "PATCH"] == []  # nothing written blind
    entry = last_log(lab, zed)
    assert entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == (
        "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse"
    )
    lab.advance("40m")
    assert miro_user(lab, "zed@contoso.com")["name"]["familyName"] == "Two"


# --- throttling past the in-cycle retry limit ---------------------------------------------


def test_429s_beyond_the_retry_limit_are_escrowed_and_finish_next_cycle() -> None:
    with Lab(seed=43, throttle_max_retries=2) as lab:
        ava = add_user(lab, "ava")
        assign(lab, ava)
        fault(lab, method="POST", path="^/api/v1/scim/Users$", status=429, retry_after=4, times=4)
        lab.start()
        (first,) = lab.advance("0")
        assert first["counts"]["throttled"] == 2 and first["counts"]["failed"] == 1
        assert first["ended"] == "2026-01-05T09:00:08Z"  # two honoured waits of 4 s
        error = last_log(lab, ava)["provisioningStatusInfo"]["errorInformation"]
        assert error["errorCode"] == "TooManyRequests"
        assert "This operation was retried 0 times" in error["reason"]
        (second,) = lab.advance("40m")  # one 429 left: honoured, then created
        assert second["counts"]["throttled"] == 1 and second["counts"]["create"] == 1
        assert all_miro_user_names(lab) == ["ava@contoso.com"]


def test_a_429_without_retry_after_waits_the_default() -> None:
    with Lab(seed=47, throttle_default_wait="7s") as lab:
        assign(lab, add_user(lab, "bea"))
        fault(lab, method="POST", path="^/api/v1/scim/Users$", status=429, times=1)
        lab.start()
        (cycle,) = lab.advance("0")
        assert cycle["counts"]["throttled"] == 1 and cycle["counts"]["create"] == 1
        assert cycle["ended"] == "2026-01-05T09:00:07Z"


# --- held deletions survive quarantine attempts until allowed or fixed ---------------------


def _over_the_deletion_threshold(lab: Lab) -> tuple[list[str], list[str]]:
    put_secrets(lab, SyncNotificationSettings='{"Enabled":false,"DeleteThresholdEnabled":true}')
    ok(
        lab.graph_client.patch(
            lab.job_path,
            json={
                "synchronizationJobSettings": [
                    {"name": "QuarantineTooManyDeletesThreshold", "value": "2"}
                ]
            },
        ),
        204,
    )
    users = [add_user(lab, n) for n in ("cam", "dia", "eve")]
    assignments = [assign(lab, u) for u in users]
    lab.start()
    lab.advance("0")
    for a in assignments:
        unassign(lab, a)
    (cycle,) = lab.advance("40m")
    assert cycle["quarantine"] == "TooManyDeletes"
    drain_journal(lab)
    return users, assignments


def test_held_deletions_are_not_dropped_by_later_quarantine_attempts(lab: Lab) -> None:
    users, _ = _over_the_deletion_threshold(lab)
    cycles = lab.advance("2d")
    assert cycles and all(c["quarantine"] == "TooManyDeletes" for c in cycles)
    assert all(c["counts"]["staged"] == 3 for c in cycles)
    assert [r for r in drain_journal(lab) if r["method"] in ("PATCH", "DELETE")] == []
    status = lab.job()["status"]
    assert status["code"] == "Quarantine" and status["quarantine"]["reason"] == "TooManyDeletes"
    assert status["quarantine"]["seriesCount"] == 1 + len(cycles)
    # Allowing the deletes still works after days in quarantine.
    restart(lab, "ForceDeletes")
    (released,) = lab.advance("0")
    assert released["counts"]["disable"] == 3
    assert not any(miro_user(lab, f"{n}@contoso.com")["active"] for n in ("cam", "dia", "eve"))
    lab.advance("2h")  # nothing is held any more
    assert last_log(lab, users[0])["provisioningAction"] == "disable"
    assert lab.job()["status"]["quarantine"] is None


def test_fixing_the_source_and_restarting_releases_nothing(lab: Lab) -> None:
    users, _ = _over_the_deletion_threshold(lab)
    for u in users:
        assign(lab, u)  # the unassignment was the mistake
    restart(lab, None)
    (cycle,) = lab.advance("0")
    assert cycle["quarantine"] is None and cycle["counts"]["staged"] == 0
    assert [r for r in drain_journal(lab) if r["method"] in ("PATCH", "DELETE")] == []
    assert all(miro_user(lab, f"{n}@contoso.com")["active"] for n in ("cam", "dia", "eve"))
    assert lab.job()["status"]["code"] == "Active"
    lab.advance("2h")
    assert lab.job()["status"]["quarantine"] is None


# --- property: any mix of transient faults ends like the fault-free run -----------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.sampled_from([429, 500, 502, 503, 504]),
    method=st.sampled_from(["*", "GET", "POST", "PATCH"]),
    probability=st.sampled_from([0.1, 0.3, 0.5]),
    backoff=st.sampled_from(["documented", "observed"]),
    throttle=st.sampled_from(["honour", "escrow"]),
)
def test_transient_faults_of_any_kind_end_like_the_fault_free_run(
    status: int, method: str, probability: float, backoff: str, throttle: str
) -> None:
    with Lab(seed=53) as clean:
        users = _directory(clean)
        clean.start()
        _changes_over_several_cycles(clean, users)
        clean.advance("1d")
        expected = _end_state(clean)
    with Lab(seed=53, quarantine_backoff=backoff, throttle_policy=throttle) as lab:
        users = _directory(lab)
        fault(
            lab,
            method=method,
            path="^/api/v1/scim/(Users|Groups)",
            status=status,
            probability=probability,
            retry_after=1,
        )
        lab.start()
        _changes_over_several_cycles(lab, users)
        lab.advance("1d")
        ok(lab.miro_client.delete("/_fake/faults"))
        lab.advance("2d")  # long enough for the slowest back-off to retry
        assert _end_state(lab) == expected
        assert connections(lab)["escrows"] == []
        assert lab.job()["status"]["quarantine"] is None
