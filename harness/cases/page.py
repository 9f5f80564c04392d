"""The HTML report of a case run: one self-contained page (inline CSS and SVG, no script, no
external asset), drawn from the report model. ``document`` and ``badge`` are shared with the
replay's report.

The first screen: the verdict, the ticket, the settings that differ from the defaults, the
engine's reasons per object, and the timeline picture. Then the expectations that failed (only
the differing fields), each object's log entries as the admin center's detail pane shows them
(Steps, Troubleshooting & Recommendations, Modified properties, Summary), the directory as the
engine saw it (nesting drawn), the requests by cycle (failing first, bodies collapsible), the
end state and every expectation.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from harness.cases.model import CheckView, DirectoryGroup, EntryDetail, ObjectGroup, Report
from harness.cases.svg import timeline_svg
from harness.cases.terminal import names_text, value_text, who
from harness.cases.timeline import short_time

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1f23;max-width:84rem}
h1{font-size:1.5rem;margin:0 0 .3rem} h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
h3{font-size:1rem;margin:1rem 0 .3rem} .meta{color:#57606a} .pass{color:#1a7f37} .fail{color:#cf222e}
.skip{color:#9a6700} .badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
.badge.pass{background:#1a7f37} .badge.fail{background:#cf222e} .badge.repro{background:#8250df}
blockquote{margin:.5rem 0;padding:.3rem .8rem;border-left:4px solid #8250df;background:#fbefff}
table{border-collapse:collapse;margin:.3rem 0} td,th{border:1px solid #e1e4e8;padding:.2rem .5rem;
text-align:left;vertical-align:top} th{background:#f6f8fa} code,pre{font:12px ui-monospace,Consolas,monospace}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:24rem;margin:.2rem 0}
details{margin:.2rem 0} summary{cursor:pointer} .reason{margin:.25rem 0} .why{font-weight:600}
.diff td.expected{background:#dafbe1} .diff td.actual{background:#ffebe9} .obj{margin:.8rem 0 1.2rem}
.timeline-box{overflow-x:auto;border:1px solid #e1e4e8;padding:.3rem;background:#fff}
ul.tree{list-style:none;padding-left:1.2rem} ul.tree li{margin:.15rem 0} .nested{color:#9a6700}
tr.failed td{background:#ffebe9}
"""


def document(title: str, body: list[str], css: str = "") -> str:
    """A self-contained page: the report's style (plus ``css``), then ``body``."""
    return "\n".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title><style>{CSS}{css}</style></head><body>",
            *body,
            "</body></html>",
        ]
    )


def badge(text: str, passed: bool, reproduction: bool = False) -> str:
    cls = "fail" if not passed else "repro" if reproduction else "pass"
    return f'<span class="badge {cls}">{escape(text)}</span>'


def _pre(value: Any) -> str:
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, indent=2, sort_keys=True, default=str)
    )
    return f"<pre>{escape(text)}</pre>"


def _names(names: list[str]) -> str:
    if len(names) <= 4:
        return escape(", ".join(names))
    return (
        f"{escape(names_text(names))} <details><summary>all {len(names)}</summary>"
        f"{escape(', '.join(names))}</details>"
    )


