"""Miro's rate limits, on by default as Miro documents them
(https://developers.miro.com/docs/scim-rate-limits): five ``GET /Groups`` per 30 seconds, and
Entra matches every group with its own ``GET /Groups?filter=displayName eq "..."``. The window
runs on the lab's virtual clock, so these scenarios take no real time."""

from __future__ import annotations

from datetime import datetime

from harness.testing import Driver, entry_status

TEAMS = [f"Team {n}" for n in range(1, 9)]  # eight groups: more than Miro's five per window


def test_a_sync_of_more_groups_than_miros_window_allows_is_throttled_and_converges(
    miro_tutorial: Driver,
) -> None:
    d = miro_tutorial
    d.miro_teams(*TEAMS)
    for n, team in enumerate(TEAMS, 1):
        d.add_user(f"member{n}")
        d.add_group(team, f"member{n}")
        d.assign(team)

    (cycle,) = d.sync()

    # What a real tenant sees: the sixth group query inside 30 seconds gets Miro's 429 with
    # no Retry-After; the engine backs off (1, 2, 4, 8, 16 s), asks again once the window has
    # moved on, and the cycle ends Succeeded, about half a minute longer than an unthrottled
    # one. The provisioning logs show no failure: the throttled request was retried inside
    # the cycle.
    queries = [r for r in d.requests() if r.line.startswith("GET /Groups?")]
    throttled = [r for r in queries if r.status == 429]
    assert throttled, [r.line for r in queries]
    assert all(r.response.get("scimType") == "tooManyRequests" for r in throttled)
    assert len([r for r in queries if r.status == 200]) == len(TEAMS)  # each group matched once
    assert cycle["counts"]["throttled"] == len(throttled)
    took = datetime.fromisoformat(cycle["ended"]) - datetime.fromisoformat(cycle["began"])
    assert took.total_seconds() >= 30  # the window had to move on before the sixth query
    for n, team in enumerate(TEAMS, 1):
        d.expect_team_members(team, {f"member{n}@contoso.com"})
        assert entry_status(d.last_log(team)) == "success"
    d.expect_status(last_state="Succeeded", escrowed=0)


def test_without_rate_limits_the_same_sync_is_never_throttled(miro_tutorial: Driver) -> None:
    d = miro_tutorial
    d.miro_settings(rate_limits=False)  # the older default: a fake that never throttles
    d.miro_teams(*TEAMS)
    for n, team in enumerate(TEAMS, 1):
        d.add_user(f"member{n}")
        d.add_group(team, f"member{n}")
        d.assign(team)

    (cycle,) = d.sync()

    assert not [r for r in d.requests() if r.status == 429]
    assert cycle["counts"]["throttled"] == 0
    assert cycle["began"] == cycle["ended"]  # cycles take no virtual time of their own


def test_the_token_owner_is_never_touched_by_a_sync(d: Driver) -> None:
    owner = d.token_owner()
    assert owner is not None and owner["roles"][0]["value"] == "ORGANIZATION_INTERNAL_ADMIN"
    assert [g["display"] for g in owner["groups"]] == ["Default team"]
    d.add_user("alice")
    d.assign("alice")

    d.sync()

    assert not [r for r in d.requests() if owner["id"] in r.path]
    assert d.token_owner() == owner
