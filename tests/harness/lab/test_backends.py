"""Backends: in-process, threaded servers, and containers (configured and run without Docker)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness.lab import backends
from harness.lab.backends import (
    BACKEND_ENV,
    REQUIRE_DOCKER_ENV,
    BackendError,
    ContainerPlan,
    backend_from_env,
    check_backend,
    container_lab,
    open_lab,
)
from harness.servers import ServerThread
from harness.testing.lab_steps import add_user, assign, miro_user
from tests.support.container import ServedContainer

DOCKERFILE = backends.REPO_ROOT / "Dockerfile"


def provision_one(lab: Any, nick: str) -> dict[str, Any] | None:
    assign(lab, add_user(lab, nick))
    lab.start()
    lab.advance("0")
    return miro_user(lab, f"{nick}@contoso.com")


# -- names and environment --------------------------------------------------------------------


def test_backend_names_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert backend_from_env() == "inprocess"
    monkeypatch.setenv(BACKEND_ENV, "thread")
    assert backend_from_env() == "thread"
    assert check_backend("container") == "container"
    with pytest.raises(BackendError, match="unknown harness backend 'docker'"):
        check_backend("docker")


@pytest.mark.parametrize(
    ("backend", "prefix"), [("inprocess", "http://graph.local"), ("thread", "http://127.0.0.1:")]
)
def test_inprocess_and_thread_backends_run_the_same_cycle(backend: str, prefix: str) -> None:
    with open_lab(backend, 4) as lab:
        assert lab.graph_url.startswith(prefix)
        user = provision_one(lab, "jane")
        assert user is not None and user["active"] is True


# -- the container plan, without a daemon -------------------------------------------------------


def test_the_plan_builds_the_repository_dockerfile() -> None:
    plan = ContainerPlan()
    assert plan.context == backends.REPO_ROOT and (plan.context / plan.dockerfile).is_file()
    assert plan.build_args == {"PYTHON_VERSION": "3.11"}
    assert "ARG PYTHON_VERSION=3.11" in DOCKERFILE.read_text()
    recorded: dict[str, Any] = {}

    class FakeImage:
        def __init__(self, **kwargs: Any) -> None:
            recorded.update(kwargs)

    plan.image(FakeImage)
    assert recorded == {
        "path": str(backends.REPO_ROOT),
        "dockerfile_path": "Dockerfile",
        "tag": "entra-miro-harness:test",
        "clean_up": False,  # other workers run the same tag
        "buildargs": {"PYTHON_VERSION": "3.11"},
    }


def test_the_plan_exposes_the_ports_the_dockerfile_serves() -> None:
    plan = ContainerPlan()
    assert plan.exposed_ports == (8000, 8001)
    text = DOCKERFILE.read_text()
    assert re.search(r"^EXPOSE 8000 8001$", text, re.MULTILINE)
    assert '"--graph-port", "8000", "--miro-port", "8001"' in text
    assert plan.command == [
        "harness",
        "serve",
        "--host",
        "0.0.0.0",
        "--graph-port",
        "8000",
        "--miro-port",
        "8001",
        "--empty",
    ]


class StandInContainer:
    """What a wait strategy asks of a started container: its host and mapped ports."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.asked: list[int] = []

    def get_container_host_ip(self) -> str:
        return "127.0.0.1"

    def get_exposed_port(self, port: int) -> int:
        self.asked.append(port)
        return self.port


