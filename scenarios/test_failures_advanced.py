"""More failure behaviour: quarantine back-off and its end, escrow thresholds, throttling as
escrow, notifications, clearing escrows (Microsoft:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status;
the engine settings: docs/engine.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from harness.testing import Driver, entry_status


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _quarantined_by_a_wrong_token(d: Driver, name: str = "alice") -> dict:
    d.set_secrets(SecretToken="not-the-miro-token")
    d.add_user(name)
    d.assign(name)
    d.sync()
    return dict(d.status()["quarantine"])


def test_the_documented_back_off_retries_after_six_hours(d: Driver) -> None:
    quarantine = _quarantined_by_a_wrong_token(d)
    assert _when(quarantine["nextAttempt"]) - _when(quarantine["currentBegan"]) == timedelta(
        hours=6
    )
    d.mark()

    d.advance("5h")
    assert d.requests() == []  # nothing is tried before the next attempt

    d.advance("1h")
    assert {r.status for r in d.requests()} == {401}
    d.expect_status(code="Quarantine", quarantine_reason="EncounteredQuarantineException")
    d.expect_no_miro_user("alice@contoso.com")


def test_the_observed_back_off_retries_after_thirty_minutes(d: Driver) -> None:
    d.set_engine(quarantine_backoff="observed")
    quarantine = _quarantined_by_a_wrong_token(d, "bob")
    assert _when(quarantine["nextAttempt"]) - _when(quarantine["currentBegan"]) == timedelta(
        minutes=30
    )
    d.expect_no_miro_user("bob@contoso.com")


def test_four_weeks_in_quarantine_disable_the_job(d: Driver) -> None:
    _quarantined_by_a_wrong_token(d, "carol")

    d.advance("29d")

    job = d.job()
    assert job["schedule"]["state"] == "Disabled"
    d.mark()
    d.advance("2d")
    assert d.requests() == []  # a disabled job runs no more
    d.expect_no_miro_user("carol@contoso.com")


def test_too_many_failures_quarantine_by_the_proportion_rule(d: Driver) -> None:
    d.set_engine(escrow_min_failures=3, escrow_failure_ratio=0.4)
    for name in ("dan", "erin", "fay", "gus"):
        d.add_user(name)
        d.assign(name)
    d.sync()  # linked first: the rule looks at failures against managed objects
    d.fault("PATCH", r"^/api/v1/scim/Users/", 500)
    for name in ("dan", "erin", "fay", "gus"):
        d.update_user(name, department="Sales")

    d.next_cycle()

    d.expect_status(code="Quarantine", quarantine_reason="EncounteredEscrowProportionThreshold")
    d.clear_faults()
    for name in ("dan", "erin", "fay", "gus"):
        d.expect_log(name, status="failure", error_code="InternalServerError")
        d.expect_miro_user(f"{name}@contoso.com", department=None)


def test_over_the_thresholds_in_an_initial_cycle_escrows_are_pruned_and_the_job_pauses(
    d: Driver,
) -> None:
    d.set_engine(escrow_min_failures=2, escrow_failure_ratio=0.4)
    for name in ("hana", "ian", "jo"):
        d.add_user(name)
        d.assign(name)
    d.fault("POST", r"^/api/v1/scim/Users$", 500)

    d.sync()

    status = d.expect_status(code="Paused")
    assert status["escrowsPruned"] is True
    d.clear_faults()
    assert d.miro_users() == {}
    d.expect_log("hana", action="create", status="failure")


def test_with_the_escrow_throttle_policy_a_429_is_retried_next_cycle(d: Driver) -> None:
    d.set_engine(throttle_policy="escrow")
    d.fault("POST", r"^/api/v1/scim/Users$", 429, retry_after=1, times=1)
    d.add_user("kai")
    d.assign("kai")

    d.sync()
    d.expect_log("kai", action="create", status="failure", error_code="TooManyRequests")
    d.expect_no_miro_user("kai@contoso.com")

    d.next_cycle()
    d.expect_miro_user("kai@contoso.com", active=True)
    d.expect_log("kai", action="create", status="success")
    assert [r.status for r in d.requests() if r.line == "POST /Users"] == [429, 201]


def test_restart_with_escrows_cleared_stops_the_retries(d: Driver) -> None:
    d.fault("POST", r"^/api/v1/scim/Users$", 500, times=1)
    d.add_user("lea")
    d.assign("lea")
    d.sync()
    d.expect_status(escrowed=1)
    d.mark()

    d.restart("Escrows")
    d.advance("0")

    assert [r for r in d.requests() if r.line == "POST /Users"] == []  # not retried
    d.expect_no_miro_user("lea@contoso.com")
    assert d.connections()["escrows"] == []


def test_quarantine_sends_one_notification_to_the_configured_recipients(d: Driver) -> None:
    d.set_secrets(
        SyncNotificationSettings=json.dumps({"Enabled": True, "Recipients": "it@contoso.com"})
    )
    _quarantined_by_a_wrong_token(d, "mia")
    d.advance("1d")  # later failed attempts, same reason: no new e-mail

    messages = d.outbox()
    assert len(messages) == 1
    message = messages[0]
    assert message["to"] == ["it@contoso.com"]
    assert message["from"] == "azure-noreply@microsoft.com"
    assert message["reason"] == "EncounteredQuarantineException"
    assert "quarantine" in message["subject"].lower()
    d.expect_status(code="Quarantine")
    d.expect_no_miro_user("mia@contoso.com")


def test_miros_rate_limits_slow_the_cycle_but_lose_nothing(d: Driver) -> None:
    # Miro's 30-second windows per endpoint are on by default (200 POST /Users per window).
    d.seed_directory(seed=3, users=230, groups=0)
    d.sync_all()

    d.sync()

    requests = d.requests()
    assert any(r.status == 429 for r in requests)  # the engine met the limits...
    directory = d.graph.get(
        "/v1.0/users", params={"$top": "999", "$select": "userPrincipalName,accountEnabled"}
    ).json()
    enabled = {u["userPrincipalName"].casefold() for u in directory["value"] if u["accountEnabled"]}
    users = d.miro_users()
    assert {name.casefold() for name in users} == enabled  # ...and still created everyone once
    assert len([r for r in requests if r.line == "POST /Users" and r.status == 201]) == len(enabled)
    creates = d.logs(filter="provisioningAction eq 'create'")
    assert len(creates) == len(enabled)
    assert all(entry_status(e) == "success" for e in creates)
    d.expect_status(last_state="Succeeded")
