"""The self-contained HTML page of a run: per check its labels, expected and actual, what Entra
does with a failure in production, and every request and response (no script, no external
file: it can be attached to a ticket or a CI run as is)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from harness.validate.exchanges import Exchange
from harness.validate.model import FAILED, PASSED, SKIPPED, Result
from harness.validate.reports import summary_line
from harness.validate.runner import Report

__all__ = ["html_report"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
.check{border:1px solid #ddd;border-left-width:6px;border-radius:4px;margin:.6em 0;padding:.5em .8em}
.passed{border-left-color:#2e7d32}.failed{border-left-color:#c62828}.skipped{border-left-color:#f9a825}
.status{font-weight:bold;text-transform:uppercase;margin-right:.6em}
.passed .status{color:#2e7d32}.failed .status{color:#c62828}.skipped .status{color:#a37000}
.label{display:inline-block;font-size:.8em;border:1px solid #999;border-radius:3px;padding:0 .4em;margin-left:.3em}
.mandatory{background:#fde0dc}.entra{background:#e3f2fd}
dl{margin:.4em 0}dt{font-weight:bold;float:left;width:9em;clear:left}dd{margin-left:10em}
.production{color:#8a1c1c}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:12px;white-space:pre-wrap}
summary{cursor:pointer}code{font-size:.95em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
"""


def _json(value: Any) -> str:
    return escape(json.dumps(value, indent=2, default=str))


def _exchange(e: Exchange) -> str:
    parts = [f"<summary><code>{escape(e.line)}</code> ({e.elapsed_ms:.0f} ms)</summary>"]
    parts.append(f"<p><code>{escape(e.method)} {escape(e.url)}</code></p>")
    if e.request_body is not None:
        parts.append(f"<p>Request body</p><pre>{_json(e.request_body)}</pre>")
    if e.error:
        parts.append(f"<p>Transport error: {escape(e.error)}</p>")
    else:
        headers = {k: v for k, v in e.response_headers.items() if k.lower() != "set-cookie"}
        parts.append(f"<p>Response {e.status} headers</p><pre>{_json(headers)}</pre>")
        if e.response_body is not None:
            parts.append(f"<p>Response body</p><pre>{_json(e.response_body)}</pre>")
    return "<details>" + "".join(parts) + "</details>"


def _check(result: Result) -> str:
    check = result.check
    entra = " entra" if result.basis.startswith("Entra") else ""
    rows = [("Expected", escape(check.expected))]
    if result.status == SKIPPED:
        rows.append(("Skipped", escape(result.reason)))
    else:
        rows.append(("Actual", escape(result.actual)))
    if result.status == FAILED and result.production:
        rows.append(
            ("In production", f'<span class="production">{escape(result.production)}</span>')
        )
    if result.error_code:
        rows.append(("Entra's error code", f"<code>{escape(result.error_code)}</code>"))
    rows.append(("Reference", escape(check.reference)))
    requests = "".join(_exchange(e) for e in result.exchanges)
    return (
        f'<div class="check {result.status}" id="{escape(check.id)}">'
        f'<span class="status">{result.status}</span><strong>{escape(check.name)}</strong>'
        f" <code>{escape(check.id)}</code>"
        f'<span class="label {check.level}">{check.level}</span>'
        f'<span class="label{entra}">{escape(result.basis)}</span>'
        "<dl>"
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
        + "</dl>"
        + (
            f"<details><summary>{len(result.exchanges)} request(s)</summary>{requests}</details>"
            if result.exchanges
            else ""
        )
        + "</div>"
    )


def _label_table(report: Report) -> str:
    rows = "".join(
        f"<tr><th>{escape(label)}</th>"
        + "".join(f"<td>{counts.get(s, 0)}</td>" for s in (PASSED, FAILED, SKIPPED))
        + "</tr>"
        for label, counts in report.label_counts().items()
    )
    return (
        "<table><tr><th>label</th><th>passed</th><th>failed</th><th>skipped</th></tr>"
        + rows
        + "</table>"
    )


def html_report(report: Report) -> str:
    verdict = "FAILED: a mandatory check failed" if report.exit_code else "OK"
    sections = []
    resource = None
    for result in report.results:
        if result.check.resource != resource:
            resource = result.check.resource
            sections.append(f"<h2>{escape(resource)}</h2>")
        sections.append(_check(result))
    cleanup = "".join(_exchange(e) for e in report.cleanup)
    preparation = "".join(_exchange(e) for e in report.preparation)
    dropped = (
        f"<p>Left out of the tests (not declared in /Schemas): {escape(', '.join(report.dropped))}</p>"
        if report.dropped
        else ""
    )
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>harness validate: {escape(report.url)}</title><style>{_CSS}</style></head><body>"
        f"<h1>harness validate: {escape(verdict)}</h1>"
        f"<p>Endpoint <code>{escape(report.url)}</code>; PATCH dialect "
        f"<code>{escape(report.dialect)}</code>; mapping: {escape(report.schema_source)}.</p>"
        f"<p>{escape(summary_line(report))}</p>{_label_table(report)}{dropped}"
        + (
            f"<p>Throttled {report.throttled} time(s), waited {report.waited_s:g} s "
            "(Retry-After, as Entra does).</p>"
            if report.throttled
            else ""
        )
        + "".join(sections)
        + (f"<h2>Preparation</h2>{preparation}" if preparation else "")
        + (f"<h2>Clean-up</h2>{cleanup}" if cleanup else "")
        + "</body></html>\n"
    )
