"""Comparing expected with actual state (harness.testing.compare)."""

from __future__ import annotations

from harness.testing.compare import ENTERPRISE, differences, log_mismatches, lookup


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


def test_log_mismatches_name_each_field_that_differs() -> None:
    entry = {
        "provisioningAction": "stageddelete",
        "provisioningStatusInfo": {"status": "skipped"},
        "provisioningSteps": [
            {
                "name": "EntrySynchronizationStagedDelete",
                "description": "held back",
                "details": {"SkipReason": "StagedDelete"},
            }
        ],
        "modifiedProperties": [{"displayName": "active", "oldValue": "True", "newValue": "False"}],
    }
    assert log_mismatches(entry, {"action": "stageddelete", "skip_reason": "StagedDelete"}) == []
    assert (
        log_mismatches(entry, {"step": "EntrySynchronizationStagedDelete", "description": "held"})
        == []
    )
    assert log_mismatches(
        entry, {"status": "success", "modified": {"active": ["True", "True"]}}
    ) == [
        "status: expected 'success', got 'skipped'",
        "modified active: expected ('True', 'True'), got ('True', 'False')",
    ]
