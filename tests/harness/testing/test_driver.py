"""The scenario driver (harness.testing.driver): parsing the journal, comparing state, readable
failures, and the helpers' HTTP effects."""

from __future__ import annotations

import pytest

from harness.testing.driver import (
    ENTERPRISE,
    Driver,
    MiroRequest,
    differences,
    from_engine,
    is_probe,
    lines,
    lookup,
)


def request(method: str, path: str, query: str = "") -> MiroRequest:
    return MiroRequest(method, path, query, 200, None, None)


# -- pure helpers ------------------------------------------------------------------------------


def test_a_journal_entry_becomes_a_request_with_decoded_query_and_parsed_body() -> None:
    raw = {
        "method": "PATCH",
        "path": "/api/v1/scim/Users/1",
        "query": "filter=userName+eq+%22a%40b.c%22",
        "status": 200,
        "body": '{"Operations": [{"op": "Replace"}]}',
        "response": {},
    }
    r = MiroRequest.from_journal(raw)
    assert (r.method, r.path, r.query) == ("PATCH", "/Users/1", 'filter=userName eq "a@b.c"')
    assert r.operations == [{"op": "Replace"}]
    assert r.line == 'PATCH /Users/1?filter=userName eq "a@b.c"'
    assert MiroRequest.from_journal({**raw, "body": "not json"}).body == "not json"


def test_the_labs_own_requests_and_control_plane_calls_are_not_the_engines() -> None:
    assert from_engine({"path": "/api/v1/scim/Users", "headers": {"User-Agent": "python-httpx"}})
    assert not from_engine({"path": "/api/v1/scim/Users", "headers": {"user-agent": "harness-lab"}})
    assert not from_engine({"path": "/_fake/state", "headers": {}})


def test_the_test_connection_probe_is_recognised_and_left_out_of_lines() -> None:
    probe = request("GET", "/Users", 'filter=userName eq "0f8fad5b-d9cb-469f-a165-70867728950e"')
    real = request("GET", "/Users", 'filter=userName eq "alice@contoso.com"')
    assert is_probe(probe) and not is_probe(real)
    assert not is_probe(request("GET", "/Groups", probe.query))
    assert lines([probe, real, request("POST", "/Users")]) == [real.line, "POST /Users"]
    assert lines([probe], probes=True) == [probe.line]


def test_lookup_follows_dotted_paths_aliases_and_the_enterprise_extension() -> None:
    user = {
        "active": False,
        "name": {"givenName": "A"},
        ENTERPRISE: {"department": "D"},
        "emails": [{"type": "other", "value": "x"}, {"type": "work", "value": "w@c.com"}],
    }
    assert lookup(user, "givenName") == "A"
    assert lookup(user, "department") == "D"
    assert lookup(user, f"{ENTERPRISE}.department") == "D"
    assert lookup(user, "email") == "w@c.com"
    assert differences(user, {"active": False, "givenName": "A"}) == []
    assert differences(user, {"active": True, "title": "T", "nickName": None}) == [
        "active: expected True, got False",
        "title: expected 'T', missing",
    ]


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
    with pytest.raises(AssertionError, match="code: expected 'Quarantine', got 'Paused'"):
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
    assert driver._kind_in_graph(group) == "group"
    assert driver._kind_in_graph(una) == "user"
    response = driver.provision_on_demand(group, "una")
    assert response.status_code == 200, response.text
    driver.expect_log("Pilot", action="create", status="success")
    driver.expect_team_members("Pilot", {"una"})
