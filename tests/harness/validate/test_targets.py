"""harness validate against the Miro fake (both API models) and scim2-server, served in-process.

The Miro fake's tests state the settings they use: Miro's documented behaviour (rate limits on,
400 for a duplicate userName, strict PATCH: https://developers.miro.com/docs/scim-rate-limits,
https://developers.miro.com/docs/errors, https://developers.miro.com/reference/patchgroup) or
the lenient variants, so they do not depend on the fake's defaults.
"""

from __future__ import annotations

from typing import Any

import pytest
from scim2_server.memory import InMemoryStorage
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import load_default_provider

from harness.clock import VirtualClock
from harness.http import RoutingTransport, make_client
from harness.validate.runner import Report, run
from harness.validate.session import Options
from mock_miro import create_app
from mock_miro.settings import DEFAULT_TOKEN
from tests.harness.validate.conftest import by_id, failed

FLAG = "?aadOptscim062020"
LENIENT = {"rate_limits": False, "duplicate_user_error": 409, "patch_strict": False}
DOCUMENTED = {"rate_limits": True, "duplicate_user_error": 400, "patch_strict": True}
MANAGER_CHECKS = {"users.add-manager", "users.replace-manager", "users.remove-manager"}
GROUP_LIMITS = {"groups.create", "groups.delete", "groups.delete-non-existent"}


def _miro(settings: dict[str, Any], flag: str = "", **options: Any) -> Report:
    clock = VirtualClock()
    app = create_app(clock=clock.now, settings=settings)
    seeded = app.test_client().post(
        "/_fake/seed", json={"seed": 1, "users": 0, "teams": ["Design"]}
    )
    assert seeded.status_code == 200
    transport = RoutingTransport()
    transport.bind("miro.local", app)
    return run(
        Options(url=f"http://miro.local/api/v1/scim{flag}", token=DEFAULT_TOKEN, seed=3, **options),
        transport,
        # Retry-After waits pass on the fake's clock: seconds of real time are not spent.
        sleep=lambda seconds: clock.advance(seconds),
    )


def _skipped(report: Report) -> set[str]:
    return {r.check.id for r in report.results if r.status == "skipped"}


@pytest.mark.parametrize("flag", ["", FLAG], ids=["default", "aadOptscim062020"])
def test_miro_user_groups_model_passes(flag: str) -> None:
    report = _miro({"model": "user_groups", **LENIENT}, flag)
    # Miro's gallery template maps no manager: those checks are skipped, not failed.
    assert _skipped(report) == MANAGER_CHECKS
    if flag:
        assert failed(report) == set()
    else:
        # The fake refuses {"op": "Replace", "value": null}; RFC 7643 §2.5 reads null as
        # "unassigned". Entra itself never sends null, so the check is optional.
        assert failed(report) == {"users.null-and-empty"}
    assert report.exit_code == 0


def test_miro_documented_behaviour_in_the_user_groups_model() -> None:
    report = _miro({"model": "user_groups", **DOCUMENTED})
    assert failed(report) == {"users.create-duplicate", "users.null-and-empty"}
    duplicate = by_id(report)["users.create-duplicate"]
    assert "answered 400" in duplicate.actual and "not 409" in duplicate.actual
    assert duplicate.error_code == "SystemForCrossDomainIdentityManagementBadRequest"
    # Miro allows 5 GET /Groups per 30 s: the run waited out a 429 as Entra does.
    assert report.throttled >= 1 and report.waited_s > 0
    assert report.exit_code == 0


def test_miro_strict_patch_refuses_the_flag_dialects_pathless_replace() -> None:
    report = _miro({"model": "user_groups", **DOCUMENTED}, FLAG)
    assert {"users.patch-replace", "users.multiple-ops-different-attributes"} <= failed(report)
    replace = by_id(report)["users.patch-replace"]
    assert "requires a 'path'" in replace.actual
    assert replace.basis == "Entra behaviour" or replace.check.id.startswith("users.patch")
    assert report.exit_code == 1


