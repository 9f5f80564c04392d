"""The timeline as an inline SVG picture (no script, no external asset).

Lanes, top to bottom: the case (steps ▲ and checkpoints ◆), the cycles (coloured by state,
with their counts), the job's status (quarantine and pause as spans from their start), escrows
and throttling, notification e-mails; the virtual time axis at the bottom. Columns follow the
order things happened; gaps of virtual time are drawn wider the longer they are, and gaps of
an hour or more are compressed and marked "≈".
"""

from __future__ import annotations

import math
from datetime import datetime
from html import escape

from harness.cases.timeline import Column, Timeline, short_time

LEFT = 96
WIDTHS = {"step": 16, "checkpoint": 18, "cycle": 64, "idle": 56}


def column_width(column: Column) -> float:
    """Steps are narrow; a cycle is as wide as its counts need (within bounds)."""
    if column.kind in ("cycle", "idle"):
        return min(max(WIDTHS[column.kind], 5.6 * len(column.text) + 10), 150)
    # a folded run of steps is labelled "132-171"
    return max(WIDTHS[column.kind], 4.8 * len(column.label.removeprefix("lines ")) + 4)


LANES = {"case": 22, "cycles": 52, "job": 100, "escrow": 128, "mail": 150, "axis": 178}
HEIGHT = 196
STATE_COLOURS = {
    "Succeeded": "#2da44e",
    "EntryLevelErrors": "#d4a72c",
    "Failed": "#cf222e",
}


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _gap(previous: str, current: str) -> tuple[float, str]:
    """The width of the gap between two columns, and a label when the gap is compressed."""
    a, b = _time(previous), _time(current)
    if a is None or b is None or b <= a:
        return 4.0, ""
    minutes = (b - a).total_seconds() / 60
    width = min(8 + 10 * math.log2(1 + minutes), 90)
    label = ""
    if minutes >= 60:
        hours = minutes / 60
        label = f"≈{hours:.0f}h" if hours < 48 else f"≈{hours / 24:.0f}d"
    return width, label


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def timeline_svg(timeline: Timeline) -> str:
    columns = timeline.columns
    xs: list[float] = []
    breaks: list[tuple[float, str]] = []
    x = float(LEFT)
    for i, column in enumerate(columns):
        if i:
            gap, label = _gap(columns[i - 1].at, column.at)
            if label:
                breaks.append((x + gap / 2, label))
            x += gap
        xs.append(x)
        x += column_width(column)
    # Room for the labels of the last column and of a span that ends there.
    ends = [
        xs[span.last] + column_width(columns[span.last]) + 6.2 * (len(span.label) + 30)
        for span in timeline.spans
    ]
    width = max([x + 180, 520.0, *ends])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
        f'viewBox="0 0 {width:.0f} {HEIGHT}" width="{width:.0f}" height="{HEIGHT}" '
        f'aria-label="Timeline of the case on the virtual clock">',
        "<style>text{font:11px system-ui,sans-serif;fill:#1b1f23}.lane{fill:#57606a;"
        "font-weight:600}.small{font-size:9px}.q{fill:#fff;font-weight:600}"
        ".axis{fill:#57606a;font-size:10px}.qlabel{fill:#cf222e;font-weight:600}"
        ".line{fill:#57606a;font-size:8px}</style>",
    ]
    for lane, y in (
        ("case", LANES["case"]),
        ("cycles", LANES["cycles"] + 14),
        ("job status", LANES["job"] + 4),
        ("escrow / 429", LANES["escrow"]),
        ("e-mails", LANES["mail"]),
    ):
        parts.append(_text(4, y, lane, "lane"))
    parts.append(
        f'<line x1="{LEFT - 6}" y1="{LANES["axis"] - 12}" x2="{width - 4:.0f}" '
        f'y2="{LANES["axis"] - 12}" stroke="#d0d7de"/>'
    )
    # Job status: a thin band where the job ran, and spans for quarantine and pause.
    for span in timeline.spans:
        x0 = xs[span.first]
        x1 = xs[span.last] + column_width(columns[span.last]) + (40 if span.open else 0)
        colour = "#cf222e" if span.kind == "quarantine" else "#8c959f"
        since = f" since {short_time(span.since)}" if span.since else ""
        title = f"{span.label}{since}" + (" (still at the end)" if span.open else "")
        inside = (x1 - x0) >= 6.2 * len(title) + 8
        label = (
            _text(x0 + 4, LANES["job"] + 4, title, "q")
            if inside
            else _text(x1 + 4, LANES["job"] + 4, title, "qlabel")
        )
        parts.append(
            f'<g class="span span-{span.kind}" data-since="{escape(span.since)}">'
            f"<title>{escape(title)}</title>"
            f'<rect x="{x0:.1f}" y="{LANES["job"] - 10}" width="{max(x1 - x0, 8):.1f}" '
            f'height="20" rx="3" fill="{colour}"/>' + label + "</g>"
        )
    for column, x0 in zip(columns, xs, strict=True):
        parts.append(_column(column, x0))
    for bx, label in breaks:
        parts.append(_text(bx, LANES["axis"] + 2, label, "axis", "middle"))
    last_time = ""
    for column, x0 in zip(columns, xs, strict=True):
        when = short_time(column.at)
        if when and when != last_time:
            shown = when[11:] if when[:10] == last_time[:10] else when[5:]
            parts.append(_text(x0, LANES["axis"] + 14, shown, "axis"))
            parts.append(
                f'<line x1="{x0:.1f}" y1="{LANES["axis"] - 15}" x2="{x0:.1f}" '
                f'y2="{LANES["axis"] - 9}" stroke="#8c959f"/>'
            )
        last_time = when or last_time
    parts.append("</svg>")
    return "".join(parts)


