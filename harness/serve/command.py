"""``harness serve``: the Graph fake (with the synchronization API and provisioning logs), the
Miro fake and the engine as real servers, for non-Python clients and support reproductions.

Two listeners stay up for the life of the process (``--graph-port``, ``--miro-port``); behind
them a :class:`~harness.lab.local.Lab` built with ``served=True`` is mounted, so the engine reaches
both fakes over TCP at exactly the URLs clients use. ``POST /_fake/lab/reset`` builds a fresh
lab behind the same ports (the container backend resets this way between tests).

Added to the Graph listener (not to the fakes' own apps): ``GET /_fake/health``,
``GET /_fake/lab`` (the ready-file object), ``POST /_fake/lab/reset``, ``GET/PUT /_fake/lab/state``
(both fakes, the clock and the engine in one object). The Miro listener answers
``GET /_fake/health`` too.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import click
from flask import Flask, Response, request

import mock_miro
from harness.engine.service import AdvanceError
from harness.engine.settings import EngineSettings
from harness.lab.local import SCIM_PATH, Lab
from harness.lab.state_files import (
    StateFileError,
    dump_lab_state,
    load_lab_state,
    read_state_file,
    write_json_atomically,
)
from harness.request_body import json_object
from harness.servers import (
    PRODUCTION_SERVER,
    SERVER_KINDS,
    AccessLog,
    AppSlot,
    Mount,
    ServerStartError,
    ServerThread,
    mounted_on,
)

log = logging.getLogger("harness.serve")

GRAPH_VERSION_PATH = "/v1.0"
HEALTH_PATH = "/_fake/health"
LAB_PATH = "/_fake/lab"
DEMO_USERS = 12
DEMO_GROUPS = 3
REALTIME_TICK = 0.25  # wall seconds between real-time clock steps
CLOSE_CYCLE_WAIT = 30.0  # seconds a shutdown waits for a running cycle
WSGIApp = Callable[..., Any]


class LabBusy(RuntimeError):
    """The lab cannot be replaced now (a cycle is running)."""


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    graph_port: int = 0
    miro_port: int = 0
    start: bool = False
    empty: bool = False
    seed: int = 0
    users: int = DEMO_USERS
    groups: int = DEMO_GROUPS
    miro_token: str = mock_miro.DEFAULT_TOKEN
    ready_file: Path | None = None
    state_file: Path | None = None
    realtime: bool = False
    speed: float = 1.0
    server: str = PRODUCTION_SERVER
    threads: int = 8
    engine_settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class LabSpec:
    """What a (re)built lab looks like: as at start, or as a reset asks."""

    seed: int
    demo: bool
    users: int
    groups: int
    engine_settings: dict[str, Any]
    miro_settings: dict[str, Any]


class ServedHarness:
    """Listeners, the current lab behind them, the real-time ticker, and the state file."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self.lab: Lab | None = None
        self.spec = LabSpec(
            config.seed,
            not config.empty,
            config.users,
            config.groups,
            dict(config.engine_settings),
            {},
        )
        self._graph_slot = AppSlot("the Graph fake")
        self._miro_slot = AppSlot("the Miro fake")
        control = _control_app(self)
        self.graph_listener = ServerThread(
            AccessLog(_Router(control, {HEALTH_PATH, LAB_PATH}, self._graph_slot), "graph"),
            config.host,
            config.graph_port,
            name="graph-listener",
            server=config.server,
            threads=config.threads,
        )
        self.miro_listener = ServerThread(
            AccessLog(_Router(control, {HEALTH_PATH}, self._miro_slot), "miro"),
            config.host,
            config.miro_port,
            name="miro-listener",
            server=config.server,
            threads=config.threads,
        )
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> ServedHarness:
        self.graph_listener.start()
        try:
            self.miro_listener.start()
            state_file = self.config.state_file
            saved = read_state_file(state_file) if state_file and state_file.exists() else None
            self.build(self.spec, saved_state=saved)
            if self.config.start:
                self.current().start()
            if self.config.realtime:
                self._start_ticker()
            if self.config.ready_file:
                write_json_atomically(self.config.ready_file, self.ready_info())
        except BaseException:
            self.close(save=False)
            raise
        return self

    def build(self, spec: LabSpec, saved_state: dict[str, Any] | None = None) -> Lab:
        """A fresh lab mounted behind the listeners; the previous one (if any) is closed."""
        if saved_state is not None and isinstance(saved_state.get("seed"), int):
            # A saved lab keeps its own seed (its ids and app roles derive from it).
            spec = dataclasses.replace(spec, seed=saved_state["seed"])
        with self._lock:
            current = self.lab
            if current is not None:
                with current.store.lock:
                    if any(job.running for job in current.store.jobs.values()):
                        # Its cycle would go on calling the new lab, which has the same ports.
                        raise LabBusy("a provisioning cycle is running; retry when it ends")
            mounts = {
                "graph": Mount(self.graph_listener, self._graph_slot),
                "miro": Mount(self.miro_listener, self._miro_slot),
            }
            miro_settings = {"token": self.config.miro_token, **spec.miro_settings}
            with mounted_on(mounts):
                lab = Lab(
                    spec.seed, served=True, miro_settings=miro_settings, **spec.engine_settings
                )
            try:
                self._point_job_at_token(lab, str(lab.miro.settings.token))
                if saved_state is not None:
                    load_lab_state(lab, saved_state)
                    self._point_job_at_token(lab, str(lab.miro.settings.token), secrets=False)
                elif spec.demo:
                    seed_demo(lab, spec.users, spec.groups)
                if self.config.realtime and saved_state is None:
                    # A fresh real-time lab starts at the wall clock; a saved one goes on from
                    # its own time (a jump of months would purge and re-run what it holds).
                    wall = datetime.now(UTC).replace(microsecond=0)
                    if wall > lab.clock.now():
                        lab.clock.set(wall)
            except BaseException:
                lab.close()
                if self.lab is not None:  # the failed lab had taken the slots: hand them back
                    self._graph_slot.mount(self.lab.graph_app)
                    self._miro_slot.mount(self.lab.miro_app)
                raise
            previous, self.lab = self.lab, lab
            if previous is not None:
                previous.close()  # its servers were mounts: the new lab's apps stay mounted
            self.spec = spec
            return lab

    @staticmethod
    def _point_job_at_token(lab: Lab, token: str, *, secrets: bool = True) -> None:
        if secrets:
            lab.store.put_secrets(
                lab.service_principal_id, [{"key": "SecretToken", "value": token}]
            )
        lab.miro_client.headers["Authorization"] = f"Bearer {token}"

    def current(self) -> Lab:
        lab = self.lab
        if lab is None:
            raise RuntimeError("the harness is not running")
        return lab

    def reset(self, body: Mapping[str, Any]) -> Lab:
        unknown = set(body) - {"seed", "demo", "users", "groups", "settings", "miro_settings"}
        if unknown:
            raise ValueError(f"unknown reset option(s): {', '.join(sorted(unknown))}")
        spec = LabSpec(
            seed=_int(body.get("seed", self.config.seed), "seed"),
            demo=_bool(body.get("demo", not self.config.empty), "demo"),
            users=_int(body.get("users", self.config.users), "users"),
            groups=_int(body.get("groups", self.config.groups), "groups"),
            engine_settings=_object(body.get("settings", self.config.engine_settings), "settings"),
            miro_settings=_object(body.get("miro_settings", {}), "miro_settings"),
        )
        EngineSettings().updated(spec.engine_settings)  # unknown names and bad values: 400
        return self.build(spec)

    def ready_info(self) -> dict[str, Any]:
        lab = self.current()
        graph_root, miro_root = self.graph_listener.url, self.miro_listener.url
        return {
            "graph_url": graph_root + GRAPH_VERSION_PATH,
            "miro_url": miro_root + SCIM_PATH,
            "miro_token": str(lab.miro.settings.token),
            "tenant_id": str(lab.graph.tenant_id),
            "service_principal_id": lab.service_principal_id,
            "job_id": lab.job_id,
            "clock_url": graph_root + "/_fake/clock",
            "app_roles": dict(lab.app_roles),
            "health_url": graph_root + HEALTH_PATH,
            "reset_url": graph_root + LAB_PATH + "/reset",
            "state_url": graph_root + LAB_PATH + "/state",
            "seed": lab.seed,
            "realtime": self.config.realtime,
            "speed": self.config.speed if self.config.realtime else None,
            "server": self.config.server,
            "pid": os.getpid(),
        }

    def wait(self) -> None:
        self._stop.wait()

    def request_stop(self) -> None:
        self._stop.set()

    def close(self, *, save: bool = True) -> None:
        """Stop the ticker, save the state (``--state``), stop the lab and the listeners."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(5)
            self._ticker = None
        with self._lock:
            lab, self.lab = self.lab, None
            try:
                if lab is not None:
                    _wait_for_cycles(lab, CLOSE_CYCLE_WAIT)
                if lab is not None and save and self.config.state_file is not None:
                    write_json_atomically(self.config.state_file, dump_lab_state(lab))
                    log.info("state saved to %s", self.config.state_file)
            finally:
                if lab is not None:
                    lab.close()
                self.graph_listener.stop()
                self.miro_listener.stop()
                if self.config.ready_file is not None:
                    self.config.ready_file.unlink(missing_ok=True)

    # -- real time ------------------------------------------------------------------------

    def _start_ticker(self) -> None:
        self._ticker = threading.Thread(target=self._tick, name="realtime-clock", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        """Move the lab's clock with the wall clock (times ``speed``), running due cycles."""
        last = time.monotonic()
        owed = 0.0
        while not self._stop.wait(REALTIME_TICK):
            now = time.monotonic()
            owed += (now - last) * self.config.speed
            last = now
            lab = self.lab
            if lab is None:
                continue
            try:
                cycles = lab.service.advance(timedelta(seconds=owed))
                owed = 0.0
            except AdvanceError:
                continue  # someone is advancing by hand; catch up on the next tick
            except Exception:
                log.exception("a real-time cycle failed")
                owed = 0.0
                continue
            for cycle in cycles:
                log.info("cycle ran: %s", json.dumps(cycle, default=str)[:500])


