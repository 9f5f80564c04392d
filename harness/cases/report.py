"""Reports of a case run: terminal text, JSON, and a self-contained HTML page.

All three say the same things: per object what happened and why (in the provisioning-log
vocabulary), the requests Miro received from the engine, the end state of both sides, and
which expectations held.
"""

from __future__ import annotations

import html
import json
import textwrap
from typing import Any

import click

from harness.cases.result import CaseResult, Check
from harness.testing.readers import (
    MiroRequest,
    entry_error,
    entry_skip_reason,
    entry_status,
    is_probe,
)


def _cycle_names(result: CaseResult) -> dict[str, str]:
    return {
        c["cycleId"]: f"cycle {i} ({c.get('type', '?')})" for i, c in enumerate(result.cycles(), 1)
    }


def _cycle_summary(cycle: dict[str, Any]) -> str:
    counts = cycle.get("counts") or {}
    parts = [
        f"{counts.get(k, 0)} {k}"
        for k in ("create", "update", "disable", "delete", "skipped", "failed")
        if counts.get(k)
    ]
    return (
        f"{cycle.get('type')} cycle at {str(cycle.get('began', ''))[:16].replace('T', ' ')}: "
        + (", ".join(parts) or "nothing to do")
        + (f" [{cycle['state']}]" if cycle.get("state") not in (None, "Succeeded") else "")
    )


def cycle_lines(cycles: list[dict[str, Any]]) -> list[str]:
    """One line per cycle, runs of cycles with nothing to do folded into one line."""
    out: list[str] = []
    quiet: list[dict[str, Any]] = []

    def flush() -> None:
        if len(quiet) == 1:
            out.append(_cycle_summary(quiet[0]))
        elif quiet:
            first, last = (str(quiet[i].get("began", ""))[:16].replace("T", " ") for i in (0, -1))
            out.append(
                f"{len(quiet)} {quiet[0].get('type')} cycles with nothing to do ({first} … {last})"
            )
        quiet.clear()

    for cycle in cycles:
        counts = cycle.get("counts") or {}
        idle = not any(
            counts.get(k) for k in ("create", "update", "disable", "delete", "skipped", "failed")
        )
        if (
            idle
            and cycle.get("state") in (None, "Succeeded")
            and cycle.get("type") == "incremental"
        ):
            quiet.append(cycle)
            continue
        flush()
        out.append(_cycle_summary(cycle))
    flush()
    return out


def on_demand_text(response: dict[str, Any]) -> str:
    """provisionOnDemand's answer: the result and the reason, from the ``key`` JSON."""
    body = response.get("body")
    try:
        key = json.loads(body["key"]) if isinstance(body, dict) else {}
    except (KeyError, TypeError, ValueError):
        key = {}
    details = key.get("details") or {}
    why = f" ({details['errorCode']})" if details.get("errorCode") else ""
    return f"on demand: HTTP {response.get('status')}, {key.get('result', '?')}{why}"


def _step_text(record: Any) -> str:
    args = record.args
    if args is None:
        text = record.name
    elif isinstance(args, dict):
        text = f"{record.name} " + ", ".join(f"{k}={v}" for k, v in args.items())
    else:
        text = f"{record.name} {args}"
    return text


def _why(entry: dict[str, Any]) -> str:
    reason = entry_skip_reason(entry)
    if reason:
        return f"SkipReason {reason}"
    error = entry_error(entry)
    if error.get("errorCode"):
        return f"{error['errorCode']} ({error.get('errorCategory', '')})"
    return ""


def object_lines(entry: dict[str, Any], cycles: dict[str, str]) -> tuple[str, str]:
    """(headline, explanation) of one log entry."""
    when = str(entry.get("activityDateTime", ""))[:16].replace("T", " ")
    cycle = cycles.get(str(entry.get("cycleId")), "on demand" if entry.get("cycleId") else "")
    head = f"{cycle} {when}  {entry.get('provisioningAction')}/{entry_status(entry)}"
    why = _why(entry)
    if why:
        head += f"  {why}"
    steps = entry.get("provisioningSteps") or []
    explanation = " → ".join(f"{s.get('name')}" for s in steps)
    last = steps[-1].get("description", "") if steps else ""
    error = entry_error(entry).get("reason")
    detail = str(error or last)
    return head, f"{explanation}: {detail}" if detail else explanation


