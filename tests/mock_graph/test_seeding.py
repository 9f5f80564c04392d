"""Faker seeding: deterministic per seed, realistic, tricky users on request."""

from __future__ import annotations

import re
from typing import Any

from mock_graph import GraphBackend
from tests.support.graph import Clock


def seeded_backend(seed: int, **kw: Any) -> tuple[GraphBackend, dict[str, Any]]:
    backend = GraphBackend(clock=Clock().now)
    return backend, backend.seed(seed, **kw)


def test_same_seed_gives_identical_dump() -> None:
    a, ra = seeded_backend(42, users=40, groups=4, tricky=True)
    b, rb = seeded_backend(42, users=40, groups=4, tricky=True)
    assert ra == rb
    assert a.dump() == b.dump()


def test_different_seeds_differ() -> None:
    a, ra = seeded_backend(1, users=20, groups=2)
    b, rb = seeded_backend(2, users=20, groups=2)
    assert {u["id"] for u in ra["users"]}.isdisjoint({u["id"] for u in rb["users"]})
    assert [u["displayName"] for u in ra["users"]] != [u["displayName"] for u in rb["users"]]
    assert a.dump() != b.dump()


def test_seeding_twice_adds_without_collisions() -> None:
    backend, first = seeded_backend(3, users=10, groups=1)
    second = backend.seed(3, users=10, groups=1)
    assert len({u["id"] for u in first["users"] + second["users"]}) == 20
    upns = [u["userPrincipalName"].casefold() for u in first["users"] + second["users"]]
    assert len(set(upns)) == 20


def test_users_are_realistic() -> None:
    backend, result = seeded_backend(9, users=60, groups=3, domain="fabrikam.com")
    users = backend.list_objects("user", top=999, render=lambda o: o.data).items
    assert len(users) == 60
    for u in users:
        assert (
            u["userPrincipalName"].endswith("@fabrikam.com") and u["mail"] == u["userPrincipalName"]
        )
        assert re.fullmatch(r"[a-z0-9.'_-]+@fabrikam\.com", u["userPrincipalName"])
        assert u["displayName"] == f"{u['givenName']} {u['surname']}"
        assert u["department"] and u["jobTitle"] and re.fullmatch(r"\d{6}", u["employeeId"])
        assert u["usageLocation"] == "US" and u["mailNickname"]
    assert len({u["employeeId"] for u in users}) == 60
    managers = backend.dump()["managers"]
    assert len(managers) == 59  # everyone but the top of the tree has a manager
    assert [g["displayName"] for g in result["groups"]] == [
        "Engineering Team",
        "Sales Team",
        "Marketing Team",
    ]
    for g in result["groups"]:
        dept = g["displayName"].removesuffix(" Team")
        members = backend.member_ids(g["id"])
        assert len(members) == g["members"]
        assert all(backend.get(m)["department"] == dept for m in members)  # type: ignore[index]


def test_tricky_users_when_asked() -> None:
    backend, plain = seeded_backend(5, users=5, groups=0)
    assert plain["tricky"] == []
    backend, result = seeded_backend(5, users=5, groups=0, tricky=True)
    tricky = {t["why"]: backend.get(t["id"]) for t in result["tricky"]}
    assert "'" in tricky["apostrophe in name, UPN and mail"]["userPrincipalName"]  # type: ignore[index]
    assert tricky["diacritics in every name part"]["surname"] == "Núñez-Łukasiewicz"  # type: ignore[index]
    assert len(tricky["display name longer than 60 characters"]["displayName"]) > 60  # type: ignore[index]
    assert tricky["no mail"]["mail"] is None  # type: ignore[index]
    dupes = [t for w, t in tricky.items() if w.startswith("duplicate display name")]
    assert len(dupes) == 2 and dupes[0]["displayName"] == dupes[1]["displayName"]  # type: ignore[index]
    assert dupes[0]["userPrincipalName"] != dupes[1]["userPrincipalName"]  # type: ignore[index]
    assert tricky["disabled account"]["accountEnabled"] is False  # type: ignore[index]
    differs = tricky["userPrincipalName different from mail"]
    assert differs["mail"] != differs["userPrincipalName"]  # type: ignore[index]
    assert "#EXT#" in tricky["guest user (#EXT# UPN, external mail)"]["userPrincipalName"]  # type: ignore[index]


def test_seed_over_http_matches_python(client: Any) -> None:
    over_http = client.post(
        "/_fake/seed", json={"seed": 8, "users": 12, "groups": 2, "tricky": True}
    ).json
    _backend, in_python = seeded_backend(8, users=12, groups=2, tricky=True)
    assert over_http == in_python
