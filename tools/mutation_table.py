"""The mutation-score table of docs/testing.md from mutmut's last run: one row per rule module.

Run after ``mutmut run`` (``python tools/mutation_table.py``). Score = killed / (killed +
survived), timeouts counted as killed, mutants no test reaches counted as survived; the mutants
judged equivalent are left out of both: those named (in backticks) under the "Equivalent
mutants" heading of docs/testing.md, and any in ``EQUIVALENT``."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

TESTING_DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
EQUIVALENT_HEADING = "Equivalent mutants"
_MUTANT_NAME = re.compile(r"`([\w.ǁ]+__mutmut_\d+)`")

MODULES = {
    "scoping": "harness.engine.rules.scoping.",
    "expressions": "harness.engine.rules.expressions.",
    "attribute mapping and matching": "harness.engine.rules.apply.",
    "SCIM payloads": "harness.engine.rules.scim_payloads.",
    "Miro filters": "mock_miro.filters.",
    "Miro PATCH": "mock_miro.patch.",
    "Graph $filter (OData)": "mock_graph.odata.",
    "Graph PATCH validation": "mock_graph.models.validation.",
}
KILLED = {"killed", "timeout"}
SURVIVED = {"survived", "no tests"}
EQUIVALENT: set[str] = set()  # more mutant names judged equivalent (docs/testing.md says why)


def listed_equivalents(text: str) -> set[str]:
    """The mutant names in backticks between the "Equivalent mutants" heading and the next
    heading of the same or a higher level."""
    names: set[str] = set()
    level = 0
    for line in text.splitlines():
        heading = re.match(r"(#+)\s+(.*)", line)
        if heading:
            depth = len(heading[1])
            if heading[2].strip() == EQUIVALENT_HEADING:
                level = depth
                continue
            if level and depth <= level:
                level = 0
        if level:
            names.update(_MUTANT_NAME.findall(line))
    return names


def count(results: str, equivalent: set[str]) -> dict[str, Counter[str]]:
    """Mutants per status and module, from ``mutmut results --all true``."""
    counts: dict[str, Counter[str]] = {m: Counter() for m in MODULES}
    for line in results.splitlines():
        name, _, status = line.strip().rpartition(": ")
        for module, prefix in MODULES.items():
            if name.startswith(prefix):
                counts[module]["equivalent" if name in equivalent else status] += 1
    return counts


def row(module: str, c: Counter[str], today: str, commit: str) -> str:
    killed = sum(c[k] for k in KILLED)
    survived = sum(c[k] for k in SURVIVED)
    total = sum(c.values())
    score = f"{100 * killed / (killed + survived):.1f} %" if killed + survived else "n/a"
    return (
        f"| {module} | {total} | {killed} | {survived} | {c['equivalent']} | {score} "
        f"| {today} | {commit} |"
    )


def main() -> int:
    equivalent = EQUIVALENT | listed_equivalents(TESTING_DOC.read_text("utf-8"))
    results = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    today = datetime.date.today().isoformat()
    print("| module | mutants | killed | survived | equivalent | score | date | commit |")
    print("|---|---|---|---|---|---|---|---|")
    for module, c in count(results, equivalent).items():
        print(row(module, c, today, commit))
        if c["not checked"]:
            # A row with unchecked mutants is not a result yet: run the module to the end.
            print(f"{module}: {c['not checked']} mutants not checked yet", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
