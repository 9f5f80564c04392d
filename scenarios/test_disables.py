"""Disables and deletes: unassignment, soft and hard deletion, blocked sign-in, and what Miro
receives for each. Microsoft documents them: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works and
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility (docs/engine.md)."""

from __future__ import annotations

from harness.testing import Driver


def _provisioned(d: Driver, name: str) -> str:
    d.add_user(name)
    d.assign(name)
    d.sync()
    d.mark()
    return str(d.miro_user(f"{name}@contoso.com")["id"])


def test_blocking_sign_in_disables_the_miro_user_with_a_string_false(d: Driver) -> None:
    scim_id = _provisioned(d, "alice")

    d.disable("alice")
    d.next_cycle()

    d.expect_miro_user("alice@contoso.com", active=False)
    patches = d.writes()
    assert [r.line for r in patches] == [f"PATCH /Users/{scim_id}"]
    assert patches[0].body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    d.expect_log(
        "alice", action="disable", status="success", modified={"active": ("True", "False")}
    )


def test_in_the_aadoptscim062020_dialect_the_disable_is_a_boolean(d: Driver) -> None:
    d.set_secrets(BaseAddress=d.job_base_address() + "?aadOptscim062020")
    scim_id = _provisioned(d, "bob")

    d.disable("bob")
    d.next_cycle()

    d.expect_miro_user("bob@contoso.com", active=False)
    assert [(r.line, r.body) for r in d.writes()] == [
        (
            f"PATCH /Users/{scim_id}",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            },
        )
    ]
    d.expect_log("bob", action="disable", status="success")


def test_a_soft_deleted_user_is_disabled(d: Driver) -> None:
    _provisioned(d, "carol")

    d.soft_delete("carol")
    d.next_cycle()

    d.expect_miro_user("carol@contoso.com", active=False)
    d.expect_log("carol", action="disable", status="success")
    assert not [r for r in d.writes() if r.method == "DELETE"]


def test_a_restored_user_is_re_enabled(d: Driver) -> None:
    _provisioned(d, "dan")
    d.soft_delete("dan")
    d.next_cycle()
    d.mark()

    d.restore("dan")
    d.next_cycle()

    d.expect_miro_user("dan@contoso.com", active=True)
    d.expect_log("dan", action="update", status="success", modified={"active": ("False", "True")})
    assert [r.operations for r in d.writes()] == [
        [{"op": "Replace", "path": "active", "value": "True"}]
    ]


def test_thirty_days_after_a_soft_delete_the_miro_user_is_deleted(d: Driver) -> None:
    scim_id = _provisioned(d, "erin")
    d.soft_delete("erin")
    d.next_cycle()
    d.set_engine(cycle_interval="1d")  # a month in 31 daily cycles instead of 1116
    d.mark()

    d.advance("31d")

    d.expect_no_miro_user("erin@contoso.com")
    assert [r.line for r in d.writes()] == [f"DELETE /Users/{scim_id}"]
    d.expect_log("erin", action="delete", status="success", step="EntryExportDelete")


def test_a_purged_user_is_deleted_at_once(d: Driver) -> None:
    scim_id = _provisioned(d, "fay")

    d.hard_delete("fay")
    d.next_cycle()

    d.expect_no_miro_user("fay@contoso.com")
    assert [(r.line, r.status) for r in d.writes()] == [(f"DELETE /Users/{scim_id}", 204)]
    d.expect_log("fay", action="delete", status="success")


def test_without_the_delete_action_a_hard_delete_sends_nothing(d: Driver) -> None:
    d.set_flows("User", "Add, Update")
    _provisioned(d, "gus")

    d.hard_delete("gus")
    d.next_cycle()

    d.expect_miro_user("gus@contoso.com")  # still there, untouched
    assert d.writes() == []
    d.expect_log("gus", status="skipped", skip_reason="TargetObjectActionDisabled")


def test_skip_out_of_scope_deletions_keeps_an_unassigned_user_active(d: Driver) -> None:
    _provisioned(d, "hana")
    d.skip_out_of_scope_deletions()

    d.unassign("hana")
    d.next_cycle()

    d.expect_miro_user("hana@contoso.com", active=True)
    assert d.writes() == []
    d.expect_log("hana", action="other", status="skipped", skip_reason="SkipOutOfScopeDeletions")


def test_skip_out_of_scope_deletions_does_not_stop_a_blocked_sign_in(d: Driver) -> None:
    _provisioned(d, "ian")
    d.skip_out_of_scope_deletions()

    d.disable("ian")  # a disabled account is not "out of scope": it is disabled regardless
    d.next_cycle()

    d.expect_miro_user("ian@contoso.com", active=False)
    d.expect_log("ian", action="disable", status="success")


def test_after_an_unassign_disable_a_later_delete_leaves_miro_alone(d: Driver) -> None:
    _provisioned(d, "jo")
    d.unassign("jo")
    d.next_cycle()
    d.mark()

    d.soft_delete("jo")
    d.set_engine(cycle_interval="1d")  # a month in 31 daily cycles instead of 1116
    d.advance("31d")

    d.expect_miro_user("jo@contoso.com", active=False)  # no longer managed (documented)
    assert d.writes() == []
    d.expect_log("jo", status="skipped", skip_reason="UnmanagedObject")
