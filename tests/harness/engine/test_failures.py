"""The engine under failure: error classification, escrows and their
retries, quarantine on invalid credentials and SCIM-compliance failures, escrow thresholds, the
back-off schedule and the four-week disable. End to end, faults injected on Miro's control
plane."""

from __future__ import annotations

from typing import Any

import pytest

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
    map_manager,
    member_names,
    miro_seed_teams,
    miro_user,
    miro_users,
    ok,
    put_secrets,
    set_group_flows,
    set_manager,
    update_user,
)
from harness.testing.readers import (
    entry_error,
    entry_status,
    entry_steps,
    journal_lines,
)


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=13) as lab:
        yield lab


def fault(lab: Lab, **spec: Any) -> None:
    ok(lab.miro_client.post("/_fake/faults", json=spec))


def test_a_wrong_token_quarantines_at_once_and_start_recovers(lab: Lab) -> None:
    ann = add_user(lab, "ann")
    assign(lab, ann)
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["state"] == "Failed"
    assert cycle["quarantine"] == "EncounteredQuarantineException"
    assert (
        cycle["error"]["errorCode"]
        == "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable"
    )
    assert len(drain_journal(lab)) == 1  # only the probe was sent
    status = lab.job()["status"]
    assert status["code"] == "Quarantine"
    quarantine = status["quarantine"]
    assert quarantine["reason"] == "EncounteredQuarantineException"
    assert quarantine["currentBegan"] == quarantine["seriesBegan"] == "2026-01-05T09:00:00Z"
    assert quarantine["nextAttempt"] == "2026-01-05T15:00:00Z"  # documented: 6 hours
    assert quarantine["seriesCount"] == 1
    assert quarantine["error"]["tenantActionable"] is True
    assert status["lastExecution"]["state"] == "Failed"
    assert status["countSuccessiveCompleteFailures"] == 1
    assert lab.advance("5h") == []  # quarantined: no 40-minute cycles

    put_secrets(lab, SecretToken=mock_miro.DEFAULT_TOKEN)
    lab.start()  # start clears quarantine and runs now
    (cycle,) = lab.advance("0")
    assert cycle["state"] == "Succeeded"
    assert miro_user(lab, "ann@contoso.com") is not None
    status = lab.job()["status"]
    assert status["code"] == "Active" and status["quarantine"] is None


def attempt_times(lab: Lab, until: str) -> list[str]:
    """The start times of the cycles run while the clock moves on by ``until``."""
    return [str(cycle["began"]) for cycle in lab.advance(until)]


def test_quarantine_retries_6_12_and_24_hours_after_the_first_failure_then_daily(
    lab: Lab,
) -> None:
    """The quarantine page's "Retry duration": the first retry 6 h after the failure, the second
    12 h and the third 24 h after the *first* failure, then every 24 h."""
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    (cycle,) = lab.advance("0")  # 2026-01-05T09:00Z: invalid credentials quarantine at once
    assert cycle["quarantineSince"] == "2026-01-05T09:00:00Z"
    assert attempt_times(lab, "3d") == [
        "2026-01-05T15:00:00Z",  # +6 h
        "2026-01-05T21:00:00Z",  # +12 h after the first failure
        "2026-01-06T09:00:00Z",  # +24 h
        "2026-01-07T09:00:00Z",  # then every 24 h
        "2026-01-08T09:00:00Z",
    ]
    quarantine = lab.job()["status"]["quarantine"]
    # Reports give when the quarantine began (the series), not the latest attempt.
    assert quarantine["seriesBegan"] == "2026-01-05T09:00:00Z"
    assert quarantine["currentBegan"] == "2026-01-08T09:00:00Z"
    assert quarantine["seriesCount"] == 6
    assert quarantine["nextAttempt"] == "2026-01-09T09:00:00Z"


def test_the_observed_back_off_waits_30m_1h_2h_4h_between_attempts(lab: Lab) -> None:
    ok(lab.graph_client.put("/_fake/engine/settings", json={"quarantine_backoff": "observed"}))
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    lab.advance("0")
    assert attempt_times(lab, "8h") == [
        "2026-01-05T09:30:00Z",
        "2026-01-05T10:30:00Z",
        "2026-01-05T12:30:00Z",
        "2026-01-05T16:30:00Z",
    ]