def test_miro_teams_model_reports_the_group_limitation() -> None:
    report = _miro({"model": "teams", **DOCUMENTED})
    assert failed(report) >= GROUP_LIMITS
    for check in GROUP_LIMITS:
        result = by_id(report)[check]
        assert result.limitation and "405" in result.actual
        assert "miro-provisioning-tutorial" in result.production
        assert "uncheck Create and Delete" in result.production
    assert report.exit_code == 1  # creating groups is mandatory for a custom app


def test_miro_teams_model_with_an_existing_team_and_create_delete_unchecked() -> None:
    # As Microsoft's Miro tutorial sets it up: group Create and Delete unchecked, teams matched
    # by name, members patched.
    from harness.engine import rules

    schema = rules.template.miro_template()
    for rule in schema["schema"]["synchronizationRules"]:
        for mapping in rule["objectMappings"]:
            if mapping["sourceObjectName"] == "Group":
                mapping["flowTypes"] = "Update"
    report = _miro({"model": "teams", **DOCUMENTED}, schema=schema, existing_group="Design")
    assert failed(report) == {"users.create-duplicate", "users.null-and-empty"}
    results = by_id(report)
    for check in (
        "groups.filter-existing",
        "groups.add-member",
        "groups.get-excluding-members",
        "groups.remove-member",
        "groups.multiple-ops-same-attribute",
    ):
        assert results[check].status == "passed", (check, results[check].reason)
    assert "Target Object Actions" in results["groups.create"].reason
    assert report.exit_code == 0


def _scim2_server(flag: str = "", **options: Any) -> tuple[Report, RoutingTransport]:
    app = BearerTokenApplication(InMemoryStorage(), load_default_provider(), bearer_tokens=["t"])
    transport = RoutingTransport()
    transport.bind("scim.local", app)
    report = run(
        Options(url=f"http://scim.local/v2{flag}", token="t", seed=5, **options), transport
    )
    return report, transport


@pytest.mark.parametrize("flag", ["", FLAG], ids=["default", "aadOptscim062020"])
def test_scim2_server_findings_are_entra_behaviours(flag: str) -> None:
    report, _ = _scim2_server(flag)
    assert failed(report) == {"users.add-attributes", "groups.create"}
    results = by_id(report)
    # Entra's POST /Groups lists Microsoft's ADSCIM schema URN; scim2-server refuses it.
    assert "ADSCIM" in results["groups.create"].actual
    # Entra adds a work e-mail with a filtered path; scim2-server has no entry to filter.
    assert 'emails[type eq "work"].value' in str(results["users.add-attributes"].exchanges)
    assert {results[c].basis for c in ("groups.create", "users.add-attributes")} == {
        "Entra behaviour"
    }
    assert report.exit_code == 1


@pytest.mark.parametrize("flag", ["", FLAG], ids=["default", "aadOptscim062020"])
def test_scim2_server_on_an_existing_group(flag: str) -> None:
    app = BearerTokenApplication(InMemoryStorage(), load_default_provider(), bearer_tokens=["t"])
    transport = RoutingTransport()
    transport.bind("scim.local", app)
    with make_client("http://scim.local/v2", transport=transport) as client:
        created = client.post(
            "/Groups",
            json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"},
            headers={"Authorization": "Bearer t"},
        )
    assert created.status_code == 201
    report = run(
        Options(
            url=f"http://scim.local/v2{flag}",
            token="t",
            seed=5,
            existing_group="Ops",
            only=("groups.*",),
        ),
        transport,
    )
    results = by_id(report)
    for check in ("groups.filter-existing", "groups.add-member", "groups.get-excluding-members"):
        assert results[check].status == "passed"
    if flag:
        assert failed(report) == {"groups.create"}
        return
    # Without the flag Entra removes members with a value list (not RFC 7644); scim2-server
    # answers that a remove carries no value.
    assert failed(report) == {
        "groups.create",
        "groups.remove-member",
        "groups.multiple-ops-same-attribute",
    }
    removal = results["groups.remove-member"]
    assert "carries no value" in removal.actual
    assert removal.basis == "Entra behaviour"
    assert removal.exchanges[0].request_body["Operations"][0]["op"] == "Remove"