def _column(column: Column, x: float) -> str:
    title = f"{short_time(column.at)} {column.label}: {column.text}"
    line = column.label.removeprefix("lines ").removeprefix("line ")
    if column.kind == "step":
        y = LANES["case"]
        return (
            f'<g class="step"><title>{escape(title)}</title>'
            f'<path d="M{x + 3:.1f},{y + 2} l5,-10 l5,10 z" fill="#57606a"/>'
            + _text(x + 8, y - 11, line, "line", "middle")
            + "</g>"
        )
    if column.kind == "checkpoint":
        y = LANES["case"] - 4
        colour = "#2da44e" if column.passed else "#cf222e"
        return (
            f'<g class="checkpoint {"pass" if column.passed else "fail"}">'
            f"<title>{escape(title)}</title>"
            f'<path d="M{x + 9:.1f},{y - 8} l7,8 l-7,8 l-7,-8 z" fill="{colour}"/>'
            + _text(x + 9, y - 10, line, "line", "middle")
            + "</g>"
        )
    w = column_width(column)
    y = LANES["cycles"]
    colour = "#d0d7de" if column.kind == "idle" else STATE_COLOURS.get(column.state, "#8c959f")
    if column.held and column.state == "Succeeded":
        colour = STATE_COLOURS["EntryLevelErrors"]  # it ran, but held its deletions back
    out = [
        f'<g class="cycle state-{escape(column.state or "idle")}"><title>{escape(title)}</title>',
        f'<rect x="{x:.1f}" y="{y}" width="{w - 4}" height="28" rx="3" fill="{colour}"/>',
        _text(x + 3, y + 12, column.label.replace("cycle ", "#").split(" (")[0], "q small"),
        _text(x + 3, y + 24, column.text, "q small"),
    ]
    if column.kind == "cycle":
        kind = column.label.split("(")[-1].rstrip(")")
        out.append(_text(x, y - 3, kind, "small"))
    if column.escrowed or column.throttled:
        label = " ".join(
            t
            for t in (
                f"{column.escrowed} esc" if column.escrowed else "",
                f"429 x{column.throttled}" if column.throttled else "",
            )
            if t
        )
        out.append(_text(x, LANES["escrow"], label, "small"))
    for i, subject in enumerate(column.emails):
        out.append(
            f'<g class="mail"><title>{escape(subject)}</title>'
            f'<rect x="{x + i * 14:.1f}" y="{LANES["mail"] - 9}" width="12" height="9" '
            f'fill="#fff" stroke="#0969da"/><path d="M{x + i * 14:.1f},{LANES["mail"] - 9} '
            f'l6,5 l6,-5" fill="none" stroke="#0969da"/></g>'
        )
    out.append("</g>")
    return "".join(out)
