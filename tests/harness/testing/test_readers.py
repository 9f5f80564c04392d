"""The readers of provisioning-log entries, the Miro journal and the job status
(harness.testing.readers)."""

from __future__ import annotations

from typing import Any

from harness.testing.readers import (
    MiroRequest,
    describe_entry,
    entry_error,
    entry_modified,
    entry_skip_reason,
    entry_skip_step_reason,
    entry_status,
    entry_steps,
    from_engine,
    is_probe,
    journal_body,
    journal_lines,
    journal_writes,
    lines,
    source_filter,
    status_fields,
)


def request(method: str, path: str, query: str = "") -> MiroRequest:
    return MiroRequest(method, path, query, 200, None, None)


# -- the Miro journal --------------------------------------------------------------------------


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


def test_raw_journal_entries_read_as_lines_writes_and_bodies_probes_included() -> None:
    probe_query = "filter=userName+eq+%220f8fad5b-d9cb-469f-a165-70867728950e%22"
    entries: list[dict[str, Any]] = [
        {"method": "GET", "path": "/api/v1/scim/Users", "query": probe_query},
        {"method": "POST", "path": "/api/v1/scim/Users", "query": "", "body": '{"userName": "a"}'},
        {"method": "PATCH", "path": "/api/v1/scim/Users/1", "body": {"Operations": []}},
    ]
    assert journal_lines(entries) == [
        'GET /Users?filter=userName eq "0f8fad5b-d9cb-469f-a165-70867728950e"',
        "POST /Users",
        "PATCH /Users/1",
    ]
    assert journal_writes(entries) == entries[1:]
    assert journal_body(entries[1]) == {"userName": "a"}
    assert journal_body(entries[2]) == {"Operations": []}
    assert journal_body(entries[0]) is None


# -- provisioning-log entries -----------------------------------------------------------------


def step(name: str, **details: Any) -> dict[str, Any]:
    return {"name": name, "description": f"{name} done", "details": details}


SKIPPED = {
    "activityDateTime": "2026-01-05T09:00:00Z",
    "provisioningAction": "other",
    "sourceIdentity": {"identityType": "User", "displayName": "Bob"},
    "provisioningStatusInfo": {"status": "skipped", "errorInformation": None},
    "provisioningSteps": [
        step("EntryImport"),
        step("EntrySynchronizationSkip", SkipReason="NotEffectivelyEntitled"),
    ],
}
STAGED = {
    "provisioningAction": "stageddelete",
    "provisioningStatusInfo": {"status": "skipped"},
    "provisioningSteps": [
        step("EntryImport"),
        step("EntrySynchronizationStagedDelete", SkipReason="StagedDelete"),
    ],
}
FAILED = {
    "provisioningAction": "create",
    "provisioningStatusInfo": {
        "status": "failure",
        "errorInformation": {"errorCode": "InternalServerError", "reason": "Miro said 500"},
    },
    "provisioningSteps": [step("EntryImport"), step("EntryExportAdd")],
    "modifiedProperties": [{"displayName": "active", "oldValue": None, "newValue": "True"}],
}


def test_status_error_steps_and_modified_properties_of_an_entry() -> None:
    assert [entry_status(e) for e in (SKIPPED, STAGED, FAILED)] == ["skipped"] * 2 + ["failure"]
    assert entry_error(SKIPPED) == {}
    assert entry_error(FAILED)["errorCode"] == "InternalServerError"
    assert entry_steps(FAILED) == ["EntryImport", "EntryExportAdd"]
    assert entry_modified(FAILED) == {"active": (None, "True")}
    assert entry_status({}) == "" and entry_steps({}) == [] and entry_error({}) == {}


def test_the_two_skip_reasons_differ_for_a_staged_delete() -> None:
    assert entry_skip_reason(SKIPPED) == entry_skip_step_reason(SKIPPED) == "NotEffectivelyEntitled"
    assert entry_skip_reason(STAGED) == "StagedDelete"  # whichever step gives it
    assert entry_skip_step_reason(STAGED) is None  # the skip step's only
    assert entry_skip_reason(FAILED) is entry_skip_step_reason(FAILED) is None


def test_an_entry_is_described_in_one_line() -> None:
    assert describe_entry(SKIPPED) == (
        "2026-01-05 09:00:00 User 'Bob' other/skipped [EntrySynchronizationSkip] "
        "EntrySynchronizationSkip done (SkipReason NotEffectivelyEntitled)"
    )
    assert describe_entry(FAILED).endswith("(InternalServerError: Miro said 500)")


def test_one_objects_log_filter_and_the_status_fields() -> None:
    assert source_filter("abc") == "sourceIdentity/id eq 'abc'"
    status = {
        "code": "Quarantine",
        "quarantine": {
            "reason": "TooManyDeletes",
            "seriesBegan": "2026-01-05T09:00:00Z",
            "currentBegan": "2026-01-06T09:00:00Z",
        },
        "lastExecution": {"state": "Failed", "countEscrowed": 2},
    }
    assert status_fields(status) == {
        "code": "Quarantine",
        "quarantine_reason": "TooManyDeletes",
        "quarantine_since": "2026-01-05T09:00:00Z",
        "last_state": "Failed",
        "escrowed": 2,
    }
    assert status_fields({"code": "Paused"}) == {
        "code": "Paused",
        "quarantine_reason": None,
        "quarantine_since": None,
        "last_state": None,
        "escrowed": None,
    }