def html_report(report: Report, verbose: bool = False, raw: dict[str, Any] | None = None) -> str:
    e = escape
    body = [
        f"<h1>{e(report.title)} {badge(report.verdict, report.passed, bool(report.ticket))}</h1>",
        f'<p class="meta">{e(report.path)} · seed {report.seed} · backend {e(report.backend)}</p>',
    ]
    if report.ticket:
        body.append(f"<blockquote>{e(report.ticket)}</blockquote>")
    if report.description:
        body.append(f"<p>{e(report.description)}</p>")
    if report.known_gap:
        body.append(f'<p class="skip">Known gap (expected to fail): {e(report.known_gap)}</p>')
    if report.stopped:
        body.append(f'<p class="fail">Stopped: {e(report.stopped)}</p>')
    if report.settings:
        body.append('<h2 id="settings">Settings that differ from the defaults</h2><table>')
        body.append("<tr><th>where</th><th>setting</th><th>value</th><th>default</th></tr>")
        for s in report.settings:
            body.append(
                f"<tr><td>{e(s.where)}</td><td><code>{e(s.name)}</code></td>"
                f"<td><code>{e(value_text(s.value))}</code></td>"
                f"<td><code>{e('unset' if s.default is None else value_text(s.default))}</code></td></tr>"
            )
        body.append("</table>")
    body += _reasons(report)
    body.append('<h2 id="timeline">Timeline</h2>')
    body.append(f'<div class="timeline-box">{timeline_svg(report.timeline)}</div>')
    body += _timeline_table(report)
    if report.failed_checks:
        body.append(f'<h2 id="failed">Expectations that failed ({len(report.failed_checks)})</h2>')
        body += [_check(c) for c in report.failed_checks]
    body += _objects(report, verbose)
    body += _directory(report)
    body += _requests(report, verbose)
    body += _end_state(report)
    failed = len(report.failed_checks)
    body.append(
        f'<h2 id="checks">Expectations: {len(report.checks) - failed} passed, {failed} failed</h2>'
    )
    body += [_check(c) for c in report.checks]
    if verbose and raw:
        for title, data in raw.items():
            body.append(f"<details><summary>{e(title)}</summary>{_pre(data)}</details>")
    return document(report.title, body)


def _reasons(report: Report) -> list[str]:
    out = ['<h2 id="why">Why: the engine\'s reasons, per object</h2>']
    if not report.reasons:
        out.append("<p>No object was evaluated.</p>")
    for reason in report.reasons:
        cls = "pass" if reason.outcome.endswith("success") else "skip"
        label = (
            reason.names[0]
            if len(reason.names) == 1
            else f"{len(reason.names)} {reason.kind.lower()}s"
        )
        earlier = "".join(
            f'<li>earlier, <span class="why">{escape(h)}</span></li>' for h in reason.history
        )
        out.append(
            f'<div class="reason"><b>{escape(label)}</b> '
            f'<span class="{cls}">{escape(reason.outcome)}</span>: '
            f'<span class="why">{escape(reason.reason)}</span>'
            + (f'<div class="meta">{_names(reason.names)}</div>' if len(reason.names) > 1 else "")
            + (f"<ul>{earlier}</ul>" if earlier else "")
            + "</div>"
        )
    return out


def _timeline_table(report: Report) -> list[str]:
    out = [
        "<details><summary>The timeline as a table</summary><table>"
        "<tr><th>time</th><th></th><th>what</th><th>job</th><th>e-mails</th></tr>"
    ]
    for c in report.timeline.columns:
        job = c.status + (
            f" ({c.quarantine} since {short_time(c.quarantine_since)})" if c.quarantine else ""
        )
        extra = f" · {c.escrowed} escrowed" if c.escrowed else ""
        extra += f" · {c.error}" if c.error else ""
        out.append(
            f"<tr><td>{escape(short_time(c.at))}</td><td>{escape(c.label)}</td>"
            f"<td>{escape(c.text + extra)}</td><td>{escape(job)}</td>"
            f"<td>{escape('; '.join(c.emails))}</td></tr>"
        )
    out.append("</table></details>")
    return out


def _check(check: CheckView) -> str:
    cls, mark = ("pass", "✓") if check.passed else ("fail", "✗")
    where = "" if check.where == "end" else f' <span class="meta">({escape(check.where)})</span>'
    out = [
        f'<div class="check {cls}"><span class="{cls}">{mark}</span> line {check.line}{where}: '
        f"{escape(check.description)}"
    ]
    if not check.passed:
        if check.diff:
            out.append(
                '<table class="diff"><tr><th>field</th><th>expected</th><th>actual</th></tr>'
            )
            for d in check.diff:
                out.append(
                    f"<tr><td><code>{escape(str(d['field']))}</code></td>"
                    f'<td class="expected"><code>{escape(value_text(d["expected"]))}</code></td>'
                    f'<td class="actual"><code>{escape(value_text(d["actual"]))}</code></td></tr>'
                )
            out.append("</table>")
        else:
            out.append(f"<div><code>{escape(value_text(check.actual))}</code></div>")
    out.append("</div>")
    return "".join(out)


