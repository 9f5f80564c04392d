"""The run's reports: the terminal summary, JSON, and JUnit XML for CI dashboards (the element
and attribute names of the JUnit schema Jenkins, GitLab, Azure DevOps and pytest's reader
share: ``testsuites``/``testsuite``/``testcase`` with ``failure`` and ``skipped``)."""

from __future__ import annotations

import json
import platform
import xml.etree.ElementTree as ET
from typing import Any

import click

from harness.validate.exchanges import Exchange
from harness.validate.model import FAILED, PASSED, SKIPPED, Result
from harness.validate.runner import Report

__all__ = ["json_report", "junit_report", "terminal_report"]

_MARK = {PASSED: ("PASS", "green"), FAILED: ("FAIL", "red"), SKIPPED: ("SKIP", "yellow")}


def _labels(result: Result) -> str:
    return f"{result.check.level} · {result.basis}"


def summary_line(report: Report) -> str:
    counts = report.counts()
    mandatory_failed = sum(1 for r in report.results if r.status == FAILED and r.check.mandatory)
    return (
        f"{len(report.results)} checks in {report.elapsed_s:.2f} s: "
        f"{counts.get(PASSED, 0)} passed, {counts.get(FAILED, 0)} failed "
        f"({mandatory_failed} mandatory), {counts.get(SKIPPED, 0)} skipped"
    )


def label_lines(report: Report) -> list[str]:
    out = []
    for label, counts in report.label_counts().items():
        parts = ", ".join(f"{counts.get(s, 0)} {s}" for s in (PASSED, FAILED, SKIPPED))
        out.append(f"{label}: {parts}")
    return out


def terminal_report(report: Report, *, color: bool = True, verbose: bool = False) -> str:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    lines = [
        style("harness validate", bold=True) + f"  {report.url}",
        f"PATCH dialect: {report.dialect}; mapping: {report.schema_source}",
    ]
    if report.dropped:
        lines.append("left out (not in /Schemas): " + ", ".join(report.dropped))
    resource = None
    for result in report.results:
        if result.check.resource != resource:
            resource = result.check.resource
            lines.append("")
            lines.append(style(resource, bold=True))
        mark, fg = _MARK[result.status]
        head = f"  {style(mark, fg=fg, bold=True)}  {result.check.name}  "
        lines.append(head + style(f"[{result.check.id}; {_labels(result)}]", dim=True))
        if result.status == FAILED:
            lines.append(f"        expected: {result.check.expected}")
            lines.append(f"        actual:   {result.actual}")
            if result.production:
                lines.append(f"        in production: {result.production}")
        elif result.status == SKIPPED:
            lines.append(f"        {result.reason}")
        elif verbose:
            lines.append(f"        {result.actual}")
        if verbose or result.status == FAILED:
            lines.extend(f"          {e.line}" for e in result.exchanges)
    lines.append("")
    verdict = (
        style("FAILED", fg="red", bold=True)
        if report.exit_code
        else style("OK", fg="green", bold=True)
    )
    lines.append(f"{verdict}  {summary_line(report)}")
    lines.extend(f"  {line}" for line in label_lines(report))
    if report.throttled:
        lines.append(
            f"  throttled {report.throttled} time(s); waited {report.waited_s:g} s (Retry-After)"
        )
    return "\n".join(lines)


def json_report(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, default=str)


def _requests_text(exchanges: list[Exchange]) -> str:
    out = []
    for e in exchanges:
        out.append(e.line)
        if e.request_body is not None:
            out.append("  request:  " + json.dumps(e.request_body, default=str))
        if e.response_body is not None:
            out.append("  response: " + json.dumps(e.response_body, default=str)[:2000])
    return "\n".join(out)


def junit_report(report: Report) -> str:
    """JUnit XML: one ``testsuite`` per resource (Discovery, Users, Groups), one ``testcase``
    per check; failures carry expected, actual and what Entra does in production."""
    root = ET.Element(
        "testsuites",
        {
            "name": "harness validate",
            "tests": str(len(report.results)),
            "failures": str(report.counts().get(FAILED, 0)),
            "errors": "0",
            "skipped": str(report.counts().get(SKIPPED, 0)),
            "time": f"{report.elapsed_s:.3f}",
        },
    )
    suites: dict[str, list[Result]] = {}
    for result in report.results:
        suites.setdefault(result.check.resource, []).append(result)
    for name, results in suites.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": name,
                "tests": str(len(results)),
                "failures": str(sum(r.status == FAILED for r in results)),
                "errors": "0",
                "skipped": str(sum(r.status == SKIPPED for r in results)),
                "time": f"{sum(r.elapsed_ms for r in results) / 1000:.3f}",
                "hostname": platform.node() or "localhost",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for key, value in (
            ("url", report.url),
            ("dialect", report.dialect),
            ("schema", report.schema_source),
        ):
            ET.SubElement(properties, "property", {"name": key, "value": value})
        for result in results:
            check = result.check
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "name": f"{check.id}: {check.name}",
                    "classname": f"harness.validate.{name.lower()}",
                    "time": f"{result.elapsed_ms / 1000:.3f}",
                },
            )
            if result.status == FAILED:
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"message": result.actual, "type": f"{check.level}, {result.basis}"},
                )
                failure.text = (
                    f"expected: {check.expected}\nactual: {result.actual}\n"
                    f"in production: {result.production}\nreference: {check.reference}"
                )
            elif result.status == SKIPPED:
                ET.SubElement(case, "skipped", {"message": result.reason})
            out = ET.SubElement(case, "system-out")
            out.text = f"labels: {_labels(result)}\n" + _requests_text(result.exchanges)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
