"""Scope, matching, dialects and cost of the engine, end to end through HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from harness.engine.changes import guest_upn
from harness.lab.local import LAB_USER_AGENT, Lab
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
    miro_create_user,
    miro_seed_teams,
    miro_user,
    miro_users,
    ok,
    put_schema,
    put_secrets,
    remove_member,
    set_group_flows,
    set_manager,
    started,
    unassign,
    update_user,
)
from harness.testing.readers import (
    entry_skip_step_reason,
    entry_status,
    journal_body,
    journal_lines,
    journal_writes,
)


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=11) as lab:
        yield lab


def graph_engine_requests(lab: Lab) -> list[str]:
    """What the engine asked Graph (the lab's own calls left out), then clear the journal."""
    requests = ok(lab.graph_client.get("/_fake/journal")).json()["requests"]
    ok(lab.graph_client.delete("/_fake/journal"))
    out = []
    for r in requests:
        agent = {k.lower(): v for k, v in (r.get("headers") or {}).items()}.get("user-agent")
        if agent != LAB_USER_AGENT and not r["path"].startswith("/_fake"):
            out.append(f"{r['method']} {r['path']}")
    return out


def test_default_access_only_is_skipped_as_not_effectively_entitled(lab: Lab) -> None:
    ann = add_user(lab, "ann")
    assign(lab, ann, role="Default Access")
    started(lab)
    assert miro_user(lab, "ann@contoso.com") is None
    entry = last_log(lab, ann)
    assert entry_status(entry) == "skipped"
    assert entry_skip_step_reason(entry) == "NotEffectivelyEntitled"
    scoping = entry["provisioningSteps"][1]
    assert scoping["details"]["User has the required role"] == "False"
    assert "does not have required entitlement" in entry["provisioningSteps"][-1]["description"]


def test_post_2020_behaviour_provisions_default_access_users(lab: Lab) -> None:
    ok(lab.graph_client.put("/_fake/engine/settings", json={"skip_default_access": False}))
    ben = add_user(lab, "ben")
    assign(lab, ben, role="Default Access")
    started(lab)
    assert miro_user(lab, "ben@contoso.com") is not None


def test_default_access_through_a_group_plus_user_role_directly_is_entitled(lab: Lab) -> None:
    group = add_group(lab, "Everyone")
    cy = add_user(lab, "cy")
    add_member(lab, group, cy)
    assign(lab, group, role="Default Access")
    assign(lab, cy, role="User")
    started(lab)
    assert miro_user(lab, "cy@contoso.com") is not None


def test_a_disabled_user_is_not_provisioned(lab: Lab) -> None:
    dee = add_user(lab, "dee", accountEnabled=False)
    assign(lab, dee)
    started(lab)
    assert miro_user(lab, "dee@contoso.com") is None
    entry = last_log(lab, dee)
    assert entry_status(entry) == "skipped"
    assert entry["provisioningSteps"][1]["details"]["Active in the source system"] == "False"


def test_members_of_an_assigned_group_are_in_scope_but_nested_groups_are_not_expanded(
    lab: Lab,
) -> None:
    outer, inner = add_group(lab, "Outer"), add_group(lab, "Inner")
    eve, fay = add_user(lab, "eve"), add_user(lab, "fay")
    add_member(lab, outer, eve)
    add_member(lab, outer, inner)
    add_member(lab, inner, fay)
    assign(lab, outer)
    started(lab)
    assert miro_user(lab, "eve@contoso.com") is not None
    assert miro_user(lab, "fay@contoso.com") is None


def test_the_engine_says_why_in_the_scoping_step_and_its_directory_view(lab: Lab) -> None:
    """The scope decision in one plain line, from the engine itself: the scoping step's
    ``Reason`` detail, and for users it never evaluated, the engine's directory view."""
    outer, inner = add_group(lab, "Engineering"), add_group(lab, "Backend")
    ann, ben, cat = add_user(lab, "ann"), add_user(lab, "ben"), add_user(lab, "cat")
    add_member(lab, outer, ann)
    add_member(lab, outer, inner)
    add_member(lab, inner, ben)
    assign(lab, outer)
    assign(lab, cat, role="Default Access")
    started(lab)

    def reason(user: str) -> str:
        steps = last_log(lab, user)["provisioningSteps"]
        return next(s for s in steps if s["name"] == "EntrySynchronizationScoping")["details"][
            "Reason"
        ]

    assert reason(ann) == "in scope: member of 'Engineering', which is assigned with role User"
    assert reason(cat).startswith("only Default Access: excluded from provisioning")
    view = ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/directory")).json()
    users = {u["id"]: u for u in view["users"]}
    assert users[ben]["unassignedReason"] == (
        "member of 'Backend', which is nested in the assigned group 'Engineering': nested "
        "groups are not expanded"
    )
    assert users[ann]["unassignedReason"] is None
    assert users[ann]["assignments"][0]["principalId"] == outer
    groups = {g["displayName"]: g for g in view["groups"]}
    assert groups["Engineering"]["nestedGroups"] == [inner]
    assert groups["Engineering"]["members"] == [ann]
    missing = lab.graph_client.get("/_fake/engine/jobs/nope/directory")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"

    remove_member(lab, outer, inner)  # the nesting goes: ben is simply not assigned
    lab.advance("40m")
    view = ok(lab.graph_client.get(f"/_fake/engine/jobs/{lab.job_id}/directory")).json()
    ben_now = next(u for u in view["users"] if u["id"] == ben)
    assert ben_now["unassignedReason"].startswith("not assigned to the application")


def test_removing_the_only_group_path_disables_the_member(lab: Lab) -> None:
    group = add_group(lab, "Path")
    gus = add_user(lab, "gus")
    add_member(lab, group, gus)
    assign(lab, group)
    started(lab)
    remove_member(lab, group, gus)
    lab.advance("40m")
    assert miro_user(lab, "gus@contoso.com")["active"] is False


def test_sync_all_provisions_unassigned_users_but_not_disabled_ones(lab: Lab) -> None:
    put_secrets(lab, SyncAll="True")
    add_user(lab, "hal")
    add_user(lab, "ida", accountEnabled=False)
    started(lab)
    assert set(miro_users(lab)) == {"hal@contoso.com"}


def test_scoping_filter_selects_users(lab: Lab) -> None:
    schema = get_schema(lab)
    mapping(schema, "User")["scope"] = {
        "groups": [
            {
                "name": "Design",
                "clauses": [
                    {
                        "operatorName": "EQUALS",
                        "sourceOperandName": "department",
                        "targetOperand": {"values": ["Design"]},
                    }
                ],
            },
            {
                "name": "Leads",
                "clauses": [
                    {
                        "operatorName": "ENDS_WITH",
                        "sourceOperandName": "jobTitle",
                        "targetOperand": {"values": ["Lead"]},
                    }
                ],
            },
        ]
    }
    ok(put_schema(lab, schema), 204)
    for nick, extra in (
        ("jo", {"department": "Design"}),
        ("kay", {"jobTitle": "Team Lead"}),
        ("lou", {"department": "Sales"}),
        ("max", {}),
    ):
        assign(lab, add_user(lab, nick, **extra))
    started(lab)
    assert set(miro_users(lab)) == {"jo@contoso.com", "kay@contoso.com"}


def _matching_on_external_id_first(lab: Lab) -> None:
    schema = get_schema(lab)
    for attr in mapping(schema, "User")["attributeMappings"]:
        if attr["targetAttributeName"] == "externalId":
            attr["matchingPriority"] = 1
        elif attr["targetAttributeName"] == "userName":
            attr["matchingPriority"] = 2
    ok(put_schema(lab, schema), 204)


def test_matching_follows_matching_priority_and_stops_at_the_first_hit(lab: Lab) -> None:
    _matching_on_external_id_first(lab)
    existing = miro_create_user(lab, "ned@contoso.com", externalId="someone-else")
    ned = add_user(lab, "ned")
    assign(lab, ned)
    lab.start()
    lab.advance("0")
    seen = journal_lines(drain_journal(lab))
    # The probe filters on the first matching attribute, then matching goes by priority.
    assert seen[0].startswith('GET /Users?filter=externalId eq "')
    assert seen[1:3] == [
        'GET /Users?filter=externalId eq "ned"',
        'GET /Users?filter=userName eq "ned@contoso.com"',
    ]
    assert seen[3] == f"PATCH /Users/{existing['id']}"
    assert last_log(lab, ned)["targetIdentity"]["id"] == existing["id"]

    ola = add_user(lab, "ola")
    miro_create_user(lab, "other@contoso.com", externalId="ola")
    assign(lab, ola)
    lab.advance("40m")
    seen = journal_lines(drain_journal(lab))
    assert 'GET /Users?filter=externalId eq "ola"' in seen
    assert 'GET /Users?filter=userName eq "ola@contoso.com"' not in seen  # stopped at the first hit


def test_two_target_matches_are_duplicate_target_entries(lab: Lab) -> None:
    _matching_on_external_id_first(lab)
    miro_create_user(lab, "a1@contoso.com", externalId="pia")
    miro_create_user(lab, "a2@contoso.com", externalId="pia")
    pia = add_user(lab, "pia")
    assign(lab, pia)
    started(lab)
    entry = last_log(lab, pia)
    assert entry_status(entry) == "failure"
    assert (
        entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "DuplicateTargetEntries"
    )
    assert miro_user(lab, "pia@contoso.com") is None


def test_a_user_without_a_matching_value_is_import_skipped(lab: Lab) -> None:
    schema = get_schema(lab)
    for attr in mapping(schema, "User")["attributeMappings"]:
        if attr["targetAttributeName"] == "userName":
            attr["source"] = {
                "expression": "[mail]",
                "name": "mail",
                "parameters": [],
                "type": "Attribute",
            }
    ok(put_schema(lab, schema), 204)
    quy = add_user(lab, "quy", mail=None)
    assign(lab, quy)
    started(lab)
    entry = last_log(lab, quy)
    assert entry_skip_step_reason(entry) == "ImportSkipped"
    assert journal_writes(drain_journal(lab)) == []


def test_the_flag_in_the_tenant_url_selects_the_rfc_dialect(lab: Lab) -> None:
    put_secrets(lab, BaseAddress=lab.scim_url + "?aadOptscim062020")
    teams = miro_seed_teams(lab, "Flag")
    set_group_flows(lab, "Update")
    group = add_group(lab, "Flag")
    rae, sam = add_user(lab, "rae"), add_user(lab, "sam")
    add_member(lab, group, rae)
    add_member(lab, group, sam)
    assign(lab, group)
    started(lab)
    # Sam leaves the group (and so scope): RFC member removal, boolean false.
    remove_member(lab, group, sam)
    lab.advance("40m")
    sam_scim = miro_user(lab, "sam@contoso.com")["id"]
    patches = {r["path"]: journal_body(r) for r in drain_journal(lab) if r["method"] == "PATCH"}
    assert patches[f"/api/v1/scim/Users/{sam_scim}"]["Operations"] == [
        {"op": "replace", "path": "active", "value": False}
    ]
    assert patches[f"/api/v1/scim/Groups/{teams['Flag']}"]["Operations"] == [
        {"op": "remove", "path": f'members[value eq "{sam_scim}"]'}
    ]


def test_dialect_setting_overrides_the_tenant_url(lab: Lab) -> None:
    ok(lab.graph_client.put("/_fake/engine/settings", json={"patch_dialect": "aadOptscim062020"}))
    tom = add_user(lab, "tom")
    assignment = assign(lab, tom)
    started(lab)
    unassign(lab, assignment)
    lab.advance("40m")
    (patch,) = [r for r in drain_journal(lab) if r["method"] == "PATCH"]
    assert journal_body(patch)["Operations"] == [
        {"op": "replace", "path": "active", "value": False}
    ]


def test_incremental_cycles_read_only_changes(lab: Lab) -> None:
    ok(lab.graph_client.post("/_fake/seed", json={"seed": 5, "users": 60, "groups": 3}))
    users = ok(lab.graph_client.get("/v1.0/users", params={"$top": "999"})).json()["value"]
    for user in users[:40]:
        assign(lab, user["id"])
    lab.start()
    first = lab.advance("0")[0]
    assert first["type"] == "initial"
    initial_graph = graph_engine_requests(lab)
    assert any("/users/delta" in line for line in initial_graph)
    drain_journal(lab)

    # Nothing changed: the cycle reads the three delta links and the probe, nothing else.
    quiet = lab.advance("40m")[0]
    assert quiet["counts"]["imported"] == 0
    graph_lines = graph_engine_requests(lab)
    assert sorted(graph_lines) == sorted(
        [
            f"GET /v1.0/servicePrincipals/{lab.service_principal_id}",
            "GET /v1.0/users/delta",
            "GET /v1.0/groups/delta",
            f"GET /v1.0/servicePrincipals/{lab.service_principal_id}/appRoleAssignedTo/delta",
        ]
    )
    assert len(drain_journal(lab)) == 1  # the probe

    # One change: one user is read, one GET and one PATCH in Miro.
    update_user(lab, users[0]["id"], displayName="Changed Name")
    cycle = lab.advance("40m")[0]
    assert cycle["counts"]["imported"] == 1 and cycle["counts"]["update"] == 1
    assert [r["method"] for r in drain_journal(lab)] == ["GET", "GET", "PATCH"]
    assert len(graph_engine_requests(lab)) == 4


def test_delta_token_expiry_falls_back_to_a_full_round(lab: Lab) -> None:
    uma = add_user(lab, "uma")
    assign(lab, uma)
    started(lab)
    # A token from a sync state Graph no longer has: syncStateNotFound, as after 7 days.
    job = lab.store.jobs[lab.job_id]
    link, token = job.runtime.watermarks.users.split("$deltatoken=")
    state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    state["s"] = 10**9
    forged = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    job.runtime.watermarks.users = f"{link}$deltatoken={forged}"
    cycles = lab.advance("40m")
    assert (cycles[0]["state"], cycles[0]["type"]) == ("Succeeded", "initial")
    assert miro_user(lab, "uma@contoso.com") is not None
    assert entry_skip_step_reason(last_log(lab, uma)) == "RedundantExport"


def test_same_seed_same_run_same_logs() -> None:
    def run() -> list[dict[str, Any]]:
        with Lab(seed=42) as lab:
            vic = add_user(lab, "vic")
            assign(lab, vic)
            lab.start()
            lab.advance("0")
            update_user(lab, vic, surname="Other")
            lab.advance("40m")
            return lab.provisioning_logs()

    first, second = run(), run()
    assert first == second
    assert len(first) == 2


def test_updated_user_keeps_role_changes_out_of_scope_decision(lab: Lab) -> None:
    wes = add_user(lab, "wes")
    default = assign(lab, wes, role="Default Access")
    started(lab)
    assert miro_user(lab, "wes@contoso.com") is None
    assign(lab, wes, role="User")
    lab.advance("40m")
    assert miro_user(lab, "wes@contoso.com")["active"] is True
    unassign(lab, default)
    lab.advance("40m")
    assert miro_user(lab, "wes@contoso.com")["active"] is True
    update_user(lab, wes, givenName="Wesley")
    lab.advance("40m")
    assert miro_user(lab, "wes@contoso.com")["name"]["givenName"] == "Wesley"


def test_a_mapping_that_fails_for_one_user_fails_that_user_only(lab: Lab) -> None:
    schema = get_schema(lab)
    mapping(schema, "User")["attributeMappings"].append(
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "targetAttributeName": "title",
            "source": {
                "expression": 'FormatDateTime([jobTitle], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
                "name": "FormatDateTime",
                "parameters": [],
                "type": "Function",
            },
        }
    )
    ok(put_schema(lab, schema), 204)
    good, bad = (
        add_user(lab, "xena", jobTitle="20240102030405.0Z"),
        add_user(lab, "yuri", jobTitle="chief"),
    )
    assign(lab, good)
    assign(lab, bad)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["state"] == "EntryLevelErrors"
    posts = [journal_body(r) for r in drain_journal(lab) if r["method"] == "POST"]
    assert [(p["userName"], p["title"]) for p in posts] == [("xena@contoso.com", "2024-01-02")]
    assert miro_user(lab, "yuri@contoso.com") is None
    entry = last_log(lab, bad)
    assert entry_status(entry) == "failure"
    error = entry["provisioningStatusInfo"]["errorInformation"]
    assert error["errorCode"] == "AttributeMappingEvaluationFailed"
    assert "title" in error["reason"]


