"""Recovery stories: after the failure, the end state is the one a fault-free run gives, and
the logs and the job status tell what happened. Escrows, quarantine and the deletion threshold
as Microsoft documents them: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status,
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/accidental-deletions (docs/engine.md)."""

from __future__ import annotations

from harness.testing import Driver, entry_status


def test_a_revoked_token_mid_cycle_quarantines_and_loses_no_one(d: Driver) -> None:
    for name in ("ana", "bo", "cy"):
        d.add_user(name)
        d.assign(name)
    # The token stops working between the probe and the first create.
    d.fault("POST", r"^/api/v1/scim/Users$", 401, times=1)

    d.sync()

    d.expect_status(code="Quarantine", quarantine_reason="EncounteredQuarantineException")
    failed = [n for n in ("ana", "bo", "cy") if entry_status(d.last_log(n)) == "failure"]
    assert len(failed) == 1
    d.expect_log(
        failed[0],
        status="failure",
        error_code="SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
    )

    d.advance("6h")  # the documented first quarantine retry

    d.expect_status(code="Active", quarantine=None)
    assert set(d.miro_users()) == {"ana@contoso.com", "bo@contoso.com", "cy@contoso.com"}
    d.expect_log(failed[0], action="create", status="success")


def test_the_portal_restart_clears_quarantine_and_escrows_but_keeps_links(d: Driver) -> None:
    d.add_user("dee")
    d.assign("dee")
    d.add_group("Pilot")  # Create left checked: Miro answers 405, escrowed every cycle
    d.assign("Pilot")
    d.sync()
    assert [e["errorCode"] for e in d.connections()["escrows"]] == ["MethodNotAllowed"]
    d.set_secrets(SecretToken="expired")
    d.next_cycle()
    d.expect_status(code="Quarantine")

    d.set_secrets(SecretToken="miro-scim-token")
    d.restart()  # the portal's Restart: QuarantineState, Watermark, Escrows
    d.expect_status(code="Active", quarantine=None)
    assert d.connections()["escrows"] == []
    d.mark()
    d.advance("0")

    dee = d.miro_user("dee@contoso.com")
    assert f"GET /Users/{dee['id']}" in [r.line for r in d.requests()]  # still linked
    assert not [r for r in d.requests() if r.line == "POST /Users"]


def test_held_deletions_of_users_and_a_team_are_released_by_force_deletes(d: Driver) -> None:
    d.miro_settings(model="user_groups")
    d.set_secrets(
        SyncNotificationSettings='{"Enabled":true,"DeleteThresholdEnabled":true,'
        '"Recipients":"it@contoso.com"}'
    )
    d.set_job_settings(QuarantineTooManyDeletesThreshold="2")
    for name in ("eli", "fox"):
        d.add_user(name)
        d.assign(name)
    d.add_group("Old team")
    d.assign("Old team")
    d.sync()

    for principal in ("eli", "fox", "Old team"):
        d.unassign(principal)
    d.mark()
    d.next_cycle()

    d.expect_status(code="Quarantine", quarantine_reason="TooManyDeletes")
    assert d.writes() == []
    for principal in ("eli", "fox", "Old team"):
        d.expect_log(principal, action="stageddelete", status="skipped")
    assert [m["reason"] for m in d.outbox()] == ["TooManyDeletes"]

    d.restart("ForceDeletes")
    d.advance("0")

    d.expect_status(code="Active", quarantine=None)
    d.expect_miro_user("eli@contoso.com", active=False)
    d.expect_miro_user("fox@contoso.com", active=False)
    assert d.miro_team("Old team") is None
    d.expect_log("Old team", action="delete", status="success")


def test_a_job_quarantined_for_four_weeks_is_disabled_and_start_revives_it(d: Driver) -> None:
    d.add_user("gil")
    d.assign("gil")
    d.set_secrets(SecretToken="wrong")
    d.sync()

    d.advance("28d")

    job = d.job()
    assert job["schedule"]["state"] == "Disabled"
    assert d.advance("7d") == []
    d.expect_no_miro_user("gil@contoso.com")

    d.set_secrets(SecretToken="miro-scim-token")
    d.start()
    d.advance("0")
    d.expect_status(code="Active", quarantine=None)
    d.expect_miro_user("gil@contoso.com", active=True)


def test_provision_on_demand_then_the_cycle_finds_nothing_left_to_do(d: Driver) -> None:
    d.miro_teams("Crew")
    d.set_flows("Group", "Update")
    d.add_user("hana")
    d.add_user("ivo")
    d.add_group("Crew", "hana", "ivo")
    d.assign("Crew")

    assert d.provision_on_demand("Crew", "hana", "ivo").status_code == 200
    d.expect_team_members("Crew", {"hana", "ivo"})

    d.mark()
    d.sync()
    assert d.writes() == []  # links are shared with the job: nothing is sent again