def test_four_weeks_in_quarantine_disables_the_job(lab: Lab) -> None:
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    cycles = lab.advance("30d")
    assert 25 <= len(cycles) <= 32  # daily attempts after the first three
    job = lab.job()
    assert job["schedule"]["state"] == "Disabled"
    assert job["status"]["code"] == "Quarantine"
    assert lab.advance("7d") == []


def test_one_503_on_the_probe_is_retried_next_cycle_not_quarantined(lab: Lab) -> None:
    """The quarantine page: a job is quarantined when "most, or all, of the calls made against
    the target system consistently fail". One blip on the cycle-start probe is not that: the
    cycle fails, and the next one (40 minutes later) provisions as if nothing happened."""
    ann = add_user(lab, "ann")
    assign(lab, ann)
    fault(lab, method="GET", path="^/api/v1/scim/Users$", status=503, times=1)
    lab.start()
    (failed,) = lab.advance("0")
    assert failed["state"] == "Failed" and failed["quarantine"] is None
    assert failed["error"]["errorCode"] == "InternalServerError"
    assert failed["error"]["reason"].endswith(
        "It will be retried again after this date: 2026-01-05T09:40:00.0000000Z UTC"
    )
    status = lab.job()["status"]
    assert status["code"] != "Quarantine" and status["quarantine"] is None
    assert status["countSuccessiveCompleteFailures"] == 1
    assert lab.advance("39m") == []
    (retried,) = lab.advance("1m")
    assert retried["state"] == "Succeeded" and retried["counts"]["create"] == 1
    assert miro_user(lab, "ann@contoso.com") is not None
    assert lab.job()["status"]["countSuccessiveCompleteFailures"] == 0


def test_a_probe_that_keeps_failing_quarantines_on_the_third_cycle(lab: Lab) -> None:
    fault(lab, method="GET", path="^/api/v1/scim/Users$", status=503)
    lab.start()
    cycles = lab.advance("0") + lab.advance("80m")
    assert [c["quarantine"] for c in cycles] == [None, None, "EncounteredQuarantineException"]
    status = lab.job()["status"]
    assert status["code"] == "Quarantine"
    assert status["countSuccessiveCompleteFailures"] == 3
    assert status["quarantine"]["seriesBegan"] == "2026-01-05T10:20:00Z"
    assert status["quarantine"]["nextAttempt"] == "2026-01-05T16:20:00Z"  # 6 hours
    assert status["quarantine"]["error"]["code"] == "InternalServerError"


def test_how_many_failed_cycles_quarantine_is_a_setting(lab: Lab) -> None:
    ok(lab.graph_client.put("/_fake/engine/settings", json={"quarantine_after_failed_cycles": 1}))
    fault(lab, method="GET", path="^/api/v1/scim/Users$", status=503, times=1)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["quarantine"] == "EncounteredQuarantineException"
    bad = lab.graph_client.put("/_fake/engine/settings", json={"quarantine_after_failed_cycles": 0})
    assert bad.status_code == 400


def test_the_escrow_reason_names_the_retry_the_engine_makes(lab: Lab) -> None:
    """One source for the text and the date: a second 5xx in a row is retried 80 minutes later,
    and its reason says so (no "retried in 40 minutes" beside a later date)."""
    bea = add_user(lab, "bea")
    assign(lab, bea)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=500, times=2)
    lab.start()
    lab.advance("0")
    lab.advance("40m")
    failures = [e for e in logs_for(lab, bea) if entry_status(e) == "failure"]
    reasons = [e["provisioningStatusInfo"]["errorInformation"]["reason"] for e in failures]
    assert all("HTTP status code 500" in r and "40 minutes" not in r for r in reasons)
    assert reasons[1].endswith(
        "This operation was retried 1 times. It will be retried again after this date: "
        "2026-01-05T11:00:00.0000000Z UTC"
    )
    (quiet,) = lab.advance("40m")  # 10:20: the escrow is not due yet
    assert quiet["counts"]["imported"] == 0
    assert miro_user(lab, "bea@contoso.com") is None
    lab.advance("40m")  # 11:00: the retry the reason announced
    assert miro_user(lab, "bea@contoso.com") is not None


def test_a_404_to_the_filter_probe_quarantines(lab: Lab) -> None:
    fault(
        lab,
        method="GET",
        path="^/api/v1/scim/Users$",
        status=404,
        body={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "404",
            "detail": "Not found",
        },
        times=1,
    )
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["quarantine"] == "EncounteredQuarantineException"
    assert (
        cycle["error"]["errorCode"] == "SystemForCrossDomainIdentityManagementServiceIncompatible"
    )


