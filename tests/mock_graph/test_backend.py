"""The state object used directly from Python: indexes, thread safety, dump/load, scale."""

from __future__ import annotations

import threading
import time

import pytest

from mock_graph import GraphBackend, GraphError
from tests.support.graph import Clock, user_body


def test_lookup_by_id_and_upn_index() -> None:
    b = GraphBackend(clock=Clock().now)
    user = b.create_user(user_body("Mixed.Case@Contoso.onmicrosoft.com"))
    assert b.user_by_upn("mixed.case@contoso.onmicrosoft.com")["id"] == user["id"]  # type: ignore[index]
    assert b.get(user["id"].upper(), "user")["id"] == user["id"]  # type: ignore[index]
    b.update_user(user["id"], {"userPrincipalName": "renamed@contoso.onmicrosoft.com"})
    assert b.user_by_upn("Mixed.Case@Contoso.onmicrosoft.com") is None
    with pytest.raises(GraphError) as err:
        b.create_user(user_body("RENAMED@contoso.onmicrosoft.com"))
    assert err.value.status == 400


def test_ids_are_deterministic_guids() -> None:
    a = GraphBackend(clock=Clock().now)
    b = GraphBackend(clock=Clock().now)
    ua = a.create_user(user_body("x@contoso.onmicrosoft.com"))
    ub = b.create_user(user_body("x@contoso.onmicrosoft.com"))
    assert ua["id"] == ub["id"]
    _app, sp = a.create_enterprise_app("Miro")
    assignment = a.assign_app_role(ua["id"], sp["id"])
    assert len(assignment["id"]) == 43  # base64url of 32 bytes, no padding


def test_load_is_all_or_nothing() -> None:
    b = GraphBackend(clock=Clock().now)
    b.seed(1, users=5, groups=1)
    before = b.dump()
    broken = dict(before, objects=[*before["objects"], {"kind": "user", "data": {"id": 5}}])
    with pytest.raises(GraphError):
        b.load(broken)
    assert b.dump() == before
    fresh = GraphBackend(clock=Clock().now)
    fresh.load(before)
    assert fresh.dump() == before


def test_concurrent_writers_keep_indexes_consistent() -> None:
    b = GraphBackend(clock=Clock().now)
    group = b.create_group(
        {"displayName": "G", "mailEnabled": False, "mailNickname": "g", "securityEnabled": True}
    )
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                u = b.create_user(user_body(f"t{n}-{i}@contoso.onmicrosoft.com"))
                b.add_member(group["id"], u["id"])
                if i % 5 == 0:
                    b.delete_user(u["id"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert b.counts()["user"] == 8 * 40 and b.counts()["deleted"] == 8 * 10
    assert len(b.member_ids(group["id"])) == 8 * 40
    ids = b.dump()["objects"]
    assert len({o["data"]["id"] for o in ids}) == len(ids)


def test_large_tenant_reads_are_indexed() -> None:
    """20,000 users: a page, a UPN lookup and a delta of one change stay fast."""
    b = GraphBackend(clock=Clock().now)
    seeded = b.seed(12, users=20_000, groups=1)
    start = time.perf_counter()
    for _ in range(20):
        b.list_objects(
            "user", top=999, cursor={"after": seeded["users"][100]["id"]}, render=lambda o: o.data
        )
    paging = (time.perf_counter() - start) / 20
    start = time.perf_counter()
    for u in seeded["users"][:200]:
        assert b.user_by_upn(u["userPrincipalName"]) is not None
    lookups = (time.perf_counter() - start) / 200
    since = b.seq
    b.update_user(seeded["users"][7]["id"], {"jobTitle": "New"})
    start = time.perf_counter()
    items, nxt, final = b.delta("user", {"s": since}, ["jobTitle"])
    delta_time = time.perf_counter() - start
    assert items == [{"id": seeded["users"][7]["id"], "jobTitle": "New"}] and nxt is None and final
    assert paging < 0.05 and lookups < 0.001 and delta_time < 0.01, (paging, lookups, delta_time)
