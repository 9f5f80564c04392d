"""Known issues Microsoft documents for the provisioning service, reproduced over HTTP
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues)."""

from __future__ import annotations

import pytest

from harness.lab.local import Lab
from harness.testing.lab_steps import (
    ENTERPRISE_MANAGER,
    add_group,
    add_member,
    add_user,
    assign,
    drain_journal,
    get_schema,
    last_log,
    map_manager,
    mapping,
    member_names,
    miro_seed_teams,
    miro_user,
    ok,
    put_schema,
    set_group_flows,
    set_manager,
    update_user,
)
from harness.testing.readers import entry_error, entry_status, journal_lines


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=41) as lab:
        yield lab


# --- Special characters are not supported on joining properties --------------------------


def test_a_group_with_a_special_character_in_its_name_fails_with_its_log_entry(lab: Lab) -> None:
    """ "A provisioning attempt on a resource (user or group) with a special character on filter
    attributes fails. An example is, a group with a special character on the name can be created
    on Microsoft Entra ID but can't be synced to a target system." """
    teams = miro_seed_teams(lab, "R&D (EMEA) #1", "Sales")
    set_group_flows(lab, "Update")
    rnd, sales = add_group(lab, "R&D (EMEA) #1"), add_group(lab, "Sales")
    ann = add_user(lab, "ann")
    for group in (rnd, sales):
        add_member(lab, group, ann)
        assign(lab, group)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["counts"]["failed"] == 1
    entry = last_log(lab, rnd)
    assert entry_status(entry) == "failure"
    error = entry_error(entry)
    assert error["errorCode"] == "UnsupportedFilterValue"
    assert (
        "can't perform filter queries on values containing special characters" in (error["reason"])
    )
    assert "& #" in error["reason"]
    requests = journal_lines(drain_journal(lab))
    assert not any("R%26D" in line or "R&D" in line for line in requests), requests
    assert member_names(lab, teams["R&D (EMEA) #1"]) == set()
    assert member_names(lab, teams["Sales"]) == {"ann@contoso.com"}  # the other group is fine


def test_the_special_characters_are_a_setting(lab: Lab) -> None:
    ok(lab.graph_client.put("/_fake/engine/settings", json={"filter_special_characters": ""}))
    teams = miro_seed_teams(lab, "R&D (EMEA) #1")
    set_group_flows(lab, "Update")
    rnd = add_group(lab, "R&D (EMEA) #1")
    add_member(lab, rnd, add_user(lab, "ann"))
    assign(lab, rnd)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["counts"]["failed"] == 0
    assert member_names(lab, teams["R&D (EMEA) #1"]) == {"ann@contoso.com"}
    default = ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"filter_special_characters": '"\\&#%?'}
        )
    )
    assert default.json()["filter_special_characters"] == '"\\&#%?'


def test_a_user_whose_matching_value_has_a_special_character_fails(lab: Lab) -> None:
    zoe = add_user(lab, "zoe#1")  # userName zoe#1@contoso.com: matched on userName
    assign(lab, zoe)
    lab.start()
    lab.advance("0")
    assert entry_error(last_log(lab, zoe))["errorCode"] == "UnsupportedFilterValue"
    assert [line for line in journal_lines(drain_journal(lab)) if "zoe" in line] == []


# --- Member of group not provisioned / Manager isn't provisioned ----------------------------


def sales_only(lab: Lab) -> None:
    schema = get_schema(lab)
    mapping(schema, "User")["scope"] = {
        "groups": [
            {
                "name": "Sales only",
                "clauses": [
                    {
                        "operatorName": "EQUALS",
                        "sourceOperandName": "department",
                        "targetOperand": {"values": ["Sales"]},
                    }
                ],
            }
        ]
    }
    ok(put_schema(lab, schema), 204)


def restart(lab: Lab) -> None:
    ok(lab.graph_client.post(f"{lab.job_path}/restart", json={"criteria": {}}), 204)


