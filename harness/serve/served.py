"""The served harness behind ``harness serve``: two listeners that stay up for the life of the
process, the lab mounted behind them, the real-time ticker and the state file.

The listeners carry a :class:`~harness.lab.local.Lab` built with ``served=True``, so the engine
reaches both fakes over TCP at exactly the URLs clients use. ``POST /_fake/lab/reset`` (see
:mod:`harness.serve.control`) builds a fresh lab behind the same ports; the container backend
resets this way between tests.

With ``--state``, the lab is saved every ``--save-every`` seconds, on ``POST /_fake/lab/save``
and on exit, each time atomically (a new file renamed over the old one); temporary files a
killed save left behind are removed at start. A kill -9 loses what changed since the last save.

Bound beyond loopback, the ``/_fake/`` routes need a control token (generated unless given,
written to the ready file) unless ``--insecure-control-plane`` is given.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
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
from harness.lab.identity import ClientCredentials, register_admin_client
from harness.lab.local import SCIM_PATH, Lab
from harness.lab.state_files import (
    check_lab_state,
    dump_lab_state,
    load_lab_state,
    read_state_file,
    remove_leftover_temporary_files,
    write_json_atomically,
)
from harness.lab.surface import CONTROL_TOKEN_HEADER
from harness.serve.control import (
    HEALTH_PATH,
    LAB_PATH,
    ControlGuard,
    ControlRouter,
    LabBusy,
    control_app,
    graph_raw_error,
    graph_refusal,
    is_loopback,
    miro_control_refusal,
    scim_raw_error,
)
from harness.serve.demo import DEMO_GROUPS, DEMO_USERS, seed_demo
from harness.servers import (
    PRODUCTION_SERVER,
    AccessLog,
    AppSlot,
    Mount,
    ServerThread,
    mounted_on,
)
from harness.tls import RunAuthority

log = logging.getLogger("harness.serve")

GRAPH_VERSION_PATH = "/v1.0"
REALTIME_TICK = 0.25  # wall seconds between real-time clock steps
CLOSE_CYCLE_WAIT = 30.0  # seconds a shutdown waits for a running cycle
SAVE_EVERY = 60.0  # wall seconds between periodic saves of --state
PERIODIC_SAVE_CYCLE_WAIT = 5.0  # a periodic save waits this long for a cycle, then skips a turn


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
    # None: generated when the control plane needs one (a bind beyond loopback).
    control_token: str | None = None
    insecure_control_plane: bool = False
    save_every: float = SAVE_EVERY  # 0: save on exit and on POST /_fake/lab/save only
    # HTTPS on both listeners with a per-run CA (--tls); client secrets and Graph application
    # permissions checked (--strict-auth).
    tls: bool = False
    tls_dir: Path | None = None  # None: a temporary directory, removed on exit
    strict_auth: bool = False


def control_token_for(config: ServeConfig) -> str | None:
    """The token the ``/_fake/`` routes require, or None when they are open: open on loopback
    (as before), or with ``--insecure-control-plane``; closed with a given token, or beyond
    loopback (a token is generated then)."""
    if config.insecure_control_plane:
        return None
    if config.control_token:
        return config.control_token
    if is_loopback(config.host):
        return None
    return secrets.token_urlsafe(32)


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
        self.control_token = control_token_for(config)
        if self.control_token is None and not is_loopback(config.host):
            log.warning(
                "the control plane (/_fake/) on %s answers anyone who reaches the port, "
                "Miro token included (--insecure-control-plane)",
                config.host,
            )
        # --tls: a CA made for this run; --tls or --strict-auth: an application that
        # administers the Miro app (the ready file's client_id and client_secret).
        self.tls = RunAuthority([config.host], config.tls_dir) if config.tls else None
        self.admin_client = ClientCredentials() if config.tls or config.strict_auth else None
        self.control_app = control = control_app(self)
        graph_app = ControlRouter(control, {HEALTH_PATH, LAB_PATH}, self._graph_slot)
        miro_app = ControlRouter(control, {HEALTH_PATH}, self._miro_slot)
        self.graph_listener = ServerThread(
            AccessLog(ControlGuard(graph_app, self.control_token, graph_refusal), "graph"),
            config.host,
            config.graph_port,
            name="graph-listener",
            server=config.server,
            threads=config.threads,
            raw_error=graph_raw_error,
            tls=self.tls,
        )
        self.miro_listener = ServerThread(
            AccessLog(ControlGuard(miro_app, self.control_token, miro_control_refusal), "miro"),
            config.host,
            config.miro_port,
            name="miro-listener",
            server=config.server,
            threads=config.threads,
            raw_error=scim_raw_error,
            tls=self.tls,
        )
        self._ticker: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self._save_lock = threading.Lock()  # one save at a time: periodic, requested, on exit
        self._stop = threading.Event()

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> ServedHarness:
        self.graph_listener.start()
        try:
            self.miro_listener.start()
            state_file = self.config.state_file
            if state_file is not None:
                for leftover in remove_leftover_temporary_files(state_file):
                    log.info("removed %s, left by a save that did not finish", leftover)
            saved = read_state_file(state_file) if state_file and state_file.exists() else None
            self.build(self.spec, saved_state=saved)
            if self.config.start:
                self.current().start()
            if self.config.realtime:
                self._start_ticker()
            if state_file is not None and self.config.save_every > 0:
                self._saver = threading.Thread(target=self._save_periodically, name="state-saver")
                self._saver.daemon = True
                self._saver.start()
            if self.config.ready_file:
                write_json_atomically(self.config.ready_file, self.ready_info())
                if self.control_token is not None or self.admin_client is not None:
                    os.chmod(self.config.ready_file, 0o600)  # it holds a secret: owner only
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
                    spec.seed,
                    served=True,
                    miro_settings=miro_settings,
                    check_credentials=self.config.strict_auth,
                    admin_client=self.admin_client,
                    tls=self.tls,
                    **spec.engine_settings,
                )
            try:
                if self.control_token is not None:  # the lab's own clients reach /_fake/ too
                    for client in (lab.graph_client, lab.miro_client):
                        client.headers[CONTROL_TOKEN_HEADER] = self.control_token
                self._point_job_at_token(lab, str(lab.miro.settings.token))
                if saved_state is not None:
                    load_lab_state(lab, saved_state)
                    self._point_job_at_token(lab, str(lab.miro.settings.token), secrets=False)
                    if self.admin_client is not None:  # this run's secret, in the loaded tenant
                        register_admin_client(lab.graph, self.admin_client)
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
            lab.store.update_secrets(
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
            "control_token": self.control_token,
            "control_token_header": CONTROL_TOKEN_HEADER,
            "save_url": graph_root + LAB_PATH + "/save",
            "state_file": str(self.config.state_file) if self.config.state_file else None,
            **self._identity_info(graph_root),
        }

    def _identity_info(self, graph_root: str) -> dict[str, Any]:
        """With --tls or --strict-auth: the identity root (token endpoint
        ``{authority}/{tenant_id}/oauth2/v2.0/token``), the CA clients must trust, and the
        administering application's client id and secret."""
        info: dict[str, Any] = {}
        if self.admin_client is not None:
            info["authority"] = graph_root
            info["client_id"] = self.admin_client.client_id
            info["client_secret"] = self.admin_client.client_secret
            info["strict_auth"] = self.config.strict_auth
        if self.tls is not None:
            info["ca_bundle"] = str(self.tls.ca_bundle)
        return info

    def wait(self) -> None:
        self._stop.wait()

    def request_stop(self) -> None:
        self._stop.set()

    def close(self, *, save: bool = True) -> None:
        """Stop the ticker and the saver, save the state (``--state``), stop the lab and the
        listeners."""
        self._stop.set()
        for thread in (self._ticker, self._saver):
            if thread is not None:
                thread.join(5)
        self._ticker = self._saver = None
        with self._lock:
            lab = self.lab
            try:
                if lab is not None and save and self.config.state_file is not None:
                    _wait_for_cycles(lab, CLOSE_CYCLE_WAIT)
                    self._write_state(lab)
            finally:
                self.lab = None
                if lab is not None:
                    lab.close()
                self.graph_listener.stop()
                self.miro_listener.stop()
                if self.config.ready_file is not None:
                    self.config.ready_file.unlink(missing_ok=True)
                if self.tls is not None:
                    self.tls.close()

    # -- saving ---------------------------------------------------------------------------

    def save(self, *, cycle_wait: float = CLOSE_CYCLE_WAIT) -> dict[str, Any]:
        """Write the ``--state`` file now (``POST /_fake/lab/save``), once no cycle is running
        (waits ``cycle_wait`` seconds at most, then LabBusy); what was written."""
        if self.config.state_file is None:
            raise ValueError("harness serve was started without --state: there is no file to save")
        with self._lock:  # no reset or load replaces the lab while it is written
            lab = self.current()
            if not _wait_for_cycles(lab, cycle_wait):
                raise LabBusy("a provisioning cycle is running; the state is saved after it")
            return self._write_state(lab)

    def _write_state(self, lab: Lab) -> dict[str, Any]:
        path = self.config.state_file
        assert path is not None
        with self._save_lock:
            size = write_json_atomically(path, dump_lab_state(lab))
        log.info("state saved to %s (%d bytes)", path, size)
        return {
            "saved": True,
            "path": str(path),
            "bytes": size,
            "clock": lab.clock.now().isoformat(),
        }

    def _save_periodically(self) -> None:
        while not self._stop.wait(self.config.save_every):
            try:
                self.save(cycle_wait=PERIODIC_SAVE_CYCLE_WAIT)
            except LabBusy:
                continue  # the next turn saves it
            except Exception:
                log.exception("a periodic save of the state failed")

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


def _wait_for_cycles(lab: Lab, timeout: float) -> bool:
    """Let a running cycle end (bounded) so a saved state is never taken halfway through one;
    whether none is running now."""
    deadline = time.monotonic() + timeout
    while True:
        with lab.store.lock:
            if not any(job.running for job in lab.store.jobs.values()):
                return True
        if time.monotonic() >= deadline:
            log.warning("a cycle was still running after %.0fs", timeout)
            return False
        time.sleep(0.05)


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