def _wait_for_cycles(lab: Lab, timeout: float) -> None:
    """Let a running cycle end (bounded) so a saved state is never taken halfway through one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lab.store.lock:
            if not any(job.running for job in lab.store.jobs.values()):
                return
        time.sleep(0.05)
    log.warning("a cycle was still running after %.0fs; saving anyway", timeout)


# -- demo tenant ----------------------------------------------------------------------------


def seed_demo(lab: Lab, users: int, groups: int) -> dict[str, Any]:
    """A small tenant a newcomer can watch at once: Faker users and groups, two users in three
    and every group assigned to Miro with the ``User`` role, and a Miro team named like each
    group (so the first cycle matches them instead of creating them)."""
    created = lab.graph.seed(seed=lab.seed, users=users, groups=groups)
    role = lab.app_roles.get("User")
    assigned_users = [u["id"] for i, u in enumerate(created["users"]) if i % 3 != 2]
    assigned_groups = [g["id"] for g in created["groups"]]
    for principal in (*assigned_users, *assigned_groups):
        lab.graph.assign_app_role(principal, lab.service_principal_id, role)
    team_names = [g["displayName"] for g in created["groups"]]
    if team_names:
        lab.miro.seed(lab.seed, 0, team_names)
    return {
        "users": len(created["users"]),
        "assignedUsers": len(assigned_users),
        "groups": len(assigned_groups),
        "teams": team_names,
    }


# -- the control routes on the listeners ----------------------------------------------------


class _Router:
    """Sends the serve-level control paths to ``control``, everything else to the lab slot."""

    def __init__(self, control: WSGIApp, prefixes: set[str], fallback: WSGIApp) -> None:
        self.control = control
        self.prefixes = tuple(sorted(prefixes))
        self.fallback = fallback

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if any(path == p or path.startswith(p + "/") for p in self.prefixes):
            return self.control(environ, start_response)  # type: ignore[no-any-return]
        return self.fallback(environ, start_response)  # type: ignore[no-any-return]


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _graph_error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message, "innerError": {}}}, status)


def _control_app(harness: ServedHarness) -> Flask:
    app = Flask("harness_serve")

    @app.errorhandler(404)
    def _not_found(exc: Exception) -> Response:
        return _graph_error(404, "Request_ResourceNotFound", f"No control route {request.path}.")

    @app.errorhandler(405)
    def _not_allowed(exc: Exception) -> Response:
        return _graph_error(
            405, "Request_BadRequest", f"{request.method} is not allowed on {request.path}."
        )

    @app.get(HEALTH_PATH)
    def health() -> Response:
        lab = harness.lab
        if lab is None:
            return _json({"status": "starting"}, 503)
        with lab.store.lock:
            jobs = len(lab.store.jobs)
        return _json(
            {
                "status": "ok",
                "graph": "ok",
                "miro": "ok",
                "jobs": jobs,
                "now": lab.clock.now().isoformat(),
            }
        )

    @app.get(LAB_PATH)
    def info() -> Response:
        return _json(harness.ready_info())

    @app.post(LAB_PATH + "/reset")
    def reset() -> Response:
        try:
            body = _body_object()
            harness.reset(body)
        except ValueError as exc:
            return _graph_error(400, "Request_BadRequest", str(exc))
        except LabBusy as exc:
            return _graph_error(409, "Conflict", str(exc))
        return _json(harness.ready_info())

    @app.get(LAB_PATH + "/state")
    def get_state() -> Response:
        return _json(dump_lab_state(harness.current()))

    @app.put(LAB_PATH + "/state")
    def put_state() -> Response:
        try:
            state = _body_object()
            harness.build(harness.spec, saved_state=state)
        except ValueError as exc:  # StateFileError and the fakes' bad-request errors
            return _graph_error(400, "Request_BadRequest", str(exc))
        except LabBusy as exc:
            return _graph_error(409, "Conflict", str(exc))
        except Exception as exc:
            if getattr(exc, "status", None) == 400 or getattr(exc, "code", None) == 400:
                return _graph_error(400, "Request_BadRequest", str(exc))
            raise
        return _json(harness.ready_info())

    return app


def _body_object() -> dict[str, Any]:
    return json_object(request.get_data(), ValueError)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'{name}' must be a non-negative integer")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"'{name}' must be true or false")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"'{name}' must be a JSON object")
    return dict(value)


# -- the command ----------------------------------------------------------------------------


def _install_signal_handlers(harness: ServedHarness) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        harness.request_stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


@click.command(name="serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (0.0.0.0 in a container).",
)
@click.option(
    "--graph-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the Graph fake (0 = a free port).",
)
@click.option(
    "--miro-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the Miro fake (0 = a free port).",
)
@click.option("--start", "start_job", is_flag=True, help="Start the Miro provisioning job at once.")
@click.option(
    "--empty", is_flag=True, help="Start with an empty tenant (no demo users, groups, teams)."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the demo tenant and of every generated id.",
)
@click.option(
    "--users",
    type=click.IntRange(min=0),
    default=DEMO_USERS,
    show_default=True,
    help="Demo users in the directory.",
)
@click.option(
    "--groups",
    type=click.IntRange(min=0),
    default=DEMO_GROUPS,
    show_default=True,
    help="Demo groups in the directory (each gets a matching Miro team).",
)
@click.option(
    "--miro-token",
    default=mock_miro.DEFAULT_TOKEN,
    show_default=True,
    help="The bearer token the Miro fake accepts (and the job sends).",
)
@click.option(
    "--ready-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the URLs, token and ids as JSON here once both servers answer.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load this state at start if it exists; save both fakes, the clock and the "
    "job into it on exit.",
)
@click.option(
    "--realtime", is_flag=True, help="Run cycles on the wall clock instead of a virtual one."
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="With --realtime: how many times faster than the wall clock.",
)
@click.option(
    "--server",
    type=click.Choice(SERVER_KINDS),
    default=PRODUCTION_SERVER,
    show_default=True,
    help="The WSGI server.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=2),
    default=8,
    show_default=True,
    help="Worker threads per server.",
)
def serve(
    host: str,
    graph_port: int,
    miro_port: int,
    start_job: bool,
    empty: bool,
    seed: int,
    users: int,
    groups: int,
    miro_token: str,
    ready_file: Path | None,
    state_file: Path | None,
    realtime: bool,
    speed: float,
    server: str,
    threads: int,
) -> None:
    """Run the Graph fake, the Miro fake and the provisioning engine as real servers."""
    if not miro_token.strip():
        raise click.BadParameter("the token must not be empty", param_hint="--miro-token")
    if speed != 1.0 and not realtime:
        raise click.BadParameter("--speed needs --realtime", param_hint="--speed")
    if graph_port and graph_port == miro_port:
        raise click.BadParameter("the two fakes need different ports", param_hint="--miro-port")
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the engine's calls show on the fakes
    config = ServeConfig(
        host=host,
        graph_port=graph_port,
        miro_port=miro_port,
        start=start_job,
        empty=empty,
        seed=seed,
        users=users,
        groups=groups,
        miro_token=miro_token,
        ready_file=ready_file,
        state_file=state_file,
        realtime=realtime,
        speed=speed,
        server=server,
        threads=threads,
    )
    harness = ServedHarness(config)
    _install_signal_handlers(harness)
    try:
        harness.start()
    except (ServerStartError, StateFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    info = harness.ready_info()
    click.echo(
        f"Graph fake:  {info['graph_url']}\n"
        f"Miro fake:   {info['miro_url']}  (token {info['miro_token']})\n"
        f"Job:         {info['job_id']} on service principal {info['service_principal_id']}"
        f" ({'started' if start_job else 'not started'})\n"
        f"Clock:       {info['clock_url']} ({'real time x' + str(speed) if realtime else 'virtual'})\n"
        "Press Ctrl-C to stop.",
        err=False,
    )
    try:
        harness.wait()
    finally:
        harness.close()
        log.info("stopped")
