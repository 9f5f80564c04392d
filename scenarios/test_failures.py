"""Failures: bad token, throttling, 5xx, quarantine, deletion threshold, provision on demand
(Microsoft: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status;
docs/engine.md). Faults are injected on the Miro fake; they hit the lab's own reads
too, so each scenario clears them before reading Miro back."""

from __future__ import annotations

import json

from harness.testing import Driver, lines


def test_a_wrong_token_quarantines_the_job_at_once(d: Driver) -> None:
    d.set_secrets(SecretToken="not-the-miro-token")
    d.add_user("alice")
    d.assign("alice")

    d.sync()

    status = d.expect_status(code="Quarantine", quarantine_reason="EncounteredQuarantineException")
    assert status["quarantine"]["nextAttempt"] > status["quarantine"]["currentBegan"]
    assert {r.status for r in d.requests()} == {401}
    assert not [r for r in d.requests() if r.method == "POST"]
    d.expect_no_miro_user("alice@contoso.com")


def test_fixing_the_token_and_starting_again_recovers(d: Driver) -> None:
    d.set_secrets(SecretToken="not-the-miro-token")
    d.add_user("bob")
    d.assign("bob")
    d.sync()

    d.set_secrets(SecretToken="miro-scim-token")
    d.start()  # start clears quarantine, as Graph documents
    d.advance("0")

    d.expect_status(code="Active", quarantine=None)
    d.expect_miro_user("bob@contoso.com", active=True)
    d.expect_log("bob", action="create", status="success")


def test_throttling_with_retry_after_is_retried_and_nothing_is_lost(d: Driver) -> None:
    d.fault("POST", r"^/api/v1/scim/Users$", 429, retry_after=2, times=2)
    for name in ("carol", "dan", "erin"):
        d.add_user(name)
        d.assign(name)

    d.sync()
    d.next_cycle()

    posts = [r for r in d.requests() if r.line == "POST /Users"]
    assert [r.status for r in posts].count(429) == 2
    assert sorted(r.body["userName"] for r in posts if r.status == 201) == [
        "carol@contoso.com",
        "dan@contoso.com",
        "erin@contoso.com",
    ]
    assert set(d.miro_users()) == {"carol@contoso.com", "dan@contoso.com", "erin@contoso.com"}
    for name in ("carol", "dan", "erin"):
        d.expect_log(name, latest=False, action="create", status="success")


def test_a_server_error_is_escrowed_and_retried_next_cycle(d: Driver) -> None:
    d.fault("POST", r"^/api/v1/scim/Users$", 500, times=1)
    d.add_user("fay")
    d.assign("fay")

    d.sync()
    d.expect_log("fay", action="create", status="failure", error_code="InternalServerError")
    d.expect_status(last_state="EntryLevelErrors", escrowed=1)
    d.expect_no_miro_user("fay@contoso.com")

    d.next_cycle()

    d.expect_miro_user("fay@contoso.com", active=True)
    d.expect_log("fay", action="create", status="success")
    assert [r.status for r in d.requests() if r.line == "POST /Users"] == [500, 201]


def test_random_server_errors_over_several_cycles_end_like_a_clean_run(d: Driver) -> None:
    names = [f"user{i}" for i in range(8)]
    for name in names:
        d.add_user(name)
        d.assign(name)
    d.fault("*", r"^/api/v1/scim/Users", 503, probability=0.2)

    d.sync()
    d.advance("4h")
    d.clear_faults()
    d.next_cycle()

    users = d.miro_users()
    assert set(users) == {f"{n}@contoso.com" for n in names}
    assert all(u["active"] for u in users.values())
    created = [r for r in d.requests() if r.line == "POST /Users" and r.status == 201]
    assert len(created) == len(names)  # each exactly once: no duplicates
    d.expect_status(last_state="Succeeded")


def test_a_404_to_the_filter_query_quarantines_as_a_scim_compliance_failure(d: Driver) -> None:
    d.fault("GET", r"^/api/v1/scim/Users$", 404, times=1)
    d.add_user("gus")
    d.assign("gus")

    d.sync()

    d.expect_status(code="Quarantine", quarantine_reason="EncounteredQuarantineException")
    assert [r.status for r in d.requests()][:1] == [404]
    d.expect_no_miro_user("gus@contoso.com")