def _entry(entry: EntryDetail) -> str:
    o = entry.outcome
    out = [
        f"<details><summary>Log details: {escape(o.cycle)} {escape(o.when)} "
        f"{escape(o.action)}/{escape(o.status)}</summary>",
        "<h4>Steps</h4><table><tr><th>#</th><th>step</th><th>type</th><th>status</th>"
        "<th>description</th><th>details</th></tr>",
    ]
    for i, step in enumerate(entry.steps, 1):
        details = "<br>".join(
            f"{escape(str(k))}: {escape(value_text(v, 400))}"
            for k, v in (step["details"] or {}).items()
        )
        out.append(
            f"<tr><td>{i}</td><td><code>{escape(str(step['name']))}</code></td>"
            f"<td>{escape(str(step['type']))}</td><td>{escape(str(step['status']))}</td>"
            f"<td>{escape(str(step['description']))}</td><td><small>{details}</small></td></tr>"
        )
    out.append("</table><h4>Troubleshooting &amp; Recommendations</h4>")
    t = entry.troubleshooting
    if t:
        out.append(
            f"<p><b>{escape(str(t['errorCode']))}</b> ({escape(str(t['errorCategory']))}): "
            f"{escape(str(t['reason']))}</p>"
            + (
                f"<p>Recommended: {escape(str(t['recommendedAction']))}</p>"
                if t.get("recommendedAction")
                else ""
            )
        )
    else:
        out.append('<p class="meta">No error.</p>')
    out.append("<h4>Modified properties</h4>")
    if entry.modified:
        out.append("<table><tr><th>property</th><th>old value</th><th>new value</th></tr>")
        out += [
            f"<tr><td><code>{escape(str(m['name']))}</code></td><td>{escape(str(m['old']))}</td>"
            f"<td>{escape(str(m['new']))}</td></tr>"
            for m in entry.modified
        ]
        out.append("</table>")
    else:
        out.append('<p class="meta">None.</p>')
    out.append("<h4>Summary</h4><table>")
    out += [
        f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in entry.summary.items()
    ]
    out.append("</table></details>")
    return "".join(out)


def _object(group: ObjectGroup) -> str:
    head = escape(
        who(group.kind, group.names) if group.count == 1 else f"{group.count} {group.kind.lower()}s"
    )
    sub = (
        f"{escape(group.kind)} {escape(group.display)} · {escape(group.ids[0])}"
        if group.count == 1
        else f"{_names(group.names)} — the log of {escape(group.names[0])} shown"
    )
    out = [
        f'<div class="obj"><h3>{head}</h3><div class="meta">{sub}</div><table>'
        "<tr><th>when</th><th>cycle</th><th>action / status</th><th>the engine's reason</th></tr>"
    ]
    for o in group.history:
        cls = {"failure": "fail", "skipped": "skip", "success": "pass"}.get(o.status, "")
        out.append(
            f"<tr><td>{escape(o.when)}</td><td>{escape(o.cycle)}</td>"
            f'<td class="{cls}">{escape(o.action)} / {escape(o.status)}</td>'
            f'<td class="reason">{escape(o.reason)}</td></tr>'
        )
    out.append("</table>")
    out += [_entry(entry) for entry in group.entries]
    out.append("</div>")
    return "".join(out)


def _objects(report: Report, verbose: bool) -> list[str]:
    out = ['<h2 id="objects">What happened, per object (provisioning log)</h2>']
    if not report.objects:
        out.append("<p>No provisioning-log entries.</p>")
    out += [_object(group) for group in report.objects]
    return out


def _tree(group: DirectoryGroup, nested: bool = False) -> str:
    assigned = f" · assigned {escape(', '.join(group.assigned))}" if group.assigned else ""
    note = ' <span class="nested">(nested: the engine does not expand it)</span>' if nested else ""
    members = _names(group.members) if group.members else "(no user members)"
    inner = "".join(_tree(g, True) for g in group.nested)
    return (
        f"<li>group <b>{escape(group.name)}</b>{assigned}{note}<br>"
        f'<span class="meta">members: {members}</span>'
        + (f'<ul class="tree">{inner}</ul>' if inner else "")
        + "</li>"
    )


