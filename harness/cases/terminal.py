"""The terminal report of a case run, drawn from the report model (``model.Report``).

The first screen answers the ticket: the verdict, the settings that differ from the defaults,
the engine's reasons per object, and the timeline. Details follow: each object's log, the
directory as the engine saw it, the requests by cycle, the end state and every expectation.
Repetition is folded by default; ``verbose`` shows every entry's steps and every request body.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import Any

import click

from harness.cases.model import (
    CheckView,
    DirectoryGroup,
    EntryDetail,
    Report,
)
from harness.cases.timeline import Column, short_time

Style = Callable[..., str]
WIDTH = 110
VERDICT_COLOURS = {
    "PASSED": "green",
    "REPRODUCED": "cyan",
    "FAILED": "red",
    "NOT REPRODUCED": "red",
}


def names_text(names: list[str], limit: int = 4) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return f"{names[0]}, {names[1]} … {names[-1]}"


def who(kind: str, names: list[str]) -> str:
    """``alice`` or ``40 users: user21, user22 … user60``."""
    if len(names) == 1:
        return names[0]
    return f"{len(names)} {kind.lower()}s: {names_text(names)}"


def value_text(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(text: str, indent: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    )


def terminal_report(
    report: Report, color: bool = True, failures_only: bool = False, verbose: bool = False
) -> str:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    out: list[str] = []
    out += _header(report, style, failures_only)
    if failures_only:
        out += _failed(report, style)
        out += _timeline(report, style)
        out += _reasons(report, style)
        return "\n".join(out)
    out += _settings(report, style)
    out += _reasons(report, style)
    out += _timeline(report, style)
    out += _failed(report, style, only_if_any=True)
    out += _objects(report, style, verbose)
    out += _directory(report, style)
    out += _requests(report, style, verbose)
    out += _end_state(report, style)
    out += _checks(report, style)
    return "\n".join(out)


def _header(report: Report, style: Style, short: bool) -> list[str]:
    verdict = style(report.verdict, fg=VERDICT_COLOURS.get(report.verdict), bold=True)
    out = [f"{style('CASE', bold=True)} {report.title}  {verdict}"]
    out.append(f"  {report.path}  seed {report.seed}  backend {report.backend}")
    if report.known_gap:
        out.append(style(f"  known gap (expected to fail): {report.known_gap}", fg="yellow"))
    if report.ticket:
        out += _wrap(f'ticket: "{report.ticket}"', "  ")
    if report.description and not short:
        out += _wrap(report.description, "  ")
    if report.stopped:
        out.append(style(f"  stopped: {report.stopped}", fg="red"))
    return out


def _settings(report: Report, style: Style) -> list[str]:
    if not report.settings:
        return []
    out = ["", style("Settings that differ from the defaults", bold=True)]
    for s in report.settings:
        default = "unset" if s.default is None else value_text(s.default, 60)
        out.append(f"  {s.where:<7} {s.name} = {value_text(s.value, 120)}  (default {default})")
    return out


def _reasons(report: Report, style: Style) -> list[str]:
    out = ["", style("Why: the engine's reasons, per object (latest outcome first)", bold=True)]
    if not report.reasons:
        out.append("  (no object was evaluated)")
    for reason in report.reasons:
        head = f"{who(reason.kind, reason.names)}: {reason.outcome}"
        colour = "green" if reason.outcome.endswith("success") else "yellow"
        out += _wrap(f"{style(head, fg=colour)} — {reason.reason}", "  ", WIDTH + 10)
        for earlier in reason.history:
            out += _wrap(f"earlier, {earlier}", "      ")
    return out


def _column_line(column: Column) -> str:
    parts = [column.text]
    if column.kind in ("cycle", "idle"):
        if column.kind == "idle" and column.until and column.until != column.at:
            parts[0] += f" (… {short_time(column.until)})"
        if column.state not in ("", "Succeeded"):
            parts.append(f"state {column.state}" + (f" ({column.error})" if column.error else ""))
        status = f"job {column.status}"
        if column.quarantine:
            status += f" {column.quarantine} since {short_time(column.quarantine_since)}"
        parts.append(status)
        if column.escrowed:
            parts.append(f"{column.escrowed} escrowed")
        parts += [f'e-mail "{subject}"' for subject in column.emails]
    return " · ".join(parts)


def _timeline(report: Report, style: Style) -> list[str]:
    out = ["", style("Timeline (virtual time): steps, cycles, job status, e-mails", bold=True)]
    last = ""
    for column in report.timeline.columns:
        when = short_time(column.at)
        shown = when if when != last else ""
        last = when
        if column.kind in ("step", "checkpoint"):
            mark = "◆ " if column.kind == "checkpoint" else ""
            line = f"  {shown:<16}  {column.label:<13} {mark}{_column_line(column)}"
            if column.kind == "checkpoint":
                line = style(line, fg="green" if column.passed else "red")
            out.append(line)
            if column.error:
                out.append(style(f"{'':<33}✗ {column.error}", fg="red"))
        else:
            text = f"{column.label}: {_column_line(column)}"
            colour = "red" if column.status == "Quarantine" or column.state == "Failed" else None
            wrapped = _wrap(text, " " * 33)
            if shown:
                wrapped[0] = f"  {shown:<16}" + wrapped[0][18:]
            out += [style(w, fg=colour) if colour else w for w in wrapped]
    for span in report.timeline.spans:
        if span.kind == "quarantine":
            end = "still in quarantine at the end" if span.open else "lifted"
            out.append(style(f"  {span.label} since {short_time(span.since)} ({end})", fg="red"))
    return out


def _diff_lines(check: CheckView) -> list[str]:
    if not check.diff:
        return [f"       actual: {value_text(check.actual)}"]
    return [
        f"       {d['field']}: expected {value_text(d['expected'], 120)}, "
        f"got {value_text(d['actual'], 120)}"
        for d in check.diff
    ]


def _failed(report: Report, style: Style, only_if_any: bool = False) -> list[str]:
    failed = report.failed_checks
    if only_if_any and not failed:
        return []
    total = len(report.checks)
    title = (
        f"Expectations that failed ({len(failed)} of {total})"
        if failed
        else f"All {total} expectations hold"
    )
    out = ["", style(title, bold=True)]
    for check in failed:
        where = "" if check.where == "end" else f" ({check.where})"
        out.append(style(f"  FAIL line {check.line}{where}: {check.description}", fg="red"))
        out += _diff_lines(check)
    return out


def _entry_detail_lines(entry: EntryDetail) -> list[str]:
    out = ["        Steps"]
    for i, step in enumerate(entry.steps, 1):
        out += _wrap(
            f"{i}. {step['name']} ({step['type']}, {step['status']}): {step['description']}",
            "          ",
        )
        for key, value in (step["details"] or {}).items():
            out += _wrap(f"{key}: {value_text(value, 200)}", "              ")
    if entry.troubleshooting:
        t = entry.troubleshooting
        out.append("        Troubleshooting & Recommendations")
        out += _wrap(f"{t['errorCode']} ({t['errorCategory']}): {t['reason']}", "          ")
        if t.get("recommendedAction"):
            out += _wrap(f"Recommended: {t['recommendedAction']}", "          ")
    if entry.modified:
        out.append("        Modified properties")
        for m in entry.modified:
            out += _wrap(f"{m['name']}: {m['old']!r} → {m['new']!r}", "          ")
    out.append("        Summary")
    out += [f"          {k}: {v}" for k, v in entry.summary.items()]
    return out


def _objects(report: Report, style: Style, verbose: bool) -> list[str]:
    title = "What happened, per object (provisioning log)"
    if not verbose:
        title += "; --verbose shows each entry's steps"
    out = ["", style(title, bold=True)]
    if not report.objects:
        out.append("  (no provisioning-log entries)")
    for group in report.objects:
        head = who(group.kind, group.names)
        if group.count > 1:
            head += f" (the log of {group.names[0]} shown)"
        else:
            head += f"  {group.kind} {group.display}  ({group.ids[0]})"
        out.append("  " + style(head, bold=True))
        for outcome, entry in zip(group.history, group.entries, strict=True):
            colour = {"failure": "red", "skipped": "yellow", "success": "green"}.get(outcome.status)
            head = f"{outcome.cycle} {outcome.when}  {outcome.action}/{outcome.status}"
            out.append("    " + (style(head, fg=colour) if colour else head))
            out += _wrap(outcome.reason, "      ")
            if verbose:
                out += _entry_detail_lines(entry)
    return out


def _group_lines(group: DirectoryGroup, depth: int) -> list[str]:
    indent = "  " * depth
    head = f"{indent}{'└ ' if depth > 1 else ''}group '{group.name}'"
    if group.assigned:
        head += f"  assigned {', '.join(group.assigned)}"
    if depth > 1:
        head += "  (nested: the engine does not expand it)"
    members = f"members: {names_text(group.members, 6) or '(none)'}"
    if len(group.members) > 6:
        members += f" ({len(group.members)})"
    out = [f"{head}  {members}"]
    for inner in group.nested:
        out += _group_lines(inner, depth + 1)
    return out


def _directory(report: Report, style: Style) -> list[str]:
    mode = {True: "Sync all users and groups", False: "Sync only assigned users and groups"}
    out = [
        "",
        style("The directory as the engine saw it", bold=True)
        + f" ({mode.get(bool(report.sync_all))})",
    ]
    for group in report.directory_groups:
        out += _group_lines(group, 1)
    for user in report.directory_users:
        assigned = ", ".join(user.assigned) or "not assigned"
        groups = f"  in {', '.join(repr(g) for g in user.groups)}" if user.groups else ""
        line = f"  {who('User', user.names)}  {user.state}{groups}  {assigned}"
        out += _wrap(f"{line} — {user.reason}", "", WIDTH + 10)
    return out


def _requests(report: Report, style: Style, verbose: bool) -> list[str]:
    total = sum(c.total for c in report.requests)
    out = [
        "",
        style(
            f"Requests Miro received from the engine ({total}; {report.probes} "
            "test-connection probes left out), by cycle, failing first",
            bold=True,
        ),
    ]
    for cycle in report.requests:
        failed = f", {cycle.failed} failed" if cycle.failed else ""
        out.append(f"  {cycle.label}: {cycle.total} request(s){failed}")
        for row in cycle.rows:
            count = f"{row.count} x " if row.count > 1 else ""
            line = f"    {count}{row.status} {row.method} {row.path}"
            if row.body not in (None, "", {}):
                line += f"  {value_text(row.body, 1000 if verbose else 100)}"
            out.append(style(line, fg="red") if row.failed else line)
            if row.failed or verbose:
                out += _wrap(f"→ {value_text(row.response, 1000 if verbose else 200)}", "        ")
    return out


def _end_state(report: Report, style: Style) -> list[str]:
    out = ["", style("End state", bold=True)]
    users = "; ".join(
        f"{g['count']} {g['state']} ({names_text(g['names'])})" for g in report.miro_users
    )
    out.append(f"  Miro users: {users or '(none)'}")
    for team in report.miro_teams:
        out.append(
            f"  Miro team {team['name']}: {names_text(team['members'], 6) or '(no members)'}"
        )
    job = report.job
    quarantine = job.get("quarantine")
    out.append(
        f"  Job: {job.get('code')}; last execution {job.get('last_state') or '-'}"
        f" (escrowed {job.get('escrowed') or 0}); quarantine "
        + (
            f"{quarantine.get('reason')} since {short_time(quarantine.get('seriesBegan'))}"
            f" (latest attempt {short_time(quarantine.get('currentBegan'))}, next "
            f"{short_time(quarantine.get('nextAttempt'))})"
            if quarantine
            else "none"
        )
    )
    for mail in report.outbox:
        out.append(
            f"  E-mail {short_time(mail['at'])} to {', '.join(mail['to'] or [])}: {mail['subject']}"
        )
    return out


def _checks(report: Report, style: Style) -> list[str]:
    failed = len(report.failed_checks)
    out = [
        "",
        style(f"Expectations: {len(report.checks) - failed} passed, {failed} failed", bold=True),
    ]
    for check in report.checks:
        mark = "PASS" if check.passed else "FAIL"
        where = "" if check.where == "end" else f" ({check.where})"
        line = f"  {mark} line {check.line}{where}: {value_text(check.description, 200)}"
        out.append(style(line, fg="green" if check.passed else "red"))
        if not check.passed:
            out += _diff_lines(check)
    return out