def test_miro_unreachable_during_quarantine_is_retried_on_the_back_off_schedule(d: Driver) -> None:
    d.set_secrets(SecretToken="not-the-miro-token")
    d.add_user("hana")
    d.assign("hana")
    d.sync()
    first = d.status()["quarantine"]

    d.set_secrets(SecretToken="miro-scim-token")  # fixed, but nobody presses start
    d.advance("1d")

    d.expect_status(code="Active", quarantine=None)  # a successful retry lifts quarantine
    d.expect_miro_user("hana@contoso.com", active=True)
    assert first["nextAttempt"] > first["currentBegan"]


def test_mass_unassignment_over_the_threshold_is_held_as_staged_deletes(d: Driver) -> None:
    names = ["ian", "jo", "kai", "lea"]
    for name in names:
        d.add_user(name)
        d.assign(name)
    d.set_secrets(
        SyncNotificationSettings=json.dumps({"Enabled": False, "DeleteThresholdEnabled": True})
    )
    d.set_job_settings(QuarantineTooManyDeletesThreshold=2)
    d.sync()
    d.mark()

    for name in names:
        d.unassign(name)
    d.next_cycle()

    d.expect_status(code="Quarantine", quarantine_reason="TooManyDeletes")
    for name in names:
        d.expect_log(name, action="stageddelete")
        d.expect_miro_user(f"{name}@contoso.com", active=True)
    assert d.writes() == []

    d.restart("ForceDeletes")
    d.advance("0")
    for name in names:
        d.expect_miro_user(f"{name}@contoso.com", active=False)
        d.expect_log(name, action="disable", status="success")


def test_provision_on_demand_creates_one_user_at_once(d: Driver) -> None:
    d.add_user("mia")
    d.assign("mia")

    response = d.provision_on_demand("mia")

    assert response.status_code == 200, response.text
    body = response.json()  # Graph's stringKeyStringValuePair: result JSON, log-entry JSON
    assert json.loads(body["key"])["result"] == "Success"
    assert json.loads(body["value"])["provisioningAction"] == "create"
    d.expect_miro_user("mia@contoso.com", active=True)
    assert "POST /Users" in lines(d.requests())
    d.expect_log("mia", action="create", status="success")


def test_provision_on_demand_of_a_group_with_members(d: Driver) -> None:
    d.miro_settings(model="user_groups")
    d.add_user("ned")
    d.add_group("Pilot", "ned")
    d.assign("Pilot")

    response = d.provision_on_demand("Pilot", "ned")

    assert response.status_code == 200, response.text
    d.expect_team_members("Pilot", {"ned@contoso.com"})
    d.expect_log("Pilot", action="create", status="success")


def test_test_connection_with_a_wrong_token_is_refused(d: Driver) -> None:
    bad = d.validate_credentials(BaseAddress=d.job_base_address(), SecretToken="wrong")
    good = d.validate_credentials()

    assert bad.status_code == 400
    assert "401" in bad.text or "Unauthorized" in bad.text
    assert good.status_code == 204
    probes = d.requests()
    # The wrong token stops at the user; the good one also fetches a random group.
    assert [r.status for r in probes] == [401, 200, 200]
    assert probes[0].line.startswith('GET /Users?filter=userName eq "')
    assert probes[1].line.startswith('GET /Users?filter=userName eq "')
    assert probes[2].line.startswith("GET /Groups?")


def test_a_user_deleted_in_miro_behind_the_engines_back_is_an_invalid_anchor(d: Driver) -> None:
    d.add_user("ola")
    d.assign("ola")
    d.sync()
    scim_id = d.miro_user("ola@contoso.com")["id"]
    d.miro.delete(f"/api/v1/scim/Users/{scim_id}")  # an admin removed the account in Miro

    d.update_user("ola", department="Sales")
    d.next_cycle()

    d.expect_log("ola", status="failure", error_code="InvalidAnchor")
    d.expect_no_miro_user("ola@contoso.com")

    d.pause()
    d.restart("Full")  # breaks the links: the user is matched again and recreated
    d.advance("0")
    d.expect_miro_user("ola@contoso.com", active=True, department="Sales")
