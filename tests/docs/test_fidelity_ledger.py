"""The fidelity ledger (docs/fidelity/*.yaml, rendered into docs/fidelity.md) stays honest: every
row is well formed, names a public source, and names tests that exist; every entry of the
"Differences from the real services" list links to a row."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "docs" / "fidelity"
PAGE = ROOT / "docs" / "fidelity.md"
AREAS = ("entra", "graph", "miro", "identity", "logs")
STATUSES = {"reproduced", "setting", "differs", "not-modelled"}
DOCUMENTED = {"documented", "observed", "inferred"}
KEYS = {"id", "behaviour", "source", "documented", "status", "setting", "tests", "notes", "issue"}
# Sections of the "Differences" list whose entries are not all linked to rows yet, and the issue
# that links them. Strict xfail: the marker must go when the section is done.
DIFFERENCES_PENDING: dict[str, str] = {}


def rows_of(area: str) -> list[dict[str, Any]]:
    return yaml.safe_load((LEDGER / f"{area}.yaml").read_text("utf-8")) or []


def all_rows() -> list[dict[str, Any]]:
    return [row for area in AREAS for row in rows_of(area)]


@pytest.fixture(scope="module")
def collected() -> set[str]:
    """Node ids pytest collects from every file the ledger names (a real collection run)."""
    files = sorted({test.split("::")[0] for row in all_rows() for test in row.get("tests") or []})
    missing = [name for name in files if not (ROOT / name).exists()]
    assert not missing, f"the ledger names test files that do not exist: {missing}"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            *files,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {line.strip() for line in run.stdout.splitlines() if "::" in line}


def test_there_are_at_least_150_rows() -> None:
    assert len(all_rows()) >= 150


@pytest.mark.parametrize("area", AREAS)
def test_rows_are_well_formed(area: str) -> None:
    problems = []
    for row in rows_of(area):
        where = f"{area}.yaml {row.get('id')!r}"
        if set(row) - KEYS:
            problems.append(f"{where}: unknown keys {sorted(set(row) - KEYS)}")
        if not str(row.get("id", "")).startswith(f"{area}-"):
            problems.append(f"{where}: the id must start with '{area}-'")
        if not str(row.get("behaviour", "")).strip():
            problems.append(f"{where}: no behaviour")
        if row.get("status") not in STATUSES:
            problems.append(
                f"{where}: status {row.get('status')!r} is not one of {sorted(STATUSES)}"
            )
        if row.get("documented") not in DOCUMENTED:
            problems.append(
                f"{where}: documented {row.get('documented')!r} is not one of {sorted(DOCUMENTED)}"
            )
        source = str(row.get("source", ""))
        if not re.fullmatch(r"https://[^\s/]+\.[a-z]+/\S*", source):
            problems.append(f"{where}: the source must be a public https URL, got {source!r}")
        if row.get("status") in ("reproduced", "setting") and not row.get("tests"):
            problems.append(f"{where}: a {row['status']} row must name the tests that prove it")
    assert not problems, "\n".join(problems)


def test_ids_are_unique() -> None:
    ids = [row["id"] for row in all_rows()]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_every_named_test_exists(collected: set[str]) -> None:
    def exists(node: str) -> bool:
        return node in collected or any(c.startswith(node + "[") for c in collected)

    missing = [
        (row["id"], test)
        for row in all_rows()
        for test in row.get("tests") or []
        if not exists(test)
    ]
    assert missing == []


def differences_sections() -> dict[str, list[str]]:
    """Top-level list entries of each subsection of "Differences from the real services"."""
    text = PAGE.read_text("utf-8").split("## Differences from the real services", 1)[1]
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            break
        if line.startswith("### "):
            current = sections.setdefault(line[4:].strip(), [])
        elif current is not None and line.startswith("- "):
            current.append(line)
        elif current is not None and current and line.startswith("  "):
            current[-1] += " " + line.strip()
    return sections


@pytest.mark.parametrize(
    "section",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                reason=f"rows linked by {DIFFERENCES_PENDING[name]}", strict=True
            ),
        )
        if name in DIFFERENCES_PENDING
        else name
        for name in differences_sections()
    ],
)
def test_every_difference_links_to_its_row(section: str) -> None:
    ids = {row["id"] for row in all_rows()}
    unlinked = []
    for entry in differences_sections()[section]:
        links = re.findall(r"\]\(#([a-z0-9-]+)\)", entry)
        if not links or any(link not in ids for link in links):
            unlinked.append(entry[:100])
    assert unlinked == []


@pytest.mark.parametrize("area", AREAS)
def test_no_row_is_pending(area: str) -> None:
    pending = yaml.safe_load((LEDGER / "pending.yaml").read_text("utf-8")) or []
    assert [row["id"] for row in pending if str(row["id"]).startswith(f"{area}-")] == []
