"""Raw request speed: the same SCIM sequence (POST a user, GET it by ``userName eq`` filter,
PATCH it) against the Miro fake, scim2-server (the reference Python SCIM server) and a bare Flask
route returning a constant JSON body (the ceiling for any Flask app), all in-process through
httpx's WSGI transport, each pre-loaded with the same number of users.

A plain WSGI callable answering a constant body is timed too: it is the cost of the client and
transport alone, the floor under every figure here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from flask import Flask

import mock_miro
from harness.bench.progress import Progress

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ROUNDS = 3  # interleaved: the best round per target evens out a noisy, shared machine
WARM_UP = 20


@dataclass
class Target:
    name: str
    client: httpx.Client
    prefix: str  # path of /Users' parent


def _user(tag: str, i: int) -> dict[str, Any]:
    name = f"raw.{tag}{i:07d}@example.com"
    return {
        "schemas": [USER_SCHEMA],
        "userName": name,
        "displayName": f"Raw {i}",
        "name": {"givenName": "Raw", "familyName": f"User{i}"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    }


def _miro(users: int) -> Target:
    # Raw request throughput: Miro's rate limits (on by default) would answer 429 after the
    # first 200 GETs of a 30-second window, so they are off here.
    app = mock_miro.create_app(settings={"rate_limits": False})
    app.extensions["mock_miro"].seed(1, users=users)
    client = httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url="http://miro.local",
        headers={"Authorization": f"Bearer {mock_miro.DEFAULT_TOKEN}"},
    )
    return Target("miro_fake", client, "/api/v1/scim")


def _scim2_server(users: int, progress: Progress) -> Target:
    # scim2-server is a test extra, not a dependency of the harness: imported when measured.
    from scim2_models import Resource
    from scim2_server.applications.wsgi import WSGIApplication
    from scim2_server.memory import InMemoryStorage
    from scim2_server.utils import load_default_provider

    provider = load_default_provider()
    storage = InMemoryStorage()
    resource_type = next(rt for rt in provider.resource_types if rt.endpoint == "/Users")
    model = provider.model_for_endpoint("/Users")
    if model is None or not issubclass(model, Resource):
        raise RuntimeError(f"scim2-server has no resource model for /Users: {model!r}")
    progress.begin(f"seeding scim2-server with {users:,} users", total=users)
    for i in range(users):
        body = _user("seed", i)
        body.pop("schemas")
        storage.create(resource_type, model.model_validate(body))
        progress.add()
    progress.end()
    app = WSGIApplication(storage, provider)
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://scim2.local")
    return Target("scim2_server", client, "/v2")


_CONSTANT = json.dumps(
    {"schemas": [USER_SCHEMA], "id": "1", "userName": "constant@example.com", "active": True}
).encode()


def _bare_flask() -> Target:
    app = Flask("bench_ceiling")

    @app.route("/Users", methods=["GET", "POST"])
    @app.route("/Users/<uid>", methods=["PATCH"])
    def constant(uid: str | None = None) -> Any:
        return app.response_class(_CONSTANT, mimetype="application/scim+json")

    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://flask.local")
    return Target("bare_flask", client, "")


def _bare_wsgi() -> Target:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(_CONSTANT)))],
        )
        return [_CONSTANT]

    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://wsgi.local")
    return Target("bare_wsgi", client, "")


def _expect(response: httpx.Response, target: Target, *codes: int) -> httpx.Response:
    if response.status_code not in codes:
        raise RuntimeError(
            f"{target.name}: {response.request.method} {response.request.url} -> "
            f"{response.status_code} {response.text[:300]}"
        )
    return response


def _sequence(target: Target, i: int) -> None:
    body = _user("run", i)
    created = _expect(target.client.post(f"{target.prefix}/Users", json=body), target, 200, 201)
    uid = created.json()["id"]
    found = target.client.get(
        f"{target.prefix}/Users", params={"filter": f'userName eq "{body["userName"]}"'}
    )
    _expect(found, target, 200)
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "displayName", "value": f"Patched {i}"}],
    }
    _expect(target.client.patch(f"{target.prefix}/Users/{uid}", json=patch), target, 200, 204)


def miro_rate(users: int, sequences: int) -> dict[str, Any]:
    """The Miro fake's raw rate alone: ``sequences`` runs of the sequence after a warm-up, with
    the CPU seconds they took. A cycle's process measures it beside its cycle (see
    ``cycles.run``), so the two rates share the process, the moment and the machine's load."""
    target = _miro(users)
    try:
        for i in range(WARM_UP):
            _sequence(target, i)
        cpu_began = time.process_time()
        for i in range(WARM_UP, WARM_UP + sequences):
            _sequence(target, i)
        return {"requests": 3 * sequences, "cpu_s": round(time.process_time() - cpu_began, 4)}
    finally:
        target.client.close()


def run(users: int, sequences: int, progress: Progress) -> dict[str, Any]:
    """``sequences`` runs of the 3-request sequence per target, in interleaved rounds."""
    built: dict[str, float] = {}
    targets: list[Target] = []
    for name, make in (
        ("miro_fake", lambda: _miro(users)),
        ("scim2_server", lambda: _scim2_server(users, progress)),
        ("bare_flask", _bare_flask),
        ("bare_wsgi", _bare_wsgi),
    ):
        began = time.perf_counter()
        targets.append(make())
        built[name] = round(time.perf_counter() - began, 3)
    per_round = max(1, sequences // ROUNDS)
    best: dict[str, float] = {}
    cpu_best: dict[str, float] = {}
    counter = {t.name: 0 for t in targets}
    for target in targets:
        for _ in range(WARM_UP):
            _sequence(target, counter[target.name])
            counter[target.name] += 1
    progress.begin(
        f"raw SCIM sequence, {users:,} users preloaded", total=ROUNDS * per_round * 3 * len(targets)
    )
    for _ in range(ROUNDS):
        for target in targets:
            began, cpu_began = time.perf_counter(), time.process_time()
            for _ in range(per_round):
                _sequence(target, counter[target.name])
                counter[target.name] += 1
                progress.add(3)
            rate = 3 * per_round / (time.perf_counter() - began)
            cpu_rate = 3 * per_round / max(time.process_time() - cpu_began, 1e-9)
            best[target.name] = max(best.get(target.name, 0.0), rate)
            cpu_best[target.name] = max(cpu_best.get(target.name, 0.0), cpu_rate)
    progress.end()
    for target in targets:
        target.client.close()
    miro, reference, ceiling = best["miro_fake"], best["scim2_server"], best["bare_flask"]
    return {
        "users_preloaded": users,
        "sequences_per_round": per_round,
        "rounds": ROUNDS,
        "requests_per_s": {k: round(v, 1) for k, v in best.items()},
        # Requests per CPU second: the same comparison, insensitive to other load on the machine.
        "requests_per_cpu_s": {k: round(v, 1) for k, v in cpu_best.items()},
        "setup_s": built,
        "miro_vs_scim2_server": round(miro / reference, 2),
        "miro_vs_bare_flask": round(miro / ceiling, 3),
        "cpu_miro_vs_scim2_server": round(cpu_best["miro_fake"] / cpu_best["scim2_server"], 2),
        "cpu_miro_vs_bare_flask": round(cpu_best["miro_fake"] / cpu_best["bare_flask"], 3),
    }