def test_guest_upns_are_rewritten_as_entra_does(lab: Lab) -> None:
    assert (
        guest_upn("jane.doe_fabrikam.com#EXT#@contoso.onmicrosoft.com") == "jane.doe@fabrikam.com"
    )
    assert guest_upn("odd#EXT#@contoso.com") == "odd#EXT#@contoso.com"
    guest = add_user(
        lab,
        "guest",
        userPrincipalName="jane.doe_fabrikam.com#EXT#@contoso.com",
        mail="jane.doe@fabrikam.com",
        userType="Guest",
    )
    assign(lab, guest)
    started(lab)
    assert miro_user(lab, "jane.doe@fabrikam.com") is not None


def test_two_source_users_matching_one_target_user_are_duplicate_source_entries(lab: Lab) -> None:
    schema = get_schema(lab)
    for attr in mapping(schema, "User")["attributeMappings"]:
        if attr["targetAttributeName"] == "userName":
            attr["source"] = {
                "expression": "[mail]",
                "name": "mail",
                "parameters": [],
                "type": "Attribute",
            }
    ok(put_schema(lab, schema), 204)
    first = add_user(lab, "yan", mail="shared@contoso.com")
    second = add_user(lab, "zoe", mail="shared@contoso.com")
    assign(lab, first)
    started(lab)
    assign(lab, second)
    lab.advance("40m")
    entry = last_log(lab, second)
    assert entry_status(entry) == "failure"
    assert (
        entry["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "DuplicateSourceEntries"
    )
    assert journal_writes(drain_journal(lab)) == []


def test_switching_sync_all_off_takes_effect_only_after_a_restart(lab: Lab) -> None:
    put_secrets(lab, SyncAll="True")
    started(lab)
    put_secrets(lab, SyncAll="False")
    add_user(lab, "ugo")  # not assigned
    lab.advance("40m")
    assert miro_user(lab, "ugo@contoso.com") is not None  # still "sync all" until a restart
    ok(lab.graph_client.post(f"{lab.job_path}/restart", json={}), 204)
    add_user(lab, "viv")
    lab.advance("0")
    assert miro_user(lab, "viv@contoso.com") is None
    assert miro_user(lab, "ugo@contoso.com")["active"] is False  # out of scope now


def test_the_manager_reference_flows_as_the_managers_target_id(lab: Lab) -> None:
    map_manager(lab)
    boss = add_user(lab, "bea")
    report = add_user(lab, "rob")  # with this seed, Graph's delta lists the report first
    other = add_user(lab, "oda")
    assert report < boss  # the initial round goes by id: the engine must reorder
    set_manager(lab, report, boss)
    for user in (report, boss, other):
        assign(lab, user)
    lab.start()
    lab.advance("0")
    posts = {
        journal_body(r)["userName"]: journal_body(r)
        for r in drain_journal(lab)
        if r["method"] == "POST"
    }
    boss_scim = miro_user(lab, "bea@contoso.com")["id"]
    other_scim = miro_user(lab, "oda@contoso.com")["id"]
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    # The manager is created first, so the report's POST already carries the reference.
    assert posts["rob@contoso.com"][enterprise]["manager"] == {"value": boss_scim}
    order = list(posts)
    assert order.index("bea@contoso.com") < order.index("rob@contoso.com")

    set_manager(lab, report, other)
    lab.advance("40m")
    (patch,) = [journal_body(r) for r in drain_journal(lab) if r["method"] == "PATCH"]
    assert patch["Operations"] == [
        {
            "op": "Replace",
            "path": ENTERPRISE_MANAGER,
            "value": [{"$ref": f"{lab.scim_url}/Users/{other_scim}", "value": other_scim}],
        }
    ]
    assert miro_user(lab, "rob@contoso.com")[enterprise]["manager"]["value"] == other_scim

    ok(lab.graph_client.delete(f"/v1.0/users/{report}/manager/$ref"), 204)
    lab.advance("40m")
    (patch,) = [journal_body(r) for r in drain_journal(lab) if r["method"] == "PATCH"]
    assert patch["Operations"] == [{"op": "Remove", "path": ENTERPRISE_MANAGER}]
    entry = last_log(lab, report)
    assert {"displayName": ENTERPRISE_MANAGER, "oldValue": other_scim, "newValue": None} in entry[
        "modifiedProperties"
    ]


def test_a_manager_out_of_scope_is_not_referenced(lab: Lab) -> None:
    map_manager(lab)
    report, boss = add_user(lab, "ray"), add_user(lab, "ben")
    set_manager(lab, report, boss)
    assign(lab, report)  # the manager is not assigned
    lab.start()
    lab.advance("0")
    (post,) = [journal_body(r) for r in drain_journal(lab) if r["method"] == "POST"]
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert "manager" not in post.get(enterprise, {})
