"""Where a lab runs: in-process (WSGI transport), threaded servers on loopback, or a container.

The pytest plugin asks for a lab by backend name; every backend hands back an object with the
same HTTP-facing surface (``graph_client``, ``miro_client``, ``service_principal_id``,
``job_id``, ``app_roles``, ``start()``, ``advance()``, ``job()``, ``provisioning_logs()``), so
a scenario written against that surface runs unchanged in every backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.lab import Lab

BACKENDS = ("inprocess", "thread", "container")
DEFAULT_BACKEND = "inprocess"
BACKEND_ENV = "HARNESS_BACKEND"


class BackendError(ValueError):
    """An unknown or unusable backend name."""


def backend_from_env(default: str = DEFAULT_BACKEND) -> str:
    return os.environ.get(BACKEND_ENV, default) or default


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise BackendError(f"unknown harness backend {name!r}: choose one of {', '.join(BACKENDS)}")
    return name


@contextmanager
def open_lab(backend: str = DEFAULT_BACKEND, seed: int = 0, **settings: Any) -> Iterator[Lab]:
    """A fresh lab in the given backend, closed afterwards."""
    check_backend(backend)
    if backend == "container":
        raise BackendError("the container backend is not available yet")
    lab = Lab(seed, served=backend == "thread", **settings)
    try:
        yield lab
    finally:
        lab.close()
