"""Reports of a case run: terminal text, JSON and a self-contained HTML page, all three drawn
from one model (``model.build_report``), so they say the same things.

By default repetition is folded (objects with the same history, requests of the same shape) and
the raw data is left out, so a 60-user case stays a few screens and a small page; ``verbose``
shows every object, every entry's steps, every request body and (in HTML) the raw JSON.
"""

from __future__ import annotations

from typing import Any

from harness.cases import page, terminal
from harness.cases.model import build_report
from harness.cases.result import CaseResult


def terminal_report(
    result: CaseResult, color: bool = True, failures_only: bool = False, verbose: bool = False
) -> str:
    report = build_report(result, verbose=verbose)
    return terminal.terminal_report(report, color, failures_only, verbose)


def json_report(result: CaseResult) -> dict[str, Any]:
    """The full result (steps, checks, logs, journal, both sides' state) and, under
    ``report``, the model the terminal and HTML reports are drawn from."""
    out = result.to_json()
    out["report"] = build_report(result).to_json()
    return out


def html_report(result: CaseResult, verbose: bool = False) -> str:
    raw = {
        "Provisioning logs (raw)": result.logs,
        "Miro journal (raw)": result.journal,
        "Miro state (raw)": result.miro.get("state"),
        "Directory (raw)": result.directory,
    }
    return page.html_report(build_report(result, verbose=verbose), verbose, raw)