def _directory(report: Report) -> list[str]:
    mode = "Sync all users and groups" if report.sync_all else "Sync only assigned users and groups"
    out = [
        f'<h2 id="directory">The directory as the engine saw it <small class="meta">({mode})</small></h2>'
    ]
    if report.directory_groups:
        out.append(
            '<ul class="tree">' + "".join(_tree(g) for g in report.directory_groups) + "</ul>"
        )
    if not report.directory_users:
        out.append("<p>No users.</p>")
        return out
    out.append(
        "<table><tr><th>users</th><th>state</th><th>groups (direct)</th><th>assignments</th>"
        "<th>the engine's scope reason</th></tr>"
    )
    for user in report.directory_users:
        out.append(
            f"<tr><td>{_names(user.names)}</td><td>{escape(user.state)}</td>"
            f"<td>{escape(', '.join(user.groups))}</td>"
            f"<td>{escape(', '.join(user.assigned) or 'not assigned')}</td>"
            f'<td class="reason">{escape(user.reason)}</td></tr>'
        )
    out.append("</table>")
    return out


def _requests(report: Report, verbose: bool) -> list[str]:
    total = sum(c.total for c in report.requests)
    out = [
        f'<h2 id="requests">Requests Miro received from the engine ({total}; {report.probes} '
        "test-connection probes left out), by cycle, failing first</h2>"
    ]
    if not report.requests:
        out.append("<p>None.</p>")
    for cycle in report.requests:
        failed = f", {cycle.failed} failed" if cycle.failed else ""
        out.append(f"<h3>{escape(cycle.label)}: {cycle.total} request(s){failed}</h3><table>")
        out.append(
            "<tr><th>time</th><th>status</th><th>request</th><th>count</th><th>bodies (the first)</th></tr>"
        )
        for row in cycle.rows:
            bodies = ""
            if row.body not in (None, "", {}):
                bodies += f"<details><summary>request body</summary>{_pre(row.body)}</details>"
            if row.response not in (None, "", {}):
                open_ = " open" if row.failed else ""
                bodies += (
                    f"<details{open_}><summary>response</summary>{_pre(row.response)}</details>"
                )
            out.append(
                f'<tr class="{"failed" if row.failed else ""}"><td>{escape(row.time)}</td>'
                f"<td>{row.status}</td><td><code>{escape(row.method)} {escape(row.path)}</code></td>"
                f"<td>{row.count}</td><td>{bodies}</td></tr>"
            )
        out.append("</table>")
    return out


def _end_state(report: Report) -> list[str]:
    out = ['<h2 id="end">End state</h2><table>']
    for g in report.miro_users:
        out.append(
            f"<tr><th>Miro users, {escape(g['state'])} ({g['count']})</th><td>{_names(g['names'])}</td></tr>"
        )
    for team in report.miro_teams:
        out.append(
            f"<tr><th>Miro team {escape(team['name'])}</th><td>{_names(team['members']) or '(no members)'}</td></tr>"
        )
    job = report.job
    q = job.get("quarantine")
    quarantine = (
        f"{q.get('reason')} since {short_time(q.get('seriesBegan'))} (latest attempt "
        f"{short_time(q.get('currentBegan'))}, next {short_time(q.get('nextAttempt'))})"
        if q
        else "none"
    )
    out.append(
        f"<tr><th>Job</th><td>{escape(str(job.get('code')))}; last execution "
        f"{escape(str(job.get('last_state') or '-'))} (escrowed {job.get('escrowed') or 0}); "
        f"quarantine {escape(quarantine)}</td></tr>"
    )
    for mail in report.outbox:
        out.append(
            f"<tr><th>E-mail {escape(short_time(mail['at']))}</th><td>to "
            f"{escape(', '.join(mail['to'] or []))}: {escape(str(mail['subject']))}</td></tr>"
        )
    out.append("</table>")
    return out
