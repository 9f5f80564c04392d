"""Provision on demand: one user, or a group with up to five members, at once; Graph's
stringKeyStringValuePair answer; the 5-per-10-seconds limit; the test-connection step on failure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.lab.local import Lab
from harness.testing.lab_steps import (
    add_group,
    add_member,
    add_user,
    assign,
    drain_journal,
    get_schema,
    mapping,
    member_names,
    miro_seed_teams,
    miro_user,
    ok,
    put_schema,
    put_secrets,
    set_group_flows,
    started,
    unassign,
    update_user,
)
from harness.testing.readers import journal_body, journal_writes


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=19) as lab:
        yield lab


def on_demand(lab: Lab, subject: dict[str, Any]) -> Any:
    body = {
        "parameters": [{"ruleId": "a8f3b2c6-1d4e-4f5a-9b7c-2e6d8f0a1b3c", "subjects": [subject]}]
    }
    return lab.graph_client.post(f"{lab.job_path}/provisionOnDemand", json=body)


def test_a_user_on_demand_is_created_at_once(lab: Lab) -> None:
    amy = add_user(lab, "amy")
    assign(lab, amy)
    response = ok(on_demand(lab, {"objectId": amy, "objectTypeName": "User"}))
    body = response.json()
    key, value = json.loads(body["key"]), json.loads(body["value"])
    assert key == {"result": "Success", "details": {}}
    assert value["action"] == "Create"
    # On demand, the object is retrieved, not received as a change
    # (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-provisionondemand).
    assert value["provisioningSteps"][0]["name"] == "EntryImport"
    assert value["provisioningSteps"][0]["provisioningStepType"] == "import"
    assert value["provisioningSteps"][0]["description"] == (
        "Retrieved User 'amy@contoso.com' from Azure Active Directory"
    )
    assert miro_user(lab, "amy@contoso.com") is not None
    # The link is shared with the job: the first cycle finds nothing to do.
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["counts"]["create"] == 0 and cycle["counts"]["skipped"] == 1

    again = json.loads(
        ok(on_demand(lab, {"objectId": amy, "objectTypeName": "User"})).json()["key"]
    )
    assert again["result"] == "Skipped" and again["details"]["errorCode"] == "RedundantExport"


def test_an_unassigned_user_on_demand_is_skipped(lab: Lab) -> None:
    bo = add_user(lab, "bo")
    key = json.loads(ok(on_demand(lab, {"objectId": bo, "objectTypeName": "User"})).json()["key"])
    assert key["result"] == "Skipped" and key["details"]["errorCode"] == "NotEffectivelyEntitled"


def test_a_group_on_demand_with_its_members(lab: Lab) -> None:
    teams = miro_seed_teams(lab, "Squad")
    set_group_flows(lab, "Update")
    group = add_group(lab, "Squad")
    members = [add_user(lab, n) for n in ("cid", "dan")]
    for m in members:
        add_member(lab, group, m)
    assign(lab, group)
    subject = {
        "objectId": group,
        "objectTypeName": "Group",
        "links": {"members": [{"objectId": m, "objectTypeName": "User"} for m in members]},
    }
    key = json.loads(ok(on_demand(lab, subject)).json()["key"])
    assert key["result"] == "Success"
    assert member_names(lab, teams["Squad"]) == {"cid@contoso.com", "dan@contoso.com"}


@pytest.mark.parametrize(
    "subject",
    [
        {"objectTypeName": "User"},
        {"objectId": "x", "objectTypeName": "Device"},
        {"objectId": "x", "objectTypeName": "Group"},
        {
            "objectId": "x",
            "objectTypeName": "Group",
            "links": {"members": [{"objectId": str(i)} for i in range(6)]},
        },
    ],
)
def test_bad_subjects_are_400(lab: Lab, subject: dict[str, Any]) -> None:
    response = on_demand(lab, subject)
    assert response.status_code == 400 and response.json()["error"]["code"] == "BadRequest"


def test_an_unknown_user_is_404(lab: Lab) -> None:
    response = on_demand(
        lab, {"objectId": "00000000-1111-2222-3333-444444444444", "objectTypeName": "User"}
    )
    assert response.status_code == 404


def test_five_requests_per_ten_seconds(lab: Lab) -> None:
    eve = add_user(lab, "eve")
    assign(lab, eve)
    for _ in range(5):
        ok(on_demand(lab, {"objectId": eve, "objectTypeName": "User"}))
    throttled = on_demand(lab, {"objectId": eve, "objectTypeName": "User"})
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "10"
    lab.advance("10s")
    ok(on_demand(lab, {"objectId": eve, "objectTypeName": "User"}))


def test_a_failing_test_connection_shows_as_a_step(lab: Lab) -> None:
    fox = add_user(lab, "fox")
    assign(lab, fox)
    put_secrets(lab, SecretToken="wrong")
    body = ok(on_demand(lab, {"objectId": fox, "objectTypeName": "User"})).json()
    key, value = json.loads(body["key"]), json.loads(body["value"])
    assert key["result"] == "Failure"
    assert value["provisioningSteps"][0]["name"] == "TestConnection"
    assert lab.job()["status"]["quarantine"] is None  # on demand does not quarantine the job


# --- The documented limits of on-demand provisioning ---------------------------------------
# https://learn.microsoft.com/en-us/entra/identity/app-provisioning/provision-on-demand


def writes(lab: Lab) -> list[tuple[str, str, Any]]:
    return [(e["method"], e["path"], journal_body(e)) for e in journal_writes(drain_journal(lab))]


def test_the_aadoptscim062020_flag_does_not_apply_on_demand(lab: Lab) -> None:
    """The flag "doesn't work with on-demand provisioning"
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility):
    a cycle sends the flag's lowercase ops, on demand sends the default dialect."""
    put_secrets(lab, BaseAddress=lab.scim_url + "?aadOptscim062020")
    eve, fay = add_user(lab, "eve"), add_user(lab, "fay")
    assign(lab, eve)
    assign(lab, fay)
    started(lab)
    update_user(lab, eve, surname="Cycle")
    update_user(lab, fay, surname="OnDemand")
    ok(on_demand(lab, {"objectId": fay, "objectTypeName": "User"}))
    ((_, _, on_demand_body),) = writes(lab)
    assert [op["op"] for op in on_demand_body["Operations"]] == ["Replace"]
    lab.advance("40m")
    cycle_bodies = [body for method, _, body in writes(lab) if method == "PATCH"]
    assert [op["op"] for body in cycle_bodies for op in body["Operations"]] == ["replace"]


