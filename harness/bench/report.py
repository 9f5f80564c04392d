"""The benchmark report: the machine it ran on, and a readable table of a JSON report."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from typing import Any


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_mb() -> float | None:
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024, 0)
    except (OSError, ValueError):
        pass
    return None


def source_revision(root: str) -> dict[str, Any]:
    """The git commit measured, and whether the checkout had uncommitted changes.

    Outside a git checkout (a ``git archive`` copy), ``HARNESS_BENCH_COMMIT`` names the commit.
    """
    named = os.environ.get("HARNESS_BENCH_COMMIT")
    if named:
        return {"commit": named, "modified_files": 0}
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "modified_files": None}
    if head.returncode != 0:
        return {"commit": None, "modified_files": None}
    return {"commit": head.stdout.strip(), "modified_files": len(dirty.stdout.splitlines())}


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_mb(),
    }


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _target_value(value: Any) -> str:
    # Quiet incremental cycles take milliseconds: keep their digits.
    return _num(value, 4 if isinstance(value, float) and abs(value) < 0.1 else 2)


def _rows(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return out


def _load(value: list[float] | None) -> str:
    return "/".join(f"{x:.2f}" for x in value) if value else "-"


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"harness bench: base tenant {report['users']:,} users"
        f"{' (quick)' if report['quick'] else ''}; {m['cpus']} CPUs ({m['cpu_model']}), "
        f"Python {m['python']}",
        f"commit {report['source']['commit'] or 'unknown'}"
        + (
            f" with {report['source']['modified_files']} modified files"
            if report["source"]["modified_files"]
            else ""
        )
        + f", {report['started']}, {report['wall_s']} s",
        f"load average (1/5/15 min) at start {_load(report['load_average']['start'])}, "
        f"at end {_load(report['load_average']['end'])}",
        "",
        "Provisioning cycles (engine over HTTP; each tenant in a fresh process)",
    ]
    rows = []
    for role, run in report["cycles"].items():
        if "error" in run:
            rows.append([role, "-", "-", f"ERROR {run['error'][:60]}", *["-"] * 8])
            continue
        initial = run["initial"]
        mode = run["mode"] + (f" ({run['server']})" if run.get("server") else "")
        rows.append(
            [
                role,
                f"{run['users']:,}",
                mode,
                _num(initial["wall_s"]),
                _num(initial.get("cpu_s")),
                _num(initial["scim_requests_per_s"], 0),
                _num(initial["scim_requests"]),
                _num(initial["graph_requests"]),
                _num(run.get("incremental_0", {}).get("wall_s"), 3),
                _num(run.get("incremental_100", {}).get("wall_s"), 3),
                _num(run["peak_rss_mb"], 0),
                _load(run.get("load_average")),
            ]
        )
    lines += _rows(
        [
            "tenant",
            "users",
            "mode",
            "initial s",
            "CPU s",
            "SCIM req/s",
            "SCIM req",
            "Graph req",
            "incr 0 s",
            "incr 100 s",
            "peak RSS MB",
            "load",
        ],
        rows,
    )

    raw = report["raw"]
    lines += [
        "",
        f"Raw SCIM sequence (POST user, GET userName eq, PATCH), in-process, "
        f"{raw.get('users_preloaded', 0):,} users preloaded",
    ]
    if "error" in raw:
        lines.append(f"  ERROR {raw['error']}")
    else:
        rates = raw["requests_per_s"]
        per_cpu = raw["requests_per_cpu_s"]
        lines += _rows(
            ["server", "req/s", "req per CPU s"],
            [[k, _num(v, 0), _num(per_cpu[k], 0)] for k, v in rates.items()],
        )
        lines.append(
            f"  Miro fake / scim2-server = {raw['miro_vs_scim2_server']}x "
            f"(per CPU s {raw['cpu_miro_vs_scim2_server']}x); Miro fake / bare Flask = "
            f"{raw['miro_vs_bare_flask'] * 100:.0f} % (per CPU s "
            f"{raw['cpu_miro_vs_bare_flask'] * 100:.0f} %)"
        )
    lines += [f"  {line}" for line in _beside_cycles(report)]

    graph = report["graph"]
    lines += ["", "Graph fake (in-process)"]
    if "error" in graph:
        lines.append(f"  ERROR {graph['error']}")
    else:
        listing, delta = graph["list_pages_of_999"], graph["delta"]
        lines.append(
            f"  list {graph['users']:,} users, pages of 999: {listing['wall_s']:.3f} s "
            f"({listing['pages']} pages, {_num(listing['users_per_s'], 0)} users/s)"
        )
        lines.append(
            f"  delta: full round {delta['full_round_s']:.3f} s ({delta['full_round_pages']} "
            f"pages); follow-up 0 changes {delta['follow_up_0_changes_s'] * 1000:.1f} ms, "
            f"100 changes {delta['follow_up_100_changes_s'] * 1000:.1f} ms"
        )

    labs = report["labs"]
    lines += ["", "Lab creation"]
    if "error" in labs:
        lines.append(f"  ERROR {labs['error']}")
    else:
        lines.append(
            f"  median {labs['median_ms']} ms, p90 {labs['p90_ms']} ms, first "
            f"{labs['first_ms']} ms ({labs['labs']} labs)"
        )

    lines += ["", "Scenario suite"]
    suite = report["suite"]
    if suite is None:
        lines.append("  not measured (--no-suite)")
    else:
        lines += [f"  {line}" for line in _suite_lines(suite)]

    lines += [
        "",
        "Targets"
        + (
            ""
            if report["users"] == 10_000
            else f" (stated for 10,000 users; this run used {report['users']:,})"
        ),
    ]
    for t in report["targets"]:
        mark = {True: "met   ", False: "MISSED", None: "n/a   "}[t["met"]]
        lines.append(f"  {mark} {t['target']}: {_target_value(t['value'])} {t['unit']}")
    return "\n".join(lines)


def _suite_lines(suite: dict[str, Any], code: str = "") -> list[str]:
    """One line per suite run (the README's command first), then the collection."""
    lines = []
    for run in suite["runs"]:
        command = run.get("command") or f"pytest {suite['path']} -n {run['workers']}"
        what = run.get("label") or f"-n {run['workers']}"
        if "error" in run:
            lines.append(f"{code}{command}{code} ({what}): ERROR {run['error']}")
            continue
        mean = run.get("test_mean_ms")
        lines.append(
            f"{code}{command}{code} ({what}): {run['wall_s']:.1f} s ({run['summary']})"
            + ("" if mean is None else f"; a test's mean setup + call + teardown {mean} ms")
        )
    collection = suite.get("collect")
    if collection:
        lines.append(
            f"{code}pytest {suite['path']} --collect-only{code}: "
            + (
                f"ERROR {collection['error']}"
                if "error" in collection
                else f"{collection['tests']} tests collected in {collection['collection_s']} s "
                f"(whole command {collection['command_wall_s']} s)"
            )
        )
    return lines


def _md(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def markdown(report: dict[str, Any]) -> str:
    """The figures as Markdown tables (for BENCHMARKS.md)."""
    m, src = report["machine"], report["source"]
    lines = [
        f"Run {report['started']} on commit `{src['commit'] or 'unknown'}`"
        + (f" ({src['modified_files']} modified files)" if src["modified_files"] else "")
        + f"; {m['cpus']} CPUs ({m['cpu_model']}), {_num(m['memory_mb'], 0)} MB RAM, "
        f"Python {m['python']}, {m['platform']}; base tenant {report['users']:,} users; "
        f"whole run {report['wall_s']} s.",
        f"Load average (1/5/15 min): start {_load(report['load_average']['start'])}, end "
        f"{_load(report['load_average']['end'])}.",
        "",
        "### Targets",
        "",
    ]
    mark = {True: "met", False: "**missed**", None: "n/a"}
    lines += _md(
        ["target", "measured", "result"],
        [
            [t["target"], f"{_target_value(t['value'])} {t['unit']}", mark[t["met"]]]
            for t in report["targets"]
        ],
    )
    lines += ["", "### Provisioning cycles", ""]
    rows = []
    for role, run in report["cycles"].items():
        if "error" in run:
            rows.append([role, "-", "-", f"error: {run['error'][:80]}", *["-"] * 9])
            continue
        initial, quiet, busy = (
            run["initial"],
            run.get("incremental_0", {}),
            run.get("incremental_100", {}),
        )
        mode = run["mode"] + (f" ({run['server']})" if run.get("server") else "")
        rows.append(
            [
                role,
                f"{run['users']:,}",
                mode,
                _num(initial["wall_s"]),
                _num(initial.get("cpu_s")),
                _num(initial.get("gc_s")),
                _num(initial["scim_requests_per_s"], 0),
                f"{initial['scim_requests']:,} / {initial['graph_requests']:,}",
                _num(quiet.get("wall_s"), 3),
                _num(busy.get("wall_s"), 3),
                _num(busy.get("cpu_s"), 3),
                _num(run["peak_rss_mb"], 0),
                _load(run.get("load_average")),
            ]
        )
    lines += _md(
        [
            "tenant",
            "users",
            "mode",
            "initial wall s",
            "initial CPU s",
            "of which GC s",
            "SCIM req/s",
            "SCIM / Graph requests",
            "incr. 0 changes s",
            "incr. 100 changes s",
            "incr. 100 CPU s",
            "peak RSS MB",
            "load before",
        ],
        rows,
    )
    raw = report["raw"]
    lines += [
        "",
        f"### Raw SCIM sequence (POST, GET `userName eq`, PATCH), "
        f"{raw.get('users_preloaded', 0):,} users preloaded, in-process",
        "",
    ]
    if "error" in raw:
        lines.append(f"error: {raw['error']}")
    else:
        lines += _md(
            ["server", "req/s (best round)", "req per CPU s"],
            [
                [k, _num(v, 0), _num(raw["requests_per_cpu_s"][k], 0)]
                for k, v in raw["requests_per_s"].items()
            ],
        )
        lines += [
            "",
            f"Miro fake / scim2-server: {raw['miro_vs_scim2_server']}x "
            f"(per CPU second {raw['cpu_miro_vs_scim2_server']}x); Miro fake / bare "
            f"Flask: {raw['miro_vs_bare_flask'] * 100:.0f} % (per CPU second "
            f"{raw['cpu_miro_vs_bare_flask'] * 100:.0f} %).",
        ]
    lines += [line for text in _beside_cycles(report) for line in ("", text + ".")]
    graph, labs = report["graph"], report["labs"]
    lines += ["", "### Graph fake, lab creation, scenario suite", ""]
    if "error" not in graph:
        listing, delta = graph["list_pages_of_999"], graph["delta"]
        lines.append(
            f"- List {graph['users']:,} users in pages of 999: {listing['wall_s']:.3f} s "
            f"({listing['pages']} pages). Delta: full round {delta['full_round_s']:.3f} s "
            f"({delta['full_round_pages']} pages), follow-up with 0 changes "
            f"{delta['follow_up_0_changes_s'] * 1000:.1f} ms, with 100 changes "
            f"{delta['follow_up_100_changes_s'] * 1000:.1f} ms."
        )
    if "error" not in labs:
        lines.append(
            f"- Lab creation: median {labs['median_ms']} ms, p90 {labs['p90_ms']} ms, "
            f"first {labs['first_ms']} ms ({labs['labs']} labs)."
        )
    suite = report["suite"]
    if suite is None:
        lines.append("- Scenario suite: not measured (--no-suite).")
    else:
        lines += [f"- {line}" for line in _suite_lines(suite, code="`")]
    return "\n".join(lines) + "\n"


def _beside_cycles(report: dict[str, Any]) -> list[str]:
    """Issue 18's rates measured in a cycle's own process, before and after its cycle."""
    lines = []
    for role, key, what, cycle_name in (
        ("base", "raw_miro", "Raw Miro fake", "the cycle"),
        ("loopback", "in_process", "In-process cycle", "the loopback cycle"),
    ):
        run = report["cycles"].get(role) or {}
        beside, initial = run.get(key), run.get("initial")
        if not beside or not initial or not initial.get("cpu_s"):
            continue
        cycle = initial["scim_requests"] / initial["cpu_s"]
        lines.append(
            f"{what} beside the {role} tenant's cycle (same process, before and after): "
            f"{_num(beside['requests_per_cpu_s'], 0)} req per CPU s; {cycle_name} "
            f"{_num(cycle, 0)} SCIM req per CPU s "
            f"({cycle / beside['requests_per_cpu_s'] * 100:.0f} %)"
        )
    return lines
