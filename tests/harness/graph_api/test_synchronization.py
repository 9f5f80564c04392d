"""The synchronization API mounted on the Graph fake: shapes, statuses, and Graph error
envelopes for every user mistake (never a 500)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mock_miro
from harness.lab.local import Lab
from harness.testing.lab_steps import (
    add_user,
    assign,
    drain_journal,
    get_schema,
    last_log,
    mapping,
    miro_user,
    ok,
    put_schema,
    put_secrets,
    unassign,
    update_user,
)
from harness.testing.readers import entry_skip_step_reason


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=3) as lab:
        yield lab


def expect_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return dict(error)


def test_templates_list_the_miro_gallery_template(lab: Lab) -> None:
    body = ok(lab.graph_client.get(f"{lab.sync_path}/templates")).json()
    (template,) = body["value"]
    assert template["id"] == "miro"
    assert template["factoryTag"] == "miro"
    assert template["applicationId"] == lab.service_principal["appId"]
    rules = template["schema"]["synchronizationRules"]
    names = [m["sourceObjectName"] for r in rules for m in r["objectMappings"]]
    assert names == ["User", "Group"]
    one = ok(lab.graph_client.get(f"{lab.sync_path}/templates/miro")).json()
    assert one["schema"] == template["schema"]


def test_create_list_get_delete_jobs(lab: Lab) -> None:
    created = lab.graph_client.post(f"{lab.sync_path}/jobs", json={"templateId": "miro"})
    assert created.status_code == 201
    job = created.json()
    tenant = lab.graph.tenant_id.replace("-", "")
    assert job["id"].startswith(f"miro.{tenant}.")
    assert job["templateId"] == "miro"
    # A job never started shows TimeSpan.MaxValue, Disabled, and status NotConfigured
    # (https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationschedule,
    # and the create-job response of
    # https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-configuration-api).
    assert job["schedule"] == {
        "expiration": None,
        "interval": "P10675199DT2H48M5.4775807S",
        "state": "Disabled",
    }
    assert job["status"]["code"] == "NotConfigured"
    assert job["status"]["lastExecution"] is None
    assert job["status"]["steadyStateFirstAchievedTime"] == "0001-01-01T00:00:00Z"
    assert job["synchronizationJobSettings"] == [
        {"name": "QuarantineTooManyDeletesThreshold", "value": "500"}
    ]
    listed = ok(lab.graph_client.get(f"{lab.sync_path}/jobs")).json()["value"]
    assert {j["id"] for j in listed} == {lab.job_id, job["id"]}
    assert ok(lab.graph_client.get(f"{lab.sync_path}/jobs/{job['id']}")).json()["id"] == job["id"]
    ok(lab.graph_client.delete(f"{lab.sync_path}/jobs/{job['id']}"), 204)
    expect_error(lab.graph_client.get(f"{lab.sync_path}/jobs/{job['id']}"), 404)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("DELETE", "", None),
        ("POST", "/start", None),
        ("POST", "/pause", None),
        ("POST", "/restart", {"criteria": {"resetScope": "Full"}}),
        ("GET", "/schema", None),
        ("PUT", "/schema", {}),
        ("DELETE", "/schema", None),
        ("POST", "/validateCredentials", {"useSavedCredentials": True}),
        ("PATCH", "", {"synchronizationJobSettings": []}),
    ],
)
def test_unknown_job_is_a_404_envelope(lab: Lab, method: str, suffix: str, body: Any) -> None:
    response = lab.graph_client.request(
        method, f"{lab.sync_path}/jobs/miro.nope.nope{suffix}", json=body
    )
    error = expect_error(response, 404)
    assert "miro.nope.nope" in error["message"]


def test_unknown_service_principal_is_a_404_envelope(lab: Lab) -> None:
    sp = "11111111-2222-3333-4444-555555555555"
    expect_error(lab.graph_client.get(f"/v1.0/servicePrincipals/{sp}/synchronization/jobs"), 404)


@pytest.mark.parametrize(
    "body",
    [{"templateId": "nope"}, {}, {"templateId": 5}, "not json", [1, 2]],
)
def test_create_job_rejects_bad_bodies(lab: Lab, body: Any) -> None:
    if isinstance(body, str):
        response = lab.graph_client.post(
            f"{lab.sync_path}/jobs", content=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = lab.graph_client.post(f"{lab.sync_path}/jobs", json=body)
    expect_error(response, 400)
    assert len(ok(lab.graph_client.get(f"{lab.sync_path}/jobs")).json()["value"]) == 1


def test_start_pause_and_restart_drive_the_schedule(lab: Lab) -> None:
    alice = add_user(lab, "alice")
    assign(lab, alice)
    assert lab.job()["status"]["code"] == "NotConfigured"  # never run
    ok(lab.graph_client.post(f"{lab.job_path}/start"), 204)
    job = lab.job()
    assert job["schedule"]["state"] == "Active" and job["status"]["code"] == "NotRun"
    clock = ok(lab.graph_client.get("/_fake/clock")).json()
    assert clock["jobs"][0]["nextRun"] == clock["now"]
    assert [c["type"] for c in lab.advance("0")] == ["initial"]
    assert lab.job()["status"]["code"] == "Active"

    ok(lab.graph_client.post(f"{lab.job_path}/pause"), 204)
    assert lab.job()["status"]["code"] == "Paused"
    assert lab.job()["schedule"]["state"] == "Paused"
    assert lab.advance("2h") == []

    ok(lab.graph_client.post(f"{lab.job_path}/start"), 204)
    assert [c["type"] for c in lab.advance("0")] == ["incremental"]
    assert [c["type"] for c in lab.advance("80m")] == ["incremental", "incremental"]

    ok(
        lab.graph_client.post(
            f"{lab.job_path}/restart", json={"criteria": {"resetScope": "Watermark"}}
        ),
        204,
    )
    drain_journal(lab)
    assert [c["type"] for c in lab.advance("0")] == ["initial"]
    # Links survive a watermark reset: the known user is read by id, not matched again.
    scim_id = miro_user(lab, "alice@contoso.com")["id"]
    paths = [r["path"] for r in drain_journal(lab)]
    assert f"/api/v1/scim/Users/{scim_id}" in paths

    ok(
        lab.graph_client.post(f"{lab.job_path}/restart", json={"criteria": {"resetScope": "Full"}}),
        204,
    )
    lab.advance("0")
    queries = [r["query"] for r in drain_journal(lab) if r["method"] == "GET"]
    assert any("alice%40contoso.com" in q for q in queries)  # re-matched after a Full reset


@pytest.mark.parametrize(
    "body",
    [
        {"criteria": {"resetScope": "Everything"}},
        {"criteria": "Full"},
        {"criteria": {"resetScope": 3}},
    ],
)
def test_restart_rejects_bad_criteria(lab: Lab, body: Any) -> None:
    error = expect_error(lab.graph_client.post(f"{lab.job_path}/restart", json=body), 400)
    assert "resetScope" in error["message"] or "criteria" in error["message"]


def test_schema_put_get_and_reset(lab: Lab) -> None:
    schema = get_schema(lab)
    original = copy.deepcopy(schema)
    mapping(schema, "Group")["flowTypes"] = "Update"
    mapping(schema, "User")["attributeMappings"].append(
        {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "flowType": "Always",
            "matchingPriority": 0,
            "targetAttributeName": "title",
            "source": {
                "expression": "ToUpper([jobTitle])",
                "name": "ToUpper",
                "parameters": [],
                "type": "Function",
            },
        }
    )
    ok(put_schema(lab, schema), 204)
    assert get_schema(lab) == schema  # round trip, unchanged
    ok(lab.graph_client.delete(f"{lab.job_path}/schema"), 204)
    assert get_schema(lab) == original


def test_a_schema_exported_from_a_tenant_loads_unchanged(lab: Lab) -> None:
    schema = get_schema(lab)
    # Real exports carry keys the engine does not use; they must survive a round trip.
    schema["directories"].append(
        {"id": "x", "name": "Extra", "objects": [], "discoverabilities": "None"}
    )
    schema["synchronizationRules"][0]["metadata"] = [
        {"key": "defaultSourceObjectMappings", "value": "x"}
    ]
    mapping(schema, "User")["metadata"] = [{"key": "Disposition", "value": "Normal"}]
    ok(put_schema(lab, schema), 204)
    assert get_schema(lab) == schema


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("expression", "position"),
        ("flowTypes", "flowTypes"),
        ("operator", "scope"),
        ("rules", "synchronizationRules"),
        ("disabled", "cannot be disabled"),
    ],
)
def test_bad_schemas_are_rejected_with_the_problem_named(
    lab: Lab, change: str, fragment: str
) -> None:
    schema = get_schema(lab)
    user = mapping(schema, "User")
    if change == "expression":
        user["attributeMappings"][2]["source"] = {
            "expression": 'Join(",", [givenName]',
            "name": "Join",
            "parameters": [],
            "type": "Function",
        }
    elif change == "flowTypes":
        user["flowTypes"] = "Add, Explode"
    elif change == "operator":
        user["scope"] = {
            "groups": [
                {
                    "name": "g",
                    "clauses": [
                        {
                            "operatorName": "SOUNDS_LIKE",
                            "sourceOperandName": "department",
                            "targetOperand": {"values": ["x"]},
                        }
                    ],
                }
            ]
        }
    elif change == "disabled":
        user["enabled"] = False
    else:
        schema["synchronizationRules"] = "nope"
    error = expect_error(put_schema(lab, schema), 400)
    assert fragment in error["message"]
    assert get_schema(lab) != schema  # nothing changed


def test_schema_body_must_be_json_object(lab: Lab) -> None:
    expect_error(
        lab.graph_client.put(
            f"{lab.job_path}/schema", content=b"{", headers={"Content-Type": "application/json"}
        ),
        400,
    )
    expect_error(lab.graph_client.put(f"{lab.job_path}/schema", json=[1]), 400)


def test_secrets_put_replaces_the_whole_set(lab: Lab) -> None:
    secrets_path = f"{lab.sync_path}/secrets"

    def stored() -> dict[str, str]:
        got = ok(lab.graph_client.get(secrets_path)).json()["value"]
        return {p["key"]: p["value"] for p in got}

    assert stored() == {"BaseAddress": lab.scim_url, "SecretToken": "********"}  # never echoed
    ok(lab.graph_client.put(secrets_path, json={"value": [{"key": "SyncAll", "value": "False"}]}))
    # Graph stores the given set: BaseAddress and SecretToken are gone.
    assert stored() == {"SyncAll": "False"}


def test_the_skip_out_of_scope_deletions_procedure_get_add_put_all_back(lab: Lab) -> None:
    """Microsoft's procedure, step by step
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/skip-out-of-scope-deletions):
    GET the secrets, add the key, re-enter the masked token, PUT the whole set back (204); then
    an out-of-scope user is not disabled."""
    ivy = add_user(lab, "ivy")
    assignment = assign(lab, ivy)
    lab.start()
    lab.advance("0")
    secrets_path = f"{lab.sync_path}/secrets"
    got = ok(lab.graph_client.get(secrets_path)).json()["value"]  # step 3
    for pair in got:
        if pair["key"] == "SecretToken":
            assert pair["value"] == "********"
            pair["value"] = mock_miro.DEFAULT_TOKEN  # "update the connection password"
    got.append({"key": "SkipOutOfScopeDeletions", "value": "True"})
    ok(lab.graph_client.put(secrets_path, json={"value": got}), 204)  # step 4
    stored = ok(lab.graph_client.get(secrets_path)).json()["value"]
    assert {p["key"]: p["value"] for p in stored} == {
        "BaseAddress": lab.scim_url,
        "SecretToken": "********",
        "SkipOutOfScopeDeletions": "True",
    }
    unassign(lab, assignment)
    (cycle,) = lab.advance("40m")  # step 5: the user goes out of scope
    assert cycle["state"] == "Succeeded"
    assert miro_user(lab, "ivy@contoso.com")["active"] is True
    assert entry_skip_step_reason(last_log(lab, ivy)) == "SkipOutOfScopeDeletions"


def test_putting_the_masked_token_back_stores_the_mask(lab: Lab) -> None:
    """Skipping the procedure's "update the password": the mask GET showed becomes the token,
    and the next cycle's probe is refused (invalid credentials quarantine at once)."""
    ivy = add_user(lab, "ivy")
    assign(lab, ivy)
    secrets_path = f"{lab.sync_path}/secrets"
    got = ok(lab.graph_client.get(secrets_path)).json()["value"]
    got.append({"key": "SkipOutOfScopeDeletions", "value": "True"})
    ok(lab.graph_client.put(secrets_path, json={"value": got}), 204)
    lab.start()
    (cycle,) = lab.advance("0")
    assert cycle["quarantine"] == "EncounteredQuarantineException"
    (probe,) = drain_journal(lab)
    assert probe["headers"]["Authorization"] == "Bearer ********"


