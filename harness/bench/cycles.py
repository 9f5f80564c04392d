"""Provisioning cycles on a big tenant: the initial cycle, then incremental ones with 0 and 100
changes. Runs inside a fresh child process (see ``child.py``) so each tenant's peak RSS is its own.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from harness.bench import raw
from harness.bench.counting import RequestCounter
from harness.bench.gctime import GcTimer
from harness.bench.memory import current_rss_mb
from harness.bench.progress import Progress
from harness.bench.tenant import group_count, seed
from harness.lab.local import Lab

BENCH_SEED = 9
INCREMENTAL_CHANGES = 100
QUIET_RUNS = 3


def _cycle(lab: Lab, advance: str, scim: RequestCounter, graph: RequestCounter) -> dict[str, Any]:
    scim.take()
    graph.take()
    began, cpu_began = time.perf_counter(), time.process_time()
    with GcTimer() as collector:
        # Lab.advance's client gives up after 30 s; a big tenant's cycle may take longer.
        response = lab.graph_client.post("/_fake/clock", json={"advance": advance}, timeout=None)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    if response.status_code != 200:
        raise RuntimeError(f"POST /_fake/clock -> {response.status_code}: {response.text[:300]}")
    summaries = response.json()["cycles"]
    scim_requests, graph_requests = scim.take(), graph.take()
    if len(summaries) != 1:
        raise RuntimeError(f"expected one cycle, ran {len(summaries)}")
    summary = summaries[0]
    counts = summary["counts"]
    return {
        "type": summary["type"],
        "state": summary["state"],
        "error": summary["error"],
        "wall_s": round(wall, 4),
        # CPU seconds of the whole process (engine and fakes, every thread): what the harness
        # costs, whatever else the machine is doing.
        "cpu_s": round(cpu, 4),
        # Of which Python's cyclic garbage collector (grows with the number of live objects).
        "gc_s": round(collector.seconds, 4),
        "gc_collections": collector.collections,
        "scim_requests": scim_requests,
        "graph_requests": graph_requests,
        "scim_requests_per_s": round(scim_requests / wall, 1) if wall > 0 else None,
        "exports": counts["exports"],
        "failed": counts["failed"],
        "deltas": counts["deltas"],
        "engine_requests": counts["requests"],
    }


UNTHROTTLED = {"rate_limits": False}


def lab_server_default() -> str | None:
    """The WSGI server ``Lab(served=True)`` uses unless told otherwise."""
    parameter = inspect.signature(Lab).parameters.get("server")
    return None if parameter is None else str(parameter.default)


def _initial_in_process(users: int, progress: Progress) -> dict[str, Any]:
    """The SCIM requests and CPU seconds of an in-process initial cycle of the same tenant."""
    lab = Lab(BENCH_SEED, served=False, miro_settings=UNTHROTTLED)
    try:
        seed(lab, users, progress)
        scim, graph = RequestCounter(lab.miro_app, progress), RequestCounter(lab.graph_app)
        lab.start()
        progress.begin(f"in-process cycle beside the loopback one, {users:,} users")
        initial = _cycle(lab, "0", scim, graph)
        progress.end()
        return {"requests": initial["scim_requests"], "cpu_s": initial["cpu_s"]}
    finally:
        lab.close()


def _beside(
    measure: Callable[[], dict[str, Any]], cycle: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``cycle()``, with ``measure()`` run just before and just after it in this process: a rate
    compared with the cycle's then shares its process, its moment and the machine's load."""
    runs = [measure()]
    out = cycle()
    runs.append(measure())
    requests, cpu = sum(r["requests"] for r in runs), sum(r["cpu_s"] for r in runs)
    return out, {"runs": runs, "requests_per_cpu_s": round(requests / max(cpu, 1e-9), 1)}


def run(
    users: int,
    *,
    served: bool,
    progress: Progress,
    incremental: bool = True,
    server: str | None = None,
    raw_sequences: int = 0,
    in_process_beside: bool = False,
) -> dict[str, Any]:
    """The cycles of one tenant. ``raw_sequences``: also the Miro fake's raw rate over that
    many sequences before and after them (``raw_miro``); ``in_process_beside``: also an
    in-process initial cycle of the same tenant before and after them (``in_process``)."""

    def cycles() -> dict[str, Any]:
        return _run(users, served, progress, incremental, server)

    if raw_sequences:
        out, beside = _beside(lambda: raw.miro_rate(users, raw_sequences), cycles)
        out["raw_miro"] = {"sequences": raw_sequences, **beside}
    elif in_process_beside:
        out, beside = _beside(lambda: _initial_in_process(users, progress), cycles)
        out["in_process"] = beside
    else:
        out = cycles()
    return out


def _run(
    users: int, served: bool, progress: Progress, incremental: bool, server: str | None
) -> dict[str, Any]:
    mode = "loopback" if served else "in-process"
    began = time.perf_counter()
    server_choice: dict[str, Any] = {"server": server} if server and served else {}
    # Throughput, not Miro's quotas: Miro's rate limits (on by default) would add retried
    # requests and backoff to every measured cycle, so the bench turns them off.
    lab = Lab(BENCH_SEED, served=served, miro_settings=UNTHROTTLED, **server_choice)
    try:
        tenant = seed(lab, users, progress)
        seeded = time.perf_counter() - began
        scim = RequestCounter(lab.miro_app, progress)
        graph = RequestCounter(lab.graph_app)
        rss_seeded = current_rss_mb()
        lab.start()
        groups = group_count(users)
        # One probe, a filter GET and a POST per user, a filter GET and a PATCH per team.
        progress.begin(f"initial cycle, {users:,} users, {mode}", total=1 + 2 * users + 2 * groups)
        initial = _cycle(lab, "0", scim, graph)
        progress.end()
        out: dict[str, Any] = {
            "users": users,
            "groups": groups,
            "mode": mode,
            "server": (server or lab_server_default()) if served else None,
            "seed_s": round(seeded, 3),
            "rss_after_seed_mb": rss_seeded,
            "initial": initial,
        }
        if incremental:
            # Three quiet cycles: the first also pays for collecting the initial cycle's garbage.
            quiet = [_cycle(lab, "40m", scim, graph) for _ in range(QUIET_RUNS)]
            out["incremental_0"] = sorted(quiet, key=lambda c: c["wall_s"])[len(quiet) // 2]
            out["incremental_0"]["runs_wall_s"] = [c["wall_s"] for c in quiet]
            mix = tenant.change(INCREMENTAL_CHANGES)
            out["incremental_100"] = _cycle(lab, "40m", scim, graph)
            out["incremental_100"]["changes"] = mix
        out["rss_end_mb"] = current_rss_mb()
        return out
    finally:
        lab.close()
