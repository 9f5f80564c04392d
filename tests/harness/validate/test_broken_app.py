"""harness validate against a SCIM app broken on purpose: each flaw makes exactly its check fail,
for the right reason, and the app without flaws passes every check."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.validate.runner import CHECKS, Report
from tests.harness.validate.broken_app import FLAWS
from tests.harness.validate.conftest import by_id, failed

FLAG = "?aadOptscim062020"

# What the failure must say: the behaviour the flaw breaks, seen on the wire.
REASONS = {
    "spc_without_patch": "patch.supported is False",
    "no_schemas": "GET /Schemas answered 404",
    "duplicate_users_allowed": "created a second user",
    "case_sensitive_user_filter": "answered no user",
    "username_immutable": "userName is immutable",
    "add_filtered_path_refused": "no value matches the path filter",
    "manager_remove_ignored": "unchanged",
    "string_false_ignored": "active = True",
    "string_true_ignored": "unchanged",
    "empty_and_null_ignored": "still shows",
    "user_pagination_ignored": "resources for count=1",
    "user_soft_delete": "still there",
    "group_create_refuses_adscim": "ResourceManagement/ADSCIM",
    "group_rename_ignored": "displayName unchanged",
    "members_despite_exclusion": "members although they were excluded",
}


@pytest.mark.parametrize("flag", ["", FLAG], ids=["default", "aadOptscim062020"])
def test_the_app_without_flaws_passes_every_check(
    validate_broken: Callable[..., Report], flag: str
) -> None:
    report = validate_broken(flag=flag)
    assert {r.status for r in report.results} == {"passed"}, [
        (r.check.id, r.actual or r.reason) for r in report.results if r.status != "passed"
    ]
    assert len(report.results) == len(CHECKS)
    assert report.exit_code == 0
    assert report.cleanup == [] or all(e.status == 204 for e in report.cleanup)


@pytest.mark.parametrize("flaw", sorted(FLAWS))
def test_each_flaw_fails_exactly_its_check(
    validate_broken: Callable[..., Report], flaw: str
) -> None:
    report = validate_broken(flaw)
    check = FLAWS[flaw]
    assert failed(report) == {check}, [
        (r.check.id, r.actual) for r in report.results if r.status == "failed"
    ]
    result = by_id(report)[check]
    assert REASONS[flaw] in result.actual
    assert result.production, "a failure says what Entra does with it in production"
    assert report.exit_code == int(result.check.mandatory)


def test_string_booleans_are_an_entra_behaviour_of_the_default_dialect(
    validate_broken: Callable[..., Report],
) -> None:
    # An app that refuses "False" as a boolean follows the RFC; Entra still sends it unless
    # the Tenant URL carries aadOptscim062020.
    default = validate_broken("string_false_ignored")
    flagged = validate_broken("string_false_ignored", flag=FLAG)
    assert by_id(default)["users.disable"].basis == "Entra behaviour"
    assert failed(flagged) == set()
    assert by_id(flagged)["users.disable"].basis == "RFC 7643/7644"
    body = by_id(default)["users.disable"].exchanges[1].request_body
    assert body["Operations"] == [{"op": "Replace", "path": "active", "value": "False"}]
