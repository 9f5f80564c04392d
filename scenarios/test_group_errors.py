"""Group-creation errors: Miro cannot create teams over SCIM
(https://developers.miro.com/docs/groups; the Miro fake: docs/miro-fake.md)."""

from __future__ import annotations

from harness.testing import Driver, entry_error, entry_status


def test_the_default_group_flow_fails_with_miros_405_but_users_are_provisioned(d: Driver) -> None:
    d.add_user("alice")
    d.add_group("Design", "alice")
    d.assign("Design")

    d.sync()

    entry = d.expect_log("Design", action="create", status="failure", step="EntryExportAdd")
    assert (
        entry["provisioningSteps"][-1]["description"] == "Failed to create Group 'Design' in Miro"
    )
    assert "405" in entry_error(entry)["reason"]
    assert [r.status for r in d.writes() if r.line == "POST /Groups"] == [405]
    assert d.miro_team("Design") is None
    d.expect_miro_user("alice@contoso.com", active=True)
    d.expect_log("alice", action="create", status="success")
    d.expect_status(last_state="EntryLevelErrors", escrowed=1)


def test_the_failed_group_creation_is_retried_next_cycle(d: Driver) -> None:
    d.add_group("Design")
    d.assign("Design")
    d.sync()
    d.mark()

    d.next_cycle()

    assert [(r.line, r.status) for r in d.writes()] == [("POST /Groups", 405)]
    failures = [e for e in d.logs("Design") if entry_status(e) == "failure"]
    assert len(failures) == 2
    assert d.miro_team("Design") is None


def test_with_create_unchecked_a_group_without_a_team_is_skipped(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.add_user("bob")
    d.add_group("Marketing", "bob")
    d.assign("Marketing")

    d.sync()

    d.expect_log("Marketing", status="skipped", skip_reason="TargetObjectActionDisabled")
    assert not [r for r in d.writes() if r.path.startswith("/Groups")]
    assert d.miro_team("Marketing") is None
    d.expect_miro_user("bob@contoso.com", active=True)
    d.expect_status(last_state="Succeeded")


def test_with_create_unchecked_an_existing_team_is_matched_and_filled(
    miro_tutorial: Driver,
) -> None:
    d = miro_tutorial
    team_id = d.miro_teams("Sales")["Sales"]
    d.add_user("carol")
    d.add_group("Sales", "carol")
    d.assign("Sales")

    d.sync()

    d.expect_team_members("Sales", {"carol@contoso.com"})
    entry = d.expect_log("Sales", action="update", status="success")
    assert entry["targetIdentity"]["id"] == team_id
    assert 'GET /Groups?excludedAttributes=members&filter=displayName eq "Sales"' in [
        r.line for r in d.requests()
    ]
    assert not [r for r in d.writes() if r.line == "POST /Groups"]


def test_a_new_member_of_a_matched_team_is_added(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.miro_teams("Sales")
    d.add_user("dan")
    d.add_group("Sales", "dan")
    d.assign("Sales")
    d.sync()

    d.add_user("erin")
    d.add_member("Sales", "erin")
    d.next_cycle()

    d.expect_team_members("Sales", {"dan@contoso.com", "erin@contoso.com"})
    erin = d.miro_user("erin@contoso.com")
    assert erin is not None
    d.expect_log(
        "Sales", action="update", status="success", modified={"members": (None, d.id("erin"))}
    )


def test_a_member_removed_in_entra_leaves_the_team(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.miro_teams("Ops")
    d.add_user("fay")
    d.add_user("gus")
    d.add_group("Ops", "fay", "gus")
    d.assign("Ops")
    d.sync()
    gus_scim = d.miro_user("gus@contoso.com")["id"]
    d.mark()

    d.remove_member("Ops", "gus")
    d.next_cycle()

    d.expect_team_members("Ops", {"fay@contoso.com"})
    removal = [r for r in d.writes() if r.path.startswith("/Groups/")]
    assert removal[0].operations == [
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": gus_scim}]}
    ]
    d.expect_log("Ops", action="update", modified={"members": (d.id("gus"), None)})


def test_a_renamed_group_renames_its_matched_team(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    team_id = d.miro_teams("Alpha")["Alpha"]
    d.add_group("Alpha")
    d.assign("Alpha")
    d.sync()
    d.mark()

    d.rename_group("Alpha", "Beta")
    d.next_cycle()

    assert d.miro_team("Beta")["id"] == team_id
    assert d.miro_team("Alpha") is None
    patch = [r for r in d.writes() if r.path == f"/Groups/{team_id}"]
    assert (
        patch and {"op": "Replace", "path": "displayName", "value": "Beta"} in patch[0].operations
    )
    d.expect_log(
        "Beta", action="update", status="success", modified={"displayName": ("Alpha", "Beta")}
    )


def test_in_the_user_group_model_group_creation_works(d: Driver) -> None:
    d.miro_settings(model="user_groups")
    d.add_user("hana")
    d.add_group("Research", "hana")
    d.assign("Research")

    d.sync()

    created = [r for r in d.writes() if r.line == "POST /Groups"]
    assert [r.status for r in created] == [201]
    d.expect_team_members("Research", {"hana@contoso.com"})
    d.expect_log("Research", action="create", status="success")
    d.expect_status(last_state="Succeeded")


def test_member_removal_in_the_rfc_dialect_uses_a_value_filter(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.set_secrets(BaseAddress=d.job_base_address() + "?aadOptscim062020")
    d.miro_teams("Ops")
    d.add_user("ian")
    d.add_user("jo")
    d.add_group("Ops", "ian", "jo")
    d.assign("Ops")
    d.sync()
    jo_scim = d.miro_user("jo@contoso.com")["id"]
    d.mark()

    d.remove_member("Ops", "jo")
    d.next_cycle()

    removal = [r for r in d.writes() if r.path.startswith("/Groups/")]
    assert removal[0].operations == [{"op": "remove", "path": f'members[value eq "{jo_scim}"]'}]
    d.expect_team_members("Ops", {"ian@contoso.com"})
    d.expect_log("Ops", action="update", status="success")
