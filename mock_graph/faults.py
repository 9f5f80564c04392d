"""Fault injection: answer matching requests with a chosen status/body, after a delay, for N
times or with a probability (seeded per fault, so runs repeat)."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from mock_graph.exceptions import bad_request

DEFAULT_BODIES = {
    429: ("TooManyRequests", "Please retry again later."),
    500: ("generalException", "An unspecified error has occurred."),
    502: ("badGateway", "Bad gateway."),
    503: (
        "serviceNotAvailable",
        "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay.",
    ),
    504: (
        "gatewayTimeout",
        "The server, while acting as a proxy, did not receive a timely response from the upstream server.",
    ),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: (
        "Request_ResourceNotFound",
        "Resource does not exist or one of its queried reference-property objects are not present.",
    ),
    400: ("Request_BadRequest", "Bad request."),
}


@dataclass
class Fault:
    id: str
    path: str
    method: str | None = None
    status: int | None = None
    body: Any = None
    retry_after: int | None = None
    latency_ms: float = 0
    times: int | None = None
    probability: float | None = None
    hits: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)
    _rng: random.Random | None = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "times": self.times,
            "probability": self.probability,
            "hits": self.hits,
        }


def _int(spec: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad_request(f"Fault '{key}' must be an integer between {low} and {high}.")
    return value


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next = 1

    def add(self, spec: Any) -> Fault:
        if not isinstance(spec, dict):
            raise bad_request("A fault is a JSON object.")
        allowed = {
            "method",
            "path",
            "status",
            "body",
            "retry_after",
            "latency_ms",
            "times",
            "probability",
        }
        unknown = set(spec) - allowed
        if unknown:
            raise bad_request(f"Unknown fault field(s): {', '.join(sorted(unknown))}.")
        path = spec.get("path", ".*")
        if not isinstance(path, str):
            raise bad_request("Fault 'path' must be a regular expression string.")
        try:
            regex = re.compile(path)
        except re.error as exc:
            raise bad_request(f"Fault 'path' is not a valid regular expression: {exc}.") from exc
        method = spec.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise bad_request("Fault 'method' must be an HTTP method such as \"GET\".")
        status = _int(spec, "status", 100, 599)
        retry_after = _int(spec, "retry_after", 0, 86400)
        times = _int(spec, "times", 1, 10**9)
        latency = spec.get("latency_ms", 0)
        if (
            not isinstance(latency, int | float)
            or isinstance(latency, bool)
            or not 0 <= latency <= 60000
        ):
            raise bad_request("Fault 'latency_ms' must be a number between 0 and 60000.")
        probability = spec.get("probability")
        if probability is not None and (
            not isinstance(probability, int | float)
            or isinstance(probability, bool)
            or not 0 <= probability <= 1
        ):
            raise bad_request("Fault 'probability' must be a number between 0 and 1.")
        if times is not None and probability is not None:
            raise bad_request("Give a fault either 'times' or 'probability', not both.")
        if status is None and not latency:
            raise bad_request("A fault needs a 'status' or a 'latency_ms'.")
        body = spec.get("body")
        if body is not None and not isinstance(body, dict | list | str):
            raise bad_request("Fault 'body' must be a JSON object, array or string.")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            fid = f"fault-{self._next}"
            self._next += 1
            fault = Fault(
                fid,
                path,
                method.upper() if method else None,
                status,
                body,
                retry_after,
                latency,
                times,
                probability,
                0,
                regex,
                random.Random(fid),
            )
            self._faults.append(fault)
            return fault

    def match(self, method: str, path: str) -> Fault | None:
        """The first fault that fires for this request (and count it)."""
        with self._lock:
            for fault in self._faults:
                if fault.method is not None and fault.method != method:
                    continue
                assert fault._regex is not None and fault._rng is not None
                if not fault._regex.search(path):
                    continue
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                if fault.probability is not None and fault._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.public() for f in self._faults]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
