"""Running the checks: read ``/Schemas``, pick the mapping, run each selected check in order
(a check another one needs runs first as its setup step), delete what the run created."""

from __future__ import annotations

import fnmatch
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.engine import rules
from harness.engine.errors import TargetError, classify_transport
from harness.validate import production
from harness.validate.checks import endpoints, groups, users
from harness.validate.checks.common import failure_of
from harness.validate.discovery import declared_attributes, restrict
from harness.validate.exchanges import Exchange
from harness.validate.model import FAILED, PASSED, SKIPPED, Check, CheckFailed, CheckSkipped, Result
from harness.validate.session import Options, Session

__all__ = ["CHECKS", "Report", "run", "select"]

CHECKS: list[Check] = [*endpoints.CHECKS, *users.CHECKS, *groups.CHECKS]
BY_ID = {c.id: c for c in CHECKS}
_PHRASE = {FAILED: "failed", SKIPPED: "was skipped"}


def select(only: tuple[str, ...], skip: tuple[str, ...]) -> list[Check]:
    """The checks ``--only`` and ``--skip`` leave (ids or shell patterns: ``users.*``).
    ValueError names a pattern that matches no check."""
    for pattern in (*only, *skip):
        if not any(fnmatch.fnmatchcase(c.id, pattern) for c in CHECKS):
            raise ValueError(f"{pattern!r} matches no check; the checks are: {', '.join(BY_ID)}")
    chosen = [c for c in CHECKS if not only or any(fnmatch.fnmatchcase(c.id, p) for p in only)]
    return [c for c in chosen if not any(fnmatch.fnmatchcase(c.id, p) for p in skip)]


