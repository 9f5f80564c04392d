"""Scoping filters, as Microsoft documents them:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts"""

from __future__ import annotations

from harness.testing import Driver


def test_a_department_filter_provisions_only_that_department(d: Driver) -> None:
    d.set_scoping("User", [("department", "EQUALS", "Design")])
    d.add_user("alice", department="Design")
    d.add_user("bob", department="Sales")
    d.assign("alice")
    d.assign("bob")

    d.sync()

    d.expect_miro_user("alice@contoso.com", active=True)
    d.expect_no_miro_user("bob@contoso.com")
    d.expect_log("bob", status="skipped")
    assert [r.body["userName"] for r in d.writes() if r.line == "POST /Users"] == [
        "alice@contoso.com"
    ]


def test_a_user_moving_out_of_scope_is_disabled(d: Driver) -> None:
    d.set_scoping("User", [("department", "EQUALS", "Design")])
    d.add_user("carol", department="Design")
    d.assign("carol")
    d.sync()

    d.update_user("carol", department="Finance")
    d.next_cycle()

    d.expect_miro_user("carol@contoso.com", active=False)
    d.expect_log("carol", action="disable", status="success")


def test_a_null_attribute_fails_the_filter(d: Driver) -> None:
    d.set_scoping("User", [("department", "NOT EQUALS", "Sales")])
    d.add_user("dan")  # no department: every clause but IS NULL is false
    d.add_user("erin", department="Design")
    d.assign("dan")
    d.assign("erin")

    d.sync()

    d.expect_no_miro_user("dan@contoso.com")
    d.expect_log("dan", status="skipped")
    d.expect_miro_user("erin@contoso.com", active=True)


def test_filters_are_or_ed_and_clauses_and_ed(d: Driver) -> None:
    d.set_scoping(
        "User",
        [("department", "EQUALS", "Design"), ("jobTitle", "EQUALS", "Lead")],
        [("department", "EQUALS", "Sales")],
    )
    d.add_user("fay", department="Design", jobTitle="Lead")
    d.add_user("gus", department="Design", jobTitle="Intern")
    d.add_user("hana", department="Sales")
    for name in ("fay", "gus", "hana"):
        d.assign(name)

    d.sync()

    assert set(d.miro_users()) == {"fay@contoso.com", "hana@contoso.com"}
    d.expect_log("gus", status="skipped")
    d.expect_log("fay", action="create", status="success")


def test_saving_a_new_filter_starts_an_initial_cycle_and_disables_who_falls_out(d: Driver) -> None:
    d.add_user("ian", department="Design")
    d.add_user("jo", department="Sales")
    d.assign("ian")
    d.assign("jo")
    d.sync()

    d.set_scoping("User", [("department", "EQUALS", "Design")])
    cycles = d.next_cycle()

    assert [c["type"] for c in cycles] == ["initial"]
    d.expect_miro_user("jo@contoso.com", active=False)
    d.expect_miro_user("ian@contoso.com", active=True)
    d.expect_log("jo", action="disable", status="success")


def test_a_regex_filter_on_the_upn_domain(d: Driver) -> None:
    d.set_scoping("User", [("userPrincipalName", "REGEX MATCH", r".*@contoso\.com$")])
    d.add_user("kai")
    d.add_user("lea@fabrikam.com")
    d.assign("kai")
    d.assign("lea@fabrikam.com")

    d.sync()

    assert set(d.miro_users()) == {"kai@contoso.com"}
    d.expect_log("lea@fabrikam.com", status="skipped")
