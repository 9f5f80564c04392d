"""Role exclusion: the Default Access role, skipped or not (engine setting
``skip_default_access``: docs/engine.md). Sources disagree: Miro's tutorial excludes the role,
https://learn.microsoft.com/en-us/entra/identity/saas-apps/miro-provisioning-tutorial, while
Microsoft documents that newer jobs provision it like any role:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-no-users-provisioned"""

from __future__ import annotations

from harness.testing import Driver


def test_default_access_only_is_skipped_as_not_effectively_entitled(d: Driver) -> None:
    d.add_user("alice")
    d.assign("alice", role="Default Access")

    d.sync()

    d.expect_no_miro_user("alice@contoso.com")
    entry = d.expect_log(
        "alice", action="other", status="skipped", skip_reason="NotEffectivelyEntitled"
    )
    assert "does not have required entitlement" in entry["provisioningSteps"][-1]["description"]
    assert not [r for r in d.writes() if r.path.startswith("/Users")]


def test_a_real_app_role_is_provisioned(d: Driver) -> None:
    d.add_user("bob")
    d.assign("bob", role="User")

    d.sync()

    d.expect_miro_user("bob@contoso.com", active=True)
    d.expect_log("bob", action="create", status="success")


def test_default_access_and_a_real_role_together_are_provisioned(d: Driver) -> None:
    d.add_user("carol")
    d.assign("carol", role="Default Access")
    d.assign("carol", role="User")

    d.sync()

    d.expect_miro_user("carol@contoso.com", active=True)
    d.expect_log("carol", action="create", status="success")
    assert len([r for r in d.writes() if r.line == "POST /Users"]) == 1


def test_the_post_2020_behaviour_provisions_default_access(d: Driver) -> None:
    d.set_engine(skip_default_access=False)  # configurations created after 2020-04-16
    d.add_user("dan")
    d.assign("dan", role="Default Access")

    d.sync()

    d.expect_miro_user("dan@contoso.com", active=True)
    d.expect_log("dan", action="create", status="success")


def test_members_of_a_group_assigned_with_default_access_are_skipped(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.add_user("erin")
    d.add_group("All staff", "erin")
    d.assign("All staff", role="Default Access")

    d.sync()

    d.expect_no_miro_user("erin@contoso.com")
    d.expect_log("erin", status="skipped", skip_reason="NotEffectivelyEntitled")


def test_reassigning_with_a_real_role_fixes_a_default_access_user(d: Driver) -> None:
    d.add_user("fay")
    d.assign("fay", role="Default Access")
    d.sync()
    d.expect_no_miro_user("fay@contoso.com")

    d.unassign("fay")  # Microsoft's advice: unassign and reassign with a real role
    d.assign("fay", role="User")
    d.next_cycle()

    d.expect_miro_user("fay@contoso.com", active=True)
    d.expect_log("fay", action="create", status="success")
