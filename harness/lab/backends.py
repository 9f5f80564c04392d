"""Where a lab runs: in-process (WSGI transport), threaded servers on loopback, or a container.

The pytest plugin asks for a lab by backend name; every backend hands back an object with the
same HTTP-facing surface (``graph_client``, ``miro_client``, ``service_principal_id``,
``job_id``, ``app_roles``, ``start()``, ``advance()``, ``job()``, ``provisioning_logs()``), so
a scenario written against that surface runs unchanged in every backend.

The container backend builds the repository's ``Dockerfile`` with testcontainers
(``DockerImage``), runs one container per xdist worker (``DockerContainer``, named after the
worker, waited for over HTTP on ``/_fake/health``), and resets it between labs with
``POST /_fake/lab/reset``. With no Docker daemon it skips with the reason, unless
``HARNESS_REQUIRE_DOCKER=1``, where it fails.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from harness.lab.local import Lab
from harness.lab.remote import RemoteLab
from harness.lab.surface import CONTROL_TOKEN_ENV
from harness.tls import RunAuthority

BACKENDS = ("inprocess", "thread", "container")
DEFAULT_BACKEND = "inprocess"
BACKEND_ENV = "HARNESS_BACKEND"
REQUIRE_DOCKER_ENV = "HARNESS_REQUIRE_DOCKER"
# A prebuilt image to run instead of building the Dockerfile (e.g. one CI built and pushed).
IMAGE_ENV = "HARNESS_IMAGE"

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_TAG = "entra-miro-harness:test"
CONTAINER_GRAPH_PORT = 8000
CONTAINER_MIRO_PORT = 8001
HEALTH_PATH = "/_fake/health"


class BackendError(ValueError):
    """An unknown or unusable backend name."""


class DockerUnavailable(BackendError):
    """No Docker daemon answers (and none is required)."""


def backend_from_env(default: str = DEFAULT_BACKEND) -> str:
    return os.environ.get(BACKEND_ENV, default) or default


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise BackendError(f"unknown harness backend {name!r}: choose one of {', '.join(BACKENDS)}")
    return name


_authority: RunAuthority | None = None
_authority_lock = threading.Lock()


def process_authority() -> RunAuthority:
    """One CA for every TLS lab of this process (made on first use, removed at exit)."""
    global _authority
    with _authority_lock:
        if _authority is None:
            _authority = RunAuthority()
            atexit.register(_authority.close)
        return _authority


@contextmanager
def open_lab(
    backend: str = DEFAULT_BACKEND,
    seed: int = 0,
    *,
    tls: bool = False,
    strict_auth: bool = False,
    **settings: Any,
) -> Iterator[Lab | RemoteLab]:
    """A fresh lab in the given backend, closed afterwards.

    ``settings`` are the Lab's: engine settings, plus ``miro_settings``. In the container
    backend the lab is the worker's container, reset to ``seed`` and ``settings``.
    ``tls``: served labs (thread, container) listen on HTTPS with a CA their clients trust
    (the in-process backend has no sockets: nothing changes there). ``strict_auth``: the Graph
    fake checks client secrets and application permissions (``harness serve --strict-auth``).
    """
    check_backend(backend)
    if backend == "container":
        miro_settings = settings.pop("miro_settings", None)
        remote = container_lab(ContainerPlan(tls=tls, strict_auth=strict_auth))
        remote.reset(seed, settings=settings, miro_settings=miro_settings)
        yield remote  # the container outlives the lab: the next open_lab resets it
        return
    served = backend == "thread"
    lab = Lab(
        seed,
        served=served,
        tls=process_authority() if tls and served else None,
        check_credentials=strict_auth,
        **settings,
    )
    try:
        yield lab
    finally:
        lab.close()


# -- the container backend ------------------------------------------------------------------


def worker_id() -> str:
    """The xdist worker running this process (``gw0``...), or ``master`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "master")


def docker_required() -> bool:
    return os.environ.get(REQUIRE_DOCKER_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class ContainerPlan:
    """Everything the container backend asks of Docker, as data (unit-testable without one)."""

    worker: str = field(default_factory=worker_id)
    run_id: str = field(
        default_factory=lambda: (
            os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
        )
    )
    context: Path = REPO_ROOT
    dockerfile: str = "Dockerfile"
    image_tag: str = IMAGE_TAG
    prebuilt_image: str | None = field(default_factory=lambda: os.environ.get(IMAGE_ENV) or None)
    build_args: dict[str, str] = field(default_factory=lambda: {"PYTHON_VERSION": "3.11"})
    graph_port: int = CONTAINER_GRAPH_PORT
    miro_port: int = CONTAINER_MIRO_PORT
    health_path: str = HEALTH_PATH
    startup_timeout: float = 120.0
    # The container starts blank; every lab resets it to the seed and settings it asks for.
    extra_args: tuple[str, ...] = ("--empty",)
    # The container binds 0.0.0.0, so its control plane needs a token: this one, passed in
    # $HARNESS_CONTROL_TOKEN (docs/serve.md, "In a container").
    control_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # harness serve --tls / --strict-auth in the container; the CA is written to tls_dir there.
    tls: bool = False
    strict_auth: bool = False
    tls_dir: str = "/tmp/harness-tls"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def container_name(self) -> str:
        """One container per xdist worker, unique per test run on a shared daemon (and per
        TLS / strict-auth choice: they are flags of the container's command)."""
        flavour = ("-tls" if self.tls else "") + ("-strict" if self.strict_auth else "")
        raw = f"harness-lab-{self.worker}-{self.run_id}{flavour}"
        return re.sub(r"[^a-zA-Z0-9_.-]", "-", raw)

    @property
    def exposed_ports(self) -> tuple[int, int]:
        return (self.graph_port, self.miro_port)

    @property
    def command(self) -> list[str]:
        return [
            "harness",
            "serve",
            "--host",
            "0.0.0.0",
            "--graph-port",
            str(self.graph_port),
            "--miro-port",
            str(self.miro_port),
            *self.extra_args,
            *(["--tls", "--tls-dir", self.tls_dir] if self.tls else []),
            *(["--strict-auth"] if self.strict_auth else []),
        ]

    # testcontainers, docker and pytest are test extras, not dependencies of the harness: they
    # are imported only when a container is wanted.

    def wait_strategy(self) -> Any:
        from testcontainers.core.wait_strategies import HttpWaitStrategy, LogMessageWaitStrategy

        if self.tls:
            # Over TLS the health probe would need the CA, which is in the container: wait
            # for the line harness serve prints once both servers answer.
            return (
                LogMessageWaitStrategy("Press Ctrl-C to stop.")
                .with_startup_timeout(self.startup_timeout)  # type: ignore[arg-type]
                .with_poll_interval(0.5)
            )

        return (
            HttpWaitStrategy(self.graph_port, self.health_path)
            .for_status_code(200)
            # Annotated int | timedelta, but any number works (float(timeout)); a timedelta
            # would drop the fraction of a second.
            .with_startup_timeout(self.startup_timeout)  # type: ignore[arg-type]
            .with_poll_interval(0.5)
        )

    def image(self, image_class: Callable[..., Any] | None = None) -> Any:
        """The ``DockerImage`` that builds the Dockerfile (kept: other workers share the tag)."""
        if image_class is None:
            from testcontainers.core.image import DockerImage

            image_class = DockerImage
        return image_class(
            path=str(self.context),
            dockerfile_path=self.dockerfile,
            tag=self.image_tag,
            clean_up=False,
            buildargs=dict(self.build_args),
        )

    def container(self, image: str, container_class: Callable[..., Any] | None = None) -> Any:
        """The ``DockerContainer`` for this worker (not started)."""
        if container_class is None:
            from testcontainers.core.container import DockerContainer

            container_class = DockerContainer
        return (
            container_class(image)
            .with_name(self.container_name)
            .with_command(self.command)
            .with_env(CONTROL_TOKEN_ENV, self.control_token)
            .with_exposed_ports(*self.exposed_ports)
            .waiting_for(self.wait_strategy())
        )


def docker_unavailable_reason() -> str | None:
    """Why no Docker daemon can be used here, or None when one answers."""
    try:
        import docker
    except ImportError:
        return "the docker Python package is not installed (pip install testcontainers)"
    try:
        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # DockerException, connection errors, permission denied...
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no Docker daemon answers ({first_line})"
    return None


def unavailable(reason: str) -> NoReturn:
    """Skip the current test with ``reason``, or fail when Docker is required."""
    if docker_required():
        raise BackendError(f"{reason}; {REQUIRE_DOCKER_ENV}=1 makes this a failure")
    message = f"container backend skipped: {reason} (set {REQUIRE_DOCKER_ENV}=1 to fail instead)"
    try:
        import pytest
    except ImportError:  # pragma: no cover - the backend is used from pytest
        raise DockerUnavailable(message) from None
    pytest.skip(message)


@dataclass
class _RunningContainer:
    container: Any
    remote: RemoteLab
    ca_folder: Path | None = None  # this side's copy of the container's CA, removed at stop


_running: dict[str, _RunningContainer] = {}
_running_lock = threading.Lock()


def container_lab(
    plan: ContainerPlan | None = None,
    *,
    image_class: Callable[..., Any] | None = None,
    container_class: Callable[..., Any] | None = None,
) -> RemoteLab:
    """This worker's container (built and started on first use), as a remote lab.

    ``image_class``/``container_class`` default to testcontainers' ``DockerImage`` and
    ``DockerContainer`` (tests give stand-ins)."""
    plan = plan or ContainerPlan()
    with _running_lock:
        running = _running.get(plan.container_name)
        if running is not None:
            return running.remote
        reason = docker_unavailable_reason()
        if reason is not None:
            unavailable(reason)
        image = plan.prebuilt_image
        if image is None:
            image = str(plan.image(image_class).build())
        container = plan.container(image, container_class)
        container.start()
        ca_folder: Path | None = None
        try:
            host = container.get_container_host_ip()
            graph = f"{plan.scheme}://{host}:{container.get_exposed_port(plan.graph_port)}"
            miro = f"{plan.scheme}://{host}:{container.get_exposed_port(plan.miro_port)}"
            ca_bundle = _copy_ca(container, plan) if plan.tls else None
            if ca_bundle is not None:
                ca_folder = ca_bundle.parent
            verify = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
            # Inside the container the fakes know themselves by their container ports; the
            # client side needs the mapped ones.
            info = dict(
                RemoteLab.fetch_info(graph, control_token=plan.control_token, verify=verify)
            )
            info["graph_url"] = graph + "/v1.0"
            info["miro_url"] = miro + "/api/v1/scim"
            info["clock_url"] = graph + "/_fake/clock"
            if "authority" in info:
                info["authority"] = graph
            if ca_bundle is not None:
                info["ca_bundle"] = str(ca_bundle)
            remote = RemoteLab(info)
        except BaseException:
            container.stop()
            if ca_folder is not None:
                shutil.rmtree(ca_folder, ignore_errors=True)
            raise
        _running[plan.container_name] = _RunningContainer(container, remote, ca_folder)
        return remote


def _copy_ca(container: Any, plan: ContainerPlan) -> Path:
    """The container's CA certificate, copied to a file of a folder of its own."""
    result = container.exec(["cat", f"{plan.tls_dir}/ca.pem"])
    if result.exit_code != 0:
        raise BackendError(f"the container has no CA at {plan.tls_dir}/ca.pem")
    folder = Path(tempfile.mkdtemp(prefix="harness-container-ca-"))
    path = folder / "ca.pem"
    path.write_bytes(result.output)
    return path


@atexit.register
def stop_containers() -> None:
    """Stop this process's containers (Ryuk removes them too if the process dies)."""
    with _running_lock:
        for running in _running.values():
            running.remote.close()
            # The daemon may be gone at exit; nothing is left to do then.
            with contextlib.suppress(Exception):
                running.container.stop()
            if running.ca_folder is not None:
                shutil.rmtree(running.ca_folder, ignore_errors=True)
        _running.clear()