def test_a_5xx_on_create_is_escrowed_and_retried_next_cycle(lab: Lab) -> None:
    bea = add_user(lab, "bea")
    assign(lab, bea)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=500, times=1)
    lab.start()
    (first,) = lab.advance("0")
    assert first["counts"]["failed"] == 1
    entry = last_log(lab, bea)
    assert entry_status(entry) == "failure"
    error = entry["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == "InternalServerError"
    assert error["reason"].endswith(
        "This operation was retried 0 times. It will be retried again after this date: "
        "2026-01-05T09:40:00.0000000Z UTC"
    )
    assert lab.job()["status"]["lastExecution"]["countEscrowed"] == 1
    connections = ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/connections")).json()
    assert connections["escrows"][0]["sourceAnchor"] == bea

    (second,) = lab.advance("40m")  # nothing changed in the directory: the escrow brings it back
    assert second["counts"]["create"] == 1
    assert miro_user(lab, "bea@contoso.com") is not None
    retry = last_log(lab, bea)
    assert (
        retry["provisioningSteps"][0]["description"]
        == "We are retrying an operation that previously failed."
    )
    assert lab.job()["status"]["lastExecution"]["countEscrowed"] == 0


def test_escrow_retries_back_off_and_restart_with_escrows_clears_them(lab: Lab) -> None:
    group = add_group(lab, "Pilot")  # Miro's team model: POST /Groups answers 405 every time
    assign(lab, group)
    lab.start()
    lab.advance("0")
    lab.advance("3h")
    attempts = [e for e in logs_for(lab, group) if entry_status(e) == "failure"]
    reasons = [e["provisioningStatusInfo"]["errorInformation"]["reason"] for e in attempts]
    assert [r.split("retried ")[1].split(" times")[0] for r in reasons] == ["0", "1", "2"]
    began = [e["activityDateTime"] for e in attempts]
    assert began == ["2026-01-05T09:00:00Z", "2026-01-05T09:40:00Z", "2026-01-05T11:00:00Z"]
    assert "EntryExportAdd" in entry_steps(attempts[-1])

    ok(
        lab.graph_client.post(
            f"{lab.job_path}/restart", json={"criteria": {"resetScope": "Escrows"}}
        ),
        204,
    )
    connections = ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/connections")).json()
    assert connections["escrows"] == []


def test_low_thresholds_trip_the_proportion_rule(lab: Lab) -> None:
    ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"escrow_min_failures": 2, "escrow_failure_ratio": 0.4}
        )
    )
    assign(lab, add_user(lab, "cal"))
    lab.start()
    lab.advance("0")
    for n in ("dot", "eli", "fin"):
        assign(lab, add_user(lab, n))
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=503, times=2)
    (cycle,) = lab.advance("40m")
    assert cycle["type"] == "incremental"
    assert cycle["counts"]["failed"] == 2 and cycle["counts"]["create"] == 1
    assert cycle["quarantine"] == "EncounteredEscrowProportionThreshold"
    assert lab.job()["status"]["code"] == "Quarantine"
    # The next attempt (6 hours on) retries both and succeeds: quarantine lifts by itself.
    cycles = lab.advance("6h")
    assert [c["quarantine"] for c in cycles] == [None]
    assert lab.job()["status"]["quarantine"] is None
    assert all(miro_user(lab, f"{n}@contoso.com") for n in ("cal", "dot", "eli", "fin"))


def test_a_linked_user_deleted_in_miro_is_an_invalid_anchor(lab: Lab) -> None:
    fay = add_user(lab, "fay")
    assign(lab, fay)
    lab.start()
    lab.advance("0")
    scim_id = miro_user(lab, "fay@contoso.com")["id"]
    ok(lab.miro_client.delete(f"/api/v1/scim/Users/{scim_id}"), 204)
    ok(lab.graph_client.patch(f"/v1.0/users/{fay}", json={"surname": "Changed"}), 204)
    lab.advance("40m")
    entry = last_log(lab, fay)
    assert entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "InvalidAnchor"
    ok(
        lab.graph_client.post(f"{lab.job_path}/restart", json={"criteria": {"resetScope": "Full"}}),
        204,
    )
    lab.advance("0")
    assert miro_user(lab, "fay@contoso.com")["name"]["familyName"] == "Changed"