@pytest.mark.parametrize(
    "body",
    [
        {"value": [{"key": "BaseAddress", "value": "not a url"}]},
        {"value": [{"key": "SyncAll", "value": "maybe"}]},
        {"value": [{"key": "SyncNotificationSettings", "value": "{nope"}]},
        {"value": [{"value": "x"}]},
        {"value": "BaseAddress"},
        {},
    ],
)
def test_bad_secrets_are_rejected_and_change_nothing(lab: Lab, body: Any) -> None:
    before = ok(lab.graph_client.get(f"{lab.sync_path}/secrets")).json()
    expect_error(lab.graph_client.put(f"{lab.sync_path}/secrets", json=body), 400)
    assert ok(lab.graph_client.get(f"{lab.sync_path}/secrets")).json() == before


def test_job_settings_patch(lab: Lab) -> None:
    body = {
        "synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "25"}]
    }
    ok(lab.graph_client.patch(lab.job_path, json=body), 204)
    assert lab.job()["synchronizationJobSettings"] == [
        {"name": "QuarantineTooManyDeletesThreshold", "value": "25"}
    ]
    bad = {
        "synchronizationJobSettings": [
            {"name": "QuarantineTooManyDeletesThreshold", "value": "lots"}
        ]
    }
    expect_error(lab.graph_client.patch(lab.job_path, json=bad), 400)
    expect_error(lab.graph_client.patch(lab.job_path, json={"templateId": "x"}), 400)


