"""The control-plane blueprint: one shape for every fake, the fake's own errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from fakekit import ControlError, FaultBook, Journal, RawBody
from fakekit.control import control_blueprint


class Toy:
    """The smallest fake the control plane can drive: a dict of things and one setting."""

    def __init__(self) -> None:
        self.things: dict[str, int] = {}
        self.settings: dict[str, Any] = {"loud": False}

    def reset(self) -> None:
        self.things.clear()
        self.settings = {"loud": False}

    def seed(self, options: dict[str, Any]) -> Any:
        count = options.get("things", 1)
        if not isinstance(count, int):
            raise ControlError(400, "things must be an integer")
        for n in range(count):
            self.things[f"t{n}"] = n
        return {"things": sorted(self.things)}

    def state_json(self) -> str:
        return json.dumps({"things": self.things})

    def load_state(self, state: Any) -> dict[str, Any]:
        if not isinstance(state, dict) or not isinstance(state.get("things"), dict):
            raise ControlError(400, "a dump has things")
        self.things = dict(state["things"])
        return {"counts": {"things": len(self.things)}}

    def read_settings(self) -> dict[str, Any]:
        return dict(self.settings)

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        if set(changes) - {"loud"}:
            raise ControlError(400, "unknown setting")
        self.settings.update(changes)
        return dict(self.settings)


@pytest.fixture
def app() -> Flask:
    app = Flask("toy")
    toy, journal, faults = Toy(), Journal(), FaultBook()
    app.extensions.update({"toy": toy, "toy.journal": journal, "toy.faults": faults})

    def refused(err: ControlError) -> Response:
        body = json.dumps({"toyError": err.message})
        return Response(body, status=err.status, content_type="application/toy+json")

    app.register_blueprint(
        control_blueprint(
            "toy_fake",
            fake=lambda: toy,
            journal=lambda: journal,
            faults=lambda: faults,
            render_error=refused,
            content_type="application/toy+json",
        )
    )
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_reset_answers_both_historic_shapes_and_empties_everything(
    app: Flask, client: FlaskClient
) -> None:
    client.post("/_fake/seed", json={"things": 2})
    client.post("/_fake/faults", json={"status": 500})
    app.extensions["toy.journal"].record({"path": "/x"})
    reset = client.post("/_fake/reset")
    assert reset.status_code == 200 and reset.json == {"reset": True, "status": "reset"}
    assert reset.content_type == "application/toy+json"
    assert app.extensions["toy"].things == {}
    assert client.get("/_fake/journal").json == {"requests": []}
    assert client.post("/_fake/faults", json={"status": 500}).json["id"] == "fault-1"


def test_seed_takes_an_optional_object(client: FlaskClient) -> None:
    assert client.post("/_fake/seed").json == {"things": ["t0"]}
    assert client.post("/_fake/seed", json={"things": 2}).json == {"things": ["t0", "t1"]}
    for bad in ([1], "x"):
        refused = client.post("/_fake/seed", json=bad)
        assert refused.status_code == 400 and "toyError" in refused.json


def test_state_round_trip_and_load_summary(client: FlaskClient) -> None:
    client.post("/_fake/seed", json={"things": 3})
    dump = client.get("/_fake/state")
    assert dump.content_type == "application/toy+json"
    client.post("/_fake/reset")
    loaded = client.put("/_fake/state", json=dump.json)
    assert loaded.json == {"loaded": True, "status": "loaded", "counts": {"things": 3}}
    assert client.get("/_fake/state").json == dump.json
    for bad in (b"", b"{", b"[1]"):
        assert client.put("/_fake/state", data=bad).status_code == 400


def test_journal_reads_decoded_and_clears_with_a_count(app: Flask, client: FlaskClient) -> None:
    app.extensions["toy.journal"].record(
        {"path": "/x", "body": RawBody.keep(b'{"a": 1}', "application/json")}
    )
    assert client.get("/_fake/journal").json == {"requests": [{"path": "/x", "body": {"a": 1}}]}
    cleared = client.delete("/_fake/journal")
    assert cleared.json == {"cleared": True, "count": 1}


def test_faults_add_list_remove_and_clear(client: FlaskClient) -> None:
    added = client.post("/_fake/faults", json={"method": "GET", "path": "^/a$", "status": 503})
    assert added.status_code == 201
    body = added.json
    assert body["id"] == "fault-1" and body["fault"]["id"] == "fault-1"
    assert {k: v for k, v in body.items() if k != "fault"} == body["fault"]
    assert client.get("/_fake/faults").json == {"faults": [body["fault"]]}
    assert client.delete("/_fake/faults/fault-1").json == {"removed": "fault-1"}
    missing = client.delete("/_fake/faults/fault-1")
    assert missing.status_code == 404 and "toyError" in missing.json
    client.post("/_fake/faults", json={"status": 500})
    assert client.delete("/_fake/faults").json == {"cleared": True, "status": "cleared"}
    assert client.get("/_fake/faults").json == {"faults": []}


def test_refused_faults_change_nothing(client: FlaskClient) -> None:
    for bad in ({"path": "("}, {}, [1]):
        refused = client.post("/_fake/faults", json=bad)
        assert refused.status_code == 400 and refused.content_type == "application/toy+json"
    assert (
        client.post("/_fake/faults", data="{", content_type="application/json")
        .json["toyError"]
        .startswith("The request body is not valid JSON")
    )
    assert client.get("/_fake/faults").json == {"faults": []}


def test_settings_read_and_partial_update(client: FlaskClient) -> None:
    assert client.get("/_fake/settings").json == {"loud": False}
    assert client.put("/_fake/settings", json={"loud": True}).json == {"loud": True}
    assert client.put("/_fake/settings", json={"colour": 1}).status_code == 400
    assert client.put("/_fake/settings", json=[1]).status_code == 400
    assert client.put("/_fake/settings").status_code == 400


def test_a_lone_surrogate_is_refused_before_it_is_stored(client: FlaskClient) -> None:
    raw = b'{"status": 500, "path": "\\ud800"}'
    refused = client.post("/_fake/faults", data=raw, content_type="application/json")
    assert refused.status_code == 400
    assert client.get("/_fake/faults").json == {"faults": []}