def _deletion_threshold(lab: Lab, threshold: int) -> None:
    put_secrets(lab, SyncNotificationSettings='{"Enabled":false,"DeleteThresholdEnabled":true}')
    body = {
        "synchronizationJobSettings": [
            {"name": "QuarantineTooManyDeletesThreshold", "value": str(threshold)}
        ]
    }
    ok(lab.graph_client.patch(lab.job_path, json=body), 204)


def test_a_mass_unassignment_over_the_threshold_is_staged_and_force_deletes_releases_it(
    lab: Lab,
) -> None:
    _deletion_threshold(lab, 2)
    names = ("gil", "hal", "ivy")
    users = {n: add_user(lab, n) for n in names}
    assignments = {n: assign(lab, u) for n, u in users.items()}
    lab.start()
    lab.advance("0")
    drain_journal(lab)
    for assignment in assignments.values():
        ok(
            lab.graph_client.delete(
                f"/v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo/{assignment}"
            ),
            204,
        )
    (cycle,) = lab.advance("40m")
    assert cycle["counts"]["staged"] == 3
    assert cycle["quarantine"] == "TooManyDeletes"
    assert [r for r in drain_journal(lab) if r["method"] == "PATCH"] == []
    assert all(miro_user(lab, f"{n}@contoso.com")["active"] for n in names)
    for user in users.values():
        entry = last_log(lab, user)
        assert entry["provisioningAction"] == "stageddelete"
        assert entry_status(entry) == "skipped"
    status = lab.job()["status"]
    assert status["code"] == "Quarantine" and status["quarantine"]["reason"] == "TooManyDeletes"

    ok(
        lab.graph_client.post(
            f"{lab.job_path}/restart", json={"criteria": {"resetScope": "ForceDeletes"}}
        ),
        204,
    )
    (released,) = lab.advance("0")
    assert released["counts"]["disable"] == 3
    assert not any(miro_user(lab, f"{n}@contoso.com")["active"] for n in names)
    assert lab.job()["status"]["quarantine"] is None


def test_deletions_within_the_threshold_go_through(lab: Lab) -> None:
    _deletion_threshold(lab, 2)
    users = [add_user(lab, n) for n in ("jay", "kai")]
    assignments = [assign(lab, u) for u in users]
    lab.start()
    lab.advance("0")
    for assignment in assignments:
        ok(
            lab.graph_client.delete(
                f"/v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo/{assignment}"
            ),
            204,
        )
    (cycle,) = lab.advance("40m")
    assert cycle["counts"]["disable"] == 2 and cycle["quarantine"] is None


def test_429_with_retry_after_is_honoured_within_the_cycle(lab: Lab) -> None:
    lee = add_user(lab, "lee")
    assign(lab, lee)
    fault(
        lab,
        method="POST",
        path="^/api/v1/scim/Users$",
        status=429,
        retry_after=2,
        times=3,
        body={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "429",
            "detail": "Too many requests",
        },
    )
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["counts"]["throttled"] == 3 and cycle["counts"]["create"] == 1
    assert cycle["ended"] == "2026-01-05T09:00:06Z"  # three waits of Retry-After on the clock
    assert [r["status"] for r in drain_journal(lab) if r["method"] == "POST"] == [
        429,
        429,
        429,
        201,
    ]
    assert miro_user(lab, "lee@contoso.com") is not None


def test_429_escrow_policy_retries_on_the_next_cycle(lab: Lab) -> None:
    ok(lab.graph_client.put("/_fake/engine/settings", json={"throttle_policy": "escrow"}))
    mae = add_user(lab, "mae")
    assign(lab, mae)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=429, retry_after=2, times=1)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["counts"]["failed"] == 1
    assert (
        last_log(lab, mae)["provisioningStatusInfo"]["errorInformation"]["errorCode"]
        == "TooManyRequests"
    )
    lab.advance("40m")
    assert miro_user(lab, "mae@contoso.com") is not None


def _directory(lab: Lab) -> None:
    miro_seed_teams(lab, "Crew")
    set_group_flows(lab, "Update")
    group = add_group(lab, "Crew")
    for n in ("nan", "oz", "pam", "rex", "sal", "ted"):
        user = add_user(lab, n)
        if n in ("nan", "oz", "pam"):
            add_member(lab, group, user)
        else:
            assign(lab, user)
    assign(lab, group)


