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
# docs/testing.md, "Graph $filter and PATCH validation"
EQUIVALENT |= {
    f"mock_graph.odata.{name}"
    for name in (
        "x__as_datetime__mutmut_6",
        "x__as_datetime__mutmut_7",
        "x__compare__mutmut_13",
        "x__compare__mutmut_23",
        "x_tokenize__mutmut_17",
        "xǁ_Parserǁ__init____mutmut_8",
        "xǁ_Parserǁ__init____mutmut_9",
        "xǁ_Parserǁ__init____mutmut_10",
        "xǁ_Parserǁ__init____mutmut_11",
        "xǁ_Parserǁexpect__mutmut_2",
        "xǁ_Parserǁparse_literal__mutmut_29",
        "xǁ_Parserǁparse_literal__mutmut_55",
        "xǁ_Parserǁ_check_types__mutmut_20",
        "xǁ_Parserǁ_check_types__mutmut_21",
        "xǁ_Parserǁ_check_types__mutmut_22",
        "xǁ_Parserǁ_check_types__mutmut_24",
        "xǁ_Parserǁ_check_types__mutmut_25",
        "xǁ_Parserǁ_check_types__mutmut_26",
        "xǁ_Parserǁparse_lambda__mutmut_20",
        "xǁ_Parserǁparse_lambda__mutmut_21",
        "xǁ_Parserǁparse_lambda__mutmut_22",
        "xǁ_Parserǁparse_lambda__mutmut_23",
        "x__index_key__mutmut_26",
        "x__index_key__mutmut_29",
        "x__index_key__mutmut_65",
        "x__index_key__mutmut_66",
        "x__index_key__mutmut_86",
        "x_parse_search__mutmut_97",
        "x_parse_search__mutmut_115",
        "x_parse_top__mutmut_7",
    )
}
EQUIVALENT |= {
    f"mock_graph.models.validation.{name}"
    for name in (
        "x_validate__mutmut_30",
        "x_validate__mutmut_32",
        "x_validate__mutmut_48",
        "x_validate__mutmut_50",
        "x__validate_user__mutmut_3",
        "x__validate_user__mutmut_5",
        "x__validate_user__mutmut_9",
        "x__validate_user__mutmut_35",
        "x__validate_user__mutmut_36",
        "x__validate_user__mutmut_38",
    )
}


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
