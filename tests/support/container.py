"""A stand-in for a started testcontainers ``DockerContainer``: ``harness serve`` in this
process, where the "container ports" 8000 and 8001 map to the listeners' free ports. The
container backend's glue (ports, reset, the CA copy) runs against it without a Docker daemon."""

from __future__ import annotations

from typing import Any, ClassVar

from harness.serve.served import ServeConfig, ServedHarness


class ServedContainer:
    """A plain ``harness serve``; a subclass sets ``config`` (and its own ``instances``)."""

    config: ClassVar[ServeConfig] = ServeConfig(empty=True)
    instances: ClassVar[list[ServedContainer]] = []

    def __init__(self, image: str) -> None:
        self.image = image
        self.command: list[str] = []
        self.harness: ServedHarness | None = None
        self.instances.append(self)

    def with_command(self, command: list[str]) -> ServedContainer:
        self.command = command
        return self

    def __getattr__(self, name: str) -> Any:
        # The rest of DockerContainer's builder methods (with_env, with_exposed_ports, ...).
        if name.startswith("with_") or name == "waiting_for":
            return lambda *args: self
        raise AttributeError(name)

    def start(self) -> ServedContainer:
        self.harness = ServedHarness(self.config).start()
        return self

    def exec(self, command: list[str]) -> Any:
        """Only the backend's read of the container's CA: ``cat /tmp/harness-tls/ca.pem``."""
        assert self.harness is not None and self.harness.tls is not None
        assert command == ["cat", "/tmp/harness-tls/ca.pem"]
        return type("R", (), {"exit_code": 0, "output": self.harness.tls.ca_bundle.read_bytes()})

    def get_container_host_ip(self) -> str:
        return "localhost"

    def get_exposed_port(self, port: int) -> int:
        assert self.harness is not None
        listener = {8000: self.harness.graph_listener, 8001: self.harness.miro_listener}[port]
        return listener.port

    def stop(self) -> None:
        if self.harness is not None:
            self.harness.close(save=False)
