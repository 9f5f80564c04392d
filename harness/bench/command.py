"""``harness bench``: every measurement of docs/benchmarks.md in one run, one JSON report."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from harness.bench import suite as suite_runner
from harness.bench.process import ROOT, run_child
from harness.bench.progress import Progress, mode_for
from harness.bench.report import load_average, machine, markdown, source_revision, table
from harness.bench.targets import (
    check_all,
    initial_vs_raw_best_round,
    loopback_vs_base_process,
)
from harness.servers import SERVER_KINDS

DEFAULT_USERS = 10_000
QUICK_USERS = 200
# The main job as the README runs it (None: no -n flag, the project's defaults decide), then
# without xdist and with 2 workers, to show what the default chose against both.
SUITE_WORKERS: tuple[int | None, ...] = (None, 0, 2)


def _plan(
    users: int, xl: bool, server: str | None, sequences: int
) -> list[tuple[str, dict[str, Any]]]:
    # The base tenant's process also measures the Miro fake's raw rate, half the sequences
    # before its cycle and half after (issue 18's "initial cycle / raw Miro-fake rate").
    cycles: list[tuple[str, dict[str, Any]]] = [
        ("small", {"users": max(10, users // 10), "served": False}),
        ("base", {"users": users, "served": False, "raw_sequences": max(3, sequences // 2)}),
        ("large", {"users": users * 5, "served": False}),
        # The loopback tenant's process also runs the same tenant in-process, before and after
        # (issue 18's "loopback / in-process").
        ("loopback", {"users": users, "served": True, "server": server, "in_process_beside": True}),
    ]
    if xl:
        cycles.append(("xl", {"users": users * 10, "served": False}))
    return [(role, {"kind": "cycles", **task}) for role, task in cycles]


@click.command("bench")
@click.option(
    "--users",
    "-u",
    type=click.IntRange(min=10),
    default=None,
    help="Base tenant size (default 10,000; 200 with --quick). Small/large/xl tenants "
    "are 1/10, 5x and 10x of it.",
)
@click.option(
    "--quick", is_flag=True, help="Smoke size: a few seconds, every figure still reported."
)
@click.option(
    "--xl/--no-xl",
    default=True,
    show_default=True,
    help="Run the 10x tenant (100,000 users at the default size).",
)
@click.option(
    "--suite/--no-suite",
    "with_suite",
    default=None,
    help="Time the scenario suite as the README runs it, with -n 0 and -n 2, and its "
    "collection (default: on, off with --quick).",
)
@click.option(
    "--suite-path",
    default="scenarios",
    show_default=True,
    help="The pytest path timed with --suite, relative to the project root.",
)
@click.option(
    "--loopback-server",
    type=click.Choice(SERVER_KINDS),
    default=None,
    help="WSGI server of the loopback lab (default: the lab's own default).",
)
@click.option(
    "--sequences",
    type=click.IntRange(min=3),
    default=None,
    help="Raw-speed sequences (POST, GET, PATCH) per server (default 1,500; 60 quick).",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write the JSON report to this file.",
)
@click.option(
    "--markdown",
    "markdown_out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write the figures as Markdown tables (for BENCHMARKS.md).",
)
@click.option(
    "--replay-records",
    type=click.IntRange(min=0),
    default=0,
    help="Also import and replay a synthetic export of this many records (issue 17: 250,000 "
    "within 5 minutes and 2 GB); 0 skips it.",
)
@click.option(
    "--table/--no-table",
    "show_table",
    default=True,
    show_default=True,
    help="Print the readable table on stderr (the JSON goes to stdout).",
)
def bench(
    users: int | None,
    quick: bool,
    xl: bool,
    with_suite: bool | None,
    suite_path: str,
    loopback_server: str | None,
    sequences: int | None,
    out: str | None,
    markdown_out: str | None,
    replay_records: int,
    show_table: bool,
) -> None:
    """Measure the harness: cycles, raw SCIM speed against scim2-server and bare Flask, the Graph
    fake, lab creation and the scenario suite. Prints one JSON report on stdout."""
    users = users or (QUICK_USERS if quick else DEFAULT_USERS)
    sequences = sequences or (60 if quick else 1_500)
    with_suite = (not quick) if with_suite is None else with_suite
    # Redrawn on a terminal; plain lines in a CI log or a file, so a long run is never silent.
    progress = mode_for(sys.stderr)
    say = Progress(progress, sys.stderr)
    began = time.perf_counter()
    report: dict[str, Any] = {
        "users": users,
        "quick": quick,
        "machine": machine(),
        "source": source_revision(str(ROOT)),
        "load_average": {"start": load_average(), "end": None},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    def child(task: dict[str, Any]) -> dict[str, Any]:
        what = ", ".join(f"{k} {v}" for k, v in task.items() if k != "kind")
        say.note(f"bench: {task['kind']} ({what}) ...")
        load = load_average()
        result = run_child({**task, "progress": progress})
        result["load_average"] = load
        return result

    report["labs"] = child({"kind": "labs", "count": 20 if quick else 200})
    report["raw"] = child({"kind": "raw", "users": users, "sequences": sequences})
    report["graph"] = child({"kind": "graph", "users": users})
    report["cycles"] = {
        role: child(task) for role, task in _plan(users, xl, loopback_server, sequences)
    }
    if with_suite:
        runs = []
        for workers in SUITE_WORKERS:
            say.note(f"bench: scenario suite, {suite_runner.label(workers)} ...")
            load = load_average()
            run = suite_runner.run(suite_path, workers)
            run["load_average"] = load
            runs.append(run)
        say.note("bench: scenario suite, collection only ...")
        collection = suite_runner.collect(suite_path)
        report["suite"] = {"path": suite_path, "runs": runs, "collect": collection}
    else:
        report["suite"] = None
    if replay_records:
        from harness.bench import replay

        say.note(f"bench: replay ({replay_records:,} records) ...")
        report["replay"] = replay.measure(replay_records)
    report["load_average"]["end"] = load_average()
    report["wall_s"] = round(time.perf_counter() - began, 1)
    report["targets"] = check_all(report)
    report["initial_vs_raw_best_round"] = initial_vs_raw_best_round(report)
    report["loopback_vs_base_process"] = loopback_vs_base_process(report)
    report["errors"] = _errors(report)

    text = json.dumps(report, indent=2)
    if out:
        with open(out, "w") as handle:
            handle.write(text + "\n")
    if markdown_out:
        with open(markdown_out, "w") as handle:
            handle.write(markdown(report))
    if show_table:
        click.echo(table(report), err=True)
    click.echo(text)
    if report["errors"]:
        raise click.exceptions.Exit(1)


def _errors(report: dict[str, Any]) -> list[str]:
    errors = []
    for name in ("labs", "raw", "graph"):
        if "error" in report[name]:
            errors.append(f"{name}: {report[name]['error']}")
    for role, run in report["cycles"].items():
        if "error" in run:
            errors.append(f"cycles.{role}: {run['error']}")
            continue
        for phase in ("initial", "incremental_0", "incremental_100"):
            cycle = run.get(phase)
            if cycle and (cycle["state"] != "Succeeded" or cycle["failed"]):
                errors.append(
                    f"cycles.{role}.{phase}: state {cycle['state']}, "
                    f"{cycle['failed']} failed, error {cycle['error']}"
                )
    for run in (report["suite"] or {}).get("runs", []):
        if "error" in run:
            errors.append(f"suite {suite_runner.label(run['workers'])}: {run['error']}")
    collection = (report["suite"] or {}).get("collect") or {}
    if "error" in collection:
        errors.append(f"suite collection: {collection['error']}")
    return errors