def _miro_state(lab: Lab) -> dict[str, Any]:
    users = miro_users(lab)
    teams = ok(lab.miro_client.get("/api/v1/scim/Groups")).json()["Resources"]
    crew = next(t for t in teams if t["displayName"] == "Crew")
    return {
        "users": sorted((name, u["active"], u["displayName"]) for name, u in users.items()),
        "crew": sorted(member_names(lab, crew["id"])),
    }


def test_bursts_of_429_and_random_5xx_end_like_a_fault_free_run() -> None:
    with Lab(seed=17) as clean:
        _directory(clean)
        clean.start()
        clean.advance("2h")
        expected = _miro_state(clean)
    assert len(expected["users"]) == 6 and expected["crew"] == [
        "nan@contoso.com",
        "oz@contoso.com",
        "pam@contoso.com",
    ]

    with Lab(seed=17) as lab:
        _directory(lab)
        fault(
            lab, method="*", path="^/api/v1/scim/(Users|Groups)", status=429, retry_after=1, times=4
        )
        fault(lab, method="POST", path="^/api/v1/scim/Users$", status=503, probability=0.2)
        fault(lab, method="PATCH", path="^/api/v1/scim/Groups/", status=500, probability=0.2)
        ok(lab.graph_client.put("/_fake/engine/settings", json={"quarantine_backoff": "observed"}))
        fault(lab, method="POST", path="^/api/v1/scim/Users$", status=502, times=1)
        lab.start()
        cycles = lab.advance("1d")
        ok(lab.miro_client.delete("/_fake/faults"))
        cycles += lab.advance("1d")
        assert _miro_state(lab) == expected  # every in-scope user exactly once, same teams
        assert sum(c["counts"]["throttled"] for c in cycles) >= 4
        logs = lab.provisioning_logs()
        failures = [e for e in logs if entry_status(e) == "failure"]
        assert failures  # the 502 at least
        retried = {
            e["sourceIdentity"]["id"]
            for e in logs
            if e["provisioningSteps"][0]["description"]
            == "We are retrying an operation that previously failed."
        }
        assert {e["sourceIdentity"]["id"] for e in failures} <= retried


def test_the_outbox_receives_the_quarantine_notice_once(lab: Lab) -> None:
    put_secrets(
        lab,
        SecretToken="wrong",
        SyncNotificationSettings='{"Enabled":true,"DeleteThresholdEnabled":false,'
        '"Recipients":"admin@contoso.com"}',
    )
    lab.start()
    lab.advance("1d")  # several quarantined attempts, one reason
    messages = ok(lab.graph_client.get("/_fake/outbox")).json()["messages"]
    assert len(messages) == 1
    (message,) = messages
    assert message["to"] == ["admin@contoso.com"]
    assert message["from"] == "azure-noreply@microsoft.com"
    assert message["subject"] == "[Action required] Provisioning for Miro has been quarantined"
    assert "EncounteredQuarantineException" in message["body"]
    assert message["jobId"] == lab.job_id


def test_no_notice_without_notifications_enabled(lab: Lab) -> None:
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    lab.advance("0")
    assert ok(lab.graph_client.get("/_fake/outbox")).json()["messages"] == []


def test_an_initial_cycle_over_the_thresholds_prunes_escrows_and_pauses(lab: Lab) -> None:
    ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"escrow_min_failures": 1, "escrow_failure_ratio": 0.4}
        )
    )
    users = [add_user(lab, n) for n in ("uri", "val")]
    for u in users:
        assign(lab, u)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=500, times=2)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["type"] == "initial" and cycle["counts"]["failed"] == 2
    job = lab.job()
    assert job["status"]["escrowsPruned"] is True
    assert job["status"]["code"] == "Paused" and job["schedule"]["state"] == "Paused"
    assert job["status"]["quarantine"] is None
    assert (
        ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/connections")).json()["escrows"]
        == []
    )
    assert lab.advance("2h") == []