def test_validate_credentials(lab: Lab) -> None:
    ok(
        lab.graph_client.post(
            f"{lab.job_path}/validateCredentials", json={"useSavedCredentials": True}
        ),
        204,
    )
    wrong = {
        "useSavedCredentials": False,
        "credentials": [
            {"key": "BaseAddress", "value": lab.scim_url},
            {"key": "SecretToken", "value": "wrong"},
        ],
    }
    error = expect_error(
        lab.graph_client.post(f"{lab.job_path}/validateCredentials", json=wrong), 400
    )
    assert "401" in error["message"]
    expect_error(lab.graph_client.post(f"{lab.job_path}/validateCredentials", json={}), 400)


def test_filter_operators_and_functions(lab: Lab) -> None:
    ops = ok(lab.graph_client.get(f"{lab.job_path}/schema/filterOperators")).json()["value"]
    assert {
        "name": "EQUALS",
        "arity": "Binary",
        "multivaluedComparisonType": "All",
        "supportedAttributeTypes": ["String", "Integer"],
    } in ops
    functions = ok(lab.graph_client.get(f"{lab.job_path}/schema/functions")).json()["value"]
    assert {"type": "Switch", "parameters": []} in functions


@pytest.mark.parametrize("advance", ["-5m", "forty", "", None, True, [1]])
def test_clock_rejects_bad_advances(lab: Lab, advance: Any) -> None:
    before = ok(lab.graph_client.get("/_fake/clock")).json()["now"]
    expect_error(lab.graph_client.post("/_fake/clock", json={"advance": advance}), 400)
    assert ok(lab.graph_client.get("/_fake/clock")).json()["now"] == before