@dataclass
class Report:
    url: str
    dialect: str
    schema_source: str
    results: list[Result]
    preparation: list[Exchange] = field(default_factory=list)
    cleanup: list[Exchange] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    throttled: int = 0
    waited_s: float = 0.0

    @property
    def exit_code(self) -> int:
        """1 when a mandatory check failed, else 0."""
        return int(any(r.status == FAILED and r.check.mandatory for r in self.results))

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.results))

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Per label (mandatory, optional, RFC 7643/7644, Entra behaviour): checks per status."""
        out: dict[str, Counter[str]] = {}
        for r in self.results:
            for label in (r.check.level, r.basis):
                out.setdefault(label, Counter())[r.status] += 1
        return {label: dict(c) for label, c in out.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "dialect": self.dialect,
            "schema": self.schema_source,
            "notDeclaredAttributes": self.dropped,
            "elapsedSeconds": round(self.elapsed_s, 3),
            "throttled": {"times": self.throttled, "waitedSeconds": self.waited_s},
            "exitCode": self.exit_code,
            "counts": self.counts(),
            "labels": self.label_counts(),
            "checks": [r.to_json() for r in self.results],
            "preparation": [e.to_json() for e in self.preparation],
            "cleanup": [e.to_json() for e in self.cleanup],
        }


class Runner:
    def __init__(self, session: Session, checks: list[Check]) -> None:
        self.session = session
        self.checks = checks
        self.results: dict[str, Result] = {}
        self.setups: dict[str, str | None] = {}  # check id -> None (passed) or why not
        session.require = self.require

    def require(self, check_id: str) -> None:
        """Make sure ``check_id`` passed: skip the caller if it did not; run it as a setup step
        if it has not run (the caller fails if it fails)."""
        check = BY_ID[check_id]
        result = self.results.get(check_id)
        if result is not None:
            if result.status != PASSED:
                raise CheckSkipped(f"needs '{check.name}', which {_PHRASE[result.status]}")
            return
        if check_id in self.setups:
            why = self.setups[check_id]
            if why is not None:
                raise CheckSkipped(f"needs '{check.name}' as a setup step, which {why}")
            return
        try:
            check.run(self.session)
        except CheckFailed as exc:
            self.setups[check_id] = "failed"
            raise CheckFailed(
                f"setup step '{check.name}' failed: {exc.actual}",
                production=exc.production,
                info=exc.info,
            ) from None
        except CheckSkipped as exc:
            self.setups[check_id] = f"was skipped ({exc.reason})"
            raise CheckSkipped(f"needs '{check.name}', which was skipped ({exc.reason})") from None
        self.setups[check_id] = None

    def run_one(self, check: Check) -> Result:
        s = self.session
        result = Result(check, PASSED, check.basis(s.dialect))
        start, began = len(s.recorder.exchanges), time.perf_counter()
        before = {role: obj.state() for role, obj in s.objects.items()}
        what = check.resource[:-1].lower() if check.resource != "Discovery" else "request"
        try:
            result.actual = check.run(s)
        except CheckFailed as exc:
            self._failed(result, exc)
        except CheckSkipped as exc:
            result.status, result.reason = SKIPPED, exc.reason
        except TargetError as exc:
            self._failed(result, failure_of(exc, what))
        except httpx.HTTPError as exc:
            info = classify_transport(s.app_name, exc)
            self._failed(
                result,
                CheckFailed(
                    f"the request failed: {type(exc).__name__}: {exc}",
                    production=production.for_error(info, what),
                    info=info,
                ),
            )
        except rules.MappingError as exc:
            result.status = SKIPPED
            result.reason = f"the mapping cannot be evaluated for the test values: {exc}"
        except ValueError as exc:  # an answer that is not the JSON it claims to be
            self._failed(
                result,
                CheckFailed(
                    f"an answer could not be read: {exc}",
                    production=f"Entra fails the {what} with "
                    "SystemForCrossDomainIdentityManagementServiceIncompatible.",
                ),
            )
        if result.status != PASSED:
            # What a failed check changed in the directory did not reach the app: later checks
            # match by the values the app still has.
            for role, state in before.items():
                s.objects[role].restore(state)
        result.exchanges = s.recorder.exchanges[start:]
        result.elapsed_ms = (time.perf_counter() - began) * 1000
        self.results[check.id] = result
        return result

    @staticmethod
    def _failed(result: Result, exc: CheckFailed) -> None:
        result.status = FAILED
        result.actual = exc.actual
        result.production = exc.production or ""
        result.error_code = exc.info.code if exc.info is not None else None
        result.limitation = exc.limitation


def _prepare(session: Session) -> None:
    """Read ``/Schemas``; without an exported schema, keep only the template's attributes the
    endpoint declares (Microsoft's validator's "Discover schema" mode)."""
    try:
        response = session.send("GET", "/Schemas")
    except httpx.HTTPError:
        session.schemas_exchange = session.recorder.exchanges[-1]
        return
    session.schemas_exchange = session.recorder.exchanges[-1]
    if response.status_code != 200:
        return
    try:
        declared = declared_attributes(response.json())
    except ValueError:
        return
    session.declared = declared
    if declared and session.options.schema is None:
        restricted, dropped = restrict(session.schema.to_json(), declared)
        session.use_schema(restricted)
        session.dropped = dropped


def run(
    options: Options,
    transport: httpx.BaseTransport | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Validate the endpoint ``options.url``; ValueError for ``--only``/``--skip`` patterns that
    match no check."""
    checks = select(options.only, options.skip)
    began = time.perf_counter()
    session = Session(options, transport or httpx.HTTPTransport(), sleep=sleep)
    try:
        _prepare(session)
        preparation = list(session.recorder.exchanges)
        groups_mapped = session.group_mapping is not None
        session.groups_on = groups_mapped if options.groups is None else options.groups
        runner = Runner(session, checks)
        results = []
        for check in checks:
            if check.resource == "Groups" and not (session.groups_on and groups_mapped):
                reason = (
                    "group checks are off (--no-groups)"
                    if groups_mapped
                    else "the schema maps no groups (or its group mapping is disabled)"
                )
                result = Result(check, SKIPPED, check.basis(session.dialect), reason=reason)
                runner.results[check.id] = result
                results.append(result)
                continue
            results.append(runner.run_one(check))
        done = len(session.recorder.exchanges)
        session.clean_up()
        cleanup = session.recorder.exchanges[done:]
    finally:
        session.close()
    source = (
        "the schema given"
        if options.schema is not None
        else "the Miro gallery template, restricted to what /Schemas declares"
        if session.declared
        else "the Miro gallery template (the endpoint declares no /Schemas)"
    )
    return Report(
        url=options.url,
        dialect=session.dialect,
        schema_source=source,
        results=results,
        preparation=preparation,
        cleanup=cleanup,
        dropped=session.dropped,
        elapsed_s=time.perf_counter() - began,
        throttled=session.throttled,
        waited_s=session.waited,
    )