@pytest.mark.parametrize("waits", [True, False])
def test_a_member_coming_back_into_scope_is_added_only_after_a_restart(
    lab: Lab, waits: bool
) -> None:
    """ "When a group is in scope and a member is out of scope, the group will be provisioned.
    The out-of-scope user won't be provisioned. If the member comes back into scope, the service
    won't immediately detect the change. Restarting provisioning addresses the issue." """
    ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"late_references_wait_for_restart": waits}
        )
    )
    sales_only(lab)
    teams = miro_seed_teams(lab, "Crew")
    set_group_flows(lab, "Update")
    crew = add_group(lab, "Crew")
    ann, bob = add_user(lab, "ann", department="Sales"), add_user(lab, "bob", department="HR")
    for user in (ann, bob):
        add_member(lab, crew, user)
    assign(lab, crew)
    lab.start()
    lab.advance("0")
    assert member_names(lab, teams["Crew"]) == {"ann@contoso.com"}  # bob is out of scope
    update_user(lab, bob, department="Sales")  # bob comes back into scope
    lab.advance("40m")
    assert miro_user(lab, "bob@contoso.com") is not None  # bob himself is provisioned
    if not waits:
        assert member_names(lab, teams["Crew"]) == {"ann@contoso.com", "bob@contoso.com"}
        return
    lab.advance("1d")
    assert member_names(lab, teams["Crew"]) == {"ann@contoso.com"}  # not detected
    restart(lab)
    (cycle,) = lab.advance("0")
    assert cycle["type"] == "initial"
    assert member_names(lab, teams["Crew"]) == {"ann@contoso.com", "bob@contoso.com"}


@pytest.mark.parametrize("waits", [True, False])
def test_a_manager_coming_into_scope_is_linked_only_after_a_restart(lab: Lab, waits: bool) -> None:
    """ "If on day one the user is in scope and the manager is out of scope, we'll provision the
    user without the manager reference. When the manager comes into scope, the manager reference
    won't be updated until you restart provisioning." """
    ok(
        lab.graph_client.put(
            "/_fake/engine/settings", json={"late_references_wait_for_restart": waits}
        )
    )
    map_manager(lab)
    ray, ben = add_user(lab, "ray"), add_user(lab, "ben")
    set_manager(lab, ray, ben)
    assign(lab, ray)  # the manager is not assigned: out of scope
    lab.start()
    lab.advance("0")
    enterprise = ENTERPRISE_MANAGER.rsplit(":", 1)[0]
    assert "manager" not in miro_user(lab, "ray@contoso.com").get(enterprise, {})
    assign(lab, ben)  # the manager comes into scope
    lab.advance("40m")
    ben_scim = miro_user(lab, "ben@contoso.com")["id"]
    update_user(lab, ray, department="Sales")  # even a later change of the report
    lab.advance("40m")
    linked = miro_user(lab, "ray@contoso.com").get(enterprise, {}).get("manager")
    if not waits:
        assert linked is not None and linked["value"] == ben_scim
        return
    assert linked is None
    assert miro_user(lab, "ray@contoso.com")[enterprise]["department"] == "Sales"
    restart(lab)
    lab.advance("0")
    assert miro_user(lab, "ray@contoso.com")[enterprise]["manager"]["value"] == ben_scim


# --- Test Connection ---------------------------------------------------------------------


def test_test_connection_fetches_a_random_user_and_a_random_group(lab: Lab) -> None:
    """ "Microsoft Entra ID makes requests to fetch a random user and group to ensure that the
    endpoint and the credentials are valid. It's also done as a part of the Test Connection
    flow." (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)"""
    drain_journal(lab)
    body = {"useSavedCredentials": True}
    ok(lab.graph_client.post(f"{lab.job_path}/validateCredentials", json=body), 204)
    user_probe, group_probe = journal_lines(drain_journal(lab))
    assert user_probe.startswith('GET /Users?filter=userName eq "'), user_probe
    assert group_probe.startswith("GET /Groups?"), group_probe
    assert "excludedAttributes=members" in group_probe
    assert 'filter=displayName eq "' in group_probe
    # Without a group mapping, only the user is fetched.
    schema = get_schema(lab)
    mapping(schema, "Group")["enabled"] = False
    ok(put_schema(lab, schema), 204)
    ok(lab.graph_client.post(f"{lab.job_path}/validateCredentials", json=body), 204)
    assert [line.split("?")[0] for line in journal_lines(drain_journal(lab))] == ["GET /Users"]
