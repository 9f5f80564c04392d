"""Unit tests of the engine's pure parts: error classification, settings, entitlement, the
target client's request shapes, status JSON, and the diff/modifiedProperties glue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from harness.engine import rules
from harness.engine.errors import TargetError, classify_response, classify_transport
from harness.engine.failures import escrow_threshold_reason
from harness.engine.rules.schema import load_schema, miro_template
from harness.engine.scope import DEFAULT_ACCESS_ROLE, default_access_roles, entitled
from harness.engine.settings import EngineSettings
from harness.engine.state import Assignment
from harness.engine.status import JobStatus, TaskExecution
from harness.engine.target import ScimTarget, filter_value, split_base_address


@pytest.mark.parametrize(
    ("status", "operation", "filter_query", "code", "retryable", "quarantine"),
    [
        (400, "create", False, "SystemForCrossDomainIdentityManagementBadRequest", True, False),
        (
            401,
            "query",
            True,
            "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
            True,
            True,
        ),
        (403, "update", False, "InsufficientRights", True, False),
        (
            404,
            "query",
            True,
            "SystemForCrossDomainIdentityManagementServiceIncompatible",
            True,
            True,
        ),
        (404, "get", False, "InvalidAnchor", True, False),
        (405, "create", False, "MethodNotAllowed", True, False),
        (409, "create", False, "MiroEntryConflict", True, False),
        (422, "update", False, "UnprocessableEntity", True, False),
        (429, "create", False, "TooManyRequests", True, False),
        (500, "create", False, "InternalServerError", True, False),
        (503, "delete", False, "InternalServerError", True, False),
        (501, "create", False, "NotImplemented", True, False),
    ],
)
def test_classification(
    status: int, operation: str, filter_query: bool, code: str, retryable: bool, quarantine: bool
) -> None:
    info = classify_response(
        "Miro", status, {"detail": "nope"}, operation=operation, filter_query=filter_query
    )
    assert (info.code, info.retryable, info.quarantine) == (code, retryable, quarantine)
    assert f"HTTP status code {status}" in info.reason and "nope" in info.reason
    assert info.to_json()["errorCode"] == code


def test_409_uses_the_app_prefix_and_the_documented_category() -> None:
    info = classify_response("Contoso App", 409, None, operation="create")
    assert info.code == "ContosoAppEntryConflict"
    assert info.category == "nonServiceFailure"


def test_transport_failures() -> None:
    assert classify_transport("Miro", httpx.ReadTimeout("slow")).code == "Timeout"
    assert (
        classify_transport("Miro", httpx.ConnectError("refused")).code
        == "WebExceptionProtocolError"
    )


def test_an_unparseable_body_is_service_incompatible() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"<html>"))
    target = ScimTarget(transport, "http://x.local/scim", "t", "Miro")
    with pytest.raises(TargetError) as caught:
        target.query("Users", "userName", "a")
    assert caught.value.info.code == "SystemForCrossDomainIdentityManagementServiceIncompatible"


def test_a_create_without_an_id_is_service_incompatible() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(201, json={"userName": "a"}))
    target = ScimTarget(transport, "http://x.local/scim", "t", "Miro")
    with pytest.raises(TargetError, match="without an 'id'"):
        target.create("Users", {"userName": "a"})


def test_requests_look_like_entras() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"Resources": [], "totalResults": 0})

    target = ScimTarget(
        httpx.MockTransport(handler), "http://x.local/scim/?aadOptscim062020", "tok", "Miro"
    )
    target.query("Groups", "displayName", 'Sales "EU"', exclude_members=True)
    request = seen[0]
    assert str(request.url) == (
        "http://x.local/scim/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales+%5C%22EU%5C%22%22"
    )
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Accept"] == "application/scim+json"


def test_429_retries_while_the_callback_says_so() -> None:
    answers = iter(
        [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(201, json={"id": "1"})]
    )
    waits: list[tuple[float | None, int]] = []
    target = ScimTarget(
        httpx.MockTransport(lambda r: next(answers)),
        "http://x.local",
        None,
        "Miro",
        on_throttle=lambda after, n: waits.append((after, n)) is None,
    )
    assert target.create("Users", {})["id"] == "1"
    assert waits == [(3.0, 0)]


def test_base_address_and_filter_values() -> None:
    assert split_base_address("https://miro.com/api/v1/scim/?aadOptscim062020") == (
        "https://miro.com/api/v1/scim",
        "aadOptscim062020",
    )
    assert filter_value('a"b\\c') == '"a\\"b\\\\c"'
    assert filter_value(True) == '"true"'
    with pytest.raises(ValueError):
        ScimTarget(
            httpx.MockTransport(lambda r: httpx.Response(200)), "miro.com/scim", None, "Miro"
        )


def test_default_access_rule() -> None:
    roles = {
        "r1": {"value": "User", "displayName": "User"},
        "r2": {"value": "msiam_access", "displayName": "msiam_access"},
    }
    defaults = default_access_roles(roles)
    assert defaults == {DEFAULT_ACCESS_ROLE, "r2"}
    only_default = [
        Assignment("a", "u", "User", DEFAULT_ACCESS_ROLE),
        Assignment("b", "u", "User", "r2"),
    ]
    assert entitled(only_default, True, defaults) is False
    assert entitled(only_default, False, defaults) is True
    assert entitled([*only_default, Assignment("c", "u", "User", "r1")], True, defaults) is True
    assert entitled([], False, defaults) is False


def test_settings_validation_and_schedules() -> None:
    settings = EngineSettings()
    began = datetime(2026, 1, 5, 9, tzinfo=UTC)
    # Each attempt's successor, counted from the first failure; an attempt that ran late does
    # not push the schedule.
    for now_h, next_h in [(0, 6), (6, 12), (12.5, 24), (24, 48), (47, 48), (48, 72)]:
        now = began + timedelta(hours=now_h)
        assert settings.next_quarantine_attempt(began, now, 1) == began + timedelta(hours=next_h)
    # Never past four weeks after the first failure.
    late = began + timedelta(days=27, hours=23)
    assert settings.next_quarantine_attempt(began, late, 30) == began + timedelta(days=28)
    observed = settings.updated({"quarantine_backoff": "observed"})
    assert [observed.observed_quarantine_wait(n) for n in (1, 2, 5, 6, 7, 20)] == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=8),
        timedelta(hours=16),
        timedelta(hours=24),
        timedelta(hours=24),
    ]
    assert [settings.escrow_wait(n) for n in (1, 2, 3, 10)] == [
        timedelta(minutes=40),
        timedelta(minutes=80),
        timedelta(minutes=160),
        timedelta(hours=24),
    ]
    for bad in (
        {"nope": 1},
        {"patch_dialect": "rfc"},
        {"cycle_interval": "soon"},
        {"skip_default_access": "yes"},
        {"escrow_failure_ratio": 2},
        {"throttle_policy": "ignore"},
        {"escrow_min_failures": -1},
    ):
        with pytest.raises(ValueError):
            settings.updated(bad)


def test_status_json_shape() -> None:
    began = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    status = JobStatus(code="Active", last_execution=TaskExecution("c1", began, began))
    body = status.to_json()
    assert set(body) == {
        "code",
        "countSuccessiveCompleteFailures",
        "escrowsPruned",
        "lastExecution",
        "lastSuccessfulExecution",
        "lastSuccessfulExecutionWithExports",
        "progress",
        "quarantine",
        "steadyStateFirstAchievedTime",
        "steadyStateLastAchievedTime",
        "synchronizedEntryCountByType",
        "troubleshootingUrl",
    }
    assert body["lastExecution"]["timeBegan"] == "2026-01-05T09:00:00Z"
    assert set(body["lastExecution"]) >= {
        "countEscrowed",
        "countEscrowedRaw",
        "countImportedDeltas",
        "countImportedReferenceDeltas",
        "state",
        "error",
    }


def test_diff_and_modified_properties_for_the_miro_mapping() -> None:
    schema = load_schema(miro_template())
    mapping = rules.user_mapping(schema)
    source = {
        "userPrincipalName": "a@contoso.com",
        "displayName": "A",
        "givenName": "A",
        "surname": "B",
        "mail": "a@contoso.com",
        "mailNickname": "a",
        "IsSoftDeleted": False,
    }
    mapped = rules.map_object(mapping, source, is_create=False)
    current = {
        "id": "1",
        "userName": "A@CONTOSO.COM",
        "active": True,
        "displayName": "A",
        "name": {"givenName": "A", "familyName": "Old"},
        "emails": [{"type": "work", "value": "a@contoso.com", "primary": True}],
        "externalId": "a",
    }
    exact = rules.case_exact(schema, mapping)
    assert exact == {"id"}  # the template's customappsso directory: only id is caseExact
    # userName differs only in case: not a change, as Entra compares non-caseExact values.
    assert rules.diff(mapped, current, exact) == {"name.familyName": "B"}
    assert rules.diff(mapped, current, None)["userName"] == "a@contoso.com"  # all exact
    assert rules.modified({"name.familyName": "B"}, current) == [
        {"displayName": "name.familyName", "oldValue": "Old", "newValue": "B"}
    ]
    assert rules.probe_attribute(mapping) == "userName"
    assert rules.active_attribute(mapping) == "active"


@pytest.mark.parametrize(
    ("failures", "reference", "succeeded", "reason"),
    [
        # The documented examples
        # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status).
        (45_000, 0, 0, "EncounteredTotalEscrowThreshold"),
        (30_000, 0, 5_000, "EncounteredEscrowProportionThreshold"),
        (20_000, 0, 100_000, None),
        (40_000, 21_000, 0, "EncounteredBaseEscrowThreshold"),
        (4_000, 0, 0, None),  # under the 5,000 minimum, even at 100 %
        # Reference failures count toward the absolute rule only.
        (0, 59_000, 0, None),
        (4_999, 50_000, 0, None),
        (5_000, 0, 7_500, None),  # exactly 40 % is not more than 40 %
        (5_000, 0, 7_499, "EncounteredEscrowProportionThreshold"),
        (40_001, 0, 10**9, "EncounteredTotalEscrowThreshold"),
    ],
)
def test_escrow_thresholds_follow_the_documented_examples(
    failures: int, reference: int, succeeded: int, reason: str | None
) -> None:
    assert escrow_threshold_reason(failures, reference, succeeded, EngineSettings()) == reason


def test_escrow_thresholds_are_settings() -> None:
    small = EngineSettings(
        escrow_min_failures=2, escrow_total_failures=10, escrow_absolute_failures=12
    )
    assert escrow_threshold_reason(2, 0, 2, small) == "EncounteredEscrowProportionThreshold"
    assert escrow_threshold_reason(11, 0, 1000, small) == "EncounteredTotalEscrowThreshold"
    assert escrow_threshold_reason(1, 12, 0, small) == "EncounteredBaseEscrowThreshold"


def test_backoff_waits_stay_bounded_after_many_attempts() -> None:
    settings = EngineSettings()
    assert settings.escrow_wait(1) == timedelta(minutes=40)
    assert settings.escrow_wait(2) == timedelta(minutes=80)
    assert settings.escrow_wait(10_000) == timedelta(hours=24)
    observed = EngineSettings(quarantine_backoff="observed")
    assert [observed.observed_quarantine_wait(n) for n in (1, 2, 3)] == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
    ]
    assert observed.observed_quarantine_wait(10_000) == timedelta(hours=24)


def test_several_entries_where_one_was_expected() -> None:
    listing = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "Resources": [{"id": "1"}, {"id": "2"}],
    }
    target = ScimTarget(
        httpx.MockTransport(lambda r: httpx.Response(200, json=listing)),
        "http://x.local/scim",
        "t",
        "Miro",
    )
    with pytest.raises(TargetError) as caught:
        target.get("Users", "1")
    assert (
        caught.value.info.code == "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse"
    )
    assert caught.value.info.retryable

    one = {"Resources": [{"id": "1", "userName": "a"}]}
    target = ScimTarget(
        httpx.MockTransport(lambda r: httpx.Response(200, json=one)),
        "http://x.local/scim",
        "t",
        "Miro",
    )
    assert target.get("Users", "1") == {"id": "1", "userName": "a"}

    with_members = {"Resources": [{"id": "g", "displayName": "G", "members": [{"value": "1"}]}]}
    target = ScimTarget(
        httpx.MockTransport(lambda r: httpx.Response(200, json=with_members)),
        "http://x.local/scim",
        "t",
        "Miro",
    )
    assert target.query("Groups", "displayName", "G")[0]["id"] == "g"  # members not excluded
    with pytest.raises(TargetError) as caught:
        target.query("Groups", "displayName", "G", exclude_members=True)
    assert (
        caught.value.info.code == "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse"
    )
