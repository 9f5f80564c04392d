"""The replay's directory writes without HTTP: the same directory, ids and refusals as the
driver's HTTP calls, and HTTP throughout where a case sets faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.cases.loader import load_case
from harness.lab.local import Lab
from harness.replay.direct import DirectDriver, driver_for
from harness.testing.driver import Driver


@pytest.fixture
def labs() -> Iterator[tuple[Lab, Lab]]:
    over_http, direct = Lab(7), Lab(7)
    yield over_http, direct
    over_http.close()
    direct.close()


def _directory(d: Driver) -> dict[str, Any]:
    users = d.graph.get("/v1.0/users", params={"$top": "999"}).json()["value"]
    return {"users": users, "assignments": d.assignments()}


def _graph_error(message: str) -> dict[str, Any]:
    """Method, URL, status and Graph's error (without its request ids, which count requests)."""
    head, body = message.split(": ", 1)
    error = json.loads(body)["error"]
    return {"request": head, "code": error["code"], "message": error["message"]}


def _play(d: Driver) -> None:
    d.add_user("ann", department="Design")
    d.add_user("ben", jobTitle="Engineer")
    d.add_user("cat")
    d.assign("ann")
    d.assign("ben", role="Default Access")
    d.update_user("ann", department="Sales", officeLocation="Berlin")
    d.disable("ben")


def test_direct_writes_give_the_same_directory_and_ids(labs: tuple[Lab, Lab]) -> None:
    over_http = Driver(labs[0])
    direct = DirectDriver(labs[1], graph_model=labs[1].graph)
    _play(over_http)
    _play(direct)
    assert direct.direct_writes == 7
    assert direct.names == over_http.names
    assert _directory(direct) == _directory(over_http)
    # The engine reads the changes as it would have: the same delta.
    delta = "/v1.0/users/delta"
    assert direct.graph.get(delta).json()["value"] == over_http.graph.get(delta).json()["value"]


def test_a_refused_write_fails_as_over_http(labs: tuple[Lab, Lab]) -> None:
    over_http = Driver(labs[0])
    direct = DirectDriver(labs[1], graph_model=labs[1].graph)
    for d in (over_http, direct):
        d.add_user("ann")
    errors = []
    for d in (over_http, direct):
        with pytest.raises(AssertionError) as refused:
            d.update_user("ann", accountEnabled=None)
        errors.append(_graph_error(str(refused.value)))
        with pytest.raises(AssertionError) as taken:
            d.add_user("ann")  # the UPN is taken
        errors.append(_graph_error(str(taken.value)))
    assert errors[:2] == errors[2:]
    assert "accountEnabled" in errors[0]["message"]
    assert direct.direct_writes == 1
    assert _directory(direct) == _directory(over_http)


def test_cases_with_faults_are_played_over_http(tmp_path: Path, labs: tuple[Lab, Lab]) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        "title: t\nsteps:\n  - sync\nexpect:\n  miro:\n    users: []\n", encoding="utf-8"
    )
    faulty = tmp_path / "faulty.yaml"
    faulty.write_text(
        "title: t\nsteps:\n  - fault: {method: PATCH, path: /v1.0/users/.*, status: 503}\n"
        "  - sync\nexpect:\n  miro:\n    users: []\n",
        encoding="utf-8",
    )
    assert type(driver_for(labs[0], load_case(plain))) is DirectDriver
    assert type(driver_for(labs[0], load_case(faulty))) is Driver
