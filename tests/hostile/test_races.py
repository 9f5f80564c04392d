"""Races over TCP on a served harness: the same userName created at once (exactly one 201),
members added to one team at once (none lost), the clock advanced at once (each request runs
its cycles or answers 409; none is lost or doubled)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx

from harness.serve.served import ServedHarness
from tests.support.hostile import Prober

THREADS = 12


def _at_once(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(call, range(count)))


def _miro_headers(prober: Prober) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {prober.lab.miro.settings.token}",
        "Content-Type": "application/scim+json",
    }


def test_the_same_username_at_once(served: ServedHarness, prober: Prober) -> None:
    headers = _miro_headers(prober)
    body = {"userName": "racer@example.com", "displayName": "Racer"}

    def create(n: int) -> httpx.Response:
        response = prober.client.post(
            prober.roots["miro"] + "/api/v1/scim/Users", json=body, headers=headers
        )
        prober.judge("miro", "POST", "/api/v1/scim/Users", response)
        return response

    statuses = sorted(r.status_code for r in _at_once(THREADS * 2, create))
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 400, 409}
    holders = [
        u for u in prober.lab.miro.dump()["users"] if u["data"]["userName"] == body["userName"]
    ]
    assert len(holders) == 1
    prober.check()


def test_the_same_user_principal_name_at_once(served: ServedHarness, prober: Prober) -> None:
    body = {
        "accountEnabled": True,
        "displayName": "Racer",
        "mailNickname": "racer",
        "userPrincipalName": "racer@contoso.onmicrosoft.com",
        "passwordProfile": {"password": "x-Y-1-z!"},
    }

    def create(n: int) -> httpx.Response:
        response = prober.client.post(
            prober.roots["graph"] + "/v1.0/users",
            json=body,
            headers={"Authorization": "Bearer any"},
        )
        prober.judge("graph", "POST", "/v1.0/users", response)
        return response

    statuses = sorted(r.status_code for r in _at_once(THREADS * 2, create))
    assert statuses.count(201) == 1, statuses
    prober.check()


def test_members_added_to_one_team_at_once(served: ServedHarness, prober: Prober) -> None:
    headers = _miro_headers(prober)
    root = prober.roots["miro"] + "/api/v1/scim"
    ids = []
    for n in range(THREADS * 2):
        created = prober.client.post(
            root + "/Users", json={"userName": f"member{n}@example.com"}, headers=headers
        )
        assert created.status_code == 201
        ids.append(created.json()["id"])
    team = prober.lab.miro.create_team("Race team")["id"]

    def add(n: int) -> httpx.Response:
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[n]}]}],
        }
        response = prober.client.patch(f"{root}/Groups/{team}", json=body, headers=headers)
        prober.judge("miro", "PATCH", "/api/v1/scim/Groups/x", response)
        return response

    assert {r.status_code for r in _at_once(len(ids), add)} == {200}
    members = {m["value"] for m in prober.lab.miro.get_group(team)["members"]}
    lost = set(ids) - members
    for uid in lost:
        prober.note("users_lost", f"team member {uid} lost in a race")
    prober.check()


def test_the_clock_advanced_at_once(served: ServedHarness, prober: Prober) -> None:
    start = prober.lab.clock.now()

    def advance(n: int) -> httpx.Response:
        response = prober.client.post(
            prober.roots["graph"] + "/_fake/clock",
            json={"advance": "10m"},
            headers=prober.control,
        )
        prober.judge("graph", "POST", "/_fake/clock", response)
        return response

    answers = _at_once(THREADS, advance)
    assert {r.status_code for r in answers} <= {200, 409}
    moved = sum(1 for r in answers if r.status_code == 200)
    assert moved >= 1
    assert prober.lab.clock.now() == start + timedelta(minutes=10) * moved
    now = datetime.fromisoformat(
        prober.client.get(prober.roots["graph"] + "/_fake/clock", headers=prober.control)
        .json()["now"]
        .replace("Z", "+00:00")
    )
    assert now == prober.lab.clock.now()
    prober.check()
