"""The mutation-score table of docs/testing.md from mutmut's last run: one row per rule module.

Run after ``mutmut run`` (``python tools/mutation_table.py``). Score = killed / (killed +
survived), timeouts counted as killed, mutants no test reaches counted as survived; the mutants
judged equivalent (listed in docs/testing.md) are left out of both."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections import Counter

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
EQUIVALENT: set[str] = set()  # mutant names judged equivalent in docs/testing.md


def main() -> int:
    out = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    counts: dict[str, Counter[str]] = {m: Counter() for m in MODULES}
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        for module, prefix in MODULES.items():
            if name.startswith(prefix):
                kind = "equivalent" if name in EQUIVALENT else status
                counts[module][kind] += 1
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    today = datetime.date.today().isoformat()
    print("| module | mutants | killed | survived | equivalent | score | date | commit |")
    print("|---|---|---|---|---|---|---|---|")
    for module, c in counts.items():
        killed = sum(c[k] for k in KILLED)
        survived = sum(c[k] for k in SURVIVED)
        total = sum(c.values())
        score = f"{100 * killed / (killed + survived):.1f} %" if killed + survived else "n/a"
        print(
            f"| {module} | {total} | {killed} | {survived} | {c['equivalent']} | {score} "
            f"| {today} | {commit} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
