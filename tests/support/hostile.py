"""What the hostile-input suite shares: the tally of its figures, the prober that sends every
request over TCP to a served harness and judges the answer, state snapshots, and the wire
formats each listener must answer in.

The figures (requests sent, answers >= 500, answers in the wrong format, state changes after a
rejected request, API routes that answered without credentials, users lost or wrongly
reactivated under faults) are counted per process; tests/conftest.py adds up the workers' and
prints them at the end of the run. Each test also fails on its own non-zero findings.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.lab.local import Lab
from harness.lab.surface import CONTROL_TOKEN_HEADER
from harness.serve.served import ServedHarness

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
# 501 (Miro's documented answer to /.search and /Bulk) and 505 (an HTTP version the server does
# not speak) say "not supported", not "failed": they are not counted as answers >= 500.
NOT_SUPPORTED = frozenset({501, 505})
FINDINGS = ("server_errors", "wrong_format", "state_changes", "unauthenticated", "users_lost")
# Hypothesis examples per fuzzing test: 60 in CI (derandomised), more with HOSTILE_EXAMPLES=500.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "60"))
LONG_RUN = "HOSTILE_EXAMPLES" in os.environ


@dataclass
class Tally:
    requests: int = 0
    findings: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in FINDINGS})
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self) -> None:
        with self.lock:
            self.requests += 1

    def found(self, kind: str, what: str) -> None:
        with self.lock:
            self.findings[kind].append(what)

    def figures(self) -> dict[str, int]:
        with self.lock:
            return {"requests": self.requests, **{k: len(v) for k, v in self.findings.items()}}


TALLY = Tally()


def add_figures(total: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value


def snapshot(lab: Lab) -> dict[str, Any]:
    """Everything a rejected request must leave as it was: both fakes' dumps (Graph's id
    generator and Miro's id counter included), the engine's (its id generators included) and
    the clock."""
    return {
        "graph": lab.graph.dump(),
        "miro": lab.miro.dump(),
        "engine": lab.service.dump(),
        "clock": lab.clock.now().isoformat(),
    }


def service_of(listener: str, path: str) -> str:
    """Which wire format a path of a listener answers in."""
    if listener == "miro":
        return "scim" if path.startswith("/api/v1/scim") else "miro-control"
    if "/oauth2/v2.0/token" in path:
        return "token"
    return "graph"


def well_formed(service: str, response: httpx.Response) -> bool:
    """Whether an answer is in its service's format: an error in the service's error body;
    a success with a body as JSON (the $count segments answer plain text)."""
    status = response.status_code
    if status in (204, 304) or (status < 400 and not response.content):
        return True
    media = response.headers.get("content-type", "")
    if status < 400 and media.startswith("text/plain"):
        return True
    if "json" not in media:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if status < 400:
        return isinstance(body, dict | list)
    if not isinstance(body, dict):
        return False
    if service == "graph":
        error = body.get("error")
        return (
            isinstance(error, dict)
            and isinstance(error.get("code"), str)
            and isinstance(error.get("message"), str)
        )
    if service == "scim":
        return ERROR_SCHEMA in (body.get("schemas") or []) and body.get("status") == str(status)
    if service == "token":
        return isinstance(body.get("error"), str) and isinstance(body.get("error_description"), str)
    return isinstance(body.get("error"), str)  # miro-control


class Prober:
    """Sends requests to a served harness over TCP, counts them and judges each answer:
    no 5xx, the listener's format, and, for a rejected request, an unchanged state."""

    def __init__(self, harness: ServedHarness, tally: Tally = TALLY) -> None:
        self.harness = harness
        self.tally = tally
        self.findings: dict[str, list[str]] = {f: [] for f in FINDINGS}
        self.client = httpx.Client(timeout=60)
        self.roots = {"graph": harness.graph_listener.url, "miro": harness.miro_listener.url}

    @property
    def lab(self) -> Lab:
        return self.harness.current()

    @property
    def control(self) -> dict[str, str]:
        token = self.harness.control_token
        return {CONTROL_TOKEN_HEADER: token} if token else {}

    def note(self, kind: str, what: str) -> None:
        self.findings[kind].append(what)
        self.tally.found(kind, what)

    def send(
        self,
        listener: str,
        method: str,
        path: str,
        *,
        check_state: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """``method path`` on the ``graph`` or ``miro`` listener; with ``check_state``, a
        rejected request (>= 400) must leave :func:`snapshot` as it was."""
        before = snapshot(self.lab) if check_state else None
        response = self.client.request(
            method, self.roots[listener] + path, headers=headers or {}, **kwargs
        )
        self.judge(listener, method, path, response, before)
        return response

    def judge(
        self,
        listener: str,
        method: str,
        path: str,
        response: httpx.Response,
        before: dict[str, Any] | None = None,
    ) -> None:
        self.tally.sent()
        where = f"{method} {listener}{urlsplit(path).path[:120]} -> {response.status_code}"
        if response.status_code >= 500 and response.status_code not in NOT_SUPPORTED:
            self.note("server_errors", f"{where}: {response.text[:200]}")
        if not well_formed(service_of(listener, path), response):
            self.note("wrong_format", f"{where}: {response.text[:200]}")
        if before is not None and response.status_code >= 400 and snapshot(self.lab) != before:
            self.note("state_changes", where)

    def check(self) -> None:
        """Fail the test on any finding of its own."""
        found = {k: v for k, v in self.findings.items() if v}
        assert not found, json.dumps(found, indent=1, ensure_ascii=False)[:4000]

    def close(self) -> None:
        self.client.close()
