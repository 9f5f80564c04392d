"""The replay's verdict for a terminal, as JSON, and as a self-contained HTML page.

All three give the agreement rate and, for each disagreement, both step lists side by side with
the first differing step marked.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

import click

from harness.cases.page import badge, document
from harness.replay.compare import Comparison, Decision, Pair


@dataclass
class ReplayResult:
    case: str
    title: str
    export: list[str]
    backend: str
    comparison: Comparison
    error: str | None = None
    outside: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and not self.comparison.disagreements

    def headline(self) -> str:
        c = self.comparison
        return f"{c.rate:.1f} % agreement ({c.agreed} of {c.total} decisions, {c.cycles} recorded cycle(s))"


def _decision_fields(d: Decision | None) -> dict[str, str]:
    if d is None:
        return {"action": "-", "status": "-", "error_code": "-", "skip_reason": "-"}
    return {
        "action": d.action,
        "status": d.status,
        "error_code": d.error_code or "-",
        "skip_reason": d.skip_reason or "-",
    }


def _step_text(d: Decision | None, i: int) -> str:
    if d is None or i >= len(d.steps):
        return ""
    name, kind, status = d.steps[i]
    return f"{name} ({kind}, {status})"


def _when(p: Pair) -> str:
    d = p.theirs or p.ours
    return d.when if d else ""


def terminal_report(result: ReplayResult, color: bool = True, show_all: bool = False) -> str:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    c = result.comparison
    verdict = (
        style("AGREES", fg="green", bold=True)
        if result.passed
        else style("DIFFERS", fg="red", bold=True)
    )
    out = [f"{style('REPLAY', bold=True)} {result.title}  {verdict}"]
    out.append(f"  case {result.case}  backend {result.backend}")
    out.append(f"  export {', '.join(result.export)}")
    out.append(f"  {result.headline()}")
    if result.outside:
        out.append(
            f"  {result.outside} of our entries belong to no recorded cycle (warm-up); not compared"
        )
    if result.error:
        out.append(style(f"  the case stopped: {result.error}", fg="red"))
    for warning in result.warnings[:10]:
        out.append(style(f"  note: {warning}", fg="yellow"))
    disagreements = c.disagreements
    if disagreements:
        out.append("")
        out.append(style(f"Disagreements ({len(disagreements)})", bold=True))
    for p in disagreements:
        out += _pair_lines(p, style)
    if show_all:
        out.append("")
        out.append(style("Agreements", bold=True))
        for p in c.pairs:
            if p.agrees and p.theirs:
                out.append(f"  cycle {p.cycle} {p.object}: {p.theirs.action}/{p.theirs.status}")
    return "\n".join(out)


def _pair_lines(p: Pair, style: Any) -> list[str]:
    width = 46
    out = ["", style(f"  cycle {p.cycle} ({_when(p)}) · {p.object} ({p.kind})", bold=True)]
    out.append(f"    differs in: {', '.join(p.differences)}")
    out.append(f"    {'':<12} {'theirs (recorded)':<{width}} | ours (replayed)")
    theirs, ours = _decision_fields(p.theirs), _decision_fields(p.ours)
    for key in theirs:
        line = f"    {key:<12} {theirs[key]:<{width}} | {ours[key]}"
        out.append(style(line, fg="red") if theirs[key] != ours[key] else line)
    steps = max(len(p.theirs.steps) if p.theirs else 0, len(p.ours.steps) if p.ours else 0)
    for i in range(steps):
        mark = ">" if p.first_step == i else " "
        line = (
            f"  {mark} step {i + 1:<6} {_step_text(p.theirs, i):<{width}} | {_step_text(p.ours, i)}"
        )
        if p.first_step == i:
            line += "   <- first difference"
            line = style(line, fg="red", bold=True)
        out.append(line)
    return out


def json_report(result: ReplayResult) -> dict[str, Any]:
    c = result.comparison
    return {
        "case": result.case,
        "title": result.title,
        "export": result.export,
        "backend": result.backend,
        "passed": result.passed,
        "error": result.error,
        "agreement": {"agreed": c.agreed, "total": c.total, "rate": round(c.rate, 2)},
        "recorded_cycles": c.cycles,
        "entries_outside_recorded_cycles": result.outside,
        "warnings": result.warnings,
        "disagreements": [
            {
                "object": p.object,
                "kind": p.kind,
                "cycle": p.cycle,
                "differences": p.differences,
                "first_differing_step": p.first_step,
                "theirs": p.theirs.to_json() if p.theirs else None,
                "ours": p.ours.to_json() if p.ours else None,
            }
            for p in c.disagreements
        ],
    }


def json_text(result: ReplayResult) -> str:
    return json.dumps(json_report(result), indent=2, sort_keys=True)


# The case report's page and badge, with what only the replay shows added.
_CSS = """
tr.first td{background:#ffebe9} .diff{color:#cf222e;font-weight:600} .desc{color:#586069;font-size:12px}
"""


def html_report(result: ReplayResult) -> str:
    e = html.escape
    c = result.comparison
    parts = [
        f"<h1>Replay: {e(result.title)} {badge('AGREES' if result.passed else 'DIFFERS', result.passed)}</h1>",
        f'<p class="meta">case {e(result.case)} · export {e(", ".join(result.export))} · backend {e(result.backend)}</p>',
        f"<p><b>{e(result.headline())}</b></p>",
    ]
    if result.outside:
        parts.append(
            f'<p class="meta">{result.outside} of our entries belong to no recorded cycle; not compared.</p>'
        )
    if result.error:
        parts.append(f'<p class="diff">The case stopped: {e(result.error)}</p>')
    parts.append(f"<h2>Disagreements ({len(c.disagreements)})</h2>")
    if not c.disagreements:
        parts.append("<p>None: every recorded decision was made the same way.</p>")
    for p in c.disagreements:
        parts.append(
            f"<h3>cycle {p.cycle} ({e(_when(p))}) · {e(p.object)} ({e(p.kind)})</h3>"
            f"<p>differs in: {e(', '.join(p.differences))}</p>"
            "<table><tr><th></th><th>theirs (recorded)</th><th>ours (replayed)</th></tr>"
        )
        theirs, ours = _decision_fields(p.theirs), _decision_fields(p.ours)
        for key in theirs:
            cls = ' class="diff"' if theirs[key] != ours[key] else ""
            parts.append(
                f"<tr><td>{key}</td><td{cls}>{e(theirs[key])}</td><td{cls}>{e(ours[key])}</td></tr>"
            )
        for i, (a, b) in enumerate(
            zip_longest(p.theirs.steps if p.theirs else (), p.ours.steps if p.ours else ())
        ):
            cls = ' class="first"' if p.first_step == i else ""
            label = f"step {i + 1}" + (" ← first difference" if p.first_step == i else "")
            parts.append(
                f"<tr{cls}><td>{e(label)}</td><td>{_html_step(p.theirs, i, a)}</td>"
                f"<td>{_html_step(p.ours, i, b)}</td></tr>"
            )
        parts.append("</table>")
    return document(f"Replay: {result.title}", parts, _CSS)


def _html_step(d: Decision | None, i: int, step: tuple[str, str, str] | None) -> str:
    if d is None or step is None:
        return ""
    name, kind, status = step
    desc = d.descriptions[i] if i < len(d.descriptions) else ""
    return f'<code>{html.escape(name)}</code> {html.escape(kind)}, {html.escape(status)}<div class="desc">{html.escape(desc)}</div>'