def test_a_user_disabled_in_entra_is_not_disabled_on_demand(lab: Lab) -> None:
    gus, hal = add_user(lab, "gus"), add_user(lab, "hal")
    assign(lab, gus)
    hal_assignment = assign(lab, hal)
    started(lab)
    update_user(lab, gus, accountEnabled=False)
    key = json.loads(ok(on_demand(lab, {"objectId": gus, "objectTypeName": "User"})).json()["key"])
    assert key["result"] == "Skipped"
    assert key["details"]["errorCode"] == "NotSupportedOnDemand"
    assert writes(lab) == []
    assert miro_user(lab, "gus@contoso.com")["active"] is True
    # "On-demand provisioning supports disabling users that have been unassigned."
    unassign(lab, hal_assignment)
    key = json.loads(ok(on_demand(lab, {"objectId": hal, "objectTypeName": "User"})).json()["key"])
    assert key["result"] == "Success"
    assert miro_user(lab, "hal@contoso.com")["active"] is False
    lab.advance("40m")  # the next cycle disables the disabled user
    assert miro_user(lab, "gus@contoso.com")["active"] is False


def test_roles_are_not_provisioned_on_demand(lab: Lab) -> None:
    schema = get_schema(lab)
    mapping(schema, "User")["attributeMappings"].append(
        {
            "targetAttributeName": 'roles[primary eq "True"].value',
            "source": {
                "expression": "Switch(SingleAppRoleAssignment([appRoleAssignments]), "
                '"ORGANIZATION_INTERNAL_USER", "User", "ORGANIZATION_INTERNAL_USER")',
                "type": "Function",
            },
            "matchingPriority": 0,
            "flowType": "Always",
        }
    )
    ok(put_schema(lab, schema), 204)
    ida, jon = add_user(lab, "ida"), add_user(lab, "jon")
    assign(lab, ida)
    assign(lab, jon)
    ok(on_demand(lab, {"objectId": ida, "objectTypeName": "User"}))
    ((method, _, on_demand_post),) = writes(lab)
    assert method == "POST" and "roles" not in on_demand_post
    lab.start()
    lab.advance("0")  # a cycle sends the role
    posts = [body for method, _, body in writes(lab) if method == "POST"]
    assert [body["userName"] for body in posts] == ["jon@contoso.com"]
    assert posts[0]["roles"] == [{"primary": True, "value": "ORGANIZATION_INTERNAL_USER"}]
