"""The served harness behind ``harness serve``: two listeners that stay up for the life of the
process, the lab mounted behind them, the real-time ticker and the state file.

The listeners carry a :class:`~harness.lab.local.Lab` built with ``served=True``, so the engine
reaches both fakes over TCP at exactly the URLs clients use. ``POST /_fake/lab/reset`` (see
:mod:`harness.serve.control`) builds a fresh lab behind the same ports; the container backend
resets this way between tests.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import mock_miro
from harness.engine.service import AdvanceError
from harness.engine.settings import EngineSettings
from harness.lab.local import SCIM_PATH, Lab
from harness.lab.state_files import (
    check_lab_state,
    dump_lab_state,
    load_lab_state,
    read_state_file,
    write_json_atomically,
)
from harness.serve.control import HEALTH_PATH, LAB_PATH, ControlRouter, LabBusy, control_app
from harness.serve.demo import DEMO_GROUPS, DEMO_USERS, seed_demo
from harness.servers import (
    PRODUCTION_SERVER,
    AccessLog,
    AppSlot,
    Mount,
    ServerThread,
    mounted_on,
)

log = logging.getLogger("harness.serve")

GRAPH_VERSION_PATH = "/v1.0"
REALTIME_TICK = 0.25  # wall seconds between real-time clock steps
CLOSE_CYCLE_WAIT = 30.0  # seconds a shutdown waits for a running cycle


@dataclass
class ServeConfig:
    """What ``harness serve`` was asked for (one field per flag, plus engine settings)."""

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
        control = control_app(self)
        self.graph_listener = ServerThread(
            AccessLog(ControlRouter(control, {HEALTH_PATH, LAB_PATH}, self._graph_slot), "graph"),
            config.host,
            config.graph_port,
            name="graph-listener",
            server=config.server,
            threads=config.threads,
        )
        self.miro_listener = ServerThread(
            AccessLog(ControlRouter(control, {HEALTH_PATH}, self._miro_slot), "miro"),
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
        if saved_state is not None:
            check_lab_state(saved_state)  # refused whole before any lab is built or replaced
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

    def load_state(self, state: dict[str, Any]) -> Lab:
        """A lab rebuilt from a saved state, behind the same ports (``PUT /_fake/lab/state``)."""
        return self.build(self.spec, saved_state=state)

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