def _requests(result: CaseResult) -> tuple[list[MiroRequest], int]:
    requests = [MiroRequest(**r) for r in result.requests]
    kept = [r for r in requests if not is_probe(r)]
    return kept, len(requests) - len(kept)


def _body_text(request: MiroRequest, limit: int = 160) -> str:
    if request.body in (None, "", {}):
        return ""
    text = json.dumps(request.body, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _assigned(result: CaseResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in result.directory.get("assignments") or []:
        out.setdefault(str(a.get("principalId")), []).append(str(a.get("role")))
    return out


def _check_lines(check: Check) -> list[str]:
    mark = "PASS" if check.passed else "FAIL"
    lines = [f"{mark} line {check.line}: {check.description}"]
    if not check.passed:
        lines.append(f"       expected: {_short(check.expected)}")
        actual = check.actual
        if isinstance(actual, list):
            lines.append("       actual:")
            lines += [f"         {a}" for a in actual] or ["         (nothing)"]
        else:
            lines.append(f"       actual:   {_short(actual)}")
    return lines


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def terminal_report(result: CaseResult, color: bool = True, failures_only: bool = False) -> str:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    out: list[str] = []
    verdict = (
        style("PASSED", fg="green", bold=True)
        if result.passed
        else style("FAILED", fg="red", bold=True)
    )
    out.append(f"{style('CASE', bold=True)} {result.title}  {verdict}")
    out.append(f"  {result.path}  seed {result.seed}  backend {result.backend}")
    if result.xfail:
        out.append(style(f"  known gap (expected to fail): {result.xfail}", fg="yellow"))
    if result.description and not failures_only:
        out += textwrap.wrap(
            result.description, width=100, initial_indent="  ", subsequent_indent="  "
        )
    if result.error:
        out.append(style(f"  stopped: {result.error}", fg="red"))

    failed = result.failed_checks
    if failures_only:
        out.append("")
        out.append(
            style(
                f"Expectations that failed ({len(failed)} of {len(result.checks)})"
                if failed
                else f"All {len(result.checks)} expectations hold",
                bold=True,
            )
        )
        for check in failed:
            out += ["  " + line for line in _check_lines(check)]

    out.append("")
    out.append(style("Steps", bold=True))
    for record in result.steps:
        out.append(f"  line {record.line:<4} {_step_text(record)}")
        for text in cycle_lines(record.cycles):
            out.append(f"             → {text}")
        if record.response is not None:
            out.append(f"             → {on_demand_text(record.response)}")
        if record.error:
            out.append(style(f"             ✗ {record.error}", fg="red"))

    cycles = _cycle_names(result)
    out.append("")
    out.append(style("What happened, per object (provisioning log)", bold=True))
    objects = result.objects()
    if not objects:
        out.append("  (no provisioning-log entries)")
    for name, oid, entries in objects:
        kind = (entries[-1].get("sourceIdentity") or {}).get("identityType", "")
        display = (entries[-1].get("sourceIdentity") or {}).get("displayName", "")
        out.append(f"  {style(name, bold=True)}  {kind} {display}  ({oid})")
        for entry in entries:
            head, explanation = object_lines(entry, cycles)
            status = entry_status(entry)
            colour = {"failure": "red", "skipped": "yellow", "success": "green"}.get(status)
            out.append("    " + (style(head, fg=colour) if colour else head))
            out += textwrap.wrap(
                explanation, width=110, initial_indent="      ", subsequent_indent="        "
            )

    requests, probes = _requests(result)
    out.append("")
    out.append(
        style(
            f"Requests Miro received from the engine ({len(requests)}; "
            f"{probes} test-connection probes left out)",
            bold=True,
        )
    )
    for request in requests:
        body = _body_text(request)
        out.append(f"  {request.status} {request.line}" + (f"  {body}" if body else ""))

    if not failures_only:
        out.append("")
        out.append(style("End state", bold=True))
        out.append("  Miro users:")
        for user in result.miro.get("users") or []:
            state = "active" if user.get("active") is not False else "INACTIVE"
            out.append(f"    {user['userName']:<36} {state:<8} id {user['id']}")
        if not result.miro.get("users"):
            out.append("    (none)")
        out.append("  Miro teams:")
        for team in result.miro.get("teams") or []:
            out.append(f"    {team['displayName']}: {', '.join(team['members']) or '(no members)'}")
        assigned = _assigned(result)
        out.append("  Directory (Entra):")
        for user in result.directory.get("users") or []:
            enabled = "enabled" if user.get("accountEnabled") else "DISABLED"
            roles = ", ".join(assigned.get(str(user.get("id")), [])) or "-"
            out.append(
                f"    {user.get('userPrincipalName'):<36} {enabled:<8} assigned directly: {roles}"
            )
        for user in result.directory.get("deletedUsers") or []:
            out.append(f"    {user.get('userPrincipalName'):<36} SOFT-DELETED (recycle bin)")
        for group in result.directory.get("groups") or []:
            roles = ", ".join(assigned.get(str(group.get("id")), [])) or "-"
            out.append(f"    group {group.get('displayName'):<30} assigned directly: {roles}")
        job_status = result.job.get("status") or {}
        last = job_status.get("lastExecution") or {}
        quarantine = job_status.get("quarantine")
        out.append(
            f"  Job: {job_status.get('code')}; last execution {last.get('state', '-')}"
            f" (escrowed {last.get('countEscrowed', 0)}); quarantine "
            + (
                f"{quarantine.get('reason')} since {quarantine.get('seriesBegan')}, next attempt "
                f"{quarantine.get('nextAttempt')}"
                if quarantine
                else "none"
            )
        )

        out.append("")
        passed = len(result.checks) - len(failed)
        out.append(style(f"Expectations: {passed} passed, {len(failed)} failed", bold=True))
        for check in result.checks:
            for i, line in enumerate(_check_lines(check)):
                if i == 0:
                    line = style(line, fg="green" if check.passed else "red")
                out.append("  " + line)
    return "\n".join(out)


def json_report(result: CaseResult) -> dict[str, Any]:
    return result.to_json()


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1f23;max-width:72rem}
h1{font-size:1.5rem;margin:0 0 .3rem} h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
.meta{color:#586069} .pass{color:#1a7f37} .fail{color:#cf222e} .skip{color:#9a6700}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:1rem;color:#fff;font-weight:600}
.badge.pass{background:#1a7f37;color:#fff} .badge.fail{background:#cf222e;color:#fff}
table{border-collapse:collapse;width:100%;margin:.3rem 0} td,th{border:1px solid #e1e4e8;padding:.25rem .5rem;
text-align:left;vertical-align:top} th{background:#f6f8fa} code,pre{font:12px ui-monospace,Consolas,monospace}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:30rem} .obj{margin:.8rem 0}
details{margin:.4rem 0} summary{cursor:pointer;font-weight:600}
"""


def html_report(result: CaseResult) -> str:
    e = html.escape
    cycles = _cycle_names(result)
    verdict = (
        '<span class="badge pass">PASSED</span>'
        if result.passed
        else '<span class="badge fail">FAILED</span>'
    )
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(result.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(result.title)} {verdict}</h1>",
        f'<p class="meta">{e(result.path)} · seed {result.seed} · backend {e(result.backend)}</p>',
    ]
    if result.description:
        parts.append(f"<p>{e(result.description)}</p>")
    if result.xfail:
        parts.append(f'<p class="skip">Known gap (expected to fail): {e(result.xfail)}</p>')
    if result.error:
        parts.append(f'<p class="fail">Stopped: {e(result.error)}</p>')

    failed = result.failed_checks
    parts.append(
        f"<h2>Expectations: {len(result.checks) - len(failed)} passed, {len(failed)} failed</h2>"
    )
    parts.append("<table><tr><th></th><th>line</th><th>expectation</th><th>actual</th></tr>")
    for check in result.checks:
        cls, mark = ("pass", "✓") if check.passed else ("fail", "✗")
        actual = check.actual if isinstance(check.actual, list) else [check.actual]
        parts.append(
            f'<tr><td class="{cls}">{mark}</td><td>{check.line}</td><td>{e(check.description)}</td>'
            f"<td><code>{'<br>'.join(e(_short(a)) for a in actual)}</code></td></tr>"
        )
    parts.append("</table>")

    parts.append("<h2>Steps</h2><table><tr><th>line</th><th>step</th><th>cycles that ran</th></tr>")
    for record in result.steps:
        ran = "<br>".join(e(t) for t in cycle_lines(record.cycles))
        if record.response is not None:
            ran += e(on_demand_text(record.response))
        if record.error:
            ran += f'<br><span class="fail">{e(record.error)}</span>'
        parts.append(
            f"<tr><td>{record.line}</td><td><code>{e(_step_text(record))}</code></td><td>{ran}</td></tr>"
        )
    parts.append("</table>")

    parts.append("<h2>What happened, per object</h2>")
    for name, oid, entries in result.objects():
        source = entries[-1].get("sourceIdentity") or {}
        parts.append(
            f'<div class="obj"><b>{e(name)}</b> <span class="meta">{e(str(source.get("identityType", "")))} '
            f"{e(str(source.get('displayName', '')))} · {e(oid)}</span><table>"
            "<tr><th>when</th><th>action / status</th><th>why</th><th>steps</th></tr>"
        )
        for entry in entries:
            status = entry_status(entry)
            cls = {"failure": "fail", "skipped": "skip", "success": "pass"}.get(status, "")
            _, explanation = object_lines(entry, cycles)
            when = f"{cycles.get(str(entry.get('cycleId')), '')} {str(entry.get('activityDateTime', ''))[:16]}"
            parts.append(
                f'<tr><td>{e(when)}</td><td class="{cls}">{e(str(entry.get("provisioningAction")))} / '
                f"{e(status)}</td><td>{e(_why(entry))}</td><td>{e(explanation)}</td></tr>"
            )
        parts.append("</table></div>")

    requests, probes = _requests(result)
    parts.append(
        f"<h2>Requests Miro received from the engine ({len(requests)}; {probes} probes left out)</h2>"
    )
    parts.append("<table><tr><th>status</th><th>request</th><th>body</th></tr>")
    for request in requests:
        parts.append(
            f"<tr><td>{request.status}</td><td><code>{e(request.line)}</code></td>"
            f"<td><code>{e(_body_text(request, 400))}</code></td></tr>"
        )
    parts.append("</table>")

    parts.append(
        "<h2>End state</h2><h3>Miro users</h3><table><tr><th>userName</th><th>active</th>"
        "<th>displayName</th><th>id</th></tr>"
    )
    for user in result.miro.get("users") or []:
        parts.append(
            f"<tr><td>{e(str(user['userName']))}</td><td>{e(str(user.get('active')))}</td>"
            f"<td>{e(str(user.get('displayName')))}</td><td>{e(str(user['id']))}</td></tr>"
        )
    parts.append("</table><h3>Miro teams</h3><table><tr><th>team</th><th>members</th></tr>")
    for team in result.miro.get("teams") or []:
        parts.append(
            f"<tr><td>{e(team['displayName'])}</td><td>{e(', '.join(team['members']))}</td></tr>"
        )
    assigned = _assigned(result)
    parts.append(
        "</table><h3>Directory (Entra)</h3><table><tr><th>user / group</th><th>state</th>"
        "<th>assigned roles</th></tr>"
    )
    for user in result.directory.get("users") or []:
        parts.append(
            f"<tr><td>{e(str(user.get('userPrincipalName')))}</td>"
            f"<td>{'enabled' if user.get('accountEnabled') else 'disabled'}</td>"
            f"<td>{e(', '.join(assigned.get(str(user.get('id')), [])))}</td></tr>"
        )
    for user in result.directory.get("deletedUsers") or []:
        parts.append(
            f"<tr><td>{e(str(user.get('userPrincipalName')))}</td><td>soft-deleted</td><td></td></tr>"
        )
    for group in result.directory.get("groups") or []:
        parts.append(
            f"<tr><td>group {e(str(group.get('displayName')))}</td><td></td>"
            f"<td>{e(', '.join(assigned.get(str(group.get('id')), [])))}</td></tr>"
        )
    parts.append("</table>")
    job_status = result.job.get("status") or {}
    parts.append(f"<h3>Job</h3><pre>{e(json.dumps(job_status, indent=2, sort_keys=True))}</pre>")

    for title, data in (
        ("Provisioning logs (raw)", result.logs),
        ("Miro journal (raw)", result.journal),
        ("Miro state (raw)", result.miro.get("state")),
        ("Directory (raw)", result.directory),
    ):
        parts.append(
            f"<details><summary>{e(title)}</summary><pre>"
            f"{e(json.dumps(data, indent=2, sort_keys=True, default=str))}</pre></details>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)