def health_app(healthy_after: int, paths: list[str]) -> Any:
    """Answers 503 to the first ``healthy_after`` requests, then 200 on /_fake/health only."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        paths.append(environ["PATH_INFO"])
        healthy = environ["PATH_INFO"] == "/_fake/health" and len(paths) > healthy_after
        start_response("200 OK" if healthy else "503 Service Unavailable", [])
        return [b""]

    return app


def test_the_plan_waits_for_the_health_endpoint_over_http() -> None:
    from testcontainers.core.wait_strategies import HttpWaitStrategy

    strategy = ContainerPlan(startup_timeout=90).wait_strategy()
    assert isinstance(strategy, HttpWaitStrategy)
    paths: list[str] = []
    with ServerThread(health_app(1, paths)) as server:
        container = StandInContainer(server.port)
        strategy.wait_until_ready(container)  # a 503 first: it polls again until a 200
    assert container.asked == [8000]  # the Graph listener's port
    assert paths == ["/_fake/health", "/_fake/health"]
    # The plan's start-up timeout bounds the wait.
    never: list[str] = []
    with ServerThread(health_app(10**6, never)) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            ContainerPlan(startup_timeout=0.3).wait_strategy().wait_until_ready(
                StandInContainer(server.port)
            )
        assert time.monotonic() - started < 5
    assert never and set(never) == {"/_fake/health"}
    # The image's own HEALTHCHECK asks the same endpoint.
    assert "http://127.0.0.1:8000/_fake/health" in DOCKERFILE.read_text()


def test_one_container_name_per_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "0123456789abcdef")
    names = set()
    for worker in ("gw0", "gw1", "gw12"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        names.add(ContainerPlan().container_name)
    assert names == {
        "harness-lab-gw0-01234567",
        "harness-lab-gw1-01234567",
        "harness-lab-gw12-01234567",
    }
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert ContainerPlan().container_name == "harness-lab-master-01234567"


def test_the_plan_configures_the_container() -> None:
    calls: list[tuple[str, Any]] = []

    class FakeContainer:
        def __init__(self, image: str) -> None:
            calls.append(("image", image))

        def __getattr__(self, name: str) -> Any:
            def record(*args: Any) -> FakeContainer:
                calls.append((name, args))
                return self

            return record

    plan = ContainerPlan(worker="gw2", run_id="r1")
    plan.container("entra-miro-harness:test", FakeContainer)
    by_name = dict(calls)
    assert by_name["image"] == "entra-miro-harness:test"
    assert by_name["with_name"] == ("harness-lab-gw2-r1",)
    assert by_name["with_exposed_ports"] == (8000, 8001)
    assert by_name["with_command"] == (plan.command,)
    # It binds 0.0.0.0: its control plane needs the token the backend then sends.
    assert by_name["with_env"] == ("HARNESS_CONTROL_TOKEN", plan.control_token)
    assert len(plan.control_token) >= 16
    assert type(by_name["waiting_for"][0]).__name__ == "HttpWaitStrategy"


# -- no daemon: skip with the reason, or fail when required ---------------------------------------


def test_no_daemon_gives_a_readable_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import docker
    from docker.errors import DockerException

    def refuse(**kwargs: Any) -> Any:
        raise DockerException("Error while fetching server API version: Connection refused\nmore")

    monkeypatch.setattr(docker, "from_env", refuse)
    assert backends.docker_unavailable_reason() == (
        "no Docker daemon answers (Error while fetching server API version: Connection refused)"
    )


def test_without_a_daemon_the_container_backend_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_DOCKER_ENV, raising=False)
    monkeypatch.setattr(
        backends, "docker_unavailable_reason", lambda: "no Docker daemon answers (x)"
    )
    with (
        pytest.raises(
            pytest.skip.Exception,
            match=r"container backend skipped: no Docker daemon "
            r"answers \(x\) \(set HARNESS_REQUIRE_DOCKER=1",
        ),
        open_lab("container", 1),
    ):
        pass


def test_without_a_daemon_the_container_backend_fails_when_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REQUIRE_DOCKER_ENV, "1")
    monkeypatch.setattr(
        backends, "docker_unavailable_reason", lambda: "no Docker daemon answers (x)"
    )
    with (
        pytest.raises(BackendError, match="HARNESS_REQUIRE_DOCKER=1 makes this a failure"),
        open_lab("container", 1),
    ):
        pass


# -- the container glue, with a served harness standing in for the container ----------------------


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(backends, "docker_unavailable_reason", lambda: None)
    monkeypatch.setenv(backends.IMAGE_ENV, "prebuilt:tag")
    ServedContainer.instances.clear()
    container_lab(container_class=ServedContainer)
    try:
        yield
    finally:
        backends.stop_containers()


def test_a_container_lab_uses_the_mapped_ports_and_is_reused(stand_in: None) -> None:
    assert [c.image for c in ServedContainer.instances] == ["prebuilt:tag"]
    harness = ServedContainer.instances[0].harness
    assert harness is not None
    with open_lab("container", 6) as lab:
        assert lab.graph_url == f"http://localhost:{harness.graph_listener.port}"
        assert lab.scim_url == f"http://localhost:{harness.miro_listener.port}/api/v1/scim"
        assert provision_one(lab, "kim") is not None
    with open_lab(
        "container", 6, skip_default_access=False, miro_settings={"token": "other"}
    ) as lab:
        # The same container, reset: nothing left of the previous lab, the new settings applied.
        assert len(ServedContainer.instances) == 1
        assert lab.graph_client.get("/v1.0/users").json()["value"] == []
        assert miro_user(lab, "kim@contoso.com") is None
        assert lab.graph_client.get("/_fake/engine/settings").json()["skip_default_access"] is False
        assert lab.miro_client.get("/api/v1/scim/Users").status_code == 200
        assert provision_one(lab, "lee") is not None


@pytest.mark.docker
@pytest.mark.slow
def test_the_container_backend_runs_a_cycle_in_a_real_container() -> None:
    """Builds the Dockerfile and runs it; skips (with the reason) where no daemon answers."""
    with open_lab("container", 8) as lab:
        assert lab.job()["id"] == lab.job_id
        user = provision_one(lab, "mo")
        assert user is not None and user["userName"] == "mo@contoso.com"
        health = lab.graph_client.get("/_fake/health").json()
        assert health["status"] == "ok"


def test_the_dockerfile_runs_as_a_non_root_user_on_a_slim_base() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:\$\{PYTHON_VERSION\}-slim$", text, re.MULTILINE)
    assert re.search(r"^USER harness$", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK ", text, re.MULTILINE)
    assert '--host", "0.0.0.0"' in text
    ignored = (backends.REPO_ROOT / ".dockerignore").read_text()
    assert ignored.splitlines()[1] == "*"  # the context is the package sources only