def test_clock_advances_and_reports_each_cycle(lab: Lab) -> None:
    lab.start()
    body = ok(lab.graph_client.post("/_fake/clock", json={"advance": "2h"})).json()
    assert body["now"] == "2026-01-05T11:00:00Z"
    cycles = body["cycles"]
    assert [c["type"] for c in cycles] == ["initial", "incremental", "incremental", "incremental"]
    assert [c["began"] for c in cycles] == [
        "2026-01-05T09:00:00Z",
        "2026-01-05T09:40:00Z",
        "2026-01-05T10:20:00Z",
        "2026-01-05T11:00:00Z",
    ]
    assert all(c["jobId"] == lab.job_id and c["cycleId"] for c in cycles)
    assert len({c["cycleId"] for c in cycles}) == 4
    assert set(cycles[0]["counts"]) >= {
        "create",
        "update",
        "disable",
        "delete",
        "skipped",
        "failed",
    }


def test_engine_settings_control(lab: Lab) -> None:
    got = ok(lab.graph_client.get("/_fake/engine/settings")).json()
    assert got["skip_default_access"] is True
    put = ok(
        lab.graph_client.put("/_fake/engine/settings", json={"skip_default_access": False})
    ).json()
    assert put["skip_default_access"] is False
    expect_error(lab.graph_client.put("/_fake/engine/settings", json={"nope": 1}), 400)
    expect_error(lab.graph_client.put("/_fake/engine/settings", json={"patch_dialect": "x"}), 400)
    expect_error(lab.graph_client.put("/_fake/engine/settings", json={"cycle_interval": "0"}), 400)


