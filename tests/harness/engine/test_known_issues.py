"""Known issues Microsoft documents for the provisioning service, reproduced over HTTP
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues)."""

from __future__ import annotations

import pytest

from harness.lab.local import Lab
from harness.testing.lab_steps import (
    add_group,
    add_member,
    add_user,
    assign,
    drain_journal,
    last_log,
    member_names,
    miro_seed_teams,
    ok,
    set_group_flows,
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
