"""The scenario driver (harness.testing.driver): readable failures and the helpers' HTTP
effects. Its readers and comparisons are tested in test_readers.py and test_compare.py."""

from __future__ import annotations

import pytest

from harness.testing.driver import Driver
from harness.testing.readers import lines

# -- against a lab ---------------------------------------------------------------------------


def test_requests_show_only_what_the_engine_sent_since_the_mark(driver: Driver) -> None:
    driver.miro_add_user("before@contoso.com")  # the lab's own call: never listed
    driver.add_user("alice")
    driver.assign("alice")
    driver.sync()
    assert "POST /Users" in lines(driver.requests())
    driver.mark()
    assert driver.requests() == []
    assert len(driver.requests(since_mark=False)) >= 3
    driver.next_cycle()
    assert [r for r in driver.requests() if r.method != "GET"] == []


def test_a_failed_miro_expectation_shows_the_difference_and_the_log(driver: Driver) -> None:
    driver.add_user("alice", department="Design")
    driver.assign("alice")
    driver.sync()
    with pytest.raises(AssertionError) as info:
        driver.expect_miro_user("alice@contoso.com", active=False, department="Sales")
    text = str(info.value)
    assert "Miro user 'alice@contoso.com' is not as expected:" in text
    assert "active: expected False, got True" in text
    assert "department: expected 'Sales', got 'Design'" in text
    assert "provisioning log for 'alice@contoso.com' (1 entries" in text
    assert "create/success [EntryExportAdd] User 'alice@contoso.com' was created in Miro" in text
    assert "201 POST /Users" in text
    assert '"schemas"' not in text


def test_a_failed_log_expectation_names_what_differs(driver: Driver) -> None:
    driver.add_user("bob")
    driver.assign("bob", role="Default Access")
    driver.sync()
    with pytest.raises(AssertionError) as info:
        driver.expect_log("bob", action="create", skip_reason="RedundantExport")
    text = str(info.value)
    assert "action: expected 'create', got 'other'" in text
    assert "skip_reason: expected 'RedundantExport', got 'NotEffectivelyEntitled'" in text
    with pytest.raises(AssertionError, match=r"Miro has no user"):
        driver.expect_miro_user("bob@contoso.com")


def test_team_and_status_expectations_fail_readably(driver: Driver) -> None:
    driver.miro_teams("Sales")
    with pytest.raises(AssertionError, match=r"missing: \['zed@contoso.com'\]"):
        driver.expect_team_members("Sales", {"zed"})
    with pytest.raises(AssertionError, match="code: expected 'Quarantine', got 'NotConfigured'"):
        driver.expect_status(code="Quarantine")


def test_names_roles_and_assignments(driver: Driver) -> None:
    alice = driver.add_user("alice")
    assert driver.id("alice") == alice == driver.id("alice@contoso.com") == driver.id(alice)
    group = driver.add_group("Team A", "alice")
    assert driver.id("Team A") == group
    assert set(driver.roles()) == {"User", "Default Access"}
    with pytest.raises(KeyError, match="no app role 'Admin'"):
        driver.assign("alice", role="Admin")
    with pytest.raises(AssertionError, match="has no assignment"):
        driver.unassign("alice")
    with pytest.raises(KeyError, match="no user or group called 'nobody'"):
        driver.id("nobody")
    driver.assign("alice")
    driver.assign("alice", role="Default Access")
    driver.unassign("alice", role="Default Access")
    assert [a["appRoleId"] for a in driver.assignments("alice")] == [driver.roles()["User"]]


def test_schema_helpers_change_the_jobs_schema_over_http(driver: Driver) -> None:
    driver.set_flows("Group", "Update")
    driver.set_scoping("User", [("department", "EQUALS", "Design")])
    driver.map_attribute("User", "displayName", 'Join(" ", [givenName], [surname])')
    schema = driver.schema()
    users, groups = driver.object_mapping(schema, "User"), driver.object_mapping(schema, "Group")
    assert groups["flowTypes"] == "Update"
    assert users["scope"]["groups"][0]["clauses"] == [
        {
            "operatorName": "EQUALS",
            "sourceOperandName": "department",
            "targetOperand": {"values": ["Design"]},
        }
    ]
    display = [a for a in users["attributeMappings"] if a["targetAttributeName"] == "displayName"]
    assert display[0]["source"]["expression"] == 'Join(" ", [givenName], [surname])'
    driver.set_scoping("User")
    driver.map_attribute("User", "displayName", None)
    users = driver.object_mapping(driver.schema(), "User")
    assert not users.get("scope")
    assert "displayName" not in [a["targetAttributeName"] for a in users["attributeMappings"]]


def test_a_new_miro_token_is_used_by_the_labs_reads_but_not_by_the_engine(driver: Driver) -> None:
    driver.add_user("alice")
    driver.assign("alice")
    driver.miro_settings(token="rotated")
    assert driver.miro_users() == {}
    driver.sync()
    assert {r.status for r in driver.requests()} == {401}
    driver.expect_status(code="Quarantine")


def test_the_driver_works_the_same_over_sockets(served_driver: Driver) -> None:
    served_driver.add_user("alice")
    served_driver.assign("alice")
    served_driver.sync()
    served_driver.expect_miro_user("alice@contoso.com", active=True)
    served_driver.expect_log("alice", action="create", status="success")


def test_names_with_quotes_are_escaped_in_filters(driver: Driver) -> None:
    group = driver.add_group("O'Brien's team")
    driver.names.clear()  # force the lookup through Graph's $filter
    assert driver.id("O'Brien's team") == group
    driver.miro_add_user("o'neil@contoso.com")
    assert driver.miro_user("O'Neil@contoso.com") is not None
    driver.miro_teams('Team "A"')
    assert driver.miro_team('Team "A"') is not None


def test_on_demand_finds_out_whether_an_unnamed_object_is_a_group(driver: Driver) -> None:
    driver.miro_settings(model="user_groups")
    una = driver.add_user("una")
    group = driver.add_group("Pilot", "una")
    driver.assign("Pilot")
    driver.kinds.clear()  # as for objects of a loaded lab state
    assert driver.kind_in_graph(group) == "group"
    assert driver.kind_in_graph(una) == "user"
    response = driver.provision_on_demand(group, "una")
    assert response.status_code == 200, response.text
    driver.expect_log("Pilot", action="create", status="success")
    driver.expect_team_members("Pilot", {"una"})
