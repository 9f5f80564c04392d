"""MkDocs hook: renders the fidelity ledger (docs/fidelity/*.yaml) into docs/fidelity.md.

The page holds the marker ``<!-- ledger -->`` where the tables go; each row gets an anchor named
by its id, so the "Differences" list can link to the row that records each difference.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

MARKER = "<!-- ledger -->"
AREAS = (
    ("entra", "Entra provisioning (the engine)"),
    ("graph", "Microsoft Graph (the Graph fake and the synchronization API)"),
    ("miro", "Miro SCIM (the Miro fake)"),
    ("identity", "Microsoft identity platform"),
    ("logs", "Provisioning-log exports (import and replay)"),
)
STATUS_ORDER = ("reproduced", "setting", "differs", "not-modelled")


def load_rows(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        area: yaml.safe_load((folder / f"{area}.yaml").read_text("utf-8")) or []
        for area, _ in AREAS
    }


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(rows: dict[str, list[dict[str, Any]]]) -> str:
    everything = [row for area_rows in rows.values() for row in area_rows]
    totals = Counter(row["status"] for row in everything)
    out = [
        f"{len(everything)} rows: "
        + ", ".join(f"{totals[status]} {status}" for status in STATUS_ORDER)
        + ".",
        "",
    ]
    for area, title in AREAS:
        area_rows = rows[area]
        counts = Counter(row["status"] for row in area_rows)
        out += [
            f"### {title}",
            "",
            f"{len(area_rows)} rows: " + ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER) + ".",
            "",
            "| Behaviour | Status | Source | Proven by |",
            "|---|---|---|---|",
        ]
        for row in area_rows:
            status = row["status"]
            if row.get("setting"):
                status += f" ({_cell(row['setting'])})"
            notes = f" <br><small>{_cell(row['notes'])}</small>" if row.get("notes") else ""
            tests = "<br>".join(f"`{_cell(test)}`" for test in row.get("tests") or []) or "—"
            out.append(
                f'| <a id="{row["id"]}"></a>{_cell(row["behaviour"])}{notes} | {status} | '
                f"[{documented(row)}]({row['source']}) | {tests} |"
            )
        out.append("")
    return "\n".join(out)


def documented(row: dict[str, Any]) -> str:
    return str(row.get("documented", "documented"))


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    folder = Path(config["docs_dir"]) / "fidelity"
    return markdown.replace(MARKER, render(load_rows(folder)))
