"""The served harness in-process: health, reset, state over HTTP, bad input, real time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from harness.serve.served import ServeConfig, ServedHarness


@pytest.fixture
def harness() -> Iterator[ServedHarness]:
    served = ServedHarness(ServeConfig(seed=2, users=6, groups=2)).start()
    try:
        yield served
    finally:
        served.close(save=False)


def graph(h: ServedHarness) -> str:
    return h.graph_listener.url


def users(h: ServedHarness) -> list[dict[str, object]]:
    response = httpx.get(graph(h) + "/v1.0/users", headers={"Authorization": "Bearer x"})
    return list(response.json()["value"])


def test_both_listeners_answer_health(harness: ServedHarness) -> None:
    for url in (graph(harness), harness.miro_listener.url):
        response = httpx.get(url + "/_fake/health")
        assert response.status_code == 200 and response.json()["status"] == "ok"
    assert httpx.get(graph(harness) + "/_fake/lab").json() == harness.ready_info()


def test_the_demo_tenant_is_the_same_for_the_same_seed(harness: ServedHarness) -> None:
    twin = ServedHarness(ServeConfig(seed=2, users=6, groups=2)).start()
    try:
        assert [u["id"] for u in users(twin)] == [u["id"] for u in users(harness)]
        assert len(users(harness)) == 6
        assert twin.ready_info()["job_id"] == harness.ready_info()["job_id"]
    finally:
        twin.close(save=False)


def test_reset_builds_a_fresh_lab_behind_the_same_ports(harness: ServedHarness) -> None:
    before = harness.ready_info()
    httpx.post(graph(harness) + "/_fake/clock", json={"advance": "1d"})
    response = httpx.post(graph(harness) + "/_fake/lab/reset", json={"demo": False, "seed": 9})
    assert response.status_code == 200
    after = response.json()
    assert (after["graph_url"], after["miro_url"]) == (before["graph_url"], before["miro_url"])
    assert after["seed"] == 9 and after["job_id"] != before["job_id"]
    assert users(harness) == []
    assert httpx.get(graph(harness) + "/_fake/clock").json()["now"] == "2026-01-05T09:00:00Z"
    # An empty body resets to the start-up shape: the demo tenant again.
    assert httpx.post(graph(harness) + "/_fake/lab/reset").status_code == 200
    assert len(users(harness)) == 6


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "not valid JSON"),
        (b"[1]", "must be a JSON object"),
        (b'{"colour": 1}', "unknown reset option(s): colour"),
        (b'{"seed": -1}', "'seed' must be a non-negative integer"),
        (b'{"demo": "yes"}', "'demo' must be true or false"),
        (b'{"settings": {"no_such_setting": true}}', "unknown engine setting(s): no_such_setting"),
        (b'{"settings": {"cycle_interval": "soon"}}', "cycle_interval"),
    ],
)
def test_bad_resets_are_refused_and_change_nothing(
    harness: ServedHarness, body: bytes, message: str
) -> None:
    before = harness.ready_info()
    response = httpx.post(
        graph(harness) + "/_fake/lab/reset",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest" and message in error["message"]
    assert harness.ready_info() == before
    assert len(users(harness)) == 6


def test_state_over_http_round_trips_and_bad_state_changes_nothing(harness: ServedHarness) -> None:
    state = httpx.get(graph(harness) + "/_fake/lab/state").json()
    httpx.post(graph(harness) + "/_fake/lab/reset", json={"demo": False})
    assert users(harness) == []
    assert httpx.put(graph(harness) + "/_fake/lab/state", json=state).status_code == 200
    assert len(users(harness)) == 6
    broken = dict(state, graph={"version": 1, "objects": [{"kind": "nonsense", "data": {}}]})
    response = httpx.put(graph(harness) + "/_fake/lab/state", json=broken)
    assert response.status_code == 400 and response.json()["error"]["code"] == "Request_BadRequest"
    assert len(users(harness)) == 6  # the previous lab is still mounted
    response = httpx.put(graph(harness) + "/_fake/lab/state", json={"format": "other"})
    assert (
        response.status_code == 400
        and "not a harness state file" in response.json()["error"]["message"]
    )


def test_unknown_control_routes_answer_in_graph_format(harness: ServedHarness) -> None:
    response = httpx.get(graph(harness) + "/_fake/lab/nothing")
    assert (
        response.status_code == 404
        and response.json()["error"]["code"] == "Request_ResourceNotFound"
    )
    response = httpx.get(graph(harness) + "/_fake/lab/reset")
    assert response.status_code == 405 and "error" in response.json()


def test_real_time_runs_cycles_on_the_wall_clock() -> None:
    served = ServedHarness(
        ServeConfig(seed=1, users=3, groups=1, start=True, realtime=True, speed=3600)
    ).start()
    try:
        started = datetime.now(UTC)
        deadline = time.monotonic() + 15
        job = ""
        while time.monotonic() < deadline:
            lab = served.current()
            job = lab.job()["status"]["lastExecution"]
            if job:
                break
            time.sleep(0.1)
        assert job, "no cycle ran within 15 s of wall time"
        clock = datetime.fromisoformat(
            httpx.get(graph(served) + "/_fake/clock").json()["now"].replace("Z", "+00:00")
        )
        # Virtual time starts at the wall clock and runs 3600 times faster.
        assert clock > started
        assert served.ready_info()["realtime"] is True
    finally:
        served.close(save=False)


def test_no_reset_while_a_cycle_runs(harness: ServedHarness) -> None:
    job = next(iter(harness.current().store.jobs.values()))
    job.running = True  # as the engine marks a job for the length of its cycle
    try:
        response = httpx.post(graph(harness) + "/_fake/lab/reset", json={"demo": False})
        assert response.status_code == 409 and response.json()["error"]["code"] == "Conflict"
        assert len(users(harness)) == 6
    finally:
        job.running = False
    assert httpx.post(graph(harness) + "/_fake/lab/reset", json={"demo": False}).status_code == 200