def test_the_outbox_gets_one_notice_when_objects_start_failing(lab: Lab) -> None:
    put_secrets(lab, SyncNotificationSettings='{"Enabled":true,"Recipients":"ops@contoso.com"}')
    group = add_group(lab, "Nope")  # Miro answers 405 to the group create, every cycle
    assign(lab, group)
    lab.start()
    lab.advance("4h")
    messages = ok(lab.graph_client.get("/_fake/outbox")).json()["messages"]
    assert [m["subject"] for m in messages] == ["Provisioning errors for Miro"]
    assert "MethodNotAllowed" in messages[0]["body"]


@pytest.mark.parametrize(("change", "quarantined"), [("manager", False), ("department", True)])
def test_manager_update_failures_are_reference_failures_left_out_of_the_ratio(
    lab: Lab, change: str, quarantined: bool
) -> None:
    """ "Reference failures won't be counted as part of the 40% threshold or 40,000 threshold.
    For example, failure to update a manager or a group member is a reference failure." """
    ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"escrow_min_failures": 2, "escrow_failure_ratio": 0.4}
        )
    )
    map_manager(lab)
    boss = add_user(lab, "boss")
    reports = [add_user(lab, n) for n in ("ann", "bob", "cid")]
    for user in (boss, *reports):
        assign(lab, user)
    lab.start()
    lab.advance("0")
    for user in reports:
        if change == "manager":
            set_manager(lab, user, boss)
        else:
            update_user(lab, user, department="Sales")
    fault(lab, method="PATCH", path="^/api/v1/scim/Users/", status=500)
    (cycle,) = lab.advance("40m")
    assert cycle["counts"]["failed"] == 3
    assert (cycle["quarantine"] == "EncounteredEscrowProportionThreshold") is quarantined
    escrows = ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/connections")).json()
    assert len(escrows["escrows"]) == 3


def test_group_member_failures_are_references_but_a_failed_rename_is_not(lab: Lab) -> None:
    ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"escrow_min_failures": 1, "escrow_failure_ratio": 0.2}
        )
    )
    miro_seed_teams(lab, "Crew")
    set_group_flows(lab, "Update")
    crew = add_group(lab, "Crew")
    assign(lab, crew)
    ann = add_user(lab, "ann")
    assign(lab, ann)
    lab.start()
    lab.advance("0")
    fault(lab, method="PATCH", path="^/api/v1/scim/Groups/", status=500)
    add_member(lab, crew, ann)  # a membership change only: a reference failure
    (members,) = lab.advance("40m")
    assert members["counts"]["failed"] == 1 and members["quarantine"] is None
    ok(lab.graph_client.patch(f"/v1.0/groups/{crew}", json={"displayName": "Crew 2"}), 204)
    (rename,) = lab.advance("40m")  # the rename fails: it counts (1 of 3 > 20 %)
    assert rename["counts"]["failed"] == 1
    assert rename["quarantine"] == "EncounteredEscrowProportionThreshold"


def test_a_409_on_create_is_an_entry_conflict_not_a_match(lab: Lab) -> None:
    """A 409 on create is a failure the admin resolves (<App>EntryConflict, nonServiceFailure in
    Microsoft's sample, https://learn.microsoft.com/en-us/graph/api/provisioningobjectsummary-list);
    the engine does not query again to turn it into a match."""
    gil = add_user(lab, "gil")
    assign(lab, gil)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=409, times=1)
    lab.start()
    lab.advance("0")
    error = entry_error(last_log(lab, gil))
    assert error["errorCode"] == "MiroEntryConflict"
    assert error["errorCategory"] == "nonServiceFailure"
    assert "already exisits with the same name" in error["reason"]  # Microsoft's own spelling
    lines = journal_lines(drain_journal(lab))
    assert [line.split("?")[0] for line in lines[1:]] == ["GET /Users", "POST /Users"]
    assert miro_user(lab, "gil@contoso.com") is None


def test_a_400_on_create_is_a_bad_request_failure_and_escrowed(lab: Lab) -> None:
    hal = add_user(lab, "hal")
    assign(lab, hal)
    fault(lab, method="POST", path="^/api/v1/scim/Users$", status=400, times=1)
    lab.start()
    lab.advance("0")
    assert entry_error(last_log(lab, hal))["errorCode"] == (
        "SystemForCrossDomainIdentityManagementBadRequest"
    )
    escrows = ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/connections")).json()
    assert [e["sourceAnchor"] for e in escrows["escrows"]] == [hal]
    lab.advance("40m")  # retried on the next cycle
    assert miro_user(lab, "hal@contoso.com") is not None