def test_steady_state_after_a_cycle_with_nothing_to_do(lab: Lab) -> None:
    lab.start()
    lab.advance("40m")
    status = lab.job()["status"]
    assert status["steadyStateFirstAchievedTime"] == "2026-01-05T09:40:00Z"
    assert status["lastSuccessfulExecution"]["timeBegan"] == "2026-01-05T09:40:00Z"
    assert status["progress"][0]["units"] == "Pages"


_SUFFIXES = [
    "",
    "/start",
    "/pause",
    "/restart",
    "/validateCredentials",
    "/schema",
    "/provisionOnDemand",
    "/schema/filterOperators",
    "/nope",
]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    where=st.sampled_from(["job", "jobs", "secrets", "templates", "clock", "settings", "logs"]),
    suffix=st.sampled_from(_SUFFIXES),
    body=_JSON
    | st.sampled_from(
        [
            {"criteria": {"resetScope": "x"}},
            {"advance": "x"},
            {"value": [{"key": "SyncAll", "value": "x"}]},
        ]
    ),
)
def test_no_request_gets_a_500_or_html(method: str, where: str, suffix: str, body: Any) -> None:
    lab = Lab(seed=99)  # a lab per example: they are cheap
    path = {
        "job": lab.job_path + suffix,
        "jobs": f"{lab.sync_path}/jobs",
        "secrets": f"{lab.sync_path}/secrets",
        "templates": f"{lab.sync_path}/templates",
        "clock": "/_fake/clock",
        "settings": "/_fake/engine/settings",
        "logs": "/v1.0/auditLogs/provisioning",
    }[where]
    with lab:
        response = lab.graph_client.request(method, path, json=body)
    assert response.status_code < 500, (method, path, body, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json")
        assert "error" in response.json()


def test_configuration_activities_are_in_the_directory_audits(lab: Lab) -> None:
    put_secrets(lab, SyncAll="False", SecretToken="new-token")
    ok(lab.graph_client.post(f"{lab.job_path}/start"), 204)
    ok(lab.graph_client.post(f"{lab.job_path}/pause"), 204)
    ok(put_schema(lab, get_schema(lab)), 204)
    ok(
        lab.graph_client.post(f"{lab.job_path}/restart", json={"criteria": {"resetScope": "Full"}}),
        204,
    )
    body = ok(
        lab.graph_client.get(
            "/v1.0/auditLogs/directoryAudits", params={"$orderby": "activityDateTime asc"}
        )
    ).json()
    activities = [a["activityDisplayName"] for a in body["value"]]
    assert activities == [
        "Update provisioning setting or credentials",
        "Enable/start provisioning configuration",
        "Disable/pause provisioning configuration",
        "Update attribute mappings or scope",
        "Enable/restart provisioning configuration",
    ]
    first = body["value"][0]
    assert first["category"] == "ProvisioningManagement"
    assert first["loggedByService"] == "Account Provisioning"
    assert first["targetResources"][0]["id"] == lab.service_principal_id
    assert {"displayName": "SecretToken", "oldValue": None, "newValue": "********"} in (
        first["targetResources"][0]["modifiedProperties"]
    )
    filtered = ok(
        lab.graph_client.get(
            "/v1.0/auditLogs/directoryAudits",
            params={"$filter": "activityDisplayName eq 'Disable/pause provisioning configuration'"},
        )
    ).json()
    assert len(filtered["value"]) == 1
    one = ok(lab.graph_client.get(f"/v1.0/auditLogs/directoryAudits/{first['id']}")).json()
    assert one == first


def test_quarantine_is_audited(lab: Lab) -> None:
    put_secrets(lab, SecretToken="wrong")
    lab.start()
    lab.advance("0")
    body = ok(
        lab.graph_client.get(
            "/v1.0/auditLogs/directoryAudits",
            params={"$filter": "activityDisplayName eq 'Quarantine'"},
        )
    ).json()
    (entry,) = body["value"]
    assert entry["initiatedBy"]["app"]["displayName"] == "Azure AD Provisioning Service"
    assert {"key": "JobId", "value": lab.job_id} in entry["additionalDetails"]


def test_object_connections_beta(lab: Lab) -> None:
    ivy = add_user(lab, "ivy")
    assign(lab, ivy)
    lab.start()
    lab.advance("0")
    path = lab.job_path.replace("/v1.0/", "/beta/") + f"/objectConnections('{ivy}')"
    connection = ok(lab.graph_client.get(path)).json()
    assert connection == {
        "sourceAnchor": ivy,
        "objectTypeName": "User",
        "targetAnchor": miro_user(lab, "ivy@contoso.com")["id"],
    }
    expect_error(lab.graph_client.delete(path), 409)  # the job is running
    ok(lab.graph_client.post(f"{lab.job_path}/pause"), 204)
    ok(lab.graph_client.delete(path), 204)
    expect_error(lab.graph_client.get(path), 404)
    ok(lab.graph_client.post(f"{lab.job_path}/start"), 204)
    drain_journal(lab)
    update_user(lab, ivy, surname="Relinked")
    lab.advance("0")
    # No link: the user is matched again by userName, then updated.
    assert any("ivy%40contoso.com" in r["query"] for r in drain_journal(lab))
    assert ok(lab.graph_client.get(path)).json()["sourceAnchor"] == ivy


def test_the_control_plane_shows_the_secrets_unmasked_and_helpers_keep_the_rest(lab: Lab) -> None:
    path = f"/_fake/engine/secrets/{lab.service_principal_id}"
    unmasked = ok(lab.graph_client.get(path)).json()["value"]
    assert {"key": "SecretToken", "value": mock_miro.DEFAULT_TOKEN} in unmasked
    put_secrets(lab, SyncAll="True")  # a helper that changes one key, through Graph's PUT
    after = {p["key"]: p["value"] for p in ok(lab.graph_client.get(path)).json()["value"]}
    assert after == {
        "BaseAddress": lab.scim_url,
        "SecretToken": mock_miro.DEFAULT_TOKEN,
        "SyncAll": "True",
    }


def test_restoring_the_default_mappings_starts_an_initial_cycle(lab: Lab) -> None:
    """ "Restore default mappings" forces every user to be synchronized again
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes)."""
    assign(lab, add_user(lab, "ann"))
    lab.start()
    lab.advance("0")
    assert [c["type"] for c in lab.advance("40m")] == ["incremental"]
    ok(lab.graph_client.delete(f"{lab.job_path}/schema"), 204)  # DELETE resets the schema
    (cycle,) = lab.advance("40m")
    assert cycle["type"] == "initial" and cycle["counts"]["imported"] >= 1
