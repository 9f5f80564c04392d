"""Assignments: who gets into Miro, and who leaves it. Microsoft documents the rules:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works (docs/engine.md tells how the engine follows them)."""

from __future__ import annotations

from harness.testing import Driver, lines


def test_a_user_assigned_directly_is_created_in_miro(d: Driver) -> None:
    d.add_user("alice", department="Design")
    d.assign("alice", role="User")

    d.sync()

    d.expect_miro_user(
        "alice@contoso.com",
        active=True,
        displayName="Alice Example",
        department="Design",
        email="alice@contoso.com",
    )
    d.expect_log("alice", action="create", status="success", step="EntryExportAdd")
    assert lines(d.requests()) == [
        'GET /Users?filter=userName eq "alice@contoso.com"',
        "POST /Users",
    ]
    d.expect_status(code="Active", last_state="Succeeded")


def test_a_member_of_an_assigned_group_is_created_in_miro(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.add_user("bob")
    d.add_group("Miro users", "bob")
    d.assign("Miro users")

    d.sync()

    d.expect_miro_user("bob@contoso.com", active=True)
    d.expect_log("bob", action="create", status="success")
    assert "POST /Users" in lines(d.requests())


def test_only_direct_members_of_an_assigned_group_are_provisioned(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.add_user("carol")
    d.add_user("dan")
    d.add_group("Contractors", "dan")
    d.add_group("Everyone", "carol", "Contractors")  # a group inside the assigned group
    d.assign("Everyone")

    d.sync()

    d.expect_miro_user("carol@contoso.com", active=True)
    d.expect_no_miro_user("dan@contoso.com")  # nested members are not flattened (documented)
    assert not any(e["provisioningAction"] == "create" for e in d.logs("dan"))
    assert [r.body["userName"] for r in d.writes() if r.line == "POST /Users"] == [
        "carol@contoso.com"
    ]


def test_unassigning_a_user_disables_them_in_miro(d: Driver) -> None:
    d.add_user("erin")
    d.assign("erin")
    d.sync()
    d.mark()

    d.unassign("erin")
    d.next_cycle()

    d.expect_miro_user("erin@contoso.com", active=False)
    d.expect_log("erin", action="disable", status="success", modified={"active": ("True", "False")})
    assert [r.operations for r in d.writes()] == [
        [{"op": "Replace", "path": "active", "value": "False"}]
    ]


def test_reassigning_a_user_re_enables_them(d: Driver) -> None:
    d.add_user("fay")
    d.assign("fay")
    d.sync()
    d.unassign("fay")
    d.next_cycle()
    d.mark()

    d.assign("fay")
    d.next_cycle()

    d.expect_miro_user("fay@contoso.com", active=True)
    d.expect_log("fay", action="update", status="success", modified={"active": ("False", "True")})
    patches = [r for r in d.writes() if r.method == "PATCH"]
    assert len(patches) == 1
    assert {"op": "Replace", "path": "active", "value": "True"} in patches[0].operations
    assert not [r for r in d.writes() if r.method == "POST"]  # the same Miro account comes back


def test_removing_a_user_from_the_assigned_group_disables_them(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.add_user("gus")
    d.add_group("Miro users", "gus")
    d.assign("Miro users")
    d.sync()

    d.remove_member("Miro users", "gus")
    d.next_cycle()

    d.expect_miro_user("gus@contoso.com", active=False)
    d.expect_log("gus", action="disable", status="success")


def test_a_user_assigned_directly_and_through_a_group_stays_when_the_group_goes(
    miro_tutorial: Driver,
) -> None:
    d = miro_tutorial
    d.add_user("hana")
    d.add_group("Miro users", "hana")
    d.assign("Miro users")
    d.assign("hana")
    d.sync()
    d.mark()

    d.remove_member("Miro users", "hana")
    d.next_cycle()

    d.expect_miro_user("hana@contoso.com", active=True)
    assert not [r for r in d.writes() if r.path.startswith("/Users")]
    assert not any(e["provisioningAction"] == "disable" for e in d.logs("hana"))


def test_sync_all_provisions_users_without_any_assignment(d: Driver) -> None:
    d.sync_all()
    d.add_user("ian")
    d.add_user("jo", accountEnabled=False)

    d.sync()

    d.expect_miro_user("ian@contoso.com", active=True)
    d.expect_log("ian", action="create", status="success")
    d.expect_no_miro_user("jo@contoso.com")  # disabled accounts are not provisioned (documented)
    assert [r.body["userName"] for r in d.writes() if r.line == "POST /Users"] == [
        "ian@contoso.com"
    ]


def test_an_assignment_made_while_the_job_is_paused_waits_for_start(d: Driver) -> None:
    d.add_user("kai")
    d.assign("kai")
    d.sync()
    d.pause()
    d.mark()

    d.add_user("lea")
    d.assign("lea")
    cycles = d.advance("2h")

    assert cycles == []
    d.expect_no_miro_user("lea@contoso.com")
    assert d.logs("lea") == []
    d.expect_status(code="Paused")
    assert d.requests() == []

    d.start()
    d.advance("0")
    d.expect_miro_user("lea@contoso.com", active=True)
    d.expect_log("lea", action="create", status="success")
