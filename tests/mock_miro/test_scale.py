"""100,000-user tenants: lookups go through indexes, and served fakes take concurrent requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import mock_miro.models.backend as models
from harness.servers import ServerThread
from mock_miro import DEFAULT_TOKEN, MiroBackend, create_app
from tests.support.miro import Scim, added_users


@pytest.fixture(scope="module")
def big() -> tuple[Scim, dict[str, Any]]:
    backend = MiroBackend()
    seeded = backend.seed(11, users=100_000, teams=["Design"])
    return Scim(create_app(backend)), seeded


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = models.matches

    def counting(*args: Any, **kwargs: Any) -> bool:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(models, "matches", counting)
    return calls


def test_seed_of_100k_has_unique_usernames(big: tuple[Scim, dict[str, Any]]) -> None:
    _, seeded = big
    names = [u["userName"] for u in seeded["users"]]
    assert len(names) == len(set(names)) == 100_000


def test_username_filter_uses_the_index(
    big: tuple[Scim, dict[str, Any]], counted: list[int]
) -> None:
    scim, seeded = big
    wanted = seeded["users"][77_777]
    body = scim.get("/Users", filter=f'userName eq "{wanted["userName"].upper()}"').get_json()
    assert [r["id"] for r in body["Resources"]] == [wanted["id"]]
    assert counted[0] <= 1  # one candidate evaluated, not 100,000
    scim.get("/Users", filter=f'id eq "{wanted["id"]}" and active eq true')
    scim.get("/Groups", filter='displayName eq "Design"', excludedAttributes="members")
    assert counted[0] <= 3


def test_a_late_page_is_served_without_evaluating_filters(
    big: tuple[Scim, dict[str, Any]], counted: list[int]
) -> None:
    scim, seeded = big
    # The token's owner comes first: 100,001 users; the last 100 start at 99,902.
    page = scim.get("/Users", startIndex="99902", count="200").get_json()
    assert page["totalResults"] == 100_001 and page["itemsPerPage"] == 100
    assert page["Resources"][-1]["id"] == seeded["users"][-1]["id"]
    assert counted[0] == 0


@pytest.fixture
def served() -> Iterator[tuple[ServerThread, MiroBackend]]:
    backend = MiroBackend()
    with ServerThread(create_app(backend), name="mock-miro-concurrency") as server:
        yield server, backend


def test_concurrent_creates_over_a_socket(served: tuple[ServerThread, MiroBackend]) -> None:
    server, backend = served
    errors: list[str] = []

    def worker(n: int) -> None:
        with httpx.Client(
            base_url=server.url + "/api/v1/scim",
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
        ) as http:
            for i in range(15):
                response = http.post("/Users", json={"userName": f"t{n}-{i}@x.com"})
                if response.status_code != 201:
                    errors.append(response.text)
            # Everyone races for the same name: exactly one wins.
            http.post("/Users", json={"userName": "race@x.com"})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(added_users(backend)) == 6 * 15 + 1
    default = backend.get_group(backend.org.default_team_id or "")
    assert len(default["members"]) == 92  # with the token's owner


def test_a_chunked_body_over_the_limit_is_413(served: tuple[ServerThread, MiroBackend]) -> None:
    server, backend = served

    def chunks(pad: int) -> Iterator[bytes]:
        yield b'{"userName": "chunk@x.com", "pad": "'
        yield b"x" * pad
        yield b'"}'

    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "application/scim+json"}
    with httpx.Client(base_url=server.url + "/api/v1/scim", headers=headers) as http:
        assert http.post("/Users", content=chunks(900_000)).status_code == 413
        assert added_users(backend) == {}
        assert "not recorded" in backend.journal[-1]["body"]
        assert http.post("/Users", content=chunks(10)).status_code == 201
